// Symbolic parameter expressions: numbers, named inputs and the QASM operators and functions.
import { QobsError } from '../errors.js';

export type UnaryFn = 'sin' | 'cos' | 'tan' | 'exp' | 'ln' | 'sqrt' | 'asin' | 'acos' | 'atan';
export type BinaryOp = '+' | '-' | '*' | '/' | '^';

/** A parameter expression tree. Numbers appear as `num`; `pi` is folded to a number when parsed. */
export type Expr =
  | { op: 'num'; value: number }
  | { op: 'sym'; name: string }
  | { op: 'neg'; a: Expr }
  | { op: BinaryOp; a: Expr; b: Expr }
  | { op: 'call'; fn: UnaryFn; a: Expr };

/** A gate parameter: a plain number, or an expression over named inputs (e.g. `theta[0]`). */
export type Param = number | Expr;

export class UnboundParameterError extends QobsError {
  readonly parameter: string;
  constructor(name: string) {
    super('parameter_unbound', `parameter '${name}' has no value`);
    this.parameter = name;
  }
}

const FNS: Record<UnaryFn, (x: number) => number> = {
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

/** Evaluates an expression; `env` gives values of symbols. Throws UnboundParameterError for a missing one. */
export function evalExpr(e: Param, env?: Readonly<Record<string, number>>): number {
  if (typeof e === 'number') return e;
  switch (e.op) {
    case 'num':
      return e.value;
    case 'sym': {
      const v = env?.[e.name];
      if (v === undefined) throw new UnboundParameterError(e.name);
      return v;
    }
    case 'neg':
      return -evalExpr(e.a, env);
    case '+':
      return evalExpr(e.a, env) + evalExpr(e.b, env);
    case '-':
      return evalExpr(e.a, env) - evalExpr(e.b, env);
    case '*':
      return evalExpr(e.a, env) * evalExpr(e.b, env);
    case '/':
      return evalExpr(e.a, env) / evalExpr(e.b, env);
    case '^':
      return evalExpr(e.a, env) ** evalExpr(e.b, env);
    case 'call':
      return FNS[e.fn](evalExpr(e.a, env));
  }
}

/** Names of the symbols an expression depends on. */
export function freeSymbols(e: Param, out: Set<string> = new Set()): Set<string> {
  if (typeof e === 'number') return out;
  switch (e.op) {
    case 'num':
      return out;
    case 'sym':
      out.add(e.name);
      return out;
    case 'neg':
    case 'call':
      return freeSymbols(e.a, out);
    default:
      freeSymbols(e.a, out);
      return freeSymbols(e.b, out);
  }
}

/** Replaces symbols by expressions (used to inline gate definitions); folds constants. */
export function substitute(e: Param, bindings: Readonly<Record<string, Param>>): Param {
  if (typeof e === 'number') return e;
  switch (e.op) {
    case 'num':
      return e.value;
    case 'sym':
      return bindings[e.name] ?? e;
    case 'neg': {
      const a = substitute(e.a, bindings);
      return typeof a === 'number' ? -a : { op: 'neg', a };
    }
    case 'call': {
      const a = substitute(e.a, bindings);
      return typeof a === 'number' ? FNS[e.fn](a) : { op: 'call', fn: e.fn, a };
    }
    default: {
      const a = substitute(e.a, bindings);
      const b = substitute(e.b, bindings);
      if (typeof a === 'number' && typeof b === 'number') return evalExpr({ op: e.op, a: num(a), b: num(b) });
      return { op: e.op, a: toExpr(a), b: toExpr(b) };
    }
  }
}

/** A symbol reference, for building parameterized circuits: `new Circuit(1).ry(sym('theta'), 0)`. */
export function sym(name: string): Expr {
  return { op: 'sym', name };
}

function num(value: number): Expr {
  return { op: 'num', value };
}

function toExpr(p: Param): Expr {
  return typeof p === 'number' ? num(p) : p;
}
