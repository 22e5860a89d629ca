// Hand-written decoders of OTLP protobuf requests (opentelemetry-proto v1: trace, metrics, logs), straight
// from the wire format into qobs' model: no generated classes, no intermediate objects per field.
import type {
  Attributes,
  AttrValue,
  HistogramPointIn,
  LogIn,
  MetricIn,
  NumberPointIn,
  ResourceMetricsIn,
  ScopeInfo,
  SpanEventIn,
  SpanIn,
  SpanLinkIn,
  SummaryPointIn,
} from './model.js';
import { emptyMetric, setAttribute } from './model.js';
import { MalformedPayloadError, WireReader } from './wire.js';

/** Deeper nesting of array and kvlist values is refused (a crafted body could otherwise exhaust the stack). */
const MAX_VALUE_DEPTH = 32;

function anyValue(r: WireReader, end: number, depth = 0): AttrValue {
  if (depth > MAX_VALUE_DEPTH)
    throw new MalformedPayloadError(`attribute values nested deeper than ${MAX_VALUE_DEPTH}`);
  let v: AttrValue = null;
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case 10: // string_value
        v = r.string();
        break;
      case 16: // bool_value
        v = r.varint() !== 0;
        break;
      case 24: // int_value
        v = r.int64();
        break;
      case 33: // double_value
        v = r.double();
        break;
      case 42: {
        // array_value
        const e = r.delimited();
        const arr: AttrValue[] = [];
        while (r.pos < e) {
          const t2 = r.tag();
          if (t2 === 10) {
            const e2 = r.delimited();
            arr.push(anyValue(r, e2, depth + 1));
            r.pos = e2;
          } else r.skip(t2 & 7);
        }
        v = arr;
        break;
      }
      case 50: {
        // kvlist_value
        const e = r.delimited();
        const obj: Attributes = {};
        while (r.pos < e) {
          const t2 = r.tag();
          if (t2 === 10) keyValue(r, r.delimited(), obj, depth + 1);
          else r.skip(t2 & 7);
        }
        v = obj;
        break;
      }
      case 58: // bytes_value
        v = r.bytes().toString('base64');
        break;
      default:
        r.skip(t & 7);
    }
  }
  if (r.pos !== end) throw new MalformedPayloadError('AnyValue overruns its length');
  return v;
}

function keyValue(r: WireReader, end: number, into: Attributes, depth = 0): void {
  let key = '';
  let value: AttrValue = null;
  while (r.pos < end) {
    const t = r.tag();
    if (t === 10) key = r.string();
    else if (t === 18) {
      const e = r.delimited();
      value = anyValue(r, e, depth);
    } else r.skip(t & 7);
  }
  if (r.pos !== end) throw new MalformedPayloadError('KeyValue overruns its length');
  setAttribute(into, key, value);
}

function resource(r: WireReader, end: number): Attributes {
  const attrs: Attributes = {};
  while (r.pos < end) {
    const t = r.tag();
    if (t === 10) keyValue(r, r.delimited(), attrs);
    else r.skip(t & 7);
  }
  return attrs;
}

function scope(r: WireReader, end: number): ScopeInfo {
  const s: ScopeInfo = { name: '', version: '' };
  while (r.pos < end) {
    const t = r.tag();
    if (t === 10) s.name = r.string();
    else if (t === 18) s.version = r.string();
    else r.skip(t & 7);
  }
  return s;
}

function checkEnd(r: WireReader, end: number, what: string): void {
  if (r.pos !== end) throw new MalformedPayloadError(`${what} overruns its length`);
}

// ---- traces

function spanEvent(r: WireReader, end: number): SpanEventIn {
  const ev: SpanEventIn = { timeUnixNano: 0n, name: '', attributes: {} };
  while (r.pos < end) {
    const t = r.tag();
    if (t === 9) ev.timeUnixNano = r.fixed64Big();
    else if (t === 18) ev.name = r.string();
    else if (t === 26) keyValue(r, r.delimited(), ev.attributes);
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'Span.Event');
  return ev;
}

