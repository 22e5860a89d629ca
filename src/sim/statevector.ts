// The state-vector kernel: gates applied in place to caller-owned interleaved (re, im) Float64Arrays.
//
// Index convention (Qiskit's, as src/circuit/gates.ts): amplitude i has bit q equal to the state of
// qubit q; a k-qubit gate matrix on qubits [q0, q1, ...] has bit j of its row/column index equal to
// qubits[j]. Amplitude i lives at state[2i] (re) and state[2i + 1] (im).
// No function here allocates inside its loop over amplitudes; a few allocate small tables up front.
import { SimulatorInputError, SimulatorMemoryError } from './errors.js';

/** Default cap on one state vector: 2 GiB, i.e. 27 qubits. */
export const DEFAULT_MAX_STATE_BYTES = 2 ** 31;

/** Hard ceiling on qubits: indices are handled with 32-bit integer operations. */
export const MAX_SIM_QUBITS = 30;

/** Bytes a state vector of `numQubits` qubits takes (16 bytes per amplitude). */
export function stateBytes(numQubits: number): number {
  return 16 * 2 ** numQubits;
}

/**
 * Checks the memory a state of `numQubits` needs against `maxBytes` and throws SimulatorMemoryError
 * (saying how many bytes it would take) when it does not fit. Cheap; call it before any work.
 */
export function checkStateMemory(numQubits: number, maxBytes = DEFAULT_MAX_STATE_BYTES): void {
  if (!Number.isInteger(numQubits) || numQubits < 0)
    throw new SimulatorInputError('numQubits', `must be a non-negative integer, got ${numQubits}`);
  const limit = Math.min(maxBytes, stateBytes(MAX_SIM_QUBITS));
  const need = stateBytes(numQubits);
  if (need > limit) throw new SimulatorMemoryError(numQubits, need, limit);
}

/** Allocates a state vector (all zeros; see initZero) after checking the memory it needs. */
export function allocState(numQubits: number, maxBytes = DEFAULT_MAX_STATE_BYTES): Float64Array {
  checkStateMemory(numQubits, maxBytes);
  return new Float64Array(2 * 2 ** numQubits);
}

/** Sets `state` to |0...0>. Returns it. */
export function initZero(state: Float64Array): Float64Array {
  state.fill(0);
  state[0] = 1;
  return state;
}

/** Number of qubits of a state vector from its length. */
export function numQubitsOf(state: Float64Array): number {
  return Math.round(Math.log2(state.length / 2));
}

/** Applies a 2x2 matrix `m` (interleaved, row-major) to qubit `q`. */
export function apply1(state: Float64Array, n: number, q: number, m: Float64Array): void {
  const m00r = m[0];
  const m00i = m[1];
  const m01r = m[2];
  const m01i = m[3];
  const m10r = m[4];
  const m10i = m[5];
  const m11r = m[6];
  const m11i = m[7];
  const len = 2 << n; // doubles
  if (q === 0) {
    // Partners are adjacent: one flat loop instead of an inner loop of length one per pair.
    for (let i = 0; i < len; i += 4) {
      const ar = state[i];
      const ai = state[i + 1];
      const br = state[i + 2];
      const bi = state[i + 3];
      state[i] = m00r * ar - m00i * ai + m01r * br - m01i * bi;
      state[i + 1] = m00r * ai + m00i * ar + m01r * bi + m01i * br;
      state[i + 2] = m10r * ar - m10i * ai + m11r * br - m11i * bi;
      state[i + 3] = m10r * ai + m10i * ar + m11r * bi + m11i * br;
    }
    return;
  }
  const half = 2 << q; // distance in doubles between the |0> and |1> partner
  const block = half << 1;
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
      state[j] = m10r * ar - m10i * ai + m11r * br - m11i * bi;
      state[j + 1] = m10r * ai + m10i * ar + m11r * bi + m11i * br;
    }
  }
}

/** Applies diag(d0, d1) (d = [d0re, d0im, d1re, d1im]) to qubit `q`; skips the |0> half when d0 = 1. */
export function applyDiag1(state: Float64Array, n: number, q: number, d: Float64Array): void {
  const len = 2 << n;
  const half = 2 << q;
  const block = half << 1;
  const d1r = d[2];
  const d1i = d[3];
  const touchZero = d[0] !== 1 || d[1] !== 0;
  const d0r = d[0];
  const d0i = d[1];
  for (let b = 0; b < len; b += block) {
    if (touchZero) {
      for (let i = b, end = b + half; i < end; i += 2) {
        const ar = state[i];
        const ai = state[i + 1];
        state[i] = d0r * ar - d0i * ai;
        state[i + 1] = d0r * ai + d0i * ar;
      }
    }
    for (let j = b + half, end = b + block; j < end; j += 2) {
      const br = state[j];
      const bi = state[j + 1];
      state[j] = d1r * br - d1i * bi;
      state[j + 1] = d1r * bi + d1i * br;
    }
  }
}

