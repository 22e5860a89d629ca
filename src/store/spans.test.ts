import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import type { Attributes, SpanIn } from './records.js';
import { CORE_MIGRATIONS } from './schema.js';
import { attributeText } from './spans.js';
import { Store } from './store.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'qobs-spans-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0_NS = 1_700_000_000_000n * 1_000_000n;
const RES = { 'service.name': 'svc', 'service.instance.id': 'i-1' };
const SCOPE = { name: 'sc', version: '1' };

function hex(n: number, bytes: number): string {
  return n.toString(16).padStart(bytes * 2, '0');
}

function span(trace: number, id: number, o: Partial<SpanIn> = {}): SpanIn {
  return {
    traceId: `ab${hex(trace, 15)}`,
    spanId: hex(id + 1, 8),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: `op ${id}`,
    kind: 1,
    startTimeUnixNano: T0_NS + BigInt(id) * 1_000_000n + 7n,
    endTimeUnixNano: T0_NS + BigInt(id) * 1_000_000n + 2_000_000n,
    attributes: { 'quantum.shots': 1024, 'quantum.device': 'local.statevector', i: id },
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource: RES,
    scope: SCOPE,
    ...o,
  };
}

describe('span groups', () => {
  it('stores each span once, whether repeated within a batch, across batches or after a reopen', () => {
    const dir = tmp();
    let store = Store.open({ dataDir: dir });
    const a = [span(1, 0), span(1, 1, { parentSpanId: hex(1, 8) }), span(2, 2)];
    expect(store.ingest({ spans: [...a, a[0]] })).toMatchObject({ spansAccepted: 3, spansDuplicate: 1 });
    expect(store.ingest({ spans: [a[1], span(1, 3)] })).toMatchObject({
      spansAccepted: 1,
      spansDuplicate: 1,
    });
    store.close();
    store = Store.open({ dataDir: dir });
    expect(store.ingest({ spans: a })).toMatchObject({ spansAccepted: 0, spansDuplicate: 3 });
    const t = store.getTrace(a[0].traceId);
    expect(t.map((s) => s.spanId)).toEqual([hex(1, 8), hex(2, 8), hex(4, 8)]);
    expect(t[1]).toMatchObject({
      traceId: a[0].traceId,
      parentSpanId: hex(1, 8),
      service: 'svc',
      startTimeUnixNano: String(a[1].startTimeUnixNano),
      durationMs: Number(a[1].endTimeUnixNano - a[1].startTimeUnixNano) / 1e6,
      attributes: a[1].attributes,
      resource: RES,
      scope: SCOPE,
    });
    // The view gives SQL readers one row per span, as the table before groups did.
    expect(store.db.prepare('SELECT COUNT(*) FROM spans').pluck().get()).toBe(4);
    const row = store.db
      .prepare(
        `SELECT trace_id, span_id, start_ns, duration_ns, status_code, json_extract(attributes, '$."quantum.shots"') AS shots
         FROM spans WHERE span_id = ?`,
      )
      .safeIntegers(true)
      .get(hex(2, 8)) as Record<string, unknown>;
    expect(row).toEqual({
      trace_id: a[0].traceId,
      span_id: hex(2, 8),
      start_ns: a[1].startTimeUnixNano,
      duration_ns: a[1].endTimeUnixNano - a[1].startTimeUnixNano,
      status_code: 0n,
      shots: 1024n,
    });
    store.close();
  });

  it('searches newest first by the latest matching span, with limit, time range, duration and attributes', () => {
    const store = Store.open({ dataDir: tmp() });
    // Trace t has spans at t*10 .. t*10+9 ms; each batch holds several traces.
    for (let b = 0; b < 5; b++) {
      const spans: SpanIn[] = [];
      for (let t = b * 4; t < b * 4 + 4; t++)
        for (let k = 0; k < 10; k++)
          spans.push(
            span(t, t * 10 + k, {
              attributes: { parity: t % 2 === 0 ? 'even' : 'odd', k },
              statusCode: k === 9 ? 2 : 0,
              parentSpanId: k === 0 ? '' : hex(t * 10 + 1, 8),
              endTimeUnixNano: T0_NS + BigInt(t * 10 + k) * 1_000_000n + BigInt(k) * 1_000_000n,
              resource: { 'service.name': t < 10 ? 'low' : 'high' },
            }),
          );
      store.ingest({ spans });
    }
    const ids = (q: Parameters<Store['searchTraces']>[0]) =>
      store.searchTraces(q).map((s) => Number.parseInt(s.traceId.slice(2), 16));
    expect(ids({ limit: 3 })).toEqual([19, 18, 17]);
    expect(ids({ service: 'low', limit: 3 })).toEqual([9, 8, 7]);
    expect(ids({ attributes: [['parity', 'even']], limit: 2 })).toEqual([18, 16]);
    expect(ids({ attributes: [['k', '3']], limit: 2 })).toEqual([19, 18]);
    const ms = 1_700_000_000_000;
    expect(ids({ startMs: ms + 50, endMs: ms + 71 })).toEqual([7, 6, 5]);
    // Span k lasts k ms less 7 ns: the longest, 9 ms less 7 ns, in every trace.
    expect(ids({ minDurationMs: 8.99, limit: 1 })).toEqual([19]);
    expect(ids({ minDurationMs: 9 })).toEqual([]);
    // Keys that JSON escapes or that are not ASCII, and a key present only in an event, not on the span.
    const odd = 'we"ird é/\\key';
    store.ingest({
      spans: [
        span(40, 400, { attributes: { [odd]: true } }),
        span(41, 410, { events: [{ timeUnixNano: T0_NS, name: 'e', attributes: { only_event: 'x' } }] }),
      ],
    });
    expect(ids({ attributes: [[odd, '1']] })).toEqual([40]);
    expect(ids({ attributes: [['only_event', 'x']] })).toEqual([]);
    const [s] = store.searchTraces({ limit: 1, service: 'high' });
    expect(s).toEqual({
      traceId: `ab${hex(19, 15)}`,
      rootName: 'op 190',
      service: 'high',
      startTimeUnixNano: String(T0_NS + 190n * 1_000_000n + 7n),
      durationMs: (18 * 1_000_000 - 7) / 1e6,
      spanCount: 10,
      errorCount: 1,
    });
    store.close();
  });

  it('deletes whole groups by age and counts their spans', () => {
    const store = Store.open({ dataDir: tmp(), retentionMs: 1000 });
    store.ingest({ spans: [span(1, 0), span(1, 1), span(2, 5000)] });
    store.enforceRetention(1_700_000_000_000 + 3000);
    expect(store.stats().retentionDeleted.spans).toBe(2);
    expect(store.getTrace(span(1, 0).traceId)).toEqual([]);
    expect(store.getTrace(span(2, 0).traceId)).toHaveLength(1);
    store.close();
  });

  it('moves spans of a database written before groups into groups, keeping every field', () => {
    const dir = tmp();
    // A database at core schema version 1, with spans as rows.
    const db = new Database(path.join(dir, 'qobs.db'));
    migrate(db, 'core', CORE_MIGRATIONS.slice(0, 1));
    const ins = db.prepare('INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const tid = 'cd'.repeat(16);
    const ev = JSON.stringify([{ timeUnixNano: String(T0_NS + 3n), name: 'e', attributes: { x: 'y' } }]);
    ins.run(
      tid,
      '01'.repeat(8),
      '',
      'root',
      2,
      'svc',
      T0_NS,
      T0_NS + 5n,
      5n,
      2,
      'bad',
      'ts',
      1,
      '{"a":1}',
      ev,
      '[]',
      '{"service.name":"svc"}',
      '{"name":"s","version":""}',
    );
    ins.run(
      tid,
      '02'.repeat(8),
      '01'.repeat(8),
      'child',
      1,
      'svc',
      T0_NS + 1n,
      T0_NS + 4n,
      3n,
      0,
      '',
      '',
      0,
      '{"big":12345678901234}',
      '[]',
      '[]',
      '{"service.name":"svc"}',
      '{"name":"s","version":""}',
    );
    db.close();
    const store = Store.open({ dataDir: dir });
    const t = store.getTrace(tid);
    expect(t).toEqual([
      {
        traceId: tid,
        spanId: '01'.repeat(8),
        parentSpanId: '',
        name: 'root',
        kind: 2,
        service: 'svc',
        startTimeUnixNano: String(T0_NS),
        endTimeUnixNano: String(T0_NS + 5n),
        durationMs: 5e-6,
        status: { code: 2, message: 'bad' },
        traceState: 'ts',
        flags: 1,
        attributes: { a: 1 },
        events: [{ timeUnixNano: String(T0_NS + 3n), name: 'e', attributes: { x: 'y' } }],
        links: [],
        resource: { 'service.name': 'svc' },
        scope: { name: 's', version: '' },
      },
      expect.objectContaining({ spanId: '02'.repeat(8), attributes: { big: 12345678901234 } }),
    ]);
    expect(
      store.ingest({ spans: [span(0, 0, { traceId: tid, spanId: '02'.repeat(8) })] }).spansDuplicate,
    ).toBe(1);
    expect(store.searchTraces({ attributes: [['a', '1']] }).map((s) => s.errorCount)).toEqual([1]);
    store.close();
  });

  it('reads back exactly the spans it accepted, whatever the batching (property)', () => {
    const dir = tmp();
    const store = Store.open({ dataDir: dir });
    let round = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            trace: fc.integer({ min: 0, max: 3 }),
            id: fc.integer({ min: 0, max: 20 }),
            svc: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 7 }),
        (items, batchSize) => {
          round++;
          const expected = new Map<string, Set<string>>();
          let accepted = 0;
          const all = items.map(({ trace, id, svc }) => {
            const s = span(round * 10 + trace, id, { resource: svc ? RES : { 'service.name': 'other' } });
            let set = expected.get(s.traceId);
            if (!set) {
              set = new Set();
              expected.set(s.traceId, set);
            }
            set.add(s.spanId);
            return s;
          });
          for (let i = 0; i < all.length; i += batchSize) {
            const r = store.ingest({ spans: all.slice(i, i + batchSize) });
            expect(r.spansAccepted + r.spansDuplicate).toBe(Math.min(batchSize, all.length - i));
            accepted += r.spansAccepted;
          }
          let n = 0;
          for (const [traceId, ids] of expected) {
            const got = store.getTrace(traceId).map((s) => s.spanId);
            expect(new Set(got)).toEqual(ids);
            expect(got).toHaveLength(ids.size);
            n += ids.size;
          }
          expect(accepted).toBe(n);
        },
      ),
      { numRuns: 60 },
    );
    store.close();
  });

  it('matches attribute values as SQLite text casts them (property)', () => {
    const db = new Database(':memory:');
    const cast = db.prepare("SELECT CAST(json_extract(?, '$.v') AS TEXT)").pluck();
    const value = fc.oneof(
      fc.string(),
      fc.boolean(),
      fc.integer(),
      fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
      fc.array(fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
      fc.constant(null),
    );
    fc.assert(
      fc.property(value, (v) => {
        const attrs: Attributes = { v };
        expect(attributeText(attrs.v)).toBe((cast.get(JSON.stringify(attrs)) as string | null) ?? undefined);
      }),
      { numRuns: 300 },
    );
    db.close();
  });
});
