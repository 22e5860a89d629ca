// Lowers a circuit to kernel operations, picks each gate's fast path, and fuses consecutive gates.
import {
  type Circuit,
  type Condition,
  DIRECTIVES,
  GATES,
  type Instruction,
  evalExpr,
  flatten,
  matmul,
} from '../circuit/index.js';
import { UnsupportedInstructionError } from './errors.js';
import { applyControlled1, applyMCX, applyPermutation, applySwap } from './statevector.js';
import { type GateChannel, type NoiseModel, gateChannel, readoutFlips } from './noise.js';

/** One kernel operation. `condition` gates it on classical bits; `channel` is its noise in a trajectory. */
export type Op = (
  | { readonly kind: 'dense1'; readonly qubits: readonly [number]; readonly m: Float64Array }
  | { readonly kind: 'diag'; readonly qubits: readonly number[]; readonly d: Float64Array }
  | { readonly kind: 'dense'; readonly qubits: readonly number[]; readonly m: Float64Array }
  | {
      readonly kind: 'mcx';
      readonly qubits: readonly number[];
      readonly controls: readonly number[];
      readonly target: number;
    }
  | {
      readonly kind: 'mcu';
      readonly qubits: readonly number[];
      readonly controls: readonly number[];
      readonly target: number;
      readonly m: Float64Array;
    }
  | { readonly kind: 'swap'; readonly qubits: readonly [number, number] }
  | { readonly kind: 'perm'; readonly qubits: readonly number[]; readonly perm: Int32Array }
  | { readonly kind: 'phase'; readonly qubits: readonly []; readonly re: number; readonly im: number }
  | {
      readonly kind: 'measure';
      readonly qubits: readonly [number];
      readonly clbit: number;
      /** p(read 1 | 0) and p(read 0 | 1): classical readout confusion. */
      readonly flip0: number;
      readonly flip1: number;
    }
  | { readonly kind: 'reset'; readonly qubits: readonly [number] }
) & { readonly condition?: Condition; readonly channel?: GateChannel };

/** An operation that is a unitary gate (what gateOp returns). */
export type GateOp = Exclude<Op, { kind: 'measure' } | { kind: 'reset' }>;

/** Options of compile: parameter values, a noise model (disables fusion), fusion on or off. */
export interface CompileOptions {
  readonly parameters?: Readonly<Record<string, number>>;
  readonly noise?: NoiseModel;
  /** Fuse consecutive gates (default true without noise; always off with noise, which is per gate). */
  readonly fuse?: boolean;
}

/** The circuit with user gates and QASM 3 modifiers expanded by the circuit module's flatten(), when it has any. */
export function resolveCircuit(circuit: Circuit, parameters?: Readonly<Record<string, number>>): Circuit {
  const needs = circuit.instructions.some(
    (i) =>
      (i.modifiers !== undefined && i.modifiers.length > 0) ||
      (!GATES.has(i.name) && circuit.definitions.has(i.name)),
  );
  return needs ? flatten(circuit, parameters) : circuit;
}

/** Lowers `circuit` to operations; throws UnsupportedInstructionError for an instruction it cannot run. */
export function compile(circuit: Circuit, options: CompileOptions = {}): Op[] {
  const resolved = resolveCircuit(circuit, options.parameters);
  const noise = options.noise;
  const ops: Op[] = [];
  for (const inst of resolved.instructions) lower(inst, options.parameters, noise, ops);
  if (options.fuse === false) return ops;
  if (noise !== undefined) return fuseNoisy(ops, resolved.numQubits);
  return fuse(ops, resolved.numQubits);
}

