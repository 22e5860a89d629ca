// The usage optimizer: shots for a target standard error, task batching, and the cheapest device that meets a fidelity target.
import { Circuit, transpile } from '../circuit/index.js';
import {
  type Calibration,
  type Device,
  noiseModelFromCalibration,
  transpileTarget,
} from '../devices/index.js';
import { QobsConfigError } from '../errors.js';
import { estimatedSuccessProbability } from '../sim/index.js';
import type { PriceBook } from './catalogue.js';

/** Mean, sample variance and standard error of a ±1 observable read from counts. */
export interface SampleStatistics {
  readonly mean: number;
  /** Unbiased sample variance of the per-shot values. */
  readonly variance: number;
  readonly shots: number;
  /** sqrt(variance / shots). */
  readonly standardError: number;
}

/**
 * Statistics of the parity (−1)^(b_i ⊕ b_j ⊕ ...) of the given classical bits over the counts (a Z-string
 * expectation value). Bitstrings are Qiskit-ordered: clbit 0 is the last character.
 */
export function parityStatistics(
  counts: Readonly<Record<string, number>>,
  clbits: readonly number[],
): SampleStatistics {
  let n = 0;
  let sum = 0;
  for (const [bits, c] of Object.entries(counts)) {
    let odd = 0;
    for (const b of clbits) if (bits[bits.length - 1 - b] === '1') odd ^= 1;
    sum += odd ? -c : c;
    n += c;
  }
  if (n < 2) throw new QobsConfigError('counts', 'need at least two shots');
  const mean = sum / n;
  // Values are ±1, so Σx² = n and the unbiased variance is n(1 − mean²)/(n − 1).
  const variance = (n * (1 - mean * mean)) / (n - 1);
  return { mean, variance, shots: n, standardError: Math.sqrt(variance / n) };
}

/** Shot advice and what it rests on. */
export interface ShotAdvice {
  readonly shots: number;
  readonly targetStandardError: number;
  /** The per-shot variance observed in the pilot. */
  readonly observedVariance: number;
  /** The variance the advice plans for: an upper confidence bound on the observed one. */
  readonly plannedVariance: number;
  readonly confidence: number;
}

// One-sided standard normal quantiles for the supported confidences.
const Z: Record<string, number> = { '0.9': 1.2816, '0.95': 1.6449, '0.99': 2.3263, '0.999': 3.0902 };

/**
 * Shots that bring the standard error of a ±1 observable's mean under `targetStandardError`, from a pilot run.
 * The variance 1 − m² is largest where |m| is smallest, so the advice plans for the variance at the end of the
 * pilot mean's confidence interval nearest zero: a noisy pilot errs towards more shots, not fewer.
 * @example
 *   const pilot = parityStatistics(counts, [0]);
 *   adviseShots({ pilot, targetStandardError: 0.01 }).shots;
 */
export function adviseShots(options: {
  readonly pilot: Pick<SampleStatistics, 'mean' | 'shots'>;
  readonly targetStandardError: number;
  /** 0.9, 0.95, 0.99 (default) or 0.999. */
  readonly confidence?: number;
}): ShotAdvice {
  const { pilot, targetStandardError: target } = options;
  const confidence = options.confidence ?? 0.99;
  const z = Z[String(confidence)];
  if (z === undefined) throw new QobsConfigError('confidence', 'must be 0.9, 0.95, 0.99 or 0.999');
  if (!(target > 0)) throw new QobsConfigError('targetStandardError', `must be positive, got ${target}`);
  if (!(pilot.shots >= 2)) throw new QobsConfigError('pilot.shots', 'need at least two pilot shots');
  const m = Math.max(-1, Math.min(1, pilot.mean));
  const observed = 1 - m * m;
  const half = z * Math.sqrt(Math.max(observed, 1 / pilot.shots) / pilot.shots);
  const nearest = Math.abs(m) <= half ? 0 : Math.abs(m) - half;
  const planned = 1 - nearest * nearest;
  return {
    shots: Math.max(1, Math.ceil(planned / (target * target))),
    targetStandardError: target,
    observedVariance: observed,
    plannedVariance: planned,
    confidence,
  };
}

/** Shots for a target standard error from a known per-shot variance (any observable). */
export function shotsForStandardError(perShotVariance: number, targetStandardError: number): number {
  if (!(perShotVariance >= 0))
    throw new QobsConfigError('perShotVariance', `must be >= 0, got ${perShotVariance}`);
  if (!(targetStandardError > 0))
    throw new QobsConfigError('targetStandardError', `must be positive, got ${targetStandardError}`);
  return Math.max(1, Math.ceil(perShotVariance / (targetStandardError * targetStandardError)));
}

/** What merging tasks that repeat one circuit would save. */
export interface BatchingAdvice {
  readonly device: string;
  readonly currentTasks: number;
  readonly currentUsd: number;
  readonly mergedTasks: number;
  readonly mergedShotsPerTask: number;
  readonly mergedUsd: number;
  readonly savingsUsd: number;
}

