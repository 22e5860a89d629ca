// A corrupted database file: truncated, a garbage header, garbage pages in the middle. The workbench refuses to
// start with a typed error naming the file and the recovery (never a stack trace, also through `qobs up`), and
// the documented recoveries work: move the file aside and start empty, or salvage it with `sqlite3 .recover`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpanIn } from '../store/index.js';
import { Store } from '../store/index.js';
import { runQobs } from '../testing/qobs-process.js';
import { describeWithPrograms, findProgram } from '../testing/system.js';
import { StoreOpenError } from './storage-faults.js';
import { startWorkbench } from './workbench.js';

const root = mkdtempSync(path.join(tmpdir(), 'qobs-corrupt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TRACES = 40;
const traceIds: string[] = [];
let pristine = '';
let sizeBytes = 0;

function spans(traceId: string): SpanIn[] {
  const now = BigInt(Date.now()) * 1_000_000n;
  return Array.from({ length: 20 }, (_, i) => ({
    traceId,
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: `op ${i}`,
    kind: 1,
    startTimeUnixNano: now,
    endTimeUnixNano: now + 1000n,
    attributes: { pad: randomBytes(150).toString('hex') },
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource: { 'service.name': 'corrupt' },
    scope: { name: '', version: '' },
  }));
}

beforeAll(() => {
  pristine = path.join(root, 'pristine');
  const store = Store.open({ dataDir: pristine });
  for (let i = 0; i < TRACES; i++) {
    const id = randomBytes(16).toString('hex');
    traceIds.push(id);
    store.ingest({
      spans: spans(id),
      samples: Array.from({ length: 50 }, (_, s) => ({
        labels: { __name__: 'm', s: String(s) },
        t: 1000 * i,
        v: i,
      })),
    });
  }
  store.close();
  sizeBytes = statSync(path.join(pristine, 'qobs.db')).size;
});

/** A copy of the pristine store with `damage` applied to its file. */
function damaged(name: string, damage: (file: string) => void): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  copyFileSync(path.join(pristine, 'qobs.db'), path.join(dir, 'qobs.db'));
  damage(path.join(dir, 'qobs.db'));
  return dir;
}

function overwrite(file: string, offset: number, bytes: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, randomBytes(bytes), 0, bytes, offset);
  closeSync(fd);
}

const PAGE = 4096;
const damages: Record<string, (file: string) => void> = {
  truncated: (f) => truncateSync(f, Math.floor(sizeBytes / 2 / PAGE) * PAGE),
  'garbage header': (f) => overwrite(f, 0, 100),
  'garbage pages in the middle': (f) => overwrite(f, Math.floor(sizeBytes / 2 / PAGE) * PAGE, 4 * PAGE),
};