function lower(
  inst: Instruction,
  params: Readonly<Record<string, number>> | undefined,
  noise: NoiseModel | undefined,
  out: Op[],
): void {
  const cond = inst.condition;
  switch (inst.name) {
    case 'barrier':
    case 'delay':
      // Delays carry no idle noise here (as Aer's basic device model without scheduling).
      return;
    case 'measure':
      for (let i = 0; i < inst.qubits.length; i++) {
        const [flip0, flip1] = noise ? readoutFlips(noise, inst.qubits[i]) : [0, 0];
        out.push(
          withExtras(
            { kind: 'measure', qubits: [inst.qubits[i]], clbit: inst.clbits[i], flip0, flip1 },
            cond,
          ),
        );
      }
      return;
    case 'reset':
      for (const q of inst.qubits) out.push(withExtras({ kind: 'reset', qubits: [q] }, cond));
      return;
    case 'gphase': {
      const a = evalExpr(inst.params[0], params);
      out.push(withExtras({ kind: 'phase', qubits: [], re: Math.cos(a), im: Math.sin(a) }, cond));
      return;
    }
  }
  if (inst.modifiers !== undefined && inst.modifiers.length > 0)
    throw new UnsupportedInstructionError(
      inst.name,
      `'${inst.name}': gate modifiers must be flattened before simulation`,
    );
  const values = inst.params.map((p) => evalExpr(p, params));
  let op: Op;
  const carried = (inst as { matrix?: unknown }).matrix;
  if (inst.name === 'unitary' && carried instanceof Float64Array) {
    if (carried.length !== 2 * 4 ** inst.qubits.length)
      throw new UnsupportedInstructionError(
        'unitary',
        `unitary on ${inst.qubits.length} qubit(s) needs a ${2 ** inst.qubits.length}x${2 ** inst.qubits.length} matrix`,
      );
    op = gateOp(carried, inst.qubits, undefined, undefined);
  } else {
    const spec = GATES.get(inst.name);
    if (spec === undefined) {
      if (DIRECTIVES.has(inst.name)) return;
      throw new UnsupportedInstructionError(
        inst.name,
        `unknown gate '${inst.name}': not in the gate library and not defined by the circuit`,
      );
    }
    // An identity is skipped in ideal runs; with noise it stays, since devices calibrate it as a timed idle.
    if (spec.name === 'id' && noise === undefined) return;
    op = gateOp(spec.matrix(values), inst.qubits, spec.controls, spec.name);
  }
  const channel = noise ? gateChannel(noise, inst.name, inst.qubits) : undefined;
  out.push(withExtras(op, cond, channel));
}

function withExtras(op: Op, condition: Condition | undefined, channel?: GateChannel): Op {
  if (condition === undefined && channel === undefined) return op;
  return { ...op, ...(condition ? { condition } : {}), ...(channel ? { channel } : {}) } as Op;
}

/** Picks the fastest kernel for a gate matrix on `qubits`: diagonal, multi-controlled, permutation or dense. */
export function gateOp(
  m: Float64Array,
  qubits: readonly number[],
  controls: number | undefined,
  name: string | undefined,
): GateOp {
  const k = qubits.length;
  const d = 1 << k;
  if (isDiagonal(m, d)) {
    const diag = new Float64Array(2 * d);
    for (let g = 0; g < d; g++) {
      diag[2 * g] = m[2 * (g * d + g)];
      diag[2 * g + 1] = m[2 * (g * d + g) + 1];
    }
    return { kind: 'diag', qubits: [...qubits], d: diag };
  }
  if (k === 1) return { kind: 'dense1', qubits: [qubits[0]], m };
  if (name === 'swap') return { kind: 'swap', qubits: [qubits[0], qubits[1]] };
  if (controls !== undefined && controls === k - 1) {
    const cs = qubits.slice(0, controls);
    const t = qubits[k - 1];
    const u = controlledBlock(m, controls);
    if (
      u[0] === 0 &&
      u[1] === 0 &&
      u[2] === 1 &&
      u[3] === 0 &&
      u[4] === 1 &&
      u[5] === 0 &&
      u[6] === 0 &&
      u[7] === 0
    )
      return { kind: 'mcx', qubits: [...qubits], controls: cs, target: t };
    return { kind: 'mcu', qubits: [...qubits], controls: cs, target: t, m: u };
  }
  const perm = permutationOf(m, d);
  if (perm) return { kind: 'perm', qubits: [...qubits], perm };
  return { kind: 'dense', qubits: [...qubits], m };
}

function isDiagonal(m: Float64Array, d: number): boolean {
  for (let r = 0; r < d; r++)
    for (let c = 0; c < d; c++)
      if (r !== c && (m[2 * (r * d + c)] !== 0 || m[2 * (r * d + c) + 1] !== 0)) return false;
  return true;
}

/** perm[g] = row of the single 1 in column g, or undefined when m is not a 0/1 permutation. */
function permutationOf(m: Float64Array, d: number): Int32Array | undefined {
  const perm = new Int32Array(d);
  for (let c = 0; c < d; c++) {
    let found = -1;
    for (let r = 0; r < d; r++) {
      const re = m[2 * (r * d + c)];
      const im = m[2 * (r * d + c) + 1];
      if (re === 0 && im === 0) continue;
      if (re !== 1 || im !== 0 || found >= 0) return undefined;
      found = r;
    }
    if (found < 0) return undefined;
    perm[c] = found;
  }
  return perm;
}

