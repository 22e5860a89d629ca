// The PromQL evaluator: evaluates qobs' AST over a SeriesSource at every step of an instant or range query,
// with Prometheus' semantics (version 3 by default, version 2 on request).
import type { LabelMatcher, Labels, SeriesSource } from '../store/index.js';
import { anchoredRegExp, isStaleAt } from '../store/index.js';
import type {
  Aggregate,
  AtModifier,
  Binary,
  Call,
  Expr,
  MatrixSelector,
  Subquery,
  VectorSelector,
} from './ast.js';
import { typeOf } from './ast.js';
import { PromqlError } from './errors.js';
import { compareLabels, formatValue } from './format.js';
import {
  avgOverTime,
  type Bucket,
  bucketQuantile,
  doubleExponentialSmoothing,
  extrapolatedRate,
  goPow,
  instantValue,
  isInf,
  kahanMean,
  kahanSumInc,
  linearRegression,
  type Mode,
  quantile,
  sumOverTime,
  varianceOverTime,
} from './functions.js';
import { parsePromql } from './parser.js';
import { translateMatchers, translateRegex } from './regex.js';

/** One sample of an instant vector. `ts` is the underlying sample's own timestamp (for timestamp()). */
interface Sample {
  labels: Labels;
  value: number;
  ts: number;
}

type Vector = Sample[];

/** Points of one series over a time range (used for matrix selectors and subqueries). */
interface RangeSeries {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
}

/** What an expression evaluates to across the steps of a query. */
type Value =
  | { kind: 'scalar'; values: Float64Array }
  | { kind: 'vector'; steps: Vector[] }
  | { kind: 'string'; value: string };

/** Engine options. */
export interface EngineOptions {
  /** 'prometheus3' (default): left-open range selectors and lookback; 'prometheus2': closed ones. */
  readonly mode?: Mode;
  /** Lookback of instant selectors; Prometheus' default 5 minutes. */
  readonly lookbackDeltaMs?: number;
  /** Most samples a query may hold in memory (loaded plus produced). */
  readonly maxSamples?: number;
  /** Most steps a range query may have (Prometheus' API refuses more than 11,000). */
  readonly maxSteps?: number;
  /** Wall-clock limit of one query. */
  readonly timeoutMs?: number;
  /** Resolution of subqueries without a step; Prometheus' default is its global evaluation interval, 1 minute. */
  readonly defaultSubqueryStepMs?: number;
}

/** A result sample pair as Prometheus' JSON API prints it: [unix seconds, "value"]. */
export type PromPoint = [number, string];

/** The `data` object of Prometheus' query API. */
export type QueryData =
  | { resultType: 'vector'; result: Array<{ metric: Record<string, string>; value: PromPoint }> }
  | { resultType: 'matrix'; result: Array<{ metric: Record<string, string>; values: PromPoint[] }> }
  | { resultType: 'scalar'; result: PromPoint }
  | { resultType: 'string'; result: PromPoint };

/** A PromQL engine bound to a SeriesSource. */
export interface Engine {
  /** Evaluates at one instant (ms since epoch); returns Prometheus' `data` object. */
  instantQuery(expr: string, timeMs: number): QueryData;
  /** Evaluates at each step from startMs to endMs; returns a matrix `data` object. */
  rangeQuery(expr: string, startMs: number, endMs: number, stepMs: number): QueryData;
  readonly mode: Mode;
}

const labelKeyCache = new WeakMap<object, string>();

/** Canonical key of a whole label set. */
function keyOf(labels: Labels): string {
  let k = labelKeyCache.get(labels);
  if (k === undefined) {
    k = '';
    for (const n of Object.keys(labels).sort()) k += `${n}\u0000${labels[n]}\u0001`;
    labelKeyCache.set(labels, k);
  }
  return k;
}

const withoutNameCache = {
  prometheus2: new WeakMap<object, Labels>(),
  prometheus3: new WeakMap<object, Labels>(),
};

/**
 * The label set without `__name__` (and, in Prometheus 3 mode, without the `__type__` and `__unit__` labels
 * that go with the name); the same object for the same input, so later keying stays cheap.
 */
function withoutName(labels: Labels, mode: Mode): Labels {
  if (!('__name__' in labels) && (mode === 'prometheus2' || !('__type__' in labels || '__unit__' in labels)))
    return labels;
  const cache = withoutNameCache[mode];
  let out = cache.get(labels);
  if (!out) {
    const { __name__: _n, ...rest } = labels as Record<string, string>;
    if (mode === 'prometheus3') {
      delete rest.__type__;
      delete rest.__unit__;
    }
    out = rest;
    cache.set(labels, out);
  }
  return out;
}

/** Key of the labels listed (on / by). */
function keyOn(labels: Labels, names: readonly string[]): string {
  let k = '';
  for (const n of names) k += `${n}\u0000${labels[n] ?? ''}\u0001`;
  return k;
}

/** Key of all labels except the listed ones and the metric name (ignoring / without). */
function keyWithout(labels: Labels, names: ReadonlySet<string>, typeAndUnit = false): string {
  let k = '';
  for (const n of Object.keys(labels).sort()) {
    if (n === '__name__' || names.has(n)) continue;
    if (typeAndUnit && (n === '__type__' || n === '__unit__')) continue;
    k += `${n}\u0000${labels[n]}\u0001`;
  }
  return k;
}

