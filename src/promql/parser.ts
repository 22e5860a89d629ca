// Parses PromQL with the Prometheus project's lezer grammar and turns its syntax tree into qobs' AST, with
// Prometheus' type checks and error messages.
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import type { LabelMatcher, MatchOp } from '../store/index.js';
import {
  AGGREGATIONS,
  type AtModifier,
  type Expr,
  FUNCTIONS,
  type PosRange,
  typeOf,
  UNSUPPORTED_FUNCTIONS,
  VALUE_TYPE_NAMES,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast.js';
import { type PromqlError, parseError, unsupported } from './errors.js';
import { translateRegex } from './regex.js';

/** Parser options: which Prometheus version's function set applies. */
export interface ParseOptions {
  readonly mode?: 'prometheus3' | 'prometheus2';
}

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_UNITS_MS = [365 * 86400_000, 7 * 86400_000, 86400_000, 3600_000, 60_000, 1000, 1];

/** Parses a Prometheus duration (`5m`, `1h30m`, `250ms`) into milliseconds, or undefined. */
export function parseDurationMs(text: string): number | undefined {
  if (text === '') return undefined;
  const m = DURATION_RE.exec(text);
  if (!m) return undefined;
  let ms = 0;
  let any = false;
  for (let i = 0; i < 7; i++) {
    if (m[i + 1] !== undefined) {
      ms += Number(m[i + 1]) * DURATION_UNITS_MS[i];
      any = true;
    }
  }
  return any ? ms : undefined;
}

/** Parses a PromQL number literal (decimal, hex, Inf, NaN, underscores), or undefined. */
export function parseNumber(text: string): number | undefined {
  const t = text.toLowerCase();
  let sign = 1;
  let body = t;
  if (body.startsWith('+')) body = body.slice(1);
  else if (body.startsWith('-')) {
    sign = -1;
    body = body.slice(1);
  }
  if (body === 'inf' || body === '+inf') return sign * Number.POSITIVE_INFINITY;
  if (body === 'nan') return Number.NaN;
  if (/^0x[0-9a-f]+$/.test(body)) return sign * Number.parseInt(body.slice(2), 16);
  const plain = body.replace(/(\d)_(?=\d)/g, '$1');
  if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(plain)) return sign * Number(plain);
  const d = parseDurationMs(body);
  if (d !== undefined) return (sign * d) / 1000;
  return undefined;
}

/** Unquotes a PromQL string literal as Go's strconv.Unquote does. */
export function unquoteString(raw: string): string {
  const q = raw[0];
  if (q === '`') return raw.slice(1, -1);
  const body = raw.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    switch (n) {
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
      case '"':
      case "'":
        out += n;
        break;
      case 'x': {
        // Go strings are bytes: consecutive \x escapes form UTF-8; bytes that are not valid UTF-8 become lone
        // surrogates (U+DC80..U+DCFF), so that validity checks can still see them.
        const bytes: number[] = [Number.parseInt(body.slice(i + 1, i + 3), 16)];
        i += 2;
        while (body[i + 1] === '\\' && body[i + 2] === 'x') {
          bytes.push(Number.parseInt(body.slice(i + 3, i + 5), 16));
          i += 4;
        }
        try {
          out += new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
        } catch {
          for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : String.fromCharCode(0xdc00 + b);
        }
        break;
      }
      case 'u':
        out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 5), 16));
        i += 4;
        break;
      case 'U':
        out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 9), 16));
        i += 8;
        break;
      default:
        if (n !== undefined && n >= '0' && n <= '7') {
          out += String.fromCharCode(Number.parseInt(body.slice(i, i + 3), 8));
          i += 2;
        } else {
          throw new Error(`invalid escape \\${n}`);
        }
    }
  }
  return out;
}

class Builder {
  constructor(
    private readonly q: string,
    private readonly mode: 'prometheus3' | 'prometheus2',
    private readonly renamedHoltWinters = false,
  ) {}

  text(n: SyntaxNode): string {
    return this.q.slice(n.from, n.to);
  }

  pos(n: SyntaxNode): PosRange {
    return { start: n.from, end: n.to };
  }

  fail(n: SyntaxNode | PosRange, msg: string): never {
    const start = 'from' in n ? n.from : n.start;
    const end = 'from' in n ? n.to : n.end;
    throw parseError(this.q, start, end, msg);
  }