describe('a corrupted database file', () => {
  for (const [name, damage] of Object.entries(damages)) {
    it(`refuses to start on a ${name} file with store_corrupt, naming the file and the recovery`, async () => {
      const dir = damaged(name.replace(/ /g, '-'), damage);
      const file = path.join(dir, 'qobs.db');
      const err = await startWorkbench({ dataDir: dir, port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 }).then(
        async (wb) => {
          await wb.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreOpenError);
      expect((err as StoreOpenError).code).toBe('store_corrupt');
      expect((err as StoreOpenError).file).toBe(file);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toMatch(/mv .*\.corrupt/);
      expect((err as Error).message).toContain('.recover');
      // The file is left as it was found, for the operator to recover from.
      expect(existsSync(file)).toBe(true);

      // Recovery 1: move the file aside and start with an empty store.
      renameSync(file, `${file}.corrupt`);
      const wb = await startWorkbench({ dataDir: dir, port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 });
      try {
        expect((await fetch(`${wb.url}/readyz`)).status).toBe(200);
      } finally {
        await wb.close();
      }
    });
  }

  it('without the start check (a file over quickCheckMaxBytes), a query meeting the damage answers 500 "corrupt"', async () => {
    const dir = damaged('late', damages['garbage pages in the middle']);
    const wb = await startWorkbench(
      { dataDir: dir, port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 },
      { quickCheckMaxBytes: 0 },
    );
    try {
      const statuses: number[] = [];
      for (const id of traceIds) {
        const res = await fetch(`${wb.url}/api/traces/${id}`);
        statuses.push(res.status);
        if (res.status === 500) expect(((await res.json()) as { reason: string }).reason).toBe('corrupt');
        else await res.arrayBuffer();
      }
      const search = await fetch(`${wb.url}/api/traces?limit=1000`);
      statuses.push(search.status);
      expect(statuses).toContain(500);
      expect(statuses.every((s) => s === 200 || s === 500)).toBe(true);
      expect(await (await fetch(`${wb.url}/metrics`)).text()).toMatch(
        /qobs_storage_failures_total\{reason="corrupt"\} [1-9]/,
      );
      expect((await fetch(`${wb.url}/healthz`)).status).toBe(200);
    } finally {
      await wb.close().catch(() => undefined);
    }
  });

  it('qobs up prints the error on one line and exits 2, without a stack trace', async () => {
    const dir = damaged('cli', damages['garbage header']);
    const { code, stdout, stderr } = await runQobs([
      'up',
      '--data',
      dir,
      '--port',
      '0',
      '--otlp-port',
      '0',
      '--json',
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^qobs: the database .*qobs\.db is corrupted: file is not a database \(SQLITE_NOTADB\)/,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  // `.recover` needs an sqlite3 built with the dbpage virtual table; Debian 12's 3.40.1 answers every
  // `.recover` with "SQL logic error". There the shell's `.dump` salvages instead (it reads around damaged pages,
  // skipping what it cannot read), so this recovery is tested wherever an sqlite3 shell is installed.
  const sqlite3 = findProgram('sqlite3');
  const salvage = (() => {
    if (!sqlite3) return undefined;
    const probe = path.join(root, 'probe.db');
    spawnSync(sqlite3, [probe, 'CREATE TABLE t (x); INSERT INTO t VALUES (1);']);
    const r = spawnSync(sqlite3, [probe, '.recover']);
    return r.status === 0 && !/error/i.test(r.stderr.toString()) ? '.recover' : '.dump';
  })();
  describeWithPrograms('salvage with the sqlite3 shell', ['sqlite3'], () => {
    it(`recovery 2: sqlite3 ${salvage} salvages the readable rows into a store that opens`, async () => {
      const dir = damaged('recover', damages['garbage pages in the middle']);
      const file = path.join(dir, 'qobs.db');
      renameSync(file, `${file}.corrupt`);
      const dump = spawnSync(sqlite3!, [`${file}.corrupt`, salvage!], { maxBuffer: 256 << 20 });
      expect(dump.status).toBe(0);
      // `.dump` ends a dump that met damage with a ROLLBACK, which would undo every row: commit instead (the
      // documented recovery does the same with sed).
      const sql = dump.stdout.toString().replace(/^ROLLBACK; -- due to errors$/m, 'COMMIT;');
      const load = spawnSync(sqlite3!, [file], { input: sql, maxBuffer: 64 << 20 });
      // `.dump` reads damaged tables twice over (forwards, then backwards past the damage), so loading it may
      // refuse duplicates of rows already loaded; those errors lose nothing. `.recover` loads cleanly.
      if (salvage === '.recover') expect(load.status, load.stderr.toString()).toBe(0);
      else
        expect(
          load.stderr
            .toString()
            .split('\n')
            .filter((l) => /error/i.test(l) && !/UNIQUE constraint/.test(l)),
        ).toEqual([]);
      const wb = await startWorkbench({ dataDir: dir, port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 });
      try {
        expect(wb.store.db.pragma('integrity_check', { simple: true })).toBe('ok');
        // Most traces survive (four pages of several hundred were destroyed); every one read is whole.
        let whole = 0;
        for (const id of traceIds) {
          const res = await fetch(`${wb.url}/api/traces/${id}`);
          // A row whose text was itself damaged comes back as it was salvaged: answered 500 "corrupt".
          expect([200, 404, 500]).toContain(res.status);
          if (res.status === 500) expect(((await res.json()) as { reason: string }).reason).toBe('corrupt');
          else if (res.status === 200)
            whole += ((await res.json()) as { spans: unknown[] }).spans.length === 20 ? 1 : 0;
        }
        expect(whole).toBeGreaterThan(TRACES / 2);
        // The recovered store takes new data.
        const res = await fetch(`${wb.url}/metrics/job/after-recovery`, {
          method: 'PUT',
          body: 'recovered 1\n',
        });
        expect(res.status).toBe(200);
      } finally {
        await wb.close();
      }
    });
  });
});