/** The 2x2 block acted on the target when every control (the low `controls` index bits) is 1. */
function controlledBlock(m: Float64Array, controls: number): Float64Array {
  const d = 2 << controls;
  const on = (1 << controls) - 1;
  const u = new Float64Array(8);
  for (let r = 0; r < 2; r++)
    for (let c = 0; c < 2; c++) {
      const R = (r << controls) | on;
      const C = (c << controls) | on;
      u[2 * (2 * r + c)] = m[2 * (R * d + C)];
      u[2 * (2 * r + c) + 1] = m[2 * (R * d + C) + 1];
    }
  return u;
}

/** Largest diagonal group fused into one pass: its table has 2^this entries. */
const MAX_DIAG_FUSION_QUBITS = 10;

/**
 * Fuses gates (ideal simulation only). Single-qubit gates on a qubit multiply into one 2x2 until another
 * operation touches that qubit; consecutive diagonal gates (any qubits, up to MAX_DIAG_FUSION_QUBITS)
 * become one diagonal pass; pending single-qubit gates are absorbed into a following dense two-qubit gate,
 * and consecutive dense two-qubit gates on the same pair multiply together. Each fusion saves a full pass
 * over the state, which is what a memory-bound kernel pays for.
 */
export function fuse(ops: readonly Op[], numQubits: number): Op[] {
  const out: Op[] = [];
  const pending: Array<Float64Array | undefined> = new Array(numQubits).fill(undefined);
  let groupQubits: number[] = [];
  let groupTable = new Float64Array([1, 0]);

  const flushGroup = () => {
    if (groupQubits.length === 0) return;
    out.push({ kind: 'diag', qubits: groupQubits, d: groupTable });
    groupQubits = [];
    groupTable = new Float64Array([1, 0]);
  };
  const flushPending = (q: number) => {
    const m = pending[q];
    if (m === undefined) return;
    pending[q] = undefined;
    if (isIdentity2(m)) return;
    out.push(gateOp(m, [q], undefined, undefined));
  };
  const touchesGroup = (qs: readonly number[]) => qs.some((q) => groupQubits.includes(q));
  const addToGroup = (qs: readonly number[], d: Float64Array) => {
    for (const q of qs) {
      if (!groupQubits.includes(q)) {
        groupQubits.push(q);
        const t = new Float64Array(groupTable.length * 2);
        t.set(groupTable);
        t.set(groupTable, groupTable.length);
        groupTable = t;
      }
    }
    const pos = qs.map((q) => groupQubits.indexOf(q));
    const sorted = Int32Array.from(pos).sort();
    const rest = 1 << (groupQubits.length - qs.length);
    // Only entries where d is not 1 change the table (a cp touches a quarter of it): visit just those.
    for (let g = 0; g < 1 << qs.length; g++) {
      const br = d[2 * g];
      const bi = d[2 * g + 1];
      if (br === 1 && bi === 0) continue;
      let base = 0;
      for (let j = 0; j < pos.length; j++) base |= ((g >> j) & 1) << pos[j];
      for (let r = 0; r < rest; r++) {
        let t = r;
        for (let j = 0; j < sorted.length; j++) {
          const p = sorted[j];
          t = ((t >> p) << (p + 1)) | (t & ((1 << p) - 1));
        }
        t |= base;
        const ar = groupTable[2 * t];
        const ai = groupTable[2 * t + 1];
        groupTable[2 * t] = ar * br - ai * bi;
        groupTable[2 * t + 1] = ar * bi + ai * br;
      }
    }
  };

  for (const op of ops) {
    const qs: readonly number[] = op.qubits;
    const plain = op.condition === undefined && op.kind !== 'measure' && op.kind !== 'reset';
    if (plain && (op.kind === 'dense1' || (op.kind === 'diag' && qs.length === 1))) {
      const m = op.kind === 'dense1' ? op.m : diagToMatrix(op.d);
      const prev = pending[qs[0]];
      pending[qs[0]] = prev === undefined ? m.slice() : matmul(m, prev);
      continue;
    }
    if (plain && op.kind === 'diag') {
      for (const q of qs) {
        const p = pending[q];
        if (p === undefined) continue;
        if (isDiagonal(p, 2)) {
          // Diagonal gates commute: fold the pending one into the group.
          pending[q] = undefined;
          addToGroup([q], new Float64Array([p[0], p[1], p[6], p[7]]));
        } else {
          if (groupQubits.includes(q)) flushGroup();
          flushPending(q);
        }
      }
      const union = new Set([...groupQubits, ...qs]);
      if (union.size > MAX_DIAG_FUSION_QUBITS) flushGroup();
      addToGroup(qs, op.d);
      continue;
    }
    if (touchesGroup(qs) || op.kind === 'phase' || op.condition !== undefined) flushGroup();
    if (plain && qs.length === 2 && (op.kind === 'dense' || absorbs(op, pending, out))) {
      let m = op.kind === 'dense' ? op.m : denseMatrix2(op);
      const absorb: Float64Array[] = [];
      for (let j = 0; j < 2; j++) {
        const p = pending[qs[j]];
        if (p === undefined) continue;
        pending[qs[j]] = undefined;
        absorb.push(embed1(p, j));
      }
      for (const e of absorb) m = matmul(m, e);
      const last = out[out.length - 1];
      if (
        last !== undefined &&
        last.kind === 'dense' &&
        last.condition === undefined &&
        last.qubits.length === 2
      ) {
        if (last.qubits[0] === qs[0] && last.qubits[1] === qs[1]) {
          out[out.length - 1] = { kind: 'dense', qubits: last.qubits, m: matmul(m, last.m) };
          continue;
        }
        if (last.qubits[0] === qs[1] && last.qubits[1] === qs[0]) {
          out[out.length - 1] = { kind: 'dense', qubits: qs, m: matmul(m, swapQubits2(last.m)) };
          continue;
        }
      }
      out.push({ kind: 'dense', qubits: qs, m });
      continue;
    }
    if (op.condition !== undefined) {
      // A conditioned op depends on clbits; pending gates on its own qubits must land first.
      for (const q of qs) flushPending(q);
      if (op.kind === 'measure' || qs.length === 0) for (let q = 0; q < numQubits; q++) flushPending(q);
    } else {
      for (const q of qs) flushPending(q);
    }
    out.push(op);
  }
  flushGroup();
  for (let q = 0; q < numQubits; q++) flushPending(q);
  return out;
}

