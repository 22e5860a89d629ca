// OpenQASM 2.0 (the whole language) and OpenQASM 3 (the subset real circuit files use) to a Circuit.
import type { BinaryOp, Expr, Param, UnaryFn } from '../expr.js';
import { GATES } from '../gates.js';
import {
  Circuit,
  CircuitError,
  type Condition,
  type Instruction,
  type Modifier,
  type Register,
} from '../ir.js';
import {
  QasmError,
  QasmSemanticError,
  type SourcePosition,
  QasmSyntaxError,
  QasmUnsupportedError,
} from './errors.js';
import {
  ANDAND,
  ARROW,
  EOF,
  EQEQ,
  GE,
  IDENT,
  INT,
  LE,
  Lexer,
  NameTable,
  NEQ,
  OROR,
  OTHER_OP,
  POW,
  REAL,
  STRING,
} from './lexer.js';

/** Options of the QASM parsers. */
export interface ParseOptions {
  /** Name used in error messages (`FILE:LINE:COLUMN: message`); `<input>` by default. */
  readonly filename?: string;
}

/** Deepest expression nesting accepted: deeper input fails with a clear error instead of a stack overflow. */
export const MAX_EXPR_DEPTH = 64;
/** Most nodes one symbolic expression may hold. */
export const MAX_EXPR_NODES = 4096;
/** Most instructions one program may expand to (loops included): a guard against memory exhaustion. */
export const MAX_INSTRUCTIONS = 5_000_000;
/** Deepest nesting of QASM 3 blocks (for, if, braces). */
export const MAX_BLOCK_DEPTH = 32;

/** Gates of qelib1.inc (OpenQASM 2), all of them in the built-in library. */
export const QELIB1_GATES: readonly string[] = (
  'u3 u2 u1 cx id u0 u p x y z h s sdg t tdg rx ry rz sx sxdg cz cy swap ch ccx cswap crx cry crz cu1 cp cu3 csx cu ' +
  'rxx rzz rccx rc3x c3x c3sqrtx c4x'
).split(' ');

/** Gates of stdgates.inc (OpenQASM 3); `phase`, `cphase` and `CX` are aliases of p, cp and cx. */
export const STDGATES: readonly string[] =
  'p x y z h s sdg t tdg sx rx ry rz cx cy cz cp crx cry crz ch swap ccx cswap cu CX phase cphase id u1 u2 u3'.split(
    ' ',
  );

const ALIASES: Readonly<Record<string, string>> = { CX: 'cx', U: 'u', phase: 'p', cphase: 'cp' };

interface GateInfo {
  /** Name the instruction gets (aliases resolved). */
  readonly name: string;
  readonly numQubits: number;
  readonly numParams: number;
  readonly user: boolean;
}

interface GateScope {
  readonly qubits: Map<string, number>;
  readonly params: Set<string>;
  readonly body: Instruction[];
}

const NO_NUMS: readonly number[] = Object.freeze([]) as readonly number[];
const NO_PARAMS: readonly Param[] = Object.freeze([]) as readonly Param[];

const FUNCTIONS: Readonly<Record<string, UnaryFn>> = {
  sin: 'sin',
  cos: 'cos',
  tan: 'tan',
  exp: 'exp',
  ln: 'ln',
  sqrt: 'sqrt',
};
const FUNCTIONS3: Readonly<Record<string, UnaryFn>> = {
  ...FUNCTIONS,
  arcsin: 'asin',
  arccos: 'acos',
  arctan: 'atan',
};
const FN_IMPL: Readonly<Record<UnaryFn, (x: number) => number>> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  exp: Math.exp,
  ln: Math.log,
  sqrt: Math.sqrt,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
};

// Words of OpenQASM 3 that name constructs outside qobs' subset.
const UNSUPPORTED3 = new Set([
  'def',
  'defcal',
  'defcalgrammar',
  'cal',
  'while',
  'switch',
  'break',
  'continue',
  'return',
  'extern',
  'box',
  'delay',
  'output',
  'let',
  'end',
  'int',
  'uint',
  'float',
  'angle',
  'bool',
  'duration',
  'stretch',
  'complex',
  'array',
  'durationof',
  'sizeof',
  'case',
  'default',
]);

/**
 * Parses OpenQASM 2 or 3, choosing by the `OPENQASM` header (a file without one is read as OpenQASM 3).
 * @example
 *   const c = parseQasm('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; cx q[0], q[1];');
 */
export function parseQasm(source: string, options?: ParseOptions): Circuit {
  const version = detectVersion(source);
  return version === 2 ? parseQasm2(source, options) : parseQasm3(source, options);
}

/** Parses an OpenQASM 2.0 program. */
export function parseQasm2(source: string, options?: ParseOptions): Circuit {
  return new Parser(source, options?.filename ?? '<input>', 2).program();
}

/** Parses an OpenQASM 3 program (qobs' subset; anything else raises QasmUnsupportedError). */
export function parseQasm3(source: string, options?: ParseOptions): Circuit {
  return new Parser(source, options?.filename ?? '<input>', 3).program();
}

/** The major version named by the header, 3 when there is none. */
export function detectVersion(source: string): 2 | 3 {
  // A throwaway lexer: header detection must not throw on bad input, the real parse reports errors.
  try {
    const lx = new Lexer(source, '<input>');
    if (lx.isWord('OPENQASM')) {
      lx.next();
      if ((lx.kind() === REAL || lx.kind() === INT) && Math.floor(lx.num) === 2) return 2;
      return 3;
    }
    // No header (some QASMBench files): OpenQASM 2 when it opens with qelib1.inc or a qreg/creg declaration.
    if (lx.isWord('qreg') || lx.isWord('creg')) return 2;
    if (lx.isWord('include')) {
      lx.next();
      if (lx.kind() === STRING && lx.text().slice(1, -1) === 'qelib1.inc') return 2;
    }
  } catch {
    // fall through
  }
  return 3;
}

