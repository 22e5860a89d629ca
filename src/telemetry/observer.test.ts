import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { Circuit } from '../circuit/index.js';
import type { Calibration } from '../devices/index.js';
import { logLineSchema } from './log-schema.js';
import { type CostOf, type FidelityOf, Observer, type ObserverOptions } from './observer.js';
import { LineSink, type ScriptedJob, ScriptedDevice } from './testing/doubles.js';

function setup(extra: Partial<ObserverOptions> = {}) {
  const sink = new LineSink();
  const exporter = new InMemorySpanExporter();
  const observer = new Observer({
    serviceName: 'test-svc',
    logs: { destination: sink, level: 'info' },
    traces: { exporter, processor: 'simple', registerGlobal: false },
    ...extra,
  });
  return { observer, sink, exporter };
}

/** Parses the Prometheus text format into `name{a="x",b="y"}` (labels sorted) -> value, checking the format. */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad exposition line: ${line}`);
    const labels = m[2]
      ? [...m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => `${x[1]}="${x[2]}"`)
      : [];
    labels.sort();
    const v = m[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[3]);
    out.set(`${m[1]}{${labels.join(',')}}`, v);
  }
  return out;
}

function key(name: string, labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  parts.sort();
  return `${name}{${parts.join(',')}}`;
}

const bell = () => new Circuit(2, 0, 'bell').h(0).cx(0, 1).measureAll();

function validateAll(sink: LineSink): void {
  expect(sink.lines.length).toBeGreaterThan(0);
  for (const line of sink.lines) {
    const r = logLineSchema.safeParse(line);
    if (!r.success) throw new Error(`line fails its schema: ${JSON.stringify(line)}\n${r.error.message}`);
  }
}

describe('Observer.run records metrics value by value', () => {
  it('counts, histogram buckets and gauges after a known sequence of runs', async () => {
    const { observer, sink } = setup();
    const script: ScriptedJob[] = [
      { queueSeconds: 2, executionSeconds: 0.3 },
      { queueSeconds: 40, executionSeconds: 2 },
      { queueSeconds: 0.5, executionSeconds: 45 },
      { queueSeconds: null, executionSeconds: null },
      {
        queueSeconds: 1,
        executionSeconds: 0.05,
        fail: { type: 'device_error', message: 'readout chain fault' },
      },
    ];
    const dev = new ScriptedDevice('fake_a', script);
    dev.queue = 7;
    const c = bell();
    for (let i = 0; i < script.length; i++) await observer.run(dev, c, { shots: 100, circuitType: 'bell' });
    const m = parseExposition(await observer.metrics());
    const pd = { provider: 'local', device: 'fake_a' };
    expect(m.get(key('quantum_circuit_executions_total', { ...pd, status: 'success' }))).toBe(4);
    expect(m.get(key('quantum_circuit_executions_total', { ...pd, status: 'error' }))).toBe(1);
    expect(m.get(key('quantum_circuit_shots_total', pd))).toBe(400);
    // Execution: 0.3, 2, 45, 0.05 (the fourth run exposes no phase: unknown, not observed).
    const exec = (le: string) => m.get(key('quantum_circuit_execution_seconds_bucket', { ...pd, le }));
    expect([
      exec('0.1'),
      exec('0.5'),
      exec('1'),
      exec('5'),
      exec('10'),
      exec('30'),
      exec('60'),
      exec('300'),
      exec('+Inf'),
    ]).toEqual([1, 2, 2, 3, 3, 3, 4, 4, 4]);
    expect(m.get(key('quantum_circuit_execution_seconds_count', pd))).toBe(4);
    expect(m.get(key('quantum_circuit_execution_seconds_sum', pd))).toBeCloseTo(47.35, 10);
    // Queue: 2, 40, 0.5, 1.
    const queue = (le: string) => m.get(key('quantum_circuit_queue_seconds_bucket', { ...pd, le }));
    expect(['1', '5', '30', '60', '300', '900', '1800', '+Inf'].map(queue)).toEqual([2, 3, 3, 4, 4, 4, 4, 4]);
    expect(m.get(key('quantum_circuit_queue_seconds_sum', pd))).toBeCloseTo(43.5, 10);
    expect(m.get(key('quantum_device_status', pd))).toBe(1);
    expect(m.get(key('quantum_device_queue_length', pd))).toBe(7);
    expect(m.get(key('quantum_tasks', { ...pd, status: 'queued' }))).toBe(0);
    validateAll(sink);
  });

  it('records circuit depth, gates and two-qubit gates from the analysis', async () => {
    const { observer } = setup();
    const dev = new ScriptedDevice('fake_b', [{ queueSeconds: 1, executionSeconds: 1 }]);
    // depth 3 (h, cx, measure), 2 gates, 1 two-qubit gate
    await observer.run(dev, bell());
    // depth 7, 6 gates, 5 two-qubit gates
    const wide = new Circuit(3, 0, 'chain').h(0).cx(0, 1).cx(1, 2).cx(0, 2).cx(1, 2).cx(0, 1).measureAll();
    await observer.run(dev, wide);
    const m = parseExposition(await observer.metrics());
    const p = { provider: 'local' };
    expect(m.get(key('quantum_circuit_depth_bucket', { ...p, le: '1' }))).toBe(0);
    expect(m.get(key('quantum_circuit_depth_bucket', { ...p, le: '5' }))).toBe(1);
    expect(m.get(key('quantum_circuit_depth_bucket', { ...p, le: '10' }))).toBe(2);
    expect(m.get(key('quantum_circuit_depth_sum', p))).toBe(3 + 7);
    expect(m.get(key('quantum_circuit_gates_sum', p))).toBe(2 + 6);
    expect(m.get(key('quantum_circuit_gates_bucket', { ...p, le: '1' }))).toBe(0);
    expect(m.get(key('quantum_circuit_gates_bucket', { ...p, le: '10' }))).toBe(2);
    expect(m.get(key('quantum_circuit_two_qubit_gates_sum', p))).toBe(1 + 5);
    expect(m.get(key('quantum_circuit_two_qubit_gates_bucket', { ...p, le: '1' }))).toBe(1);
    expect(m.get(key('quantum_circuit_two_qubit_gates_bucket', { ...p, le: '5' }))).toBe(2);
  });

  it('records calibration age, error rates by type and noise level from the device calibration', async () => {
    const { observer } = setup();
    const dev = new ScriptedDevice('fake_c', [{ queueSeconds: 1, executionSeconds: 1 }]);
    const calibratedAt = new Date(Date.now() - 5 * 3_600_000).toISOString();
    dev.cal = {
      provider: 'local',
      device: 'fake_c',
      numQubits: 2,
      basisGates: ['sx', 'cx'],
      calibratedAt,
      source: 'test',
      qubits: [
        { qubit: 0, readoutError: 0.02 },
        { qubit: 1, readoutError: 0.04 },
      ],
      gates: [
        { gate: 'sx', qubits: [0], error: 0.001 },
        { gate: 'sx', qubits: [1], error: 0.003 },
        { gate: 'cx', qubits: [0, 1], error: 0.01 },
        { gate: 'cx', qubits: [1, 0], error: 0.03 },
      ],
    } satisfies Calibration;
    await observer.run(dev, bell());
    const m = parseExposition(await observer.metrics());
    const pd = { provider: 'local', device: 'fake_c' };
    expect(m.get(key('quantum_device_calibration_age_hours', pd))).toBeCloseTo(5, 2);
    expect(m.get(key('quantum_device_error_rate', { ...pd, error_type: 'readout_error' }))).toBeCloseTo(
      0.03,
      12,
    );
    expect(m.get(key('quantum_device_error_rate', { ...pd, error_type: 'gate_error' }))).toBeCloseTo(
      0.002,
      12,
    );
    expect(
      m.get(key('quantum_device_error_rate', { ...pd, error_type: 'two_qubit_gate_error' })),
    ).toBeCloseTo(0.02, 12);
    expect(m.get(key('quantum_hardware_noise_level', pd))).toBeCloseTo(0.02, 12);
    // No coherence figure is made up from T1/T2-less data.
    expect(m.has(key('quantum_device_error_rate', { ...pd, error_type: 'coherence_error' }))).toBe(false);
  });

  it('records fidelity with its method, ESP, and cost only when a hook knows them', async () => {
    const fidelityOf: FidelityOf = () => [
      { value: 0.93, method: 'hellinger' },
      { value: 0.81, method: 'esp' },
    ];
    const costOf: CostOf = (job) => ({
      amount: job.shots * 0.0001,
      currency: 'USD',
      costType: 'shots',
      catalogueVersion: '2026-01-01',
    });
    const { observer, sink } = setup({ fidelityOf, costOf });
    const dev = new ScriptedDevice('fake_d', [{ queueSeconds: 1, executionSeconds: 1 }]);
    const r = await observer.run(dev, bell(), { shots: 1000, circuitType: 'bell' });
    expect(r.fidelity).toEqual({ value: 0.93, method: 'hellinger' });
    expect(r.estimatedSuccessProbability).toBe(0.81);
    const m = parseExposition(await observer.metrics());
    const ct = { provider: 'local', device: 'fake_d', circuit_type: 'bell' };
    expect(m.get(key('quantum_circuit_fidelity', ct))).toBe(0.93);
    expect(m.get(key('quantum_circuit_fidelity_estimate', { ...ct, method: 'hellinger' }))).toBe(0.93);
    expect(m.get(key('quantum_circuit_fidelity_estimate', { ...ct, method: 'esp' }))).toBe(0.81);
    expect(m.get(key('quantum_circuit_estimated_success_probability', ct))).toBe(0.81);
    expect(m.get(key('quantum_cost_total', { provider: 'local', cost_type: 'shots' }))).toBeCloseTo(0.1, 12);
    const costLine = sink.lines.find((l) => l.event_type === 'quantum_cost_event');
    expect(costLine).toMatchObject({
      amount: 0.1,
      currency: 'USD',
      cost_type: 'shots',
      cost_details: { catalogue_version: '2026-01-01' },
    });
    const exec = sink.lines.find((l) => l.event_type === 'quantum_circuit_execution');
    expect(exec?.quantum_metrics).toMatchObject({
      fidelity: { value: 0.93, method: 'hellinger' },
      estimated_success_probability: 0.81,
    });
    validateAll(sink);

    // Without hooks: no fidelity, no cost, nothing made up.
    const bare = setup();
    await bare.observer.run(dev, bell(), { shots: 10 });
    const text = await bare.observer.metrics();
    expect(text).not.toMatch(/^quantum_circuit_fidelity\{/m);
    expect(text).not.toMatch(/^quantum_cost_total\{/m);
    expect(bare.sink.lines.some((l) => l.event_type === 'quantum_cost_event')).toBe(false);
  });

  it('serves OpenMetrics with a trace-id exemplar on the execution-time histogram', async () => {
    const { observer } = setup();
    const dev = new ScriptedDevice('fake_e', [{ queueSeconds: 1, executionSeconds: 0.7 }]);
    const r = await observer.run(dev, bell());
    const om = await observer.metrics({ openMetrics: true });
    expect(om.endsWith('# EOF\n')).toBe(true);
    const line = om.split('\n').find((l) => l.startsWith('quantum_circuit_execution_seconds_bucket{le="1"'));
    expect(line).toMatch(
      new RegExp(`# \\{trace_id="${r.traceId}",span_id="[0-9a-f]{16}"\\} 0\\.7 \\d+(\\.\\d+)?$`),
    );
    expect(om).toMatch(/^quantum_circuit_executions_total\{/m);
    expect(om).toContain('# TYPE quantum_circuit_executions counter');
    // The Prometheus text keeps `_total` on the metric family after an OpenMetrics render.
    expect(await observer.metrics()).toContain('# TYPE quantum_circuit_executions_total counter');
  });
});

