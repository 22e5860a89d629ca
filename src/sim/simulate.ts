// Running circuits: the ideal fast path (one evolution, then sampling) and per-shot quantum trajectories.
import type { Circuit } from '../circuit/index.js';
import { type Op, compile, resolveCircuit } from './compile.js';
import { SimulatorInputError } from './errors.js';
import type { GateChannel, NoiseModel } from './noise.js';
import { Rng, freshSeed } from './rng.js';
import {
  DEFAULT_MAX_STATE_BYTES,
  allocState,
  apply1,
  applyControlled1,
  applyDiagonal,
  applyK,
  applyMCX,
  applyPermutation,
  applySwap,
  checkStateMemory,
  collapse,
  initZero,
  probabilityOne,
  scaleState,
} from './statevector.js';

/** Shots accepted when the caller gives no maximum of its own (a device passes its max_shots). */
export const DEFAULT_MAX_SHOTS = 10_000_000;

/** Options of simulate. */
export interface SimulateOptions {
  readonly shots: number;
  /** Same seed, same counts. Without one a fresh seed is drawn and returned in the result. */
  readonly seed?: number;
  readonly noise?: NoiseModel;
  readonly parameters?: Readonly<Record<string, number>>;
  /** Upper bound on shots (a device's max_shots); DEFAULT_MAX_SHOTS when absent. */
  readonly maxShots?: number;
  /** Upper bound on the state vector's size in bytes; DEFAULT_MAX_STATE_BYTES when absent. */
  readonly maxStateBytes?: number;
}

/** Counts keyed by bitstrings of all classical bits, highest clbit first (Qiskit's order, no spaces). */
export interface SimulateResult {
  readonly counts: Record<string, number>;
  readonly shots: number;
  readonly seed: number;
  /** `ideal` when one evolution was sampled, `trajectories` when each shot ran on its own. */
  readonly method: 'ideal' | 'trajectories';
}

/** Throws SimulatorInputError unless `shots` is a positive integer no larger than `maxShots`. */
export function validateShots(shots: number, maxShots: number = DEFAULT_MAX_SHOTS): void {
  if (typeof shots !== 'number' || !Number.isFinite(shots))
    throw new SimulatorInputError('shots', `must be a number, got ${String(shots)}`);
  if (!Number.isInteger(shots)) throw new SimulatorInputError('shots', `must be an integer, got ${shots}`);
  if (shots <= 0) throw new SimulatorInputError('shots', `must be at least 1, got ${shots}`);
  if (shots > maxShots)
    throw new SimulatorInputError('shots', `${shots} is above the maximum of ${maxShots}`);
}

/**
 * Runs `circuit` for `shots` shots and returns the counts.
 * @example
 *   simulate(new Circuit(2).h(0).cx(0, 1).measureAll(), { shots: 1000, seed: 7 }).counts // { '00': 503, '11': 497 }
 */
export function simulate(circuit: Circuit, options: SimulateOptions): SimulateResult {
  validateShots(options.shots, options.maxShots);
  if (options.seed !== undefined && !Number.isFinite(options.seed))
    throw new SimulatorInputError('seed', `must be a finite number, got ${options.seed}`);
  const n = circuit.numQubits;
  checkStateMemory(n, options.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES);
  const seed = options.seed ?? freshSeed();
  const ops = compile(circuit, { parameters: options.parameters, noise: options.noise });
  const rng = new Rng(seed);
  const numClbits = circuit.numClbits;
  const ideal = options.noise === undefined && hasOnlyFinalMeasurements(ops);
  const tally = ideal
    ? sampleIdeal(ops, n, numClbits, options.shots, rng, options.maxStateBytes)
    : runTrajectories(ops, n, numClbits, options.shots, rng, options.maxStateBytes);
  const counts: Record<string, number> = {};
  for (const [key, c] of tally) {
    const bits = typeof key === 'number' ? key.toString(2).padStart(numClbits, '0') : key;
    counts[numClbits === 0 ? '' : bits] = (counts[numClbits === 0 ? '' : bits] ?? 0) + c;
  }
  return { counts, shots: options.shots, seed, method: ideal ? 'ideal' : 'trajectories' };
}

