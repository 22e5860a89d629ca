// Benchmark `telemetry`: the cost of one recorded execution through the Observer (metrics + log line + span)
// against the same work done with raw prom-client, pino and OpenTelemetry calls, and the cost with every
// signal disabled. Last line: {"bench":"telemetry","overhead_ratio":...,"disabled_ns_per_call":...}.
import { type Attributes, SpanKind } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import pino from 'pino';
import { Counter, Histogram, Registry, type RegistryContentType } from 'prom-client';
import { analyze, Circuit } from '../src/circuit/index.js';
import {
  ATTR,
  BUCKETS,
  circuitInfo,
  type ExecutionRecord,
  lineOptions,
  Observer,
} from '../src/telemetry/index.js';

const quick = process.argv.includes('--quick');
const ITER = quick ? 20_000 : 100_000;
const ROUNDS = quick ? 3 : 5;
const DISABLED_ITER = quick ? 2_000_000 : 10_000_000;

/** Drops spans after the SDK has batched them: both paths pay the same processor cost, no network. */
class DiscardExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (r: { code: ExportResultCode }) => void): void {
    this.exported += spans.length;
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

const circuit = new Circuit(4, 0, 'qaoa_4');
for (let l = 0; l < 3; l++) {
  for (let q = 0; q < 4; q++) circuit.h(q);
  for (let q = 0; q < 3; q++)
    circuit
      .cx(q, q + 1)
      .rz(0.3, q + 1)
      .cx(q, q + 1);
}
circuit.measureAll();

const record: ExecutionRecord = {
  provider: 'ibm',
  device: 'ibm_torino',
  circuitName: 'qaoa_4',
  circuitType: 'qaoa',
  circuit,
  shots: 1000,
  status: 'success',
  executionSeconds: 2.5,
  queueSeconds: 31,
  jobId: 'd1f0e2a3-4b5c-6d7e-8f90-a1b2c3d4e5f6',
};

const rawExporter = new DiscardExporter();
const observerExporter = new DiscardExporter();

function provider(): NodeTracerProvider {
  return new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    // The same processor settings as the Observer's (maxQueueSize 4096, the SDK's other defaults).
    spanProcessors: [new BatchSpanProcessor(rawExporter, { maxQueueSize: 4096 })],
  });
}

// ---- the Observer ----
const observer = new Observer({
  serviceName: 'bench',
  logs: { destination: '/dev/null' },
  traces: { exporter: observerExporter, maxQueueSize: 4096, registerGlobal: false },
});
circuitInfo(circuit); // analysed once, as in a workload that reruns the same circuit

// ---- the same work, raw ----
// The raw registry also carries trace-id exemplars on the execution histogram: the same work as the Observer.
const reg = new Registry<RegistryContentType>();
reg.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
const pd = ['provider', 'device'] as const;
const raw = {
  executions: new Counter({ name: 'e_total', help: 'h', labelNames: [...pd, 'status'], registers: [reg] }),
  shots: new Counter({ name: 's_total', help: 'h', labelNames: pd, registers: [reg] }),
  exec: new Histogram({
    name: 'x',
    help: 'h',
    labelNames: pd,
    buckets: [...BUCKETS.executionSeconds],
    enableExemplars: true,
    registers: [reg],
  }),
  queue: new Histogram({
    name: 'q',
    help: 'h',
    labelNames: pd,
    buckets: [...BUCKETS.queueSeconds],
    registers: [reg],
  }),
  depth: new Histogram({
    name: 'd',
    help: 'h',
    labelNames: ['provider'],
    buckets: [...BUCKETS.depth],
    registers: [reg],
  }),
  gates: new Histogram({
    name: 'g',
    help: 'h',
    labelNames: ['provider'],
    buckets: [...BUCKETS.gates],
    registers: [reg],
  }),
  twoq: new Histogram({
    name: 't',
    help: 'h',
    labelNames: ['provider'],
    buckets: [...BUCKETS.twoQubitGates],
    registers: [reg],
  }),
};
const rawLog = pino(lineOptions('bench'), pino.destination({ dest: '/dev/null', sync: true }));
const rawTracer = provider().getTracer('raw');
const a = analyze(circuit); // raw code also analyses once
const gateCount = a.size - a.measurements;

