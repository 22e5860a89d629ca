import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttrValue, LogIn, SpanIn } from '../store/index.js';
import type { MetricIn, ResourceMetricsIn } from './model.js';
import { emptyMetric } from './model.js';
import {
  decodeContentEncoding,
  decodeOtlp,
  encodeResponse,
  mediaKind,
  newOtlpStats,
  OtlpRequestError,
} from './otlp.js';
import { encodeLogsProto, encodeMetricsProto, encodeTracesProto } from './otlp-encode.js';
import { decodeTracesJson } from './otlp-json.js';
import { decodeLogsProto, decodeMetricsProto, decodeTracesProto } from './otlp-proto.js';
import { convertMetrics, prometheusMetricName } from './prom-names.js';
import { WireReader } from './wire.js';
import { MalformedPayloadError } from './wire.js';
import { gzipSync } from 'node:zlib';

const hex = (n: number) =>
  fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'));
const attrValue: fc.Arbitrary<AttrValue> = fc.letrec<{ v: AttrValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'grapheme' }),
    fc.boolean(),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.double({ noNaN: true }).filter((d) => !Number.isSafeInteger(d)),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie('v'), { maxKeys: 3 }),
  ),
})).v;
const attrs = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), attrValue, { maxKeys: 5 });
const nanos = fc.bigInt({ min: 1n, max: 2n ** 63n });

const resource = { 'service.name': 'svc' };
const scope = { name: 'lib', version: '1' };

const spanArb: fc.Arbitrary<SpanIn> = fc.record({
  traceId: hex(16),
  spanId: hex(8),
  parentSpanId: fc.oneof(fc.constant(''), hex(8)),
  traceState: fc.string(),
  flags: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  name: fc.string({ unit: 'grapheme' }),
  kind: fc.integer({ min: 0, max: 5 }),
  startTimeUnixNano: nanos,
  endTimeUnixNano: nanos,
  attributes: attrs,
  events: fc.array(fc.record({ timeUnixNano: nanos, name: fc.string(), attributes: attrs }), {
    maxLength: 2,
  }),
  links: fc.array(
    fc.record({ traceId: hex(16), spanId: hex(8), traceState: fc.string(), attributes: attrs }),
    { maxLength: 2 },
  ),
  statusCode: fc.integer({ min: 0, max: 2 }),
  statusMessage: fc.string(),
  resource: fc.constant(resource),
  scope: fc.constant(scope),
});

const logArb: fc.Arbitrary<LogIn> = fc.record({
  timeUnixNano: nanos,
  observedTimeUnixNano: nanos,
  severityNumber: fc.integer({ min: 0, max: 24 }),
  severityText: fc.string(),
  body: attrValue,
  attributes: attrs,
  flags: fc.integer({ min: 0, max: 255 }),
  traceId: fc.oneof(fc.constant(''), hex(16)),
  spanId: fc.oneof(fc.constant(''), hex(8)),
  eventName: fc.string(),
  resource: fc.constant(resource),
  scope: fc.constant(scope),
});