function spanLink(r: WireReader, end: number): SpanLinkIn {
  const l: SpanLinkIn = { traceId: '', spanId: '', traceState: '', attributes: {} };
  while (r.pos < end) {
    const t = r.tag();
    if (t === 10) l.traceId = r.hex();
    else if (t === 18) l.spanId = r.hex();
    else if (t === 26) l.traceState = r.string();
    else if (t === 34) keyValue(r, r.delimited(), l.attributes);
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'Span.Link');
  return l;
}

function span(r: WireReader, end: number, res: Attributes, sc: ScopeInfo): SpanIn {
  const s: SpanIn = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource: res,
    scope: sc,
  };
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case 10:
        s.traceId = r.hex();
        break;
      case 18:
        s.spanId = r.hex();
        break;
      case 26:
        s.traceState = r.string();
        break;
      case 34:
        s.parentSpanId = r.hex();
        break;
      case 42:
        s.name = r.string();
        break;
      case 48:
        s.kind = r.varint();
        break;
      case 57:
        s.startTimeUnixNano = r.fixed64Big();
        break;
      case 65:
        s.endTimeUnixNano = r.fixed64Big();
        break;
      case 74:
        keyValue(r, r.delimited(), s.attributes);
        break;
      case 90:
        s.events.push(spanEvent(r, r.delimited()));
        break;
      case 106:
        s.links.push(spanLink(r, r.delimited()));
        break;
      case 122: {
        const e = r.delimited();
        while (r.pos < e) {
          const t2 = r.tag();
          if (t2 === 18) s.statusMessage = r.string();
          else if (t2 === 24) s.statusCode = r.varint();
          else r.skip(t2 & 7);
        }
        checkEnd(r, e, 'Status');
        break;
      }
      case 133: // flags, field 16 fixed32
        s.flags = r.fixed32();
        break;
      default:
        r.skip(t & 7);
    }
  }
  checkEnd(r, end, 'Span');
  return s;
}

/** Decodes an ExportTraceServiceRequest. Throws MalformedPayloadError on bad wire data. */
export function decodeTracesProto(buf: Buffer): { spans: SpanIn[]; invalidUtf8: number } {
  const { items, invalidUtf8 } = walk(buf, span);
  return { spans: items, invalidUtf8 };
}

// ---- logs

function logRecord(r: WireReader, end: number, res: Attributes, sc: ScopeInfo): LogIn {
  const l: LogIn = {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: {},
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
    resource: res,
    scope: sc,
  };
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case 9:
        l.timeUnixNano = r.fixed64Big();
        break;
      case 16:
        l.severityNumber = r.varint();
        break;
      case 26:
        l.severityText = r.string();
        break;
      case 42: {
        const e = r.delimited();
        l.body = anyValue(r, e);
        break;
      }
      case 50:
        keyValue(r, r.delimited(), l.attributes);
        break;
      case 69:
        l.flags = r.fixed32();
        break;
      case 74:
        l.traceId = r.hex();
        break;
      case 82:
        l.spanId = r.hex();
        break;
      case 89:
        l.observedTimeUnixNano = r.fixed64Big();
        break;
      case 98:
        l.eventName = r.string();
        break;
      default:
        r.skip(t & 7);
    }
  }
  checkEnd(r, end, 'LogRecord');
  return l;
}

/** Generic walk of Export*ServiceRequest → Resource* → Scope* → items, with resource and scope read first. */
function walk<T>(
  buf: Buffer,
  item: (r: WireReader, end: number, res: Attributes, sc: ScopeInfo) => T,
): {
  items: T[];
  invalidUtf8: number;
} {
  const r = new WireReader(buf);
  const items: T[] = [];
  while (r.pos < r.end) {
    const t = r.tag();
    if (t !== 10) {
      r.skip(t & 7);
      continue;
    }
    const rEnd = r.delimited();
    let res: Attributes = {};
    const blocks: Array<[number, number]> = [];
    while (r.pos < rEnd) {
      const t2 = r.tag();
      if (t2 === 10) {
        const e = r.delimited();
        res = resource(r, e);
        checkEnd(r, e, 'Resource');
      } else if (t2 === 18) {
        const e = r.delimited();
        blocks.push([r.pos, e]);
        r.pos = e;
      } else r.skip(t2 & 7);
    }
    checkEnd(r, rEnd, 'resource block');
    for (const [start, end] of blocks) {
      r.pos = start;
      let sc: ScopeInfo = { name: '', version: '' };
      const inner: Array<[number, number]> = [];
      while (r.pos < end) {
        const t3 = r.tag();
        if (t3 === 10) {
          const e = r.delimited();
          sc = scope(r, e);
          checkEnd(r, e, 'InstrumentationScope');
        } else if (t3 === 18) {
          const e = r.delimited();
          inner.push([r.pos, e]);
          r.pos = e;
        } else r.skip(t3 & 7);
      }
      checkEnd(r, end, 'scope block');
      for (const [s0, e0] of inner) {
        r.pos = s0;
        items.push(item(r, e0, res, sc));
      }
    }
    r.pos = rEnd;
  }
  return { items, invalidUtf8: r.invalidUtf8 };
}

