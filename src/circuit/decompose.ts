// Decomposition into a basis: definitions inlined, one-qubit gates synthesized exactly, entanglers converted.
import { evalExpr } from './expr.js';
import { flatten } from './flatten.js';
import { GATES, type Matrix } from './gates.js';
import { type Circuit, CircuitError, type Condition, type Instruction } from './ir.js';
import { libraryDefinitions } from './library.js';

const TWO_PI = 2 * Math.PI;
const DIRECTIVE_NAMES = new Set(['measure', 'reset', 'barrier', 'delay']);

/** Euler angles of a one-qubit unitary: U = e^{i phase} RZ(phi) RY(theta) RZ(lambda). */
export interface EulerAngles {
  readonly theta: number;
  readonly phi: number;
  readonly lambda: number;
  readonly phase: number;
}

/** ZYZ Euler angles of a 2x2 unitary (interleaved re/im). */
export function eulerZYZ(u: Matrix): EulerAngles {
  const [ar, ai, br, bi, cr, ci, dr, di] = u;
  // det = ad - bc; dividing by its square root leaves a matrix of SU(2)
  const detR = ar * dr - ai * di - (br * cr - bi * ci);
  const detI = ar * di + ai * dr - (br * ci + bi * cr);
  const half = Math.atan2(detI, detR) / 2;
  const cosH = Math.cos(-half);
  const sinH = Math.sin(-half);
  const rot = (re: number, im: number): [number, number] => [re * cosH - im * sinH, re * sinH + im * cosH];
  const [a0r, a0i] = rot(ar, ai);
  const [c0r, c0i] = rot(cr, ci);
  const [d0r, d0i] = rot(dr, di);
  const theta = 2 * Math.atan2(Math.hypot(c0r, c0i), Math.hypot(a0r, a0i));
  const sum2 = Math.atan2(d0i, d0r);
  const diff2 = Math.atan2(c0i, c0r);
  return { theta, phi: sum2 + diff2, lambda: sum2 - diff2, phase: half };
}

/** One-qubit synthesis target a basis supports, in order of preference. */
type OneQubitForm = 'u3' | 'u' | 'zsx' | 'zyz' | 'zxz';

function oneQubitForm(basis: ReadonlySet<string>): OneQubitForm {
  if (basis.has('u3')) return 'u3';
  if (basis.has('u')) return 'u';
  if (basis.has('rz') && basis.has('sx')) return 'zsx';
  if (basis.has('rz') && basis.has('ry')) return 'zyz';
  if (basis.has('rz') && basis.has('rx')) return 'zxz';
  throw new CircuitError(
    'basis_unsupported',
    `basis [${[...basis].join(', ')}] cannot express every one-qubit gate (give u3, u, rz+sx, rz+ry or rz+rx)`,
  );
}

/** Reduces an angle to (-pi, pi]. */
function wrapAngle(a: number): number {
  let x = a % TWO_PI;
  if (x <= -Math.PI) x += TWO_PI;
  else if (x > Math.PI) x -= TWO_PI;
  return x;
}

function isZero(a: number): boolean {
  return Math.abs(wrapAngle(a)) < 1e-10 || Math.abs(Math.abs(wrapAngle(a)) - TWO_PI) < 1e-10;
}

/** Gates (name, params) on one qubit realizing `u` up to global phase in the given form. */
export function synthesizeOneQubit(
  u: Matrix,
  basis: ReadonlySet<string>,
): Array<{ name: string; params: number[] }> {
  const form = oneQubitForm(basis);
  const { theta, phi, lambda } = eulerZYZ(u);
  const out: Array<{ name: string; params: number[] }> = [];
  const rz = (a: number) => {
    if (!isZero(a)) out.push({ name: 'rz', params: [wrapAngle(a)] });
  };
  if (form === 'u3' || form === 'u') {
    out.push({ name: form, params: [theta, wrapAngle(phi), wrapAngle(lambda)] });
    return out;
  }
  if (form === 'zyz') {
    rz(lambda);
    if (!isZero(theta)) out.push({ name: 'ry', params: [theta] });
    rz(phi);
    return out;
  }
  if (form === 'zxz') {
    // RY(t) = RZ(pi/2) RX(t) RZ(-pi/2)
    if (isZero(theta)) {
      rz(phi + lambda);
      return out;
    }
    rz(lambda - Math.PI / 2);
    out.push({ name: 'rx', params: [theta] });
    rz(phi + Math.PI / 2);
    return out;
  }
  // ZSX: RZ(phi) RY(theta) RZ(lambda) ~ RZ(phi + pi) SX RZ(theta + pi) SX RZ(lambda); shorter forms first.
  if (isZero(theta)) {
    rz(phi + lambda);
    return out;
  }
  if (Math.abs(theta - Math.PI / 2) < 1e-10) {
    rz(lambda - Math.PI / 2);
    out.push({ name: 'sx', params: [] });
    rz(phi + Math.PI / 2);
    return out;
  }
  if (basis.has('x') && Math.abs(theta - Math.PI) < 1e-10) {
    // U3(pi, phi, lambda) = [[0, -e^{i lambda}], [e^{i phi}, 0]] ~ RZ(phi - lambda + pi) X
    out.push({ name: 'x', params: [] });
    rz(phi - lambda + Math.PI);
    return out;
  }
  rz(lambda);
  out.push({ name: 'sx', params: [] });
  rz(theta + Math.PI);
  out.push({ name: 'sx', params: [] });
  rz(phi + Math.PI);
  return out;
}

