// A full disk during ingest: SQLite answers SQLITE_FULL (the store's database is capped with PRAGMA
// max_page_count, which fails writes exactly as a full disk does). OTLP and push answer 503 with Retry-After
// and a reason, reads keep working, nothing acknowledged is missing, the file passes integrity_check, and
// ingest succeeds again once space returns; also the same classification for a disk that cannot grow under
// `qobs up` (a file size limit, RLIMIT_FSIZE).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyMetric, encodeMetricsProto, encodeTracesProto } from '../ingest/index.js';
import type { SpanIn } from '../store/index.js';
import { Store } from '../store/index.js';
import { runQobs, startQobsUp, stopQobsProcesses } from '../testing/qobs-process.js';
import { stopProgram } from '../testing/system.js';
import { classifyStorageFault, storeOpenError } from './storage-faults.js';
import { startWorkbench } from './workbench.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'qobs-full-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await stopQobsProcesses();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function spans(traceId: string, n: number, padBytes: number): SpanIn[] {
  const now = BigInt(Date.now()) * 1_000_000n;
  return Array.from({ length: n }, (_, i) => ({
    traceId,
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: `fill ${i}`,
    kind: 1,
    startTimeUnixNano: now,
    endTimeUnixNano: now + 1000n,
    attributes: { pad: randomBytes(padBytes / 2).toString('hex') },
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource: { 'service.name': 'full-disk' },
    scope: { name: '', version: '' },
  }));
}

function metricsBody(series: string, baseMs: number, n: number): Uint8Array<ArrayBuffer> {
  const m = { ...emptyMetric(), name: 'full_disk_probe', kind: 'gauge' as const };
  m.numberPoints = Array.from({ length: n }, (_, k) => ({
    attributes: { series },
    timeMs: baseMs + k * 1000,
    value: k,
    flags: 0,
  }));
  return new Uint8Array(
    encodeMetricsProto([
      {
        resource: { 'service.name': 'full-disk' },
        scopeMetrics: [{ scope: { name: '', version: '' }, metrics: [m] }],
      },
    ]),
  );
}

function logsBody(marker: string): string {
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'full-disk' } }] },
        scopeLogs: [
          {
            logRecords: [
              {
                timeUnixNano: `${Date.now()}000000`,
                body: { stringValue: `marker${marker} ${'x'.repeat(600)}` },
              },
            ],
          },
        ],
      },
    ],
  });
}

describe('storage fault classification', () => {
  it('maps SQLite codes anywhere in the cause chain to a status and a reason', () => {
    const sqlite = (code: string) => Object.assign(new Error('x'), { code });
    const wrapped = (code: string) => new Error('writing the batch failed', { cause: sqlite(code) });
    expect(classifyStorageFault(wrapped('SQLITE_FULL'))).toMatchObject({ status: 503, reason: 'disk_full' });
    expect(classifyStorageFault(wrapped('SQLITE_IOERR_WRITE'))).toMatchObject({
      status: 503,
      reason: 'io_error',
    });
    expect(classifyStorageFault(sqlite('SQLITE_BUSY'))).toMatchObject({ status: 503, reason: 'busy' });
    expect(classifyStorageFault(sqlite('SQLITE_READONLY'))).toMatchObject({
      status: 503,
      reason: 'read_only',
    });
    expect(classifyStorageFault(sqlite('SQLITE_CORRUPT'))).toMatchObject({ status: 500, reason: 'corrupt' });
    expect(classifyStorageFault(sqlite('SQLITE_CONSTRAINT_UNIQUE'))).toBeUndefined();
    expect(classifyStorageFault(new Error('plain'))).toBeUndefined();
    const open = storeOpenError('/d/qobs.db', wrapped('SQLITE_NOTADB'));
    expect(open.code).toBe('store_corrupt');
    expect(open.message).toContain('/d/qobs.db');
    expect(open.message).toContain('.recover');
    expect(storeOpenError('/d/qobs.db', sqlite('SQLITE_FULL')).code).toBe('store_disk_full');
    expect(storeOpenError('/d/qobs.db', new Error('EACCES')).code).toBe('store_open_failed');
  });
});

