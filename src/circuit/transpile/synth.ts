// Gate synthesis for the transpiler: one-qubit Euler angles, and lowering of library gates to cx + one-qubit gates.
import { QobsError } from '../../errors.js';
import { evalExpr, freeSymbols } from '../expr.js';
import { GATES } from '../gates.js';
import type { Instruction } from '../ir.js';

/** A circuit that the transpiler cannot handle (unknown or unsupported gate, unbound parameter, no route). */
export class TranspileError extends QobsError {}

/** A one-qubit unitary as U = e^{i alpha} RZ(phi) RY(theta) RZ(lambda). */
export interface ZyzAngles {
  readonly alpha: number;
  readonly theta: number;
  readonly phi: number;
  readonly lambda: number;
}

const EPS = 1e-12;

/** ZYZ Euler angles of a 2x2 unitary (interleaved re/im, row-major), exact including the global phase. */
export function zyz(u: Float64Array): ZyzAngles {
  // det U = e^{2i alpha}; V = e^{-i alpha} U is in SU(2).
  const detRe = u[0] * u[6] - u[1] * u[7] - (u[2] * u[4] - u[3] * u[5]);
  const detIm = u[0] * u[7] + u[1] * u[6] - (u[2] * u[5] + u[3] * u[4]);
  const alpha = Math.atan2(detIm, detRe) / 2;
  const cr = Math.cos(-alpha);
  const ci = Math.sin(-alpha);
  const v = (k: number): [number, number] => [u[k] * cr - u[k + 1] * ci, u[k] * ci + u[k + 1] * cr];
  const v00 = v(0);
  const v10 = v(4);
  const v11 = v(6);
  const c = Math.hypot(v00[0], v00[1]);
  const s = Math.hypot(v10[0], v10[1]);
  const theta = 2 * Math.atan2(s, c);
  // v11 = c e^{i(phi+lambda)/2}, v10 = s e^{i(phi-lambda)/2}; an angle whose amplitude vanishes is free, take 0.
  const sum = c > EPS ? 2 * Math.atan2(v11[1], v11[0]) : 0;
  const diff = s > EPS ? 2 * Math.atan2(v10[1], v10[0]) : 0;
  return { alpha, theta, phi: (sum + diff) / 2, lambda: (sum - diff) / 2 };
}

/** 2x2 product a*b. */
export function mul2(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(8);
  for (let r = 0; r < 2; r++)
    for (let c = 0; c < 2; c++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < 2; k++) {
        const ar = a[2 * (2 * r + k)];
        const ai = a[2 * (2 * r + k) + 1];
        const br = b[2 * (2 * k + c)];
        const bi = b[2 * (2 * k + c) + 1];
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      out[2 * (2 * r + c)] = re;
      out[2 * (2 * r + c) + 1] = im;
    }
  return out;
}

/** Numeric parameter values of an instruction; unbound symbols are an error (bind before transpiling). */
export function numericParams(inst: Instruction): number[] {
  return inst.params.map((p) => {
    if (typeof p === 'number') return p;
    const free = freeSymbols(p);
    if (free.size > 0)
      throw new TranspileError(
        'unbound_parameter',
        `${inst.name}: parameter(s) ${[...free].join(', ')} must be bound before transpiling`,
      );
    return evalExpr(p);
  });
}

type Emit = (name: string, qubits: readonly number[], params?: readonly number[]) => void;

/** Emits the rz/ry/p sequence equal to controlled-U (control c, target t), Nielsen & Chuang corollary 4.2. */
function controlledOneQubit(u: Float64Array, c: number, t: number, emit: Emit): void {
  const { alpha, theta, phi, lambda } = zyz(u);
  // U = e^{ia} A X B X C with A = RZ(phi) RY(theta/2), B = RY(-theta/2) RZ(-(lambda+phi)/2), C = RZ((lambda-phi)/2).
  emit('rz', [t], [(lambda - phi) / 2]);
  emit('cx', [c, t]);
  emit('rz', [t], [-(lambda + phi) / 2]);
  emit('ry', [t], [-theta / 2]);
  emit('cx', [c, t]);
  emit('ry', [t], [theta / 2]);
  emit('rz', [t], [phi]);
  emit('p', [c], [alpha]);
}

const HALF_PI = Math.PI / 2;

/**
 * Lowers one instruction to cx and one-qubit library gates (measure, reset, barrier pass through).
 * Covers every library gate on up to two qubits, plus ccx and cswap; other gates need the circuit's `decompose` first.
 */