/** True when nothing acts on a qubit after it is measured and there are no resets or conditions. */
export function hasOnlyFinalMeasurements(ops: readonly Op[]): boolean {
  const measured = new Set<number>();
  for (const op of ops) {
    if (op.condition !== undefined || op.kind === 'reset') return false;
    if (op.kind === 'measure') {
      measured.add(op.qubits[0]);
      continue;
    }
    for (const q of op.qubits) if (measured.has(q)) return false;
  }
  return true;
}

/** Applies one unitary operation to `state`. Measure and reset are not handled here. */
export function applyOp(state: Float64Array, n: number, op: Op, scratch: Float64Array): void {
  switch (op.kind) {
    case 'dense1':
      apply1(state, n, op.qubits[0], op.m);
      return;
    case 'diag':
      applyDiagonal(state, n, op.qubits, op.d);
      return;
    case 'dense':
      applyK(state, n, op.qubits, op.m, scratch);
      return;
    case 'mcx':
      applyMCX(state, n, op.controls, op.target);
      return;
    case 'mcu':
      applyControlled1(state, n, op.controls, op.target, op.m);
      return;
    case 'swap':
      applySwap(state, n, op.qubits[0], op.qubits[1]);
      return;
    case 'perm':
      applyPermutation(state, n, op.qubits, op.perm, scratch);
      return;
    case 'phase':
      scaleState(state, op.re, op.im);
      return;
    case 'measure':
    case 'reset':
      throw new Error(`applyOp: ${op.kind} is not unitary`);
  }
}

/** Working memory for the widest gate of a circuit (dense and permutation gates gather into it). */
export function scratchFor(ops: readonly Op[]): Float64Array {
  let k = 1;
  for (const op of ops) k = Math.max(k, op.qubits.length);
  return new Float64Array(2 << k);
}

/** Evolves |0..0> through every unitary op (measurements skipped) into a new state vector. */
export function evolve(ops: readonly Op[], n: number, maxStateBytes?: number): Float64Array {
  const state = initZero(allocState(n, maxStateBytes));
  const scratch = scratchFor(ops);
  for (const op of ops) if (op.kind !== 'measure') applyOp(state, n, op, scratch);
  return state;
}

/** Draws `shots` basis indices from |state|² in one sweep over sorted uniforms. Returns index -> count. */
export function sampleIndices(state: Float64Array, shots: number, rng: Rng): Map<number, number> {
  const u = new Float64Array(shots);
  for (let s = 0; s < shots; s++) u[s] = rng.next();
  u.sort();
  const out = new Map<number, number>();
  const dim = state.length / 2;
  let cum = 0;
  let i = 0;
  let lastNonZero = 0;
  let s = 0;
  while (s < shots && i < dim) {
    const p = state[2 * i] * state[2 * i] + state[2 * i + 1] * state[2 * i + 1];
    if (p > 0) lastNonZero = i;
    cum += p;
    let c = 0;
    while (s < shots && u[s] < cum) {
      s++;
      c++;
    }
    if (c > 0) out.set(i, (out.get(i) ?? 0) + c);
    i++;
  }
  // Rounding can leave the cumulative sum a hair under 1: those draws go to the last non-zero state.
  if (s < shots) out.set(lastNonZero, (out.get(lastNonZero) ?? 0) + shots - s);
  return out;
}

function sampleIdeal(
  ops: readonly Op[],
  n: number,
  numClbits: number,
  shots: number,
  rng: Rng,
  maxStateBytes?: number,
): Map<number | string, number> {
  const state = evolve(ops, n, maxStateBytes);
  const measures = ops.filter((o) => o.kind === 'measure') as Array<Extract<Op, { kind: 'measure' }>>;
  const tally = new Map<number | string, number>();
  const bits = new Uint8Array(Math.max(numClbits, 1));
  for (const [idx, c] of sampleIndices(state, shots, rng)) {
    bits.fill(0);
    for (const m of measures) bits[m.clbit] = (idx >> m.qubits[0]) & 1;
    const key = clbitKey(bits, numClbits);
    tally.set(key, (tally.get(key) ?? 0) + c);
  }
  return tally;
}