/** Decodes an ExportLogsServiceRequest. */
export function decodeLogsProto(buf: Buffer): { logs: LogIn[]; invalidUtf8: number } {
  const { items, invalidUtf8 } = walk(buf, logRecord);
  return { logs: items, invalidUtf8 };
}

// ---- metrics

function numberPoint(r: WireReader, end: number, lazy: boolean): NumberPointIn {
  const p: NumberPointIn = lazy
    ? { attributes: {}, timeMs: 0, value: 0, flags: 0 }
    : { attributes: {}, timeMs: 0, value: 0, flags: 0, attrKey: '' };
  const pointStart = r.pos;
  // The attributes' bytes are usually one contiguous run (exporters write fields in order): slice it once.
  let runStart = -1;
  let runEnd = -1;
  while (r.pos < end) {
    const at = r.pos;
    const t = r.tag();
    switch (t) {
      case 58: {
        const start = at;
        if (lazy) {
          // Skipped for now: a label-cache hit never needs them decoded. Scattered runs are read eagerly.
          if (runStart >= 0 && start !== runEnd) {
            r.pos = pointStart;
            return numberPoint(r, end, false);
          }
          r.pos = r.delimited();
          if (runStart < 0) runStart = start;
          runEnd = r.pos;
          break;
        }
        keyValue(r, r.delimited(), p.attributes);
        if (runStart < 0) runStart = start;
        else if (start !== runEnd) {
          p.attrKey += r.buf.toString('latin1', runStart, runEnd);
          runStart = start;
        }
        runEnd = r.pos;
        break;
      }
      case 25:
        p.timeMs = r.fixed64Ms();
        break;
      case 33:
        p.value = r.double();
        break;
      case 49:
        p.value = r.sfixed64Number();
        break;
      case 64:
        p.flags = r.varint();
        break;
      default:
        r.skip(t & 7);
    }
  }
  checkEnd(r, end, 'NumberDataPoint');
  if (lazy) {
    // No string yet: a point whose series sits where it sat last time is matched by these bytes in place.
    p.raw = r.buf;
    p.rawView = r.view;
    p.rawStart = runStart >= 0 ? runStart : pointStart;
    p.rawEnd = runStart >= 0 ? runEnd : pointStart;
    p.lazy = runStart >= 0;
  } else if (runStart >= 0) p.attrKey += r.buf.toString('latin1', runStart, runEnd);
  return p;
}

/** The point's label-cache key (its encoded attributes, latin1), built from `raw` on first use. */
export function pointKey(p: NumberPointIn | HistogramPointIn): string | undefined {
  const n = p as NumberPointIn;
  if (n.attrKey === undefined && n.raw !== undefined)
    n.attrKey = n.raw.toString('latin1', n.rawStart, n.rawEnd);
  return p.attrKey;
}

/** Encoded attributes laid out for `sameRawKey`: four bytes to a word, little-endian, and the rest. */
export interface EncodedKey {
  readonly length: number;
  readonly words: Int32Array;
  readonly tail: Uint8Array;
}

/** The EncodedKey of a point key (as `pointKey` gives it). */
export function encodedKey(key: string): EncodedKey {
  const b = Buffer.from(key, 'latin1');
  const words = new Int32Array(b.length >> 2);
  for (let i = 0; i < words.length; i++) words[i] = b.readInt32LE(i * 4);
  return { length: b.length, words, tail: b.subarray(words.length * 4) };
}

