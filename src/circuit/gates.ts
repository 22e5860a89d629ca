// The gate library: every gate of qelib1.inc and stdgates.inc with its exact unitary.
//
// Matrix convention (Qiskit's): a gate on qubits [q0, q1, ...] has a 2^n x 2^n matrix whose
// row/column index i has bit k equal to the state of qubits[k] (q0 is the least significant bit).
// Controlled gates take their controls first: cx(control, target) is cx [control, target].
// Matrices are interleaved complex (re, im) in one Float64Array, row-major: entry (r, c) is at
// 2 * (r * dim + c).

/** Complex matrix, interleaved re/im, row-major. */
export type Matrix = Float64Array;

export interface GateSpec {
  readonly name: string;
  readonly numQubits: number;
  readonly numParams: number;
  /** The unitary for the given parameter values. */
  readonly matrix: (params: readonly number[]) => Matrix;
  /** The matrix is diagonal for every parameter value (a kernel fast path). */
  readonly diagonal?: boolean;
  /** The matrix is a permutation with unit entries (a kernel fast path). */
  readonly permutation?: boolean;
  /** Number of leading control qubits when the gate is a controlled single-target gate (cx, ccx, c3x...). */
  readonly controls?: number;
  /** Name of the gate this one controls, when `controls` is set (cx -> x). */
  readonly base?: string;
}

const S2 = Math.SQRT1_2;

/** Builds a dim x dim matrix from [re, im] pairs given row by row. */
export function matrixFrom(rows: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): Matrix {
  const dim = rows.length;
  const m = new Float64Array(2 * dim * dim);
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < dim; c++) {
      const [re, im] = rows[r][c];
      m[2 * (r * dim + c)] = re;
      m[2 * (r * dim + c) + 1] = im;
    }
  }
  return m;
}

/** e^{i a} as [re, im]. */
function cis(a: number): [number, number] {
  return [Math.cos(a), Math.sin(a)];
}

function mul(a: readonly [number, number], b: readonly [number, number]): [number, number] {
  return [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
}

const Z0: [number, number] = [0, 0];
const ONE: [number, number] = [1, 0];

/** Dimension of a square interleaved matrix. */
export function matrixDim(m: Matrix): number {
  return Math.round(Math.sqrt(m.length / 2));
}

/** out = a * b (both dim x dim). */
export function matmul(a: Matrix, b: Matrix, out: Matrix = new Float64Array(a.length)): Matrix {
  const dim = matrixDim(a);
  const tmp = out === a || out === b ? new Float64Array(a.length) : out;
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < dim; c++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < dim; k++) {
        const ar = a[2 * (r * dim + k)];
        const ai = a[2 * (r * dim + k) + 1];
        const br = b[2 * (k * dim + c)];
        const bi = b[2 * (k * dim + c) + 1];
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      tmp[2 * (r * dim + c)] = re;
      tmp[2 * (r * dim + c) + 1] = im;
    }
  }
  if (tmp !== out) out.set(tmp);
  return out;
}

/** Conjugate transpose. */
export function adjoint(m: Matrix): Matrix {
  const dim = matrixDim(m);
  const out = new Float64Array(m.length);
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < dim; c++) {
      out[2 * (c * dim + r)] = m[2 * (r * dim + c)];
      out[2 * (c * dim + r) + 1] = -m[2 * (r * dim + c) + 1];
    }
  }
  return out;
}

/** Identity of the given dimension. */
export function identity(dim: number): Matrix {
  const m = new Float64Array(2 * dim * dim);
  for (let i = 0; i < dim; i++) m[2 * (i * dim + i)] = 1;
  return m;
}

/**
 * The matrix of U controlled by `nCtrl` qubits: controls are the low qubits (qubits[0..nCtrl-1]),
 * U acts on the rest. `ctrlState` selects which control values activate U (all ones by default;
 * QASM 3 `negctrl` clears bits).
 */
export function controlled(u: Matrix, nCtrl: number, ctrlState = (1 << nCtrl) - 1): Matrix {
  const ud = matrixDim(u);
  const cd = 1 << nCtrl;
  const dim = ud * cd;
  const m = identity(dim);
  for (let r = 0; r < ud; r++) {
    for (let c = 0; c < ud; c++) {
      const R = r * cd + ctrlState;
      const C = c * cd + ctrlState;
      m[2 * (R * dim + C)] = u[2 * (r * ud + c)];
      m[2 * (R * dim + C) + 1] = u[2 * (r * ud + c) + 1];
    }
  }
  return m;
}

