// A plain reference kernel, written for clarity rather than speed, that the fast kernel is tested against.
import { type Circuit, GATES, evalExpr } from '../circuit/index.js';
import { UnsupportedInstructionError } from './errors.js';

/**
 * Applies a k-qubit gate matrix to `qubits` by the definition: new[i] = Σ_c M[r(i), c] · old[i with the
 * gate's bits set to c], where r(i) reads the gate's bits out of i. Returns a new state.
 */
export function referenceApply(
  state: Float64Array,
  qubits: readonly number[],
  m: Float64Array,
): Float64Array {
  const dim = state.length / 2;
  const k = qubits.length;
  const gd = 1 << k;
  const out = new Float64Array(state.length);
  for (let i = 0; i < dim; i++) {
    let r = 0;
    for (let j = 0; j < k; j++) r |= ((i >> qubits[j]) & 1) << j;
    let re = 0;
    let im = 0;
    for (let c = 0; c < gd; c++) {
      let src = i;
      for (let j = 0; j < k; j++) {
        src &= ~(1 << qubits[j]);
        src |= ((c >> j) & 1) << qubits[j];
      }
      const mr = m[2 * (r * gd + c)];
      const mi = m[2 * (r * gd + c) + 1];
      re += mr * state[2 * src] - mi * state[2 * src + 1];
      im += mr * state[2 * src + 1] + mi * state[2 * src];
    }
    out[2 * i] = re;
    out[2 * i + 1] = im;
  }
  return out;
}

/** The state vector of a circuit of built-in gates (measurements and barriers ignored), gate by gate. */
export function referenceStatevector(
  circuit: Circuit,
  parameters?: Readonly<Record<string, number>>,
): Float64Array {
  let state: Float64Array = new Float64Array(2 << circuit.numQubits);
  state[0] = 1;
  for (const inst of circuit.instructions) {
    if (inst.name === 'measure' || inst.name === 'barrier') continue;
    if (inst.name === 'gphase') {
      const a = evalExpr(inst.params[0], parameters);
      state = state.map((v, i, s) =>
        i % 2 === 0 ? v * Math.cos(a) - s[i + 1] * Math.sin(a) : v * Math.cos(a) + s[i - 1] * Math.sin(a),
      );
      continue;
    }
    const carried = (inst as { matrix?: unknown }).matrix;
    const spec = GATES.get(inst.name);
    let m: Float64Array;
    if (inst.name === 'unitary' && carried instanceof Float64Array) m = carried;
    else if (spec !== undefined) m = spec.matrix(inst.params.map((p) => evalExpr(p, parameters)));
    else
      throw new UnsupportedInstructionError(
        inst.name,
        `reference kernel: unsupported instruction '${inst.name}'`,
      );
    state = referenceApply(state, inst.qubits, m);
  }
  return state;
}
