// Fuzzing of every HTTP route of `qobs up` (the workbench with the plugins `qobs up` mounts, the list read from
// the workbench's own route table so a new route cannot escape): generated methods, paths, query strings,
// headers and bodies, including huge and deeply nested ones, invalid UTF-8, NUL bytes and `..%2f` paths.
// No answer is a 5xx other than the documented 503 with Retry-After, /healthz answers after every case, and the
// resident memory stays bounded across the run.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWorkbench } from '../cli/workbench.js';
import type { RouteInfo, Workbench } from './workbench.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'qobs-fuzz-'));
let wb: Workbench;
let stop: () => Promise<void>;

beforeAll(async () => {
  // The same plugins as `qobs up`: the dashboard, the devices API, alerting (and whatever is added later).
  const stdout = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const launched = await launchWorkbench({
      overrides: { dataDir, port: 0, otlpPort: 0, token: '' },
      json: true,
    });
    wb = launched.wb;
    stop = launched.stop;
  } finally {
    process.stdout.write = stdout;
  }
});
afterAll(async () => {
  await stop?.();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with the path, headers and body exactly as given; reads at most 1 MiB of the answer. */
function send(base: string, method: string, rawPath: string, headers: Record<string, string>, body?: Buffer) {
  const u = new URL(base);
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: Number(u.port),
        method,
        path: rawPath,
        headers,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let n = 0;
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        // A live tail streams for ever: its headers are the answer.
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          res.destroy();
          return done();
        }
        res.on('data', (c: Buffer) => {
          if (n < 1 << 20) chunks.push(c);
          n += c.length;
        });
        res.on('end', done);
        res.on('error', done);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in 10 s to ${method} ${rawPath}`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server may close the connection on a body it refused (413) before reading it all.
      // A body sent with a method that takes none (OPTIONS) can come back as a second answer after the first
      // one's `Connection: close`, which the client refuses to parse (HPE_*): the server answered, twice.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code?.startsWith('HPE_'))
        resolve({ status: -1, headers: {}, body: err.code ?? '' });
      else reject(err);
    });
    if (body) req.write(body);
    req.end();
  });
}

const pct = (bytes: Uint8Array) => Array.from(bytes, (b) => `%${b.toString(16).padStart(2, '0')}`).join('');

const segment = fc.oneof(
  fc.constantFrom(
    '..',
    '%2e%2e',
    '..%2f..%2f',
    '%2f',
    '%5c',
    '%00',
    '%ff%fe',
    '%',
    '%zz',
    '',
    'ab'.repeat(16),
    'local.statevector',
    'x'.repeat(5000),
    '%e2%80%ae',
    '@base64',
    'job',
  ),
  fc.stringMatching(/^[A-Za-z0-9_.~-]{0,20}$/),
  fc.uint8Array({ maxLength: 24 }).map(pct),
);

const QUERY_KEYS = [
  'query',
  'match[]',
  'start',
  'end',
  'step',
  'time',
  'timeout',
  'limit',
  'q',
  'attr',
  'level',
  'trace_id',
  'event_type',
  'service',
  'min_duration_ms',
  'name',
  'filter',
  'active',
  'provider',
  'device',
  'from',
  'to',
  '__proto__',
  'constructor',
];
const queryValue = fc.oneof(
  fc.constantFrom(
    'up',
    'rate(qobs_ingest_requests_total[5m])',
    'sum by (le) (rate(x_bucket[1m]))',
    '{__name__=~".+"}',
    '{a=~"(a+)+$"}',
    'x[100000000d:1s]',
    'count_values("x", up) ** 1e309',
    'NaN',
    '-1',
    '0',
    '1e309',
    '99999999999999999999',
    '2026-13-45T99:99:99Z',
    '"',
    '*',
    'NEAR(a b)',
    'a OR b',
    ' AND ',
    "' OR 1=1 --",
    '$.a',
    'k=v',
    '=',
    'a'.repeat(10_000),
  ),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 16 }).map(pct),
);
const query = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })), queryValue), {
    maxLength: 5,
  })
  .map((pairs) =>
    pairs.length === 0
      ? ''
      : `?${pairs
          .map(([k, v]) => {
            const enc = (s: string) =>
              /^(%[0-9a-f]{2})+$/i.test(s) ? s : encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''));
            return `${enc(k)}=${enc(v)}`;
          })
          .join('&')}`,
  );

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/x-protobuf',
  'application/protobuf',
  'text/plain',
  'text/plain; version=0.0.4',
  'application/x-www-form-urlencoded',
  'application/openmetrics-text',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  '',
  'application/x-protobuf; charset=binary; x=\t',
);
const contentEncoding = fc.constantFrom(
  undefined,
  undefined,
  undefined,
  'gzip',
  'deflate',
  'br',
  'identity',
  'x',
);

const HUGE = Buffer.alloc(17 * 1024 * 1024, 0x61);
const body = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)) },
  { weight: 4, arbitrary: fc.json({ maxDepth: 6 }).map((s) => Buffer.from(s)) },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 1, max: 200_000 })
      .map((d) => Buffer.from(`${'['.repeat(d)}${']'.repeat(d)}`)),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"\u0000"}]}]}]}'),
      Buffer.from('up{job="\u0000"} 1\n'),
      Buffer.from('# TYPE x counter\nx_total{a="\\xff"} NaN\n'),
      Buffer.from('{"matchers":[{"name":"a","value":"b","isRegex":true}],"startsAt":"x","endsAt":"y"}'),
      Buffer.from('[{"labels":{"alertname":"x"}}]'),
      gzipSync(Buffer.from('{"resourceLogs":[]}')),
      gzipSync(Buffer.alloc(4 << 20)),
      Buffer.alloc(1 << 20),
    ),
  },
  { weight: 1, arbitrary: fc.constant(HUGE) },
);
/**
 * Fixed by default so a CI run is repeatable (a failure names its seed and path); QOBS_FUZZ_SEED=random explores
 * new cases, any other number replays that run.
 */
const SEED =
  process.env.QOBS_FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env.QOBS_FUZZ_SEED ?? 20_261_129);
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

function fill(pattern: string, segs: string[], tail: string): string {
  let i = 0;
  return pattern
    .split('/')
    .map((part) => {
      if (part.startsWith(':')) return segs[i++ % segs.length] || 'x';
      if (part === '*') return tail;
      return part;
    })
    .join('/');
}

/**
 * Routes with a known 500 this fuzzer found, handed to their owner with a reproduction below; their 500s are
 * counted, not failed, so the rest of the run still guards every other route. Remove an entry once fixed.
 */
/** Routes with a known, not yet fixed 500 (none now); a case hitting one is counted instead of failing. */
const KNOWN_500: Record<string, string> = {};

/** A 5xx is allowed only where documented: 503 with Retry-After (backpressure, disk full, too many tails). */
function acceptable(a: Answer): boolean {
  if (a.status === -1) return true;
  if (a.status < 500) return a.status >= 100;
  return a.status === 503 && a.headers['retry-after'] !== undefined;
}

describe('HTTP fuzzing of every route', () => {
  it('finds the routes of every mounted module', () => {
    const urls = wb.routes.map((r) => `${r.server} ${r.method} ${r.url}`);
    for (const expected of [
      'otlp POST /v1/traces',
      'otlp POST /v1/metrics',
      'otlp POST /v1/logs',
      'http PUT /metrics/job/*',
      'http GET /api/v1/query',
      'http GET /api/traces/:traceId',
      'http GET /api/logs',
      'http GET /api/v2/alerts',
      'http POST /api/v2/silences',
      'http GET /api/devices/:id',
    ])
      expect(urls).toContain(expected);
  });

  it('answers every generated request without an undocumented 5xx, keeps /healthz up and memory bounded', async () => {
    const routes: RouteInfo[] = [
      ...new Map(wb.routes.map((r) => [`${r.server} ${r.method} ${r.url}`, r])).values(),
    ];
    const perRoute = Math.max(20, Math.ceil(5000 / routes.length));
    let cases = 0;
    let known500 = 0;
    const statuses = new Map<number, number>();
    const rssStartBytes = process.memoryUsage().rss;
    let rssMaxBytes = rssStartBytes;
    for (const route of routes) {
      const base = route.server === 'otlp' ? wb.otlpUrl : wb.url;
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            method: fc.oneof(
              { weight: 5, arbitrary: fc.constant(route.method) },
              { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
            ),
            segs: fc.array(segment, { minLength: 1, maxLength: 3 }),
            tail: fc.array(segment, { maxLength: 6 }).map((s) => s.join('/')),
            query,
            contentType,
            contentEncoding,
            body,
          }),
          async (c) => {
            const headers: Record<string, string> = {};
            if (c.contentType !== undefined) headers['content-type'] = c.contentType;
            if (c.contentEncoding !== undefined) headers['content-encoding'] = c.contentEncoding;
            const sendBody = c.method === 'GET' || c.method === 'HEAD' ? undefined : c.body;
            const p = fill(route.url, c.segs, c.tail) + c.query;
            const a = await send(base, c.method, p, headers, sendBody);
            cases++;
            statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
            if (a.status === 500 && KNOWN_500[route.url]) known500++;
            else
              expect(
                acceptable(a),
                `${c.method} ${p.slice(0, 200)} -> ${a.status} ${a.body.slice(0, 300)}`,
              ).toBe(true);
            const h = await send(wb.url, 'GET', '/healthz', {});
            expect(h.status).toBe(200);
            const rss = process.memoryUsage().rss;
            if (rss > rssMaxBytes) rssMaxBytes = rss;
          },
        ),
        { numRuns: perRoute, seed: SEED + routes.indexOf(route) },
      );
    }
    const otlp = await send(wb.otlpUrl, 'GET', '/healthz', {});
    expect(otlp.status).toBe(200);
    // Bodies are refused at 16 MiB and inflated at most to 64 MiB, one request at a time here: a few such
    // buffers at once is the most the server should hold. 512 MiB above the start is a leak, not a buffer.
    expect(rssMaxBytes - rssStartBytes).toBeLessThan(512 * 1024 * 1024);
    console.log(
      JSON.stringify({
        fuzz: 'http',
        routes: routes.length,
        seed: SEED,
        cases,
        known500,
        statuses: Object.fromEntries(statuses),
        rssStartMiB: Math.round(rssStartBytes / 2 ** 20),
        rssMaxMiB: Math.round(rssMaxBytes / 2 ** 20),
      }),
    );
  }, 120_000);

  it('the costs API answers a time past the Date range with 400, not 500', async () => {
    const a = await send(wb.url, 'GET', '/api/costs?end=99999999999999999999', {});
    expect(a.status).toBe(400);
  });
});
