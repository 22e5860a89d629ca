// The official OpenTelemetry JS exporters (protobuf and JSON) send to the workbench; the same data comes back
// through its API, field by field.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as LogsHttp } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as MetricsHttp,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as TraceHttp } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkbench, type Workbench } from './workbench.js';

let wb: Workbench;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'qobs-wb-'));
  wb = await startWorkbench({ dataDir: dir, port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 });
});
afterAll(async () => {
  await wb.close();
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies, checked field by field below
async function get(p: string): Promise<any> {
  const res = await fetch(`${wb.url}${p}`);
  expect(res.status).toBe(200);
  return res.json();
}

const encodings = [
  { name: 'protobuf', Trace: TraceProto, Metrics: MetricsProto, Logs: LogsProto },
  { name: 'json', Trace: TraceHttp, Metrics: MetricsHttp, Logs: LogsHttp },
] as const;

describe.each(encodings)('official OpenTelemetry exporters ($name)', ({ name, Trace, Metrics, Logs }) => {
  const service = `svc-${name}`;
  const resource = resourceFromAttributes({
    'service.name': service,
    'service.instance.id': `inst-${name}`,
    'deployment.environment': 'test',
  });

  it('traces come back field by field', async () => {
    const exporter = new Trace({ url: `${wb.otlpUrl}/v1/traces` });
    const provider = new BasicTracerProvider({
      resource,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('qobs-test', '1.2.3');
    const start = Date.now() - 1000;
    const root = tracer.startSpan('quantum_training vqc', {
      startTime: start,
      attributes: { 'ml.model.name': 'vqc' },
    });
    const rootCtx = root.spanContext();
    const { trace, context } = await import('@opentelemetry/api');
    const child = tracer.startSpan(
      'quantum_circuit bell',
      {
        startTime: start + 10,
        kind: 2,
        attributes: {
          'quantum.shots': 1024,
          'quantum.device': 'local.statevector',
          'quantum.fidelity': 0.987,
          'quantum.execution.success': true,
          'quantum.tags': ['a', 'b'],
          'note.unicode': 'héllo ✓ 量子',
        },
      },
      trace.setSpan(context.active(), root),
    );
    child.addEvent('measured', { 'quantum.qubits': 2 }, start + 20);
    child.setStatus({ code: 2, message: 'readout too noisy' });
    child.end(start + 30);
    root.end(start + 50);
    await provider.forceFlush();
    await provider.shutdown();

    const t = await get(`/api/traces/${rootCtx.traceId}`);
    expect(t.traceId).toBe(rootCtx.traceId);
    expect(t.spans).toHaveLength(2);
    const [r, c] = t.spans;
    expect(r.name).toBe('quantum_training vqc');
    expect(r.spanId).toBe(rootCtx.spanId);
    expect(r.parentSpanId).toBe('');
    expect(r.service).toBe(service);
    expect(r.startTimeUnixNano).toBe(`${BigInt(start) * 1_000_000n}`);
    expect(r.endTimeUnixNano).toBe(`${BigInt(start + 50) * 1_000_000n}`);
    expect(r.durationMs).toBe(50);
    expect(r.attributes).toEqual({ 'ml.model.name': 'vqc' });
    expect(r.scope).toEqual({ name: 'qobs-test', version: '1.2.3' });
    expect(r.resource).toMatchObject({
      'service.name': service,
      'service.instance.id': `inst-${name}`,
      'deployment.environment': 'test',
    });
    expect(c.parentSpanId).toBe(rootCtx.spanId);
    expect(c.kind).toBe(3); // SpanKind.CLIENT (2 in the API) is 3 on the wire
    expect(c.attributes).toEqual({
      'quantum.shots': 1024,
      'quantum.device': 'local.statevector',
      'quantum.fidelity': 0.987,
      'quantum.execution.success': true,
      'quantum.tags': ['a', 'b'],
      'note.unicode': 'héllo ✓ 量子',
    });
    expect(c.events).toEqual([
      {
        timeUnixNano: `${BigInt(start + 20) * 1_000_000n}`,
        name: 'measured',
        attributes: { 'quantum.qubits': 2 },
      },
    ]);
    expect(c.status).toEqual({ code: 2, message: 'readout too noisy' });
    expect(c.flags & 1).toBe(1);

    const found = await get(`/api/traces?service=${service}&attr=quantum.shots=1024&min_duration_ms=15`);
    expect(found.traces.map((x: { traceId: string }) => x.traceId)).toEqual([rootCtx.traceId]);
    expect(found.traces[0]).toMatchObject({
      rootName: 'quantum_training vqc',
      spanCount: 2,
      errorCount: 1,
      durationMs: 50,
    });
    expect((await get(`/api/traces?service=${service}&min_duration_ms=51`)).traces).toEqual([]);
  });

  it('metrics come back under Prometheus names', async () => {
    const exporter = new Metrics({ url: `${wb.otlpUrl}/v1/metrics` });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ resource, readers: [reader] });
    const meter = provider.getMeter('qobs-test', '1.2.3');
    const counter = meter.createCounter('quantum.circuit.executions', {
      description: 'Circuits run',
      unit: '{execution}',
    });
    counter.add(3, { provider: 'local', device: 'statevector', status: 'ok' });
    counter.add(2, { provider: 'local', device: 'statevector', status: 'ok' });
    const hist = meter.createHistogram('quantum.circuit.execution', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.1, 0.5, 1] },
    });
    hist.record(0.05, { provider: 'local' });
    hist.record(0.7, { provider: 'local' });
    const gauge = meter.createGauge('quantum.hardware.noise_level', { unit: '1' });
    gauge.record(0.25, { provider: 'local', device: 'fake_toronto' });
    const updown = meter.createUpDownCounter('queue.length');
    updown.add(7);
    await reader.forceFlush();
    await provider.shutdown();

    const q = async (sel: string) => (await get(`/api/v1/series?match[]=${encodeURIComponent(sel)}`)).data;
    const job = service;
    const inst = `inst-${name}`;
    expect(await q(`quantum_circuit_executions_total{job="${job}"}`)).toEqual([
      {
        __name__: 'quantum_circuit_executions_total',
        job,
        instance: inst,
        provider: 'local',
        device: 'statevector',
        status: 'ok',
        otel_scope_name: 'qobs-test',
        otel_scope_version: '1.2.3',
      },
    ]);
    const sel = (n: string) => [
      { name: '__name__', op: '=' as const, value: n },
      { name: 'job', op: '=' as const, value: job },
    ];
    const value = (n: string, extra: Array<{ name: string; op: '='; value: string }> = []) => {
      const r = wb.store.select([...sel(n), ...extra], 0, Date.now() + 1000);
      expect(r).toHaveLength(1);
      return r[0].values[r[0].values.length - 1];
    };
    expect(value('quantum_circuit_executions_total')).toBe(5);
    expect(value('quantum_circuit_execution_seconds_bucket', [{ name: 'le', op: '=', value: '0.1' }])).toBe(
      1,
    );
    expect(value('quantum_circuit_execution_seconds_bucket', [{ name: 'le', op: '=', value: '0.5' }])).toBe(
      1,
    );
    expect(value('quantum_circuit_execution_seconds_bucket', [{ name: 'le', op: '=', value: '1' }])).toBe(2);
    expect(value('quantum_circuit_execution_seconds_bucket', [{ name: 'le', op: '=', value: '+Inf' }])).toBe(
      2,
    );
    expect(value('quantum_circuit_execution_seconds_count')).toBe(2);
    expect(value('quantum_circuit_execution_seconds_sum')).toBeCloseTo(0.75, 12);
    expect(value('quantum_hardware_noise_level_ratio')).toBe(0.25);
    expect(value('queue_length')).toBe(7);
    const info = wb.store.select([...sel('target_info')], 0, Date.now() + 1000);
    expect(info[0].labels).toMatchObject({ deployment_environment: 'test', instance: inst });
    const meta = (await get('/api/v1/metadata')).data;
    expect(meta.quantum_circuit_executions_total).toEqual([
      { type: 'counter', help: 'Circuits run', unit: '{execution}' },
    ]);
    expect(meta.quantum_circuit_execution_seconds[0].type).toBe('histogram');
    expect((await get('/api/v1/label/job/values')).data).toContain(job);
    const query = await get(
      `/api/v1/query?query=${encodeURIComponent(`sum(quantum_circuit_executions_total{job="${job}"})`)}`,
    );
    expect(query.status).toBe('success');
    expect(query.data.result[0].value[1]).toBe('5');
    const text = await (await fetch(`${wb.url}/metrics`)).text();
    expect(text).toContain('# TYPE quantum_circuit_executions_total counter');
    expect(text).toMatch(new RegExp(`quantum_circuit_executions_total\\{[^}]*job="${job}"[^}]*\\} 5`));
    expect(text).toMatch(/qobs_ingest_items_total\{signal="metrics"\} \d+/);
    expect(text).toMatch(/qobs_store_database_bytes \d+/);
  });

  it('delta temporality is stored as cumulative counters and histograms', async () => {
    const exporter = new Metrics({
      url: `${wb.otlpUrl}/v1/metrics`,
      temporalityPreference: AggregationTemporalityPreference.DELTA,
    });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': `${service}-delta` }),
      readers: [reader],
    });
    const meter = provider.getMeter('qobs-test');
    const counter = meter.createCounter('quantum.shots');
    const hist = meter.createHistogram('quantum.queue.wait', {
      unit: 's',
      advice: { explicitBucketBoundaries: [1, 10] },
    });
    // Each export carries what changed since the last; the store adds it to what it holds.
    const steps: Array<[number, number]> = [
      [3, 0.5],
      [2, 5],
      [4, 50],
    ];
    for (const [shots, wait] of steps) {
      counter.add(shots, { device: 'statevector' });
      hist.record(wait);
      await reader.forceFlush();
      // The next export must carry a later timestamp (milliseconds), or the store takes it for a duplicate.
      await new Promise((r) => setTimeout(r, 5));
    }
    await provider.shutdown();
    const job = `${service}-delta`;
    const series = (n: string, extra: Array<{ name: string; op: '='; value: string }> = []) => {
      const r = wb.store.select(
        [{ name: '__name__', op: '=', value: n }, { name: 'job', op: '=', value: job }, ...extra],
        0,
        Date.now() + 1000,
      );
      expect(r).toHaveLength(1);
      return Array.from(r[0].values);
    };
    expect(series('quantum_shots_total')).toEqual([3, 5, 9]);
    const le = (v: string) => [{ name: 'le', op: '=' as const, value: v }];
    expect(series('quantum_queue_wait_seconds_bucket', le('1'))).toEqual([1, 1, 1]);
    expect(series('quantum_queue_wait_seconds_bucket', le('10'))).toEqual([1, 2, 2]);
    expect(series('quantum_queue_wait_seconds_bucket', le('+Inf'))).toEqual([1, 2, 3]);
    expect(series('quantum_queue_wait_seconds_count')).toEqual([1, 2, 3]);
    expect(series('quantum_queue_wait_seconds_sum')).toEqual([0.5, 5.5, 55.5]);
    const rate = await get(
      `/api/v1/query?query=${encodeURIComponent(`increase(quantum_shots_total{job="${job}"}[1h])`)}`,
    );
    expect(Number(rate.data.result[0].value[1])).toBeGreaterThan(0);
  });

  it('logs come back with body, severity, attributes and trace context', async () => {
    const exporter = new Logs({ url: `${wb.otlpUrl}/v1/logs` });
    const provider = new LoggerProvider({
      resource,
      processors: [new SimpleLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger('qobs-test', '1.2.3');
    const time = Date.now() - 500;
    const traceId = name === 'json' ? '0af7651916cd43dd8448eb211c80319c' : '4bf92f3577b34da6a3ce929d0e0e4736';
    const { trace, context } = await import('@opentelemetry/api');
    const ctx = trace.setSpanContext(context.active(), {
      traceId,
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
    logger.emit({
      timestamp: time,
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: `circuit bell ran on torino via ${name}`,
      attributes: { event_type: 'quantum_circuit_execution', circuit_id: 'c-1', shots: 1024 },
      context: ctx,
    });
    logger.emit({
      timestamp: time + 1,
      severityNumber: SeverityNumber.ERROR,
      body: { message: 'structured', token: 'AKIAIOSFODNN7EXAMPLE' },
      attributes: { event_type: 'quantum_error' },
    });
    await provider.forceFlush();
    await provider.shutdown();

    const { logs } = await get(`/api/logs?trace_id=${traceId}`);
    expect(logs).toHaveLength(1);
    const l = logs[0];
    expect(l.body).toBe(`circuit bell ran on torino via ${name}`);
    expect(l.timeUnixNano).toBe(`${BigInt(time) * 1_000_000n}`);
    expect(l.severityNumber).toBe(13);
    expect(l.severityText).toBe('WARN');
    expect(l.level).toBe('warn');
    expect(l.attributes).toEqual({ event_type: 'quantum_circuit_execution', circuit_id: 'c-1', shots: 1024 });
    expect(l.eventType).toBe('quantum_circuit_execution');
    expect(l.spanId).toBe('00f067aa0ba902b7');
    expect(l.service).toBe(service);
    expect(l.scope).toEqual({ name: 'qobs-test', version: '1.2.3' });
    const text = await get(`/api/logs?q=${encodeURIComponent(`torino ${name}`)}`);
    expect(text.logs.map((x: { body: string }) => x.body)).toEqual([
      `circuit bell ran on torino via ${name}`,
    ]);
    const errs = await get(`/api/logs?level=error&event_type=quantum_error`);
    const mine = errs.logs.filter((x: { service: string }) => x.service === service);
    expect(mine).toHaveLength(1);
    // Secrets are redacted at ingest.
    expect(mine[0].body).toEqual({ message: 'structured', token: '[REDACTED]' });
    expect(JSON.stringify(await get('/api/logs?limit=1000'))).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });
});