/** Applies a 4x4 matrix to qubits (q0, q1); bit 0 of the matrix index is q0. */
export function apply2(state: Float64Array, n: number, q0: number, q1: number, m: Float64Array): void {
  const lo = Math.min(q0, q1);
  const hi = Math.max(q0, q1);
  const s0 = 2 << q0; // doubles offset of bit q0
  const s1 = 2 << q1;
  const count = 1 << (n - 2);
  for (let k = 0; k < count; k++) {
    let x = ((k >> lo) << (lo + 1)) | (k & ((1 << lo) - 1));
    x = ((x >> hi) << (hi + 1)) | (x & ((1 << hi) - 1));
    const i0 = 2 * x;
    const i1 = i0 + s0;
    const i2 = i0 + s1;
    const i3 = i1 + s1;
    const a0r = state[i0];
    const a0i = state[i0 + 1];
    const a1r = state[i1];
    const a1i = state[i1 + 1];
    const a2r = state[i2];
    const a2i = state[i2 + 1];
    const a3r = state[i3];
    const a3i = state[i3 + 1];
    state[i0] =
      m[0] * a0r - m[1] * a0i + m[2] * a1r - m[3] * a1i + m[4] * a2r - m[5] * a2i + m[6] * a3r - m[7] * a3i;
    state[i0 + 1] =
      m[0] * a0i + m[1] * a0r + m[2] * a1i + m[3] * a1r + m[4] * a2i + m[5] * a2r + m[6] * a3i + m[7] * a3r;
    state[i1] =
      m[8] * a0r -
      m[9] * a0i +
      m[10] * a1r -
      m[11] * a1i +
      m[12] * a2r -
      m[13] * a2i +
      m[14] * a3r -
      m[15] * a3i;
    state[i1 + 1] =
      m[8] * a0i +
      m[9] * a0r +
      m[10] * a1i +
      m[11] * a1r +
      m[12] * a2i +
      m[13] * a2r +
      m[14] * a3i +
      m[15] * a3r;
    state[i2] =
      m[16] * a0r -
      m[17] * a0i +
      m[18] * a1r -
      m[19] * a1i +
      m[20] * a2r -
      m[21] * a2i +
      m[22] * a3r -
      m[23] * a3i;
    state[i2 + 1] =
      m[16] * a0i +
      m[17] * a0r +
      m[18] * a1i +
      m[19] * a1r +
      m[20] * a2i +
      m[21] * a2r +
      m[22] * a3i +
      m[23] * a3r;
    state[i3] =
      m[24] * a0r -
      m[25] * a0i +
      m[26] * a1r -
      m[27] * a1i +
      m[28] * a2r -
      m[29] * a2i +
      m[30] * a3r -
      m[31] * a3i;
    state[i3 + 1] =
      m[24] * a0i +
      m[25] * a0r +
      m[26] * a1i +
      m[27] * a1r +
      m[28] * a2i +
      m[29] * a2r +
      m[30] * a3i +
      m[31] * a3r;
  }
}

/** Inserts a zero bit at each of the ascending positions `sorted` into `k`. */
function insertZeros(k: number, sorted: Int32Array): number {
  let x = k;
  for (let j = 0; j < sorted.length; j++) {
    const p = sorted[j];
    x = ((x >> p) << (p + 1)) | (x & ((1 << p) - 1));
  }
  return x;
}

function sortedPositions(qubits: readonly number[]): Int32Array {
  return Int32Array.from(qubits).sort();
}

/** Amplitude offsets (in amplitudes) of the 2^k basis states of `qubits`, matrix-index order. */
function offsetsOf(qubits: readonly number[]): Int32Array {
  const d = 1 << qubits.length;
  const off = new Int32Array(d);
  for (let g = 0; g < d; g++) {
    let o = 0;
    for (let j = 0; j < qubits.length; j++) if ((g >> j) & 1) o |= 1 << qubits[j];
    off[g] = o;
  }
  return off;
}