describe('a full disk during ingest', () => {
  it('answers 503 with Retry-After, keeps reads and acknowledged data, and recovers', async () => {
    const dataDir = tmp();
    const wb = await startWorkbench({ dataDir, port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 });
    const acked = {
      traces: [] as string[],
      logs: [] as string[],
      metrics: [] as string[],
      push: [] as string[],
    };
    const refused: Array<{ kind: string; id: string }> = [];
    const baseMs = Date.now() - 600_000;
    const send = async (kind: 'traces' | 'logs' | 'metrics' | 'push', id: string): Promise<Response> => {
      if (kind === 'traces')
        return fetch(`${wb.otlpUrl}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: new Uint8Array(encodeTracesProto(spans(id, 4, 800))),
        });
      if (kind === 'logs')
        return fetch(`${wb.otlpUrl}/v1/logs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: logsBody(id),
        });
      if (kind === 'metrics')
        return fetch(`${wb.otlpUrl}/v1/metrics`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: metricsBody(id, baseMs, 20),
        });
      return fetch(`${wb.url}/metrics/job/full/req/${id}`, { method: 'PUT', body: `full_push_probe 1\n` });
    };
    const kinds = ['traces', 'logs', 'metrics', 'push'] as const;
    const newId = (kind: string) =>
      kind === 'traces' ? randomBytes(16).toString('hex') : randomBytes(6).toString('hex');
    try {
      for (const kind of kinds) {
        const id = newId(kind);
        expect((await send(kind, id)).status).toBe(200);
        acked[kind].push(id);
      }
      // No room beyond the pages the file has: every write needing a new page fails with SQLITE_FULL.
      const pages = wb.store.db.pragma('page_count', { simple: true }) as number;
      wb.store.db.pragma(`max_page_count = ${pages}`);
      const firstRefusal: Record<string, Response | undefined> = {};
      for (const kind of kinds) {
        for (let i = 0; i < 400 && !firstRefusal[kind]; i++) {
          const id = newId(kind);
          const res = await send(kind, id);
          if (res.status === 200) acked[kind].push(id);
          else {
            expect(res.status, `${kind}: ${await res.clone().text()}`).toBe(503);
            firstRefusal[kind] = res;
            refused.push({ kind, id });
          }
        }
        expect(firstRefusal[kind], `${kind} never refused`).toBeDefined();
      }
      for (const kind of kinds) {
        const res = firstRefusal[kind]!;
        expect(res.headers.get('retry-after')).toBe('30');
        const text = Buffer.from(await res.arrayBuffer()).toString('utf8');
        expect(text, kind).toMatch(/disk .* is full \(SQLITE_FULL\)/);
        // JSON answers carry the reason as a field; protobuf ones a google.rpc.Status with the message.
        if (kind === 'logs' || kind === 'push') expect(JSON.parse(text).reason).toBe('disk_full');
      }
      // Once full, every further write of each kind is refused the same way.
      for (const kind of kinds) {
        const id = newId(kind);
        const res = await send(kind, id);
        expect(res.status).toBe(503);
        refused.push({ kind, id });
      }
      // Reads keep working.
      expect((await fetch(`${wb.url}/api/traces/${acked.traces[0]}`)).status).toBe(200);
      expect((await fetch(`${wb.url}/api/logs?q=marker${acked.logs[0]}`)).status).toBe(200);
      const q = await fetch(
        `${wb.url}/api/v1/query?query=count(full_disk_probe)&time=${(baseMs + 19_000) / 1000}`,
      );
      expect(q.status).toBe(200);
      expect(
        ((await q.json()) as { data: { result: Array<{ value: [number, string] }> } }).data.result[0]
          .value[1],
      ).toBe(String(acked.metrics.length));
      const metrics = await (await fetch(`${wb.url}/metrics`)).text();
      expect(metrics).toMatch(/qobs_storage_failures_total\{reason="disk_full"\} ([1-9]\d*)/);
      expect(wb.store.db.pragma('integrity_check', { simple: true })).toBe('ok');

      // Space returns: the refused requests, resent as a client would, are stored, and new ones too.
      wb.store.db.pragma('max_page_count = 1073741823');
      for (const r of refused) {
        const res = await send(r.kind as (typeof kinds)[number], r.id);
        expect(res.status, `${r.kind} after recovery`).toBe(200);
        acked[r.kind as (typeof kinds)[number]].push(r.id);
      }
    } finally {
      await wb.close();
    }
    const store = Store.open({ dataDir });
    try {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      for (const t of acked.traces) expect(store.getTrace(t)).toHaveLength(4);
      for (const id of acked.logs) expect(store.searchLogs({ q: `marker${id}` })).toHaveLength(1);
      for (const id of acked.metrics) {
        const r = store.select(
          [
            { name: '__name__', op: '=', value: 'full_disk_probe' },
            { name: 'series', op: '=', value: id },
          ],
          0,
          Date.now(),
        );
        expect(r).toHaveLength(1);
        expect(r[0].timestamps).toHaveLength(20);
      }
      for (const id of acked.push) {
        const r = store.select(
          [
            { name: '__name__', op: '=', value: 'full_push_probe' },
            { name: 'req', op: '=', value: id },
          ],
          0,
          Date.now() + 1000,
        );
        expect(r, id).toHaveLength(1);
      }
    } finally {
      store.close();
    }
  }, 60_000);
});

