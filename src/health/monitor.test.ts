// The device monitor: a provider outage in the middle of monitoring, events, calibration history, job traces.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Calibration,
  type DeviceStatus,
  fakeCalibration,
  IonqProvider,
  type JobRecord,
  LocalProvider,
  type Provider,
  type ProviderDevice,
  ProviderUnavailableError,
} from '../devices/index.js';
import { startFakeApi } from '../devices/provider-conformance.case.js';
import { Store } from '../store/index.js';
import { Observer } from '../telemetry/index.js';
import { DriftDetector } from './drift.js';
import { MemoryCalibrationHistory, StoreCalibrationHistory } from './history.js';
import { JobTracer } from './jobs.js';
import { DeviceMonitor, type PollResult } from './monitor.js';

function sink(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { stream, lines };
}

async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`condition not met in ${timeoutMs} ms: ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function metricValue(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('DeviceMonitor: a provider outage in the middle of monitoring', () => {
  it('keeps other providers updating, shows the outage as unknown with an error log, and recovers', async () => {
    const KEY = 'ionq-monitor-key-55aa';
    const api = await startFakeApi((_req, url) => {
      if (url.pathname === '/backends')
        return {
          json: [
            {
              backend: 'qpu.aria-1',
              status: 'available',
              qubits: 25,
              average_queue_time: 1000,
              last_updated: 1,
            },
          ],
        };
      if (url.pathname === '/characterizations/backends/qpu.aria-1/current')
        return {
          json: {
            id: 'c1',
            date: 1_763_000_000,
            backend: 'qpu.aria-1',
            qubits: 25,
            connectivity: [],
            fidelity: { spam: { median: 0.99 }, '1q': { mean: 0.9998 }, '2q': { mean: 0.98 } },
            timing: { t1: 100, t2: 1, '1q': 1e-4, '2q': 6e-4, readout: 3e-4, reset: 2e-5 },
          },
        };
      return undefined;
    });
    cleanups.push(() => api.close());
    const logs = sink();
    const observer = new Observer({
      serviceName: 'monitor-test',
      logs: { destination: logs.stream },
      traces: false,
    });
    const polls: PollResult[] = [];
    const monitor = new DeviceMonitor({
      observer,
      providers: [
        {
          provider: new LocalProvider({ devices: ['local.fake_lima'] }),
          intervalMs: 30,
          jitter: 0,
          maxRequestsPerSecond: 1000,
        },
        {
          // A generous request timeout: a slow answer on a loaded machine must not count as an outage poll.
          provider: new IonqProvider({ apiKey: KEY, baseUrl: api.url, maxAttempts: 1, timeoutMs: 15_000 }),
          intervalMs: 30,
          jitter: 0,
          backoffMs: 20,
          maxBackoffMs: 80,
          maxRequestsPerSecond: 1000,
        },
      ],
      onPoll: (r) => polls.push(r),
    });
    cleanups.push(() => monitor.stop());
    const count = (provider: string, ok?: boolean) =>
      polls.filter((p) => p.provider === provider && (ok === undefined || p.ok === ok)).length;
    monitor.start();
    await waitFor(() => count('ionq', true) >= 2 && count('local', true) >= 2);
    let text = await observer.metrics();
    expect(metricValue(text, 'quantum_device_status', 'device="qpu.aria-1"')).toBe(1);

    // Outage: every IonQ request now fails with 503.
    api.fail({ status: 503 }, 1_000_000);
    const localBefore = count('local', true);
    await waitFor(() => count('ionq', false) >= 3);
    await waitFor(() => count('local', true) >= localBefore + 3);
    const ionqState = monitor.devices().find((d) => d.id === 'ionq.qpu.aria-1');
    expect(ionqState?.status).toBe('unknown');
    expect(ionqState?.lastError).toContain('503');
    expect(monitor.devices().find((d) => d.id === 'local.fake_lima')?.status).toBe('online');
    text = await observer.metrics();
    // Unknown is not offline: the status series is withdrawn, not set to 0.
    expect(metricValue(text, 'quantum_device_status', 'device="qpu.aria-1"')).toBeUndefined();
    expect(metricValue(text, 'quantum_device_status', 'device="fake_lima"')).toBe(1);
    const errors = logs.lines.filter(
      (l) => l.event_type === 'quantum_error' && (l.context as Record<string, unknown>)?.provider === 'ionq',
    );
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors[0].error_type).toBe('provider_unavailable');
    expect(JSON.stringify(logs.lines)).not.toContain(KEY);
    // Exponential backoff: 20, 40, 80, 80 ms (jitter off).
    const delays = polls.filter((p) => p.provider === 'ionq' && !p.ok).map((p) => p.nextPollMs);
    expect(delays.slice(0, 3)).toEqual([20, 40, 80]);
    expect(polls.find((p) => p.provider === 'ionq' && !p.ok)?.error).toBeInstanceOf(ProviderUnavailableError);
    expect(logs.lines.some((l) => l.hardware_event_type === 'device_offline')).toBe(false);

    // Recovery, with nobody's help.
    api.fail({ status: 503 }, 0);
    await waitFor(() => monitor.devices().find((d) => d.id === 'ionq.qpu.aria-1')?.status === 'online');
    // Once back, it stays back: no failed poll among the next three. (Counted from here, not from `fail`: a 503
    // already answered before the API recovered may still be on its way to the monitor.)
    const failedSoFar = count('ionq', false);
    const okSoFar = count('ionq', true);
    await waitFor(() => count('ionq', true) >= okSoFar + 3);
    expect(count('ionq', false)).toBe(failedSoFar);
    text = await observer.metrics();
    expect(metricValue(text, 'quantum_device_status', 'device="qpu.aria-1"')).toBe(1);
    expect(metricValue(text, 'quantum_device_calibration_age_hours', 'device="qpu.aria-1"')).toBeGreaterThan(
      0,
    );
  });
});

/** A scripted provider: the test sets what each poll sees. */
class ScriptedProvider implements Provider {
  readonly name = 'ibm' as const;
  statusValue: DeviceStatus = 'online';
  queue = 2;
  cal: Calibration;
  jobs: JobRecord[] = [];
  constructor(cal: Calibration) {
    this.cal = cal;
  }
  async listDevices(): Promise<ProviderDevice[]> {
    return [{ id: 'ibm.ibmq_lima', provider: 'ibm', name: 'ibmq_lima', numQubits: 5, kind: 'qpu' }];
  }
  async status(): Promise<DeviceStatus> {
    return this.statusValue;
  }
  async queueLength(): Promise<number> {
    return this.queue;
  }
  async calibration(): Promise<Calibration> {
    return this.cal;
  }
  async listJobs(): Promise<JobRecord[]> {
    return this.jobs;
  }
  async getJob(id: string): Promise<JobRecord> {
    const j = this.jobs.find((x) => x.id === id);
    if (!j) throw new Error('no job');
    return j;
  }
}

describe('DeviceMonitor: events, metrics and history', () => {
  const base: Calibration = { ...fakeCalibration('lima'), provider: 'ibm', device: 'ibmq_lima' };
  const later = (hours: number, scale = 1): Calibration => ({
    ...base,
    calibratedAt: new Date(Date.parse(base.calibratedAt) + hours * 3_600_000).toISOString(),
    qubits: base.qubits.map((q) => ({ ...q, readoutError: (q.readoutError ?? 0) * scale })),
  });

  it('logs offline/online, queue spikes and completed calibrations; stores each snapshot once in the store', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qobs-monitor-'));
    const store = Store.open({ dataDir: dir });
    cleanups.push(() => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const logs = sink();
    const observer = new Observer({
      serviceName: 'monitor-test',
      logs: { destination: logs.stream },
      traces: false,
    });
    const p = new ScriptedProvider(base);
    const now = new Date(Date.parse(base.calibratedAt) + 5 * 3_600_000);
    const monitor = new DeviceMonitor({
      observer,
      providers: [{ provider: p, maxRequestsPerSecond: 1000 }],
      history: new StoreCalibrationHistory(store),
      now: () => now,
    });
    await monitor.pollOnce('ibm');
    await monitor.pollOnce('ibm'); // unchanged: nothing new stored
    p.statusValue = 'offline';
    p.queue = 40;
    await monitor.pollOnce('ibm');
    p.statusValue = 'online';
    p.cal = later(24);
    await monitor.pollOnce('ibm');
    const events = logs.lines
      .filter((l) => l.event_type === 'quantum_hardware_event')
      .map((l) => l.hardware_event_type);
    expect(events).toContain('device_offline');
    expect(events).toContain('device_online');
    expect(events).toContain('queue_spike');
    expect(events).toContain('calibration_completed');
    expect(store.calibrations('ibm', 'ibmq_lima')).toHaveLength(2);
    const text = await observer.metrics();
    expect(metricValue(text, 'quantum_device_queue_length', 'device="ibmq_lima"')).toBe(40);
    expect(metricValue(text, 'quantum_device_qubit_t1_seconds', 'qubit="0"')).toBeCloseTo(
      base.qubits[0].t1Seconds!,
      12,
    );
    expect(metricValue(text, 'quantum_device_error_rate', 'error_type="readout_error"')).toBeGreaterThan(0);
    const state = monitor.devices()[0];
    expect(state.calibrationAgeHours).toBeCloseTo(-19, 6);
  });

  it('keeps unchanged snapshots once in memory and raises drift events through the monitor', async () => {
    const history = new MemoryCalibrationHistory();
    const logs = sink();
    const observer = new Observer({
      serviceName: 'monitor-test',
      logs: { destination: logs.stream },
      traces: false,
    });
    const p = new ScriptedProvider(base);
    const drifts: unknown[] = [];
    const monitor = new DeviceMonitor({
      observer,
      providers: [{ provider: p, maxRequestsPerSecond: 1000 }],
      history,
      drift: new DriftDetector({ warmup: 3 }),
      onDrift: (e) => drifts.push(e),
    });
    for (let day = 0; day < 4; day++) {
      p.cal = later(24 * day, 1 + 0.01 * (day % 2));
      await monitor.pollOnce('ibm');
      await monitor.pollOnce('ibm');
    }
    expect(history.list('ibm', 'ibmq_lima')).toHaveLength(4);
    expect(drifts).toHaveLength(0);
    p.cal = later(24 * 5, 3);
    await monitor.pollOnce('ibm');
    p.cal = later(24 * 6, 3);
    await monitor.pollOnce('ibm');
    expect(drifts.length).toBeGreaterThanOrEqual(5);
    expect(logs.lines.some((l) => l.hardware_event_type === 'calibration_drift')).toBe(true);
    expect(
      metricValue(await observer.metrics(), 'quantum_device_drift_events_total', 'parameter="readout_error"'),
    ).toBe(5);
  });

  it('turns provider jobs into span trees once, with unknown phases marked and the first failure reason kept', async () => {
    const exporter = new InMemorySpanExporter();
    const observer = new Observer({
      serviceName: 'monitor-test',
      logs: false,
      traces: { exporter, processor: 'simple', registerGlobal: false },
    });
    const tracer = new JobTracer(observer);
    const t0 = Date.parse('2026-11-20T10:00:00Z');
    const failed: JobRecord = {
      id: 'task-1',
      provider: 'braket',
      device: 'iqm/garnet',
      status: 'failed',
      shots: 100,
      createdAt: new Date(t0),
      startedAt: null,
      finishedAt: new Date(t0 + 60_000),
      error: { type: 'failed', message: 'Device went offline' },
    };
    const done: JobRecord = {
      id: 'job-2',
      provider: 'ibm',
      device: 'ibm_fez',
      status: 'completed',
      shots: 100,
      createdAt: new Date(t0),
      startedAt: new Date(t0 + 30_000),
      finishedAt: new Date(t0 + 40_000),
    };
    expect(tracer.observe([failed, done])).toBe(2);
    // The provider later deletes the reason; the first one is kept, and the job is not traced twice.
    expect(tracer.observe([{ ...failed, error: undefined }])).toBe(0);
    expect(tracer.failureReason('braket:task-1')?.message).toBe('Device went offline');
    await observer.flush();
    const spans = exporter.getFinishedSpans();
    const braketSpans = spans.filter(
      (s) =>
        s.attributes['quantum.job.id'] === 'task-1' ||
        s.parentSpanContext?.spanId ===
          spans.find((x) => x.attributes['quantum.job.id'] === 'task-1')?.spanContext().spanId,
    );
    expect(braketSpans.map((s) => s.name).sort()).toEqual(
      ['created', 'finished', 'quantum_job braket.iqm/garnet', 'queued', 'running'].sort(),
    );
    expect(braketSpans.find((s) => s.name === 'queued')?.attributes['quantum.job.phase']).toBe('unknown');
    const text = await observer.metrics();
    // Only the IBM job has a known queue time (30 s) and execution time (10 s).
    expect(text).toMatch(/quantum_circuit_queue_seconds_count\{provider="ibm",device="ibm_fez"\} 1/);
    expect(text).not.toMatch(/quantum_circuit_queue_seconds_count\{provider="braket"/);
    await observer.shutdown();
  });

  it('spaces calls to a provider by its rate limit and jitters the next poll within its bounds', async () => {
    const observer = new Observer({ serviceName: 'monitor-test', logs: false, traces: false });
    const p = new ScriptedProvider(base);
    let calls = 0;
    const stamps: number[] = [];
    const counted = new Proxy(p, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls++;
          stamps.push(Date.now());
          return v.apply(target, args);
        };
      },
    });
    const monitor = new DeviceMonitor({
      observer,
      providers: [{ provider: counted, maxRequestsPerSecond: 20, intervalMs: 1000, jitter: 0.1 }],
    });
    const r = await monitor.pollOnce('ibm');
    // listDevices, status, queueLength, calibration: four calls at least 50 ms apart.
    expect(calls).toBe(4);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i] - stamps[i - 1]).toBeGreaterThanOrEqual(49);
    expect(r.nextPollMs).toBeGreaterThanOrEqual(900);
    expect(r.nextPollMs).toBeLessThanOrEqual(1100);
  });

  it('refuses a provider listed twice and a non-positive rate, naming the field', () => {
    const observer = new Observer({ serviceName: 'monitor-test', logs: false, traces: false });
    const p = new ScriptedProvider(base);
    expect(() => new DeviceMonitor({ observer, providers: [{ provider: p }, { provider: p }] })).toThrow(
      /providers\[1\]/,
    );
    expect(
      () => new DeviceMonitor({ observer, providers: [{ provider: p, maxRequestsPerSecond: 0 }] }),
    ).toThrow(/maxRequestsPerSecond/);
  });

  it('forecasts a trending readout error as an event and a gauge', async () => {
    const logs = sink();
    const observer = new Observer({
      serviceName: 'monitor-test',
      logs: { destination: logs.stream },
      traces: false,
    });
    const p = new ScriptedProvider(base);
    const monitor = new DeviceMonitor({
      observer,
      providers: [{ provider: p, maxRequestsPerSecond: 1000 }],
      drift: new DriftDetector({ h: 1000 }),
      forecastHorizonHours: 24 * 60,
    });
    for (let day = 0; day < 16; day++) {
      p.cal = later(24 * day, 1.04 ** day);
      await monitor.pollOnce('ibm');
    }
    const f = logs.lines.filter((l) => l.hardware_event_type === 'drift_forecast').at(-1);
    expect(f).toBeDefined();
    const details = f!.event_details as { parameter: string; hours_to_threshold: number };
    expect(details.parameter).toBe('readout_error');
    // 4% a day from a baseline near the start: 2x the baseline is two to three weeks away.
    expect(details.hours_to_threshold).toBeGreaterThan(24 * 5);
    expect(details.hours_to_threshold).toBeLessThan(24 * 40);
    const gauge = metricValue(
      await observer.metrics(),
      'quantum_device_drift_forecast_hours',
      'device="ibmq_lima"',
    );
    expect(gauge).toBeCloseTo(details.hours_to_threshold, 6);
  });
});
