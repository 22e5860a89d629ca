// Typed errors of the OpenQASM parsers: every one names the file, line and column it points at.
import { QobsError } from '../../errors.js';

/** Where in a source an error points (1-based line and column). */
export interface SourcePosition {
  readonly filename: string;
  readonly line: number;
  readonly column: number;
}

/** Base class of every error the QASM parsers raise; `message` reads `FILE:LINE:COLUMN: detail`. */
export class QasmError extends QobsError {
  readonly filename: string;
  readonly line: number;
  readonly column: number;
  /** The message without the position prefix. */
  readonly detail: string;
  constructor(code: string, pos: SourcePosition, detail: string, options?: { cause?: unknown }) {
    super(code, `${pos.filename}:${pos.line}:${pos.column}: ${detail}`, options);
    this.filename = pos.filename;
    this.line = pos.line;
    this.column = pos.column;
    this.detail = detail;
  }
}

/** The text is not OpenQASM: an unexpected character or token. */
export class QasmSyntaxError extends QasmError {
  constructor(pos: SourcePosition, detail: string) {
    super('qasm_syntax', pos, detail);
  }
}

/** Well-formed text that means nothing valid: undeclared register, wrong arity, index out of range... */
export class QasmSemanticError extends QasmError {
  constructor(pos: SourcePosition, detail: string, options?: { cause?: unknown }) {
    super('qasm_semantic', pos, detail, options);
  }
}

/** Valid OpenQASM 3 outside the subset qobs supports; `construct` names it. Never a wrong circuit instead. */
export class QasmUnsupportedError extends QasmError {
  readonly construct: string;
  constructor(pos: SourcePosition, construct: string, detail?: string) {
    super('qasm_unsupported', pos, detail ?? `${construct} is not supported by qobs' OpenQASM 3 subset`);
    this.construct = construct;
  }
}