  children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  }

  /** The duration of a DurationExpr or OffsetDurationExpr node, in ms (plain literals only). */
  duration(n: SyntaxNode, allowNegative: boolean): number {
    const kids = this.children(n);
    if (kids.length === 1 && kids[0].name === 'NumberDurationLiteralInDurationContext') {
      const t = this.text(kids[0]);
      const d = parseDurationMs(t);
      if (d !== undefined) return d;
      const num = parseNumber(t);
      if (num !== undefined && Number.isFinite(num)) return Math.round(num * 1000);
      this.fail(kids[0], `unexpected duration "${t}"`);
    }
    if (allowNegative && kids.length === 2 && kids[0].name === 'UnaryOp') {
      const d = this.duration(kids[1], true);
      return this.text(kids[0]) === '-' ? -d : d;
    }
    throw unsupported(`duration expression "${this.text(n)}"`);
  }

  expr(n: SyntaxNode): Expr {
    switch (n.name) {
      case 'PromQL':
        return this.expr(this.only(n));
      case 'NumberDurationLiteral': {
        const t = this.text(n).replace(/\s+/g, '');
        const v = parseNumber(t);
        if (v === undefined) this.fail(n, `bad number or duration syntax: "${t}"`);
        return { type: 'number', value: v, pos: this.pos(n) };
      }
      case 'StringLiteral':
        return { type: 'string', value: this.unquote(n), pos: this.pos(n) };
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'MatrixSelector':
        return this.matrixSelector(n);
      case 'SubqueryExpr':
        return this.subquery(n);
      case 'OffsetExpr':
        return this.offset(n);
      case 'StepInvariantExpr':
        return this.at(n);
      case 'ParenExpr': {
        const inner = this.expr(this.only(n));
        return { type: 'paren', expr: inner, pos: this.pos(n) };
      }
      case 'UnaryExpr':
        return this.unary(n);
      case 'BinaryExpr':
        return this.binary(n);
      case 'FunctionCall':
        return this.call(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'AnchoredExpr':
        throw unsupported('anchored modifier');
      case 'SmoothedExpr':
        throw unsupported('smoothed modifier');
      default:
        this.fail(n, `unexpected ${n.name}`);
    }
  }

  only(n: SyntaxNode): SyntaxNode {
    const kids = this.children(n).filter((c) => c.type.isTop || !/^[()]$/.test(c.name));
    const e = kids.find((c) => c.type.is('Expr'));
    if (!e) this.fail(n, 'unexpected end of input');
    return e;
  }

  unquote(n: SyntaxNode): string {
    const raw = this.text(n);
    const q = raw[0];
    if (raw.length < 2 || raw[raw.length - 1] !== q) this.fail(n, 'unterminated quoted string');
    try {
      return unquoteString(raw);
    } catch (e) {
      this.fail(n, (e as Error).message);
    }
  }

  vectorSelector(n: SyntaxNode): VectorSelector {
    let name: string | undefined;
    const matchers: LabelMatcher[] = [];
    for (const c of this.children(n)) {
      if (c.name === 'Identifier') name = this.text(c);
      else if (c.name === 'LabelMatchers') {
        for (const m of this.children(c)) {
          if (m.name === 'QuotedLabelName') {
            const metric = this.unquote(m.firstChild ?? m);
            if (name !== undefined)
              this.fail(m, `metric name must not be set twice: "${name}" or "${metric}"`);
            name = metric;
            continue;
          }
          if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
          const [ln, op, val] = this.children(m);
          if (!ln || !op || !val) this.fail(m, 'unexpected end of label matcher');
          const label = ln.name === 'QuotedLabelName' ? this.unquote(ln.firstChild ?? ln) : this.text(ln);
          const value = this.unquote(val);
          const mop = this.text(op) as MatchOp;
          if (mop === '=~' || mop === '!~') {
            try {
              translateRegex(value, true);
            } catch {
              this.fail(m, `invalid regular expression in label matcher: "${value}"`);
            }
          }
          matchers.push({ name: label, op: mop, value });
        }
      }
    }
    if (name !== undefined) {
      if (matchers.some((m) => m.name === '__name__')) {
        this.fail(
          n,
          `metric name must not be set twice: "${name}" or "${matchers.find((m) => m.name === '__name__')?.value}"`,
        );
      }
      matchers.unshift({ name: '__name__', op: '=', value: name });
    }
    // Prometheus refuses selectors whose every matcher also matches the empty string.
    const nonEmpty = matchers.some((m) => {
      if (m.op === '=') return m.value !== '';
      if (m.op === '!=') return m.value === '';
      const matchesEmpty = new RegExp(`^(?:${translateRegex(m.value, true)})$`, 's').test('');
      return m.op === '=~' ? !matchesEmpty : matchesEmpty;
    });
    if (!nonEmpty) this.fail(n, 'vector selector must contain at least one non-empty matcher');
    return { type: 'vectorSelector', name, matchers, offsetMs: 0, pos: this.pos(n) };
  }

  matrixSelector(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const inner = this.expr(kids[0]);
    const durNode = kids.find((c) => c.name === 'DurationExpr');
    if (!durNode) this.fail(n, 'unexpected end of input in range selector');
    if (inner.type !== 'vectorSelector') {
      if (inner.type === 'paren' || inner.type === 'matrixSelector' || inner.type === 'subquery') {
        this.fail(n, 'ranges only allowed for vector selectors');
      }
      this.fail(n, 'ranges only allowed for vector selectors');
    }
    if (inner.offsetMs !== 0 || inner.at) this.fail(n, 'no offset or @ modifiers allowed before range');
    const rangeMs = this.duration(durNode, false);
    if (rangeMs <= 0) this.fail(durNode, `duration must be greater than 0`);
    return { type: 'matrixSelector', selector: inner, rangeMs, pos: this.pos(n) };
  }

  subquery(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const inner = this.expr(kids[0]);
    const durs = kids.filter((c) => c.name === 'DurationExpr');
    const rangeMs = this.duration(durs[0], false);
    const stepMs = durs[1] ? this.duration(durs[1], false) : 0;
    if (rangeMs <= 0) this.fail(durs[0], 'duration must be greater than 0');
    if (durs[1] && stepMs <= 0) this.fail(durs[1], 'duration must be greater than 0');
    const t = typeOf(inner);
    if (t !== 'vector')
      this.fail(n, `subquery is only allowed on instant vector, got ${VALUE_TYPE_NAMES[t]} instead`);
    return { type: 'subquery', expr: inner, rangeMs, stepMs, offsetMs: 0, pos: this.pos(n) };
  }

  /** The selector or subquery that an `offset` or `@` modifies. */
  modifiable(e: Expr): VectorSelector | Extract<Expr, { type: 'subquery' }> | undefined {
    if (e.type === 'vectorSelector' || e.type === 'subquery') return e;
    if (e.type === 'matrixSelector') return e.selector;
    // lezer's grammar lets a postfix modifier wrap a unary or binary expression; Prometheus binds it to the
    // operand right before it.
    if (e.type === 'unary') return this.modifiable(e.expr);
    if (e.type === 'binary') return this.modifiable(e.rhs);
    return undefined;
  }

  offset(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const inner = this.expr(kids[0]);
    const durNode = kids.find((c) => c.name === 'OffsetDurationExpr');
    if (!durNode) this.fail(n, 'unexpected end of input in offset');
    const target = this.modifiable(inner);
    if (!target)
      this.fail(
        n,
        'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
      );
    if (target.offsetMs !== 0) this.fail(n, 'offset may not be set multiple times');
    target.offsetMs = this.duration(durNode, true);
    return inner;
  }

  at(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const inner = this.expr(kids[0]);
    const target = this.modifiable(inner);
    if (!target)
      this.fail(
        n,
        '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
      );
    if (target.at) this.fail(n, '@ <timestamp> may not be set multiple times');
    const num = kids.find((c) => c.name === 'NumberDurationLiteral');
    const pre = kids.find((c) => c.name === 'AtModifierPreprocessors');
    let at: AtModifier;
    if (num) {
      const v = parseNumber(this.text(num));
      if (v === undefined || !Number.isFinite(v))
        this.fail(num, `timestamp out of bounds for @ modifier: ${this.text(num)}`);
      at = { kind: 'time', ms: Math.round(v * 1000) };
    } else if (pre) {
      at = { kind: this.text(pre) === 'start' ? 'start' : 'end' };
    } else {
      this.fail(n, 'unexpected end of input in @ modifier');
    }
    target.at = at;
    return inner;
  }

  unary(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const op = this.text(kids[0]) as '-' | '+';
    const inner = this.expr(kids[1]);
    const t = typeOf(inner);
    if (t !== 'scalar' && t !== 'vector')
      this.fail(
        n,
        `unary expression only allowed on expressions of type scalar or instant vector, got "${VALUE_TYPE_NAMES[t]}"`,
      );
    if (inner.type === 'number')
      return { type: 'number', value: op === '-' ? -inner.value : inner.value, pos: this.pos(n) };
    return { type: 'unary', op, expr: inner, pos: this.pos(n) };
  }

  labelList(n: SyntaxNode): string[] {
    return this.children(n)
      .filter((c) => c.name === 'LabelName' || c.name === 'QuotedLabelName')
      .map((c) => (c.name === 'QuotedLabelName' ? this.unquote(c.firstChild ?? c) : this.text(c)));
  }

  binary(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const exprs = kids.filter((c) => c.type.is('Expr'));
    if (exprs.length < 2) this.fail({ start: n.to, end: n.to }, 'unexpected end of input');
    const lhs = this.expr(exprs[0]);
    const rhs = this.expr(exprs[1]);
    const opNode = kids.find(
      (c) =>
        c !== exprs[0] &&
        c !== exprs[1] &&
        !['BoolModifier', 'MatchingModifierClause', 'FillModifier'].includes(c.name),
    );
    if (!opNode) this.fail(n, 'missing binary operator');
    const op = this.text(opNode).toLowerCase();
    if (op === '</' || op === '>/') throw unsupported(`trim operator "${op}"`);
    const bool = kids.some((c) => c.name === 'BoolModifier');
    if (kids.some((c) => c.name === 'FillModifier')) throw unsupported('fill modifier');
    const mm = kids.find((c) => c.name === 'MatchingModifierClause');
    const isComparison = ['==', '!=', '>', '<', '>=', '<='].includes(op);
    const isSet = op === 'and' || op === 'or' || op === 'unless';
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    for (const [side, t] of [
      ['left', lt],
      ['right', rt],
    ] as const) {
      if (t !== 'scalar' && t !== 'vector') {
        this.fail(n, `binary expression must contain only scalar and instant vector types`);
      }
      void side;
    }
    if (bool && !isComparison) this.fail(n, 'bool modifier can only be used on comparison operators');
    if (isComparison && lt === 'scalar' && rt === 'scalar' && !bool)
      this.fail(n, 'comparisons between scalars must use BOOL modifier');
    if (isSet && (lt === 'scalar' || rt === 'scalar'))
      this.fail(n, `set operator "${op}" not allowed in binary scalar expression`);
    let matching: VectorMatching | undefined;
    if (mm) {
      if (lt !== 'vector' || rt !== 'vector')
        this.fail(n, 'vector matching only allowed between instant vectors');
      const mk = this.children(mm);
      const on = mk[0].name === 'On';
      const groups = mk.filter((c) => c.name === 'GroupingLabels');
      const labels = this.labelList(groups[0]);
      const gl = mk.find((c) => c.name === 'GroupLeft' || c.name === 'GroupRight');
      let card: VectorMatching['card'] = isSet ? 'many-to-many' : 'one-to-one';
      let include: string[] = [];
      if (gl) {
        if (isSet) this.fail(n, `no grouping allowed for "${op}" operation`);
        card = gl.name === 'GroupLeft' ? 'many-to-one' : 'one-to-many';
        include = groups[1] ? this.labelList(groups[1]) : [];
        if (on) {
          for (const l of labels) {
            if (include.includes(l))
              this.fail(n, `label "${l}" must not occur in ON and GROUP clause at once`);
          }
        }
      }
      matching = { card, on, labels, include };
    } else if (lt === 'vector' && rt === 'vector') {
      matching = { card: isSet ? 'many-to-many' : 'one-to-one', on: false, labels: [], include: [] };
    }
    return { type: 'binary', op, lhs, rhs, bool, matching, pos: this.pos(n) };
  }

  call(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const name = this.text(kids[0]);
    let func = name;
    if (this.renamedHoltWinters && name === 'double_exponential_smoothing') func = 'holt_winters';
    else if (this.mode === 'prometheus2' && name === 'double_exponential_smoothing')
      this.fail(kids[0], `unknown function with name "${name}"`);
    if (this.mode === 'prometheus2' && PROMETHEUS3_FUNCTIONS.has(name))
      this.fail(kids[0], `unknown function with name "${name}"`);
    if (this.mode === 'prometheus3' && name === 'holt_winters')
      this.fail(kids[0], `unknown function with name "${name}"`);
    if (UNSUPPORTED_FUNCTIONS.has(name)) throw unsupported(`function ${name}()`);
    const sig = FUNCTIONS[func];
    if (!sig) this.fail(kids[0], `unknown function with name "${name}"`);
    const body = kids.find((c) => c.name === 'FunctionCallBody');
    const args = body
      ? this.children(body)
          .filter((c) => c.type.is('Expr'))
          .map((c) => this.expr(c))
      : [];
    const nargs = sig.args.length;
    if (sig.variadic === 0 && args.length !== nargs) {
      this.fail(n, `expected ${nargs} argument(s) in call to "${name}", got ${args.length}`);
    }
    if (sig.variadic > 0) {
      const min = nargs - sig.variadic;
      if (args.length < min)
        this.fail(n, `expected at least ${min} argument(s) in call to "${name}", got ${args.length}`);
      if (args.length > nargs)
        this.fail(n, `expected at most ${nargs} argument(s) in call to "${name}", got ${args.length}`);
    }
    if (sig.variadic < 0 && args.length < nargs - 1) {
      this.fail(n, `expected at least ${nargs - 1} argument(s) in call to "${name}", got ${args.length}`);
    }
    args.forEach((a, i) => {
      const want: ValueType = sig.args[Math.min(i, nargs - 1)];
      this.expectType(a, want, `call to function "${name}"`);
    });
    return { type: 'call', func, args, pos: this.pos(n) };
  }

  expectType(e: Expr, want: ValueType, context: string): void {
    const got = typeOf(e);
    if (got !== want) {
      this.fail(e.pos, `expected type ${VALUE_TYPE_NAMES[want]} in ${context}, got ${VALUE_TYPE_NAMES[got]}`);
    }
  }

  aggregate(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const op = this.text(kids[0]).toLowerCase();
    if (!AGGREGATIONS.has(op)) this.fail(kids[0], `unknown aggregation "${op}"`);
    if (op === 'limitk' || op === 'limit_ratio') throw unsupported(`aggregation ${op}`);
    const mod = kids.find((c) => c.name === 'AggregateModifier');
    const body = kids.find((c) => c.name === 'FunctionCallBody');
    const args = body
      ? this.children(body)
          .filter((c) => c.type.is('Expr'))
          .map((c) => this.expr(c))
      : [];
    const hasParam = op === 'topk' || op === 'bottomk' || op === 'quantile' || op === 'count_values';
    const want = hasParam ? 2 : 1;
    if (args.length !== want)
      this.fail(
        n,
        `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`,
      );
    const param = hasParam ? args[0] : undefined;
    const expr = args[want - 1];
    this.expectType(expr, 'vector', `aggregation expression`);
    if (param) this.expectType(param, op === 'count_values' ? 'string' : 'scalar', `aggregation parameter`);
    let grouping: string[] = [];
    let without = false;
    if (mod) {
      const mk = this.children(mod);
      without = mk[0].name === 'Without';
      const gl = mk.find((c) => c.name === 'GroupingLabels');
      grouping = gl ? this.labelList(gl) : [];
    }
    return { type: 'aggregate', op, param, expr, grouping, without, pos: this.pos(n) };
  }
}

