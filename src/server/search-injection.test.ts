// Injection into the search APIs: trace attribute search (a JSON path built from the key), log full-text search
// (FTS5 syntax: quotes, `*`, `NEAR(`, `OR`, column filters) and PromQL label matchers. Generated inputs are
// answered 200 or 400, never 500, and a 200 never returns rows the filter does not mean.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attributes, LogIn, SpanIn } from '../store/index.js';
import { startWorkbench, type Workbench } from './workbench.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'qobs-inject-'));
let wb: Workbench;

const TRACE_ATTRS: Record<string, Attributes> = {
  ['a1'.repeat(16)]: { 'quantum.device': 'ibm.ibm_torino', 'quantum.shots': 1024, 'x.y': 'dot' },
  ['b2'.repeat(16)]: { 'quantum.device': "' OR 1=1 --", 'odd"key': 'v1', "it's": "quote'd" },
  ['c3'.repeat(16)]: { 'quantum.device': 'local.statevector', $: 'dollar', 'a[0]': 'bracket', '%': '_' },
};
const LOGS = [
  { body: 'alpha beta', level: 'info', trace: 'a1'.repeat(16) },
  { body: 'gamma delta', level: 'error', trace: 'b2'.repeat(16) },
  { body: 'quote " inside alpha', level: 'error', trace: '' },
  { body: 'NEAR star* OR AND NOT', level: 'warn', trace: 'c3'.repeat(16) },
];
const JOBS = ['a', 'b"quoted', 'c.*', "d'single", 'e\\back', 'f\nnewline', ''];