/**
 * Whether a lazily decoded point's encoded attributes are `key`, compared in place four bytes at a time (no
 * string built: about a third of the time of slicing a string and comparing it, and no garbage).
 */
export function sameRawKey(p: NumberPointIn, key: EncodedKey): boolean {
  const start = p.rawStart as number;
  if ((p.rawEnd as number) - start !== key.length) return false;
  const view = p.rawView as DataView;
  const words = key.words;
  const n = words.length;
  for (let i = 0; i < n; i++) if (view.getInt32(start + i * 4, true) !== words[i]) return false;
  const raw = p.raw as Buffer;
  const tail = key.tail;
  const at = start + n * 4;
  for (let i = 0; i < tail.length; i++) if (raw[at + i] !== tail[i]) return false;
  return true;
}

/**
 * The attributes of a data point, decoding them first when the decoder left them lazy. Throws
 * MalformedPayloadError when those bytes are not valid KeyValues.
 */
export function pointAttributes(p: NumberPointIn, counts?: { invalidUtf8: number }): Attributes {
  if (p.lazy === true) {
    const r = new WireReader(p.raw as Buffer, p.rawStart, p.rawEnd);
    while (r.pos < r.end) {
      const t = r.tag();
      if (t === 58) keyValue(r, r.delimited(), p.attributes);
      else r.skip(t & 7);
    }
    if (counts) counts.invalidUtf8 += r.invalidUtf8;
    p.lazy = false;
  }
  return p.attributes;
}

function packedFixed64(r: WireReader, out: number[], asDouble: boolean): void {
  const e = r.delimited();
  if ((e - r.pos) % 8 !== 0)
    throw new MalformedPayloadError('packed fixed64 field of a length not a multiple of 8');
  while (r.pos < e) out.push(asDouble ? r.double() : r.fixed64Number());
}

function histogramPoint(r: WireReader, end: number): HistogramPointIn {
  const p: HistogramPointIn = {
    attributes: {},
    attrKey: '',
    timeMs: 0,
    count: 0,
    sum: undefined,
    bucketCounts: [],
    explicitBounds: [],
    flags: 0,
  };
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case 74: {
        const start = r.pos;
        keyValue(r, r.delimited(), p.attributes);
        p.attrKey += r.buf.toString('latin1', start, r.pos);
        break;
      }
      case 25:
        p.timeMs = r.fixed64Ms();
        break;
      case 33:
        p.count = r.fixed64Number();
        break;
      case 41:
        p.sum = r.double();
        break;
      case 50:
        packedFixed64(r, p.bucketCounts, false);
        break;
      case 49: // unpacked bucket_counts
        p.bucketCounts.push(r.fixed64Number());
        break;
      case 58:
        packedFixed64(r, p.explicitBounds, true);
        break;
      case 57:
        p.explicitBounds.push(r.double());
        break;
      case 80:
        p.flags = r.varint();
        break;
      default:
        r.skip(t & 7);
    }
  }
  checkEnd(r, end, 'HistogramDataPoint');
  return p;
}

function summaryPoint(r: WireReader, end: number): SummaryPointIn {
  const p: SummaryPointIn = { attributes: {}, timeMs: 0, count: 0, sum: 0, quantiles: [], flags: 0 };
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case 58:
        keyValue(r, r.delimited(), p.attributes);
        break;
      case 25:
        p.timeMs = r.fixed64Ms();
        break;
      case 33:
        p.count = r.fixed64Number();
        break;
      case 41:
        p.sum = r.double();
        break;
      case 50: {
        const e = r.delimited();
        let q = 0;
        let v = 0;
        while (r.pos < e) {
          const t2 = r.tag();
          if (t2 === 9) q = r.double();
          else if (t2 === 17) v = r.double();
          else r.skip(t2 & 7);
        }
        checkEnd(r, e, 'ValueAtQuantile');
        p.quantiles.push([q, v]);
        break;
      }
      case 64:
        p.flags = r.varint();
        break;
      default:
        r.skip(t & 7);
    }
  }
  checkEnd(r, end, 'SummaryDataPoint');
  return p;
}