/**
 * Applies a dense 2^k x 2^k matrix to `qubits` (any k). `scratch`, when given, must hold 2·2^k doubles;
 * it is the only working memory used.
 */
export function applyK(
  state: Float64Array,
  n: number,
  qubits: readonly number[],
  m: Float64Array,
  scratch: Float64Array = new Float64Array(2 << qubits.length),
): void {
  const k = qubits.length;
  if (k === 1) {
    apply1(state, n, qubits[0], m);
    return;
  }
  if (k === 2) {
    apply2(state, n, qubits[0], qubits[1], m);
    return;
  }
  const d = 1 << k;
  const sorted = sortedPositions(qubits);
  const off = offsetsOf(qubits);
  const count = 1 << (n - k);
  for (let c = 0; c < count; c++) {
    const base = insertZeros(c, sorted);
    for (let g = 0; g < d; g++) {
      const i = 2 * (base | off[g]);
      scratch[2 * g] = state[i];
      scratch[2 * g + 1] = state[i + 1];
    }
    for (let r = 0; r < d; r++) {
      let re = 0;
      let im = 0;
      const row = 2 * r * d;
      for (let g = 0; g < d; g++) {
        const mr = m[row + 2 * g];
        const mi = m[row + 2 * g + 1];
        const ar = scratch[2 * g];
        const ai = scratch[2 * g + 1];
        re += mr * ar - mi * ai;
        im += mr * ai + mi * ar;
      }
      const i = 2 * (base | off[r]);
      state[i] = re;
      state[i + 1] = im;
    }
  }
}

/**
 * Applies a diagonal gate on `qubits`: `diag` holds 2^k complex entries (interleaved), entry g for the
 * basis state whose bit j is qubits[j]. The table index of each amplitude is read from two lookup
 * tables (low and high halves of the amplitude index), which saves k bit extractions per amplitude.
 */
export function applyDiagonal(
  state: Float64Array,
  n: number,
  qubits: readonly number[],
  diag: Float64Array,
): void {
  if (qubits.length === 1) {
    applyDiag1(state, n, qubits[0], diag);
    return;
  }
  const lowBits = n >> 1;
  const lowSize = 1 << lowBits;
  const highSize = 1 << (n - lowBits);
  const low = new Int32Array(lowSize);
  const high = new Int32Array(highSize);
  for (let j = 0; j < qubits.length; j++) {
    const q = qubits[j];
    if (q < lowBits) for (let x = 0; x < lowSize; x++) low[x] |= ((x >> q) & 1) << j;
    else for (let x = 0; x < highSize; x++) high[x] |= ((x >> (q - lowBits)) & 1) << j;
  }
  for (let h = 0; h < highSize; h++) {
    const hv = high[h];
    const base = 2 * (h << lowBits);
    for (let l = 0; l < lowSize; l++) {
      const g = 2 * (hv | low[l]);
      const dr = diag[g];
      const di = diag[g + 1];
      const i = base + 2 * l;
      const ar = state[i];
      const ai = state[i + 1];
      state[i] = dr * ar - di * ai;
      state[i + 1] = dr * ai + di * ar;
    }
  }
}

/** Multi-controlled X: flips `target` where every qubit of `controls` is 1 (cx, ccx, c3x, c4x). */
export function applyMCX(state: Float64Array, n: number, controls: readonly number[], target: number): void {
  const sorted = sortedPositions([...controls, target]);
  let ctrlMask = 0;
  for (const c of controls) ctrlMask |= 1 << c;
  const t = 2 << target;
  const count = 1 << (n - sorted.length);
  for (let k = 0; k < count; k++) {
    const i = 2 * (insertZeros(k, sorted) | ctrlMask);
    const j = i + t;
    const ar = state[i];
    const ai = state[i + 1];
    state[i] = state[j];
    state[i + 1] = state[j + 1];
    state[j] = ar;
    state[j + 1] = ai;
  }
}

