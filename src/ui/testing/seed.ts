// Seeds a workbench store with a realistic spread of the twelve quantum metrics, circuit-execution traces
// and the Observer's log events, through the store's own ingest API: for the browser tests and the `ui` bench.
import type { IngestBatch, LogIn, SampleIn, SpanIn, Store } from '../../store/index.js';

/** What to seed. */
export interface SeedOptions {
  /** End of the seeded span (ms). */
  readonly endMs: number;
  /** Length of the seeded span (ms). */
  readonly durationMs: number;
  /** Scrape interval (ms); 15 s by default. */
  readonly intervalMs?: number;
  /** Circuit executions with a trace and logs, spread over the last 30 minutes (default 12). */
  readonly executions?: number;
  /** Adds a device and a log line whose text is markup, to prove the dashboard shows it as text. */
  readonly hostile?: boolean;
}

/** What was seeded. */
export interface SeedResult {
  readonly samples: number;
  readonly series: number;
  readonly traceIds: readonly string[];
}

export const HOSTILE_DEVICE = '<img src=x onerror="window.__xss=3">';
export const HOSTILE_MESSAGE = 'input was <script>window.__xss=4</script>';

const EXEC_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300];
const ERROR_TYPES = ['readout_error', 'gate_error', 'coherence_error'];
const CIRCUIT_TYPES = ['bell', 'ghz', 'qaoa'];
const SHOTS = 1024;
const EXECUTION_SECONDS = 1.8;
/**
 * What one seeded execution costs, by the shipped catalogue's rules: IBM 1.60 USD per second of usage (billed
 * whatever the outcome), Braket IonQ Forte 0.30 USD a task + 0.08 USD a shot (a failed task is not charged),
 * local devices nothing. The metric and the cost events are both derived from these, so they agree.
 */
const PRICE = {
  ibm: { costType: 'qpu_time', amount: (_ok: boolean) => 1.6 * EXECUTION_SECONDS },
  braket: { costType: 'qpu_task', amount: (ok: boolean) => (ok ? 0.3 + SHOTS * 0.08 : 0) },
  local: { costType: 'local', amount: (_ok: boolean) => 0 },
} as const;

/** A deterministic pseudo-random number in [0, 1) from an integer key. */
function noise(k: number): number {
  const x = Math.sin(k * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x);
}

interface DeviceState {
  provider: keyof typeof PRICE;
  device: string;
  ok: number;
  err: number;
  buckets: number[];
  sum: number;
  count: number;
}

function hex(n: number, len: number): string {
  return n.toString(16).padStart(len, '0').slice(-len);
}

/** A deterministic id of `len` hex digits that looks like a random one. */
function idHex(seed: number, len: number): string {
  let out = '';
  for (let i = 0; out.length < len; i++)
    out += Math.floor(noise(seed * 131 + i) * 0x10000)
      .toString(16)
      .padStart(4, '0');
  return out.slice(0, len);
}

