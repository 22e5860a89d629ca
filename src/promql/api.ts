// Prometheus-shaped HTTP API handlers (/api/v1/query, query_range, series, labels, label values, metadata),
// framework-agnostic: each takes the request's parameters and returns a status and Prometheus' JSON envelope.
import type { LabelMatcher, Labels, MetricMetadata, SeriesSource } from '../store/index.js';
import type { Engine, QueryData } from './engine.js';
import { PromqlError, type PromqlErrorType } from './errors.js';
import { parseDurationMs, parsePromql } from './parser.js';
import { translateMatchers } from './regex.js';

/** Request parameters as a framework hands them over (repeated keys as arrays). */
export type ApiParams = Record<string, string | string[] | undefined>;

/** Prometheus' JSON envelope. */
export type ApiBody =
  | { status: 'success'; data: unknown; warnings?: string[] }
  | { status: 'error'; errorType: PromqlErrorType | 'internal'; error: string };

/** An HTTP answer: status code and JSON body. */
export interface ApiResponse {
  status: number;
  body: ApiBody;
}

/** A source that can also list metric metadata (the SQLite store and the in-memory source both can). */
type MetadataSource = SeriesSource & {
  metadata?: () => Record<string, MetricMetadata[]>;
  getMetadata?: () => ReadonlyMap<string, MetricMetadata>;
};

const STATUS: Record<string, number> = {
  bad_data: 400,
  execution: 422,
  timeout: 503,
  canceled: 499,
  internal: 500,
};

// Prometheus' bounds for a missing start/end: minTime and maxTime of its API, in milliseconds.
const MIN_TIME_MS = -9223372036854.775;
const MAX_TIME_MS = 9223372036854.775;

function one(params: ApiParams, name: string): string | undefined {
  const v = params[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function many(params: ApiParams, name: string): string[] {
  const v = params[name] ?? params[name.replace(/\[\]$/, '')];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function badParam(name: string, message: string): PromqlError {
  return new PromqlError('bad_data', `invalid parameter ${JSON.stringify(name)}: ${message}`);
}

/** Parses a Prometheus API time: unix seconds (fractional allowed) or RFC 3339; returns milliseconds. */
export function parseApiTime(raw: string, name = 'time'): number {
  const s = raw.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return Math.round(Number(s) * 1000);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s)) {
    const ms = Date.parse(s);
    if (!Number.isNaN(ms)) return ms;
  }
  throw badParam(name, `cannot parse ${JSON.stringify(raw)} to a valid timestamp`);
}

/** Parses a Prometheus API duration: seconds (fractional allowed) or a duration like `5m`; returns milliseconds. */
export function parseApiDuration(raw: string, name = 'step'): number {
  const s = raw.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) {
    const v = Number(s) * 1000;
    if (Number.isFinite(v)) return Math.round(v);
  }
  const d = parseDurationMs(s);
  if (d !== undefined) return d;
  throw badParam(name, `cannot parse ${JSON.stringify(raw)} to a valid duration`);
}

function success(data: unknown): ApiResponse {
  return { status: 200, body: { status: 'success', data } };
}

/** Turns an error into Prometheus' error envelope and status code. */
export function errorResponse(err: unknown): ApiResponse {
  if (err instanceof PromqlError) {
    return {
      status: STATUS[err.errorType] ?? 500,
      body: { status: 'error', errorType: err.errorType, error: err.message },
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, body: { status: 'error', errorType: 'internal', error: message } };
}

function handle(f: () => unknown): ApiResponse {
  try {
    return success(f());
  } catch (err) {
    return errorResponse(err);
  }
}

/** Wraps a query's parse error as Prometheus' API does: `invalid parameter "query": 1:5: parse error: ...`. */
function runQuery<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof PromqlError && err.code === 'promql_parse') throw badParam('query', err.message);
    throw err;
  }
}

function requireParam(params: ApiParams, name: string): string {
  const v = one(params, name);
  if (v === undefined || v === '') throw badParam(name, 'missing');
  return v;
}

/** GET/POST /api/v1/query: `query`, optional `time` (default now). */
export function handleQuery(
  engine: Engine,
  _source: SeriesSource,
  params: ApiParams,
  nowMs = Date.now(),
): ApiResponse {
  return handle((): QueryData => {
    const query = one(params, 'query');
    if (query === undefined) throw badParam('query', 'missing');
    const t = one(params, 'time');
    const timeMs = t === undefined || t === '' ? nowMs : parseApiTime(t, 'time');
    return runQuery(() => engine.instantQuery(query, timeMs));
  });
}

