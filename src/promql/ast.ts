// The PromQL syntax tree that qobs evaluates, and the value types of its nodes.
import type { LabelMatcher } from '../store/index.js';

/** PromQL value types, named as Prometheus names them in messages. */
export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** Display names of value types, as in Prometheus' error messages. */
export const VALUE_TYPE_NAMES: Record<ValueType, string> = {
  scalar: 'scalar',
  vector: 'instant vector',
  matrix: 'range vector',
  string: 'string',
};

/** Where a node sits in the query text (0-based offsets). */
export interface PosRange {
  readonly start: number;
  readonly end: number;
}

/** `@` modifier: a fixed time in milliseconds, or the query's start or end. */
export type AtModifier = { readonly kind: 'time'; readonly ms: number } | { readonly kind: 'start' | 'end' };

export interface NumberLiteral {
  readonly type: 'number';
  readonly value: number;
  readonly pos: PosRange;
}

export interface StringLiteral {
  readonly type: 'string';
  readonly value: string;
  readonly pos: PosRange;
}

export interface VectorSelector {
  readonly type: 'vectorSelector';
  readonly name?: string;
  readonly matchers: readonly LabelMatcher[];
  offsetMs: number;
  at?: AtModifier;
  readonly pos: PosRange;
}

export interface MatrixSelector {
  readonly type: 'matrixSelector';
  readonly selector: VectorSelector;
  readonly rangeMs: number;
  readonly pos: PosRange;
}

export interface Subquery {
  readonly type: 'subquery';
  readonly expr: Expr;
  readonly rangeMs: number;
  /** 0 when omitted: the engine's default resolution applies. */
  readonly stepMs: number;
  offsetMs: number;
  at?: AtModifier;
  readonly pos: PosRange;
}

export interface Call {
  readonly type: 'call';
  readonly func: string;
  readonly args: readonly Expr[];
  readonly pos: PosRange;
}

export interface Aggregate {
  readonly type: 'aggregate';
  readonly op: string;
  readonly param?: Expr;
  readonly expr: Expr;
  readonly grouping: readonly string[];
  readonly without: boolean;
  readonly pos: PosRange;
}

/** Vector matching of a binary operation. */
export interface VectorMatching {
  readonly card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  readonly on: boolean;
  readonly labels: readonly string[];
  readonly include: readonly string[];
}

export interface Binary {
  readonly type: 'binary';
  readonly op: string;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly bool: boolean;
  readonly matching?: VectorMatching;
  readonly pos: PosRange;
}

export interface Unary {
  readonly type: 'unary';
  readonly op: '-' | '+';
  readonly expr: Expr;
  readonly pos: PosRange;
}

export interface Paren {
  readonly type: 'paren';
  readonly expr: Expr;
  readonly pos: PosRange;
}

/** A PromQL expression node. */
export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | Subquery
  | Call
  | Aggregate
  | Binary
  | Unary
  | Paren;

/** Signature of a PromQL function: argument types (the last repeats when `variadic` > 0), return type. */
export interface FunctionSignature {
  readonly args: readonly ValueType[];
  /** -1: the last argument may repeat without bound; n > 0: up to n optional trailing arguments; 0: fixed. */
  readonly variadic: number;
  readonly returns: ValueType;
}

const v = (args: ValueType[], variadic = 0, returns: ValueType = 'vector'): FunctionSignature => ({
  args,
  variadic,
  returns,
});

/** Functions the engine evaluates. */
export const FUNCTIONS: Record<string, FunctionSignature> = {
  abs: v(['vector']),
  absent: v(['vector']),
  absent_over_time: v(['matrix']),
  acos: v(['vector']),
  acosh: v(['vector']),
  asin: v(['vector']),
  asinh: v(['vector']),
  atan: v(['vector']),
  atanh: v(['vector']),
  avg_over_time: v(['matrix']),
  ceil: v(['vector']),
  changes: v(['matrix']),
  clamp: v(['vector', 'scalar', 'scalar']),
  clamp_max: v(['vector', 'scalar']),
  clamp_min: v(['vector', 'scalar']),
  cos: v(['vector']),
  cosh: v(['vector']),
  count_over_time: v(['matrix']),
  days_in_month: v(['vector'], 1),
  day_of_month: v(['vector'], 1),
  day_of_week: v(['vector'], 1),
  day_of_year: v(['vector'], 1),
  deg: v(['vector']),
  delta: v(['matrix']),
  deriv: v(['matrix']),
  double_exponential_smoothing: v(['matrix', 'scalar', 'scalar']),
  exp: v(['vector']),
  first_over_time: v(['matrix']),
  floor: v(['vector']),
  histogram_quantile: v(['scalar', 'vector']),
  holt_winters: v(['matrix', 'scalar', 'scalar']),
  hour: v(['vector'], 1),
  idelta: v(['matrix']),
  increase: v(['matrix']),
  irate: v(['matrix']),
  label_join: v(['vector', 'string', 'string', 'string'], -1),
  label_replace: v(['vector', 'string', 'string', 'string', 'string']),
  last_over_time: v(['matrix']),
  ln: v(['vector']),
  log10: v(['vector']),
  log2: v(['vector']),
  mad_over_time: v(['matrix']),
  max_over_time: v(['matrix']),
  min_over_time: v(['matrix']),
  minute: v(['vector'], 1),
  month: v(['vector'], 1),
  pi: v([], 0, 'scalar'),
  predict_linear: v(['matrix', 'scalar']),
  present_over_time: v(['matrix']),
  quantile_over_time: v(['scalar', 'matrix']),
  rad: v(['vector']),
  rate: v(['matrix']),
  resets: v(['matrix']),
  round: v(['vector', 'scalar'], 1),
  scalar: v(['vector'], 0, 'scalar'),
  sgn: v(['vector']),
  sin: v(['vector']),
  sinh: v(['vector']),
  sort: v(['vector']),
  sort_by_label: v(['vector', 'string'], -1),
  sort_by_label_desc: v(['vector', 'string'], -1),
  sort_desc: v(['vector']),
  sqrt: v(['vector']),
  stddev_over_time: v(['matrix']),
  stdvar_over_time: v(['matrix']),
  sum_over_time: v(['matrix']),
  tan: v(['vector']),
  tanh: v(['vector']),
  time: v([], 0, 'scalar'),
  timestamp: v(['vector']),
  ts_of_first_over_time: v(['matrix']),
  ts_of_last_over_time: v(['matrix']),
  ts_of_max_over_time: v(['matrix']),
  ts_of_min_over_time: v(['matrix']),
  vector: v(['scalar']),
  year: v(['vector'], 1),
};

/** Functions Prometheus knows that qobs does not evaluate (named in the unsupported error). */
export const UNSUPPORTED_FUNCTIONS = new Set([
  'histogram_count',
  'histogram_sum',
  'histogram_avg',
  'histogram_fraction',
  'histogram_stddev',
  'histogram_stdvar',
  'histogram_quantiles',
  'info',
  'start',
  'end',
  'range',
  'step',
  'start_timestamp',
]);

/** Aggregation operators the engine evaluates. */
export const AGGREGATIONS = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
  'limitk',
  'limit_ratio',
]);

/** The value type an expression evaluates to. */
export function typeOf(e: Expr): ValueType {
  switch (e.type) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vectorSelector':
      return 'vector';
    case 'matrixSelector':
    case 'subquery':
      return 'matrix';
    case 'call':
      return FUNCTIONS[e.func]?.returns ?? 'vector';
    case 'aggregate':
      return 'vector';
    case 'binary':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'unary':
    case 'paren':
      return typeOf(e.expr);
  }
}
