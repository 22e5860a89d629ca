// A small OTLP protobuf encoder from qobs' model: used to forward data and by tests and the ingest benchmark
// (the decoders' round-trip partner). Builds nested messages bottom-up as Buffers.
import type { AttrValue, Attributes, LogIn, ScopeInfo, SpanIn } from '../store/index.js';
import type { MetricIn, ResourceMetricsIn } from './model.js';

function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 128n) {
    out.push(Number(v & 127n) | 128);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

const tag = (field: number, wire: number) => varint(field * 8 + wire);

function ld(field: number, body: Buffer): Buffer {
  return Buffer.concat([tag(field, 2), varint(body.length), body]);
}

function str(field: number, s: string): Buffer {
  return s === '' ? Buffer.alloc(0) : ld(field, Buffer.from(s, 'utf8'));
}

function hexBytes(field: number, hex: string): Buffer {
  return hex === '' ? Buffer.alloc(0) : ld(field, Buffer.from(hex, 'hex'));
}

function fixed64(field: number, v: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
  return Buffer.concat([tag(field, 1), b]);
}

function sfixed64(field: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(v));
  return Buffer.concat([tag(field, 1), b]);
}

function double(field: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return Buffer.concat([tag(field, 1), b]);
}

function fixed32(field: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return Buffer.concat([tag(field, 5), b]);
}

function uvarintField(field: number, v: number): Buffer {
  return v === 0 ? Buffer.alloc(0) : Buffer.concat([tag(field, 0), varint(v)]);
}

function anyValue(v: AttrValue): Buffer {
  if (typeof v === 'string') return ld(1, Buffer.from(v, 'utf8'));
  if (typeof v === 'boolean') return Buffer.concat([tag(2, 0), varint(v ? 1 : 0)]);
  if (typeof v === 'number') {
    return Number.isSafeInteger(v) ? Buffer.concat([tag(3, 0), varint(v)]) : double(4, v);
  }
  if (Array.isArray(v)) return ld(5, Buffer.concat(v.map((x) => ld(1, anyValue(x)))));
  if (v === null) return Buffer.alloc(0);
  return ld(6, Buffer.concat(Object.entries(v).map(([k, x]) => ld(1, keyValue(k, x)))));
}

function keyValue(k: string, v: AttrValue): Buffer {
  return Buffer.concat([str(1, k), ld(2, anyValue(v))]);
}

function attributes(field: number, attrs: Attributes): Buffer {
  return Buffer.concat(Object.entries(attrs).map(([k, v]) => ld(field, keyValue(k, v))));
}

function scope(s: ScopeInfo): Buffer {
  return Buffer.concat([str(1, s.name), str(2, s.version)]);
}

function span(s: SpanIn): Buffer {
  return Buffer.concat([
    hexBytes(1, s.traceId),
    hexBytes(2, s.spanId),
    str(3, s.traceState),
    hexBytes(4, s.parentSpanId),
    str(5, s.name),
    uvarintField(6, s.kind),
    fixed64(7, s.startTimeUnixNano),
    fixed64(8, s.endTimeUnixNano),
    attributes(9, s.attributes),
    ...s.events.map((e) =>
      ld(11, Buffer.concat([fixed64(1, e.timeUnixNano), str(2, e.name), attributes(3, e.attributes)])),
    ),
    ...s.links.map((l) =>
      ld(
        13,
        Buffer.concat([
          hexBytes(1, l.traceId),
          hexBytes(2, l.spanId),
          str(3, l.traceState),
          attributes(4, l.attributes),
        ]),
      ),
    ),
    ld(15, Buffer.concat([str(2, s.statusMessage), uvarintField(3, s.statusCode)])),
    s.flags !== 0 ? fixed32(16, s.flags) : Buffer.alloc(0),
  ]);
}

/** Groups items by (resource, scope) object identity, as they were decoded. */
function group<T extends { resource: Attributes; scope: ScopeInfo }>(
  items: readonly T[],
): Array<[Attributes, Array<[ScopeInfo, T[]]>]> {
  const out: Array<[Attributes, Array<[ScopeInfo, T[]]>]> = [];
  for (const it of items) {
    let r = out.find((x) => x[0] === it.resource);
    if (!r) {
      r = [it.resource, []];
      out.push(r);
    }
    let s = r[1].find((x) => x[0] === it.scope);
    if (!s) {
      s = [it.scope, []];
      r[1].push(s);
    }
    s[1].push(it);
  }
  return out;
}