/** Reads Gauge/Sum/Histogram/Summary bodies: data_points (1), aggregation_temporality (2), is_monotonic (3). */
function metricData(r: WireReader, end: number, m: MetricIn, lazy: boolean): void {
  while (r.pos < end) {
    const t = r.tag();
    if (t === 10) {
      const e = r.delimited();
      if (m.kind === 'gauge' || m.kind === 'sum') m.numberPoints.push(numberPoint(r, e, lazy));
      else if (m.kind === 'histogram') m.histogramPoints.push(histogramPoint(r, e));
      else if (m.kind === 'summary') m.summaryPoints.push(summaryPoint(r, e));
      else {
        m.unsupportedPoints++;
        r.pos = e;
      }
    } else if (t === 16) m.temporality = r.varint();
    else if (t === 24) m.monotonic = r.varint() !== 0;
    else r.skip(t & 7);
  }
  checkEnd(r, end, 'metric data');
}

function metric(r: WireReader, end: number, lazy: boolean): MetricIn {
  const m = emptyMetric();
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case 10:
        m.name = r.string();
        break;
      case 18:
        m.description = r.string();
        break;
      case 26:
        m.unit = r.string();
        break;
      case 42:
        m.kind = 'gauge';
        metricData(r, r.delimited(), m, lazy);
        break;
      case 58:
        m.kind = 'sum';
        metricData(r, r.delimited(), m, lazy);
        break;
      case 74:
        m.kind = 'histogram';
        metricData(r, r.delimited(), m, lazy);
        break;
      case 82:
        m.kind = 'exponential_histogram';
        metricData(r, r.delimited(), m, lazy);
        break;
      case 90:
        m.kind = 'summary';
        metricData(r, r.delimited(), m, lazy);
        break;
      default:
        r.skip(t & 7);
    }
  }
  checkEnd(r, end, 'Metric');
  return m;
}

/**
 * Decodes an ExportMetricsServiceRequest into resources, scopes and metrics. With `lazyAttributes`, gauge and
 * sum points keep their attributes as bytes until `pointAttributes` asks (ingest converts through a label
 * cache keyed by those bytes, so a known series is never decoded again); the bytes are then checked only when
 * decoded.
 */
export function decodeMetricsProto(
  buf: Buffer,
  opts: { lazyAttributes?: boolean } = {},
): {
  resourceMetrics: ResourceMetricsIn[];
  invalidUtf8: number;
} {
  const r = new WireReader(buf);
  const lazy = opts.lazyAttributes === true;
  const out: ResourceMetricsIn[] = [];
  while (r.pos < r.end) {
    const t = r.tag();
    if (t !== 10) {
      r.skip(t & 7);
      continue;
    }
    const rEnd = r.delimited();
    const rm: ResourceMetricsIn = { resource: {}, scopeMetrics: [] };
    const blocks: Array<[number, number]> = [];
    while (r.pos < rEnd) {
      const t2 = r.tag();
      if (t2 === 10) {
        const e = r.delimited();
        rm.resource = resource(r, e);
        checkEnd(r, e, 'Resource');
      } else if (t2 === 18) {
        const e = r.delimited();
        blocks.push([r.pos, e]);
        r.pos = e;
      } else r.skip(t2 & 7);
    }
    checkEnd(r, rEnd, 'ResourceMetrics');
    for (const [start, end] of blocks) {
      r.pos = start;
      const sm = { scope: { name: '', version: '' }, metrics: [] as MetricIn[] };
      while (r.pos < end) {
        const t3 = r.tag();
        if (t3 === 10) {
          const e = r.delimited();
          sm.scope = scope(r, e);
          checkEnd(r, e, 'InstrumentationScope');
        } else if (t3 === 18) {
          sm.metrics.push(metric(r, r.delimited(), lazy));
        } else r.skip(t3 & 7);
      }
      checkEnd(r, end, 'ScopeMetrics');
      rm.scopeMetrics.push(sm);
    }
    r.pos = rEnd;
    out.push(rm);
  }
  return { resourceMetrics: out, invalidUtf8: r.invalidUtf8 };
}