/**
 * Unitary of a sequence of gates on `numQubits` qubits (dense; for definitions and tests, up to ~10 qubits).
 * Each step is a gate matrix and the qubits it acts on.
 */
export function composeUnitary(
  numQubits: number,
  steps: ReadonlyArray<{ matrix: Matrix; qubits: readonly number[] }>,
): Matrix {
  const dim = 1 << numQubits;
  let u = identity(dim);
  for (const step of steps) u = matmul(embed(step.matrix, step.qubits, numQubits), u);
  return u;
}

/** Expands a k-qubit gate matrix acting on `qubits` into the full 2^n space. */
export function embed(g: Matrix, qubits: readonly number[], numQubits: number): Matrix {
  const dim = 1 << numQubits;
  const gd = matrixDim(g);
  const k = qubits.length;
  const out = new Float64Array(2 * dim * dim);
  let mask = 0;
  for (const q of qubits) mask |= 1 << q;
  for (let col = 0; col < dim; col++) {
    let gc = 0;
    for (let j = 0; j < k; j++) gc |= ((col >> qubits[j]) & 1) << j;
    const rest = col & ~mask;
    for (let gr = 0; gr < gd; gr++) {
      let row = rest;
      for (let j = 0; j < k; j++) row |= ((gr >> j) & 1) << qubits[j];
      out[2 * (row * dim + col)] = g[2 * (gr * gd + gc)];
      out[2 * (row * dim + col) + 1] = g[2 * (gr * gd + gc) + 1];
    }
  }
  return out;
}

function u3(theta: number, phi: number, lambda: number): Matrix {
  const c = Math.cos(theta / 2);
  const s = Math.sin(theta / 2);
  return matrixFrom([
    [[c, 0], mul([-s, 0], cis(lambda))],
    [mul([s, 0], cis(phi)), mul([c, 0], cis(phi + lambda))],
  ]);
}

function phase(l: number): Matrix {
  return matrixFrom([
    [ONE, Z0],
    [Z0, cis(l)],
  ]);
}

function rx(t: number): Matrix {
  const c = Math.cos(t / 2);
  const s = Math.sin(t / 2);
  return matrixFrom([
    [
      [c, 0],
      [0, -s],
    ],
    [
      [0, -s],
      [c, 0],
    ],
  ]);
}

function ry(t: number): Matrix {
  const c = Math.cos(t / 2);
  const s = Math.sin(t / 2);
  return matrixFrom([
    [
      [c, 0],
      [-s, 0],
    ],
    [
      [s, 0],
      [c, 0],
    ],
  ]);
}

function rz(t: number): Matrix {
  return matrixFrom([
    [cis(-t / 2), Z0],
    [Z0, cis(t / 2)],
  ]);
}

const X = matrixFrom([
  [Z0, ONE],
  [ONE, Z0],
]);
const Y = matrixFrom([
  [Z0, [0, -1]],
  [[0, 1], Z0],
]);
const Z = matrixFrom([
  [ONE, Z0],
  [Z0, [-1, 0]],
]);
const H = matrixFrom([
  [
    [S2, 0],
    [S2, 0],
  ],
  [
    [S2, 0],
    [-S2, 0],
  ],
]);
const SX = matrixFrom([
  [
    [0.5, 0.5],
    [0.5, -0.5],
  ],
  [
    [0.5, -0.5],
    [0.5, 0.5],
  ],
]);
const SWAP = matrixFrom([
  [ONE, Z0, Z0, Z0],
  [Z0, Z0, ONE, Z0],
  [Z0, ONE, Z0, Z0],
  [Z0, Z0, Z0, ONE],
]);

/** exp(-i t/2 P⊗P) for a two-qubit Pauli product with matrix pp. */
function pauliRotation2(pp: Matrix, t: number): Matrix {
  const c = Math.cos(t / 2);
  const s = Math.sin(t / 2);
  const out = new Float64Array(32);
  for (let i = 0; i < 16; i++) {
    // c * I - i s * PP
    const re = pp[2 * i];
    const im = pp[2 * i + 1];
    out[2 * i] = s * im;
    out[2 * i + 1] = -s * re;
  }
  for (let d = 0; d < 4; d++) out[2 * (d * 4 + d)] += c;
  return out;
}

