// The circuit model: qubits, clbits, registers, instructions and gate definitions, with a builder.
import { QobsError } from '../errors.js';
import { type Param, evalExpr, freeSymbols, sym } from './expr.js';
import { DIRECTIVES, GATES } from './gates.js';

/** A named register: `size` consecutive flat indices starting at `offset`. */
export interface Register {
  readonly name: string;
  readonly size: number;
  readonly offset: number;
}

/** `if (c == 3)`: the instruction runs when the listed clbits, read as an integer (clbits[0] least significant), equal `value`. */
export interface Condition {
  readonly clbits: readonly number[];
  readonly value: number;
}

/** A QASM 3 gate modifier. `ctrl` controls take the leading qubits of the instruction, outermost modifier first. */
export type Modifier =
  | { readonly kind: 'ctrl'; readonly count: number; readonly negated: boolean }
  | { readonly kind: 'inv' }
  | { readonly kind: 'pow'; readonly exponent: Param };

/**
 * One operation: a gate (built-in or defined), `measure` (qubits[i] -> clbits[i]), `reset`, `barrier`,
 * or `gphase` (no qubits, one parameter).
 */
export interface Instruction {
  readonly name: string;
  readonly qubits: readonly number[];
  readonly clbits: readonly number[];
  readonly params: readonly Param[];
  readonly condition?: Condition;
  readonly modifiers?: readonly Modifier[];
  /**
   * Only on instructions named `unitary` (made by `flatten` for a modified gate with no built-in equivalent):
   * the dense matrix in the gate library's convention (interleaved re/im, row-major, qubits[0] least significant).
   */
  readonly matrix?: Float64Array;
}

/** A user gate definition (`gate` in QASM); `body` is null for `opaque`. Body qubits are 0..numQubits-1, params are symbols. */
export interface GateDefinition {
  readonly name: string;
  readonly params: readonly string[];
  readonly numQubits: number;
  readonly body: readonly Instruction[] | null;
}

export class CircuitError extends QobsError {}

/** Largest circuit the model accepts: beyond this no device or simulator can run it. */
export const MAX_QUBITS = 100_000;

/**
 * A quantum circuit.
 * @example
 *   const bell = new Circuit(2).h(0).cx(0, 1).measureAll();
 */
export class Circuit {
  numQubits: number;
  numClbits: number;
  readonly qregs: Register[] = [];
  readonly cregs: Register[] = [];
  readonly instructions: Instruction[] = [];
  readonly definitions = new Map<string, GateDefinition>();
  /** Names of `input` parameters (QASM 3) or symbols used by the builder, in declaration order. */
  readonly inputs: string[] = [];
  name: string | undefined;

  constructor(numQubits = 0, numClbits = 0, name?: string) {
    this.numQubits = 0;
    this.numClbits = 0;
    this.name = name;
    if (numQubits > 0) this.addQreg('q', numQubits);
    if (numClbits > 0) this.addCreg('c', numClbits);
  }

  /** Adds a quantum register and returns it. */
  addQreg(name: string, size: number): Register {
    checkSize('qreg', name, size);
    if (this.numQubits + size > MAX_QUBITS)
      throw new CircuitError(
        'circuit_too_large',
        `register '${name}' would give ${this.numQubits + size} qubits; at most ${MAX_QUBITS} are supported`,
      );
    const reg = { name, size, offset: this.numQubits };
    this.qregs.push(reg);
    this.numQubits += size;
    return reg;
  }

  /** Adds a classical register and returns it. */
  addCreg(name: string, size: number): Register {
    checkSize('creg', name, size);
    if (this.numClbits + size > MAX_QUBITS)
      throw new CircuitError(
        'circuit_too_large',
        `register '${name}' would give ${this.numClbits + size} clbits; at most ${MAX_QUBITS} are supported`,
      );
    const reg = { name, size, offset: this.numClbits };
    this.cregs.push(reg);
    this.numClbits += size;
    return reg;
  }

  /** Appends an instruction after checking its qubit and clbit indices. */
  append(inst: Instruction): this {
    for (const q of inst.qubits) {
      if (!Number.isInteger(q) || q < 0 || q >= this.numQubits)
        throw new CircuitError(
          'qubit_out_of_range',
          `${inst.name}: qubit ${q} is outside 0..${this.numQubits - 1}`,
        );
    }
    if (new Set(inst.qubits).size !== inst.qubits.length)
      throw new CircuitError(
        'duplicate_qubit',
        `${inst.name}: the same qubit appears twice in [${inst.qubits.join(', ')}]`,
      );
    for (const c of inst.clbits) {
      if (!Number.isInteger(c) || c < 0 || c >= this.numClbits)
        throw new CircuitError(
          'clbit_out_of_range',
          `${inst.name}: clbit ${c} is outside 0..${this.numClbits - 1}`,
        );
    }
    for (const p of inst.params)
      for (const s of freeSymbols(p)) if (!this.inputs.includes(s)) this.inputs.push(s);
    this.instructions.push(inst);
    return this;
  }

  /** Appends gate `name` (built-in or defined) on `qubits` with `params`. */
  gate(name: string, qubits: readonly number[], params: readonly Param[] = []): this {
    const spec = GATES.get(name);
    const def = this.definitions.get(name);
    const arity = spec?.numQubits ?? def?.numQubits;
    const nParams = spec?.numParams ?? def?.params.length;
    if (arity === undefined || nParams === undefined)
      throw new CircuitError('unknown_gate', `unknown gate '${name}'`);
    if (qubits.length !== arity)
      throw new CircuitError('gate_arity', `${name} acts on ${arity} qubit(s), got ${qubits.length}`);
    if (params.length !== nParams)
      throw new CircuitError('gate_params', `${name} takes ${nParams} parameter(s), got ${params.length}`);
    return this.append({ name, qubits: [...qubits], clbits: [], params: [...params] });
  }