class Parser {
  private readonly lx: Lexer;
  private readonly version: 2 | 3;
  private readonly circuit = new Circuit();
  private readonly gates = new NameTable<GateInfo>();
  private readonly qregs = new NameTable<Register>();
  private readonly cregs = new NameTable<Register>();
  /** Every global name, to reject redeclarations. */
  private readonly names = new Set<string>();
  private readonly inputs = new Set<string>();
  /** Values of loop variables and constants (QASM 3). */
  private readonly env = new Map<string, number>();
  private condition: Condition | undefined;
  private readonly singles: Array<readonly number[]> = [];
  private readonly singleClbits: Array<readonly number[]> = [];
  private readonly tuples = new Map<number, readonly number[]>();
  private scope: GateScope | undefined;
  private exprDepth = 0;
  private exprBudget = 0;
  private blockDepth = 0;
  private loopIterations = 0;

  constructor(source: string, filename: string, version: 2 | 3) {
    this.version = version;
    this.lx = new Lexer(source, filename);
    this.defineBuiltin('U', 'u', 1, 3);
    if (version === 2) this.defineBuiltin('CX', 'cx', 2, 0);
  }

  program(): Circuit {
    try {
      this.header();
      while (this.lx.kind() !== EOF) this.statement(true);
      return this.circuit;
    } catch (err) {
      if (err instanceof QasmError) throw err;
      if (err instanceof CircuitError || err instanceof RangeError) {
        // Model limits (register sizes) and engine limits, reported where the parser stood.
        throw new QasmSemanticError(this.lx.position(), err.message, { cause: err });
      }
      throw err;
    }
  }

  // ---- header and statements ----

  private header(): void {
    const lx = this.lx;
    // The header is optional: OpenQASM 3 says so, and Qiskit reads OpenQASM 2 files without one too.
    if (!lx.isWord('OPENQASM')) return;
    lx.next();
    if (lx.kind() !== REAL && lx.kind() !== INT)
      throw this.syntax('expected a version number after OPENQASM');
    const v = lx.num;
    if (this.version === 2 && Math.floor(v) !== 2)
      throw this.semantic(`expected OPENQASM 2.0, found version ${lx.text()}`);
    if (this.version === 3 && Math.floor(v) !== 3)
      throw this.semantic(`expected OPENQASM 3, found version ${lx.text()}`);
    lx.next();
    this.expect(59, "';'");
  }

  /** One statement; `top` is false inside blocks and gate bodies' callers (declarations only at top level). */
  private statement(top: boolean): void {
    const lx = this.lx;
    if (lx.kind() === IDENT) {
      const gate = this.gates.getSpan(lx.src, lx.start, lx.end);
      if (gate !== undefined) {
        this.gateCall(gate, undefined);
        return;
      }
      const word = lx.text();
      if (this.version === 3) {
        if (this.cregs.has(word)) {
          this.assignment();
          return;
        }
        switch (word) {
          case 'ctrl':
          case 'negctrl':
          case 'inv':
          case 'pow':
            this.modifiedCall();
            return;
          case 'gphase':
            this.gphase(undefined);
            return;
        }
      }
      switch (word) {
        case 'measure':
          this.measure();
          return;
        case 'reset':
          this.reset();
          return;
        case 'barrier':
          this.barrier();
          return;
        case 'if':
          this.ifStatement();
          return;
        case 'OPENQASM':
          throw this.syntax('the OPENQASM header must be the first statement');
      }
      if (top) {
        switch (word) {
          case 'include':
            this.include();
            return;
          case 'qreg':
          case 'creg':
            this.oldRegister(word === 'qreg');
            return;
          case 'gate':
            this.gateDefinition(false);
            return;
          case 'opaque':
            this.gateDefinition(true);
            return;
        }
      }
      if (this.version === 3) {
        switch (word) {
          case 'for':
            this.forLoop();
            return;
        }
        if (top) {
          switch (word) {
            case 'qubit':
            case 'bit':
              this.newRegister(word === 'qubit');
              return;
            case 'input':
              this.input();
              return;
            case 'const':
              this.constant();
              return;
          }
        }
        if (
          UNSUPPORTED3.has(word) ||
          word === 'qubit' ||
          word === 'bit' ||
          word === 'input' ||
          word === 'const'
        )
          throw this.unsupported(top ? `'${word}'` : `'${word}' inside a block`);
        if (word === 'else') throw this.syntax("'else' without a matching 'if'");
        if (this.qregs.has(word)) throw this.semantic(`'${word}' is a qubit register, not a gate`);
        throw this.semantic(`unknown gate or identifier '${word}'`);
      }
      if (this.qregs.has(word) || this.cregs.has(word))
        throw this.semantic(`'${word}' is a register, not a gate`);
      if (word === 'include' || word === 'qreg' || word === 'creg' || word === 'gate' || word === 'opaque')
        throw this.semantic(`'${word}' is only allowed at the top level`);
      throw this.semantic(
        `unknown gate '${word}'${this.gates.has('h') ? '' : ' (is include "qelib1.inc"; missing?)'}`,
      );
    }
    if (this.version === 3) {
      if (lx.kind() === 35 || lx.kind() === 64) {
        // #pragma and @annotation lines: the specification lets an implementation ignore them.
        lx.skipLine();
        return;
      }
      if (lx.kind() === 123) {
        this.block();
        return;
      }
    }
    if (lx.kind() === 59) throw this.syntax("empty statement ';'");
    throw this.syntax(`unexpected ${this.describe()}`);
  }

  private include(): void {
    const lx = this.lx;
    const pos = lx.position();
    lx.next();
    if (lx.kind() !== STRING) throw this.syntax('expected a file name in quotes after include');
    const file = lx.src.slice(lx.start + 1, lx.end - 1);
    lx.next();
    this.expect(59, "';'");
    if (this.version === 2 && file === 'qelib1.inc') {
      for (const n of QELIB1_GATES)
        this.defineBuiltin(n, n, GATES.get(n)!.numQubits, GATES.get(n)!.numParams);
    } else if (this.version === 3 && file === 'stdgates.inc') {
      for (const n of STDGATES) {
        const name = ALIASES[n] ?? n;
        this.defineBuiltin(n, name, GATES.get(name)!.numQubits, GATES.get(name)!.numParams);
      }
    } else {
      throw new QasmUnsupportedError(
        this.at(pos),
        `include "${file}"`,
        `include "${file}": only ${this.version === 2 ? 'qelib1.inc' : 'stdgates.inc'} is built in`,
      );
    }
  }