beforeAll(async () => {
  wb = await startWorkbench({ dataDir, port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 });
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans: SpanIn[] = Object.entries(TRACE_ATTRS).map(([traceId, attributes], i) => ({
    traceId,
    spanId: `${i}`.padStart(16, '0').replace(/^0/, '1'),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: `root ${i}`,
    kind: 1,
    startTimeUnixNano: now,
    endTimeUnixNano: now + 1000n,
    attributes,
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource: { 'service.name': 'inject' },
    scope: { name: '', version: '' },
  }));
  const logs: LogIn[] = LOGS.map((l) => ({
    timeUnixNano: now,
    observedTimeUnixNano: now,
    severityNumber: 9,
    severityText: l.level.toUpperCase(),
    body: l.body,
    attributes: {},
    flags: 0,
    traceId: l.trace,
    spanId: '',
    eventName: '',
    resource: { 'service.name': 'inject' },
    scope: { name: '', version: '' },
  }));
  const t = Date.now();
  wb.store.ingest({
    spans,
    logs,
    samples: JOBS.filter((j) => j !== '').map((job) => ({ labels: { __name__: 'up', job }, t, v: 1 })),
  });
});
afterAll(async () => {
  await wb.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const get = async (p: string) => {
  const res = await fetch(`${wb.url}${p}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const nasty = fc.oneof(
  fc.constantFrom(
    '"',
    "'",
    '""',
    '$',
    '.',
    '[0]',
    '*',
    '\\',
    '%',
    '_',
    "' OR 1=1 --",
    '") OR 1=1 --',
    '$.a',
    'a"b',
    '\u0000',
    'quantum.device',
    'x.y',
    'odd"key',
    "it's",
    '$',
    'a[0]',
  ),
  fc.string({ maxLength: 12 }),
);

describe('trace attribute search', () => {
  it('finds exactly the trace of each stored attribute, odd keys included', async () => {
    for (const [traceId, attrs] of Object.entries(TRACE_ATTRS))
      for (const [k, v] of Object.entries(attrs)) {
        const r = await get(`/api/traces?attr=${encodeURIComponent(`${k}=${v}`)}`);
        expect(r.status, `${k}=${v}`).toBe(200);
        const ids = (r.body.traces as Array<{ traceId: string }>).map((t) => t.traceId);
        // Values are compared as text: other traces may share a value only where they share the pair.
        const expected = Object.entries(TRACE_ATTRS)
          .filter(([, a]) => a[k] !== undefined && String(a[k]) === String(v))
          .map(([id]) => id);
        expect(ids.sort(), `${k}=${v}`).toEqual(expected.sort());
        expect(ids).toContain(traceId);
      }
  });

  it('answers generated keys and values 200 or 400, and a 200 holds only traces with that pair', async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(nasty, nasty), { minLength: 1, maxLength: 2 }), async (pairs) => {
        const qs = pairs.map(([k, v]) => `attr=${encodeURIComponent(`${k}=${v}`)}`).join('&');
        const r = await get(`/api/traces?${qs}`);
        cases++;
        expect([200, 400], JSON.stringify(r.body)).toContain(r.status);
        if (r.status !== 200) return;
        for (const t of r.body.traces as Array<{ traceId: string }>) {
          const attrs = TRACE_ATTRS[t.traceId];
          for (const [k, v] of pairs) expect(attrs[k] !== undefined && String(attrs[k]) === v).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    expect(cases).toBe(300);
  });
});

describe('log full-text search', () => {
  const fts = fc.oneof(
    fc.constantFrom(
      '"',
      '""',
      '*',
      'alpha*',
      'NEAR(',
      'NEAR(alpha beta)',
      'NEAR(alpha beta, 1)',
      'OR',
      'AND',
      'NOT',
      '(',
      ')',
      ':',
      'body:',
      'body:alpha',
      'attributes:x',
      'nocolumn:x',
      '^',
      '+',
      '-',
      '{body}:alpha',
      'alpha',
      'gamma',
      'star',
      "'",
      '\\',
      '\u0000',
    ),
    fc.string({ maxLength: 8 }),
  );

  it('finds a quoted word exactly, and FTS syntax in the text of a record', async () => {
    const r = await get(`/api/logs?q=${encodeURIComponent('"alpha"')}`);
    expect(r.status).toBe(200);
    expect((r.body.logs as Array<{ body: string }>).map((l) => l.body).sort()).toEqual([
      'alpha beta',
      'quote " inside alpha',
    ]);
    const near = await get(`/api/logs?q=${encodeURIComponent('"NEAR" "star"')}`);
    expect((near.body.logs as Array<{ body: string }>).map((l) => l.body)).toEqual(['NEAR star* OR AND NOT']);
  });

  it('answers generated FTS5 queries 200 or 400, and never lets them widen the other filters', async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fts, { minLength: 1, maxLength: 5 }).map((p) => p.join(' ')),
        fc.constantFrom('error', 'info', 'warn'),
        fc.boolean(),
        async (q, level, byTrace) => {
          const trace = 'b2'.repeat(16);
          const r = await get(
            `/api/logs?q=${encodeURIComponent(q)}&level=${level}${byTrace ? `&trace_id=${trace}` : ''}`,
          );
          cases++;
          expect([200, 400], `${q}: ${JSON.stringify(r.body)}`).toContain(r.status);
          if (r.status !== 200) return;
          for (const l of r.body.logs as Array<{ level: string; traceId: string }>) {
            expect(l.level).toBe(level);
            if (byTrace) expect(l.traceId).toBe(trace);
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(cases).toBe(400);
  });
});

describe('label matchers', () => {
  const promString = (s: string) => JSON.stringify(s);

  it('matches each stored label value exactly, escapes included', async () => {
    for (const job of JOBS.filter((j) => j !== '')) {
      const r = await get(`/api/v1/series?match[]=${encodeURIComponent(`up{job=${promString(job)}}`)}`);
      expect(r.status, job).toBe(200);
      expect(
        (r.body.data as Array<{ job: string }>).map((s) => s.job),
        job,
      ).toEqual([job]);
    }
  });

  it('answers generated matcher values and raw selectors 200 or 400, and equality returns only that value', async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        nasty,
        fc.constantFrom('=', '!=', '=~', '!~'),
        fc.boolean(),
        async (value, op, raw) => {
          // raw: the value pasted into the selector unescaped, as an injection attempt would.
          const sel = raw ? `up{job${op}"${value}"}` : `up{job${op}${promString(value)}}`;
          const r = await get(`/api/v1/series?match[]=${encodeURIComponent(sel)}`);
          const q = await get(`/api/v1/query?query=${encodeURIComponent(`count(${sel})`)}`);
          cases++;
          expect([200, 400], `${sel}: ${JSON.stringify(r.body)}`).toContain(r.status);
          expect([200, 400, 422], `${sel}: ${JSON.stringify(q.body)}`).toContain(q.status);
          if (r.status === 200 && op === '=' && !raw)
            for (const s of r.body.data as Array<{ job: string }>) expect(s.job).toBe(value);
          if (r.status === 200 && op === '!=' && !raw)
            for (const s of r.body.data as Array<{ job: string }>) expect(s.job).not.toBe(value);
        },
      ),
      { numRuns: 300 },
    );
    expect(cases).toBe(300);
  });
});