function rawRecord(): void {
  const span = rawTracer.startSpan(`quantum_circuit ${record.circuitName}`, { kind: SpanKind.CLIENT });
  const ctx = span.spanContext();
  const l = { provider: record.provider, device: record.device };
  raw.executions.inc({ ...l, status: record.status });
  raw.shots.inc(l, record.shots);
  raw.exec.observe({
    labels: l,
    value: record.executionSeconds as number,
    exemplarLabels: { trace_id: ctx.traceId, span_id: ctx.spanId } as unknown as typeof l,
  });
  raw.queue.observe(l, record.queueSeconds as number);
  raw.depth.observe({ provider: record.provider }, a.depth);
  raw.gates.observe({ provider: record.provider }, gateCount);
  raw.twoq.observe({ provider: record.provider }, a.twoQubitGates);
  const attrs: Attributes = {
    [ATTR.circuitName]: record.circuitName,
    [ATTR.provider]: record.provider,
    [ATTR.device]: record.device,
    [ATTR.shots]: record.shots,
    [ATTR.executionSuccess]: true,
    [ATTR.circuitType]: 'qaoa',
    [ATTR.qubits]: a.numQubits,
    [ATTR.circuitDepth]: a.depth,
    [ATTR.circuitGateCount]: gateCount,
    [ATTR.circuitTwoQubitGates]: a.twoQubitGates,
    [ATTR.executionTime]: 2.5,
    [ATTR.executionQueueTime]: 31,
    [ATTR.jobId]: record.jobId as string,
  };
  span.setAttributes(attrs);
  span.end();
  rawLog.info(
    {
      event_type: 'quantum_circuit_execution',
      circuit_id: 'c0ffee',
      provider: record.provider,
      device: record.device,
      execution_details: {
        circuit_name: record.circuitName,
        shots: record.shots,
        status: record.status,
        execution_time_seconds: 2.5,
        queue_time_seconds: 31,
        circuit_type: 'qaoa',
        job_id: record.jobId,
      },
      quantum_metrics: {
        qubits: a.numQubits,
        depth: a.depth,
        gate_count: gateCount,
        two_qubit_gates: a.twoQubitGates,
        measurements: a.measurements,
      },
      trace_id: ctx.traceId,
      span_id: ctx.spanId,
    },
    `circuit ${record.circuitName} ${record.status} on ${record.provider}.${record.device}`,
  );
}

function observed(): void {
  observer.recordExecution(record);
}

/**
 * CPU time (user + system) per call: on a machine shared with other jobs, wall time mostly measures the
 * scheduler; CPU time measures the work (the sync log writes' system time included).
 */
function nsPerCall(fn: () => void, n: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * As nsPerCall, yielding to the event loop every 256 calls as a workload does between jobs, so the span
 * batch processors export (their CPU time counted) instead of dropping what overflows their queues.
 */
async function nsPerRecordedCall(fn: () => void, n: number): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    fn();
    if ((i & 255) === 255) await tick();
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  // Warm up both paths (JIT, label maps, pino serializers).
  await nsPerRecordedCall(rawRecord, ITER / 4);
  await nsPerRecordedCall(observed, ITER / 4);
  const rawNs: number[] = [];
  const obsNs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order so drift in machine load touches both paths alike; let the span batches drain.
    if (r % 2 === 0) {
      rawNs.push(await nsPerRecordedCall(rawRecord, ITER));
      await new Promise((res) => setTimeout(res, 100));
      obsNs.push(await nsPerRecordedCall(observed, ITER));
    } else {
      obsNs.push(await nsPerRecordedCall(observed, ITER));
      await new Promise((res) => setTimeout(res, 100));
      rawNs.push(await nsPerRecordedCall(rawRecord, ITER));
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  const noop = Observer.noop();
  nsPerCall(() => noop.recordExecution(record), DISABLED_ITER / 10);
  const disabled = median([0, 1, 2].map(() => nsPerCall(() => noop.recordExecution(record), DISABLED_ITER)));
  const noopTrace = median(
    [0, 1, 2].map(() => nsPerCall(() => noop.traceCircuit('c', () => 1), DISABLED_ITER / 10)),
  );
  const emptyLoop = median([0, 1, 2].map(() => nsPerCall(() => {}, DISABLED_ITER)));
  const rawMedian = median(rawNs);
  const obsMedian = median(obsNs);
  const dropped = await observer
    .metrics()
    .then((t) => t.split('\n').filter((l) => l.startsWith('qobs_telemetry_dropped_total')));
  if (dropped.length > 0) process.stderr.write(`dropped: ${dropped.join('; ')}\n`);
  const result = {
    bench: 'telemetry',
    quick,
    iterations: ITER,
    rounds: ROUNDS,
    raw_ns_per_execution: Math.round(rawMedian),
    observer_ns_per_execution: Math.round(obsMedian),
    overhead_ratio: Number((obsMedian / rawMedian).toFixed(3)),
    target_overhead_ratio: 1.25,
    disabled_ns_per_call: Number(disabled.toFixed(2)),
    disabled_trace_circuit_ns_per_call: Number(noopTrace.toFixed(2)),
    empty_loop_ns_per_call: Number(emptyLoop.toFixed(2)),
    target_disabled_ns_per_call: 50,
    observer_dropped: observer.dropped,
    spans_exported_raw: rawExporter.exported,
    spans_exported_observer: observerExporter.exported,
  };
  await observer.shutdown();
  process.stderr.write(
    `raw ${result.raw_ns_per_execution} ns, observer ${result.observer_ns_per_execution} ns per recorded execution (ratio ${result.overhead_ratio}); disabled ${result.disabled_ns_per_call} ns per call\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
