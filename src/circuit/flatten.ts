// Flattening: user gates inlined, QASM 3 modifiers applied and symbols bound, leaving only built-in gates.
import { evalExpr } from './expr.js';
import { GATES, adjoint, composeUnitary, controlled, identity, matmul, type Matrix } from './gates.js';
import { type Circuit, CircuitError, type Condition, type Instruction, type Modifier } from './ir.js';

/** Most qubits a `unitary` fallback may span (its dense matrix has 4^n entries). */
export const MAX_UNITARY_QUBITS = 10;
const MAX_INLINE_DEPTH = 64;
const MAX_POW_REPEAT = 64;

/** One gate of a sequence: qubits are positions in the enclosing instruction's qubit list. */
interface Step {
  name: string;
  params: number[];
  qubits: number[];
}

const SELF_INVERSE = new Set([
  'id',
  'x',
  'y',
  'z',
  'h',
  'cx',
  'cy',
  'cz',
  'ch',
  'swap',
  'ccx',
  'cswap',
  'c3x',
  'c4x',
  'ecr',
]);
const INVERSE_PAIR: Readonly<Record<string, string>> = {
  s: 'sdg',
  sdg: 's',
  t: 'tdg',
  tdg: 't',
  sx: 'sxdg',
  sxdg: 'sx',
};
// Gates whose every parameter is an angle that the inverse negates, and whose power k multiplies it.
const ROTATIONS = new Set([
  'rx',
  'ry',
  'rz',
  'p',
  'phase',
  'u1',
  'crx',
  'cry',
  'crz',
  'cp',
  'cphase',
  'cu1',
  'rxx',
  'ryy',
  'rzz',
  'gphase',
  'u0',
]);
// Fixed diagonal gates as phase gates: z^k = p(k pi)...
const PHASE_OF: Readonly<Record<string, number>> = {
  z: Math.PI,
  s: Math.PI / 2,
  sdg: -Math.PI / 2,
  t: Math.PI / 4,
  tdg: -Math.PI / 4,
};
// One more control on a gate: the built-in it becomes.
const ADD_CONTROL: Readonly<Record<string, string>> = {
  x: 'cx',
  y: 'cy',
  z: 'cz',
  h: 'ch',
  sx: 'csx',
  p: 'cp',
  phase: 'cp',
  u1: 'cu1',
  rx: 'crx',
  ry: 'cry',
  rz: 'crz',
  swap: 'cswap',
  cx: 'ccx',
  ccx: 'c3x',
  c3x: 'c4x',
};

/**
 * Inlines every user gate definition, applies QASM 3 modifiers and binds symbols. The result holds only gates of
 * GATES with numeric parameters, `measure`, `reset`, `barrier`, `gphase` (global phase, no qubits) and conditions;
 * a modified gate with no built-in equivalent becomes an instruction named `unitary` carrying its `matrix`.
 * `opaque` gates cannot be flattened (CircuitError `opaque_gate`); a missing symbol raises UnboundParameterError.
 */
export function flatten(circuit: Circuit, parameters?: Readonly<Record<string, number>>): Circuit {
  const out = circuit.copyEmpty();
  out.definitions.clear();
  out.inputs.length = 0;
  const f = new Flattener(circuit, out.instructions);
  const all = range(circuit.numQubits);
  for (const inst of circuit.instructions) f.instruction(inst, all, parameters, inst.condition, 0);
  return out;
}

/** The unitary of one instruction of `circuit` (definitions and modifiers applied), on its own qubits in order. */
export function instructionMatrix(
  circuit: Circuit,
  inst: Instruction,
  parameters?: Readonly<Record<string, number>>,
): Matrix {
  const f = new Flattener(circuit, []);
  const params = inst.params.map((p) => evalExpr(p, parameters));
  return f.modifiedMatrix(inst.name, params, inst.modifiers ?? [], 0);
}

/**
 * The name an instruction is counted under: its own, or for a modified gate the built-in it equals
 * (`ctrl @ x` is cx, `ctrl(2) @ x` ccx, `inv @ s` sdg, `ctrl @ p` cp), else the modifiers spelled out (`ctrl(2) @ h`).
 */
export function operationName(circuit: Circuit, inst: Instruction): string {
  const mods = inst.modifiers;
  if (!mods || mods.length === 0) return inst.name;
  try {
    const evaluated = mods.map((m) =>
      m.kind === 'pow' ? { kind: 'pow' as const, exponent: evalExpr(m.exponent) } : m,
    );
    const params = inst.params.map(() => 0.5);
    const steps = new Flattener(circuit, []).resolveModified(
      inst.name,
      params,
      evaluated,
      inst.qubits.length,
    );
    if (steps && steps.length === 1) return steps[0].name;
  } catch {
    // a symbolic pow exponent: fall through to the spelled-out name
  }
  return `${mods
    .map((m) =>
      m.kind === 'inv'
        ? 'inv @ '
        : m.kind === 'pow'
          ? 'pow @ '
          : `${m.negated ? 'negctrl' : 'ctrl'}${m.count > 1 ? `(${m.count})` : ''} @ `,
    )
    .join('')}${inst.name}`;
}