/** A tally key: a number (clbit c weighs 2^c) when it fits in 52 bits, else the bitstring. */
function clbitKey(bits: Uint8Array, numClbits: number): number | string {
  if (numClbits <= 52) {
    let v = 0;
    for (let c = numClbits - 1; c >= 0; c--) v = v * 2 + bits[c];
    return v;
  }
  let s = '';
  for (let c = numClbits - 1; c >= 0; c--) s += bits[c];
  return s;
}

const PAULI_X = new Float64Array([0, 0, 1, 0, 1, 0, 0, 0]);
const PAULI_Y = new Float64Array([0, 0, 0, -1, 0, 1, 0, 0]);
const PAULI_Z_DIAG = new Float64Array([1, 0, -1, 0]);

/**
 * Per-shot trajectories. Amplitude damping uses the waiting-time form of quantum jumps: the state is kept
 * unnormalized while no-jump Kraus operators shrink it, a uniform threshold is drawn, and a jump happens at
 * the step where the squared norm falls below it (the squared norm is the probability that no jump has
 * happened yet). The no-jump pass computes the new norm as it scales, so a relaxation costs one pass over
 * the state instead of two (probability, then scaling).
 */
function runTrajectories(
  ops: readonly Op[],
  n: number,
  numClbits: number,
  shots: number,
  rng: Rng,
  maxStateBytes?: number,
): Map<number | string, number> {
  const t = { state: allocState(n, maxStateBytes), n, norm2: 1, threshold: 0 };
  const state = t.state;
  const scratch = scratchFor(ops);
  // A gate matrix with a drawn Pauli folded in (2x2 interleaved).
  const folded = new Float64Array(8);
  const bits = new Uint8Array(Math.max(numClbits, 1));
  const tally = new Map<number | string, number>();
  // Unconditioned measurements at the very end are sampled together from one basis-state draw.
  let tail = ops.length;
  while (tail > 0 && ops[tail - 1].kind === 'measure' && ops[tail - 1].condition === undefined) tail--;
  const tailMeasures = ops.slice(tail) as Array<Extract<Op, { kind: 'measure' }>>;
  // The noiseless, unconditioned unitary prefix is the same in every shot: evolve it once and copy it.
  let prefix = 0;
  while (prefix < tail && isPlainUnitary(ops[prefix])) prefix++;
  const start = prefix > 0 ? allocState(n, maxStateBytes) : undefined;
  if (start !== undefined) {
    initZero(start);
    for (let k = 0; k < prefix; k++) applyOp(start, n, ops[k], scratch);
  }
  for (let shot = 0; shot < shots; shot++) {
    if (start !== undefined) state.set(start);
    else initZero(state);
    t.norm2 = 1;
    t.threshold = rng.next();
    bits.fill(0);
    for (let k = prefix; k < tail; k++) {
      const op = ops[k];
      if (op.condition !== undefined && !conditionHolds(bits, op.condition.clbits, op.condition.value))
        continue;
      if (op.kind === 'measure' || op.kind === 'reset') {
        const q = op.qubits[0];
        const p1 = probabilityOne(state, n, q);
        const outcome: 0 | 1 = rng.next() * t.norm2 < p1 ? 1 : 0;
        collapse(state, n, q, outcome, outcome === 1 ? p1 : t.norm2 - p1);
        // The state is renormalized: the threshold, uniform on (0, norm2) given no jump yet, is rescaled with it.
        t.threshold /= t.norm2;
        t.norm2 = 1;
        if (op.kind === 'measure') bits[op.clbit] = readout(outcome, op.flip0, op.flip1, rng);
        else if (outcome === 1) apply1(state, n, q, PAULI_X);
      } else if (
        op.kind === 'dense1' &&
        op.channel !== undefined &&
        fusableChannel(op.channel, op.qubits[0])
      ) {
        applyNoisy1(t, op.qubits[0], op.m, op.channel, rng, folded);
      } else {
        applyOp(state, n, op, scratch);
        if (op.channel !== undefined) applyChannel(t, op.qubits, op.channel, rng);
      }
    }
    if (tailMeasures.length > 0) {
      const idx = sampleOne(state, rng.next() * t.norm2);
      for (const m of tailMeasures)
        bits[m.clbit] = readout(((idx >> m.qubits[0]) & 1) as 0 | 1, m.flip0, m.flip1, rng);
    }
    const key = clbitKey(bits, numClbits);
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  return tally;
}

function isPlainUnitary(op: Op): boolean {
  return (
    op.kind !== 'measure' && op.kind !== 'reset' && op.condition === undefined && op.channel === undefined
  );
}

interface Trajectory {
  readonly state: Float64Array;
  readonly n: number;
  /** Squared norm of the (unnormalized) state: the probability that no jump happened since the last renormalization. */
  norm2: number;
  /** A jump happens when norm2 falls below this. */
  threshold: number;
}

function readout(outcome: 0 | 1, flip0: number, flip1: number, rng: Rng): number {
  const p = outcome === 0 ? flip0 : flip1;
  if (p > 0 && rng.next() < p) return 1 - outcome;
  return outcome;
}

function conditionHolds(bits: Uint8Array, clbits: readonly number[], value: number): boolean {
  let v = 0;
  for (let j = clbits.length - 1; j >= 0; j--) v = v * 2 + bits[clbits[j]];
  return v === value;
}

/** One basis index drawn from |state|² with `u` uniform on (0, squared norm). */
function sampleOne(state: Float64Array, u: number): number {
  const dim = state.length / 2;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < dim; i++) {
    const p = state[2 * i] * state[2 * i] + state[2 * i + 1] * state[2 * i + 1];
    if (p === 0) continue;
    last = i;
    cum += p;
    if (u < cum) return i;
  }
  return last;
}

