import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { IngestBatch, SpanIn } from '../store/index.js';
import { Store, StoreError } from '../store/index.js';
import type { MetricIn } from './model.js';
import { emptyMetric } from './model.js';
import { newOtlpStats, OtlpIngestQueue, OtlpRequestError } from './otlp.js';
import { encodeMetricsProto, encodeTracesProto } from './otlp-encode.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'qobs-queue-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = 1_700_000_000_000;

function gauge(dev: string, timeMs: number): Buffer {
  const m: MetricIn = { ...emptyMetric(), name: 'q_gauge', kind: 'gauge' };
  m.numberPoints.push({ attributes: { dev }, timeMs, value: timeMs, flags: 0 });
  return encodeMetricsProto([
    {
      resource: { 'service.name': 'svc' },
      scopeMetrics: [{ scope: { name: '', version: '' }, metrics: [m] }],
    },
  ]);
}

function span(trace: number, id: number): SpanIn {
  return {
    traceId: `cc${trace.toString(16).padStart(30, '0')}`,
    spanId: (id + 1).toString(16).padStart(16, '0'),
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: 'op',
    kind: 1,
    startTimeUnixNano: BigInt(T0) * 1_000_000n,
    endTimeUnixNano: BigInt(T0 + 1) * 1_000_000n,
    attributes: {},
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource: { 'service.name': 'svc' },
    scope: { name: '', version: '' },
  };
}

describe('group commit', () => {
  it('writes a group as its batches one after the other would have been written (property)', () => {
    const sample = fc.record({ s: fc.integer({ min: 0, max: 3 }), t: fc.integer({ min: 0, max: 6 }) });
    const batch = fc.record({
      samples: fc.array(sample, { maxLength: 6 }),
      spans: fc.array(
        fc.record({ trace: fc.integer({ min: 0, max: 2 }), id: fc.integer({ min: 0, max: 4 }) }),
        {
          maxLength: 4,
        },
      ),
    });
    fc.assert(
      fc.property(fc.array(batch, { minLength: 1, maxLength: 5 }), (bs) => {
        const toBatch = (b: (typeof bs)[number]): IngestBatch => ({
          samples: b.samples.map(({ s, t }) => ({
            labels: { __name__: 'm', s: String(s) },
            t: T0 + t,
            v: t,
          })),
          spans: b.spans.map(({ trace, id }) => span(trace, id)),
        });
        const grouped = Store.open({ dataDir: tmp() });
        const oneByOne = Store.open({ dataDir: tmp() });
        const g = grouped.ingestMany(bs.map(toBatch));
        const o = bs.map((b) => oneByOne.ingest(toBatch(b)));
        expect(g).toEqual(o);
        const all = (st: Store) =>
          st
            .select([{ name: '__name__', op: '=', value: 'm' }], 0, T0 + 10)
            .map((x) => [x.labels.s, [...x.values]]);
        expect(all(grouped)).toEqual(all(oneByOne));
        expect(grouped.db.prepare('SELECT COUNT(*) FROM spans').pluck().get()).toBe(
          oneByOne.db.prepare('SELECT COUNT(*) FROM spans').pluck().get(),
        );
        grouped.close();
        oneByOne.close();
      }),
      { numRuns: 40 },
    );
  });

  it('undoes every batch of a group whose commit fails; a retry stores each item once', () => {
    const store = Store.open({ dataDir: tmp() });
    const batches: IngestBatch[] = [
      { samples: [{ labels: { __name__: 'a' }, t: T0, v: 1 }], spans: [span(1, 1)] },
      { samples: [{ labels: { __name__: 'b' }, t: T0, v: 2 }] },
    ];
    store.db.exec('ALTER TABLE series_labels RENAME TO away');
    expect(() => store.ingestMany(batches)).toThrow(StoreError);
    store.db.exec('ALTER TABLE away RENAME TO series_labels');
    expect(store.stats().series).toBe(0);
    const r = store.ingestMany(batches);
    expect(r.map((x) => [x.samplesAccepted, x.spansAccepted])).toEqual([
      [1, 1],
      [1, 0],
    ]);
    expect(store.stats().series).toBe(2);
    store.close();
  });

  it('answers concurrent OTLP requests after one commit, each with its own partial success', async () => {
    const store = Store.open({ dataDir: tmp() });
    const q = new OtlpIngestQueue(store, 3);
    const stats = newOtlpStats();
    const proto = 'application/x-protobuf';
    const answers = await Promise.all([
      q.ingest('metrics', proto, undefined, gauge('1', T0 + 10), 1e6, stats),
      q.ingest('metrics', proto, undefined, gauge('1', T0 + 5), 1e6, stats), // older than the first: rejected
      q.ingest('traces', proto, undefined, encodeTracesProto([span(2, 1), span(2, 2)]), 1e6, stats),
      q.ingest('metrics', proto, undefined, gauge('2', T0), 1e6, stats), // a fourth: the next commit
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers[0].body).toEqual(Buffer.alloc(0));
    expect((answers[1].body as Buffer).toString('latin1')).toMatch(/older than their series' latest/);
    expect(q.counts).toEqual({ commits: 2, requests: 4 });
    expect(stats.accepted).toEqual({ traces: 2, metrics: 2, logs: 0 });
    expect(stats.rejected.metrics).toBe(1);
    // A malformed request is refused at once, without waiting for a commit.
    await expect(
      q.ingest('metrics', proto, undefined, Buffer.from([0x0a, 0x05]), 1e6, stats),
    ).rejects.toThrow(OtlpRequestError);
    // A failed commit fails every request of its group.
    store.db.exec('ALTER TABLE series_labels RENAME TO away');
    const failed = await Promise.allSettled([
      q.ingest('metrics', proto, undefined, gauge('3', T0), 1e6, stats),
      q.ingest('metrics', proto, undefined, gauge('4', T0), 1e6, stats),
    ]);
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    store.db.exec('ALTER TABLE away RENAME TO series_labels');
    store.close();
  });
});