function lowerBound(arr: Float64Array, t: number, lo = 0, hi = arr.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(arr: Float64Array, t: number, lo = 0, hi = arr.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Evaluation context: the steps of the (sub)query being evaluated. */
interface Ctx {
  readonly startMs: number;
  readonly endMs: number;
  readonly intervalMs: number;
  readonly n: number;
  /** The top-level query's start and end, for `@ start()` and `@ end()`. */
  readonly queryStartMs: number;
  readonly queryEndMs: number;
}

function stepTime(ctx: Ctx, i: number): number {
  return ctx.startMs + i * ctx.intervalMs;
}

const COMPARISON = new Set(['==', '!=', '>', '<', '>=', '<=']);

/** Arithmetic or comparison on two floats: [value, keep]. */
function binop(op: string, l: number, r: number): [number, boolean] {
  switch (op) {
    case '+':
      return [l + r, true];
    case '-':
      return [l - r, true];
    case '*':
      return [l * r, true];
    case '/':
      return [l / r, true];
    case '%':
      return [l % r, true];
    case '^':
      return [goPow(l, r), true];
    case 'atan2':
      return [Math.atan2(l, r), true];
    case '==':
      return [l, l === r];
    case '!=':
      return [l, l !== r];
    case '>':
      return [l, l > r];
    case '<':
      return [l, l < r];
    case '>=':
      return [l, l >= r];
    case '<=':
      return [l, l <= r];
  }
  throw new PromqlError('execution', `operator "${op}" not allowed for scalar operations`);
}

class Evaluator {
  private samples = 0;
  private readonly deadline: number;
  private checks = 0;

  constructor(
    private readonly source: SeriesSource,
    readonly mode: Mode,
    private readonly lookbackMs: number,
    private readonly maxSamples: number,
    timeoutMs: number,
    private readonly subqueryStepMs: number,
  ) {
    this.deadline = Date.now() + timeoutMs;
  }

  /** Counts samples held in memory and enforces the limits. */
  account(n: number): void {
    this.samples += n;
    if (this.samples > this.maxSamples) {
      throw new PromqlError(
        'execution',
        'query processing would load too many samples into memory in query execution',
      );
    }
    if ((++this.checks & 63) === 0 && Date.now() > this.deadline) {
      throw new PromqlError('timeout', 'query timed out in expression evaluation');
    }
  }

  checkTimeout(): void {
    if (Date.now() > this.deadline)
      throw new PromqlError('timeout', 'query timed out in expression evaluation');
  }

  /** The time at which a selector or subquery is evaluated for step i, before its offset. */
  atTime(ctx: Ctx, at: AtModifier | undefined, i: number): number {
    if (!at) return stepTime(ctx, i);
    if (at.kind === 'time') return at.ms;
    return at.kind === 'start' ? ctx.queryStartMs : ctx.queryEndMs;
  }

  eval(e: Expr, ctx: Ctx): Value {
    switch (e.type) {
      case 'number':
        return { kind: 'scalar', values: new Float64Array(ctx.n).fill(e.value) };
      case 'string':
        return { kind: 'string', value: e.value };
      case 'paren':
        return this.eval(e.expr, ctx);
      case 'unary': {
        const v = this.eval(e.expr, ctx);
        if (e.op === '+') return v;
        if (v.kind === 'scalar') return { kind: 'scalar', values: v.values.map((x) => -x) };
        if (v.kind === 'vector') {
          return this.checkDuplicates({
            kind: 'vector',
            steps: v.steps.map((vec) =>
              vec.map((s) => ({ labels: withoutName(s.labels, this.mode), value: -s.value, ts: s.ts })),
            ),
          });
        }
        throw new PromqlError(
          'execution',
          'unary expression only allowed on expressions of type scalar or instant vector',
        );
      }
      case 'vectorSelector':
        return this.vectorSelector(e, ctx);
      case 'matrixSelector':
      case 'subquery':
        throw new PromqlError('execution', 'range vector cannot be used here');
      case 'call':
        return this.call(e, ctx);
      case 'aggregate':
        return this.aggregate(e, ctx);
      case 'binary':
        return this.binary(e, ctx);
    }
  }

  vectorSelector(e: VectorSelector, ctx: Ctx): Value {
    let minT = Number.POSITIVE_INFINITY;
    let maxT = Number.NEGATIVE_INFINITY;
    for (const i of [0, ctx.n - 1]) {
      const t = this.atTime(ctx, e.at, i) - e.offsetMs;
      minT = Math.min(minT, t);
      maxT = Math.max(maxT, t);
    }
    const series = this.source.select(translateMatchers(e.matchers, this.mode), minT - this.lookbackMs, maxT);
    const steps: Vector[] = Array.from({ length: ctx.n }, () => []);
    const closed = this.mode === 'prometheus2';
    for (const s of series) {
      this.account(s.timestamps.length);
      const ts = s.timestamps;
      for (let i = 0; i < ctx.n; i++) {
        const t = this.atTime(ctx, e.at, i) - e.offsetMs;
        const idx = upperBound(ts, t) - 1;
        if (idx < 0) continue;
        const sampleT = ts[idx];
        if (closed ? sampleT < t - this.lookbackMs : sampleT <= t - this.lookbackMs) continue;
        if (Number.isNaN(s.values[idx]) && isStaleAt(s.values, idx)) continue;
        steps[i].push({ labels: s.labels, value: s.values[idx], ts: sampleT });
      }
    }
    return { kind: 'vector', steps };
  }

  /** Loads the series of a matrix selector or subquery with the evaluation window of every step. */
  rangeSeries(
    e: MatrixSelector | Subquery,
    ctx: Ctx,
  ): { series: RangeSeries[]; rangeMs: number; windowEnd: (i: number) => number } {
    const sel = e.type === 'matrixSelector' ? e.selector : e;
    const windowEnd = (i: number) => this.atTime(ctx, sel.at, i) - sel.offsetMs;
    const rangeMs = e.rangeMs;
    let minT = Number.POSITIVE_INFINITY;
    let maxT = Number.NEGATIVE_INFINITY;
    for (const i of [0, ctx.n - 1]) {
      minT = Math.min(minT, windowEnd(i));
      maxT = Math.max(maxT, windowEnd(i));
    }
    if (e.type === 'matrixSelector') {
      const raw = this.source.select(translateMatchers(e.selector.matchers, this.mode), minT - rangeMs, maxT);
      const series: RangeSeries[] = [];
      for (const s of raw) {
        this.account(s.timestamps.length);
        // Matrix selectors never return staleness markers.
        let stale = 0;
        for (let i = 0; i < s.values.length; i++)
          if (Number.isNaN(s.values[i]) && isStaleAt(s.values, i)) stale++;
        if (stale === 0) {
          series.push({ labels: s.labels, ts: s.timestamps, vs: s.values });
          continue;
        }
        const n = s.values.length - stale;
        const ts = new Float64Array(n);
        const vs = new Float64Array(n);
        let j = 0;
        for (let i = 0; i < s.values.length; i++) {
          if (Number.isNaN(s.values[i]) && isStaleAt(s.values, i)) continue;
          ts[j] = s.timestamps[i];
          vs[j++] = s.values[i];
        }
        series.push({ labels: s.labels, ts, vs });
      }
      return { series, rangeMs, windowEnd };
    }
    // Subquery: evaluate the inner expression at steps aligned to multiples of its step since the epoch.
    const stepMs = e.stepMs || this.subqueryStepMs;
    const lowest = minT - rangeMs;
    let start = stepMs * Math.trunc(lowest / stepMs);
    if (this.mode === 'prometheus2' ? start < lowest : start <= lowest) start += stepMs;
    const n = start > maxT ? 0 : Math.floor((maxT - start) / stepMs) + 1;
    if (n > 11_000_000) throw new PromqlError('execution', 'subquery would evaluate too many steps');
    const inner: Ctx = {
      startMs: start,
      endMs: maxT,
      intervalMs: stepMs,
      n,
      queryStartMs: ctx.queryStartMs,
      queryEndMs: ctx.queryEndMs,
    };
    const series = n === 0 ? [] : this.toSeries(this.eval(e.expr, inner), inner);
    return { series, rangeMs, windowEnd };
  }

  /** Collects per-step vectors into series (points in time order). */
  toSeries(v: Value, ctx: Ctx): RangeSeries[] {
    if (v.kind !== 'vector') throw new PromqlError('execution', 'subquery is only allowed on instant vector');
    type Acc = { labels: Labels; ts: number[]; vs: number[] };
    const byKey = new Map<string, Acc>();
    // Most steps reuse the same label objects: look them up by identity before building a key.
    const byRef = new Map<Labels, Acc>();
    for (let i = 0; i < ctx.n; i++) {
      const t = stepTime(ctx, i);
      for (const s of v.steps[i]) {
        let acc = byRef.get(s.labels);
        if (!acc) {
          const k = keyOf(s.labels);
          acc = byKey.get(k);
          if (!acc) {
            acc = { labels: s.labels, ts: [], vs: [] };
            byKey.set(k, acc);
          }
          byRef.set(s.labels, acc);
        }
        acc.ts.push(t);
        acc.vs.push(s.value);
      }
    }
    return [...byKey.values()].map((a) => ({
      labels: a.labels,
      ts: Float64Array.from(a.ts),
      vs: Float64Array.from(a.vs),
    }));
  }

  /** Index bounds [lo, hi) of the points in the window ending at t. */
  window(ts: Float64Array, t: number, rangeMs: number): [number, number] {
    const hi = upperBound(ts, t);
    const lo =
      this.mode === 'prometheus2' ? lowerBound(ts, t - rangeMs, 0, hi) : upperBound(ts, t - rangeMs, 0, hi);
    return [lo, hi];
  }

  /** A matrix value at one instant (an instant query of a range selector or subquery). */
  matrixAt(e: Expr, timeMs: number): RangeSeries[] {
    const ctx: Ctx = {
      startMs: timeMs,
      endMs: timeMs,
      intervalMs: 1,
      n: 1,
      queryStartMs: timeMs,
      queryEndMs: timeMs,
    };
    const inner = e.type === 'paren' ? e.expr : e;
    if (inner.type !== 'matrixSelector' && inner.type !== 'subquery')
      throw new PromqlError('execution', 'expected a range vector');
    const { series, rangeMs, windowEnd } = this.rangeSeries(inner, ctx);
    const t = windowEnd(0);
    const out: RangeSeries[] = [];
    for (const s of series) {
      const [lo, hi] = this.window(s.ts, t, rangeMs);
      if (hi > lo) out.push({ labels: s.labels, ts: s.ts.slice(lo, hi), vs: s.vs.slice(lo, hi) });
    }
    return out;
  }

  scalarArg(e: Expr, ctx: Ctx): Float64Array {
    const v = this.eval(e, ctx);
    if (v.kind !== 'scalar') throw new PromqlError('execution', 'expected scalar argument');
    return v.values;
  }

  vectorArg(e: Expr, ctx: Ctx): Vector[] {
    const v = this.eval(e, ctx);
    if (v.kind !== 'vector') throw new PromqlError('execution', 'expected instant vector argument');
    return v.steps;
  }

  stringArg(e: Expr): string {
    let x = e;
    while (x.type === 'paren') x = x.expr;
    if (x.type !== 'string') throw new PromqlError('execution', 'expected string argument');
    return x.value;
  }

  /** Prometheus refuses a vector whose samples share a label set after the metric name was dropped. */
  checkDuplicates(v: Value): Value {
    if (v.kind !== 'vector') return v;
    for (const vec of v.steps) {
      if (vec.length < 2) continue;
      const seen = new Set<string>();
      for (const s of vec) {
        const k = keyOf(s.labels);
        if (seen.has(k))
          throw new PromqlError('execution', 'vector cannot contain metrics with the same labelset');
        seen.add(k);
      }
    }
    return v;
  }

  mapVector(
    steps: Vector[],
    f: (v: number, s: Sample, i: number) => number | undefined,
    dropName = true,
  ): Value {
    const out: Vector[] = steps.map((vec, i) => {
      const r: Vector = [];
      for (const s of vec) {
        const v = f(s.value, s, i);
        if (v !== undefined)
          r.push({ labels: dropName ? withoutName(s.labels, this.mode) : s.labels, value: v, ts: s.ts });
      }
      return r;
    });
    return dropName ? this.checkDuplicates({ kind: 'vector', steps: out }) : { kind: 'vector', steps: out };
  }

  call(e: Call, ctx: Ctx): Value {
    const a = e.args;
    const f = e.func;
    const simple = SIMPLE_FUNCTIONS[f];
    if (simple) return this.mapVector(this.vectorArg(a[0], ctx), simple);
    switch (f) {
      case 'time':
        return {
          kind: 'scalar',
          values: Float64Array.from({ length: ctx.n }, (_, i) => stepTime(ctx, i) / 1000),
        };
      case 'pi':
        return { kind: 'scalar', values: new Float64Array(ctx.n).fill(Math.PI) };
      case 'vector': {
        const s = this.scalarArg(a[0], ctx);
        return {
          kind: 'vector',
          steps: Array.from(s, (v, i) => [{ labels: {}, value: v, ts: stepTime(ctx, i) }]),
        };
      }
      case 'scalar': {
        const steps = this.vectorArg(a[0], ctx);
        return {
          kind: 'scalar',
          values: Float64Array.from(steps, (vec) => (vec.length === 1 ? vec[0].value : Number.NaN)),
        };
      }
      case 'timestamp': {
        let inner = a[0];
        while (inner.type === 'paren') inner = inner.expr;
        const fromSelector = inner.type === 'vectorSelector';
        return this.mapVector(
          this.vectorArg(a[0], ctx),
          (_v, s, i) => (fromSelector ? s.ts : stepTime(ctx, i)) / 1000,
        );
      }
      case 'round': {
        const steps = this.vectorArg(a[0], ctx);
        const to = a[1] ? this.scalarArg(a[1], ctx) : undefined;
        return this.mapVector(steps, (v, _s, i) => {
          const inv = 1 / (to ? to[i] : 1);
          return Math.floor(v * inv + 0.5) / inv;
        });
      }
      case 'clamp': {
        const steps = this.vectorArg(a[0], ctx);
        const lo = this.scalarArg(a[1], ctx);
        const hi = this.scalarArg(a[2], ctx);
        return this.mapVector(steps, (v, _s, i) =>
          hi[i] < lo[i] ? undefined : Math.max(lo[i], Math.min(hi[i], v)),
        );
      }
      case 'clamp_min': {
        const steps = this.vectorArg(a[0], ctx);
        const lo = this.scalarArg(a[1], ctx);
        return this.mapVector(steps, (v, _s, i) => Math.max(lo[i], v));
      }
      case 'clamp_max': {
        const steps = this.vectorArg(a[0], ctx);
        const hi = this.scalarArg(a[1], ctx);
        return this.mapVector(steps, (v, _s, i) => Math.min(hi[i], v));
      }
      case 'days_in_month':
      case 'day_of_month':
      case 'day_of_week':
      case 'day_of_year':
      case 'hour':
      case 'minute':
      case 'month':
      case 'year': {
        const part = DATE_PARTS[f];
        if (a.length === 0) {
          return {
            kind: 'vector',
            steps: Array.from({ length: ctx.n }, (_, i) => [
              { labels: {}, value: part(stepTime(ctx, i) / 1000), ts: 0 },
            ]),
          };
        }
        return this.mapVector(this.vectorArg(a[0], ctx), (v) => (Number.isFinite(v) ? part(v) : Number.NaN));
      }
      case 'sort':
      case 'sort_desc': {
        const steps = this.vectorArg(a[0], ctx);
        const desc = f === 'sort_desc';
        return {
          kind: 'vector',
          steps: steps.map((vec) =>
            [...vec].sort((x, y) => {
              const xn = Number.isNaN(x.value);
              const yn = Number.isNaN(y.value);
              if (xn || yn) return xn === yn ? 0 : xn ? 1 : -1;
              return desc ? y.value - x.value : x.value - y.value;
            }),
          ),
        };
      }
      case 'sort_by_label':
      case 'sort_by_label_desc': {
        const steps = this.vectorArg(a[0], ctx);
        const names = a.slice(1).map((x) => this.stringArg(x));
        const sign = f === 'sort_by_label_desc' ? -1 : 1;
        const cmp = (x: Sample, y: Sample) => {
          for (const n of names) {
            const c = naturalCompare(x.labels[n] ?? '', y.labels[n] ?? '');
            if (c !== 0) return sign * c;
          }
          return sign * compareLabels(x.labels, y.labels);
        };
        return { kind: 'vector', steps: steps.map((vec) => [...vec].sort(cmp)) };
      }
      case 'label_replace':
        return this.labelReplace(e, ctx);
      case 'label_join':
        return this.labelJoin(e, ctx);
      case 'absent': {
        const steps = this.vectorArg(a[0], ctx);
        const labels = absentLabels(a[0]);
        return {
          kind: 'vector',
          steps: steps.map((vec, i) => (vec.length ? [] : [{ labels, value: 1, ts: stepTime(ctx, i) }])),
        };
      }
      case 'histogram_quantile':
        return this.histogramQuantile(e, ctx);
    }
    return this.rangeFunction(e, ctx);
  }

  rangeFunction(e: Call, ctx: Ctx): Value {
    const f = e.func;
    const matrixIdx = e.args.findIndex((x) => typeOf(x) === 'matrix');
    let mexpr = e.args[matrixIdx];
    while (mexpr.type === 'paren') mexpr = mexpr.expr;
    if (mexpr.type !== 'matrixSelector' && mexpr.type !== 'subquery') {
      throw new PromqlError('execution', `expected range vector in call to function "${f}"`);
    }
    const scalars = e.args.map((x, i) => (i !== matrixIdx ? this.scalarArg(x, ctx) : undefined));
    const { series, rangeMs, windowEnd } = this.rangeSeries(mexpr, ctx);
    const steps: Vector[] = Array.from({ length: ctx.n }, () => []);
    const mode = this.mode;
    const keepName = f === 'last_over_time' || f === 'first_over_time';
    if (f === 'absent_over_time') {
      for (let i = 0; i < ctx.n; i++) {
        const t = windowEnd(i);
        const any = series.some((s) => {
          const [lo, hi] = this.window(s.ts, t, rangeMs);
          return hi > lo;
        });
        if (!any) steps[i].push({ labels: absentLabels(mexpr), value: 1, ts: stepTime(ctx, i) });
      }
      return { kind: 'vector', steps };
    }
    if ((f === 'holt_winters' || f === 'double_exponential_smoothing') && ctx.n > 0) {
      for (let i = 0; i < ctx.n; i++) {
        const sf = scalars[1]?.[i] ?? Number.NaN;
        const tf = scalars[2]?.[i] ?? Number.NaN;
        if (!(sf > 0 && sf < 1))
          throw new PromqlError(
            'execution',
            `invalid smoothing factor. Expected: 0 < sf < 1, got: ${formatGoFloat(sf)}`,
          );
        if (!(tf > 0 && tf < 1))
          throw new PromqlError(
            'execution',
            `invalid trend factor. Expected: 0 < tf < 1, got: ${formatGoFloat(tf)}`,
          );
      }
    }
    for (const s of series) {
      const labels = keepName ? s.labels : withoutName(s.labels, this.mode);
      const { ts, vs } = s;
      for (let i = 0; i < ctx.n; i++) {
        const t = windowEnd(i);
        const [lo, hi] = this.window(ts, t, rangeMs);
        if (hi <= lo) continue;
        let v: number | undefined;
        switch (f) {
          case 'rate':
          case 'increase':
          case 'delta':
            v = extrapolatedRate(mode, ts, vs, lo, hi, t - rangeMs, t, rangeMs, f !== 'delta', f === 'rate');
            break;
          case 'irate':
            v = instantValue(ts, vs, lo, hi, true);
            break;
          case 'idelta':
            v = instantValue(ts, vs, lo, hi, false);
            break;
          case 'deriv':
            v = hi - lo < 2 ? undefined : linearRegression(ts, vs, lo, hi, ts[lo])[0];
            break;
          case 'predict_linear': {
            if (hi - lo < 2) break;
            const [slope, intercept] = linearRegression(ts, vs, lo, hi, stepTime(ctx, i));
            v = slope * (scalars[1] as Float64Array)[i] + intercept;
            break;
          }
          case 'resets': {
            let n = 0;
            for (let j = lo + 1; j < hi; j++) if (vs[j] < vs[j - 1]) n++;
            v = n;
            break;
          }
          case 'changes': {
            let n = 0;
            for (let j = lo + 1; j < hi; j++) {
              const c = vs[j];
              const p = vs[j - 1];
              if (c !== p && !(Number.isNaN(c) && Number.isNaN(p))) n++;
            }
            v = n;
            break;
          }
          case 'sum_over_time':
            v = sumOverTime(vs, lo, hi);
            break;
          case 'avg_over_time':
            v = avgOverTime(mode, vs, lo, hi);
            break;
          case 'count_over_time':
            v = hi - lo;
            break;
          case 'min_over_time':
          case 'max_over_time': {
            let m = vs[lo];
            const isMax = f === 'max_over_time';
            for (let j = lo + 1; j < hi; j++) {
              const x = vs[j];
              if ((isMax ? x > m : x < m) || Number.isNaN(m)) m = x;
            }
            v = m;
            break;
          }
          case 'last_over_time':
            v = vs[hi - 1];
            break;
          case 'first_over_time':
            v = vs[lo];
            break;
          case 'ts_of_first_over_time':
            v = ts[lo] / 1000;
            break;
          case 'ts_of_last_over_time':
            v = ts[hi - 1] / 1000;
            break;
          case 'ts_of_min_over_time':
          case 'ts_of_max_over_time': {
            const isMax = f === 'ts_of_max_over_time';
            let m = vs[lo];
            let at = ts[lo];
            for (let j = lo + 1; j < hi; j++) {
              const x = vs[j];
              if ((isMax ? x >= m : x <= m) || Number.isNaN(m)) {
                m = x;
                at = ts[j];
              }
            }
            v = at / 1000;
            break;
          }
          case 'present_over_time':
            v = 1;
            break;
          case 'stdvar_over_time':
            v = varianceOverTime(vs, lo, hi);
            break;
          case 'stddev_over_time':
            v = Math.sqrt(varianceOverTime(vs, lo, hi));
            break;
          case 'quantile_over_time':
            v = quantile((scalars[0] as Float64Array)[i], Array.from(vs.subarray(lo, hi)));
            break;
          case 'mad_over_time': {
            const vals = Array.from(vs.subarray(lo, hi));
            // Prometheus 3 makes a NaN sample turn the result into NaN rather than sorting it away.
            if (vals.some(Number.isNaN)) {
              v = Number.NaN;
              break;
            }
            const median = quantile(0.5, vals);
            v = quantile(
              0.5,
              vals.map((x) => Math.abs(x - median)),
            );
            break;
          }
          case 'holt_winters':
          case 'double_exponential_smoothing':
            v = doubleExponentialSmoothing(
              vs,
              lo,
              hi,
              (scalars[1] as Float64Array)[i],
              (scalars[2] as Float64Array)[i],
            );
            break;
          default:
            throw new PromqlError('bad_data', `unsupported in qobs PromQL: function ${f}()`, {
              unsupported: true,
            });
        }
        if (v !== undefined) {
          steps[i].push({ labels, value: v, ts: stepTime(ctx, i) });
          this.account(1);
        }
      }
    }
    if (keepName) return { kind: 'vector', steps };
    // Output labels are fixed per series: only when two series share them can a step hold duplicates.
    const seen = new Set<string>();
    let collide = false;
    for (const s of series) {
      const k = keyOf(withoutName(s.labels, this.mode));
      if (seen.has(k)) {
        collide = true;
        break;
      }
      seen.add(k);
    }
    return collide ? this.checkDuplicates({ kind: 'vector', steps }) : { kind: 'vector', steps };
  }

  labelReplace(e: Call, ctx: Ctx): Value {
    const steps = this.vectorArg(e.args[0], ctx);
    const [dst, repl, src, regex] = e.args.slice(1).map((x) => this.stringArg(x));
    let re: RegExp;
    try {
      re = anchoredRegExp(translateRegex(regex, this.mode === 'prometheus3'));
    } catch {
      throw new PromqlError('execution', `invalid regular expression in label_replace(): ${regex}`);
    }
    if (
      !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(dst) &&
      !(this.mode === 'prometheus3' && dst.length > 0 && isWellFormed(dst))
    ) {
      throw new PromqlError('execution', `invalid destination label name in label_replace(): ${dst}`);
    }
    const cache = new Map<Labels, Labels>();
    const out = steps.map((vec) =>
      vec.map((s) => {
        let labels = cache.get(s.labels);
        if (!labels) {
          labels = s.labels;
          const m = re.exec(s.labels[src] ?? '');
          if (m) {
            const value = expandTemplate(repl, m);
            const next: Record<string, string> = { ...s.labels };
            if (value === '') delete next[dst];
            else next[dst] = value;
            labels = next;
          }
          cache.set(s.labels, labels);
        }
        return { labels, value: s.value, ts: s.ts };
      }),
    );
    return this.checkDuplicates({ kind: 'vector', steps: out });
  }

  labelJoin(e: Call, ctx: Ctx): Value {
    const steps = this.vectorArg(e.args[0], ctx);
    const [dst, sep, ...srcs] = e.args.slice(1).map((x) => this.stringArg(x));
    if (
      !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(dst) &&
      !(this.mode === 'prometheus3' && dst.length > 0 && isWellFormed(dst))
    ) {
      throw new PromqlError('execution', `invalid destination label name in label_join(): ${dst}`);
    }
    const out = steps.map((vec) =>
      vec.map((s) => {
        const value = srcs.map((n) => s.labels[n] ?? '').join(sep);
        const next: Record<string, string> = { ...s.labels };
        if (value === '') delete next[dst];
        else next[dst] = value;
        return { labels: next, value: s.value, ts: s.ts };
      }),
    );
    return this.checkDuplicates({ kind: 'vector', steps: out });
  }

  histogramQuantile(e: Call, ctx: Ctx): Value {
    const q = this.scalarArg(e.args[0], ctx);
    const steps = this.vectorArg(e.args[1], ctx);
    // Per input label set, once for all steps: its bucket bound, group key and output labels.
    const info = new Map<Labels, { ub: number; key: string; labels: Labels } | null>();
    const outLabels = new Map<string, Labels>();
    const out: Vector[] = steps.map((vec, i) => {
      const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
      for (const s of vec) {
        let inf = info.get(s.labels);
        if (inf === undefined) {
          const le = s.labels.le;
          const ub = le === undefined ? Number.NaN : parseLe(le);
          if (Number.isNaN(ub)) inf = null;
          else {
            const { le: _le, __name__: name, ...rest } = s.labels;
            // The metric name is part of the group so that two histograms with the same labels are not merged.
            const key = `${keyOf(rest)}${name ?? ''}`;
            let labels = outLabels.get(key);
            if (!labels) {
              labels = rest;
              outLabels.set(key, labels);
            }
            inf = { ub, key, labels };
          }
          info.set(s.labels, inf);
        }
        if (inf === null) continue;
        let g = groups.get(inf.key);
        if (!g) {
          g = { labels: inf.labels, buckets: [] };
          groups.set(inf.key, g);
        }
        g.buckets.push({ upperBound: inf.ub, count: s.value });
      }
      const r: Vector = [];
      for (const g of groups.values())
        r.push({ labels: g.labels, value: bucketQuantile(this.mode, q[i], g.buckets), ts: 0 });
      return r;
    });
    return this.checkDuplicates({ kind: 'vector', steps: out });
  }

  aggregate(e: Aggregate, ctx: Ctx): Value {
    const steps = this.vectorArg(e.expr, ctx);
    const op = e.op;
    let param: Float64Array | undefined;
    let label = '';
    if (e.param) {
      if (op === 'count_values') {
        label = this.stringArg(e.param);
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label) && !(this.mode === 'prometheus3' && label.length > 0)) {
          throw new PromqlError('execution', `invalid label name "${label}"`);
        }
      } else param = this.scalarArg(e.param, ctx);
    }
    if (param && (op === 'topk' || op === 'bottomk')) {
      for (const kf of param) {
        if (Number.isNaN(kf) && this.mode === 'prometheus3')
          throw new PromqlError('execution', 'Parameter value is NaN');
        if (Number.isNaN(kf) || Math.abs(kf) > 2 ** 63)
          throw new PromqlError('execution', `Scalar value ${formatGoFloat(kf)} overflows int64`);
      }
    }
    const without = e.without;
    const groupingSet = new Set(e.grouping);
    const grouping = [...e.grouping].sort();
    const groupLabels = (l: Labels): Labels => {
      const out: Record<string, string> = {};
      if (without) {
        for (const n of Object.keys(l)) if (n !== '__name__' && !groupingSet.has(n)) out[n] = l[n];
      } else {
        for (const n of grouping) if (l[n] !== undefined && l[n] !== '') out[n] = l[n];
      }
      return out;
    };
    const groupKeyOf = (l: Labels) => (without ? keyWithout(l, groupingSet) : keyOn(l, grouping));
    // Group keys and output label sets are computed once per input label set and reused at every step.
    const keyCache = new Map<Labels, string>();
    const groupKey = (l: Labels) => {
      let k = keyCache.get(l);
      if (k === undefined) {
        k = groupKeyOf(l);
        keyCache.set(l, k);
      }
      return k;
    };
    const outLabels = new Map<string, Labels>();
    const mode = this.mode;
    const result: Vector[] = steps.map((vec, i) => {
      const groups = new Map<string, { labels: Labels | undefined; items: Sample[] }>();
      if (op === 'count_values') {
        // Prometheus groups count_values by the output labels: the grouping labels plus the value label.
        const counts = new Map<string, Sample>();
        for (const s of vec) {
          const labels = { ...groupLabels(s.labels), [label]: formatValue(s.value) };
          const k = keyOf(labels);
          const c = counts.get(k);
          if (c) c.value++;
          else counts.set(k, { labels, value: 1, ts: stepTime(ctx, i) });
        }
        this.account(counts.size);
        return [...counts.values()];
      }
      for (const s of vec) {
        const k = groupKey(s.labels);
        let g = groups.get(k);
        if (!g) {
          g = { labels: undefined, items: [] };
          groups.set(k, g);
        }
        g.items.push(s);
      }
      const out: Vector = [];
      const t = stepTime(ctx, i);
      for (const g of groups.values()) {
        const items = g.items;
        const labels = () => {
          if (!g.labels) {
            const k = groupKey(items[0].labels);
            let l = outLabels.get(k);
            if (!l) {
              l = groupLabels(items[0].labels);
              outLabels.set(k, l);
            }
            g.labels = l;
          }
          return g.labels;
        };
        switch (op) {
          case 'sum': {
            let sum = 0;
            let c = 0;
            if (mode === 'prometheus2') for (const s of items) sum += s.value;
            else {
              for (const s of items) [sum, c] = kahanSumInc(s.value, sum, c);
              if (!isInf(sum)) sum += c;
            }
            out.push({ labels: labels(), value: sum, ts: t });
            break;
          }
          case 'avg': {
            let v: number;
            if (mode === 'prometheus2') {
              let mean = items[0].value;
              let count = 1;
              for (let j = 1; j < items.length; j++) {
                const x = items[j].value;
                count++;
                if (isInf(mean)) {
                  if (isInf(x) && mean > 0 === x > 0) continue;
                  if (!isInf(x) && !Number.isNaN(x)) continue;
                }
                mean += x / count - mean / count;
              }
              v = mean;
            } else
              v = kahanMean(
                items.map((s) => s.value),
                0,
                items.length,
              );
            out.push({ labels: labels(), value: v, ts: t });
            break;
          }
          case 'count':
            out.push({ labels: labels(), value: items.length, ts: t });
            break;
          case 'group':
            out.push({ labels: labels(), value: 1, ts: t });
            break;
          case 'min':
          case 'max': {
            let m = items[0].value;
            for (let j = 1; j < items.length; j++) {
              const x = items[j].value;
              if ((op === 'max' ? x > m : x < m) || Number.isNaN(m)) m = x;
            }
            out.push({ labels: labels(), value: m, ts: t });
            break;
          }
          case 'stddev':
          case 'stdvar': {
            let count = 0;
            let mean = 0;
            let acc = 0;
            for (const s of items) {
              count++;
              const delta = s.value - mean;
              mean += delta / count;
              acc += delta * (s.value - mean);
            }
            const variance = acc / count;
            out.push({ labels: labels(), value: op === 'stddev' ? Math.sqrt(variance) : variance, ts: t });
            break;
          }
          case 'quantile':
            out.push({
              labels: labels(),
              value: quantile(
                (param as Float64Array)[i],
                items.map((s) => s.value),
              ),
              ts: t,
            });
            break;
          case 'topk':
          case 'bottomk': {
            const kf = (param as Float64Array)[i];
            if (Number.isNaN(kf) || Math.abs(kf) > 2 ** 63) {
              throw new PromqlError('execution', `Scalar value ${formatGoFloat(kf)} overflows int64`);
            }
            const k = Math.trunc(kf);
            if (k < 1) break;
            const top = op === 'topk';
            const sorted = [...items].sort((x, y) => {
              const xn = Number.isNaN(x.value);
              const yn = Number.isNaN(y.value);
              if (xn || yn) return xn === yn ? 0 : xn ? 1 : -1;
              return top ? y.value - x.value : x.value - y.value;
            });
            for (const s of sorted.slice(0, k)) out.push({ labels: s.labels, value: s.value, ts: t });
            break;
          }
          case 'count_values': {
            const counts = new Map<string, number>();
            for (const s of items) {
              const v = formatValue(s.value);
              counts.set(v, (counts.get(v) ?? 0) + 1);
            }
            for (const [v, n] of counts)
              out.push({ labels: { ...groupLabels(items[0].labels), [label]: v }, value: n, ts: t });
            break;
          }
          default:
            throw new PromqlError('bad_data', `unsupported in qobs PromQL: aggregation ${op}`, {
              unsupported: true,
            });
        }
      }
      this.account(out.length);
      return out;
    });
    return { kind: 'vector', steps: result };
  }

  binary(e: Binary, ctx: Ctx): Value {
    const l = this.eval(e.lhs, ctx);
    const r = this.eval(e.rhs, ctx);
    const op = e.op;
    const isCmp = COMPARISON.has(op);
    if (l.kind === 'scalar' && r.kind === 'scalar') {
      const values = new Float64Array(ctx.n);
      for (let i = 0; i < ctx.n; i++) {
        const [v, keep] = binop(op, l.values[i], r.values[i]);
        values[i] = isCmp ? (keep ? 1 : 0) : v;
      }
      return { kind: 'scalar', values };
    }
    if (l.kind === 'vector' && r.kind === 'scalar')
      return this.vectorScalar(op, l.steps, r.values, false, e.bool);
    if (l.kind === 'scalar' && r.kind === 'vector')
      return this.vectorScalar(op, r.steps, l.values, true, e.bool);
    if (l.kind !== 'vector' || r.kind !== 'vector')
      throw new PromqlError(
        'execution',
        'binary expression must contain only scalar and instant vector types',
      );
    const matching = e.matching ?? { card: 'one-to-one' as const, on: false, labels: [], include: [] };
    const sig = matching.on
      ? (lb: Labels) => keyOn(lb, [...matching.labels].sort())
      : (() => {
          const ign = new Set(matching.labels);
          const typeAndUnit = this.mode === 'prometheus3';
          return (lb: Labels) => keyWithout(lb, ign, typeAndUnit);
        })();
    const steps: Vector[] = [];
    for (let i = 0; i < ctx.n; i++) {
      const lv = l.steps[i];
      const rv = r.steps[i];
      if (op === 'and' || op === 'or' || op === 'unless') {
        steps.push(this.setOp(op, lv, rv, sig));
      } else {
        steps.push(this.vectorVector(op, lv, rv, matching, sig, e.bool));
      }
      this.account(steps[i].length);
    }
    return { kind: 'vector', steps };
  }

  setOp(op: string, lhs: Vector, rhs: Vector, sig: (l: Labels) => string): Vector {
    if (op === 'and') {
      if (lhs.length === 0 || rhs.length === 0) return [];
      const right = new Set(rhs.map((s) => sig(s.labels)));
      return lhs.filter((s) => right.has(sig(s.labels)));
    }
    if (op === 'unless') {
      if (rhs.length === 0) return lhs;
      const right = new Set(rhs.map((s) => sig(s.labels)));
      return lhs.filter((s) => !right.has(sig(s.labels)));
    }
    const left = new Set(lhs.map((s) => sig(s.labels)));
    return [...lhs, ...rhs.filter((s) => !left.has(sig(s.labels)))];
  }

  vectorScalar(
    op: string,
    steps: Vector[],
    scalars: Float64Array,
    swap: boolean,
    returnBool: boolean,
  ): Value {
    const isCmp = COMPARISON.has(op);
    // Prometheus 2 kept the metric name on atan2.
    const dropName = (!isCmp || returnBool) && !(op === 'atan2' && this.mode === 'prometheus2');
    const out: Vector[] = steps.map((vec, i) => {
      const r: Vector = [];
      for (const s of vec) {
        let lv = s.value;
        let rv = scalars[i];
        if (swap) [lv, rv] = [rv, lv];
        let [value, keep] = binop(op, lv, rv);
        if (isCmp && swap) value = rv;
        if (returnBool) {
          value = keep ? 1 : 0;
          keep = true;
        }
        if (keep) r.push({ labels: dropName ? withoutName(s.labels, this.mode) : s.labels, value, ts: s.ts });
      }
      return r;
    });
    return dropName ? this.checkDuplicates({ kind: 'vector', steps: out }) : { kind: 'vector', steps: out };
  }

  vectorVector(
    op: string,
    lhs: Vector,
    rhs: Vector,
    matching: NonNullable<Binary['matching']>,
    sig: (l: Labels) => string,
    returnBool: boolean,
  ): Vector {
    const isCmp = COMPARISON.has(op);
    // Prometheus 2 kept the metric name on atan2.
    const dropName = (!isCmp || returnBool) && !(op === 'atan2' && this.mode === 'prometheus2');
    let left = lhs;
    let right = rhs;
    if (matching.card === 'one-to-many') [left, right] = [rhs, lhs];
    // The "one" side, indexed by signature; duplicates there are an error.
    const rightBySig = new Map<string, Sample>();
    for (const s of right) {
      const k = sig(s.labels);
      const dup = rightBySig.get(k);
      if (dup) {
        const side = matching.card === 'one-to-many' ? 'left' : 'right';
        throw new PromqlError(
          'execution',
          `found duplicate series for the match group ${formatMatchGroup(s.labels, matching)} on the ${side} hand-side of the operation: [${formatSeriesLabels(dup.labels)}, ${formatSeriesLabels(s.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      rightBySig.set(k, s);
    }
    const matchedSigs = new Map<string, boolean>();
    const out: Vector = [];
    const outKeys = new Set<string>();
    for (const ls of left) {
      const k = sig(ls.labels);
      const rs = rightBySig.get(k);
      if (!rs) continue;
      let vl = ls.value;
      let vr = rs.value;
      if (matching.card === 'one-to-many') [vl, vr] = [vr, vl];
      let [value, keep] = binop(op, vl, vr);
      if (returnBool) {
        value = keep ? 1 : 0;
        keep = true;
      }
      if (matching.card === 'one-to-one') {
        if (matchedSigs.has(k)) {
          throw new PromqlError(
            'execution',
            'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
          );
        }
        matchedSigs.set(k, true);
      }
      if (!keep) continue;
      const metric = resultMetric(ls.labels, rs.labels, dropName, matching, this.mode);
      if (matching.card !== 'one-to-one') {
        const mk = keyOf(metric);
        if (outKeys.has(mk))
          throw new PromqlError(
            'execution',
            'multiple matches for labels: grouping labels must ensure unique matches',
          );
        outKeys.add(mk);
      }
      out.push({ labels: metric, value, ts: ls.ts });
    }
    return out;
  }
}

function resultMetric(
  lhs: Labels,
  rhs: Labels,
  dropName: boolean,
  m: NonNullable<Binary['matching']>,
  mode: Mode,
): Labels {
  const out: Record<string, string> = {};
  if (m.card === 'one-to-one') {
    if (m.on) {
      for (const n of m.labels) if (lhs[n] !== undefined && !(dropName && n === '__name__')) out[n] = lhs[n];
    } else {
      const ign = new Set(m.labels);
      for (const n of Object.keys(lhs)) if (!ign.has(n)) out[n] = lhs[n];
      if (dropName) {
        delete out.__name__;
        if (mode === 'prometheus3') {
          delete out.__type__;
          delete out.__unit__;
        }
      }
    }
  } else {
    Object.assign(out, lhs);
    if (dropName) {
      delete out.__name__;
      if (mode === 'prometheus3') {
        delete out.__type__;
        delete out.__unit__;
      }
    }
  }
  for (const n of m.include) {
    const v = rhs[n];
    if (v !== undefined && v !== '') out[n] = v;
    else delete out[n];
  }
  return out;
}

function formatSeriesLabels(l: Labels): string {
  const parts = Object.keys(l)
    .sort()
    .map((n) => `${n}=${JSON.stringify(l[n])}`);
  return `{${parts.join(', ')}}`;
}

function formatMatchGroup(l: Labels, m: NonNullable<Binary['matching']>): string {
  const picked: Record<string, string> = {};
  if (m.on) {
    for (const n of m.labels) if (l[n] !== undefined) picked[n] = l[n];
  } else {
    const ign = new Set(m.labels);
    for (const n of Object.keys(l)) if (!ign.has(n) && n !== '__name__') picked[n] = l[n];
  }
  return formatSeriesLabels(picked);
}

/** Labels of absent()'s result: the equality matchers of the argument's selector (not the name). */
function absentLabels(e: Expr): Labels {
  let x = e;
  while (x.type === 'paren') x = x.expr;
  const sel: VectorSelector | undefined =
    x.type === 'vectorSelector' ? x : x.type === 'matrixSelector' ? x.selector : undefined;
  if (!sel) return {};
  const out: Record<string, string> = {};
  const dup = new Set<string>();
  for (const m of sel.matchers as LabelMatcher[]) {
    if (m.name === '__name__') continue;
    if (m.op === '=' && !(m.name in out)) out[m.name] = m.value;
    else dup.add(m.name);
  }
  for (const n of dup) delete out[n];
  return out;
}

/** Expands `$1`, `${1}`, `$name`, `${name}` as Go's regexp.Expand does. */
function expandTemplate(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(\$|\{([a-zA-Z0-9_]+)\}|([a-zA-Z0-9_]+))/g, (_all, d, braced, bare) => {
    if (d === '$') return '$';
    const name: string = braced ?? bare;
    if (/^\d+$/.test(name)) return m[Number(name)] ?? '';
    return m.groups?.[name] ?? '';
  });
}

function parseLe(le: string): number {
  const t = le.trim();
  if (/^\+?inf$/i.test(t)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(t)) return Number.NEGATIVE_INFINITY;
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) {
    if (/^nan$/i.test(t)) return Number.NaN;
    return Number.NaN;
  }
  return Number(t);
}

/** Go's %f formatting of a float (in error messages). */
function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (isInf(v)) return v > 0 ? '+Inf' : '-Inf';
  return v.toFixed(6);
}

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

const SIMPLE_FUNCTIONS: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sgn: (v) => (v > 0 ? 1 : v < 0 ? -1 : v),
  acos: Math.acos,
  acosh: Math.acosh,
  asin: Math.asin,
  asinh: Math.asinh,
  atan: Math.atan,
  atanh: Math.atanh,
  cos: Math.cos,
  cosh: Math.cosh,
  sin: Math.sin,
  sinh: Math.sinh,
  tan: Math.tan,
  tanh: Math.tanh,
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
};

const DATE_PARTS: Record<string, (seconds: number) => number> = {
  days_in_month: (s) => {
    const d = new Date(Math.trunc(s) * 1000);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  },
  day_of_month: (s) => new Date(Math.trunc(s) * 1000).getUTCDate(),
  day_of_week: (s) => new Date(Math.trunc(s) * 1000).getUTCDay(),
  day_of_year: (s) => {
    const d = new Date(Math.trunc(s) * 1000);
    return (
      Math.floor(
        (Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) /
          86400_000,
      ) + 1
    );
  },
  hour: (s) => new Date(Math.trunc(s) * 1000).getUTCHours(),
  minute: (s) => new Date(Math.trunc(s) * 1000).getUTCMinutes(),
  month: (s) => new Date(Math.trunc(s) * 1000).getUTCMonth() + 1,
  year: (s) => new Date(Math.trunc(s) * 1000).getUTCFullYear(),
};

function toPoint(tMs: number, v: number): PromPoint {
  return [tMs / 1000, formatValue(v)];
}

/**
 * Creates a PromQL engine over a SeriesSource.
 * @example
 * const engine = createEngine(source);
 * engine.instantQuery('sum(rate(quantum_circuit_executions_total[5m]))', Date.now());
 */
export function createEngine(source: SeriesSource, options: EngineOptions = {}): Engine {
  const mode: Mode = options.mode ?? 'prometheus3';
  const lookbackMs = options.lookbackDeltaMs ?? 5 * 60_000;
  const maxSamples = options.maxSamples ?? 50_000_000;
  const maxSteps = options.maxSteps ?? 11_000;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const subqueryStepMs = options.defaultSubqueryStepMs ?? 60_000;
  const evaluator = () => new Evaluator(source, mode, lookbackMs, maxSamples, timeoutMs, subqueryStepMs);

  return {
    mode,
    instantQuery(query: string, timeMs: number): QueryData {
      const expr = parsePromql(query, { mode });
      const ev = evaluator();
      const type = typeOf(expr);
      if (type === 'matrix') {
        const series = ev.matrixAt(expr, timeMs);
        return {
          resultType: 'matrix',
          result: series.map((s) => ({
            metric: { ...s.labels },
            values: Array.from(s.ts, (t, i) => toPoint(t, s.vs[i])),
          })),
        };
      }
      const ctx: Ctx = {
        startMs: timeMs,
        endMs: timeMs,
        intervalMs: 1,
        n: 1,
        queryStartMs: timeMs,
        queryEndMs: timeMs,
      };
      const v = ev.eval(expr, ctx);
      if (v.kind === 'string') return { resultType: 'string', result: [timeMs / 1000, v.value] };
      if (v.kind === 'scalar') return { resultType: 'scalar', result: toPoint(timeMs, v.values[0]) };
      return {
        resultType: 'vector',
        result: v.steps[0].map((s) => ({ metric: { ...s.labels }, value: toPoint(timeMs, s.value) })),
      };
    },
    rangeQuery(query: string, startMs: number, endMs: number, stepMs: number): QueryData {
      if (!(stepMs > 0))
        throw new PromqlError(
          'bad_data',
          'zero or negative query resolution step widths are not accepted. Try a positive integer',
        );
      if (endMs < startMs) throw new PromqlError('bad_data', 'end timestamp must not be before start time');
      const n = Math.floor((endMs - startMs) / stepMs) + 1;
      if (n > maxSteps) {
        throw new PromqlError(
          'bad_data',
          `exceeded maximum resolution of ${maxSteps.toLocaleString('en-US')} points per timeseries. Try decreasing the query resolution (?step=XX)`,
        );
      }
      const expr = parsePromql(query, { mode });
      const type = typeOf(expr);
      if (type !== 'scalar' && type !== 'vector') {
        throw new PromqlError(
          'bad_data',
          `invalid expression type "${type === 'matrix' ? 'range vector' : type}" for range query, must be Scalar or instant Vector`,
        );
      }
      const ev = evaluator();
      const ctx: Ctx = { startMs, endMs, intervalMs: stepMs, n, queryStartMs: startMs, queryEndMs: endMs };
      const v = ev.eval(expr, ctx);
      if (v.kind === 'scalar') {
        return {
          resultType: 'matrix',
          result: [{ metric: {}, values: Array.from(v.values, (x, i) => toPoint(startMs + i * stepMs, x)) }],
        };
      }
      if (v.kind !== 'vector') throw new PromqlError('bad_data', 'invalid expression type for range query');
      const series = ev.toSeries(v, ctx);
      series.sort((a, b) => compareLabels(a.labels, b.labels));
      return {
        resultType: 'matrix',
        result: series.map((s) => ({
          metric: { ...s.labels },
          values: Array.from(s.ts, (t, i) => toPoint(t, s.vs[i])),
        })),
      };
    },
  };
}

/** True when the string holds no lone surrogate (an invalid UTF-8 byte from a `\x` escape becomes one). */
function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}