function describeToken(q: string, at: number): string {
  if (at >= q.length) return 'end of input';
  const rest = q.slice(at);
  const ident = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rest);
  if (ident) return `identifier "${ident[0]}"`;
  const num = /^[0-9.]+[a-zA-Z0-9_.]*/.exec(rest);
  if (num) return `number "${num[0]}"`;
  if (rest[0] === '"' || rest[0] === "'" || rest[0] === '`') return 'string';
  const ch = rest[0];
  const names: Record<string, string> = {
    '(': 'left parenthesis "("',
    ')': 'right parenthesis ")"',
    '{': 'left brace "{"',
    '}': 'right brace "}"',
    '[': 'left bracket "["',
    ']': 'right bracket "]"',
    ',': 'comma ","',
    '=': '"="',
  };
  return names[ch] ?? `character "${ch}"`;
}

/** Functions that Prometheus 2.42 does not know (unknown in the Prometheus 2 mode). */
const PROMETHEUS3_FUNCTIONS = new Set([
  'first_over_time',
  'mad_over_time',
  'sort_by_label',
  'sort_by_label_desc',
  'ts_of_first_over_time',
  'ts_of_last_over_time',
  'ts_of_max_over_time',
  'ts_of_min_over_time',
]);

/** Functions of recent Prometheus versions that lezer-promql does not parse yet: reported as unsupported. */
const PROMETHEUS_ONLY_FUNCTIONS = new Set(['min_of', 'max_of', 'step', 'range']);

