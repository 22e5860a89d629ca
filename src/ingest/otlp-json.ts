// OTLP/JSON decoding (the protobuf JSON mapping with OTLP's exceptions: ids in hex, enums as integers,
// int64 as strings or numbers) into the same model as the protobuf decoder. Base64 ids are accepted too.
import type {
  Attributes,
  AttrValue,
  HistogramPointIn,
  LogIn,
  MetricIn,
  NumberPointIn,
  ResourceMetricsIn,
  ScopeInfo,
  SpanIn,
  SummaryPointIn,
} from './model.js';
import { emptyMetric, setAttribute } from './model.js';
import { MalformedPayloadError, toHex } from './wire.js';

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new MalformedPayloadError(`${what} must be an object`);
  return v as Json;
}

function arr(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new MalformedPayloadError(`${what} must be an array`);
  return v;
}

/** Reads a field by its lowerCamelCase name, or its proto snake_case name. */
function field(o: Json, camel: string, snake?: string): unknown {
  const v = o[camel];
  return v !== undefined || snake === undefined ? v : o[snake];
}

function str(v: unknown, what: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new MalformedPayloadError(`${what} must be a string`);
  return v;
}

function num(v: unknown, what: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    // The JSON mapping writes doubles' specials and int64s as strings.
    if (v === 'NaN') return Number.NaN;
    if (v === 'Infinity') return Number.POSITIVE_INFINITY;
    if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw new MalformedPayloadError(`${what} must be a number`);
}

function big(v: unknown, what: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  throw new MalformedPayloadError(`${what} must be a non-negative integer (int64 as a string or number)`);
}

/** Trace and span ids: hex (the OTLP/JSON rule) or base64 (the plain protobuf JSON mapping). */
function id(v: unknown, bytes: number, what: string): string {
  const s = str(v, what);
  if (s === '') return '';
  if (s.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(s)) return s.toLowerCase();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    const b = Buffer.from(s, 'base64');
    if (b.length === bytes) return toHex(b);
  }
  throw new MalformedPayloadError(`${what} must be ${bytes} bytes in hex or base64`);
}

function anyValue(v: unknown, what: string, depth = 0): AttrValue {
  if (depth > 32) throw new MalformedPayloadError(`${what}: attribute values nested deeper than 32`);
  const o = obj(v, what);
  if ('stringValue' in o) return str(o.stringValue, what);
  if ('boolValue' in o) return o.boolValue === true;
  if ('intValue' in o) return num(o.intValue, what);
  if ('doubleValue' in o) return num(o.doubleValue, what);
  if ('arrayValue' in o)
    return arr(obj(o.arrayValue, what).values, what).map((x) => anyValue(x, what, depth + 1));
  if ('kvlistValue' in o) return attributes(obj(o.kvlistValue, what).values, what, depth + 1);
  if ('bytesValue' in o) return str(o.bytesValue, what);
  return null;
}

function attributes(v: unknown, what: string, depth = 0): Attributes {
  const out: Attributes = {};
  for (const kv of arr(v, what)) {
    const o = obj(kv, what);
    setAttribute(out, str(o.key, `${what}.key`), anyValue(o.value, `${what}.value`, depth));
  }
  return out;
}

function scopeOf(v: unknown): ScopeInfo {
  const o = obj(v, 'scope');
  return { name: str(o.name, 'scope.name'), version: str(o.version, 'scope.version') };
}