function kron(a: Matrix, b: Matrix): Matrix {
  // kron(a, b) with b on the low qubit: index = ia * db + ib
  const da = matrixDim(a);
  const db = matrixDim(b);
  const dim = da * db;
  const out = new Float64Array(2 * dim * dim);
  for (let ar = 0; ar < da; ar++)
    for (let ac = 0; ac < da; ac++)
      for (let br = 0; br < db; br++)
        for (let bc = 0; bc < db; bc++) {
          const [re, im] = mul(
            [a[2 * (ar * da + ac)], a[2 * (ar * da + ac) + 1]],
            [b[2 * (br * db + bc)], b[2 * (br * db + bc) + 1]],
          );
          const r = ar * db + br;
          const c = ac * db + bc;
          out[2 * (r * dim + c)] = re;
          out[2 * (r * dim + c) + 1] = im;
        }
  return out;
}

const XX = kron(X, X);
const YY = kron(Y, Y);

function fixed(m: Matrix): (p: readonly number[]) => Matrix {
  return () => m.slice();
}

// Definitions in qelib1.inc terms, for the relative-phase Toffolis whose matrices are easiest read off them.
function rccxMatrix(): Matrix {
  const u2 = (phi: number, lam: number) => u3(Math.PI / 2, phi, lam);
  const CX = controlled(X, 1);
  const p = Math.PI / 4;
  return composeUnitary(3, [
    { matrix: u2(0, Math.PI), qubits: [2] },
    { matrix: phase(p), qubits: [2] },
    { matrix: CX, qubits: [1, 2] },
    { matrix: phase(-p), qubits: [2] },
    { matrix: CX, qubits: [0, 2] },
    { matrix: phase(p), qubits: [2] },
    { matrix: CX, qubits: [1, 2] },
    { matrix: phase(-p), qubits: [2] },
    { matrix: u2(0, Math.PI), qubits: [2] },
  ]);
}

function rc3xMatrix(): Matrix {
  const u2 = (phi: number, lam: number) => u3(Math.PI / 2, phi, lam);
  const CX = controlled(X, 1);
  const p = Math.PI / 4;
  // qelib1.inc: gate rc3x a,b,c,d
  return composeUnitary(4, [
    { matrix: u2(0, Math.PI), qubits: [3] },
    { matrix: phase(p), qubits: [3] },
    { matrix: CX, qubits: [2, 3] },
    { matrix: phase(-p), qubits: [3] },
    { matrix: u2(0, Math.PI), qubits: [3] },
    { matrix: CX, qubits: [0, 3] },
    { matrix: phase(p), qubits: [3] },
    { matrix: CX, qubits: [1, 3] },
    { matrix: phase(-p), qubits: [3] },
    { matrix: CX, qubits: [0, 3] },
    { matrix: phase(p), qubits: [3] },
    { matrix: CX, qubits: [1, 3] },
    { matrix: phase(-p), qubits: [3] },
    { matrix: u2(0, Math.PI), qubits: [3] },
    { matrix: phase(p), qubits: [3] },
    { matrix: CX, qubits: [2, 3] },
    { matrix: phase(-p), qubits: [3] },
    { matrix: u2(0, Math.PI), qubits: [3] },
  ]);
}

const RCCX = rccxMatrix();
const RC3X = rc3xMatrix();
const ECR = matrixFrom([
  [Z0, [S2, 0], Z0, [0, S2]],
  [[S2, 0], Z0, [0, -S2], Z0],
  [Z0, [0, S2], Z0, [S2, 0]],
  [[0, -S2], Z0, [S2, 0], Z0],
]);
const ISWAP = matrixFrom([
  [ONE, Z0, Z0, Z0],
  [Z0, Z0, [0, 1], Z0],
  [Z0, [0, 1], Z0, Z0],
  [Z0, Z0, Z0, ONE],
]);

function spec(s: GateSpec): GateSpec {
  return s;
}