/** Writes metrics, traces and logs into `store`; batches keep memory bounded for millions of samples. */
export function seedStore(store: Store, opts: SeedOptions): SeedResult {
  const interval = opts.intervalMs ?? 15_000;
  const devices: DeviceState[] = [
    ['ibm', 'ibm_torino'],
    ['ibm', 'ibm_brisbane'],
    ['braket', 'ionq/forte-1'],
    ['local', 'fake_toronto'],
    ['local', 'statevector'],
    ...(opts.hostile ? [['ibm', HOSTILE_DEVICE] as const] : []),
  ].map(([provider, device]) => ({
    provider: provider as keyof typeof PRICE,
    device,
    ok: 0,
    err: 0,
    buckets: EXEC_BUCKETS.map(() => 0),
    sum: 0,
    count: 0,
  }));
  const executions = planExecutions(opts, devices);
  const costs = new Map<string, number>();
  for (const d of devices) costs.set(`${d.provider}\u0000${PRICE[d.provider].costType}`, 0);
  let charged = 0;
  const start = Math.ceil((opts.endMs - opts.durationMs) / interval) * interval;
  const series = new Set<string>();
  let total = 0;
  let batch: SampleIn[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    store.ingest({ samples: batch });
    total += batch.length;
    batch = [];
  };
  const put = (labels: Record<string, string>, t: number, v: number) => {
    batch.push({ labels, t, v });
    // Every series is written at every step, so the first step names them all.
    if (t === start) series.add(JSON.stringify(labels));
  };
  let step = 0;
  for (let t = start; t <= opts.endMs; t += interval, step++) {
    for (const [i, d] of devices.entries()) {
      const pd = { provider: d.provider, device: d.device };
      const k = step * 97 + i * 13;
      const offline = i === 3 && t > start + (opts.endMs - start) / 2;
      const runs = offline ? 0 : Math.round(1.5 + 0.8 * Math.sin(step / 25 + i) + 0.6 * noise(k));
      const fails = !offline && noise(k + 1) < 0.03 * (i + 1) ? 1 : 0;
      d.ok += runs;
      d.err += fails;
      for (let r = 0; r < runs + fails; r++) {
        const secs = (i + 1) * 0.4 * (0.3 + 2 * noise(k + 2 + r));
        for (const [b, le] of EXEC_BUCKETS.entries()) if (secs <= le) d.buckets[b]++;
        d.sum += secs;
        d.count++;
      }
      put({ __name__: 'quantum_circuit_executions_total', ...pd, status: 'success' }, t, d.ok);
      put({ __name__: 'quantum_circuit_executions_total', ...pd, status: 'error' }, t, d.err);
      for (const [b, le] of EXEC_BUCKETS.entries())
        put({ __name__: 'quantum_circuit_execution_seconds_bucket', ...pd, le: String(le) }, t, d.buckets[b]);
      put({ __name__: 'quantum_circuit_execution_seconds_bucket', ...pd, le: '+Inf' }, t, d.count);
      put({ __name__: 'quantum_circuit_execution_seconds_sum', ...pd }, t, d.sum);
      put({ __name__: 'quantum_circuit_execution_seconds_count', ...pd }, t, d.count);
      for (const [j, ct] of CIRCUIT_TYPES.entries())
        put(
          { __name__: 'quantum_circuit_fidelity', ...pd, circuit_type: ct },
          t,
          Math.min(0.999, 0.68 + 0.3 * noise(k + 40 + j) - 0.02 * i),
        );
      put({ __name__: 'quantum_device_status', ...pd }, t, offline ? 0 : 1);
      put(
        { __name__: 'quantum_device_queue_length', ...pd },
        t,
        Math.max(0, Math.round(3 + 4 * i + 3 * Math.sin(step / 40 + i))),
      );
      put({ __name__: 'quantum_device_calibration_age_hours', ...pd }, t, (t / 3_600_000 + i * 5) % 24);
      for (const [j, et] of ERROR_TYPES.entries())
        put(
          { __name__: 'quantum_device_error_rate', ...pd, error_type: et },
          t,
          0.004 * (1 + i) * (1 + j) * (1 + 0.2 * Math.sin(step / 60 + j)),
        );
    }
    // quantum_cost_total as a scrape at t sees it: every cost event at or before t counted.
    for (; charged < executions.length && executions[charged].costAtMs <= t; charged++) {
      const e = executions[charged];
      const c = `${e.device.provider}\u0000${e.costType}`;
      costs.set(c, (costs.get(c) ?? 0) + e.amount);
    }
    for (const [key, v] of costs) {
      const [provider, costType] = key.split('\u0000');
      put({ __name__: 'quantum_cost_total', provider, cost_type: costType }, t, v);
    }
    if (batch.length >= 50_000) flush();
  }
  flush();
  const traceIds = seedExecutions(store, opts, executions);
  return { samples: total, series: series.size, traceIds };
}

/** One seeded execution: where and when it ran, whether it succeeded, and what it cost. */
interface PlannedExecution {
  readonly device: DeviceState;
  readonly startMs: number;
  readonly ok: boolean;
  readonly costAtMs: number;
  readonly costType: string;
  readonly amount: number;
}

function planExecutions(opts: SeedOptions, devices: readonly DeviceState[]): PlannedExecution[] {
  const n = opts.executions ?? 12;
  return Array.from({ length: n }, (_, i) => {
    const device = devices[i % devices.length];
    const startMs = opts.endMs - 30 * 60_000 + (i * 30 * 60_000) / Math.max(n, 1);
    const ok = i % 5 !== 4;
    const price = PRICE[device.provider];
    return {
      device,
      startMs,
      ok,
      costAtMs: startMs + 2110,
      costType: price.costType,
      amount: price.amount(ok),
    };
  });
}

