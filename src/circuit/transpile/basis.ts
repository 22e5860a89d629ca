// Basis translation after routing: runs of one-qubit gates merged and resynthesized, cx/swap mapped onto the
// device's two-qubit gate (cx, cz or ecr) in a direction its coupling map allows.
import { GATES } from '../gates.js';
import type { Condition, Instruction } from '../ir.js';
import type { CouplingGraph } from './layout.js';
import { TranspileError, mul2, numericParams, zsxSequence, zyz } from './synth.js';

const H = GATES.get('h')!.matrix([]);
const X = GATES.get('x')!.matrix([]);

/** a = e^{i phi} b for some phi (2x2). */
function equalUpToPhase(a: Float64Array, b: Float64Array): boolean {
  // <b, a> / |<b, a>| is the phase; |<b, a>| = 2 exactly when they agree up to phase.
  let re = 0;
  let im = 0;
  for (let i = 0; i < 8; i += 2) {
    re += b[i] * a[i] + b[i + 1] * a[i + 1];
    im += b[i] * a[i + 1] - b[i + 1] * a[i];
  }
  return Math.abs(Math.hypot(re, im) - 2) < 1e-9;
}

/** Translates routed physical instructions (one-qubit gates, cx, swap, directives) into `basisGates`. */
export function translateToBasis(
  routed: readonly Instruction[],
  basisGates: readonly string[],
  graph: CouplingGraph,
): Instruction[] {
  const basis = new Set(basisGates);
  const zsx = basis.has('rz') && basis.has('sx');
  const hasX = basis.has('x');
  const u3 = basis.has('u') ? 'u' : basis.has('u3') ? 'u3' : undefined;
  if (!zsx && !u3)
    throw new TranspileError(
      'basis_unsupported',
      `basis [${basisGates.join(', ')}] has no one-qubit set the transpiler targets (rz+sx or u)`,
    );
  const twoQubit = ['cx', 'cz', 'ecr'].find((g) => basis.has(g));
  const out: Instruction[] = [];
  const pending = new Map<number, Float64Array>();

  const synth = (q: number, m: Float64Array, condition?: Condition) => {
    const cond = condition ? { condition } : {};
    if (hasX && equalUpToPhase(m, X)) {
      out.push({ name: 'x', qubits: [q], clbits: [], params: [], ...cond });
      return;
    }
    if (zsx) {
      for (const g of zsxSequence(m))
        out.push({
          name: g.name,
          qubits: [q],
          clbits: [],
          params: g.param === undefined ? [] : [g.param],
          ...cond,
        });
      return;
    }
    const { theta, phi, lambda } = zyz(m);
    if (Math.abs(theta) < 1e-10 && Math.abs(Math.sin((phi + lambda) / 2)) < 1e-10) return; // identity up to phase
    out.push({ name: u3!, qubits: [q], clbits: [], params: [theta, phi, lambda], ...cond });
  };
  const flush = (q: number) => {
    const m = pending.get(q);
    if (m) {
      pending.delete(q);
      synth(q, m);
    }
  };
  const oneQubit = (q: number, m: Float64Array, condition?: Condition) => {
    if (condition) {
      flush(q);
      synth(q, m, condition);
      return;
    }
    const prev = pending.get(q);
    pending.set(q, prev ? mul2(m, prev) : m);
  };
  const gate1 = (name: string, q: number, params: number[] = [], condition?: Condition) =>
    oneQubit(q, GATES.get(name)!.matrix(params), condition);
  const native = (name: string, a: number, b: number, condition?: Condition) => {
    flush(a);
    flush(b);
    out.push({ name, qubits: [a, b], clbits: [], params: [], ...(condition ? { condition } : {}) });
  };
  const coupled = (a: number, b: number) => graph.allToAll || graph.directed.has(`${a}_${b}`);

  const cx = (a: number, b: number, condition?: Condition) => {
    if (!twoQubit)
      throw new TranspileError(
        'basis_unsupported',
        `basis [${basisGates.join(', ')}] has no two-qubit gate (cx, cz or ecr)`,
      );
    if (twoQubit === 'cz') {
      // cz is symmetric: either listed direction will do.
      gate1('h', b, [], condition);
      native('cz', coupled(a, b) ? a : b, coupled(a, b) ? b : a, condition);
      gate1('h', b, [], condition);
      return;
    }
    if (!coupled(a, b)) {
      if (!coupled(b, a)) throw new TranspileError('no_route', `cx on uncoupled physical qubits ${a}, ${b}`);
      // cx(a, b) = (H x H) cx(b, a) (H x H)
      oneQubit(a, H, condition);
      oneQubit(b, H, condition);
      cx(b, a, condition);
      oneQubit(a, H, condition);
      oneQubit(b, H, condition);
      return;
    }
    if (twoQubit === 'cx') {
      native('cx', a, b, condition);
      return;
    }
    // cx(a, b) = x(a); ecr(a, b); rz(pi/2)(a); sx(b), exactly (checked in synth.test.ts).
    gate1('x', a, [], condition);
    native('ecr', a, b, condition);
    gate1('rz', a, [Math.PI / 2], condition);
    gate1('sx', b, [], condition);
  };

  for (const inst of routed) {
    const cond = inst.condition;
    if (inst.name === 'cx') {
      cx(inst.qubits[0], inst.qubits[1], cond);
    } else if (inst.name === 'swap') {
      const [a, b] = inst.qubits;
      // Orient the outer pair along the coupling so only the middle cx may need reversing.
      const [x, y] = coupled(a, b) ? [a, b] : [b, a];
      cx(x, y, cond);
      cx(y, x, cond);
      cx(x, y, cond);
    } else if (inst.qubits.length === 1 && GATES.has(inst.name) && inst.clbits.length === 0) {
      oneQubit(inst.qubits[0], GATES.get(inst.name)!.matrix(numericParams(inst)), cond);
    } else if (GATES.has(inst.name)) {
      throw new TranspileError('unsupported_gate', `${inst.name}: not expected after lowering`);
    } else {
      for (const q of inst.qubits) flush(q);
      out.push(inst);
    }
  }
  for (const q of [...pending.keys()]) flush(q);
  return out;
}