/** GET/POST /api/v1/query_range: `query`, `start`, `end`, `step`. */
export function handleQueryRange(engine: Engine, _source: SeriesSource, params: ApiParams): ApiResponse {
  return handle((): QueryData => {
    const query = one(params, 'query');
    if (query === undefined) throw badParam('query', 'missing');
    const startMs = parseApiTime(requireParam(params, 'start'), 'start');
    const endMs = parseApiTime(requireParam(params, 'end'), 'end');
    if (endMs < startMs) throw badParam('end', 'end timestamp must not be before start time');
    const stepMs = parseApiDuration(requireParam(params, 'step'), 'step');
    if (stepMs <= 0) {
      throw badParam(
        'step',
        'zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    }
    return runQuery(() => engine.rangeQuery(query, startMs, endMs, stepMs));
  });
}

/** Parses the `match[]` selectors into matcher lists. */
function parseMatch(engine: Engine, selectors: string[]): LabelMatcher[][] {
  return selectors.map((sel) => {
    let e: ReturnType<typeof parsePromql>;
    try {
      e = parsePromql(sel, { mode: engine.mode });
    } catch (err) {
      throw badParam('match[]', (err as Error).message);
    }
    if (e.type !== 'vectorSelector')
      throw badParam('match[]', `1:1: parse error: unexpected ${e.type}: expected a series selector`);
    return translateMatchers(e.matchers, engine.mode);
  });
}

function timeRange(params: ApiParams): [number, number] {
  const s = one(params, 'start');
  const e = one(params, 'end');
  return [s ? parseApiTime(s, 'start') : MIN_TIME_MS, e ? parseApiTime(e, 'end') : MAX_TIME_MS];
}

/** GET/POST /api/v1/series: `match[]` (required), optional `start`, `end`. */
export function handleSeries(engine: Engine, source: SeriesSource, params: ApiParams): ApiResponse {
  return handle(() => {
    const selectors = many(params, 'match[]');
    if (selectors.length === 0) throw new PromqlError('bad_data', 'no match[] parameter provided');
    const [startMs, endMs] = timeRange(params);
    const seen = new Map<string, Labels>();
    for (const ms of parseMatch(engine, selectors)) {
      for (const l of source.series(ms, startMs, endMs)) {
        const key = Object.keys(l)
          .sort()
          .map((n) => `${n}\u0000${l[n]}`)
          .join('\u0001');
        seen.set(key, l);
      }
    }
    return [...seen.values()].map((l) => ({ ...l }));
  });
}

/** GET/POST /api/v1/labels: optional `match[]`, `start`, `end`. */
export function handleLabels(engine: Engine, source: SeriesSource, params: ApiParams): ApiResponse {
  return handle(() => {
    const [startMs, endMs] = timeRange(params);
    const selectors = many(params, 'match[]');
    const hasRange = one(params, 'start') !== undefined || one(params, 'end') !== undefined;
    if (selectors.length === 0)
      return source.labelNames(undefined, hasRange ? startMs : undefined, hasRange ? endMs : undefined);
    const names = new Set<string>();
    for (const ms of parseMatch(engine, selectors))
      for (const n of source.labelNames(ms, startMs, endMs)) names.add(n);
    return [...names].sort();
  });
}

/** GET /api/v1/label/<name>/values: `name` (from the path), optional `match[]`, `start`, `end`. */
export function handleLabelValues(engine: Engine, source: SeriesSource, params: ApiParams): ApiResponse {
  return handle(() => {
    const name = one(params, 'name') ?? '';
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) && !(engine.mode === 'prometheus3' && name.length > 0)) {
      throw new PromqlError('bad_data', `invalid label name: ${JSON.stringify(name)}`);
    }
    const [startMs, endMs] = timeRange(params);
    const selectors = many(params, 'match[]');
    const hasRange = one(params, 'start') !== undefined || one(params, 'end') !== undefined;
    if (selectors.length === 0) {
      return source.labelValues(
        name,
        undefined,
        hasRange ? startMs : undefined,
        hasRange ? endMs : undefined,
      );
    }
    const values = new Set<string>();
    for (const ms of parseMatch(engine, selectors))
      for (const v of source.labelValues(name, ms, startMs, endMs)) values.add(v);
    return [...values].sort();
  });
}

/** GET /api/v1/metadata: optional `metric`, `limit`. */
export function handleMetadata(_engine: Engine, source: SeriesSource, params: ApiParams): ApiResponse {
  return handle(() => {
    const src = source as MetadataSource;
    let all: Record<string, MetricMetadata[]> = {};
    if (typeof src.metadata === 'function') all = src.metadata();
    else if (typeof src.getMetadata === 'function') {
      for (const [k, v] of src.getMetadata()) all[k] = [v];
    }
    const metric = one(params, 'metric');
    const limitRaw = one(params, 'limit');
    const limit = limitRaw === undefined || limitRaw === '' ? -1 : Number(limitRaw);
    if (!Number.isInteger(limit))
      throw badParam('limit', `cannot parse ${JSON.stringify(limitRaw)} to a valid limit`);
    const out: Record<string, Array<{ type: string; help: string; unit: string }>> = {};
    let n = 0;
    for (const name of Object.keys(all).sort()) {
      if (metric && name !== metric) continue;
      if (limit >= 0 && n >= limit) break;
      out[name] = all[name].map((m) => ({ type: m.type, help: m.help, unit: m.unit }));
      n++;
    }
    return out;
  });
}