function seedExecutions(store: Store, opts: SeedOptions, executions: readonly PlannedExecution[]): string[] {
  const spans: SpanIn[] = [];
  const logs: LogIn[] = [];
  const traceIds: string[] = [];
  const resource = { 'service.name': 'qml-training' };
  const scope = { name: 'qobs', version: '0.1.0' };
  const circuits = ['bell_state', 'ghz_5', 'qaoa_maxcut_p2', 'vqc_iris_layer'];
  for (const [i, e] of executions.entries()) {
    const d = e.device;
    const traceId = idHex(i + 1, 32);
    const rootId = idHex(1000 + i, 16);
    const spanId = idHex(2000 + i, 16);
    traceIds.push(traceId);
    const startMs = e.startMs;
    const ns = (ms: number) => BigInt(Math.round(ms)) * 1_000_000n;
    const ok = e.ok;
    const qubits = 2 + (i % 5);
    const fidelity = 0.8 + 0.15 * noise(i + 7);
    const method = i % 2 ? 'esp' : 'hellinger';
    const circuit = circuits[i % circuits.length];
    spans.push(
      {
        traceId,
        spanId: rootId,
        parentSpanId: '',
        traceState: '',
        flags: 1,
        name: 'quantum_algorithm qaoa',
        kind: 1,
        startTimeUnixNano: ns(startMs),
        endTimeUnixNano: ns(startMs + 2400),
        attributes: {
          'quantum.algorithm.name': 'qaoa',
          'quantum.problem.type': 'maxcut',
          'quantum.problem.size': 6,
        },
        events: [],
        links: [],
        statusCode: ok ? 1 : 2,
        statusMessage: ok ? '' : 'circuit failed',
        resource,
        scope,
      },
      {
        traceId,
        spanId,
        parentSpanId: rootId,
        traceState: '',
        flags: 1,
        name: `quantum_circuit ${circuit}`,
        kind: 1,
        startTimeUnixNano: ns(startMs + 300),
        endTimeUnixNano: ns(startMs + 2100),
        attributes: {
          'quantum.circuit.name': circuit,
          'quantum.provider': d.provider,
          'quantum.device': d.device,
          'quantum.shots': SHOTS,
          'quantum.qubits': qubits,
          'quantum.circuit.depth': 3 + i,
          'quantum.circuit.gate_count': 6 + 3 * i,
          'quantum.execution.success': ok,
          'quantum.fidelity': fidelity,
          'quantum.fidelity.method': method,
        },
        events: [
          {
            timeUnixNano: ns(startMs + 2000),
            name: 'job.completed',
            attributes: { 'quantum.job.id': `job-${i}` },
          },
        ],
        links: [],
        statusCode: ok ? 1 : 2,
        statusMessage: ok ? '' : 'device reported an error',
        resource,
        scope,
      },
    );
    const log = (
      ms: number,
      level: string,
      body: string,
      attributes: Record<string, unknown>,
      sid: string,
    ): LogIn => ({
      timeUnixNano: ns(ms),
      observedTimeUnixNano: ns(ms),
      severityNumber: level === 'error' ? 17 : level === 'warn' ? 13 : 9,
      severityText: level.toUpperCase(),
      body,
      attributes: attributes as LogIn['attributes'],
      flags: 1,
      traceId,
      spanId: sid,
      eventName: '',
      resource,
      scope,
    });
    logs.push(
      log(
        startMs + 2100,
        ok ? 'info' : 'error',
        `circuit ${circuit} ${ok ? 'success' : 'error'} on ${d.provider}.${d.device}`,
        {
          event_type: 'quantum_circuit_execution',
          circuit_id: `c${hex(i, 8)}`,
          provider: d.provider,
          device: d.device,
          execution_details: {
            circuit_name: circuit,
            shots: SHOTS,
            status: ok ? 'success' : 'error',
            execution_time_seconds: EXECUTION_SECONDS,
            queue_time_seconds: 0.3,
          },
          quantum_metrics: {
            qubits,
            depth: 3 + i,
            gate_count: 6 + 3 * i,
            fidelity: { value: fidelity, method },
          },
        },
        spanId,
      ),
      log(
        e.costAtMs,
        'info',
        `cost of ${circuit}`,
        {
          event_type: 'quantum_cost_event',
          provider: d.provider,
          device: d.device,
          cost_type: e.costType,
          amount: e.amount,
          currency: 'USD',
          cost_details: { catalogue_version: '2026-11-29.1', status: ok ? 'completed' : 'failed' },
        },
        spanId,
      ),
      log(
        startMs + 2300,
        'info',
        `qaoa step ${i} finished`,
        { event_type: 'quantum_algorithm_performance', algorithm_name: 'qaoa' },
        rootId,
      ),
    );
  }
  if (opts.hostile) {
    logs.push({
      ...logs[0],
      timeUnixNano: BigInt(opts.endMs - 5_000) * 1_000_000n,
      body: HOSTILE_MESSAGE,
      traceId: '',
      spanId: '',
      attributes: { event_type: 'quantum_security_event' },
    });
  }
  const batch: IngestBatch = { spans, logs };
  store.ingest(batch);
  return traceIds;
}