  private defineBuiltin(word: string, name: string, numQubits: number, numParams: number): void {
    if (this.gates.get(word)?.user) return;
    this.gates.set(word, { name, numQubits, numParams, user: false });
  }

  private oldRegister(quantum: boolean): void {
    const lx = this.lx;
    lx.next();
    const namePos = lx.position();
    const name = this.ident('a register name');
    this.expect(91, "'['");
    if (lx.kind() !== INT) throw this.syntax('expected an integer register size');
    const size = lx.num;
    lx.next();
    this.expect(93, "']'");
    this.expect(59, "';'");
    this.declareRegister(name, size, quantum, namePos);
  }

  private newRegister(quantum: boolean): void {
    const lx = this.lx;
    lx.next();
    let size = 1;
    if (lx.kind() === 91) {
      lx.next();
      size = this.intExpr();
      this.expect(93, "']'");
    }
    const namePos = lx.position();
    const name = this.ident('a register name');
    if (!quantum && lx.kind() === 61) {
      this.declareRegister(name, size, false, namePos);
      lx.next();
      if (!lx.isWord('measure')) throw this.unsupported('bit initializers other than measure');
      lx.next();
      const qs = this.qarg();
      this.expect(59, "';'");
      this.emitMeasures(qs, this.cregAsArg(name), namePos);
      return;
    }
    this.expect(59, "';'");
    this.declareRegister(name, size, quantum, namePos);
  }

  private declareRegister(name: string, size: number, quantum: boolean, pos: Pos): void {
    this.declareName(name, pos);
    if (!Number.isInteger(size) || size < 1)
      throw new QasmSemanticError(this.at(pos), `register '${name}' must have a positive size, got ${size}`);
    try {
      const reg = quantum ? this.circuit.addQreg(name, size) : this.circuit.addCreg(name, size);
      (quantum ? this.qregs : this.cregs).set(name, reg);
    } catch (err) {
      if (err instanceof CircuitError) throw new QasmSemanticError(this.at(pos), err.message, { cause: err });
      throw err;
    }
  }

  private declareName(name: string, pos: Pos): void {
    if (this.names.has(name) || this.gates.has(name))
      throw new QasmSemanticError(this.at(pos), `'${name}' is already declared`);
    this.names.add(name);
  }

  private input(): void {
    const lx = this.lx;
    lx.next();
    if (!lx.isWord('float') && !lx.isWord('angle') && !lx.isWord('int') && !lx.isWord('uint'))
      throw this.unsupported(`input of type '${lx.text()}'`);
    lx.next();
    if (lx.kind() === 91) {
      lx.next();
      this.intExpr();
      this.expect(93, "']'");
    }
    const pos = lx.position();
    const name = this.ident('an input name');
    this.expect(59, "';'");
    this.declareName(name, pos);
    this.inputs.add(name);
    this.circuit.inputs.push(name);
  }

  private constant(): void {
    const lx = this.lx;
    lx.next();
    if (!lx.isWord('float') && !lx.isWord('angle') && !lx.isWord('int') && !lx.isWord('uint'))
      throw this.unsupported(`const of type '${lx.text()}'`);
    lx.next();
    if (lx.kind() === 91) {
      lx.next();
      this.intExpr();
      this.expect(93, "']'");
    }
    const pos = lx.position();
    const name = this.ident('a constant name');
    this.expect(61, "'='");
    const value = this.numericExpr();
    this.expect(59, "';'");
    this.declareName(name, pos);
    this.env.set(name, value);
  }

  // ---- gate definitions ----

  private gateDefinition(opaque: boolean): void {
    const lx = this.lx;
    lx.next();
    const pos = lx.position();
    const word = this.ident('a gate name');
    if (this.gates.has(word) || this.names.has(word))
      throw new QasmSemanticError(this.at(pos), `gate '${word}' is already defined`);
    const params: string[] = [];
    if (lx.kind() === 40) {
      lx.next();
      while (lx.kind() !== 41) {
        const p = this.ident('a parameter name');
        if (params.includes(p)) throw this.semantic(`parameter '${p}' appears twice`);
        params.push(p);
        if (lx.kind() === 44) lx.next();
        else if (lx.kind() !== 41) throw this.syntax(`expected ',' or ')' but found ${this.describe()}`);
      }
      lx.next();
    }
    const qubits = new Map<string, number>();
    while (lx.kind() === IDENT) {
      const q = this.ident('a qubit name');
      if (qubits.has(q)) throw this.semantic(`qubit '${q}' appears twice in the definition of '${word}'`);
      qubits.set(q, qubits.size);
      if (lx.kind() !== 44) break;
      lx.next();
    }
    if (qubits.size === 0) throw this.syntax(`gate '${word}' needs at least one qubit argument`);
    let body: Instruction[] | null = null;
    if (opaque) {
      this.expect(59, "';'");
    } else {
      if (lx.kind() !== 123) throw this.syntax(`expected '{' to open the body of gate '${word}'`);
      lx.next();
      const scope: GateScope = { qubits, params: new Set(params), body: [] };
      this.scope = scope;
      try {
        while (lx.kind() !== 125) {
          if (lx.kind() === EOF) throw this.syntax(`unterminated body of gate '${word}'`);
          this.bodyStatement();
        }
      } finally {
        this.scope = undefined;
      }
      lx.next();
      body = scope.body;
    }
    this.gates.set(word, { name: word, numQubits: qubits.size, numParams: params.length, user: true });
    this.circuit.definitions.set(word, { name: word, params, numQubits: qubits.size, body });
  }

  private bodyStatement(): void {
    const lx = this.lx;
    if (lx.kind() !== IDENT) throw this.syntax(`unexpected ${this.describe()} in a gate body`);
    const word = lx.text();
    const gate = this.gates.get(word);
    if (gate !== undefined) {
      this.gateCall(gate, undefined);
      return;
    }
    if (word === 'barrier') {
      this.barrier();
      return;
    }
    if (this.version === 3) {
      if (word === 'ctrl' || word === 'negctrl' || word === 'inv' || word === 'pow') {
        this.modifiedCall();
        return;
      }
      if (word === 'gphase') {
        this.gphase(undefined);
        return;
      }
    }
    if (word === 'measure' || word === 'reset' || word === 'if')
      throw this.semantic(`'${word}' is not allowed in a gate body`);
    throw this.semantic(`unknown gate '${word}'`);
  }