const list: GateSpec[] = [
  spec({
    name: 'id',
    numQubits: 1,
    numParams: 0,
    matrix: fixed(identity(2)),
    diagonal: true,
    permutation: true,
  }),
  spec({ name: 'x', numQubits: 1, numParams: 0, matrix: fixed(X), permutation: true }),
  spec({ name: 'y', numQubits: 1, numParams: 0, matrix: fixed(Y) }),
  spec({ name: 'z', numQubits: 1, numParams: 0, matrix: fixed(Z), diagonal: true }),
  spec({ name: 'h', numQubits: 1, numParams: 0, matrix: fixed(H) }),
  spec({ name: 's', numQubits: 1, numParams: 0, matrix: () => phase(Math.PI / 2), diagonal: true }),
  spec({ name: 'sdg', numQubits: 1, numParams: 0, matrix: () => phase(-Math.PI / 2), diagonal: true }),
  spec({ name: 't', numQubits: 1, numParams: 0, matrix: () => phase(Math.PI / 4), diagonal: true }),
  spec({ name: 'tdg', numQubits: 1, numParams: 0, matrix: () => phase(-Math.PI / 4), diagonal: true }),
  spec({ name: 'sx', numQubits: 1, numParams: 0, matrix: fixed(SX) }),
  spec({ name: 'sxdg', numQubits: 1, numParams: 0, matrix: fixed(adjoint(SX)) }),
  spec({ name: 'rx', numQubits: 1, numParams: 1, matrix: (p) => rx(p[0]) }),
  spec({ name: 'ry', numQubits: 1, numParams: 1, matrix: (p) => ry(p[0]) }),
  spec({ name: 'rz', numQubits: 1, numParams: 1, matrix: (p) => rz(p[0]), diagonal: true }),
  spec({ name: 'p', numQubits: 1, numParams: 1, matrix: (p) => phase(p[0]), diagonal: true }),
  spec({ name: 'phase', numQubits: 1, numParams: 1, matrix: (p) => phase(p[0]), diagonal: true }),
  spec({ name: 'u1', numQubits: 1, numParams: 1, matrix: (p) => phase(p[0]), diagonal: true }),
  spec({ name: 'u2', numQubits: 1, numParams: 2, matrix: (p) => u3(Math.PI / 2, p[0], p[1]) }),
  spec({ name: 'u3', numQubits: 1, numParams: 3, matrix: (p) => u3(p[0], p[1], p[2]) }),
  spec({ name: 'u', numQubits: 1, numParams: 3, matrix: (p) => u3(p[0], p[1], p[2]) }),
  spec({
    name: 'cx',
    numQubits: 2,
    numParams: 0,
    matrix: () => controlled(X, 1),
    permutation: true,
    controls: 1,
    base: 'x',
  }),
  spec({ name: 'cy', numQubits: 2, numParams: 0, matrix: () => controlled(Y, 1), controls: 1, base: 'y' }),
  spec({
    name: 'cz',
    numQubits: 2,
    numParams: 0,
    matrix: () => controlled(Z, 1),
    diagonal: true,
    controls: 1,
    base: 'z',
  }),
  spec({ name: 'ch', numQubits: 2, numParams: 0, matrix: () => controlled(H, 1), controls: 1, base: 'h' }),
  spec({ name: 'swap', numQubits: 2, numParams: 0, matrix: fixed(SWAP), permutation: true }),
  spec({
    name: 'crx',
    numQubits: 2,
    numParams: 1,
    matrix: (p) => controlled(rx(p[0]), 1),
    controls: 1,
    base: 'rx',
  }),
  spec({
    name: 'cry',
    numQubits: 2,
    numParams: 1,
    matrix: (p) => controlled(ry(p[0]), 1),
    controls: 1,
    base: 'ry',
  }),
  spec({
    name: 'crz',
    numQubits: 2,
    numParams: 1,
    matrix: (p) => controlled(rz(p[0]), 1),
    diagonal: true,
    controls: 1,
    base: 'rz',
  }),
  spec({
    name: 'cp',
    numQubits: 2,
    numParams: 1,
    matrix: (p) => controlled(phase(p[0]), 1),
    diagonal: true,
    controls: 1,
    base: 'p',
  }),
  spec({
    name: 'cphase',
    numQubits: 2,
    numParams: 1,
    matrix: (p) => controlled(phase(p[0]), 1),
    diagonal: true,
    controls: 1,
    base: 'p',
  }),
  spec({
    name: 'cu1',
    numQubits: 2,
    numParams: 1,
    matrix: (p) => controlled(phase(p[0]), 1),
    diagonal: true,
    controls: 1,
    base: 'u1',
  }),
  spec({
    name: 'cu3',
    numQubits: 2,
    numParams: 3,
    matrix: (p) => controlled(u3(p[0], p[1], p[2]), 1),
    controls: 1,
    base: 'u3',
  }),
  spec({
    name: 'cu',
    numQubits: 2,
    numParams: 4,
    // Qiskit's CUGate: controlled(e^{i gamma} U(theta, phi, lambda))
    matrix: (p) => {
      const u = u3(p[0], p[1], p[2]);
      const g = cis(p[3]);
      for (let i = 0; i < u.length; i += 2) {
        const [re, im] = mul([u[i], u[i + 1]], g);
        u[i] = re;
        u[i + 1] = im;
      }
      return controlled(u, 1);
    },
    controls: 1,
  }),
  spec({
    name: 'ccx',
    numQubits: 3,
    numParams: 0,
    matrix: () => controlled(X, 2),
    permutation: true,
    controls: 2,
    base: 'x',
  }),
  spec({
    name: 'cswap',
    numQubits: 3,
    numParams: 0,
    matrix: () => controlled(SWAP, 1),
    permutation: true,
    controls: 1,
    base: 'swap',
  }),
  spec({ name: 'rxx', numQubits: 2, numParams: 1, matrix: (p) => pauliRotation2(XX, p[0]) }),
  spec({ name: 'ryy', numQubits: 2, numParams: 1, matrix: (p) => pauliRotation2(YY, p[0]) }),
  spec({
    name: 'rzz',
    numQubits: 2,
    numParams: 1,
    matrix: (p) => {
      const a = cis(-p[0] / 2);
      const b = cis(p[0] / 2);
      return matrixFrom([
        [a, Z0, Z0, Z0],
        [Z0, b, Z0, Z0],
        [Z0, Z0, b, Z0],
        [Z0, Z0, Z0, a],
      ]);
    },
    diagonal: true,
  }),
  spec({ name: 'rccx', numQubits: 3, numParams: 0, matrix: fixed(RCCX) }),
  spec({ name: 'rc3x', numQubits: 4, numParams: 0, matrix: fixed(RC3X) }),
  spec({
    name: 'c3x',
    numQubits: 4,
    numParams: 0,
    matrix: () => controlled(X, 3),
    permutation: true,
    controls: 3,
    base: 'x',
  }),
  spec({
    name: 'c3sqrtx',
    numQubits: 4,
    numParams: 0,
    matrix: () => controlled(SX, 3),
    controls: 3,
    base: 'sx',
  }),
  spec({
    name: 'c4x',
    numQubits: 5,
    numParams: 0,
    matrix: () => controlled(X, 4),
    permutation: true,
    controls: 4,
    base: 'x',
  }),
  spec({ name: 'ecr', numQubits: 2, numParams: 0, matrix: fixed(ECR) }),
  // qelib1.inc's u0(gamma) is an identity (a timed idle on old IBM devices); csx is controlled-sqrt(X).
  spec({
    name: 'u0',
    numQubits: 1,
    numParams: 1,
    matrix: () => identity(2),
    diagonal: true,
    permutation: true,
  }),
  spec({ name: 'csx', numQubits: 2, numParams: 0, matrix: () => controlled(SX, 1), controls: 1, base: 'sx' }),
  spec({ name: 'iswap', numQubits: 2, numParams: 0, matrix: fixed(ISWAP) }),
];

/** Every built-in gate by name (lower case, as in qelib1.inc and stdgates.inc). */
export const GATES: ReadonlyMap<string, GateSpec> = new Map(list.map((g) => [g.name, g]));

/** Non-unitary and directive instructions that circuits may hold besides gates. */
export const DIRECTIVES = new Set(['measure', 'reset', 'barrier', 'delay']);

/** The spec of a built-in gate, or undefined. */
export function gateSpec(name: string): GateSpec | undefined {
  return GATES.get(name);
}
