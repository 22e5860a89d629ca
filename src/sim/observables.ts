// State vectors, probabilities and Pauli expectation values of circuits, exact or estimated from shots.
//
// A Pauli string is read in Qiskit's order: its rightmost character acts on qubit 0, so 'ZXI' is
// Z on qubit 2, X on qubit 1 and the identity on qubit 0. Its length must equal the circuit's qubit count.
import type { Circuit } from '../circuit/index.js';
import { SimulatorInputError } from './errors.js';
import { type SimulateOptions, evolve, simulate, unitaryOps } from './simulate.js';
import { freshSeed } from './rng.js';
import { probabilitiesInto } from './statevector.js';

/** A weighted sum of Pauli strings, e.g. [{ coeff: 0.5, pauli: 'ZZI' }, { coeff: -1, pauli: 'IIX' }]. */
export type PauliSum = ReadonlyArray<{ readonly coeff: number; readonly pauli: string }>;

/** The final state vector (interleaved re, im; amplitude i has bit q = qubit q). Final measurements are ignored. */
export function statevector(circuit: Circuit, parameters?: Readonly<Record<string, number>>): Float64Array {
  return evolve(unitaryOps(circuit, parameters), circuit.numQubits);
}

/** |amplitude|² of every basis state (length 2^n), measurements not needed. */
export function probabilities(circuit: Circuit, parameters?: Readonly<Record<string, number>>): Float64Array {
  const state = statevector(circuit, parameters);
  return probabilitiesInto(state, new Float64Array(state.length / 2));
}

interface ParsedPauli {
  readonly coeff: number;
  /** Bits flipped by the string (X or Y). */
  readonly flip: number;
  /** Bits whose value adds a sign (Z or Y). */
  readonly sign: number;
  /** Number of Y factors (each adds a factor i). */
  readonly ys: number;
  readonly pauli: string;
}

function parsePauliSum(observable: PauliSum, numQubits: number): ParsedPauli[] {
  if (!Array.isArray(observable) || observable.length === 0)
    throw new SimulatorInputError('observable', 'must be a non-empty array of { coeff, pauli } terms');
  return observable.map((t, i) => {
    if (typeof t?.coeff !== 'number' || !Number.isFinite(t.coeff))
      throw new SimulatorInputError(
        `observable[${i}].coeff`,
        `must be a finite number, got ${String(t?.coeff)}`,
      );
    if (typeof t.pauli !== 'string' || !/^[IXYZ]*$/.test(t.pauli))
      throw new SimulatorInputError(
        `observable[${i}].pauli`,
        `must be a string of I, X, Y, Z, got '${String(t.pauli)}'`,
      );
    if (t.pauli.length !== numQubits)
      throw new SimulatorInputError(
        `observable[${i}].pauli`,
        `'${t.pauli}' has ${t.pauli.length} characters; the circuit has ${numQubits} qubits (rightmost character is qubit 0)`,
      );
    let flip = 0;
    let sign = 0;
    let ys = 0;
    for (let q = 0; q < numQubits; q++) {
      const ch = t.pauli[numQubits - 1 - q];
      if (ch === 'X' || ch === 'Y') flip |= 1 << q;
      if (ch === 'Z' || ch === 'Y') sign |= 1 << q;
      if (ch === 'Y') ys++;
    }
    return { coeff: t.coeff, flip, sign, ys, pauli: t.pauli };
  });
}

function parity(x: number): number {
  let v = x;
  v ^= v >>> 16;
  v ^= v >>> 8;
  v ^= v >>> 4;
  v ^= v >>> 2;
  v ^= v >>> 1;
  return v & 1;
}

/** <state| P |state> for one parsed Pauli string, from the state vector. */
function pauliExpectation(state: Float64Array, p: ParsedPauli): number {
  const dim = state.length / 2;
  // P|i> = i^ys (-1)^{|i & sign|} |i ^ flip>, so <ψ|P|ψ> = Σ_i conj(ψ[i ^ flip]) i^ys (-1)^{...} ψ[i].
  let re = 0;
  let im = 0;
  for (let i = 0; i < dim; i++) {
    const j = i ^ p.flip;
    const s = parity(i & p.sign) ? -1 : 1;
    const ar = state[2 * i];
    const ai = state[2 * i + 1];
    const br = state[2 * j];
    const bi = -state[2 * j + 1];
    re += s * (br * ar - bi * ai);
    im += s * (br * ai + bi * ar);
  }
  switch (p.ys & 3) {
    case 0:
      return re;
    case 1:
      return -im;
    case 2:
      return -re;
    default:
      return im;
  }
}

/** Σ coeff · <ψ|P|ψ> computed exactly from the state vector (no sampling). */
export function expectation(
  circuit: Circuit,
  observable: PauliSum,
  parameters?: Readonly<Record<string, number>>,
): number {
  const terms = parsePauliSum(observable, circuit.numQubits);
  const state = statevector(circuit, parameters);
  let total = 0;
  for (const t of terms) total += t.coeff * pauliExpectation(state, t);
  return total;
}

/**
 * Σ coeff · <P> estimated from shots: one run per distinct measurement basis (the string with I kept),
 * rotating X to Z with H and Y to Z with S† then H. Final measurements of the circuit are replaced.
 * Each run uses `options.shots` shots and seed `seed + basis index`; the noise model, when given, applies.
 */
export function sampleExpectation(
  circuit: Circuit,
  observable: PauliSum,
  options: SimulateOptions,
): { value: number; shots: number; seed: number; runs: number } {
  const terms = parsePauliSum(observable, circuit.numQubits);
  const n = circuit.numQubits;
  const seed = options.seed ?? freshSeed();
  const bases = new Map<string, ParsedPauli[]>();
  for (const t of terms) {
    const key = t.pauli.replace(/I/g, 'Z');
    const list = bases.get(key) ?? [];
    list.push(t);
    bases.set(key, list);
  }
  const body = circuit.copyEmpty();
  unitaryOps(circuit, options.parameters); // rejects mid-circuit measurements before any run
  for (const inst of circuit.instructions) if (inst.name !== 'measure') body.instructions.push(inst);
  let value = 0;
  let run = 0;
  for (const [basis, list] of bases) {
    const c = body.clone();
    const creg = c.addCreg(`pauli_${run}`, n);
    for (let q = 0; q < n; q++) {
      const ch = basis[n - 1 - q];
      if (ch === 'X') c.h(q);
      else if (ch === 'Y') c.sdg(q).h(q);
      c.measure(q, creg.offset + q);
    }
    const res = simulate(c, { ...options, seed: seed + run });
    for (const [bits, count] of Object.entries(res.counts)) {
      // The last register is leftmost: its n bits open the string, qubit q at position n - 1 - q.
      let outcome = 0;
      for (let q = 0; q < n; q++) if (bits[n - 1 - q] === '1') outcome |= 1 << q;
      for (const t of list) {
        const support = t.flip | t.sign;
        value += (t.coeff * count * (parity(outcome & support) ? -1 : 1)) / options.shots;
      }
    }
    run++;
  }
  return { value, shots: options.shots, seed, runs: run };
}