  // ---- quantum operations ----

  private gateCall(gate: GateInfo, modifiers: Modifier[] | undefined): void {
    const lx = this.lx;
    const pos = lx.start;
    lx.next();
    let params: Param[] | readonly Param[] = NO_PARAMS;
    if (lx.kind() === 40) {
      lx.next();
      if (lx.kind() === 41) lx.next();
      else {
        params = [this.expr()];
        while (lx.kind() === 44) {
          lx.next();
          (params as Param[]).push(this.expr());
        }
        this.expect(41, "')'");
      }
    }
    if (params.length !== gate.numParams)
      throw new QasmSemanticError(
        this.at(pos),
        `gate '${gate.name}' takes ${gate.numParams} parameter(s), got ${params.length}`,
      );
    let arity = gate.numQubits;
    if (modifiers) for (const m of modifiers) if (m.kind === 'ctrl') arity += m.count;
    this.applyGate(gate.name, arity, params, modifiers, pos);
  }

  /** Reads `arity` qubit arguments and emits the gate, broadcasting over whole registers. */
  private applyGate(
    name: string,
    arity: number,
    params: readonly Param[],
    modifiers: Modifier[] | undefined,
    pos: Pos,
  ): void {
    const lx = this.lx;
    if (this.scope) {
      const qubits: number[] = [];
      while (lx.kind() === IDENT) {
        qubits.push(this.localQubit());
        if (lx.kind() !== 44) break;
        lx.next();
      }
      this.expect(59, "';'");
      if (qubits.length !== arity)
        throw new QasmSemanticError(
          this.at(pos),
          `gate '${name}' acts on ${arity} qubit(s), got ${qubits.length}`,
        );
      checkDistinct(qubits, name, pos, this.lx);
      this.scope.body.push(
        modifiers
          ? { name, qubits, clbits: NO_NUMS, params, modifiers }
          : { name, qubits, clbits: NO_NUMS, params },
      );
      return;
    }
    if (arity === 0) {
      this.expect(59, "';'");
      this.emit(
        modifiers
          ? { name, qubits: NO_NUMS, clbits: NO_NUMS, params, modifiers }
          : { name, qubits: NO_NUMS, clbits: NO_NUMS, params },
      );
      return;
    }
    // Fast path: one or two single-qubit arguments, the shape of nearly every line of a real file.
    const a0 = this.qarg();
    if (lx.kind() === 59 && typeof a0 === 'number') {
      lx.next();
      if (arity !== 1)
        throw new QasmSemanticError(this.at(pos), `gate '${name}' acts on ${arity} qubit(s), got 1`);
      const qubits = this.single(a0);
      this.emit(
        modifiers
          ? { name, qubits, clbits: NO_NUMS, params, modifiers }
          : { name, qubits, clbits: NO_NUMS, params },
      );
      return;
    }
    const args: Array<number | number[]> = [a0];
    while (lx.kind() === 44) {
      lx.next();
      args.push(this.qarg());
    }
    this.expect(59, "';'");
    if (args.length !== arity)
      throw new QasmSemanticError(
        this.at(pos),
        `gate '${name}' acts on ${arity} qubit(s), got ${args.length}`,
      );
    let width = -1;
    for (const a of args) {
      if (typeof a !== 'number') {
        if (width >= 0 && a.length !== width)
          throw new QasmSemanticError(
            this.at(pos),
            `registers of different sizes (${width} and ${a.length}) in one call of '${name}'`,
          );
        width = a.length;
      }
    }
    if (width < 0) {
      checkDistinct(args as number[], name, pos, this.lx);
      const qubits = this.tuple(args as number[]);
      this.emit(
        modifiers
          ? { name, qubits, clbits: NO_NUMS, params, modifiers }
          : { name, qubits, clbits: NO_NUMS, params },
      );
      return;
    }
    for (let i = 0; i < width; i++) {
      const qubits = args.map((a) => (typeof a === 'number' ? a : a[i]));
      checkDistinct(qubits, name, pos, this.lx);
      this.emit(
        modifiers
          ? { name, qubits, clbits: NO_NUMS, params, modifiers }
          : { name, qubits, clbits: NO_NUMS, params },
      );
    }
  }

  private modifiedCall(): void {
    const lx = this.lx;
    const modifiers: Modifier[] = [];
    for (;;) {
      if (lx.isWord('ctrl') || lx.isWord('negctrl')) {
        const negated = lx.isWord('negctrl');
        lx.next();
        let count = 1;
        if (lx.kind() === 40) {
          lx.next();
          count = this.intExpr();
          this.expect(41, "')'");
          if (count < 1) throw this.semantic('the control count must be a positive integer');
        }
        modifiers.push({ kind: 'ctrl', count, negated });
      } else if (lx.isWord('inv')) {
        lx.next();
        modifiers.push({ kind: 'inv' });
      } else if (lx.isWord('pow')) {
        lx.next();
        this.expect(40, "'('");
        const exponent = this.expr();
        this.expect(41, "')'");
        modifiers.push({ kind: 'pow', exponent });
      } else break;
      this.expect(64, "'@'");
    }
    if (lx.kind() !== IDENT)
      throw this.syntax(`expected a gate name after a modifier, found ${this.describe()}`);
    if (lx.isWord('gphase')) {
      this.gphase(modifiers);
      return;
    }
    const gate = this.gates.get(lx.text());
    if (!gate) throw this.semantic(`unknown gate '${lx.text()}'`);
    this.gateCall(gate, modifiers);
  }

  private gphase(modifiers: Modifier[] | undefined): void {
    const lx = this.lx;
    const pos = lx.start;
    lx.next();
    this.expect(40, "'('");
    const angle = this.expr();
    this.expect(41, "')'");
    let arity = 0;
    if (modifiers) for (const m of modifiers) if (m.kind === 'ctrl') arity += m.count;
    if (arity === 0 && lx.kind() !== 59) {
      // `gphase(a) q;` names qubits but is still a global phase
      while (lx.kind() !== 59 && lx.kind() !== EOF) lx.next();
    }
    this.applyGate('gphase', arity, [angle], modifiers, pos);
  }

