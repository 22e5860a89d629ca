// Replayed calibration histories built from one real snapshot (noise, and optionally injected drift), and
// the measurement of the drift detector's delay and false-positive rate on them.
import type { Calibration, GateCalibration, QubitCalibration } from '../devices/index.js';
import { Rng } from '../sim/index.js';
import { type DriftDetector, type DriftParameter, driftSeries } from './drift.js';

/** A drift injected into one series of a replayed history. */
export interface InjectedDrift {
  readonly parameter: DriftParameter;
  /** The qubit (qubit parameters) or the index into `cal.gates` (gate_error). */
  readonly target: number;
  /** Snapshot index where the drift starts. */
  readonly onset: number;
  /** `step`: the value is multiplied by `factor` from the onset; `ramp`: by factor^(t / rampSnapshots), t from the onset. */
  readonly kind: 'step' | 'ramp';
  readonly factor: number;
  readonly rampSnapshots?: number;
}

export interface ReplayOptions {
  readonly snapshots: number;
  /** Standard deviation of the log-normal snapshot-to-snapshot noise on every figure. Default 0.15. */
  readonly noiseSigma?: number;
  readonly intervalHours?: number;
  readonly seed?: number;
  readonly drift?: InjectedDrift;
}

function gaussian(rng: Rng): number {
  // Box-Muller; 1 - u keeps the logarithm finite.
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Successive snapshots around a real one: every T1, T2, readout and gate error multiplied by independent
 * log-normal noise each snapshot (probabilities clamped below 1), with the optional drift on one series.
 */
export function replayHistory(base: Calibration, options: ReplayOptions): Calibration[] {
  const rng = new Rng(options.seed ?? 1);
  const sigma = options.noiseSigma ?? 0.15;
  const interval = (options.intervalHours ?? 24) * 3_600_000;
  const start = Date.parse(base.calibratedAt);
  const d = options.drift;
  const out: Calibration[] = [];
  for (let i = 0; i < options.snapshots; i++) {
    let factor = 1;
    if (d && i >= d.onset)
      factor =
        d.kind === 'step' ? d.factor : d.factor ** Math.min(1, (i - d.onset + 1) / (d.rampSnapshots ?? 10));
    const noisy = (v: number | undefined, drifted: boolean, prob: boolean): number | undefined => {
      if (v === undefined) return undefined;
      const x = v * Math.exp(sigma * gaussian(rng)) * (drifted ? factor : 1);
      return prob ? Math.min(x, 0.5) : x;
    };
    const qubits: QubitCalibration[] = base.qubits.map((q) => ({
      ...q,
      t1Seconds: noisy(q.t1Seconds, d?.parameter === 't1' && d.target === q.qubit, false),
      t2Seconds: noisy(q.t2Seconds, d?.parameter === 't2' && d.target === q.qubit, false),
      readoutError: noisy(q.readoutError, d?.parameter === 'readout_error' && d.target === q.qubit, true),
    }));
    const gates: GateCalibration[] = base.gates.map((g, k) => ({
      ...g,
      error: noisy(g.error, d?.parameter === 'gate_error' && d.target === k, true),
    }));
    out.push({ ...base, qubits, gates, calibratedAt: new Date(start + i * interval).toISOString() });
  }
  return out;
}

/** The key of the series an injected drift affects, as `driftSeries` names it. */
export function driftKey(base: Calibration, d: InjectedDrift): string {
  if (d.parameter === 'gate_error') {
    const g = base.gates[d.target];
    return `gate_error:${g.gate}:${g.qubits.join('_')}`;
  }
  return `${d.parameter}:${d.target}`;
}

/** What a replay measured. */
export interface ReplayFigures {
  /** Alarms per series per in-control snapshot on noise-only histories. */
  readonly falseAlarmsPerSeriesSnapshot: number;
  /** Fraction of noise-only histories (whole devices) with at least one alarm. */
  readonly noiseHistoriesWithAlarm: number;
  /** Detection delays in snapshots (alarm index − onset) on drifted histories. */
  readonly delays: readonly number[];
  /** Drifted histories where the drifted series never alarmed. */
  readonly missed: number;
  /** Alarms on other series of drifted histories (false alarms there). */
  readonly otherAlarms: number;
  readonly seriesSnapshots: number;
}

/** Runs a detector over noise-only and drifted replays of each base snapshot and measures delay and false alarms. */
export function measureDrift(
  bases: readonly Calibration[],
  makeDetector: () => DriftDetector,
  options: {
    snapshots: number;
    seeds: number;
    noiseSigma?: number;
    drifts: (base: Calibration) => InjectedDrift[];
  },
): ReplayFigures {
  let falseAlarms = 0;
  let seriesSnapshots = 0;
  let historiesWithAlarm = 0;
  let noiseHistories = 0;
  const delays: number[] = [];
  let missed = 0;
  let otherAlarms = 0;
  for (const base of bases) {
    const nSeries = driftSeries(base).length;
    for (let seed = 1; seed <= options.seeds; seed++) {
      const det = makeDetector();
      let any = false;
      for (const cal of replayHistory(base, {
        snapshots: options.snapshots,
        seed,
        noiseSigma: options.noiseSigma,
      })) {
        const ev = det.update(cal);
        falseAlarms += ev.length;
        if (ev.length > 0) any = true;
      }
      seriesSnapshots += nSeries * options.snapshots;
      noiseHistories++;
      if (any) historiesWithAlarm++;
      for (const drift of options.drifts(base)) {
        const key = driftKey(base, drift);
        const det2 = makeDetector();
        let delay: number | undefined;
        replayHistory(base, {
          snapshots: options.snapshots,
          seed: seed + 1000,
          noiseSigma: options.noiseSigma,
          drift,
        }).forEach((cal, i) => {
          for (const e of det2.update(cal)) {
            const k =
              e.parameter === 'gate_error'
                ? `gate_error:${e.gate}:${e.qubits.join('_')}`
                : `${e.parameter}:${e.qubits[0]}`;
            if (k === key && i >= drift.onset && delay === undefined) delay = i - drift.onset;
            else if (k !== key || i < drift.onset) otherAlarms++;
          }
        });
        if (delay === undefined) missed++;
        else delays.push(delay);
      }
    }
  }
  return {
    falseAlarmsPerSeriesSnapshot: falseAlarms / seriesSnapshots,
    noiseHistoriesWithAlarm: historiesWithAlarm / noiseHistories,
    delays,
    missed,
    otherAlarms,
    seriesSnapshots,
  };
}
