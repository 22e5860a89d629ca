// The device monitor: polls each provider on its own schedule (jitter, rate limit, exponential backoff), sets
// the device metrics, keeps calibration history, logs hardware events, feeds drift detection and job traces.
import { Counter, Gauge } from 'prom-client';
import type { Calibration, DeviceStatus, Provider, ProviderDevice } from '../devices/index.js';
import { QobsConfigError } from '../errors.js';
import { calibrationErrorRates, type Observer } from '../telemetry/index.js';
import type { DriftDetector, DriftEvent } from './drift.js';
import type { CalibrationHistory } from './history.js';
import type { JobTracer } from './jobs.js';

/** One provider under watch and its schedule. */
export interface MonitoredProvider {
  readonly provider: Provider;
  /** Time between successful polls. Default 5 minutes. */
  readonly intervalMs?: number;
  /** Each delay is spread by ± this fraction, so many monitors do not poll in step. Default 0.1. */
  readonly jitter?: number;
  /** At most this many API calls a second to this provider. Default 5. */
  readonly maxRequestsPerSecond?: number;
  /** First retry delay after a failed poll; doubled each failure up to `maxBackoffMs`. Default 10 s. */
  readonly backoffMs?: number;
  /** Default 15 minutes. */
  readonly maxBackoffMs?: number;
  /** Only these device names (default all the provider lists). */
  readonly devices?: readonly string[];
  /** Also read recent jobs into traces (needs a JobTracer). Default false. */
  readonly jobs?: boolean;
}

export interface MonitorOptions {
  readonly observer: Observer;
  readonly providers: readonly MonitoredProvider[];
  readonly history?: CalibrationHistory;
  readonly drift?: DriftDetector;
  readonly jobs?: JobTracer;
  /** A queue this many times its running average (and at least `queueSpikeMin` jobs) is a spike. Default 3. */
  readonly queueSpikeFactor?: number;
  /** Default 10. */
  readonly queueSpikeMin?: number;
  /** For tests: clock and randomness. */
  readonly now?: () => Date;
  readonly random?: () => number;
  /** Called after every poll of a provider (successful or not). */
  readonly onPoll?: (result: PollResult) => void;
  /** A drift forecast within this many hours is logged as `drift_forecast` and set as a gauge. Default 72. */
  readonly forecastHorizonHours?: number;
  /** Called for every drift event. */
  readonly onDrift?: (event: DriftEvent) => void;
}

/** What one poll of a provider did. */
export interface PollResult {
  readonly provider: string;
  readonly ok: boolean;
  readonly devices: number;
  readonly error?: unknown;
  /** Milliseconds until the next poll. */
  readonly nextPollMs: number;
}

/** The monitor's view of a device. */
export interface DeviceState {
  readonly id: string;
  readonly provider: string;
  readonly name: string;
  readonly status: DeviceStatus;
  readonly numQubits?: number;
  readonly queueLength?: number;
  readonly calibration?: Calibration;
  readonly calibrationAgeHours?: number;
  readonly updatedAt: Date;
  readonly lastError?: string;
}

/** Spaces calls to one provider at least `1000 / perSecond` ms apart. */
class RateLimiter {
  private nextAtMs = 0;
  constructor(private readonly gapMs: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    // Calls of one provider are sequential within a poll, but pollOnce and the timer may overlap: loop until
    // this caller holds the slot. The slot starts when the call really starts, so a late timer never
    // lets the next call in early.
    for (let waitMs = this.nextAtMs - Date.now(); waitMs > 0; waitMs = this.nextAtMs - Date.now())
      await new Promise((r) => setTimeout(r, waitMs));
    this.nextAtMs = Date.now() + this.gapMs;
    return fn();
  }
}

interface ProviderRun {
  readonly cfg: MonitoredProvider;
  readonly limiter: RateLimiter;
  failures: number;
  timer?: NodeJS.Timeout;
  polling?: Promise<PollResult>;
  readonly known: Set<string>;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Watches providers. A provider that fails marks its devices `unknown` (not offline), logs a `quantum_error`
 * and is retried with exponential backoff; the other providers go on as before.
 * @example
 *   const monitor = new DeviceMonitor({ observer, providers: [{ provider: new LocalProvider(), intervalMs: 60_000 }] });
 *   monitor.start();
 */
export class DeviceMonitor {
  private readonly observer: Observer;
  private readonly runs: ProviderRun[];
  private readonly states = new Map<string, DeviceState>();
  private readonly queueAverage = new Map<string, number>();
  private readonly now: () => Date;
  private readonly random: () => number;
  private running = false;
  private readonly qubitGauges:
    | { t1: Gauge; t2: Gauge; readout: Gauge; drift: Counter; forecast: Gauge }
    | undefined;