/** One trajectory step of a gate's noise: a random Pauli (depolarizing), then T1/T2 relaxation per qubit. */
function applyChannel(t: Trajectory, qubits: readonly number[], ch: GateChannel, rng: Rng): void {
  const { state, n } = t;
  if (ch.pauliProbability > 0 && rng.next() < ch.pauliProbability) {
    const k = qubits.length;
    // Uniform over the 4^k - 1 non-identity Pauli products.
    const p = 1 + Math.floor(rng.next() * (4 ** k - 1));
    for (let j = 0; j < k; j++) applyPauli(state, n, qubits[j], (p >> (2 * j)) & 3);
  }
  for (const r of ch.relaxations) {
    const q = r.qubit;
    if (r.gamma > 0) {
      const keep = Math.sqrt(1 - r.gamma);
      const p1 = damp(state, n, q, keep);
      const after = t.norm2 - r.gamma * p1;
      if (after < t.threshold && p1 > 0) {
        // The jump happened here: |1> -> |0> applied to the pre-damping state, normalized.
        decay(state, n, q, 1 / (keep * Math.sqrt(p1)));
        t.norm2 = 1;
        t.threshold = rng.next();
      } else {
        t.norm2 = after;
      }
    }
    if (r.phaseFlip > 0 && rng.next() < r.phaseFlip) applyPauli(state, n, q, 3);
  }
}

/** A one-qubit channel whose only relaxation is on the gate's own qubit, with amplitude damping. */
function fusableChannel(ch: GateChannel, q: number): boolean {
  return ch.relaxations.length === 1 && ch.relaxations[0].qubit === q && ch.relaxations[0].gamma > 0;
}

/**
 * A noisy single-qubit gate in one pass: the depolarizing Pauli (when drawn) is folded into the gate matrix,
 * and the no-jump damping scales the |1> half as the gate writes it. Same channel as applyOp then
 * applyChannel, one pass over the state instead of two.
 */
function applyNoisy1(
  t: Trajectory,
  q: number,
  u: Float64Array,
  ch: GateChannel,
  rng: Rng,
  folded: Float64Array,
): void {
  const { state, n } = t;
  let m = u;
  if (ch.pauliProbability > 0 && rng.next() < ch.pauliProbability) {
    const which = 1 + Math.floor(rng.next() * 3);
    m = pauliTimes(which, u, folded);
  }
  const r = ch.relaxations[0];
  const keep = Math.sqrt(1 - r.gamma);
  const p1 = apply1Damp(state, n, q, m, keep);
  const after = t.norm2 - r.gamma * p1;
  if (after < t.threshold && p1 > 0) {
    decay(state, n, q, 1 / (keep * Math.sqrt(p1)));
    t.norm2 = 1;
    t.threshold = rng.next();
  } else {
    t.norm2 = after;
  }
  if (r.phaseFlip > 0 && rng.next() < r.phaseFlip) applyPauli(state, n, q, 3);
}

