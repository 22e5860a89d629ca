// Calibration drift detection: per-qubit and per-gate EWMA baselines with two-sided CUSUM alarms, and a
// Holt linear-trend forecast of when a parameter crosses its threshold.
import type { Calibration } from '../devices/index.js';

/** Which calibration figure a series follows. */
export type DriftParameter = 't1' | 't2' | 'readout_error' | 'gate_error';

/** Parameters of the detector; the defaults are those documented and measured in docs/health.md. */
export interface DriftOptions {
  /** Snapshots that form the first baseline (and each new one after an alarm). Default 8. */
  readonly warmup?: number;
  /** EWMA weight of a new in-control snapshot in the baseline mean and variance. Default 0.1. */
  readonly alpha?: number;
  /** CUSUM allowance in baseline standard deviations. Default 1. */
  readonly k?: number;
  /** CUSUM decision interval in baseline standard deviations. Default 8. */
  readonly h?: number;
  /** Floor on the baseline standard deviation of log(value): changes under ~this fraction are never drift. Default 0.05. */
  readonly minSigma?: number;
  /** Forecast threshold as a multiple of the baseline (errors: above; T1/T2: below its inverse). Default 2. */
  readonly thresholdFactor?: number;
  /** Series kept per device at most (a buffer maximum; extra series are dropped and counted). Default 20 000. */
  readonly maxSeriesPerDevice?: number;
}

/** A drift alarm on one series. */
export interface DriftEvent {
  readonly provider: string;
  readonly device: string;
  readonly parameter: DriftParameter;
  /** The qubits of the series (one for qubit parameters, the gate's qubits for gate errors). */
  readonly qubits: readonly number[];
  /** The gate, for `gate_error`. */
  readonly gate?: string;
  readonly direction: 'up' | 'down';
  /** True when the change makes the device worse (errors up, coherence down). */
  readonly degraded: boolean;
  readonly baseline: number;
  readonly value: number;
  /** The CUSUM statistic that crossed `h`. */
  readonly score: number;
  /** `calibratedAt` of the snapshot that raised it. */
  readonly calibratedAt: string;
}

/** When a trending series is expected to cross its threshold. */
export interface DriftForecast {
  readonly parameter: DriftParameter;
  readonly qubits: readonly number[];
  readonly gate?: string;
  readonly value: number;
  readonly threshold: number;
  /** Hours from the last snapshot until the trend reaches the threshold. */
  readonly hoursToThreshold: number;
}

interface Series {
  readonly parameter: DriftParameter;
  readonly qubits: readonly number[];
  readonly gate?: string;
  warm: number[];
  mean: number;
  variance: number;
  ready: boolean;
  up: number;
  down: number;
  // Holt trend on log(value), per hour.
  level: number;
  slope: number;
  lastAtMs: number;
  baselineValue: number;
  lastValue: number;
}

interface DeviceState {
  readonly series: Map<string, Series>;
  lastCalibratedAt?: string;
  /** Median baseline standard deviation per parameter over the device's ready series, this snapshot. */
  pooled: Map<DriftParameter, number>;
}

/** The figures of a calibration that drift is tracked on, keyed by series. */
export function driftSeries(
  cal: Calibration,
): Array<{ key: string; parameter: DriftParameter; qubits: number[]; gate?: string; value: number }> {
  const out: Array<{
    key: string;
    parameter: DriftParameter;
    qubits: number[];
    gate?: string;
    value: number;
  }> = [];
  const add = (parameter: DriftParameter, qubits: number[], value: number | undefined, gate?: string) => {
    // Log scale needs a positive value; a zero error (virtual gates) carries no drift signal.
    if (value === undefined || !Number.isFinite(value) || value <= 0) return;
    const key = gate ? `${parameter}:${gate}:${qubits.join('_')}` : `${parameter}:${qubits.join('_')}`;
    out.push({ key, parameter, qubits, ...(gate ? { gate } : {}), value });
  };
  for (const q of cal.qubits) {
    add('t1', [q.qubit], q.t1Seconds);
    add('t2', [q.qubit], q.t2Seconds);
    add('readout_error', [q.qubit], q.readoutError);
  }
  for (const g of cal.gates)
    if (g.gate !== 'id' && g.gate !== 'rz') add('gate_error', [...g.qubits], g.error, g.gate);
  return out;
}