/** Encodes spans as an ExportTraceServiceRequest. */
export function encodeTracesProto(spans: readonly SpanIn[]): Buffer {
  return Buffer.concat(
    group(spans).map(([res, scopes]) =>
      ld(
        1,
        Buffer.concat([
          ld(1, attributes(1, res)),
          ...scopes.map(([sc, ss]) =>
            ld(2, Buffer.concat([ld(1, scope(sc)), ...ss.map((s) => ld(2, span(s)))])),
          ),
        ]),
      ),
    ),
  );
}

function logRecord(l: LogIn): Buffer {
  return Buffer.concat([
    fixed64(1, l.timeUnixNano),
    uvarintField(2, l.severityNumber),
    str(3, l.severityText),
    l.body === null ? Buffer.alloc(0) : ld(5, anyValue(l.body)),
    attributes(6, l.attributes),
    l.flags !== 0 ? fixed32(8, l.flags) : Buffer.alloc(0),
    hexBytes(9, l.traceId),
    hexBytes(10, l.spanId),
    fixed64(11, l.observedTimeUnixNano),
    str(12, l.eventName),
  ]);
}

/** Encodes log records as an ExportLogsServiceRequest. */
export function encodeLogsProto(logs: readonly LogIn[]): Buffer {
  return Buffer.concat(
    group(logs).map(([res, scopes]) =>
      ld(
        1,
        Buffer.concat([
          ld(1, attributes(1, res)),
          ...scopes.map(([sc, ls]) =>
            ld(2, Buffer.concat([ld(1, scope(sc)), ...ls.map((l) => ld(2, logRecord(l)))])),
          ),
        ]),
      ),
    ),
  );
}

const NS = 1_000_000n;

function metric(m: MetricIn): Buffer {
  const head = Buffer.concat([str(1, m.name), str(2, m.description), str(3, m.unit)]);
  const temporality = uvarintField(2, m.temporality);
  switch (m.kind) {
    case 'gauge':
    case 'sum': {
      const points = m.numberPoints.map((p) =>
        ld(
          1,
          Buffer.concat([
            attributes(7, p.attributes),
            fixed64(3, BigInt(p.timeMs) * NS),
            Number.isSafeInteger(p.value) && !Object.is(p.value, -0)
              ? sfixed64(6, p.value)
              : double(4, p.value),
            uvarintField(8, p.flags),
          ]),
        ),
      );
      if (m.kind === 'gauge') return Buffer.concat([head, ld(5, Buffer.concat(points))]);
      return Buffer.concat([
        head,
        ld(7, Buffer.concat([...points, temporality, uvarintField(3, m.monotonic ? 1 : 0)])),
      ]);
    }
    case 'histogram': {
      const points = m.histogramPoints.map((p) => {
        const counts = Buffer.alloc(p.bucketCounts.length * 8);
        for (let i = 0; i < p.bucketCounts.length; i++)
          counts.writeBigUInt64LE(BigInt(p.bucketCounts[i]), i * 8);
        const bounds = Buffer.alloc(p.explicitBounds.length * 8);
        for (let i = 0; i < p.explicitBounds.length; i++) bounds.writeDoubleLE(p.explicitBounds[i], i * 8);
        return ld(
          1,
          Buffer.concat([
            attributes(9, p.attributes),
            fixed64(3, BigInt(p.timeMs) * NS),
            fixed64(4, p.count),
            p.sum === undefined ? Buffer.alloc(0) : double(5, p.sum),
            counts.length ? ld(6, counts) : Buffer.alloc(0),
            bounds.length ? ld(7, bounds) : Buffer.alloc(0),
            uvarintField(10, p.flags),
          ]),
        );
      });
      return Buffer.concat([head, ld(9, Buffer.concat([...points, temporality]))]);
    }
    case 'summary': {
      const points = m.summaryPoints.map((p) =>
        ld(
          1,
          Buffer.concat([
            attributes(7, p.attributes),
            fixed64(3, BigInt(p.timeMs) * NS),
            fixed64(4, p.count),
            double(5, p.sum),
            ...p.quantiles.map(([q, v]) => ld(6, Buffer.concat([double(1, q), double(2, v)]))),
            uvarintField(8, p.flags),
          ]),
        ),
      );
      return Buffer.concat([head, ld(11, Buffer.concat(points))]);
    }
    default:
      return head;
  }
}

/** Encodes metrics as an ExportMetricsServiceRequest. */
export function encodeMetricsProto(rms: readonly ResourceMetricsIn[]): Buffer {
  return Buffer.concat(
    rms.map((rm) =>
      ld(
        1,
        Buffer.concat([
          ld(1, attributes(1, rm.resource)),
          ...rm.scopeMetrics.map((sm) =>
            ld(2, Buffer.concat([ld(1, scope(sm.scope)), ...sm.metrics.map((m) => ld(2, metric(m)))])),
          ),
        ]),
      ),
    ),
  );
}
