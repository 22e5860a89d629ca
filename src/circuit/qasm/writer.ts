// Circuit to OpenQASM 2.0 and 3 text that qobs' parsers (and Qiskit's) read back to the same circuit.
import type { Expr, Param } from '../expr.js';
import {
  type Circuit,
  CircuitError,
  type Condition,
  type GateDefinition,
  type Instruction,
  type Register,
} from '../ir.js';
import { definitionPhase, GATE_DEFINITIONS, libraryDefinitions } from '../library.js';
import { QELIB1_GATES, STDGATES } from './parser.js';

const QELIB1 = new Set(QELIB1_GATES);
// Names of GATES that both include files spell differently.
const RENAME: Readonly<Record<string, string>> = { phase: 'p', cphase: 'cp' };
const STD3 = new Set(STDGATES);

/**
 * Writes OpenQASM 2.0. Symbolic parameters, QASM 3 modifiers and `unitary` instructions have no OpenQASM 2 form:
 * bind and flatten first. A global phase is dropped (OpenQASM 2 cannot express it and it changes no outcome).
 */
export function toQasm2(circuit: Circuit): string {
  return new Writer(circuit, 2).write();
}

/** Writes OpenQASM 3 (`stdgates.inc`, `qubit[n]`/`bit[n]`, `input float` for symbols, modifiers kept). */
export function toQasm3(circuit: Circuit): string {
  return new Writer(circuit, 3).write();
}

class Writer {
  private readonly out: string[] = [];
  private readonly qubitNames: string[];
  private readonly clbitNames: string[];
  private readonly emitted = new Set<string>();

  constructor(
    private readonly circuit: Circuit,
    private readonly version: 2 | 3,
  ) {
    this.qubitNames = names(circuit.qregs, circuit.numQubits, 'q');
    this.clbitNames = names(circuit.cregs, circuit.numClbits, 'c');
  }

  write(): string {
    const c = this.circuit;
    const v3 = this.version === 3;
    this.out.push(v3 ? 'OPENQASM 3.0;' : 'OPENQASM 2.0;');
    this.out.push(v3 ? 'include "stdgates.inc";' : 'include "qelib1.inc";');
    if (!v3 && c.inputs.length > 0)
      throw new CircuitError(
        'qasm2_symbolic',
        `OpenQASM 2 has no input parameters: bind ${c.inputs.join(', ')} first`,
      );
    for (const name of c.inputs) this.out.push(`input float[64] ${name};`);
    // definitions of built-ins missing from the include file, then the user's, in dependency order
    for (const inst of c.instructions) this.need(inst.name);
    for (const def of c.definitions.values()) this.definition(def);
    for (const r of c.qregs) this.out.push(v3 ? `qubit[${r.size}] ${r.name};` : `qreg ${r.name}[${r.size}];`);
    for (const r of c.cregs) this.out.push(v3 ? `bit[${r.size}] ${r.name};` : `creg ${r.name}[${r.size}];`);
    for (const inst of c.instructions) {
      const line = this.instruction(inst, this.qubitNames);
      if (line) this.out.push(line);
    }
    return `${this.out.join('\n')}\n`;
  }

