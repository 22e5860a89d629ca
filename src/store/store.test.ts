import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogIn, SpanIn } from './records.js';
import { isStaleAt, staleNaN } from './series.js';
import { Store } from './store.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'qobs-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = 1_700_000_000_000;

function span(
  traceId: string,
  spanId: string,
  parent = '',
  attrs: Record<string, string | number> = {},
): SpanIn {
  return {
    traceId,
    spanId,
    parentSpanId: parent,
    traceState: '',
    flags: 1,
    name: `op ${spanId}`,
    kind: 1,
    startTimeUnixNano: BigInt(T0) * 1_000_000n + 123n,
    endTimeUnixNano: BigInt(T0 + 250) * 1_000_000n + 456n,
    attributes: attrs,
    events: [{ timeUnixNano: BigInt(T0) * 1_000_000n + 7n, name: 'ev', attributes: { a: 1 } }],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource: { 'service.name': 'svc' },
    scope: { name: 'sc', version: '1' },
  };
}

function log(body: string, attrs: Record<string, string> = {}, traceId = ''): LogIn {
  return {
    timeUnixNano: BigInt(T0) * 1_000_000n,
    observedTimeUnixNano: 0n,
    severityNumber: 9,
    severityText: 'INFO',
    body,
    attributes: attrs,
    flags: 0,
    traceId,
    spanId: '',
    eventName: '',
    resource: { 'service.name': 'svc' },
    scope: { name: '', version: '' },
  };
}