  private measure(): void {
    const lx = this.lx;
    const pos = lx.start;
    lx.next();
    const qs = this.qarg();
    if (lx.kind() !== ARROW) {
      if (this.version === 3 && lx.kind() === 59) throw this.unsupported('measure without a target bit');
      throw this.syntax(`expected '->' after the measured qubits, found ${this.describe()}`);
    }
    lx.next();
    const cs = this.carg();
    this.expect(59, "';'");
    this.emitMeasures(qs, cs, pos);
  }

  /** `c = measure q;` and `c[0] = measure q[0];` (QASM 3). */
  private assignment(): void {
    const lx = this.lx;
    const pos = lx.start;
    const cs = this.carg();
    if (lx.kind() !== 61) {
      if (lx.kind() === OTHER_OP) throw this.unsupported('compound assignment');
      throw this.syntax(`expected '=' after a bit register, found ${this.describe()}`);
    }
    lx.next();
    if (!lx.isWord('measure')) throw this.unsupported('classical assignment');
    lx.next();
    const qs = this.qarg();
    this.expect(59, "';'");
    this.emitMeasures(qs, cs, pos);
  }

  private emitMeasures(qs: number | number[], cs: number | number[], pos: Pos): void {
    if (typeof qs === 'number' && typeof cs === 'number') {
      this.emitMeasure(qs, cs, pos);
      return;
    }
    if (typeof qs === 'number' || typeof cs === 'number' || qs.length !== cs.length) {
      const qn = typeof qs === 'number' ? 1 : qs.length;
      const cn = typeof cs === 'number' ? 1 : cs.length;
      throw new QasmSemanticError(
        this.at(pos),
        `measure of ${qn} qubit(s) into ${cn} bit(s): sizes must match`,
      );
    }
    for (let i = 0; i < qs.length; i++) this.emitMeasure(qs[i], cs[i], pos);
  }

  private emitMeasure(q: number, c: number, pos: Pos): void {
    const cond = this.condition;
    // a short scan: conditions are a register or a bit, and registers in conditions are small in practice;
    // the bound keeps a pathological `if (huge == 1) measure q -> huge;` linear overall
    if (
      cond &&
      (cond.clbits.length > 64
        ? c >= cond.clbits[0] && c <= cond.clbits[cond.clbits.length - 1]
        : cond.clbits.includes(c))
    )
      throw new QasmUnsupportedError(this.at(pos), 'measurement into a bit of the enclosing if condition');
    this.emit({ name: 'measure', qubits: this.single(q), clbits: this.singleClbit(c), params: NO_PARAMS });
  }

  private reset(): void {
    const lx = this.lx;
    lx.next();
    const qs = this.qarg();
    this.expect(59, "';'");
    if (typeof qs === 'number')
      this.emit({ name: 'reset', qubits: this.single(qs), clbits: NO_NUMS, params: NO_PARAMS });
    else
      for (const q of qs)
        this.emit({ name: 'reset', qubits: this.single(q), clbits: NO_NUMS, params: NO_PARAMS });
  }

  private barrier(): void {
    const lx = this.lx;
    const pos = lx.start;
    lx.next();
    if (this.scope) {
      const qubits: number[] = [];
      while (lx.kind() === IDENT) {
        const q = this.localQubit();
        if (!qubits.includes(q)) qubits.push(q);
        if (lx.kind() !== 44) break;
        lx.next();
      }
      this.expect(59, "';'");
      this.scope.body.push({ name: 'barrier', qubits, clbits: NO_NUMS, params: NO_PARAMS });
      return;
    }
    const seen = new Set<number>();
    const qubits: number[] = [];
    if (lx.kind() === 59) {
      if (this.version === 2) throw new QasmSyntaxError(this.at(pos), 'barrier needs at least one argument');
      for (let q = 0; q < this.circuit.numQubits; q++) qubits.push(q);
    } else {
      for (;;) {
        const a = this.qarg();
        for (const q of typeof a === 'number' ? [a] : a) {
          if (!seen.has(q)) {
            seen.add(q);
            qubits.push(q);
          }
        }
        if (lx.kind() !== 44) break;
        lx.next();
      }
    }
    this.expect(59, "';'");
    if (this.condition)
      throw new QasmSemanticError(this.at(pos), 'a barrier cannot be classically conditioned');
    this.emit({ name: 'barrier', qubits, clbits: NO_NUMS, params: NO_PARAMS });
  }

  // ---- classical control (if, for, blocks) ----

  private ifStatement(): void {
    const lx = this.lx;
    const pos = lx.position();
    if (this.condition) throw new QasmUnsupportedError(this.at(pos), 'nested if');
    lx.next();
    this.expect(40, "'('");
    const cond = this.version === 2 ? this.condition2() : this.condition3();
    this.expect(41, "')'");
    this.condition = cond;
    try {
      if (this.version === 2) {
        if (
          lx.isWord('if') ||
          lx.isWord('barrier') ||
          lx.isWord('gate') ||
          lx.isWord('qreg') ||
          lx.isWord('creg')
        )
          throw this.semantic(`'${lx.text()}' cannot follow if`);
        this.statement(false);
        return;
      }
      this.branch();
      if (lx.isWord('else')) {
        const elsePos = lx.position();
        if (cond.clbits.length !== 1)
          throw new QasmUnsupportedError(this.at(elsePos), 'else on a multi-bit condition');
        lx.next();
        this.condition = { clbits: cond.clbits, value: cond.value === 1 ? 0 : 1 };
        this.branch();
      }
    } finally {
      this.condition = undefined;
    }
  }

  private branch(): void {
    if (this.lx.kind() === 123) this.block();
    else this.statement(false);
  }

  private condition2(): Condition {
    const lx = this.lx;
    const pos = lx.position();
    const name = this.ident('a classical register');
    const reg = this.cregs.get(name);
    if (!reg) throw new QasmSemanticError(this.at(pos), `'${name}' is not a declared classical register`);
    if (lx.kind() !== EQEQ) throw this.syntax(`expected '==' in the if condition, found ${this.describe()}`);
    lx.next();
    if (lx.kind() !== INT) throw this.syntax('expected an integer on the right of ==');
    const value = lx.num;
    lx.next();
    return { clbits: regBits(reg), value };
  }