  constructor(private readonly options: MonitorOptions) {
    this.observer = options.observer;
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    const names = new Set<string>();
    this.runs = options.providers.map((cfg, i) => {
      if (names.has(cfg.provider.name))
        throw new QobsConfigError(`providers[${i}]`, `provider '${cfg.provider.name}' is listed twice`);
      names.add(cfg.provider.name);
      const rps = cfg.maxRequestsPerSecond ?? 5;
      if (!(rps > 0)) throw new QobsConfigError(`providers[${i}].maxRequestsPerSecond`, 'must be positive');
      if (cfg.intervalMs !== undefined && !(cfg.intervalMs > 0))
        throw new QobsConfigError(`providers[${i}].intervalMs`, 'must be positive');
      return { cfg, limiter: new RateLimiter(1000 / rps), failures: 0, known: new Set<string>() };
    });
    const registry = this.observer.quantumMetrics?.registry;
    if (registry) {
      const gauge = (name: string, help: string, labels: string[]) =>
        (registry.getSingleMetric(name) as Gauge | undefined) ??
        new Gauge({ name, help, labelNames: labels, registers: [registry] });
      const q = ['provider', 'device', 'qubit'];
      this.qubitGauges = {
        t1: gauge('quantum_device_qubit_t1_seconds', 'T1 of a qubit in the calibration in force.', q),
        t2: gauge('quantum_device_qubit_t2_seconds', 'T2 of a qubit in the calibration in force.', q),
        readout: gauge('quantum_device_qubit_readout_error', 'Readout assignment error of a qubit.', q),
        forecast: gauge(
          'quantum_device_drift_forecast_hours',
          'Hours until the soonest trending calibration figure of a device reaches its drift threshold.',
          ['provider', 'device'],
        ),
        drift:
          (registry.getSingleMetric('quantum_device_drift_events_total') as Counter | undefined) ??
          new Counter({
            name: 'quantum_device_drift_events_total',
            help: 'Calibration drift events raised since the monitor started, by parameter.',
            labelNames: ['provider', 'device', 'parameter'],
            registers: [registry],
          }),
      };
    }
  }