/** Multi-controlled single-qubit gate: applies the 2x2 `m` to `target` where all `controls` are 1. */
export function applyControlled1(
  state: Float64Array,
  n: number,
  controls: readonly number[],
  target: number,
  m: Float64Array,
): void {
  const sorted = sortedPositions([...controls, target]);
  let ctrlMask = 0;
  for (const c of controls) ctrlMask |= 1 << c;
  const t = 2 << target;
  const count = 1 << (n - sorted.length);
  const m00r = m[0];
  const m00i = m[1];
  const m01r = m[2];
  const m01i = m[3];
  const m10r = m[4];
  const m10i = m[5];
  const m11r = m[6];
  const m11i = m[7];
  for (let k = 0; k < count; k++) {
    const i = 2 * (insertZeros(k, sorted) | ctrlMask);
    const j = i + t;
    const ar = state[i];
    const ai = state[i + 1];
    const br = state[j];
    const bi = state[j + 1];
    state[i] = m00r * ar - m00i * ai + m01r * br - m01i * bi;
    state[i + 1] = m00r * ai + m00i * ar + m01r * bi + m01i * br;
    state[j] = m10r * ar - m10i * ai + m11r * br - m11i * bi;
    state[j + 1] = m10r * ai + m10i * ar + m11r * bi + m11i * br;
  }
}

/** Swaps qubits `a` and `b`. */
export function applySwap(state: Float64Array, n: number, a: number, b: number): void {
  const sorted = sortedPositions([a, b]);
  const sa = 2 << a;
  const sb = 2 << b;
  const count = 1 << (n - 2);
  for (let k = 0; k < count; k++) {
    const i0 = 2 * insertZeros(k, sorted);
    const i = i0 + sa;
    const j = i0 + sb;
    const ar = state[i];
    const ai = state[i + 1];
    state[i] = state[j];
    state[i + 1] = state[j + 1];
    state[j] = ar;
    state[j + 1] = ai;
  }
}

/**
 * Applies a permutation gate on `qubits`: basis state g goes to perm[g] (a permutation matrix has
 * entry (perm[g], g) = 1). `scratch` must hold 2·2^k doubles.
 */
export function applyPermutation(
  state: Float64Array,
  n: number,
  qubits: readonly number[],
  perm: Int32Array,
  scratch: Float64Array = new Float64Array(2 << qubits.length),
): void {
  const d = 1 << qubits.length;
  const sorted = sortedPositions(qubits);
  const off = offsetsOf(qubits);
  const count = 1 << (n - qubits.length);
  for (let c = 0; c < count; c++) {
    const base = insertZeros(c, sorted);
    for (let g = 0; g < d; g++) {
      const i = 2 * (base | off[g]);
      scratch[2 * g] = state[i];
      scratch[2 * g + 1] = state[i + 1];
    }
    for (let g = 0; g < d; g++) {
      const i = 2 * (base | off[perm[g]]);
      state[i] = scratch[2 * g];
      state[i + 1] = scratch[2 * g + 1];
    }
  }
}

/** Multiplies every amplitude by (re + i·im) (a global phase). */
export function scaleState(state: Float64Array, re: number, im: number): void {
  for (let i = 0; i < state.length; i += 2) {
    const ar = state[i];
    const ai = state[i + 1];
    state[i] = re * ar - im * ai;
    state[i + 1] = re * ai + im * ar;
  }
}

/** Probability that qubit `q` reads 1. */
export function probabilityOne(state: Float64Array, n: number, q: number): number {
  const len = 2 << n;
  const half = 2 << q;
  const block = half << 1;
  let p = 0;
  for (let b = half; b < len; b += block) {
    for (let j = b, end = b + half; j < end; j += 2) p += state[j] * state[j] + state[j + 1] * state[j + 1];
  }
  return p;
}

/** Projects qubit `q` onto `outcome` and rescales by 1/sqrt(prob) (prob: the outcome's probability). */
export function collapse(state: Float64Array, n: number, q: number, outcome: 0 | 1, prob: number): void {
  const len = 2 << n;
  const half = 2 << q;
  const block = half << 1;
  const scale = prob > 0 ? 1 / Math.sqrt(prob) : 0;
  const keep = outcome === 0 ? 0 : half;
  const drop = outcome === 0 ? half : 0;
  for (let b = 0; b < len; b += block) {
    for (let i = b + keep, end = b + keep + half; i < end; i++) state[i] *= scale;
    for (let i = b + drop, end = b + drop + half; i < end; i++) state[i] = 0;
  }
}

/** Writes |amplitude|² of every basis state into `out` (length 2^n). Returns `out`. */
export function probabilitiesInto(state: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0, k = 0; k < out.length; i += 2, k++)
    out[k] = state[i] * state[i] + state[i + 1] * state[i + 1];
  return out;
}

/** Sum of |amplitude|² (1 for a normalized state). */
export function norm2(state: Float64Array): number {
  let s = 0;
  for (let i = 0; i < state.length; i++) s += state[i] * state[i];
  return s;
}