  private condition3(): Condition {
    const lx = this.lx;
    let negate = false;
    if (lx.kind() === 33) {
      negate = true;
      lx.next();
    }
    const pos = lx.position();
    if (lx.kind() !== IDENT || !this.cregs.has(lx.text()))
      throw this.unsupported('if condition other than a bit or bit register compared with an integer');
    const bits = this.carg();
    const clbits = typeof bits === 'number' ? [bits] : bits;
    let value = 1;
    if (lx.kind() === EQEQ || lx.kind() === NEQ) {
      const neq = lx.kind() === NEQ;
      lx.next();
      if (lx.isWord('true') || lx.isWord('false')) {
        value = lx.isWord('true') ? 1 : 0;
        lx.next();
      } else if (lx.kind() === INT) {
        value = lx.num;
        lx.next();
      } else throw this.unsupported('if condition other than a bit or bit register compared with an integer');
      if (neq) {
        if (clbits.length !== 1 || value > 1)
          throw new QasmUnsupportedError(this.at(pos), "'!=' on a multi-bit condition");
        value = 1 - value;
      }
    } else if (clbits.length !== 1) {
      throw new QasmUnsupportedError(this.at(pos), 'a bit register used as a boolean');
    }
    if (negate) {
      if (clbits.length !== 1 || value > 1)
        throw new QasmUnsupportedError(this.at(pos), "'!' on a multi-bit condition");
      value = 1 - value;
    }
    if (
      lx.kind() === ANDAND ||
      lx.kind() === OROR ||
      lx.kind() === LE ||
      lx.kind() === GE ||
      lx.kind() === 60 ||
      lx.kind() === 62
    )
      throw this.unsupported('compound if condition');
    if (value >= 2 ** clbits.length || value < 0 || !Number.isInteger(value))
      throw new QasmSemanticError(this.at(pos), `${value} does not fit in ${clbits.length} bit(s)`);
    return { clbits, value };
  }

  private block(): void {
    const lx = this.lx;
    if (++this.blockDepth > MAX_BLOCK_DEPTH)
      throw this.semantic(`blocks nested deeper than ${MAX_BLOCK_DEPTH}`);
    lx.next();
    while (lx.kind() !== 125) {
      if (lx.kind() === EOF) throw this.syntax("unterminated block: expected '}'");
      this.statement(false);
    }
    lx.next();
    this.blockDepth--;
  }

  private forLoop(): void {
    const lx = this.lx;
    const pos = lx.position();
    lx.next();
    // optional loop variable type: int, uint, int[32]...
    if (lx.isWord('int') || lx.isWord('uint')) {
      lx.next();
      if (lx.kind() === 91) {
        lx.next();
        this.intExpr();
        this.expect(93, "']'");
      }
    } else if (lx.isWord('float') || lx.isWord('angle')) {
      throw this.unsupported('for over non-integer values');
    }
    const name = this.ident('a loop variable');
    if (!lx.isWord('in'))
      throw this.syntax(`expected 'in' after the loop variable, found ${this.describe()}`);
    lx.next();
    const values: number[] = [];
    if (lx.kind() === 91) {
      lx.next();
      const a = this.intExpr();
      this.expect(58, "':'");
      let step = 1;
      let b = this.intExpr();
      if (lx.kind() === 58) {
        lx.next();
        step = b;
        b = this.intExpr();
      }
      this.expect(93, "']'");
      if (step === 0) throw new QasmSemanticError(this.at(pos), 'a range step cannot be 0');
      const count = Math.max(0, Math.floor((b - a) / step) + 1);
      if (this.loopIterations + count > MAX_INSTRUCTIONS)
        throw new QasmSemanticError(this.at(pos), `loop of ${count} iterations is too long`);
      for (let i = 0; i < count; i++) values.push(a + i * step);
    } else if (lx.kind() === 123) {
      lx.next();
      while (lx.kind() !== 125) {
        values.push(this.intExpr());
        if (lx.kind() === 44) lx.next();
        else if (lx.kind() !== 125) throw this.syntax(`expected ',' or '}' but found ${this.describe()}`);
      }
      lx.next();
    } else {
      throw this.unsupported('for over anything but a range or a set of integers');
    }
    const mark = lx.mark();
    const previous = this.env.get(name);
    if (this.gates.has(name) || this.qregs.has(name) || this.cregs.has(name) || this.inputs.has(name))
      throw new QasmSemanticError(this.at(pos), `loop variable '${name}' shadows a declared name`);
    if (values.length === 0) {
      this.skipStatement();
      return;
    }
    for (let i = 0; i < values.length; i++) {
      if (++this.loopIterations > MAX_INSTRUCTIONS)
        throw new QasmSemanticError(this.at(pos), 'loops run too many iterations');
      this.env.set(name, values[i]);
      if (i > 0) lx.reset(mark);
      this.branch();
    }
    if (previous === undefined) this.env.delete(name);
    else this.env.set(name, previous);
  }

  /** Skips a statement or a balanced block without interpreting it (the body of an empty loop). */
  private skipStatement(): void {
    const lx = this.lx;
    let depth = 0;
    for (;;) {
      if (lx.kind() === EOF) throw this.syntax('unexpected end of input');
      if (lx.kind() === 123) depth++;
      else if (lx.kind() === 125) {
        depth--;
        if (depth === 0) {
          lx.next();
          return;
        }
      } else if (lx.kind() === 59 && depth === 0) {
        lx.next();
        return;
      }
      lx.next();
    }
  }

  // ---- arguments ----

  /** A qubit argument: one index, or the indices of a register or slice (QASM 3). */
  private qarg(): number | number[] {
    const lx = this.lx;
    if (lx.kind() !== IDENT) throw this.syntax(`expected a qubit argument, found ${this.describe()}`);
    const pos = lx.start;
    const reg = this.qregs.getSpan(lx.src, lx.start, lx.end);
    if (!reg) {
      const name = lx.text();
      if (this.cregs.has(name))
        throw new QasmSemanticError(
          this.at(pos),
          `'${name}' is a classical register where qubits are expected`,
        );
      throw new QasmSemanticError(this.at(pos), `qubit register '${name}' is not declared`);
    }
    const i = lx.literalIndex();
    if (i >= 0) {
      if (i >= reg.size)
        throw new QasmSemanticError(
          this.at(pos),
          `index ${i} is out of range for '${reg.name}' of size ${reg.size}`,
        );
      return reg.offset + i;
    }
    lx.next();
    return this.index(reg, pos);
  }

