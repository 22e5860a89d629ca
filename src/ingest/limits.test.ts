import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ownMetricsText, RateTracker } from '../server/self-metrics.js';
import { Store } from '../store/index.js';
import type { MetricIn, ResourceMetricsIn } from './model.js';
import { emptyMetric } from './model.js';
import { decodeOtlp, ingestOtlp, newOtlpStats, OtlpRequestError } from './otlp.js';
import { encodeMetricsProto } from './otlp-encode.js';
import { decodeMetricsProto } from './otlp-proto.js';
import { convertMetrics } from './prom-names.js';
import { handlePush } from './push.js';
import { WireReader } from './wire.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'qobs-limits-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = 1_700_000_000_000;
const sample = (name: string, dev: string, t: number) => ({ labels: { __name__: name, dev }, t, v: 1 });

function gaugeRequest(name: string, devices: string[], timeMs: number): ResourceMetricsIn[] {
  const m: MetricIn = { ...emptyMetric(), name, kind: 'gauge' };
  for (const d of devices) m.numberPoints.push({ attributes: { dev: d }, timeMs, value: 1, flags: 0 });
  return [
    {
      resource: { 'service.name': 'svc' },
      scopeMetrics: [{ scope: { name: '', version: '' }, metrics: [m] }],
    },
  ];
}