function walk<T>(
  body: unknown,
  top: [string, string],
  scopes: [string, string],
  items: [string, string],
  each: (item: Json, res: Attributes, sc: ScopeInfo) => T,
): T[] {
  const out: T[] = [];
  for (const rv of arr(field(obj(body, 'request'), ...top), top[0])) {
    const r = obj(rv, top[0]);
    const res = attributes(obj(r.resource, 'resource').attributes, 'resource.attributes');
    for (const sv of arr(field(r, ...scopes), scopes[0])) {
      const s = obj(sv, scopes[0]);
      const sc = scopeOf(s.scope);
      for (const iv of arr(field(s, ...items), items[0])) out.push(each(obj(iv, items[0]), res, sc));
    }
  }
  return out;
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest (already parsed from JSON). */
export function decodeTracesJson(body: unknown): SpanIn[] {
  return walk(
    body,
    ['resourceSpans', 'resource_spans'],
    ['scopeSpans', 'scope_spans'],
    ['spans', 'spans'],
    (s, res, sc) => {
      const status = obj(s.status, 'status');
      return {
        traceId: id(field(s, 'traceId', 'trace_id'), 16, 'traceId'),
        spanId: id(field(s, 'spanId', 'span_id'), 8, 'spanId'),
        parentSpanId: id(field(s, 'parentSpanId', 'parent_span_id'), 8, 'parentSpanId'),
        traceState: str(field(s, 'traceState', 'trace_state'), 'traceState'),
        flags: num(s.flags, 'flags'),
        name: str(s.name, 'name'),
        kind: num(s.kind, 'kind'),
        startTimeUnixNano: big(field(s, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano'),
        endTimeUnixNano: big(field(s, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano'),
        attributes: attributes(s.attributes, 'attributes'),
        events: arr(s.events, 'events').map((ev) => {
          const e = obj(ev, 'event');
          return {
            timeUnixNano: big(field(e, 'timeUnixNano', 'time_unix_nano'), 'event.timeUnixNano'),
            name: str(e.name, 'event.name'),
            attributes: attributes(e.attributes, 'event.attributes'),
          };
        }),
        links: arr(s.links, 'links').map((lv) => {
          const l = obj(lv, 'link');
          return {
            traceId: id(field(l, 'traceId', 'trace_id'), 16, 'link.traceId'),
            spanId: id(field(l, 'spanId', 'span_id'), 8, 'link.spanId'),
            traceState: str(field(l, 'traceState', 'trace_state'), 'link.traceState'),
            attributes: attributes(l.attributes, 'link.attributes'),
          };
        }),
        statusCode: num(status.code, 'status.code'),
        statusMessage: str(status.message, 'status.message'),
        resource: res,
        scope: sc,
      };
    },
  );
}

/** Decodes an OTLP/JSON ExportLogsServiceRequest. */
export function decodeLogsJson(body: unknown): LogIn[] {
  return walk(
    body,
    ['resourceLogs', 'resource_logs'],
    ['scopeLogs', 'scope_logs'],
    ['logRecords', 'log_records'],
    (l, res, sc) => ({
      timeUnixNano: big(field(l, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano'),
      observedTimeUnixNano: big(
        field(l, 'observedTimeUnixNano', 'observed_time_unix_nano'),
        'observedTimeUnixNano',
      ),
      severityNumber: num(field(l, 'severityNumber', 'severity_number'), 'severityNumber'),
      severityText: str(field(l, 'severityText', 'severity_text'), 'severityText'),
      body: l.body === undefined ? null : anyValue(l.body, 'body'),
      attributes: attributes(l.attributes, 'attributes'),
      flags: num(l.flags, 'flags'),
      traceId: id(field(l, 'traceId', 'trace_id'), 16, 'traceId'),
      spanId: id(field(l, 'spanId', 'span_id'), 8, 'spanId'),
      eventName: str(field(l, 'eventName', 'event_name'), 'eventName'),
      resource: res,
      scope: sc,
    }),
  );
}

function timeMs(p: Json): number {
  return Number(big(field(p, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano') / 1_000_000n);
}

function numberPoint(p: Json): NumberPointIn {
  const asInt = field(p, 'asInt', 'as_int');
  return {
    attributes: attributes(p.attributes, 'dataPoint.attributes'),
    timeMs: timeMs(p),
    value: asInt !== undefined ? num(asInt, 'asInt') : num(field(p, 'asDouble', 'as_double'), 'asDouble'),
    flags: num(p.flags, 'flags'),
  };
}

function histogramPoint(p: Json): HistogramPointIn {
  return {
    attributes: attributes(p.attributes, 'dataPoint.attributes'),
    timeMs: timeMs(p),
    count: num(p.count, 'count'),
    sum: p.sum === undefined ? undefined : num(p.sum, 'sum'),
    bucketCounts: arr(field(p, 'bucketCounts', 'bucket_counts'), 'bucketCounts').map((x) =>
      num(x, 'bucketCounts'),
    ),
    explicitBounds: arr(field(p, 'explicitBounds', 'explicit_bounds'), 'explicitBounds').map((x) =>
      num(x, 'explicitBounds'),
    ),
    flags: num(p.flags, 'flags'),
  };
}

function summaryPoint(p: Json): SummaryPointIn {
  return {
    attributes: attributes(p.attributes, 'dataPoint.attributes'),
    timeMs: timeMs(p),
    count: num(p.count, 'count'),
    sum: num(p.sum, 'sum'),
    quantiles: arr(field(p, 'quantileValues', 'quantile_values'), 'quantileValues').map((q) => {
      const o = obj(q, 'quantileValues');
      return [num(o.quantile, 'quantile'), num(o.value, 'value')] as [number, number];
    }),
    flags: num(p.flags, 'flags'),
  };
}

function metricOf(m: Json): MetricIn {
  const out = emptyMetric();
  out.name = str(m.name, 'metric.name');
  out.description = str(m.description, 'metric.description');
  out.unit = str(m.unit, 'metric.unit');
  const pick = (key: string, snake: string) => field(m, key, snake);
  let data: Json | undefined;
  if (m.gauge !== undefined) {
    out.kind = 'gauge';
    data = obj(m.gauge, 'gauge');
  } else if (m.sum !== undefined) {
    out.kind = 'sum';
    data = obj(m.sum, 'sum');
  } else if (m.histogram !== undefined) {
    out.kind = 'histogram';
    data = obj(m.histogram, 'histogram');
  } else if (pick('exponentialHistogram', 'exponential_histogram') !== undefined) {
    out.kind = 'exponential_histogram';
    data = obj(pick('exponentialHistogram', 'exponential_histogram'), 'exponentialHistogram');
  } else if (m.summary !== undefined) {
    out.kind = 'summary';
    data = obj(m.summary, 'summary');
  }
  if (!data) return out;
  out.temporality = num(
    field(data, 'aggregationTemporality', 'aggregation_temporality'),
    'aggregationTemporality',
  );
  out.monotonic = field(data, 'isMonotonic', 'is_monotonic') === true;
  const points = arr(field(data, 'dataPoints', 'data_points'), 'dataPoints').map((p) => obj(p, 'dataPoint'));
  if (out.kind === 'gauge' || out.kind === 'sum') out.numberPoints = points.map(numberPoint);
  else if (out.kind === 'histogram') out.histogramPoints = points.map(histogramPoint);
  else if (out.kind === 'summary') out.summaryPoints = points.map(summaryPoint);
  else out.unsupportedPoints = points.length;
  return out;
}

/** Decodes an OTLP/JSON ExportMetricsServiceRequest. */
export function decodeMetricsJson(body: unknown): ResourceMetricsIn[] {
  return arr(field(obj(body, 'request'), 'resourceMetrics', 'resource_metrics'), 'resourceMetrics').map(
    (rv) => {
      const r = obj(rv, 'resourceMetrics');
      return {
        resource: attributes(obj(r.resource, 'resource').attributes, 'resource.attributes'),
        scopeMetrics: arr(field(r, 'scopeMetrics', 'scope_metrics'), 'scopeMetrics').map((sv) => {
          const s = obj(sv, 'scopeMetrics');
          return {
            scope: scopeOf(s.scope),
            metrics: arr(s.metrics, 'metrics').map((m) => metricOf(obj(m, 'metric'))),
          };
        }),
      };
    },
  );
}