/**
 * Fusion that keeps every error channel where it is (noisy runs): noiseless single-qubit gates wait on their
 * qubit and are multiplied into the next gate on it, before that gate's channel (U·P, then the channel), so
 * IBM's virtual rz gates cost no pass of their own. A gate with a channel is never merged with another.
 */
export function fuseNoisy(ops: readonly Op[], numQubits: number): Op[] {
  const out: Op[] = [];
  const pending: Array<Float64Array | undefined> = new Array(numQubits).fill(undefined);
  const flush = (q: number) => {
    const m = pending[q];
    if (m === undefined) return;
    pending[q] = undefined;
    if (!isIdentity2(m)) out.push(gateOp(m, [q], undefined, undefined));
  };
  for (const op of ops) {
    const qs: readonly number[] = op.qubits;
    const oneQubit =
      op.condition === undefined && (op.kind === 'dense1' || (op.kind === 'diag' && qs.length === 1));
    if (oneQubit) {
      const m = op.kind === 'dense1' ? op.m : diagToMatrix((op as Extract<Op, { kind: 'diag' }>).d);
      const prev = pending[qs[0]];
      const merged = prev === undefined ? m : matmul(m, prev);
      if (op.channel === undefined) {
        pending[qs[0]] = merged === m ? m.slice() : merged;
        continue;
      }
      pending[qs[0]] = undefined;
      out.push({ ...gateOp(merged, [qs[0]], undefined, undefined), channel: op.channel });
      continue;
    }
    if (
      op.condition === undefined &&
      op.channel !== undefined &&
      qs.length === 2 &&
      op.kind !== 'measure' &&
      op.kind !== 'reset'
    ) {
      const [a, b] = qs;
      if (pending[a] !== undefined || pending[b] !== undefined) {
        let m = op.kind === 'dense' ? op.m : op.kind === 'diag' ? diagToMatrix2(op.d) : denseMatrix2(op);
        for (let j = 0; j < 2; j++) {
          const p = pending[qs[j]];
          if (p === undefined) continue;
          pending[qs[j]] = undefined;
          m = matmul(m, embed1(p, j));
        }
        out.push({ ...gateOp(m, qs, undefined, undefined), channel: op.channel });
        continue;
      }
    }
    for (const q of qs) flush(q);
    out.push(op);
  }
  for (let q = 0; q < numQubits; q++) flush(q);
  return out;
}