describe('ingest limits', () => {
  it('keeps a metric at its series limit, drops and counts what goes over, also after a reopen', () => {
    const dir = tmp();
    let store = Store.open({ dataDir: dir, maxSeriesPerMetric: 3 });
    let r = store.ingest({
      samples: [sample('a', '1', T0), sample('a', '2', T0), sample('a', '3', T0), sample('b', '1', T0)],
    });
    expect(r).toMatchObject({ samplesAccepted: 4, samplesSeriesLimit: 0 });
    r = store.ingest({ samples: [sample('a', '4', T0 + 1), sample('a', '1', T0 + 1), sample('b', '2', T0)] });
    expect(r).toMatchObject({ samplesAccepted: 2, samplesSeriesLimit: 1 });
    store.close();
    store = Store.open({ dataDir: dir, maxSeriesPerMetric: 3 });
    r = store.ingest({ samples: [sample('a', '5', T0 + 2), sample('a', '3', T0 + 2)] });
    expect(r).toMatchObject({ samplesAccepted: 1, samplesSeriesLimit: 1 });
    expect(store.stats()).toMatchObject({ samplesSeriesLimit: 1, series: 5 });
    expect(store.series([{ name: '__name__', op: '=', value: 'a' }], 0, T0 + 10)).toHaveLength(3);
    store.close();
  });

  it('drops samples whose new series has a label value over the length limit', () => {
    const store = Store.open({ dataDir: tmp(), maxLabelValueLength: 8 });
    const r = store.ingest({
      samples: [
        sample('m', 'x'.repeat(8), T0),
        sample('m', 'x'.repeat(9), T0),
        sample('m'.repeat(9), 'y', T0),
      ],
    });
    expect(r).toMatchObject({ samplesAccepted: 1, samplesLabelValueTooLong: 2 });
    expect(store.stats().samplesLabelValueTooLong).toBe(2);
    expect(() => Store.open({ dataDir: tmp(), maxSeriesPerMetric: 0 })).toThrow(/maxSeriesPerMetric/);
    store.close();
  });

  it('reports drops as OTLP partial success (protobuf and JSON), on the push answer and on /metrics', () => {
    const store = Store.open({ dataDir: tmp(), maxSeriesPerMetric: 2, maxLabelValueLength: 16 });
    const stats = newOtlpStats();
    const body = encodeMetricsProto(gaugeRequest('g', ['1', '2', '3', 'z'.repeat(17)], T0));
    const res = ingestOtlp(store, 'metrics', 'application/x-protobuf', undefined, body, 1e6, stats);
    expect(res.status).toBe(200);
    // ExportMetricsPartialSuccess{rejected_data_points = 2, error_message}.
    const b = res.body as Buffer;
    const r = new WireReader(b);
    expect(r.tag()).toBe(0x0a);
    r.delimited();
    expect([r.tag(), r.varint()]).toEqual([0x08, 2]);
    expect(b.toString('latin1')).toMatch(/limit of 2 series \(limits\.max_series_per_metric\)/);
    expect(b.toString('latin1')).toMatch(/longer than 16 characters/);
    const json = JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'g',
                  gauge: {
                    dataPoints: [
                      {
                        attributes: [{ key: 'dev', value: { stringValue: '9' } }],
                        timeUnixNano: `${T0 + 1}000000`,
                        asDouble: 1,
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const rj = ingestOtlp(store, 'metrics', 'application/json', undefined, Buffer.from(json), 1e6, stats);
    expect(JSON.parse(rj.body as string)).toEqual({
      partialSuccess: {
        rejectedDataPoints: '1',
        errorMessage: expect.stringMatching(/max_series_per_metric/),
      },
    });
    const push = handlePush(store, 'PUT', 'job/batch', 'g{dev="p"} 1\nother 2\n', T0 + 5);
    expect(push.status).toBe(200);
    expect(push.body).toMatch(/^1 sample\(s\) dropped: .*limit of 2 series/);
    const text = ownMetricsText(
      store,
      stats,
      { scrapes: 0, failures: 0 } as never,
      { inflight: 0, droppedBackpressure: 0, pushRequests: 0, httpErrors: 0 },
      new RateTracker(),
    );
    expect(text).toContain('qobs_ingest_dropped_total{reason="series_limit"} 3\n');
    expect(text).toContain('qobs_ingest_dropped_total{reason="label_value_too_long"} 1\n');
    store.close();
  });

  it('converts lazily decoded points through the label caches to the samples built afresh (property)', () => {
    // Few distinct values, so that points often differ in one byte only.
    const value = fc.oneof(
      {
        arbitrary: fc.constantFrom<string | number | boolean>('x', 'y', 'xy', 'yx', 0, 1, 2, 3, true, false),
        weight: 6,
      },
      { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
      { arbitrary: fc.integer(), weight: 1 },
    );
    const point = fc.record({
      attributes: fc.dictionary(fc.constantFrom('a', 'b', 'c.d', 'service.name'), value, { maxKeys: 3 }),
      timeMs: fc.integer({ min: 1, max: 2 ** 40 }),
      value: fc.double({ noNaN: true }),
      flags: fc.constantFrom(0, 1),
    });
    // Several requests of the same metric in turn, mostly with the same first point (so they share one point
    // order): a point meets, at its position, the series of another request's point (often with encoded
    // attributes of the same length), as well as its own.
    const requests = fc.array(fc.array(point, { maxLength: 8 }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(
        requests,
        point,
        fc.boolean(),
        fc.constantFrom('gauge', 'sum'),
        (reqs, first, lead, kind) => {
          const bodies = reqs.map((rest) => {
            const points = lead ? [first, ...rest] : rest;
            const m: MetricIn = { ...emptyMetric(), name: 'x.y', kind, temporality: 2, monotonic: true };
            m.numberPoints = points;
            return encodeMetricsProto([
              {
                resource: { 'service.name': 's' },
                scopeMetrics: [{ scope: { name: 'l', version: '' }, metrics: [m] }],
              },
            ]);
          });
          // Twice round: the second conversion hits the label cache for every point.
          for (let i = 0; i < 2; i++) {
            for (const body of bodies) {
              const lazy = convertMetrics(decodeMetricsProto(body, { lazyAttributes: true }).resourceMetrics);
              // The reference builds every label set afresh: points without a key bypass the label caches.
              const rms = decodeMetricsProto(body).resourceMetrics;
              for (const p of rms[0].scopeMetrics[0].metrics[0].numberPoints) delete p.attrKey;
              const eager = convertMetrics(rms);
              expect(lazy.samples.map((s) => [s.labels, s.t, s.v])).toEqual(
                eager.samples.map((s) => [s.labels, s.t, s.v]),
              );
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('counts invalid UTF-8 in metric attributes that lazy decoding skipped', () => {
    const body = encodeMetricsProto(gaugeRequest('utf8_check', ['VALUE'], T0));
    body[body.indexOf('VALUE') + 1] = 0xff;
    const stats = newOtlpStats();
    const d = decodeOtlp('metrics', 'protobuf', body, stats);
    expect(stats.invalidUtf8).toBe(1);
    expect(d.batch.samples?.[0].labels.dev).toBe('V\uFFFDLUE');
  });

  it('refuses malformed attribute bytes that lazy decoding skipped, as a 400', () => {
    const body = encodeMetricsProto(gaugeRequest('bad_attr', ['ok-1'], T0));
    // Turn the attribute's value (AnyValue string, tag 0x0a) into a field of wire type 7, which is invalid.
    const at = body.indexOf(Buffer.from('ok-1')) - 2;
    expect(body[at]).toBe(0x0a);
    body[at] = 0x0f;
    expect(() => decodeOtlp('metrics', 'protobuf', body, newOtlpStats())).toThrow(OtlpRequestError);
  });
});