  /** Starts polling every provider (the first poll at once, spread by jitter). */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const run of this.runs) this.schedule(run, this.random() * 50);
  }

  /** Stops all timers and waits for polls in flight. */
  async stop(): Promise<void> {
    this.running = false;
    for (const run of this.runs) if (run.timer) clearTimeout(run.timer);
    await Promise.allSettled(this.runs.map((r) => r.polling).filter(Boolean));
  }

  /** Every device seen, with its last state. */
  devices(): DeviceState[] {
    return [...this.states.values()];
  }

  private schedule(run: ProviderRun, delayMs: number): void {
    if (!this.running) return;
    run.timer = setTimeout(() => {
      run.polling = this.poll(run).then((r) => {
        this.schedule(run, r.nextPollMs);
        return r;
      });
    }, delayMs);
    run.timer.unref?.();
  }

  /** Polls one provider now (also used by `qobs devices` for a single pass). */
  pollOnce(providerName: string): Promise<PollResult> {
    const run = this.runs.find((r) => r.cfg.provider.name === providerName);
    if (!run) throw new QobsConfigError('provider', `'${providerName}' is not monitored`);
    return this.poll(run);
  }

  /** Polls every provider once, concurrently. */
  pollAll(): Promise<PollResult[]> {
    return Promise.all(this.runs.map((r) => this.poll(r)));
  }

  private jittered(ms: number, jitter: number): number {
    return Math.max(0, ms * (1 + jitter * (2 * this.random() - 1)));
  }

  private async poll(run: ProviderRun): Promise<PollResult> {
    const { cfg } = run;
    const p = cfg.provider;
    const interval = cfg.intervalMs ?? 300_000;
    const jitter = cfg.jitter ?? 0.1;
    let result: PollResult;
    try {
      const listed = await run.limiter.run(() => p.listDevices());
      const wanted = cfg.devices ? listed.filter((d) => cfg.devices!.includes(d.name)) : listed;
      for (const d of wanted) await this.pollDevice(run, d);
      if (cfg.jobs && this.options.jobs) {
        const jobs = await run.limiter.run(() => p.listJobs({ limit: 50 }));
        this.options.jobs.observe(jobs);
      }
      run.failures = 0;
      result = {
        provider: p.name,
        ok: true,
        devices: wanted.length,
        nextPollMs: this.jittered(interval, jitter),
      };
    } catch (err) {
      run.failures++;
      // An outage is not an offline device: every device of this provider becomes unknown.
      for (const id of run.known) this.markUnknown(id, errorText(err));
      this.observer.error(err, {
        provider: p.name,
        context: 'device_monitor_poll',
        consecutive_failures: run.failures,
      });
      const backoff = Math.min(
        cfg.maxBackoffMs ?? 900_000,
        (cfg.backoffMs ?? 10_000) * 2 ** (run.failures - 1),
      );
      result = {
        provider: p.name,
        ok: false,
        devices: 0,
        error: err,
        nextPollMs: this.jittered(backoff, jitter),
      };
    }
    try {
      this.options.onPoll?.(result);
    } catch {
      // a listener's failure is not the monitor's
    }
    return result;
  }

  private markUnknown(id: string, reason: string): void {
    const s = this.states.get(id);
    if (!s || s.status === 'unknown') return;
    this.states.set(id, { ...s, status: 'unknown', updatedAt: this.now(), lastError: reason });
    this.observer.setDeviceStatus(s.provider, s.name, 'unknown');
  }

  private async pollDevice(run: ProviderRun, d: ProviderDevice): Promise<void> {
    const p = run.cfg.provider;
    const id = d.id;
    run.known.add(id);
    const before = this.states.get(id);
    const status = await run.limiter.run(() => p.status(d.name));
    const queue = await run.limiter.run(() => p.queueLength(d.name));
    let cal = before?.calibration;
    try {
      cal = (await run.limiter.run(() => p.calibration(d.name))) ?? undefined;
    } catch (err) {
      // A device whose calibration cannot be read keeps its status; the error is logged, the old snapshot kept.
      this.observer.error(err, { provider: p.name, device: d.name, context: 'calibration' });
    }
    const now = this.now();
    this.observer.setDeviceStatus(p.name, d.name, status);
    const prevStatus = before?.status;
    if (prevStatus && prevStatus !== status && status !== 'unknown') {
      if (status === 'offline' || status === 'maintenance')
        this.observer.hardwareEvent(p.name, d.name, 'device_offline', { from: prevStatus, to: status });
      else if (status === 'online' && (prevStatus === 'offline' || prevStatus === 'maintenance'))
        this.observer.hardwareEvent(p.name, d.name, 'device_online', { from: prevStatus, to: status });
    }
    if (queue !== undefined) {
      this.observer.setQueueLength(p.name, d.name, queue);
      const avg = this.queueAverage.get(id);
      const factor = this.options.queueSpikeFactor ?? 3;
      const min = this.options.queueSpikeMin ?? 10;
      if (avg !== undefined && queue >= min && queue > factor * Math.max(avg, 1))
        this.observer.hardwareEvent(p.name, d.name, 'queue_spike', { queue_length: queue, average: avg });
      this.queueAverage.set(id, avg === undefined ? queue : 0.8 * avg + 0.2 * queue);
    }
    let ageHours: number | undefined;
    if (cal) {
      const at = Date.parse(cal.calibratedAt);
      ageHours = Number.isFinite(at) ? (now.getTime() - at) / 3_600_000 : undefined;
      this.observer.recordCalibration(cal, now);
      const changed = before?.calibration?.calibratedAt !== cal.calibratedAt;
      const stored = this.options.history?.put(cal) ?? changed;
      if (changed && before?.calibration)
        this.observer.hardwareEvent(p.name, d.name, 'calibration_completed', {
          calibrated_at: cal.calibratedAt,
          previous: before.calibration.calibratedAt,
          stored,
          ...calibrationErrorRates(cal),
        });
      if (changed) this.recordQubits(cal, p.name, d.name);
      if (changed && this.options.drift) {
        for (const e of this.options.drift.update(cal)) {
          this.qubitGauges?.drift.inc({ provider: p.name, device: d.name, parameter: e.parameter });
          this.observer.hardwareEvent(p.name, d.name, 'calibration_drift', {
            parameter: e.parameter,
            qubits: e.qubits,
            ...(e.gate ? { gate: e.gate } : {}),
            direction: e.direction,
            degraded: e.degraded,
            baseline: e.baseline,
            value: e.value,
            score: e.score,
            calibrated_at: e.calibratedAt,
          });
          this.options.onDrift?.(e);
        }
        this.recordForecast(p.name, d.name);
      }
    }
    this.states.set(id, {
      id,
      provider: p.name,
      name: d.name,
      status,
      numQubits: d.numQubits ?? cal?.numQubits,
      ...(queue !== undefined ? { queueLength: queue } : {}),
      ...(cal ? { calibration: cal } : {}),
      ...(ageHours !== undefined ? { calibrationAgeHours: ageHours } : {}),
      updatedAt: now,
    });
  }

  /** Sets the forecast gauge (withdrawn when nothing trends to its threshold) and logs the soonest crossing. */
  private recordForecast(provider: string, device: string): void {
    const drift = this.options.drift;
    if (!drift) return;
    const horizon = this.options.forecastHorizonHours ?? 72;
    const [soonest] = drift.forecast(provider, device, horizon);
    const labels = { provider, device };
    if (!soonest) {
      this.qubitGauges?.forecast.remove(labels);
      return;
    }
    this.qubitGauges?.forecast.set(labels, soonest.hoursToThreshold);
    this.observer.hardwareEvent(provider, device, 'drift_forecast', {
      parameter: soonest.parameter,
      qubits: soonest.qubits,
      ...(soonest.gate ? { gate: soonest.gate } : {}),
      value: soonest.value,
      threshold: soonest.threshold,
      hours_to_threshold: soonest.hoursToThreshold,
    });
  }

  private recordQubits(cal: Calibration, provider: string, device: string): void {
    const g = this.qubitGauges;
    if (!g) return;
    for (const q of cal.qubits) {
      const labels = { provider, device, qubit: String(q.qubit) };
      if (q.t1Seconds !== undefined) g.t1.set(labels, q.t1Seconds);
      if (q.t2Seconds !== undefined) g.t2.set(labels, q.t2Seconds);
      if (q.readoutError !== undefined) g.readout.set(labels, q.readoutError);
    }
  }
}