function byName(spans: ReadableSpan[], name: string): ReadableSpan {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name} in ${spans.map((x) => x.name).join(', ')}`);
  return s;
}

describe('Observer traces', () => {
  it('names, kinds and attributes of a circuit run span', async () => {
    const { observer, exporter, sink } = setup();
    const dev = new ScriptedDevice('fake_t', [{ queueSeconds: 3, executionSeconds: 0.25 }]);
    const r = await observer.run(dev, bell(), { shots: 512, circuitType: 'bell' });
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const s = spans[0];
    expect(s.name).toBe('quantum_circuit bell');
    expect(s.kind).toBe(SpanKind.CLIENT);
    expect(s.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(s.attributes).toMatchObject({
      'quantum.circuit.name': 'bell',
      'quantum.provider': 'local',
      'quantum.device': 'fake_t',
      'quantum.shots': 512,
      'quantum.execution.success': true,
      'quantum.execution.time': 0.25,
      'quantum.execution.queue_time': 3,
      'quantum.job.id': r.job.id,
      'quantum.circuit.type': 'bell',
    });
    expect(s.attributes).toMatchObject({
      'quantum.qubits': 2,
      'quantum.circuit.depth': 3,
      'quantum.circuit.gate_count': 2,
      'quantum.circuit.two_qubit_gates': 1,
    });
    expect(s.resource.attributes['service.name']).toBe('test-svc');
    expect(s.resource.attributes['service.version']).toBe('0.1.0');
    expect(typeof s.resource.attributes['deployment.environment']).toBe('string');
    const line = sink.lines.find((l) => l.event_type === 'quantum_circuit_execution');
    expect(line?.trace_id).toBe(s.spanContext().traceId);
    expect(line?.span_id).toBe(s.spanContext().spanId);
  });

  it('an algorithm with layers: parent-child structure, sync and async', async () => {
    const { observer, exporter } = setup();
    const value = observer.traceAlgorithm(
      { name: 'qaoa', type: 'variational', problemType: 'maxcut', problemSize: 4 },
      (alg) => {
        alg.layer(0, 'cost', () => 1);
        alg.layer(1, 'mixer', () => 2);
        return 42;
      },
    );
    expect(value).toBe(42);
    const asyncValue = await observer.traceAlgorithm({ name: 'vqe' }, async (alg) => {
      await alg.layer(0, 'ansatz', async () => {
        await new Promise((r) => setTimeout(r, 1));
        observer.traceCircuit('inner', () => undefined);
      });
      return 'done';
    });
    expect(asyncValue).toBe('done');
    const spans = exporter.getFinishedSpans();
    const qaoa = byName(spans, 'quantum_algorithm qaoa');
    expect(qaoa.kind).toBe(SpanKind.INTERNAL);
    expect(qaoa.attributes).toMatchObject({
      'quantum.algorithm.name': 'qaoa',
      'quantum.algorithm.type': 'variational',
      'quantum.problem.type': 'maxcut',
      'quantum.problem.size': 4,
    });
    const l0 = spans.filter((s) => s.name === 'quantum_layer 0');
    const l1 = byName(spans, 'quantum_layer 1');
    const qaoaL0 = l0.find((s) => s.parentSpanContext?.spanId === qaoa.spanContext().spanId);
    expect(qaoaL0?.attributes).toMatchObject({ 'quantum.layer.index': 0, 'quantum.layer.type': 'cost' });
    expect(l1.parentSpanContext?.spanId).toBe(qaoa.spanContext().spanId);
    expect(l1.spanContext().traceId).toBe(qaoa.spanContext().traceId);
    const vqe = byName(spans, 'quantum_algorithm vqe');
    const vqeL0 = l0.find((s) => s.parentSpanContext?.spanId === vqe.spanContext().spanId);
    expect(vqeL0).toBeDefined();
    const inner = byName(spans, 'quantum_circuit inner');
    expect(inner.parentSpanContext?.spanId).toBe(vqeL0?.spanContext().spanId);
    expect(vqe.parentSpanContext).toBeUndefined();
  });

  it('a training run with a span per epoch carrying loss and accuracy', async () => {
    const { observer, exporter } = setup();
    const losses = [0.9, 0.5, 0.3];
    await observer.traceTraining({ model: 'vqc', epochs: 3, batchSize: 16, parameterCount: 8 }, async (t) => {
      for (let e = 0; e < 3; e++) {
        await t.epoch(e, async () => ({ loss: losses[e], accuracy: 0.5 + 0.1 * e }));
      }
    });
    const spans = exporter.getFinishedSpans();
    const training = byName(spans, 'quantum_training vqc');
    expect(training.attributes).toMatchObject({
      'ml.model.name': 'vqc',
      'ml.training.epochs': 3,
      'ml.training.batch_size': 16,
      'quantum.parameter.count': 8,
      'ml.training.final_loss': 0.3,
    });
    expect(training.attributes['ml.training.accuracy']).toBeCloseTo(0.7, 12);
    for (let e = 0; e < 3; e++) {
      const ep = byName(spans, `quantum_training_epoch ${e}`);
      expect(ep.parentSpanContext?.spanId).toBe(training.spanContext().spanId);
      expect(ep.attributes['ml.training.epoch']).toBe(e);
      expect(ep.attributes['ml.training.epoch.loss']).toBe(losses[e]);
      expect(ep.attributes['ml.training.epoch.accuracy']).toBeCloseTo(0.5 + 0.1 * e, 12);
    }
  });

  it('records an error status and the exception on a failing algorithm, and rethrows', async () => {
    const { observer, exporter, sink } = setup();
    class SolverError extends Error {}
    expect(() =>
      observer.traceAlgorithm({ name: 'grover' }, () => {
        throw new SolverError('oracle has no marked state');
      }),
    ).toThrow(SolverError);
    await expect(
      observer.traceTraining({ model: 'm' }, async () => Promise.reject(new Error('diverged'))),
    ).rejects.toThrow('diverged');
    const spans = exporter.getFinishedSpans();
    const g = byName(spans, 'quantum_algorithm grover');
    expect(g.status).toEqual({ code: SpanStatusCode.ERROR, message: 'oracle has no marked state' });
    const ev = g.events.find((e) => e.name === 'exception');
    expect(ev?.attributes?.['exception.message']).toBe('oracle has no marked state');
    expect(ev?.attributes?.['exception.type']).toBe('Error');
    expect(byName(spans, 'quantum_training m').status.code).toBe(SpanStatusCode.ERROR);
    const errors = sink.lines.filter((l) => l.event_type === 'quantum_error');
    expect(errors.map((l) => l.error_message)).toEqual(['oracle has no marked state', 'diverged']);
    validateAll(sink);
  });
});

describe('a failing execution', () => {
  it('records the failure metric, an error span with the exception and a quantum_error log', async () => {
    const { observer, exporter, sink } = setup();
    const dev = new ScriptedDevice('fake_f', [
      { queueSeconds: null, executionSeconds: null, throwOnSubmit: new RangeError('shots out of range') },
    ]);
    await expect(observer.run(dev, bell(), { shots: 5 })).rejects.toThrow('shots out of range');
    const m = parseExposition(await observer.metrics());
    expect(
      m.get(
        key('quantum_circuit_executions_total', { provider: 'local', device: 'fake_f', status: 'error' }),
      ),
    ).toBe(1);
    expect(m.has(key('quantum_circuit_shots_total', { provider: 'local', device: 'fake_f' }))).toBe(false);
    const [span] = exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'shots out of range' });
    expect(span.attributes).toMatchObject({
      'quantum.error.type': 'RangeError',
      'quantum.error.message': 'shots out of range',
      'quantum.execution.success': false,
    });
    const ev = span.events.find((e) => e.name === 'exception');
    expect(ev?.attributes?.['exception.type']).toBe('RangeError');
    expect(String(ev?.attributes?.['exception.stacktrace'])).toContain('shots out of range');
    const err = sink.lines.find((l) => l.event_type === 'quantum_error');
    expect(err).toMatchObject({
      error_type: 'RangeError',
      error_message: 'shots out of range',
      exception: { type: 'RangeError' },
    });
    expect(err?.trace_id).toBe(span.spanContext().traceId);
    validateAll(sink);
  });

  it('monitor() records success and failure of the user function and rethrows', async () => {
    const { observer, exporter, sink } = setup();
    const got = await observer.monitor(async () => ({ counts: { '00': 10 } }), {
      provider: 'ibm',
      device: 'ibm_torino',
      name: 'mine',
      shots: 10,
      fidelity: () => ({ value: 0.5, method: 'hellinger' }),
    });
    expect(got).toEqual({ counts: { '00': 10 } });
    expect(() =>
      observer.monitor(
        () => {
          throw new Error('job rejected');
        },
        { provider: 'ibm', device: 'ibm_torino', name: 'mine' },
      ),
    ).toThrow('job rejected');
    const m = parseExposition(await observer.metrics());
    const pd = { provider: 'ibm', device: 'ibm_torino' };
    expect(m.get(key('quantum_circuit_executions_total', { ...pd, status: 'success' }))).toBe(1);
    expect(m.get(key('quantum_circuit_executions_total', { ...pd, status: 'error' }))).toBe(1);
    expect(m.get(key('quantum_circuit_execution_seconds_count', pd))).toBe(2);
    expect(m.get(key('quantum_circuit_fidelity', { ...pd, circuit_type: 'generic' }))).toBe(0.5);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.status.code)).toEqual([SpanStatusCode.UNSET, SpanStatusCode.ERROR]);
    expect(sink.lines.filter((l) => l.event_type === 'quantum_error')).toHaveLength(1);
    validateAll(sink);
  });
});

describe('never throws into the workload', () => {
  it('counts what it drops: failing hooks, invalid values, a device that cannot say its status', async () => {
    const { observer } = setup({
      costOf: () => {
        throw new Error('catalogue missing');
      },
      fidelityOf: () => ({ value: 1.7, method: 'hellinger' }),
    });
    const dev = new ScriptedDevice('fake_g', [{ queueSeconds: 1, executionSeconds: 1 }]);
    dev.status = async () => {
      throw new Error('status endpoint down');
    };
    const r = await observer.run(dev, bell());
    expect(r.status).toBe('success');
    expect(r.fidelity).toBeUndefined();
    expect(r.cost).toBeUndefined();
    observer.setQueueLength('local', 'fake_g', Number.NaN);
    const span = observer.createSpan('x');
    observer.addQuantumMetrics(span, { depth: Number.POSITIVE_INFINITY, qubits: 3 });
    span.end();
    const m = parseExposition(await observer.metrics());
    const dropped = (signal: string, reason: string) =>
      m.get(key('qobs_telemetry_dropped_total', { signal, reason }));
    expect(dropped('metrics', 'cost_hook_failed')).toBe(1);
    expect(dropped('metrics', 'invalid_fidelity')).toBe(1);
    expect(dropped('metrics', 'invalid_value')).toBe(1);
    expect(dropped('traces', 'invalid_attribute')).toBe(1);
    expect(observer.dropped).toBe(4);
    // The status is unknown: the gauge series is absent rather than a made-up 0 or 1.
    expect(m.has(key('quantum_device_status', { provider: 'local', device: 'fake_g' }))).toBe(false);
  });

  it('treats a time that is not finite non-negative seconds as unknown, and counts it', async () => {
    const { observer, sink } = setup();
    observer.recordExecution({
      provider: 'ibm',
      device: 'ibm_x',
      circuitName: 'c',
      shots: 5,
      status: 'success',
      executionSeconds: Number.NaN,
      queueSeconds: -3,
    });
    const m = parseExposition(await observer.metrics());
    expect(
      m.get(key('quantum_circuit_executions_total', { provider: 'ibm', device: 'ibm_x', status: 'success' })),
    ).toBe(1);
    expect(m.has(key('quantum_circuit_execution_seconds_count', { provider: 'ibm', device: 'ibm_x' }))).toBe(
      false,
    );
    expect(m.get(key('qobs_telemetry_dropped_total', { signal: 'metrics', reason: 'invalid_value' }))).toBe(
      1,
    );
    const line = sink.lines.find((l) => l.event_type === 'quantum_circuit_execution');
    expect(line?.execution_details).toMatchObject({ execution_time_seconds: null, queue_time_seconds: null });
    validateAll(sink);
  });

  it('with nothing configured (noop) every call works and returns the workload result', async () => {
    const observer = Observer.noop();
    expect(observer.enabled).toBe(false);
    const dev = new ScriptedDevice('fake_h', [{ queueSeconds: 1, executionSeconds: 1 }]);
    const r = await observer.run(dev, bell(), { shots: 3 });
    expect(r.job.counts).toEqual({ '00': 3 });
    expect(observer.traceAlgorithm({ name: 'a' }, (alg) => alg.layer(0, 'x', () => 5))).toBe(5);
    expect(
      await observer.traceTraining({ model: 'm' }, async (t) => t.epoch(0, async () => ({ loss: 1 }))),
    ).toEqual({ loss: 1 });
    expect(observer.monitor(() => 7, { provider: 'local', device: 'd' })).toBe(7);
    expect(() =>
      observer.traceCircuit('c', () => {
        throw new Error('user error');
      }),
    ).toThrow('user error');
    observer.setDeviceStatus('ibm', 'x', 'offline');
    observer.recordExecution({ provider: 'p', device: 'd', circuitName: 'c', shots: 1, status: 'success' });
    expect(await observer.metrics()).toBe('');
    await observer.shutdown();
  });

  it('rejects invalid configuration naming the field', () => {
    expect(() => new Observer({ serviceName: '' })).toThrow(/serviceName/);
    expect(() => new Observer({ serviceName: 's', logs: { level: 'loud' as 'info' } })).toThrow(
      /logs\.level/,
    );
    expect(() => new Observer({ serviceName: 's', logs: false, traces: { maxQueueSize: -1 } })).toThrow(
      /traces\.maxQueueSize/,
    );
  });
});

describe('trace plumbing', () => {
  it('redacts secrets in span attributes the caller supplies', async () => {
    const { observer, exporter } = setup();
    observer.traceCircuit(
      'c',
      (span) => observer.addQuantumMetrics(span, { 'db.url': 'postgres://u:s3cr3tpass@db/x' }),
      {
        'http.request.header.authorization': 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      },
    );
    const [span] = exporter.getFinishedSpans();
    expect(JSON.stringify(span.attributes)).not.toMatch(/s3cr3tpass|eyJhbGci/);
    expect(span.attributes['db.url']).toBe('postgres://u:[REDACTED]@db/x');
    const m = parseExposition(await observer.metrics());
    expect(
      m.get(
        key('quantum_security_events_total', {
          security_event_type: 'credential_exposure_detected',
          service: 'test-svc',
        }),
      ),
    ).toBe(2);
  });

  it('counts the spans the batch processor drops when its queue is full', async () => {
    const held: Array<() => void> = [];
    const exporter = {
      exported: 0,
      export(spans: ReadableSpan[], done: (r: { code: number }) => void) {
        this.exported += spans.length;
        held.push(() => done({ code: 0 }));
      },
      shutdown: async () => {},
    };
    const observer = new Observer({
      serviceName: 'queue',
      logs: false,
      traces: { exporter, maxQueueSize: 2, registerGlobal: false },
    });
    for (let i = 0; i < 10; i++) observer.createSpan(`s${i}`).end();
    await new Promise((r) => setTimeout(r, 50));
    const m = parseExposition(await observer.metrics());
    const dropped = m.get(key('qobs_telemetry_dropped_total', { signal: 'traces', reason: 'queue_full' }));
    // The queue holds 2; the exporter is busy with what it took, so every other span is dropped and counted.
    expect(dropped).toBe(10 - 2 - exporter.exported);
    expect(dropped).toBeGreaterThanOrEqual(6);
    for (const release of held) release();
  });

  it('registers no global tracer provider when traces are off', () => {
    new Observer({ serviceName: 'quiet', logs: false, traces: false });
    const delegate = (trace.getTracerProvider() as unknown as { getDelegate(): unknown }).getDelegate();
    expect(delegate?.constructor.name).toBe('NoopTracerProvider');
  });
});

describe('hardware setters', () => {
  it('asks a device for its state once per deviceRefreshMs, not once per run', async () => {
    const asked = { n: 0 };
    const make = (deviceRefreshMs: number) => {
      const dev = new ScriptedDevice('fake_r', [{ queueSeconds: 1, executionSeconds: 1 }]);
      dev.status = async () => {
        asked.n++;
        return 'online';
      };
      return { dev, observer: setup({ deviceRefreshMs }).observer };
    };
    const slow = make(60_000);
    for (let i = 0; i < 3; i++) await slow.observer.run(slow.dev, bell());
    expect(asked.n).toBe(1);
    asked.n = 0;
    const eager = make(0);
    for (let i = 0; i < 3; i++) await eager.observer.run(eager.dev, bell());
    expect(asked.n).toBe(3);
    expect(() => setup({ deviceRefreshMs: -1 })).toThrow(/deviceRefreshMs/);
  });

  it('sets the gauges and logs status changes and new calibrations as hardware events', async () => {
    const { observer, sink } = setup();
    observer.setDeviceStatus('ibm', 'ibm_torino', 'online');
    observer.setDeviceStatus('ibm', 'ibm_torino', 'maintenance');
    observer.setQueueLength('ibm', 'ibm_torino', 12);
    observer.setCalibrationAge('ibm', 'ibm_torino', 3.5);
    observer.setErrorRate('ibm', 'ibm_torino', 'readout_error', 0.011);
    const m = parseExposition(await observer.metrics());
    const pd = { provider: 'ibm', device: 'ibm_torino' };
    expect(m.get(key('quantum_device_status', pd))).toBe(0);
    expect(m.get(key('quantum_device_queue_length', pd))).toBe(12);
    expect(m.get(key('quantum_device_calibration_age_hours', pd))).toBe(3.5);
    expect(m.get(key('quantum_device_error_rate', { ...pd, error_type: 'readout_error' }))).toBe(0.011);
    const hw = sink.lines.filter((l) => l.event_type === 'quantum_hardware_event');
    expect(hw).toHaveLength(1);
    expect(hw[0]).toMatchObject({
      hardware_event_type: 'status_change',
      event_details: { from: 'online', to: 'maintenance' },
    });
    observer.algorithmPerformance(
      'qaoa',
      { approximation_ratio: 0.87 },
      { quantumAdvantage: false, classicalComparison: { goemans_williamson: 0.878 } },
    );
    validateAll(sink);
  });
});