function pooledSigma(series: Map<string, Series>): Map<DriftParameter, number> {
  const by = new Map<DriftParameter, number[]>();
  for (const s of series.values()) {
    if (!s.ready) continue;
    const list = by.get(s.parameter) ?? [];
    if (list.length === 0) by.set(s.parameter, list);
    list.push(Math.sqrt(s.variance));
  }
  const out = new Map<DriftParameter, number>();
  for (const [p, list] of by) {
    list.sort((a, b) => a - b);
    out.set(p, list[list.length >> 1]);
  }
  return out;
}

const worseWhenUp = (p: DriftParameter) => p === 'readout_error' || p === 'gate_error';

/**
 * Tracks every qubit and gate figure of each device across calibration snapshots. Each series is followed on
 * a log scale (relative changes); its baseline mean and variance come from `warmup` snapshots, then follow an
 * EWMA of in-control snapshots. A two-sided CUSUM of standardized residuals raises a DriftEvent when it
 * crosses `h`; the series then relearns its baseline from the snapshots that follow.
 * @example
 *   const drift = new DriftDetector();
 *   for (const cal of history) for (const e of drift.update(cal)) console.log(e.parameter, e.qubits);
 */
export class DriftDetector {
  private readonly warmup: number;
  private readonly alpha: number;
  private readonly k: number;
  private readonly h: number;
  private readonly minSigma: number;
  private readonly thresholdFactor: number;
  private readonly maxSeries: number;
  private readonly devices = new Map<string, DeviceState>();
  /** Series not tracked because a device exceeded `maxSeriesPerDevice`. */
  droppedSeries = 0;

  constructor(options: DriftOptions = {}) {
    this.warmup = options.warmup ?? 8;
    this.alpha = options.alpha ?? 0.1;
    this.k = options.k ?? 1;
    this.h = options.h ?? 8;
    this.minSigma = options.minSigma ?? 0.05;
    this.thresholdFactor = options.thresholdFactor ?? 2;
    this.maxSeries = options.maxSeriesPerDevice ?? 20_000;
  }

  /** Feeds one snapshot; a snapshot with the same `calibratedAt` as the last one is ignored. */
  update(cal: Calibration): DriftEvent[] {
    const devKey = `${cal.provider}.${cal.device}`;
    let dev = this.devices.get(devKey);
    if (!dev) {
      dev = { series: new Map(), pooled: new Map() };
      this.devices.set(devKey, dev);
    }
    if (dev.lastCalibratedAt === cal.calibratedAt) return [];
    dev.lastCalibratedAt = cal.calibratedAt;
    const atMs = Date.parse(cal.calibratedAt);
    dev.pooled = pooledSigma(dev.series);
    const events: DriftEvent[] = [];
    for (const obs of driftSeries(cal)) {
      let s = dev.series.get(obs.key);
      if (!s) {
        if (dev.series.size >= this.maxSeries) {
          this.droppedSeries++;
          continue;
        }
        s = {
          parameter: obs.parameter,
          qubits: obs.qubits,
          ...(obs.gate ? { gate: obs.gate } : {}),
          warm: [],
          mean: 0,
          variance: 0,
          ready: false,
          up: 0,
          down: 0,
          level: Math.log(obs.value),
          slope: 0,
          lastAtMs: atMs,
          baselineValue: obs.value,
          lastValue: obs.value,
        };
        dev.series.set(obs.key, s);
      }
      const e = this.step(s, obs.value, atMs, dev.pooled.get(s.parameter) ?? 0);
      if (e)
        events.push({
          provider: cal.provider,
          device: cal.device,
          parameter: s.parameter,
          qubits: s.qubits,
          ...(s.gate ? { gate: s.gate } : {}),
          calibratedAt: cal.calibratedAt,
          ...e,
        });
    }
    return events;
  }