export function lowerInstruction(inst: Instruction, emitRaw: (inst: Instruction) => void): void {
  const base = { clbits: [] as number[], ...(inst.condition ? { condition: inst.condition } : {}) };
  const emit: Emit = (name, qubits, params = []) => emitRaw({ name, qubits, params, ...base });
  if (inst.modifiers && inst.modifiers.length > 0)
    throw new TranspileError(
      'unsupported_gate',
      `${inst.name}: gate modifiers (ctrl, inv, pow) must be decomposed before transpiling`,
    );
  if (inst.name === 'measure' || inst.name === 'reset' || inst.name === 'barrier' || inst.name === 'delay') {
    emitRaw(inst);
    return;
  }
  if (inst.name === 'gphase') return; // a global phase changes no measured statistics
  const spec = GATES.get(inst.name);
  if (!spec)
    throw new TranspileError(
      'unknown_gate',
      `unknown gate '${inst.name}' (user-defined gates must be flattened before transpiling)`,
    );
  const q = inst.qubits;
  const p = numericParams(inst);
  if (spec.numQubits === 1) {
    emitRaw({ ...inst, params: p });
    return;
  }
  const [a, b, c] = q;
  switch (inst.name) {
    case 'cx':
      emit('cx', [a, b]);
      return;
    case 'swap':
      emit('cx', [a, b]);
      emit('cx', [b, a]);
      emit('cx', [a, b]);
      return;
    case 'rzz':
      emit('cx', [a, b]);
      emit('rz', [b], [p[0]]);
      emit('cx', [a, b]);
      return;
    case 'rxx':
      emit('h', [a]);
      emit('h', [b]);
      lowerInstruction({ ...inst, name: 'rzz', params: p }, emitRaw);
      emit('h', [a]);
      emit('h', [b]);
      return;
    case 'ryy':
      emit('rx', [a], [HALF_PI]);
      emit('rx', [b], [HALF_PI]);
      lowerInstruction({ ...inst, name: 'rzz', params: p }, emitRaw);
      emit('rx', [a], [-HALF_PI]);
      emit('rx', [b], [-HALF_PI]);
      return;
    case 'ecr':
      emit('x', [a]);
      emit('cx', [a, b]);
      emit('rz', [a], [-HALF_PI]);
      emit('sxdg', [b]);
      return;
    case 'iswap':
      emit('s', [a]);
      emit('s', [b]);
      emit('h', [a]);
      emit('cx', [a, b]);
      emit('cx', [b, a]);
      emit('h', [b]);
      return;
    case 'ccx':
      emit('h', [c]);
      emit('cx', [b, c]);
      emit('tdg', [c]);
      emit('cx', [a, c]);
      emit('t', [c]);
      emit('cx', [b, c]);
      emit('tdg', [c]);
      emit('cx', [a, c]);
      emit('t', [b]);
      emit('t', [c]);
      emit('h', [c]);
      emit('cx', [a, b]);
      emit('t', [a]);
      emit('tdg', [b]);
      emit('cx', [a, b]);
      return;
    case 'cswap':
      emit('cx', [c, b]);
      lowerInstruction({ name: 'ccx', qubits: [a, b, c], params: [], ...base }, emitRaw);
      emit('cx', [c, b]);
      return;
    default:
      break;
  }
  if (spec.numQubits === 2 && spec.controls === 1) {
    // The target block of a singly-controlled gate: rows/cols with the control bit (bit 0) set.
    const m = spec.matrix(p);
    const u = new Float64Array(8);
    for (let r = 0; r < 2; r++)
      for (let col = 0; col < 2; col++) {
        const R = 2 * r + 1;
        const C = 2 * col + 1;
        u[2 * (2 * r + col)] = m[2 * (R * 4 + C)];
        u[2 * (2 * r + col) + 1] = m[2 * (R * 4 + C) + 1];
      }
    controlledOneQubit(u, a, b, emit);
    return;
  }
  throw new TranspileError(
    'unsupported_gate',
    `${inst.name} on ${spec.numQubits} qubits cannot be transpiled yet; decompose it into cx and one-qubit gates first`,
  );
}

/** The rz/sx sequence equal (up to global phase) to a one-qubit unitary, Qiskit's ZSX form; angles near 0 are dropped. */
export function zsxSequence(u: Float64Array): Array<{ name: 'rz' | 'sx'; param?: number }> {
  const { theta, phi, lambda } = zyz(u);
  const out: Array<{ name: 'rz' | 'sx'; param?: number }> = [];
  const rz = (a: number) => {
    const w = wrapAngle(a);
    if (Math.abs(w) > 1e-10) out.push({ name: 'rz', param: w });
  };
  if (Math.abs(theta) < 1e-10) {
    rz(phi + lambda);
    return out;
  }
  if (Math.abs(theta - HALF_PI) < 1e-10) {
    // RZ(phi) RY(pi/2) RZ(lambda) = RZ(phi + pi/2) SX RZ(lambda - pi/2) up to phase.
    rz(lambda - HALF_PI);
    out.push({ name: 'sx' });
    rz(phi + HALF_PI);
    return out;
  }
  rz(lambda);
  out.push({ name: 'sx' });
  rz(theta + Math.PI);
  out.push({ name: 'sx' });
  rz(phi + Math.PI);
  return out;
}

/** The angle in (-pi, pi]. */
export function wrapAngle(a: number): number {
  const t = 2 * Math.PI;
  let w = a % t;
  if (w > Math.PI) w -= t;
  if (w <= -Math.PI) w += t;
  return w;
}