class Flattener {
  constructor(
    private readonly circuit: Circuit,
    private readonly sink: Instruction[],
  ) {}

  instruction(
    inst: Instruction,
    qubits: readonly number[],
    env: Readonly<Record<string, number>> | undefined,
    condition: Condition | undefined,
    depth: number,
  ): void {
    if (depth > MAX_INLINE_DEPTH)
      throw new CircuitError(
        'definition_depth',
        `gate definitions nest deeper than ${MAX_INLINE_DEPTH} (recursive definition?)`,
      );
    const name = inst.name;
    const mapped = inst.qubits.map((q) => qubits[q]);
    if (name === 'measure' || name === 'reset' || name === 'barrier' || name === 'delay') {
      this.push(
        { name, qubits: mapped, clbits: inst.clbits, params: inst.params.map((p) => evalExpr(p, env)) },
        condition,
      );
      return;
    }
    const params = inst.params.map((p) => evalExpr(p, env));
    const modifiers = inst.modifiers;
    if (modifiers && modifiers.length > 0) {
      const evaluated = modifiers.map((m) =>
        m.kind === 'pow' ? { kind: 'pow' as const, exponent: evalExpr(m.exponent, env) } : m,
      );
      const steps = this.resolveModified(name, params, evaluated, mapped.length);
      if (steps) {
        for (const s of steps) this.emitStep(s, mapped, condition, depth);
        return;
      }
      const matrix = this.modifiedMatrix(name, params, evaluated, depth);
      if (mapped.length > MAX_UNITARY_QUBITS)
        throw new CircuitError(
          'unitary_too_large',
          `modified gate '${name}' on ${mapped.length} qubits has no built-in form and is too large for a matrix`,
        );
      this.push({ name: 'unitary', qubits: mapped, clbits: [], params: [], matrix }, condition);
      return;
    }
    this.emitStep({ name, params, qubits: range(mapped.length) }, mapped, condition, depth);
  }

  private emitStep(
    step: Step,
    qubits: readonly number[],
    condition: Condition | undefined,
    depth: number,
  ): void {
    const mapped = step.qubits.map((q) => qubits[q]);
    const def = this.circuit.definitions.get(step.name);
    if (def) {
      if (def.body === null)
        throw new CircuitError('opaque_gate', `opaque gate '${step.name}' has no definition to flatten`);
      const env: Record<string, number> = {};
      def.params.forEach((p, i) => {
        env[p] = step.params[i];
      });
      for (const b of def.body) this.instruction(b, mapped, env, condition, depth + 1);
      return;
    }
    if (step.name === 'gphase') {
      this.push({ name: 'gphase', qubits: [], clbits: [], params: step.params }, condition);
      return;
    }
    if (!GATES.has(step.name)) throw new CircuitError('unknown_gate', `unknown gate '${step.name}'`);
    const name = step.name === 'phase' ? 'p' : step.name === 'cphase' ? 'cp' : step.name;
    this.push({ name, qubits: mapped, clbits: [], params: step.params }, condition);
  }

  private push(inst: Instruction, condition: Condition | undefined): void {
    this.sink.push(condition ? { ...inst, condition } : inst);
  }