  private step(
    s: Series,
    value: number,
    atMs: number,
    pooled: number,
  ): Omit<DriftEvent, 'provider' | 'device' | 'parameter' | 'qubits' | 'gate' | 'calibratedAt'> | undefined {
    const x = Math.log(value);
    // Holt's linear trend (alpha 0.3, beta 0.1) on log(value), per hour, for the forecast.
    const dtHours = (atMs - s.lastAtMs) / 3_600_000;
    if (dtHours > 0) {
      const predicted = s.level + s.slope * dtHours;
      const level = 0.3 * x + 0.7 * predicted;
      s.slope = 0.1 * ((level - s.level) / dtHours) + 0.9 * s.slope;
      s.level = level;
    }
    s.lastAtMs = atMs;
    s.lastValue = value;
    if (!s.ready) {
      s.warm.push(x);
      if (s.warm.length >= this.warmup) {
        const n = s.warm.length;
        s.mean = s.warm.reduce((a, b) => a + b, 0) / n;
        s.variance = s.warm.reduce((a, b) => a + (b - s.mean) ** 2, 0) / Math.max(1, n - 1);
        s.baselineValue = Math.exp(s.mean);
        s.ready = true;
        s.warm = [];
        s.up = 0;
        s.down = 0;
      }
      return undefined;
    }
    // A baseline of a few snapshots can underestimate its spread; qubits of one device share their noise level,
    // so the device's median spread for the parameter is a floor too.
    const sigma = Math.max(Math.sqrt(s.variance), pooled, this.minSigma);
    const z = (x - s.mean) / sigma;
    s.up = Math.max(0, s.up + z - this.k);
    s.down = Math.max(0, s.down - z - this.k);
    if (s.up > this.h || s.down > this.h) {
      const direction = s.up > this.h ? 'up' : 'down';
      const score = Math.max(s.up, s.down);
      const baseline = Math.exp(s.mean);
      // The device changed: learn the new level as the baseline, starting with this snapshot.
      s.ready = false;
      s.warm = [x];
      s.up = 0;
      s.down = 0;
      return {
        direction,
        degraded: worseWhenUp(s.parameter) === (direction === 'up'),
        baseline,
        value,
        score,
      };
    }
    // In control: the baseline follows slowly (an EWMA), so seasonal wander does not accumulate as drift.
    if (Math.abs(z) < 3) {
      const d = x - s.mean;
      s.mean += this.alpha * d;
      s.variance = (1 - this.alpha) * (s.variance + this.alpha * d * d);
      s.baselineValue = Math.exp(s.mean);
    }
    return undefined;
  }

  /**
   * Series of a device whose trend heads to its threshold (errors at `thresholdFactor` × baseline, T1/T2 at
   * baseline / `thresholdFactor`), soonest first, within `horizonHours`.
   */
  forecast(provider: string, device: string, horizonHours = 24 * 30): DriftForecast[] {
    const dev = this.devices.get(`${provider}.${device}`);
    if (!dev) return [];
    const out: DriftForecast[] = [];
    for (const s of dev.series.values()) {
      const up = worseWhenUp(s.parameter);
      const threshold = up ? s.baselineValue * this.thresholdFactor : s.baselineValue / this.thresholdFactor;
      const gap = Math.log(threshold) - s.level;
      // Only a trend moving towards a threshold not yet crossed.
      if (s.slope === 0 || Math.sign(gap) !== Math.sign(s.slope) || (up ? gap <= 0 : gap >= 0)) continue;
      const hours = gap / s.slope;
      if (hours > 0 && hours <= horizonHours)
        out.push({
          parameter: s.parameter,
          qubits: s.qubits,
          ...(s.gate ? { gate: s.gate } : {}),
          value: s.lastValue,
          threshold,
          hoursToThreshold: hours,
        });
    }
    return out.sort((a, b) => a.hoursToThreshold - b.hoursToThreshold);
  }

  /** Series tracked for a device. */
  seriesCount(provider: string, device: string): number {
    return this.devices.get(`${provider}.${device}`)?.series.size ?? 0;
  }
}