describe('OTLP protobuf decoding', () => {
  it('decodes what the encoder writes: spans (property)', () => {
    fc.assert(
      fc.property(fc.array(spanArb, { maxLength: 5 }), (spans) => {
        expect(decodeTracesProto(encodeTracesProto(spans)).spans).toEqual(spans);
      }),
      { numRuns: 100 },
    );
  });

  it('decodes what the encoder writes: logs (property)', () => {
    fc.assert(
      fc.property(fc.array(logArb, { maxLength: 5 }), (logs) => {
        expect(decodeLogsProto(encodeLogsProto(logs)).logs).toEqual(logs);
      }),
      { numRuns: 100 },
    );
  });

  it('decodes gauges, sums, histograms and summaries', () => {
    const sum: MetricIn = {
      ...emptyMetric(),
      name: 'jobs',
      unit: '1',
      kind: 'sum',
      monotonic: true,
      temporality: 2,
    };
    sum.numberPoints = [{ attributes: { a: 'x' }, timeMs: 1_700_000_000_123, value: 7, flags: 0 }];
    const gauge: MetricIn = { ...emptyMetric(), name: 'temp', kind: 'gauge' };
    gauge.numberPoints = [{ attributes: {}, timeMs: 1_700_000_000_000, value: 1.5, flags: 1 }];
    const hist: MetricIn = { ...emptyMetric(), name: 'lat', unit: 'ms', kind: 'histogram', temporality: 2 };
    hist.histogramPoints = [
      {
        attributes: {},
        timeMs: 1_700_000_000_000,
        count: 6,
        sum: 12.5,
        bucketCounts: [1, 2, 3],
        explicitBounds: [1, 10],
        flags: 0,
      },
    ];
    const summ: MetricIn = { ...emptyMetric(), name: 'rt', kind: 'summary' };
    summ.summaryPoints = [
      {
        attributes: {},
        timeMs: 1_700_000_000_000,
        count: 3,
        sum: 9,
        quantiles: [
          [0.5, 2],
          [0.99, 5],
        ],
        flags: 0,
      },
    ];
    const rms: ResourceMetricsIn[] = [
      { resource, scopeMetrics: [{ scope, metrics: [sum, gauge, hist, summ] }] },
    ];
    const decoded = decodeMetricsProto(encodeMetricsProto(rms)).resourceMetrics;
    for (const m of decoded[0].scopeMetrics[0].metrics) {
      for (const p of [...m.numberPoints, ...m.histogramPoints]) {
        expect(typeof p.attrKey).toBe('string');
        delete p.attrKey;
      }
    }
    expect(decoded).toEqual(rms);
    const c = convertMetrics(rms);
    const byName = (n: string) => c.samples.filter((s) => s.labels.__name__ === n);
    expect(byName('jobs_total')[0]).toMatchObject({
      t: 1_700_000_000_123,
      v: 7,
      labels: { a: 'x', job: 'svc', otel_scope_name: 'lib' },
    });
    expect(Number.isNaN(byName('temp')[0].v)).toBe(true);
    expect(byName('lat_milliseconds_bucket').map((s) => [s.labels.le, s.v])).toEqual([
      ['1', 1],
      ['10', 3],
      ['+Inf', 6],
    ]);
    expect(byName('rt').map((s) => [s.labels.quantile, s.v])).toEqual([
      ['0.5', 2],
      ['0.99', 5],
    ]);
    expect(c.metadata.get('jobs_total')?.type).toBe('counter');
  });

  it('never fails with anything but a malformed-payload error on corrupted or truncated input (property)', () => {
    fc.assert(
      fc.property(
        fc.array(spanArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (spans, flips, cut) => {
          const buf = Buffer.from(encodeTracesProto(spans));
          for (const [i, b] of flips) buf[i % buf.length] = b;
          const truncated = buf.subarray(0, cut % (buf.length + 1));
          for (const input of [buf, truncated]) {
            try {
              decodeTracesProto(input);
              decodeLogsProto(input);
              decodeMetricsProto(input);
            } catch (err) {
              expect(err).toBeInstanceOf(MalformedPayloadError);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('counts invalid UTF-8 and stores the replacement character', () => {
    const span: SpanIn = {
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      parentSpanId: '',
      traceState: '',
      flags: 0,
      name: 'MARKER',
      kind: 1,
      startTimeUnixNano: 1n,
      endTimeUnixNano: 2n,
      attributes: { k: 'VALUE' },
      events: [],
      links: [],
      statusCode: 0,
      statusMessage: '',
      resource,
      scope,
    };
    const buf = encodeTracesProto([span]);
    const i = buf.indexOf('VALUE');
    buf[i + 1] = 0xff;
    const d = decodeTracesProto(buf);
    expect(d.invalidUtf8).toBe(1);
    expect(d.spans[0].attributes.k).toBe('V\uFFFDLUE');
  });
});

describe('OTLP/JSON decoding', () => {
  it('accepts hex and base64 ids, string int64s and enum integers', () => {
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 's' } }] },
          scopeSpans: [
            {
              scope: { name: 'x' },
              spans: [
                {
                  traceId: '5B8EFFF798038103D269B633813FC60C',
                  spanId: 'EEE19B7EC3C1B174',
                  name: 'a',
                  kind: 2,
                  startTimeUnixNano: '1544712660000000000',
                  endTimeUnixNano: 1544712661000000000,
                  attributes: [{ key: 'n', value: { intValue: '42' } }],
                },
                {
                  traceId: Buffer.alloc(16, 1).toString('base64'),
                  spanId: Buffer.alloc(8, 2).toString('base64'),
                  name: 'b',
                },
              ],
            },
          ],
        },
      ],
    };
    const spans = decodeTracesJson(body);
    expect(spans[0]).toMatchObject({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      kind: 2,
      startTimeUnixNano: 1544712660000000000n,
      attributes: { n: 42 },
    });
    expect(spans[1]).toMatchObject({ traceId: '01'.repeat(16), spanId: '02'.repeat(8) });
    expect(() =>
      decodeTracesJson({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'xyz' }] }] }] }),
    ).toThrow(MalformedPayloadError);
    expect(() => decodeTracesJson({ resourceSpans: {} })).toThrow(MalformedPayloadError);
  });

  it('maps request errors to statuses', () => {
    const stats = newOtlpStats();
    expect(() => mediaKind('text/plain')).toThrow(expect.objectContaining({ status: 415 }));
    expect(mediaKind('application/json; charset=utf-8')).toBe('json');
    expect(() => decodeOtlp('traces', 'json', Buffer.from('{"resourceSpans": ['), stats)).toThrow(
      expect.objectContaining({ status: 400 }),
    );
    expect(() => decodeOtlp('logs', 'json', Buffer.from([0x7b, 0xff, 0x7d]), stats)).toThrow(
      OtlpRequestError,
    );
    const bomb = gzipSync(Buffer.alloc(10_000_000));
    expect(() => decodeContentEncoding(bomb, 'gzip', 1_000_000)).toThrow(
      expect.objectContaining({ status: 413 }),
    );
    expect(() => decodeContentEncoding(Buffer.from('not gzip'), 'gzip', 1_000_000)).toThrow(
      expect.objectContaining({ status: 400 }),
    );
    expect(() => decodeContentEncoding(Buffer.from('x'), 'br', 1_000_000)).toThrow(
      expect.objectContaining({ status: 415 }),
    );
    const r = encodeResponse('traces', 'json', 2, 'why');
    expect(JSON.parse(r.body as string)).toEqual({
      partialSuccess: { rejectedSpans: '2', errorMessage: 'why' },
    });
  });
});