describe('Store', () => {
  it('selects samples across chunks and head, by matcher and range, and after a reopen', () => {
    const dir = tmp();
    let store = Store.open({ dataDir: dir, chunkSamples: 16 });
    for (let i = 0; i < 100; i++) {
      store.ingest({
        samples: [
          { labels: { __name__: 'up', job: 'a' }, t: T0 + i * 1000, v: i },
          { labels: { __name__: 'up', job: 'b' }, t: T0 + i * 1000, v: -i },
          { labels: { __name__: 'other', job: 'a' }, t: T0 + i * 1000, v: 1 },
        ],
      });
    }
    const check = (s: Store) => {
      const r = s.select(
        [
          { name: '__name__', op: '=', value: 'up' },
          { name: 'job', op: '=~', value: 'a|c' },
        ],
        T0 + 10_000,
        T0 + 19_000,
      );
      expect(r).toHaveLength(1);
      expect(r[0].labels).toEqual({ __name__: 'up', job: 'a' });
      expect(Array.from(r[0].timestamps)).toEqual(Array.from({ length: 10 }, (_, i) => T0 + (10 + i) * 1000));
      expect(Array.from(r[0].values)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
      expect(
        s.select([{ name: 'job', op: '!=', value: 'a' }], T0, T0 + 1e6).map((x) => x.labels.job),
      ).toEqual(['b']);
      expect(s.labelValues('job')).toEqual(['a', 'b']);
      expect(s.labelNames()).toEqual(['__name__', 'job']);
      expect(s.series([{ name: '__name__', op: '=', value: 'other' }], T0, T0 + 1)).toEqual([
        { __name__: 'other', job: 'a' },
      ]);
      expect(s.series([{ name: '__name__', op: '=', value: 'other' }], T0 + 1e9, T0 + 2e9)).toEqual([]);
      const all = s.select([{ name: '__name__', op: '=~', value: '.+' }], 0, T0 * 2);
      expect(all.map((x) => x.timestamps.length)).toEqual([100, 100, 100]);
    };
    check(store);
    // Reopen without a clean close: the WAL is replayed.
    store.db.close();
    store = Store.open({ dataDir: dir, chunkSamples: 16 });
    check(store);
    store.close();
    store = Store.open({ dataDir: dir, chunkSamples: 16 });
    check(store);
    store.close();
  });

  it('drops duplicate and out-of-order samples and keeps staleness markers', () => {
    const store = Store.open({ dataDir: tmp() });
    const stale = new Float64Array(1);
    stale[0] = staleNaN();
    const r = store.ingest({
      samples: [
        { labels: { __name__: 'x' }, t: T0, v: 1 },
        { labels: { __name__: 'x' }, t: T0, v: 1 },
        { labels: { __name__: 'x' }, t: T0 - 5, v: 1 },
        { labels: { __name__: 'x' }, t: T0 + 5, v: stale[0] },
      ],
    });
    expect(r).toMatchObject({ samplesAccepted: 2, samplesDuplicate: 1, samplesOutOfOrder: 1 });
    store.checkpoint();
    const [s] = store.select([{ name: '__name__', op: '=', value: 'x' }], T0, T0 + 10);
    expect(isStaleAt(s.values, 1)).toBe(true);
    store.close();
  });

  it('stores spans once and finds them by service, attribute and duration', () => {
    const store = Store.open({ dataDir: tmp() });
    const tid = 'aa'.repeat(16);
    const r1 = store.ingest({
      spans: [
        span(tid, '01'.repeat(8)),
        span(tid, '02'.repeat(8), '01'.repeat(8), { 'quantum.shots': 1024 }),
      ],
    });
    const r2 = store.ingest({ spans: [span(tid, '01'.repeat(8))] });
    expect(r1.spansAccepted).toBe(2);
    expect(r2.spansDuplicate).toBe(1);
    const trace = store.getTrace(tid);
    expect(trace).toHaveLength(2);
    expect(trace[0].startTimeUnixNano).toBe(`${BigInt(T0) * 1_000_000n + 123n}`);
    expect(trace[0].events[0]).toEqual({
      timeUnixNano: `${BigInt(T0) * 1_000_000n + 7n}`,
      name: 'ev',
      attributes: { a: 1 },
    });
    expect(
      store.searchTraces({ service: 'svc', attributes: [['quantum.shots', '1024']] }).map((t) => t.traceId),
    ).toEqual([tid]);
    expect(store.searchTraces({ attributes: [['quantum.shots', '1']] })).toEqual([]);
    expect(store.searchTraces({ minDurationMs: 250 })).toHaveLength(1);
    expect(store.searchTraces({ minDurationMs: 251 })).toHaveLength(0);
    expect(store.searchTraces({ service: 'nope' })).toHaveLength(0);
    store.close();
  });

  it('searches logs by text, level, event type and trace id', () => {
    const store = Store.open({ dataDir: tmp() });
    store.ingest({
      logs: [
        log('circuit ran on torino', { event_type: 'quantum_circuit_execution' }, 'ab'.repeat(16)),
        log('budget exceeded', { event_type: 'quantum_cost_event', level: 'warn' }),
      ],
    });
    expect(store.searchLogs({ q: 'torino' }).map((l) => l.body)).toEqual(['circuit ran on torino']);
    expect(store.searchLogs({ level: 'warn' }).map((l) => l.body)).toEqual(['budget exceeded']);
    expect(store.searchLogs({ eventType: 'quantum_circuit_execution' })).toHaveLength(1);
    expect(store.searchLogs({ traceId: 'AB'.repeat(16) })).toHaveLength(1);
    expect(store.searchLogs({ afterId: 1 }).map((l) => l.body)).toEqual(['budget exceeded']);
    // Text that is not FTS5 syntax is searched as its words, each a quoted phrase; FTS5 syntax keeps its meaning.
    store.ingest({
      logs: [
        log('job-42 ran on local.statevector', {}),
        log('error: timeout after 30 s', {}),
        log('"quoted" word', {}),
      ],
    });
    expect(store.searchLogs({ q: 'local.statevector' }).map((l) => l.body)).toEqual([
      'job-42 ran on local.statevector',
    ]);
    expect(store.searchLogs({ q: 'job-42' }).map((l) => l.body)).toEqual(['job-42 ran on local.statevector']);
    expect(store.searchLogs({ q: 'error: timeout' }).map((l) => l.body)).toEqual([
      'error: timeout after 30 s',
    ]);
    expect(store.searchLogs({ q: '"unbalanced' })).toEqual([]);
    expect(store.searchLogs({ q: '"quoted' }).map((l) => l.body)).toEqual(['"quoted" word']);
    expect(store.searchLogs({ q: 'torino OR budget' })).toHaveLength(2);
    expect(store.searchLogs({ q: 'tor*' }).map((l) => l.body)).toEqual(['circuit ran on torino']);
    store.close();
  });

  it('prunes by age and by the size cap, and counts what it deleted', () => {
    const store = Store.open({ dataDir: tmp(), retentionMs: 3600_000, chunkSamples: 64 });
    const now = T0 + 10 * 3600_000;
    const samples = [];
    for (let i = 0; i < 2000; i++)
      samples.push({ labels: { __name__: 'm', i: String(i % 20) }, t: T0 + i * 20_000, v: i });
    store.ingest({ samples, logs: [log('old')] });
    store.checkpoint();
    store.enforceRetention(now);
    const left = store.select([{ name: '__name__', op: '=', value: 'm' }], 0, now);
    for (const s of left)
      expect(s.timestamps[s.timestamps.length - 1]).toBeGreaterThanOrEqual(now - 3600_000 - 64 * 20 * 20_000);
    const st = store.stats();
    expect(st.retentionDeleted.chunks).toBeGreaterThan(0);
    expect(st.retentionDeleted.logs).toBe(1);
    store.close();
  });

  it('prunes the oldest data first while above the size cap', () => {
    const store = Store.open({ dataDir: tmp(), maxBytes: 600_000, retentionMs: 1e12, chunkSamples: 20 });
    const now = T0 + 200 * 60_000;
    // Values that do not compress (a fixed-seed generator, so every run stores the same bytes).
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let k = 0; k < 200; k++) {
      const samples = [];
      for (let i = 0; i < 200; i++)
        samples.push({ labels: { __name__: 'cap', i: String(i) }, t: T0 + k * 60_000, v: next() });
      store.ingest({
        samples,
        logs: [
          { ...log(`line ${k} ${'x'.repeat(500)}`), timeUnixNano: BigInt(T0 + k * 60_000) * 1_000_000n },
        ],
      });
    }
    store.checkpoint();
    expect(store.usedBytes()).toBeGreaterThan(600_000);
    store.enforceRetention(now);
    expect(store.usedBytes()).toBeLessThanOrEqual(600_000);
    const st = store.stats();
    expect(st.sizeCapDeleted.chunks).toBeGreaterThan(0);
    expect(st.sizeCapDeleted.logs).toBeGreaterThan(0);
    // What is left is the newest data.
    const left = store.select([{ name: '__name__', op: '=', value: 'cap' }], 0, now);
    expect(left.length).toBeGreaterThan(0);
    for (const s of left) expect(s.timestamps[s.timestamps.length - 1]).toBe(T0 + 199 * 60_000);
    const logs = store.searchLogs({ limit: 5000 });
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.length).toBeLessThan(200);
    expect(logs[0].body).toMatch(/^line 199 /);
    expect(store.searchLogs({ q: 'line' }).length).toBe(Math.min(logs.length, 100));
    store.close();
  });

  it('keeps calibration snapshots and jobs', () => {
    const dir = tmp();
    let store = Store.open({ dataDir: dir });
    const a = store.putCalibration('ibm', 'ibm_torino', T0, { t1: [100, 120] });
    const b = store.putCalibration('ibm', 'ibm_torino', T0 + 3600_000, { t1: [90, 110] });
    expect(store.putCalibration('ibm', 'ibm_torino', T0, { ignored: true })).toBe(a);
    store.putJob({
      id: 'job-1',
      provider: 'ibm',
      device: 'ibm_torino',
      status: 'QUEUED',
      createdAtMs: T0,
      updatedAtMs: T0,
      calibrationId: b,
    });
    store.putJob({
      id: 'job-1',
      provider: 'ibm',
      device: 'ibm_torino',
      status: 'DONE',
      createdAtMs: T0,
      updatedAtMs: T0 + 5,
      details: { shots: 1024 },
    });
    store.close();
    store = Store.open({ dataDir: dir });
    expect(store.calibrations('ibm', 'ibm_torino').map((c) => [c.id, c.snapshot])).toEqual([
      [b, { t1: [90, 110] }],
      [a, { t1: [100, 120] }],
    ]);
    expect(store.jobs()).toEqual([
      expect.objectContaining({
        id: 'job-1',
        status: 'DONE',
        calibration_id: b,
        updated_at_ms: T0 + 5,
        details: { shots: 1024 },
      }),
    ]);
    store.close();
  });

  it('reads back exactly the accepted samples whatever the batching, flushing and reopening (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 3 }),
            fc.integer({ min: 0, max: 400 }),
            fc.double({ noNaN: true }),
          ),
          {
            maxLength: 300,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.constantFrom('none', 'checkpoint', 'reopen', 'crash'), { minLength: 1, maxLength: 8 }),
        (raw, cuts, actions) => {
          const dir = tmp();
          let store = Store.open({ dataDir: dir, chunkSamples: 8 });
          // The reference: per series, a sample is kept when its time is after the last kept one.
          const expected = new Map<number, Array<[number, number]>>();
          let pos = 0;
          for (let b = 0; pos < raw.length; b++) {
            const batch = raw.slice(pos, pos + cuts[b % cuts.length]);
            pos += batch.length;
            store.ingest({
              samples: batch.map(([sid, t, v]) => ({
                labels: { __name__: 'p', s: String(sid) },
                t: T0 + t,
                v,
              })),
            });
            for (const [sid, t, v] of batch) {
              const list = expected.get(sid) ?? [];
              if (list.length === 0 || list[list.length - 1][0] < T0 + t) list.push([T0 + t, v]);
              expected.set(sid, list);
            }
            const action = actions[b % actions.length];
            if (action === 'checkpoint') store.checkpoint();
            else if (action === 'reopen') {
              store.close();
              store = Store.open({ dataDir: dir, chunkSamples: 8 });
            } else if (action === 'crash') {
              store.db.close();
              store = Store.open({ dataDir: dir, chunkSamples: 8 });
            }
          }
          const got = store.select([{ name: '__name__', op: '=', value: 'p' }], 0, T0 * 2);
          const asMap = new Map(
            got.map((g) => [Number(g.labels.s), Array.from(g.timestamps, (t, i) => [t, g.values[i]])]),
          );
          expect(asMap).toEqual(expected);
          store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      ),
      { numRuns: 40 },
    );
  });
  it('uses a series slot only for the store that filled it and not after a failed batch took the series out', () => {
    const a = Store.open({ dataDir: tmp() });
    const b = Store.open({ dataDir: tmp() });
    const slot = {};
    const labels = { __name__: 'slotted', k: 'v' };
    a.ingest({ samples: [{ labels, t: T0, v: 1, slot }] });
    b.ingest({
      samples: [
        { labels: { __name__: 'other' }, t: T0, v: 5 },
        { labels, t: T0, v: 2, slot },
      ],
    });
    a.ingest({ samples: [{ labels, t: T0 + 1, v: 3, slot }] });
    const values = (st: Store) =>
      Array.from(st.select([{ name: '__name__', op: '=', value: 'slotted' }], 0, T0 + 10)[0].values);
    expect(values(a)).toEqual([1, 3]);
    expect(values(b)).toEqual([2]);
    // A batch whose commit fails takes its new series out again; the slot must not bring it back.
    const failing = {};
    b.db.exec('ALTER TABLE series_labels RENAME TO series_labels_away');
    expect(() =>
      b.ingest({ samples: [{ labels: { __name__: 'fresh' }, t: T0, v: 7, slot: failing }] }),
    ).toThrow();
    b.db.exec('ALTER TABLE series_labels_away RENAME TO series_labels');
    expect(
      b.ingest({ samples: [{ labels: { __name__: 'fresh' }, t: T0, v: 8, slot: failing }] }).samplesAccepted,
    ).toBe(1);
    expect(b.select([{ name: '__name__', op: '=', value: 'fresh' }], 0, T0 + 10)[0].values[0]).toBe(8);
    expect(b.stats().series).toBe(3);
    a.close();
    b.close();
    const reopened = Store.open({ dataDir: b.dataDir });
    expect(reopened.select([{ name: '__name__', op: '=', value: 'fresh' }], 0, T0 + 10)[0].values[0]).toBe(8);
    reopened.close();
  });
});
