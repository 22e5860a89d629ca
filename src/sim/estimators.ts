// Estimators: Hellinger fidelity and total variation distance of counts, and the estimated success
// probability (ESP) of a circuit from a calibration.
import { type Circuit, GATES } from '../circuit/index.js';
import { SimulatorInputError } from './errors.js';
import { type NoiseModel, gateNoise } from './noise.js';
import { resolveCircuit } from './compile.js';

type Counts = Readonly<Record<string, number>>;

function normalized(counts: Counts, field: string): Map<string, number> {
  let total = 0;
  for (const [k, v] of Object.entries(counts)) {
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0))
      throw new SimulatorInputError(`${field}['${k}']`, `must be a non-negative number, got ${String(v)}`);
    total += v;
  }
  if (!(total > 0)) throw new SimulatorInputError(field, 'holds no counts');
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(counts)) out.set(k, v / total);
  return out;
}

/** Qiskit's hellinger_distance: sqrt(Σ(√p − √q)²) / √2 over the normalized counts. */
export function hellingerDistance(countsA: Counts, countsB: Counts): number {
  const p = normalized(countsA, 'countsA');
  const q = normalized(countsB, 'countsB');
  let total = 0;
  for (const [k, pv] of p) total += (Math.sqrt(pv) - Math.sqrt(q.get(k) ?? 0)) ** 2;
  for (const [k, qv] of q) if (!p.has(k)) total += qv;
  return Math.sqrt(total) / Math.SQRT2;
}

/** Qiskit's hellinger_fidelity: (1 − hellinger_distance²)². 1 for identical distributions, 0 for disjoint ones. */
export function hellingerFidelity(countsA: Counts, countsB: Counts): number {
  const d = hellingerDistance(countsA, countsB);
  return (1 - d * d) ** 2;
}

/** Total variation distance: ½ Σ |p − q| over the normalized counts. */
export function totalVariationDistance(countsA: Counts, countsB: Counts): number {
  const p = normalized(countsA, 'countsA');
  const q = normalized(countsB, 'countsB');
  let total = 0;
  for (const [k, pv] of p) total += Math.abs(pv - (q.get(k) ?? 0));
  for (const [k, qv] of q) if (!p.has(k)) total += qv;
  return total / 2;
}

/** The factors of an ESP estimate, and the schedule's length. */
export interface EspBreakdown {
  readonly esp: number;
  /** Π (1 − gate error) over gates. */
  readonly gateFactor: number;
  /** Π (1 − readout error) over measured qubits; readout error = (p(0|1) + p(1|0)) / 2. */
  readonly readoutFactor: number;
  /** Π exp(−t_idle/T1) · exp(−t_idle/T2) over active qubits. */
  readonly idleFactor: number;
  /** End of the ASAP schedule of gate lengths (measurements at the end, not timed). */
  readonly durationSeconds: number;
}

/**
 * Estimated success probability of `circuit` under `noise` (see docs/simulator.md):
 * ESP = Π_gates (1 − e_g) · Π_measured (1 − e_ro,q) · Π_active q exp(−t_idle,q / T1_q) · exp(−t_idle,q / T2_q),
 * where gates are scheduled as soon as possible with their calibrated lengths (barriers synchronize their
 * qubits), a qubit is active from the start of its first gate to the end of the schedule, and t_idle,q is
 * that span minus the time its own gates take. A gate without calibration counts with error 0 and length 0.
 */
export function espBreakdown(circuit: Circuit, noise: NoiseModel): EspBreakdown {
  const c = resolveCircuit(circuit);
  const n = c.numQubits;
  const avail = new Float64Array(n);
  const busy = new Float64Array(n);
  const first = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const measured = new Set<number>();
  let gateFactor = 1;
  for (const inst of c.instructions) {
    if (inst.name === 'measure') {
      for (const q of inst.qubits) measured.add(q);
      continue;
    }
    if (inst.name === 'barrier') {
      let t = 0;
      for (const q of inst.qubits) t = Math.max(t, avail[q]);
      for (const q of inst.qubits) avail[q] = t;
      continue;
    }
    if (inst.name === 'delay' || inst.name === 'gphase' || inst.qubits.length === 0) continue;
    if (inst.name !== 'reset' && inst.name !== 'unitary' && !GATES.has(inst.name)) continue;
    const g = gateNoise(noise, inst.name, inst.qubits);
    if (g?.error !== undefined) gateFactor *= 1 - Math.min(1, Math.max(0, g.error));
    const len = g?.lengthSeconds ?? 0;
    let start = 0;
    for (const q of inst.qubits) start = Math.max(start, avail[q]);
    for (const q of inst.qubits) {
      avail[q] = start + len;
      busy[q] += len;
      first[q] = Math.min(first[q], start);
    }
  }
  let duration = 0;
  for (let q = 0; q < n; q++) duration = Math.max(duration, avail[q]);
  let readoutFactor = 1;
  for (const q of measured) {
    const qn = noise.qubits[q];
    const a = qn?.probMeas0Prep1;
    const b = qn?.probMeas1Prep0;
    const e = a !== undefined && b !== undefined ? (a + b) / 2 : (a ?? b ?? 0);
    readoutFactor *= 1 - e;
  }
  let idleFactor = 1;
  for (let q = 0; q < n; q++) {
    if (first[q] === Number.POSITIVE_INFINITY) continue;
    const idle = Math.max(0, duration - first[q] - busy[q]);
    const t1 = noise.qubits[q]?.t1Seconds;
    const t2 = noise.qubits[q]?.t2Seconds;
    if (t1 !== undefined && t1 > 0) idleFactor *= Math.exp(-idle / t1);
    if (t2 !== undefined && t2 > 0) idleFactor *= Math.exp(-idle / t2);
  }
  return {
    esp: gateFactor * readoutFactor * idleFactor,
    gateFactor,
    readoutFactor,
    idleFactor,
    durationSeconds: duration,
  };
}

/** ESP of `circuit` under `noise`: the product in espBreakdown. */
export function estimatedSuccessProbability(circuit: Circuit, noise: NoiseModel): number {
  return espBreakdown(circuit, noise).esp;
}