/**
 * Rewrites a circuit into the gates of `basis` (e.g. `['cx','u3']`, `['cx','id','rz','sx','x']`,
 * `['ecr','id','rz','sx','x']`, `['cz','id','rz','sx','x']`): user gates and modifiers are flattened, multi-qubit
 * gates expanded through the gate library down to cx and one-qubit gates, cx converted to the basis' entangler and
 * every one-qubit gate not in the basis synthesized exactly (up to global phase). Symbols must be bound first.
 * @example
 *   decompose(new Circuit(2).h(0).cx(0, 1), ['cz', 'rz', 'sx', 'x'])
 */
export function decompose(circuit: Circuit, basis: readonly string[]): Circuit {
  const set = new Set(basis);
  oneQubitForm(set); // fails early, naming the basis, when it cannot express one-qubit gates
  const entangler = set.has('cx') ? 'cx' : set.has('cz') ? 'cz' : set.has('ecr') ? 'ecr' : undefined;
  const flat = flatten(circuit);
  const out = flat.copyEmpty();
  const d = new Decomposer(set, entangler, out.instructions);
  for (const inst of flat.instructions)
    d.instruction(inst.name, inst.params as number[], inst.qubits, inst, inst.condition, 0);
  return out;
}

class Decomposer {
  private readonly cache = new Map<string, Array<{ name: string; params: number[] }>>();

  constructor(
    private readonly basis: ReadonlySet<string>,
    private readonly entangler: string | undefined,
    private readonly sink: Instruction[],
  ) {}

  instruction(
    name: string,
    params: readonly number[],
    qubits: readonly number[],
    inst: Instruction | undefined,
    condition: Condition | undefined,
    depth: number,
  ): void {
    if (DIRECTIVE_NAMES.has(name)) {
      this.push({ name, qubits, clbits: inst?.clbits ?? [], params }, condition);
      return;
    }
    if (name === 'gphase') {
      if (this.basis.has('gphase')) this.push({ name, qubits, clbits: [], params }, condition);
      return;
    }
    if (this.basis.has(name) && name !== 'unitary') {
      this.push({ name, qubits, clbits: [], params }, condition);
      return;
    }
    if (qubits.length === 1) {
      const matrix = name === 'unitary' ? inst!.matrix! : GATES.get(name)!.matrix(params);
      const key = name === 'unitary' ? '' : `${name}(${params.join(',')})`;
      let seq = key ? this.cache.get(key) : undefined;
      if (!seq) {
        seq = synthesizeOneQubit(matrix, this.basis);
        if (key && this.cache.size < 10_000) this.cache.set(key, seq);
      }
      for (const g of seq) this.push({ name: g.name, qubits, clbits: [], params: g.params }, condition);
      return;
    }
    if (name === 'cx') {
      const [a, b] = qubits;
      if (this.entangler === 'cz') {
        this.instruction('h', [], [b], undefined, condition, depth);
        this.push({ name: 'cz', qubits: [a, b], clbits: [], params: [] }, condition);
        this.instruction('h', [], [b], undefined, condition, depth);
        return;
      }
      if (this.entangler === 'ecr') {
        // cx(a, b) = ecr(a, b) then s, x on a and s, h, s on b, up to global phase (library.test.ts checks it)
        this.push({ name: 'ecr', qubits: [a, b], clbits: [], params: [] }, condition);
        for (const g of ['s', 'x']) this.instruction(g, [], [a], undefined, condition, depth);
        for (const g of ['s', 'h', 's']) this.instruction(g, [], [b], undefined, condition, depth);
        return;
      }
      throw new CircuitError(
        'basis_unsupported',
        `basis [${[...this.basis].join(', ')}] has no two-qubit gate qobs can target (cx, cz or ecr)`,
      );
    }
    if (name === 'unitary')
      throw new CircuitError(
        'decompose_unsupported',
        `a ${qubits.length}-qubit unitary matrix cannot be decomposed (only one-qubit ones are synthesized)`,
      );
    const def = libraryDefinitions().get(name);
    if (!def || def.body === null)
      throw new CircuitError('decompose_unsupported', `gate '${name}' has no decomposition`);
    if (depth > 16) throw new CircuitError('decompose_depth', `decomposition of '${name}' nests too deeply`);
    const env: Record<string, number> = {};
    def.params.forEach((p, i) => {
      env[p] = params[i];
    });
    for (const b of def.body) {
      this.instruction(
        b.name,
        b.params.map((p) => evalExpr(p, env)),
        b.qubits.map((q) => qubits[q]),
        undefined,
        condition,
        depth + 1,
      );
    }
  }

  private push(inst: Instruction, condition: Condition | undefined): void {
    this.sink.push(condition ? { ...inst, condition } : inst);
  }
}