describe('qobs up on a database file that cannot grow', () => {
  it('starts, serves reads, answers ingest 503 once the file is full, and loses nothing acknowledged', async () => {
    const dataDir = tmp();
    const seed = Store.open({ dataDir });
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 100; i++)
      seed.ingest({
        spans: spans(randomBytes(16).toString('hex'), 5, 400),
        samples: [{ labels: { __name__: 'seeded', i: String(i) }, t: t0, v: i }],
      });
    seed.close();
    const limitKiB = Math.ceil(statSync(path.join(dataDir, 'qobs.db')).size / 1024);
    // RLIMIT_FSIZE: no file of this process may grow past the database's current size (Node ignores SIGXFSZ,
    // so SQLite sees EFBIG or a short write, as on a full disk).
    const { child, url } = await startQobsUp(dataDir, ['--no-alerts'], { fileSizeLimitKiB: limitKiB });
    const acked: string[] = [];
    let refusal: Response | undefined;
    for (let i = 0; i < 3000 && !refusal; i++) {
      const id = randomBytes(6).toString('hex');
      const res = await fetch(`${url}/metrics/job/limited/req/${id}`, {
        method: 'PUT',
        body: `limited_probe{pad="${'p'.repeat(500)}"} ${i}\n`,
      });
      if (res.status === 200) acked.push(id);
      else refusal = res;
    }
    expect(refusal, 'the file limit was never reached').toBeDefined();
    expect(refusal!.status).toBe(503);
    expect(Number(refusal!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(['disk_full', 'io_error']).toContain(((await refusal!.json()) as { reason: string }).reason);
    const q = await fetch(`${url}/api/v1/query?query=count(seeded)&time=${t0 / 1000}`);
    expect(q.status).toBe(200);
    expect(
      ((await q.json()) as { data: { result: Array<{ value: [number, string] }> } }).data.result[0].value[1],
    ).toBe('100');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await stopProgram(child, 'SIGTERM', 10_000);

    const store = Store.open({ dataDir });
    try {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      for (const id of acked) {
        const r = store.select(
          [
            { name: '__name__', op: '=', value: 'limited_probe' },
            { name: 'req', op: '=', value: id },
          ],
          0,
          Date.now() + 1000,
        );
        expect(r, id).toHaveLength(1);
      }
    } finally {
      store.close();
    }
  }, 90_000);
});

describe('qobs up where the database cannot be created', () => {
  it('exits 2 with store_disk_full naming the file, without a stack trace', async () => {
    const dataDir = tmp();
    const { code, stderr } = await runQobs(
      ['up', '--data', dataDir, '--port', '0', '--otlp-port', '0', '--json'],
      {
        fileSizeLimitKiB: 0,
      },
    );
    expect(code).toBe(2);
    expect(stderr).toContain(`the database ${path.join(dataDir, 'qobs.db')} could not be written at start`);
    expect(stderr).toMatch(/Free space on its disk/);
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe('a full disk after the commit', () => {
  // `ingest` commits a batch, then flushes the heads (a checkpoint once they hold headMaxSamples). When that
  // flush fails for a full disk, the batch is still answered as stored (the flush is counted and retried after
  // the next commit): a 503 there would make its client resend what is stored, and log records have no
  // duplicate check.
  it('stores a log batch once when its client resends only what was refused', () => {
    const store = Store.open({ dataDir: tmp(), headMaxSamples: 1000 });
    try {
      store.ingest({
        samples: Array.from({ length: 999 }, (_, i) => ({
          labels: { __name__: 'm', i: String(i) },
          t: 1000,
          v: i,
        })),
      });
      store.db.pragma(`max_page_count = ${store.db.pragma('page_count', { simple: true })}`);
      // The 1000th sample's commit fits the pages there are; its checkpoint does not, and must not fail it.
      const r = store.ingest({ samples: [{ labels: { __name__: 'm', i: '0' }, t: 2000, v: 1 }] });
      expect(r.samplesAccepted).toBe(1);
      expect(store.stats().deferredFlushFailures).toBeGreaterThan(0);
      const now = BigInt(Date.now()) * 1_000_000n;
      const batch = {
        logs: [
          {
            timeUnixNano: now,
            observedTimeUnixNano: now,
            severityNumber: 9,
            severityText: 'INFO',
            body: 'resent once',
            attributes: {},
            flags: 0,
            traceId: '',
            spanId: '',
            eventName: '',
            resource: { 'service.name': 'full-disk' },
            scope: { name: '', version: '' },
          },
        ],
      };
      // Either refused (503: nothing stored) or stored (answered 2xx); the client resends only a refusal.
      let refused = false;
      try {
        store.ingest(batch);
      } catch (err) {
        expect(classifyStorageFault(err)?.status).toBe(503);
        refused = true;
      }
      store.db.pragma('max_page_count = 1073741823');
      if (refused) store.ingest(batch);
      expect(store.searchLogs({ q: '"resent once"' })).toHaveLength(1);
      // With space back, the next commit's checkpoint goes through: every sample leaves the heads for chunks.
      const checkpoints = store.stats().checkpoints;
      store.ingest({ samples: [{ labels: { __name__: 'm', i: '1' }, t: 2000, v: 2 }] });
      expect(store.stats().checkpoints).toBe(checkpoints + 1);
      expect(store.db.prepare('SELECT COUNT(*) AS n FROM sample_wal').get()).toEqual({ n: 0 });
    } finally {
      store.db.pragma('max_page_count = 1073741823');
      store.close();
    }
  });
});