  id(q: number): this {
    return this.gate('id', [q]);
  }
  x(q: number): this {
    return this.gate('x', [q]);
  }
  y(q: number): this {
    return this.gate('y', [q]);
  }
  z(q: number): this {
    return this.gate('z', [q]);
  }
  h(q: number): this {
    return this.gate('h', [q]);
  }
  s(q: number): this {
    return this.gate('s', [q]);
  }
  sdg(q: number): this {
    return this.gate('sdg', [q]);
  }
  t(q: number): this {
    return this.gate('t', [q]);
  }
  tdg(q: number): this {
    return this.gate('tdg', [q]);
  }
  sx(q: number): this {
    return this.gate('sx', [q]);
  }
  sxdg(q: number): this {
    return this.gate('sxdg', [q]);
  }
  rx(theta: Param, q: number): this {
    return this.gate('rx', [q], [theta]);
  }
  ry(theta: Param, q: number): this {
    return this.gate('ry', [q], [theta]);
  }
  rz(theta: Param, q: number): this {
    return this.gate('rz', [q], [theta]);
  }
  p(lambda: Param, q: number): this {
    return this.gate('p', [q], [lambda]);
  }
  u(theta: Param, phi: Param, lambda: Param, q: number): this {
    return this.gate('u', [q], [theta, phi, lambda]);
  }
  cx(c: number, t: number): this {
    return this.gate('cx', [c, t]);
  }
  cy(c: number, t: number): this {
    return this.gate('cy', [c, t]);
  }
  cz(c: number, t: number): this {
    return this.gate('cz', [c, t]);
  }
  ch(c: number, t: number): this {
    return this.gate('ch', [c, t]);
  }
  cp(lambda: Param, c: number, t: number): this {
    return this.gate('cp', [c, t], [lambda]);
  }
  crx(theta: Param, c: number, t: number): this {
    return this.gate('crx', [c, t], [theta]);
  }
  cry(theta: Param, c: number, t: number): this {
    return this.gate('cry', [c, t], [theta]);
  }
  crz(theta: Param, c: number, t: number): this {
    return this.gate('crz', [c, t], [theta]);
  }
  swap(a: number, b: number): this {
    return this.gate('swap', [a, b]);
  }
  rxx(theta: Param, a: number, b: number): this {
    return this.gate('rxx', [a, b], [theta]);
  }
  ryy(theta: Param, a: number, b: number): this {
    return this.gate('ryy', [a, b], [theta]);
  }
  rzz(theta: Param, a: number, b: number): this {
    return this.gate('rzz', [a, b], [theta]);
  }
  ccx(a: number, b: number, t: number): this {
    return this.gate('ccx', [a, b, t]);
  }
  cswap(c: number, a: number, b: number): this {
    return this.gate('cswap', [c, a, b]);
  }

  /** Measures qubit `q` into clbit `c`. */
  measure(q: number, c: number): this {
    return this.append({ name: 'measure', qubits: [q], clbits: [c], params: [] });
  }

  /** Resets qubit `q` to |0>. */
  reset(q: number): this {
    return this.append({ name: 'reset', qubits: [q], clbits: [], params: [] });
  }

  /** A barrier on the given qubits (all when none are given). */
  barrier(...qubits: number[]): this {
    const qs = qubits.length > 0 ? qubits : range(this.numQubits);
    return this.append({ name: 'barrier', qubits: qs, clbits: [], params: [] });
  }

  /** As Qiskit's measure_all: a barrier, a new register `meas` and a measurement of every qubit into it. */
  measureAll(): this {
    const reg = this.addCreg('meas', this.numQubits);
    this.barrier();
    for (let q = 0; q < this.numQubits; q++) this.measure(q, reg.offset + q);
    return this;
  }

  /** A copy with every symbol replaced by its value. */
  bind(values: Readonly<Record<string, number>>): Circuit {
    const out = this.copyEmpty();
    for (const inst of this.instructions) {
      out.instructions.push({ ...inst, params: inst.params.map((p) => evalExpr(p, values)) });
    }
    out.inputs.length = 0;
    return out;
  }

  /** A copy with the same registers, definitions and inputs but no instructions. */
  copyEmpty(name = this.name): Circuit {
    const out = new Circuit(0, 0, name);
    for (const r of this.qregs) out.addQreg(r.name, r.size);
    for (const r of this.cregs) out.addCreg(r.name, r.size);
    for (const [k, d] of this.definitions) out.definitions.set(k, d);
    out.inputs.push(...this.inputs);
    return out;
  }

  /** A deep-enough copy (instructions are immutable). */
  clone(): Circuit {
    const out = this.copyEmpty();
    out.instructions.push(...this.instructions);
    return out;
  }

  /** True when an instruction is a gate (not measure, reset, barrier). */
  static isGate(inst: Instruction): boolean {
    return !DIRECTIVES.has(inst.name);
  }
}

function checkSize(kind: string, name: string, size: number): void {
  if (!Number.isInteger(size) || size < 1)
    throw new CircuitError(
      'register_size',
      `${kind} '${name}' must have a positive integer size, got ${size}`,
    );
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export { sym };