/**
 * Advice for `tasks` tasks of `shotsPerTask` shots of one circuit: the fewest tasks holding the same shots
 * (at most `maxShotsPerTask` each, the device's limit), priced with the catalogue.
 */
export function batchingAdvice(options: {
  readonly device: string;
  readonly tasks: number;
  readonly shotsPerTask: number;
  readonly maxShotsPerTask: number;
  readonly prices: PriceBook;
  readonly durationSecondsPerShot?: number;
}): BatchingAdvice {
  const { device, tasks, shotsPerTask, maxShotsPerTask, prices } = options;
  const total = tasks * shotsPerTask;
  const merged = Math.max(1, Math.ceil(total / maxShotsPerTask));
  const perMerged = Math.ceil(total / merged);
  const dur = (shots: number) =>
    options.durationSecondsPerShot === undefined ? undefined : shots * options.durationSecondsPerShot;
  const current = prices.price(device, {
    shots: shotsPerTask,
    tasks,
    durationSeconds: dur(shotsPerTask),
  }).amountUsd;
  const after = prices.price(device, {
    shots: perMerged,
    tasks: merged,
    durationSeconds: dur(perMerged),
  }).amountUsd;
  return {
    device,
    currentTasks: tasks,
    currentUsd: current,
    mergedTasks: merged,
    mergedShotsPerTask: perMerged,
    mergedUsd: after,
    savingsUsd: Math.round((current - after) * 1e9) / 1e9,
  };
}

/**
 * Estimated success probability of `circuit` on a device with this calibration: the circuit is transpiled
 * onto the device (layout, routing, basis) as the local fake devices do, then ESP is taken over the qubits it uses.
 */
export function espOnCalibration(circuit: Circuit, calibration: Calibration, seed = 1): number {
  const result = transpile(circuit, transpileTarget(calibration, seed));
  const touched = new Set<number>();
  for (const inst of result.circuit.instructions) for (const q of inst.qubits) touched.add(q);
  const physical = [...touched].sort((a, b) => a - b);
  const local = new Map(physical.map((p, i) => [p, i]));
  const compact = new Circuit(physical.length, 0, circuit.name);
  for (const r of result.circuit.cregs) compact.addCreg(r.name, r.size);
  for (const inst of result.circuit.instructions)
    compact.append({ ...inst, qubits: inst.qubits.map((q) => local.get(q)!) });
  return estimatedSuccessProbability(compact, noiseModelFromCalibration(calibration, physical));
}

/** One device considered by `cheapestDevice`. */
export interface DeviceQuote {
  readonly device: string;
  readonly status: string;
  /** ESP from the live calibration; 1 for an ideal simulator (no calibration); undefined when not computed. */
  readonly esp?: number;
  readonly amountUsd?: number;
  readonly eligible: boolean;
  /** Why it is or is not eligible. */
  readonly reason: string;
}

/** The cheapest online device whose ESP meets `targetEsp`, with every quote and its reason. */
export async function cheapestDevice(options: {
  readonly circuit: Circuit;
  readonly shots: number;
  readonly devices: readonly Device[];
  readonly targetEsp: number;
  readonly prices: PriceBook;
  /** For per-minute and per-second devices. */
  readonly durationSeconds?: number;
}): Promise<{ chosen?: DeviceQuote; quotes: DeviceQuote[] }> {
  const quotes: DeviceQuote[] = [];
  for (const d of options.devices) {
    const status = await d.status().catch(() => 'unknown' as const);
    if (status !== 'online') {
      quotes.push({ device: d.id, status, eligible: false, reason: `status ${status}` });
      continue;
    }
    let amountUsd: number;
    try {
      amountUsd = options.prices.price(d.id, {
        shots: options.shots,
        durationSeconds: options.durationSeconds,
      }).amountUsd;
    } catch (err) {
      quotes.push({ device: d.id, status, eligible: false, reason: `no price: ${(err as Error).message}` });
      continue;
    }
    const cal = await d.calibration().catch(() => undefined);
    let esp: number;
    try {
      esp = cal ? espOnCalibration(options.circuit, cal) : 1;
    } catch (err) {
      quotes.push({
        device: d.id,
        status,
        amountUsd,
        eligible: false,
        reason: `cannot run the circuit: ${(err as Error).message}`,
      });
      continue;
    }
    const ok = esp >= options.targetEsp;
    quotes.push({
      device: d.id,
      status,
      esp,
      amountUsd,
      eligible: ok,
      reason: ok
        ? `ESP ${esp.toFixed(4)} >= ${options.targetEsp}, ${amountUsd} USD`
        : `ESP ${esp.toFixed(4)} < ${options.targetEsp}`,
    });
  }
  const chosen = quotes
    .filter((q) => q.eligible)
    .sort((a, b) => a.amountUsd! - b.amountUsd! || b.esp! - a.esp!)[0];
  return { chosen, quotes };
}