  private carg(): number | number[] {
    const lx = this.lx;
    if (lx.kind() !== IDENT) throw this.syntax(`expected a bit argument, found ${this.describe()}`);
    const pos = lx.start;
    const reg = this.cregs.getSpan(lx.src, lx.start, lx.end);
    if (!reg) {
      const name = lx.text();
      if (this.qregs.has(name))
        throw new QasmSemanticError(this.at(pos), `'${name}' is a qubit register where bits are expected`);
      throw new QasmSemanticError(this.at(pos), `classical register '${name}' is not declared`);
    }
    const i = lx.literalIndex();
    if (i >= 0) {
      if (i >= reg.size)
        throw new QasmSemanticError(
          this.at(pos),
          `index ${i} is out of range for '${reg.name}' of size ${reg.size}`,
        );
      return reg.offset + i;
    }
    lx.next();
    return this.index(reg, pos);
  }

  private cregAsArg(name: string): number | number[] {
    return regBits(this.cregs.get(name)!);
  }

  private index(reg: Register, pos: Pos): number | number[] {
    const lx = this.lx;
    if (lx.kind() !== 91) return regBits(reg);
    lx.next();
    if (this.version === 2) {
      if (lx.kind() !== INT) throw this.syntax(`expected an integer index, found ${this.describe()}`);
      const i = lx.num;
      lx.next();
      this.expect(93, "']'");
      if (i >= reg.size)
        throw new QasmSemanticError(
          this.at(pos),
          `index ${i} is out of range for '${reg.name}' of size ${reg.size}`,
        );
      return reg.offset + i;
    }
    if (lx.kind() === 123) {
      lx.next();
      const out: number[] = [];
      while (lx.kind() !== 125) {
        out.push(this.resolveIndex(reg, this.intExpr(), pos));
        if (lx.kind() === 44) lx.next();
        else if (lx.kind() !== 125) throw this.syntax(`expected ',' or '}' but found ${this.describe()}`);
      }
      lx.next();
      this.expect(93, "']'");
      return out;
    }
    const a = lx.kind() === 58 ? 0 : this.intExpr();
    if (lx.kind() === 58) {
      lx.next();
      let step = 1;
      let b = lx.kind() === 93 ? reg.size - 1 : this.intExpr();
      if (lx.kind() === 58) {
        lx.next();
        step = b;
        b = this.intExpr();
      }
      this.expect(93, "']'");
      if (step === 0) throw new QasmSemanticError(this.at(pos), 'a slice step cannot be 0');
      const first = a < 0 ? a + reg.size : a;
      const last = b < 0 ? b + reg.size : b;
      const out: number[] = [];
      for (let i = first; step > 0 ? i <= last : i >= last; i += step) {
        out.push(this.resolveIndex(reg, i, pos));
        if (out.length > reg.size) break;
      }
      return out;
    }
    this.expect(93, "']'");
    return this.resolveIndex(reg, a, pos);
  }

  private resolveIndex(reg: Register, i: number, pos: Pos): number {
    const j = i < 0 ? i + reg.size : i;
    if (j < 0 || j >= reg.size)
      throw new QasmSemanticError(
        this.at(pos),
        `index ${i} is out of range for '${reg.name}' of size ${reg.size}`,
      );
    return reg.offset + j;
  }

  private localQubit(): number {
    const lx = this.lx;
    const name = lx.text();
    const q = this.scope!.qubits.get(name);
    if (q === undefined) {
      if (this.qregs.has(name))
        throw this.semantic(`gate bodies may only use their own qubit arguments, not register '${name}'`);
      throw this.semantic(`'${name}' is not a qubit argument of this gate`);
    }
    lx.next();
    if (lx.kind() === 91) throw this.semantic('qubit arguments of a gate body cannot be indexed');
    return q;
  }

  // ---- expressions ----

  /** A parameter expression: folded to a number when it has no free symbols. */
  private expr(): Param {
    this.exprBudget = MAX_EXPR_NODES;
    this.exprDepth = 0;
    return this.additive();
  }

  private numericExpr(): number {
    const pos = this.lx.position();
    const v = this.expr();
    if (typeof v !== 'number') throw new QasmSemanticError(this.at(pos), 'expected a constant expression');
    return v;
  }