  /** Emits the definition of a built-in the target include file lacks (once). */
  private need(name: string): void {
    if (this.emitted.has(name) || this.circuit.definitions.has(name) || name in RENAME) return;
    const v3 = this.version === 3;
    const known = v3 ? STD3.has(name) || name === 'u' || name === 'gphase' : QELIB1.has(name);
    if (known || name === 'measure' || name === 'reset' || name === 'barrier') return;
    if (name === 'unitary')
      throw new CircuitError(
        'qasm_unitary',
        'a unitary matrix instruction has no OpenQASM form: decompose the circuit first',
      );
    if (name === 'gphase' || name === 'delay') return;
    const text = GATE_DEFINITIONS[name];
    const def = libraryDefinitions().get(name);
    if (!text || !def?.body)
      throw new CircuitError('qasm_unknown_gate', `gate '${name}' has no definition to write`);
    this.emitted.add(name);
    for (const b of def.body) this.need(b.name);
    const phase = v3 ? definitionPhase(name) : 0;
    // OpenQASM 3 can hold the phase, and must: `ctrl @` of a definition that is off by a phase is a different gate
    this.out.push(phase !== 0 ? text.replace(/\s*}$/, ` gphase(${formatParam(phase)}); }`) : text);
  }

  private definition(def: GateDefinition): void {
    const qnames = Array.from({ length: def.numQubits }, (_, i) => `q${i}`);
    const params = def.params.length > 0 ? `(${def.params.join(', ')})` : '';
    if (def.body === null) {
      this.out.push(`opaque ${def.name}${params} ${qnames.join(', ')};`);
      return;
    }
    for (const inst of def.body) this.need(inst.name);
    const body = def.body.map((inst) => this.instruction(inst, qnames)).filter((l) => l !== '');
    this.out.push(
      `gate ${def.name}${params} ${qnames.join(', ')} { ${body.join(' ')}${body.length ? ' ' : ''}}`,
    );
  }

  private instruction(inst: Instruction, qn: readonly string[]): string {
    const v3 = this.version === 3;
    const qs = inst.qubits.map((q) => qn[q]).join(', ');
    let stmt: string;
    switch (inst.name) {
      case 'measure':
        stmt = v3
          ? `${this.clbitNames[inst.clbits[0]]} = measure ${qs};`
          : `measure ${qs} -> ${this.clbitNames[inst.clbits[0]]};`;
        break;
      case 'reset':
        stmt = `reset ${qs};`;
        break;
      case 'barrier':
        if (inst.qubits.length === 0) return '';
        stmt = `barrier ${qs};`;
        break;
      default: {
        if (inst.name === 'unitary')
          throw new CircuitError(
            'qasm_unitary',
            'a unitary matrix instruction has no OpenQASM form: decompose the circuit first',
          );
        if (inst.name === 'gphase' && !v3) return '';
        let mods = '';
        if (inst.modifiers && inst.modifiers.length > 0) {
          if (!v3)
            throw new CircuitError(
              'qasm2_modifier',
              `gate modifiers on '${inst.name}' have no OpenQASM 2 form: flatten the circuit first`,
            );
          for (const m of inst.modifiers) {
            if (m.kind === 'inv') mods += 'inv @ ';
            else if (m.kind === 'pow') mods += `pow(${formatParam(m.exponent)}) @ `;
            else mods += `${m.negated ? 'negctrl' : 'ctrl'}${m.count > 1 ? `(${m.count})` : ''} @ `;
          }
        }
        const ps = inst.params.length > 0 ? `(${inst.params.map(formatParam).join(', ')})` : '';
        const name = RENAME[inst.name] ?? (v3 && inst.name === 'u' ? 'U' : inst.name);
        stmt = `${mods}${name}${ps}${qs ? ` ${qs}` : ''};`;
      }
    }
    if (inst.condition) return `${this.condition(inst.condition)} ${stmt}`;
    return stmt;
  }

  private condition(cond: Condition): string {
    const reg = this.circuit.cregs.find(
      (r) => r.size === cond.clbits.length && cond.clbits.every((c, i) => c === r.offset + i),
    );
    if (reg)
      return this.version === 3 ? `if (${reg.name} == ${cond.value})` : `if (${reg.name} == ${cond.value})`;
    if (this.version === 3 && cond.clbits.length === 1)
      return `if (${this.clbitNames[cond.clbits[0]]} == ${cond.value})`;
    throw new CircuitError(
      'qasm_condition',
      `a condition on clbits [${cond.clbits.join(', ')}] is not a whole register${this.version === 2 ? '' : ' or a single bit'}: OpenQASM cannot express it`,
    );
  }
}

function names(regs: readonly Register[], n: number, fallback: string): string[] {
  const out = new Array<string>(n);
  for (const r of regs) for (let i = 0; i < r.size; i++) out[r.offset + i] = `${r.name}[${i}]`;
  for (let i = 0; i < n; i++) if (out[i] === undefined) out[i] = `${fallback}[${i}]`;
  return out;
}

/** A parameter as QASM text; numbers keep every bit (shortest round-trip form). */
export function formatParam(p: Param): string {
  if (typeof p === 'number') return formatNumber(p);
  return formatExpr(p, 0);
}

function formatNumber(x: number): string {
  if (Number.isNaN(x)) throw new CircuitError('qasm_nan', 'a parameter is NaN');
  if (!Number.isFinite(x)) throw new CircuitError('qasm_infinite', 'a parameter is infinite');
  if (x === 0) return '0';
  const s = String(x);
  // `1e-7` is fine in QASM 3 but not in every QASM 2 reader: write the exponent with a mantissa that has a dot
  if (s.includes('e') && !s.includes('.')) return s.replace('e', '.0e');
  return x < 0 ? `(${s})` : s;
}

// precedence: 1 + -, 2 * /, 3 unary minus, 4 ^
function formatExpr(e: Expr, parent: number): string {
  switch (e.op) {
    case 'num':
      return formatNumber(e.value);
    case 'sym':
      return e.name;
    case 'neg':
      return wrap(`-${formatExpr(e.a, 3)}`, 3, parent);
    case 'call':
      return `${e.fn === 'asin' ? 'arcsin' : e.fn === 'acos' ? 'arccos' : e.fn === 'atan' ? 'arctan' : e.fn}(${formatExpr(e.a, 0)})`;
    case '+':
    case '-':
      return wrap(`${formatExpr(e.a, 1)} ${e.op} ${formatExpr(e.b, 2)}`, 1, parent);
    case '*':
    case '/':
      return wrap(`${formatExpr(e.a, 2)} ${e.op} ${formatExpr(e.b, 3)}`, 2, parent);
    case '^':
      return wrap(`${formatExpr(e.a, 5)}^${formatExpr(e.b, 4)}`, 4, parent);
  }
}

function wrap(s: string, prec: number, parent: number): string {
  return prec < parent ? `(${s})` : s;
}