describe('OTLP to Prometheus names', () => {
  it('follows the compatibility specification', () => {
    expect(prometheusMetricName('http.server.duration', 's', 'other')).toBe('http_server_duration_seconds');
    expect(prometheusMetricName('quantum.circuit.executions', '{execution}', 'counter')).toBe(
      'quantum_circuit_executions_total',
    );
    expect(prometheusMetricName('system.memory.usage', 'By', 'gauge')).toBe('system_memory_usage_bytes');
    expect(prometheusMetricName('cpu.utilization', '1', 'gauge')).toBe('cpu_utilization_ratio');
    expect(prometheusMetricName('speed', 'm/s', 'gauge')).toBe('speed_meters_per_second');
    expect(prometheusMetricName('requests_total', '', 'counter')).toBe('requests_total');
    expect(prometheusMetricName('latency_seconds', 's', 'other')).toBe('latency_seconds');
    expect(prometheusMetricName('2xx.count', '', 'gauge')).toBe('_2xx_count');
  });
});

describe('nanosecond timestamps to milliseconds', () => {
  it('is exact where dividing the double would land 1 ms low', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (ns) => {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(ns);
        expect(new WireReader(b).fixed64Ms()).toBe(Number(ns / 1_000_000n));
      }),
    );
    // The value the durability test met: 1795914495658 ms written as nanoseconds.
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(1795914495658n * 1_000_000n);
    expect(new WireReader(b).fixed64Ms()).toBe(1795914495658);
  });
});

describe('attribute keys', () => {
  it('keeps an attribute named __proto__ as an attribute (protobuf and JSON)', () => {
    const attributes = JSON.parse('{"__proto__": "x", "a": 1}');
    const logs = [
      {
        timeUnixNano: 1n,
        observedTimeUnixNano: 1n,
        severityNumber: 0,
        severityText: '',
        body: {},
        attributes,
        flags: 0,
        traceId: '00000000000000000000000000000000',
        spanId: '',
        eventName: '',
        resource: { 'service.name': 'svc' },
        scope: { name: 'lib', version: '1' },
      },
    ];
    const back = decodeLogsProto(encodeLogsProto(logs as never)).logs[0].attributes as Record<
      string,
      unknown
    >;
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});