function diagToMatrix2(d: Float64Array): Float64Array {
  const m = new Float64Array(32);
  for (let g = 0; g < 4; g++) {
    m[2 * (g * 4 + g)] = d[2 * g];
    m[2 * (g * 4 + g) + 1] = d[2 * g + 1];
  }
  return m;
}

/**
 * Whether a two-qubit fast-path gate (cx, swap, controlled rotations) should become dense to absorb the
 * pending single-qubit gates on its qubits or merge with the dense gate before it: one 4x4 pass then
 * replaces two or three passes over the state.
 */
function absorbs(op: Op, pending: ReadonlyArray<Float64Array | undefined>, out: readonly Op[]): boolean {
  if (op.kind !== 'mcx' && op.kind !== 'mcu' && op.kind !== 'swap' && op.kind !== 'perm') return false;
  const [a, b] = op.qubits;
  if (pending[a] !== undefined || pending[b] !== undefined) return true;
  const last = out[out.length - 1];
  return (
    last !== undefined &&
    last.kind === 'dense' &&
    last.condition === undefined &&
    last.qubits.length === 2 &&
    last.qubits.includes(a) &&
    last.qubits.includes(b)
  );
}

/** The 4x4 matrix of a two-qubit op on (qubits[0], qubits[1]), read off by applying it to each basis state. */
function denseMatrix2(op: Op): Float64Array {
  const local = (q: number) => (q === op.qubits[0] ? 0 : 1);
  const m = new Float64Array(32);
  const s = new Float64Array(8);
  for (let c = 0; c < 4; c++) {
    s.fill(0);
    s[2 * c] = 1;
    switch (op.kind) {
      case 'mcx':
        applyMCX(s, 2, op.controls.map(local), local(op.target));
        break;
      case 'mcu':
        applyControlled1(s, 2, op.controls.map(local), local(op.target), op.m);
        break;
      case 'swap':
        applySwap(s, 2, 0, 1);
        break;
      case 'perm':
        applyPermutation(s, 2, op.qubits.map(local), op.perm);
        break;
      default:
        throw new Error(`denseMatrix2: unexpected ${op.kind}`);
    }
    for (let r = 0; r < 4; r++) {
      m[2 * (r * 4 + c)] = s[2 * r];
      m[2 * (r * 4 + c) + 1] = s[2 * r + 1];
    }
  }
  return m;
}

function isIdentity2(m: Float64Array): boolean {
  return (
    m[0] === 1 &&
    m[1] === 0 &&
    m[2] === 0 &&
    m[3] === 0 &&
    m[4] === 0 &&
    m[5] === 0 &&
    m[6] === 1 &&
    m[7] === 0
  );
}

function diagToMatrix(d: Float64Array): Float64Array {
  return new Float64Array([d[0], d[1], 0, 0, 0, 0, d[2], d[3]]);
}

/** A 2x2 on bit j of a two-qubit index, as a 4x4. */
function embed1(m: Float64Array, j: number): Float64Array {
  const out = new Float64Array(32);
  for (let r = 0; r < 4; r++)
    for (let c = 0; c < 4; c++) {
      const other = j === 0 ? 1 : 0;
      if (((r >> other) & 1) !== ((c >> other) & 1)) continue;
      const rb = (r >> j) & 1;
      const cb = (c >> j) & 1;
      out[2 * (r * 4 + c)] = m[2 * (rb * 2 + cb)];
      out[2 * (r * 4 + c) + 1] = m[2 * (rb * 2 + cb) + 1];
    }
  return out;
}

/** The same two-qubit matrix with its two index bits exchanged. */
function swapQubits2(m: Float64Array): Float64Array {
  const sw = (x: number) => ((x & 1) << 1) | ((x >> 1) & 1);
  const out = new Float64Array(32);
  for (let r = 0; r < 4; r++)
    for (let c = 0; c < 4; c++) {
      out[2 * (sw(r) * 4 + sw(c))] = m[2 * (r * 4 + c)];
      out[2 * (sw(r) * 4 + sw(c)) + 1] = m[2 * (r * 4 + c) + 1];
    }
  return out;
}