/** The first syntax error of a lezer tree as a PromqlError, or undefined. */
function syntaxError(q: string, top: SyntaxNode): PromqlError | undefined {
  let err: SyntaxNode | undefined;
  const cursor = top.cursor();
  do {
    if (cursor.type.isError) {
      err = cursor.node;
      break;
    }
  } while (cursor.next());
  if (!err) return undefined;
  // The lezer error node may be empty (a missing token) or span the unexpected text.
  let at = err.from;
  while (at < q.length && /\s/.test(q[at])) at++;
  const prev = q.slice(0, err.from);
  const fn = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$/.exec(prev);
  const here = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*\(/.exec(q.slice(at));
  if (here && PROMETHEUS_ONLY_FUNCTIONS.has(here[1].toLowerCase()))
    throw unsupported(`function ${here[1]}()`);
  if (q[at] === '(' && fn && PROMETHEUS_ONLY_FUNCTIONS.has(fn[1].toLowerCase()))
    throw unsupported(`function ${fn[1]}()`);
  if (q[at] === '(' && fn && !FUNCTIONS[fn[1]] && !AGGREGATIONS.has(fn[1])) {
    return parseError(q, fn.index, fn.index + fn[1].length, `unknown function with name "${fn[1]}"`);
  }
  const unclosed = /["'`]/.test(q[at] ?? '') && q.indexOf(q[at], at + 1) < 0;
  if (unclosed) return parseError(q, at, q.length, 'unterminated quoted string');
  return parseError(q, at, Math.max(at, err.to), `unexpected ${describeToken(q, at)}`);
}

/**
 * Parses a PromQL expression into qobs' AST; throws PromqlError (errorType 'bad_data', Prometheus' message
 * format with position) on a syntax or type error.
 * @example parsePromql('sum by (job) (rate(http_requests_total[5m]))')
 */
export function parsePromql(query: string, options: ParseOptions = {}): Expr {
  const mode = options.mode ?? 'prometheus3';
  if (query.trim() === '') throw parseError(query, 0, 0, 'no expression found in input');
  // lezer-promql follows Prometheus 3 and no longer knows holt_winters; read it as its renamed successor's
  // syntax (same signature), and let the builder restore the name in Prometheus 2 mode.
  const hw = /\bholt_winters(\s*\()/g;
  let source = query;
  const renamed = mode === 'prometheus2' && hw.test(query);
  if (renamed) source = query.replace(hw, 'double_exponential_smoothing$1');
  source = normalizeNumbers(source);
  const tree = parser.parse(source);
  const top = tree.topNode;
  const err = syntaxError(source, top);
  if (err) {
    if (renamed) throw syntaxError(query, parser.parse(query).topNode) ?? err;
    throw err;
  }
  return new Builder(source, mode, renamed).expr(top);
}

/**
 * lezer-promql does not read a number with a trailing dot (`1.`), which Prometheus accepts: append a zero,
 * outside string literals.
 */
function normalizeNumbers(q: string): string {
  if (!/\d\./.test(q)) return q;
  let out = '';
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < q.length && q[j] !== c) j += q[j] === '\\' && c !== '`' ? 2 : 1;
      out += q.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '#') {
      const nl = q.indexOf('\n', i);
      const end = nl < 0 ? q.length : nl;
      out += q.slice(i, end);
      i = end;
      continue;
    }
    const m = /^\d+\.(?!\d)/.exec(q.slice(i, i + 40));
    if (m && !/[a-zA-Z0-9_:.]/.test(q[i - 1] ?? '')) {
      out += `${m[0]}0`;
      i += m[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}