  /** A modified built-in gate as a sequence of built-ins, or null when there is none. */
  resolveModified(
    name: string,
    params: number[],
    modifiers: readonly Modifier[],
    numQubits: number,
  ): Step[] | null {
    if (this.circuit.definitions.has(name)) return null;
    const spec = GATES.get(name);
    const baseArity = name === 'gphase' ? 0 : spec?.numQubits;
    if (baseArity === undefined) return null;
    let offset = numQubits - baseArity;
    let seq: Step[] = [{ name, params: [...params], qubits: range(baseArity).map((i) => offset + i) }];
    for (let i = modifiers.length - 1; i >= 0; i--) {
      const m = modifiers[i];
      if (m.kind === 'inv') {
        const inv = invertSeq(seq);
        if (!inv) return null;
        seq = inv;
      } else if (m.kind === 'pow') {
        const k = m.exponent as number;
        if (seq.length === 1 && (ROTATIONS.has(seq[0].name) || seq[0].name in PHASE_OF)) {
          const g = seq[0];
          if (g.name in PHASE_OF) seq = [{ name: 'p', params: [PHASE_OF[g.name] * k], qubits: g.qubits }];
          else seq = [{ name: g.name, params: g.params.map((p) => p * k), qubits: g.qubits }];
          continue;
        }
        if (!Number.isInteger(k) || Math.abs(k) > MAX_POW_REPEAT) return null;
        let base = seq;
        if (k < 0) {
          const inv = invertSeq(seq);
          if (!inv) return null;
          base = inv;
        }
        seq = [];
        for (let r = 0; r < Math.abs(k); r++) seq.push(...base);
      } else {
        for (let c = 0; c < m.count; c++) {
          const control = offset - 1 - c;
          const next: Step[] = [];
          for (const g of seq) {
            if (g.name === 'gphase') {
              next.push({ name: 'p', params: g.params, qubits: [control] });
              continue;
            }
            let target = ADD_CONTROL[g.name];
            let ps = g.params;
            if (!target && g.name in PHASE_OF) {
              target = 'cp';
              ps = [PHASE_OF[g.name]];
            }
            if (g.name === 'u' || g.name === 'u3') {
              target = 'cu';
              ps = [...g.params, 0];
            }
            if (!target) return null;
            next.push({ name: target, params: ps, qubits: [control, ...g.qubits] });
          }
          seq = next;
        }
        const first = offset - m.count;
        if (m.negated) {
          const flips: Step[] = range(m.count).map((c) => ({ name: 'x', params: [], qubits: [first + c] }));
          seq = [...flips, ...seq, ...flips];
        }
        offset = first;
      }
    }
    if (offset !== 0) return null;
    return seq;
  }

  /** Dense matrix of a gate with modifiers, innermost modifier first. */
  modifiedMatrix(
    name: string,
    params: readonly number[],
    modifiers: readonly Modifier[],
    depth: number,
  ): Matrix {
    let m = this.baseMatrix(name, params, depth);
    for (let i = modifiers.length - 1; i >= 0; i--) {
      const mod = modifiers[i];
      if (mod.kind === 'inv') m = adjoint(m);
      else if (mod.kind === 'pow') m = matrixPower(m, evalExpr(mod.exponent), name);
      else {
        if (Math.log2(Math.round(Math.sqrt(m.length / 2))) + mod.count > MAX_UNITARY_QUBITS)
          throw new CircuitError('unitary_too_large', `controlled '${name}' is too large for a matrix`);
        m = controlled(m, mod.count, mod.negated ? 0 : (1 << mod.count) - 1);
      }
    }
    return m;
  }

  private baseMatrix(name: string, params: readonly number[], depth: number): Matrix {
    const def = this.circuit.definitions.get(name);
    if (def) {
      if (def.body === null) throw new CircuitError('opaque_gate', `opaque gate '${name}' has no matrix`);
      if (def.numQubits > MAX_UNITARY_QUBITS)
        throw new CircuitError('unitary_too_large', `gate '${name}' is too large for a matrix`);
      const body: Instruction[] = [];
      const env: Record<string, number> = {};
      def.params.forEach((p, i) => {
        env[p] = params[i];
      });
      const inner = new Flattener(this.circuit, body);
      for (const b of def.body) inner.instruction(b, range(def.numQubits), env, undefined, depth + 1);
      let phase = 0;
      const steps: Array<{ matrix: Matrix; qubits: readonly number[] }> = [];
      for (const b of body) {
        if (b.name === 'gphase') phase += b.params[0] as number;
        else if (b.name === 'barrier') continue;
        else if (b.name === 'unitary') steps.push({ matrix: b.matrix!, qubits: b.qubits });
        else steps.push({ matrix: GATES.get(b.name)!.matrix(b.params as number[]), qubits: b.qubits });
      }
      const u = composeUnitary(def.numQubits, steps);
      if (phase !== 0) scale(u, Math.cos(phase), Math.sin(phase));
      return u;
    }
    if (name === 'gphase') return new Float64Array([Math.cos(params[0]), Math.sin(params[0])]);
    const spec = GATES.get(name);
    if (!spec) throw new CircuitError('unknown_gate', `unknown gate '${name}'`);
    return spec.matrix(params);
  }
}