/** out = P·u for the Pauli `which` (1 X, 2 Y, 3 Z), both 2x2 interleaved. */
function pauliTimes(which: number, u: Float64Array, out: Float64Array): Float64Array {
  if (which === 1) {
    // X swaps the rows.
    for (let c = 0; c < 4; c++) {
      out[c] = u[4 + c];
      out[4 + c] = u[c];
    }
  } else if (which === 2) {
    // Y = [[0, -i], [i, 0]]: row 0 = -i·u row 1, row 1 = i·u row 0.
    for (let c = 0; c < 4; c += 2) {
      out[c] = u[4 + c + 1];
      out[c + 1] = -u[4 + c];
      out[4 + c] = -u[c + 1];
      out[4 + c + 1] = u[c];
    }
  } else {
    for (let c = 0; c < 4; c++) {
      out[c] = u[c];
      out[4 + c] = -u[4 + c];
    }
  }
  return out;
}

/** apply1 followed by the no-jump damping of the same qubit, in one pass; returns the |1> half's squared norm before damping. */
function apply1Damp(state: Float64Array, n: number, q: number, m: Float64Array, keep: number): number {
  const m00r = m[0];
  const m00i = m[1];
  const m01r = m[2];
  const m01i = m[3];
  const m10r = keep * m[4];
  const m10i = keep * m[5];
  const m11r = keep * m[6];
  const m11i = keep * m[7];
  const len = 2 << n;
  const half = 2 << q;
  const block = half << 1;
  let p1 = 0;
  for (let b = 0; b < len; b += block) {
    const end = b + half;
    for (let i = b; i < end; i += 2) {
      const j = i + half;
      const ar = state[i];
      const ai = state[i + 1];
      const br = state[j];
      const bi = state[j + 1];
      state[i] = m00r * ar - m00i * ai + m01r * br - m01i * bi;
      state[i + 1] = m00r * ai + m00i * ar + m01r * bi + m01i * br;
      const cr = m10r * ar - m10i * ai + m11r * br - m11i * bi;
      const ci = m10r * ai + m10i * ar + m11r * bi + m11i * br;
      state[j] = cr;
      state[j + 1] = ci;
      p1 += cr * cr + ci * ci;
    }
  }
  // p1 was summed after scaling by keep: undo it.
  return p1 / (keep * keep);
}

function applyPauli(state: Float64Array, n: number, q: number, which: number): void {
  if (which === 1) apply1(state, n, q, PAULI_X);
  else if (which === 2) apply1(state, n, q, PAULI_Y);
  else if (which === 3) applyDiagonal(state, n, [q], PAULI_Z_DIAG);
}

/** Moves the |1> half of qubit q, times `scale`, onto the |0> half and clears the |1> half. */
function decay(state: Float64Array, n: number, q: number, scale: number): void {
  const len = 2 << n;
  const half = 2 << q;
  const block = half << 1;
  for (let b = 0; b < len; b += block) {
    for (let i = b, end = b + half; i < end; i++) {
      state[i] = state[i + half] * scale;
      state[i + half] = 0;
    }
  }
}

/** No-jump amplitude damping: scales the |1> half of qubit q by `keep`; returns that half's squared norm before. */
function damp(state: Float64Array, n: number, q: number, keep: number): number {
  const len = 2 << n;
  const half = 2 << q;
  const block = half << 1;
  let p1 = 0;
  for (let b = half; b < len; b += block) {
    for (let j = b, end = b + half; j < end; j++) {
      const v = state[j];
      p1 += v * v;
      state[j] = v * keep;
    }
  }
  return p1;
}

/** The unitary ops of a circuit whose only non-unitary instructions are final measurements (dropped). */
export function unitaryOps(circuit: Circuit, parameters?: Readonly<Record<string, number>>): Op[] {
  const ops = compile(resolveCircuit(circuit, parameters), { parameters });
  if (!hasOnlyFinalMeasurements(ops))
    throw new SimulatorInputError(
      'circuit',
      'has mid-circuit measurements, resets or conditions: its state is not a single vector; use simulate() for counts',
    );
  return ops.filter((o) => o.kind !== 'measure');
}