  private intExpr(): number {
    const pos = this.lx.position();
    const v = this.numericExpr();
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31)
      throw new QasmSemanticError(this.at(pos), `expected an integer, got ${v}`);
    return v;
  }

  private additive(): Param {
    const lx = this.lx;
    let a = this.multiplicative();
    for (;;) {
      const k = lx.kind();
      if (k !== 43 && k !== 45) return a;
      lx.next();
      a = this.binary(k === 43 ? '+' : '-', a, this.multiplicative());
    }
  }

  private multiplicative(): Param {
    const lx = this.lx;
    let a = this.unary();
    for (;;) {
      const k = lx.kind();
      if (k === 42 || k === 47) {
        lx.next();
        a = this.binary(k === 42 ? '*' : '/', a, this.unary());
      } else if (k === 37 && this.version === 3) {
        const pos = lx.position();
        lx.next();
        const b = this.unary();
        if (typeof a !== 'number' || typeof b !== 'number')
          throw new QasmUnsupportedError(this.at(pos), "'%' on symbolic values");
        a = a % b;
      } else return a;
    }
  }

  private unary(): Param {
    const lx = this.lx;
    if (++this.exprDepth > MAX_EXPR_DEPTH)
      throw this.semantic(`expression nested deeper than ${MAX_EXPR_DEPTH} levels`);
    let out: Param;
    if (lx.kind() === 45) {
      lx.next();
      const a = this.unary();
      out = typeof a === 'number' ? -a : this.node({ op: 'neg', a });
    } else if (lx.kind() === 43) {
      lx.next();
      out = this.unary();
    } else {
      const base = this.primary();
      if (lx.kind() === 94 || (lx.kind() === POW && this.version === 3)) {
        lx.next();
        out = this.binary('^', base, this.unary());
      } else out = base;
    }
    this.exprDepth--;
    return out;
  }

  private primary(): Param {
    const lx = this.lx;
    const k = lx.kind();
    if (k === INT || k === REAL) {
      const v = lx.num;
      lx.next();
      return v;
    }
    if (k === 40) {
      lx.next();
      const v = this.additive();
      this.expect(41, "')'");
      return v;
    }
    if (k === IDENT) {
      // `pi` outside gate bodies is most of the identifiers in real files: no slice, no position object
      if (this.scope === undefined && lx.isWord('pi')) {
        lx.next();
        if (lx.kind() === 40) throw this.semantic("unknown function 'pi'");
        return Math.PI;
      }
      const pos = lx.start;
      const name = lx.text();
      lx.next();
      if (lx.kind() === 40) {
        const fn = (this.version === 2 ? FUNCTIONS : FUNCTIONS3)[name];
        if (!fn) throw new QasmSemanticError(this.at(pos), `unknown function '${name}'`);
        lx.next();
        const a = this.additive();
        this.expect(41, "')'");
        return typeof a === 'number' ? FN_IMPL[fn](a) : this.node({ op: 'call', fn, a });
      }
      if (this.scope?.params.has(name)) return this.node({ op: 'sym', name });
      if (name === 'pi' || (this.version === 3 && name === 'π')) return Math.PI;
      if (this.version === 3) {
        if (name === 'tau' || name === 'τ') return 2 * Math.PI;
        if (name === 'euler' || name === 'ℇ') return Math.E;
        const v = this.env.get(name);
        if (v !== undefined) return v;
        if (this.inputs.has(name)) return this.node({ op: 'sym', name });
        if (this.cregs.has(name)) throw new QasmUnsupportedError(this.at(pos), 'bit values in expressions');
      }
      if (name === 'true' || name === 'false')
        throw new QasmUnsupportedError(this.at(pos), 'boolean values in expressions');
      throw new QasmSemanticError(this.at(pos), `unknown identifier '${name}' in an expression`);
    }
    if (k === OTHER_OP && /^[0-9.]/.test(lx.text())) throw this.unsupported(`literal '${lx.text()}'`);
    if (k === EOF) throw this.syntax('unexpected end of input in an expression');
    throw this.syntax(`expected an expression, found ${this.describe()}`);
  }

  private binary(op: BinaryOp, a: Param, b: Param): Param {
    if (typeof a === 'number' && typeof b === 'number') {
      switch (op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return a / b;
        case '^':
          return a ** b;
      }
    }
    return this.node({ op, a: toExpr(a), b: toExpr(b) });
  }

  private node(e: Expr): Expr {
    if (--this.exprBudget < 0) throw this.semantic(`expression longer than ${MAX_EXPR_NODES} nodes`);
    return e;
  }

  // ---- helpers ----

  /**
   * A shared one-element qubit list: instructions are immutable, and sharing saves an allocation per gate. Not
   * frozen: frozen arrays are a different element kind to V8, which made every consumer's qubit loop polymorphic.
   */
  private single(q: number): readonly number[] {
    let a = this.singles[q];
    if (a === undefined) {
      a = [q];
      this.singles[q] = a;
    }
    return a;
  }

  private singleClbit(c: number): readonly number[] {
    let a = this.singleClbits[c];
    if (a === undefined) {
      a = [c];
      this.singleClbits[c] = a;
    }
    return a;
  }

  /**
   * A shared qubit list for 2- and 3-qubit gates, keyed by the qubits in mixed radix: real circuits repeat the same
   * few pairs and triples, and one shared array per tuple halves the objects the garbage collector must move.
   */
  private tuple(qs: number[]): readonly number[] {
    const n = this.circuit.numQubits;
    if (qs.length > 3 || n > 1024) return qs;
    let key = qs.length;
    for (const q of qs) key = key * n + q;
    let a = this.tuples.get(key);
    if (a === undefined) {
      if (this.tuples.size >= 100_000) return qs;
      a = qs;
      this.tuples.set(key, a);
    }
    return a;
  }

  private emit(inst: Instruction): void {
    const list = this.circuit.instructions;
    if (list.length >= MAX_INSTRUCTIONS)
      throw this.semantic(`the program expands to more than ${MAX_INSTRUCTIONS} instructions`);
    list.push(this.condition ? { ...inst, condition: this.condition } : inst);
  }

  private ident(what: string): string {
    const lx = this.lx;
    if (lx.kind() !== IDENT) throw this.syntax(`expected ${what}, found ${this.describe()}`);
    const s = lx.text();
    lx.next();
    return s;
  }

  private expect(kind: number, what: string): void {
    const lx = this.lx;
    if (lx.kind() !== kind) throw this.syntax(`expected ${what} but found ${this.describe()}`);
    lx.next();
  }

  private describe(): string {
    const lx = this.lx;
    if (lx.kind() === EOF) return 'end of input';
    const t = lx.text();
    return `'${t.length > 40 ? `${t.slice(0, 40)}...` : t}'`;
  }

  private at(pos: Pos): SourcePosition {
    return typeof pos === 'number' ? this.lx.positionAt(pos) : pos;
  }

  private syntax(message: string): QasmSyntaxError {
    return new QasmSyntaxError(this.lx.position(), message);
  }

  private semantic(message: string): QasmSemanticError {
    return new QasmSemanticError(this.lx.position(), message);
  }

  private unsupported(construct: string): QasmUnsupportedError {
    return new QasmUnsupportedError(this.lx.position(), construct);
  }
}

/** A source position, or the offset of a token whose line and column are computed only if an error needs them. */
type Pos = SourcePosition | number;

function toExpr(p: Param): Expr {
  return typeof p === 'number' ? { op: 'num', value: p } : p;
}

function regBits(reg: Register): number[] {
  const out = new Array<number>(reg.size);
  for (let i = 0; i < reg.size; i++) out[i] = reg.offset + i;
  return out;
}

function checkDistinct(qubits: readonly number[], name: string, pos: Pos, lx: Lexer): void {
  const n = qubits.length;
  for (let i = 1; i < n; i++)
    for (let j = 0; j < i; j++)
      if (qubits[i] === qubits[j])
        throw new QasmSemanticError(
          typeof pos === 'number' ? lx.positionAt(pos) : pos,
          `gate '${name}' is given the same qubit twice`,
        );
}