function invertSeq(seq: readonly Step[]): Step[] | null {
  const out: Step[] = [];
  for (let i = seq.length - 1; i >= 0; i--) {
    const g = seq[i];
    const p = g.params;
    if (SELF_INVERSE.has(g.name)) out.push(g);
    else if (g.name in INVERSE_PAIR) out.push({ name: INVERSE_PAIR[g.name], params: p, qubits: g.qubits });
    else if (ROTATIONS.has(g.name)) out.push({ name: g.name, params: p.map((x) => -x), qubits: g.qubits });
    else if (g.name === 'u' || g.name === 'u3')
      out.push({ name: g.name, params: [-p[0], -p[2], -p[1]], qubits: g.qubits });
    else if (g.name === 'u2')
      out.push({ name: 'u3', params: [-Math.PI / 2, -p[1], -p[0]], qubits: g.qubits });
    else if (g.name === 'cu3') out.push({ name: 'cu3', params: [-p[0], -p[2], -p[1]], qubits: g.qubits });
    else if (g.name === 'cu')
      out.push({ name: 'cu', params: [-p[0], -p[2], -p[1], -p[3]], qubits: g.qubits });
    else return null;
  }
  return out;
}

/**
 * U^k: square and multiply for integer k; for non-integer k the principal power of a diagonal matrix or of a 2x2
 * unitary (through its SU(2) form). Larger non-diagonal gates have no fractional power here.
 */
function matrixPower(m: Matrix, k: number, name: string): Matrix {
  const dim = Math.round(Math.sqrt(m.length / 2));
  if (!Number.isInteger(k)) {
    if (isDiagonal(m, dim)) {
      const out = new Float64Array(m.length);
      for (let i = 0; i < dim; i++) {
        const j = 2 * (i * dim + i);
        const a = Math.atan2(m[j + 1], m[j]) * k;
        out[j] = Math.cos(a);
        out[j + 1] = Math.sin(a);
      }
      return out;
    }
    if (dim === 2) return power2(m, k);
    throw new CircuitError(
      'pow_unsupported',
      `pow(${k}) of '${name}': non-integer powers of gates on several qubits are supported only for diagonal gates`,
    );
  }
  let base = k < 0 ? adjoint(m) : m;
  let e = Math.abs(k);
  let acc = identity(dim);
  while (e > 0) {
    if (e & 1) acc = matmul(acc, base);
    base = matmul(base, base);
    e = Math.floor(e / 2);
  }
  return acc;
}

function isDiagonal(m: Matrix, dim: number): boolean {
  for (let r = 0; r < dim; r++)
    for (let c = 0; c < dim; c++)
      if (r !== c && (m[2 * (r * dim + c)] !== 0 || m[2 * (r * dim + c) + 1] !== 0)) return false;
  return true;
}

/** Principal k-th power of a 2x2 unitary: U = e^{i alpha} (cos f I - i sin f n.sigma), so U^k scales alpha and f. */
function power2(m: Matrix, k: number): Matrix {
  const [ar, ai, br, bi, cr, ci, dr, di] = m;
  const alpha =
    Math.atan2(ar * di + ai * dr - (br * ci + bi * cr), ar * dr - ai * di - (br * cr - bi * ci)) / 2;
  const cu = Math.cos(-alpha);
  const su = Math.sin(-alpha);
  const v = new Float64Array(8);
  for (let i = 0; i < 8; i += 2) {
    v[i] = m[i] * cu - m[i + 1] * su;
    v[i + 1] = m[i] * su + m[i + 1] * cu;
  }
  const cosF = Math.max(-1, Math.min(1, (v[0] + v[6]) / 2));
  const f = Math.acos(cosF);
  const sinF = Math.sin(f);
  const out = new Float64Array(8);
  const ck = Math.cos(k * f);
  if (Math.abs(sinF) < 1e-12) {
    // V = e^{i f} I (f = 0 or pi)
    out[0] = out[6] = Math.cos(k * f);
    out[1] = out[7] = Math.sin(k * f);
  } else {
    // V - cos f I = -i sin f M  =>  M = i (V - cos f I) / sin f; V^k = cos(kf) I - i sin(kf) M
    const sk = Math.sin(k * f) / sinF;
    for (let i = 0; i < 8; i += 2) {
      const diag = i === 0 || i === 6;
      const re = v[i] - (diag ? cosF : 0);
      const im = v[i + 1];
      out[i] = (diag ? ck : 0) + sk * re;
      out[i + 1] = sk * im;
    }
  }
  const ca = Math.cos(k * alpha);
  const sa = Math.sin(k * alpha);
  for (let i = 0; i < 8; i += 2) {
    const re = out[i];
    const im = out[i + 1];
    out[i] = re * ca - im * sa;
    out[i + 1] = re * sa + im * ca;
  }
  return out;
}

function scale(m: Matrix, re: number, im: number): void {
  for (let i = 0; i < m.length; i += 2) {
    const a = m[i];
    const b = m[i + 1];
    m[i] = a * re - b * im;
    m[i + 1] = a * im + b * re;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
