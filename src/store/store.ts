// The workbench store: one SQLite file (WAL) holding series and samples, spans, logs (FTS5), metadata,
// calibration snapshots and jobs. Samples go to a write-ahead table per batch and to in-memory head chunks,
// which are flushed as compressed chunks; select() reads chunks and heads through an in-memory label index.
import { decodeStored } from './damage.js';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { QobsError } from '../errors.js';
import { chunkLength, decodeChunk, encodeChunk } from './chunk.js';
import { migrate } from './migrate.js';
import type { Attributes, IngestBatch, IngestResult, LogIn } from './records.js';
import { CORE_MIGRATIONS } from './schema.js';
import { SpanGroups } from './spans.js';
import type { SpanOut, TraceQuery, TraceSummary } from './spans.js';
import type { LabelMatcher, Labels, MetricMetadata, SeriesSamples, SeriesSource } from './series.js';
import { anchoredRegExp, matches } from './series.js';

export class StoreError extends QobsError {}

export type { SpanOut, TraceQuery, TraceSummary };

/** Options of `Store.open`. */
export interface StoreOptions {
  /** Directory of the database file (created when missing). */
  dataDir: string;
  /** Data older than this is deleted by `enforceRetention` (default 15 days). */
  retentionMs?: number;
  /** Used database bytes above which the oldest data is pruned (default 0: no cap). */
  maxBytes?: number;
  /** Samples per chunk before a series' head is flushed (default 440: a regular series' chunk fills one 4 KiB page). */
  chunkSamples?: number;
  /** Samples held in heads (and the sample WAL) before a checkpoint flushes them all (default 1,000,000). */
  headMaxSamples?: number;
  /** SQLite `synchronous`: NORMAL survives a process kill; FULL also survives a power cut (default NORMAL). */
  synchronous?: 'NORMAL' | 'FULL';
  /** Series one metric name may have; samples that would create more are dropped and counted (default 10,000). */
  maxSeriesPerMetric?: number;
  /** Longest label value (characters); samples with a longer one are dropped and counted (default 2048). */
  maxLabelValueLength?: number;
}

interface SeriesState {
  id: number;
  labels: Labels;
  key: string;
  firstT: number;
  lastT: number;
  lastV: number;
  headTs: Float64Array;
  headVs: Float64Array;
  headN: number;
  /** lastT before the batch being checked (undefined outside ingest). */
  pendingPrevT: number | undefined;
  /** The value the batch being checked leaves, for delta samples (undefined outside ingest or when unset). */
  pendingV: number | undefined;
  /** The store holding it, and whether it was taken out again (a failed batch): checked by SeriesSlot users. */
  owner: Store;
  removed: boolean;
}

/** One batch after the in-memory pass of `Store.ingest`, before and after its SQL is written. */
interface StagedBatch {
  batch: IngestBatch;
  result: IngestResult;
  /** The series of each accepted sample, with its time and value at the same index. */
  accepted: SeriesState[];
  ts: Float64Array;
  vs: Float64Array;
  /** The batch's sample WAL record (20 bytes a sample: series id, time, value). */
  wal: Buffer;
  metaChanged: Array<[string, MetricMetadata]>;
  firstLogId: number;
}

/** A stored log record as the logs API returns it. */
export interface LogOut {
  id: number;
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  level: string;
  body: unknown;
  attributes: Attributes;
  resource: Attributes;
  scope: { name: string; version: string };
  service: string;
  eventType: string;
  eventName: string;
  traceId: string;
  spanId: string;
  flags: number;
}

export interface LogQuery {
  /** FTS5 query over body and attributes; text that is not FTS5 syntax is searched as quoted words. */
  q?: string;
  level?: string;
  eventType?: string;
  traceId?: string;
  startMs?: number;
  endMs?: number;
  /** Only records with an id above this (live tail). */
  afterId?: number;
  limit?: number;
}

/** Counters the workbench exposes on /metrics. */
export interface StoreStats {
  series: number;
  headSamples: number;
  chunks: number;
  samplesAppended: number;
  samplesDuplicate: number;
  samplesOutOfOrder: number;
  /** Samples dropped because they would have created a series beyond `maxSeriesPerMetric`. */
  samplesSeriesLimit: number;
  /** Samples dropped because a label value of their new series was longer than `maxLabelValueLength`. */
  samplesLabelValueTooLong: number;
  spansStored: number;
  logsStored: number;
  checkpoints: number;
  /** Head flushes after a commit that failed (the disk full); the samples stay in the sample WAL and heads. */
  deferredFlushFailures: number;
  retentionDeleted: { chunks: number; spans: number; logs: number };
  sizeCapDeleted: { chunks: number; spans: number; logs: number };
  fileBytes: number;
  usedBytes: number;
}

const MS_NS = 1_000_000n;
/** Samples above which one `ingest` call is split into several transactions. */
const MAX_BATCH_SAMPLES = 500_000;
/** The largest chunk that fits one 4 KiB page's row payload (4061 bytes) with its other columns. */
const MAX_CHUNK_BYTES = 4000;
const SEP = '\u0000';
const SEP2 = '\u0001';

/** The canonical key of a label set: names sorted, NUL-separated. */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  let k = '';
  for (const n of names) k += n + SEP2 + labels[n] + SEP;
  return k;
}

function levelOf(severityNumber: number, severityText: string, attrs: Attributes): string {
  const a = attrs.level;
  if (typeof a === 'string' && a) return a.toLowerCase();
  if (severityText) return severityText.toLowerCase();
  if (severityNumber >= 21) return 'fatal';
  if (severityNumber >= 17) return 'error';
  if (severityNumber >= 13) return 'warn';
  if (severityNumber >= 9) return 'info';
  if (severityNumber >= 5) return 'debug';
  if (severityNumber >= 1) return 'trace';
  return '';
}

function bodyText(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body ?? null);
}

/** Serialises attributes with bigint-safe JSON (attribute values never hold bigints, events' times do). */
function json(v: unknown): string {
  return JSON.stringify(v);
}

/** The embedded store. Open with `Store.open`; implements `SeriesSource` for the PromQL engine. */
export class Store implements SeriesSource {
  /** The open database; other modules (alerts) add their own namespaced tables with `migrate`. */
  readonly db: Database.Database;
  readonly dataDir: string;
  readonly file: string;
  readonly retentionMs: number;
  readonly maxBytes: number;
  private readonly chunkSamples: number;
  private readonly headMaxSamples: number;
  /** Series one metric name may have (see StoreOptions). */
  readonly maxSeriesPerMetric: number;
  /** Longest label value of a new series, in characters (see StoreOptions). */
  readonly maxLabelValueLength: number;
  /** Series per metric name, kept with the series index (so it is right again after a reopen). */
  private readonly seriesPerMetric = new Map<string, number>();

  private readonly byKey = new Map<string, SeriesState>();
  private readonly byId = new Map<number, SeriesState>();
  /** Posting lists: label name -> value -> series ids ascending. */
  private readonly postings = new Map<string, Map<string, number[]>>();
  private readonly meta = new Map<string, MetricMetadata>();
  private nextSeriesId = 1;
  /** Keys of label objects seen before: bulk loaders reuse one labels object per series. */
  private readonly keyByLabels = new WeakMap<object, string>();
  /** Series whose head reached the chunk size since the last flush. */
  private fullHeads: SeriesState[] = [];
  private headSamples = 0;
  private readonly counters = {
    samplesAppended: 0,
    samplesDuplicate: 0,
    samplesOutOfOrder: 0,
    samplesSeriesLimit: 0,
    samplesLabelValueTooLong: 0,
    spansStored: 0,
    logsStored: 0,
    checkpoints: 0,
    deferredFlushFailures: 0,
  };
  private readonly retentionDeleted = { chunks: 0, spans: 0, logs: 0 };
  private readonly sizeCapDeleted = { chunks: 0, spans: 0, logs: 0 };
  private logListeners = new Set<(lastId: number) => void>();
  private closed = false;

  private readonly st: ReturnType<Store['prepareStatements']>;
  private readonly spanGroups: SpanGroups;

  private constructor(opts: StoreOptions) {
    this.dataDir = path.resolve(opts.dataDir);
    mkdirSync(this.dataDir, { recursive: true });
    this.file = path.join(this.dataDir, 'qobs.db');
    this.retentionMs = opts.retentionMs ?? 15 * 24 * 3600_000;
    this.maxBytes = opts.maxBytes ?? 0;
    this.chunkSamples = opts.chunkSamples ?? 440;
    this.headMaxSamples = opts.headMaxSamples ?? 1_000_000;
    this.maxSeriesPerMetric = opts.maxSeriesPerMetric ?? 10_000;
    this.maxLabelValueLength = opts.maxLabelValueLength ?? 2048;
    if (!(this.maxSeriesPerMetric >= 1))
      throw new StoreError(
        'store_config',
        `maxSeriesPerMetric must be at least 1, got ${opts.maxSeriesPerMetric}`,
      );
    if (!(this.maxLabelValueLength >= 1))
      throw new StoreError(
        'store_config',
        `maxLabelValueLength must be at least 1, got ${opts.maxLabelValueLength}`,
      );
    this.db = new Database(this.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    // 64 MiB of page cache: span and series index inserts land on random pages.
    this.db.pragma('cache_size = -65536');
    migrate(this.db, 'core', CORE_MIGRATIONS);
    this.st = this.prepareStatements();
    this.spanGroups = new SpanGroups(this.db);
    this.load();
  }

  /** Opens (creating or migrating) the store in `dataDir` and replays its sample WAL. */
  static open(opts: StoreOptions): Store {
    return new Store(opts);
  }

  private prepareStatements() {
    const db = this.db;
    return {
      insertSeries: db.prepare('INSERT INTO series (id, labels, key) VALUES (?, ?, ?)'),
      insertSeriesLabel: db.prepare(
        'INSERT OR IGNORE INTO series_labels (name, value, series_id) VALUES (?, ?, ?)',
      ),
      insertWal: db.prepare('INSERT INTO sample_wal (data) VALUES (?)'),
      insertChunk: db.prepare(
        'INSERT OR REPLACE INTO chunks (series_id, min_t, max_t, n, data) VALUES (?, ?, ?, ?, ?)',
      ),
      chunksInRange: db
        .prepare('SELECT data FROM chunks WHERE series_id = ? AND min_t <= ? AND max_t >= ? ORDER BY min_t')
        .pluck(),
      anyChunkInRange: db
        .prepare('SELECT 1 FROM chunks WHERE series_id = ? AND min_t <= ? AND max_t >= ? LIMIT 1')
        .pluck(),
      upsertMeta: db.prepare(
        'INSERT INTO metric_metadata (name, type, help, unit) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET type = excluded.type, help = excluded.help, unit = excluded.unit',
      ),
      insertLog: db.prepare(
        'INSERT INTO logs (time_ns, observed_ns, severity_number, severity_text, level, body, attributes, resource, scope, service, event_type, event_name, trace_id, span_id, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertLogFts: db.prepare('INSERT INTO logs_fts (rowid, body, attributes) VALUES (?, ?, ?)'),
      upsertPushGroup: db.prepare(
        'INSERT INTO push_groups (group_key, series_keys) VALUES (?, ?) ON CONFLICT(group_key) DO UPDATE SET series_keys = excluded.series_keys',
      ),
      deletePushGroup: db.prepare('DELETE FROM push_groups WHERE group_key = ?'),
      getPushGroup: db.prepare('SELECT series_keys FROM push_groups WHERE group_key = ?').pluck(),
      maxLogId: db.prepare('SELECT COALESCE(MAX(id), 0) FROM logs').pluck(),
    };
  }

  private load(): void {
    const rows = this.db.prepare('SELECT id, labels, key FROM series ORDER BY id').all() as Array<{
      id: number;
      labels: string;
      key: string;
    }>;
    for (const r of rows) this.addSeriesState(r.id, JSON.parse(r.labels) as Labels, r.key);
    const bounds = this.db
      .prepare('SELECT series_id AS id, MIN(min_t) AS lo, MAX(max_t) AS hi FROM chunks GROUP BY series_id')
      .all() as Array<{ id: number; lo: number; hi: number }>;
    for (const b of bounds) {
      const s = this.byId.get(b.id);
      if (s) {
        s.firstT = b.lo;
        s.lastT = b.hi;
        const last = this.lastChunkValue(s.id, b.hi);
        if (last !== undefined) s.lastV = last;
      }
    }
    for (const m of this.db.prepare('SELECT name, type, help, unit FROM metric_metadata').all() as Array<
      MetricMetadata & { name: string }
    >)
      this.meta.set(m.name, { type: m.type, help: m.help, unit: m.unit });
    // Replay the sample WAL: samples at or before a series' flushed chunks are dropped as duplicates.
    for (const data of this.db.prepare('SELECT data FROM sample_wal ORDER BY id').pluck().all() as Buffer[]) {
      for (let off = 0; off + 20 <= data.length; off += 20) {
        const s = this.byId.get(data.readUInt32LE(off));
        if (!s) continue;
        const t = data.readDoubleLE(off + 4);
        if (t <= s.lastT) continue;
        this.appendHead(s, t, data.readDoubleLE(off + 12));
      }
    }
    this.flushFullHeads();
  }

  private lastChunkValue(id: number, t: number): number | undefined {
    const data = this.st.chunksInRange.all(id, t, t) as Buffer[];
    const last = data[data.length - 1];
    if (!last) return undefined;
    const n = chunkLength(last);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    decodeChunk(last, ts, vs, 0);
    return vs[n - 1];
  }

  private addSeriesState(id: number, labels: Labels, key: string): SeriesState {
    const s: SeriesState = {
      id,
      labels,
      key,
      firstT: Number.POSITIVE_INFINITY,
      lastT: Number.NEGATIVE_INFINITY,
      lastV: Number.NaN,
      headTs: new Float64Array(8),
      headVs: new Float64Array(8),
      headN: 0,
      pendingPrevT: undefined,
      pendingV: undefined,
      owner: this,
      removed: false,
    };
    this.byKey.set(key, s);
    this.byId.set(id, s);
    const metric = labels.__name__ ?? '';
    this.seriesPerMetric.set(metric, (this.seriesPerMetric.get(metric) ?? 0) + 1);
    for (const name in labels) {
      let byValue = this.postings.get(name);
      if (!byValue) {
        byValue = new Map();
        this.postings.set(name, byValue);
      }
      const list = byValue.get(labels[name]);
      if (list) list.push(id);
      else byValue.set(labels[name], [id]);
    }
    if (id >= this.nextSeriesId) this.nextSeriesId = id + 1;
    return s;
  }

  /** Why a sample may not create its series (the limits of StoreOptions), or undefined when it may. */
  private refuseNewSeries(labels: Labels): 'series_limit' | 'label_value_too_long' | undefined {
    for (const name in labels)
      if (labels[name].length > this.maxLabelValueLength) return 'label_value_too_long';
    if ((this.seriesPerMetric.get(labels.__name__ ?? '') ?? 0) >= this.maxSeriesPerMetric)
      return 'series_limit';
    return undefined;
  }

  private removeSeriesState(s: SeriesState): void {
    this.byKey.delete(s.key);
    this.byId.delete(s.id);
    s.removed = true;
    const metric = s.labels.__name__ ?? '';
    const n = (this.seriesPerMetric.get(metric) ?? 1) - 1;
    if (n > 0) this.seriesPerMetric.set(metric, n);
    else this.seriesPerMetric.delete(metric);
    for (const name in s.labels) {
      const byValue = this.postings.get(name);
      const list = byValue?.get(s.labels[name]);
      if (!byValue || !list) continue;
      const i = list.indexOf(s.id);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) byValue.delete(s.labels[name]);
      if (byValue.size === 0) this.postings.delete(name);
    }
  }

  private appendHead(s: SeriesState, t: number, v: number): void {
    if (s.headN === s.headTs.length) {
      // Doubling: a bulk batch can hold thousands of one series' samples before the head is flushed.
      const ts = new Float64Array(Math.max(s.headN * 2, 8));
      const vs = new Float64Array(ts.length);
      ts.set(s.headTs.subarray(0, s.headN));
      vs.set(s.headVs.subarray(0, s.headN));
      s.headTs = ts;
      s.headVs = vs;
    }
    s.headTs[s.headN] = t;
    // Written through the typed array so a stale NaN keeps its bits.
    s.headVs[s.headN] = v;
    s.headN++;
    this.headSamples++;
    if (s.headN === this.chunkSamples) this.fullHeads.push(s);
    if (t < s.firstT) s.firstT = t;
    s.lastT = t;
    s.lastV = v;
  }

  private writeChunk(s: SeriesState): void {
    // A big batch can fill a head past the chunk size: write it in chunk-sized pieces. A piece is also cut to
    // fit one database page, since a row spilling into an overflow page wastes most of that page.
    for (let at = 0; at < s.headN; ) {
      let n = Math.min(this.chunkSamples, s.headN - at);
      let blob = encodeChunk(s.headTs.subarray(at, at + n), s.headVs.subarray(at, at + n), n);
      while (blob.length > MAX_CHUNK_BYTES && n > 1) {
        n = Math.max(1, Math.floor((n * MAX_CHUNK_BYTES * 0.98) / blob.length));
        blob = encodeChunk(s.headTs.subarray(at, at + n), s.headVs.subarray(at, at + n), n);
      }
      this.st.insertChunk.run(s.id, s.headTs[at], s.headTs[at + n - 1], n, blob);
      at += n;
    }
  }

  private resetHead(s: SeriesState): void {
    this.headSamples -= s.headN;
    s.headN = 0;
    if (s.headTs.length > this.chunkSamples) {
      s.headTs = new Float64Array(8);
      s.headVs = new Float64Array(8);
    }
  }

  private flushFullHeads(): void {
    if (this.fullHeads.length === 0) return;
    const full = this.fullHeads.filter((s) => s.headN >= this.chunkSamples);
    // On a failure the list is kept, so the next commit tries these heads again.
    this.db.transaction(() => {
      for (const s of full) this.writeChunk(s);
    })();
    this.fullHeads.length = 0;
    for (const s of full) this.resetHead(s);
  }

  /** Flushes every head into chunks and empties the sample WAL, atomically. */
  checkpoint(): void {
    this.db.transaction(() => {
      for (const s of this.byId.values()) this.writeChunk(s);
      this.db.exec('DELETE FROM sample_wal');
    })();
    for (const s of this.byId.values()) this.resetHead(s);
    this.fullHeads.length = 0;
    this.headSamples = 0;
    this.counters.checkpoints++;
  }

  /**
   * Writes a batch in one transaction; when it returns, the batch is committed (durable across a process
   * kill with synchronous=NORMAL, across a power cut with FULL). Throws StoreError when closed. A labels object
   * passed in must not be changed afterwards: its series key is cached by object.
   */
  ingest(batch: IngestBatch): IngestResult {
    if (this.closed) throw new StoreError('store_closed', 'the store is closed');
    const all = batch.samples ?? [];
    if (all.length > MAX_BATCH_SAMPLES) {
      // Bulk loads (benchmarks, imports) go in slices, each its own transaction, to bound the WAL buffer and
      // the heads; an OTLP request never comes near this (its body limit keeps it far below).
      const total = this.ingest({ ...batch, samples: all.slice(0, MAX_BATCH_SAMPLES) });
      for (let i = MAX_BATCH_SAMPLES; i < all.length; i += MAX_BATCH_SAMPLES) {
        const r = this.ingest({ samples: all.slice(i, i + MAX_BATCH_SAMPLES) });
        total.samplesAccepted += r.samplesAccepted;
        total.samplesDuplicate += r.samplesDuplicate;
        total.samplesOutOfOrder += r.samplesOutOfOrder;
        total.samplesSeriesLimit += r.samplesSeriesLimit;
        total.samplesLabelValueTooLong += r.samplesLabelValueTooLong;
      }
      return total;
    }
    return this.commitStaged([batch])[0];
  }

  /**
   * Writes several batches in one transaction (group commit: one commit for the requests that arrived while
   * the previous one was written) and returns each batch's result, as `ingest` would have. All or none are
   * committed: on a failure every batch is undone and the StoreError thrown. A batch above 500,000 samples is
   * written on its own, as `ingest` does.
   */
  ingestMany(batches: readonly IngestBatch[]): IngestResult[] {
    if (this.closed) throw new StoreError('store_closed', 'the store is closed');
    if (batches.some((b) => (b.samples?.length ?? 0) > MAX_BATCH_SAMPLES))
      return batches.map((b) => this.ingest(b));
    return this.commitStaged(batches);
  }

  private commitStaged(batches: readonly IngestBatch[]): IngestResult[] {
    // First pass in memory, batch after batch (a later batch sees the series and times of the earlier ones):
    // series ids, limits and order checks; undone if the transaction fails.
    const created: SeriesState[] = [];
    const touched: SeriesState[] = [];
    const staged = batches.map((b) => this.stage(b, created, touched));
    // The heads take the samples after the commit; until then lastT goes back to what they hold.
    for (const s of touched) {
      s.lastT = s.pendingPrevT!;
      s.pendingPrevT = undefined;
      s.pendingV = undefined;
    }
    try {
      this.db.transaction(() => {
        for (const s of created) {
          this.st.insertSeries.run(s.id, JSON.stringify(s.labels), s.key);
          for (const name in s.labels) this.st.insertSeriesLabel.run(name, s.labels[name], s.id);
        }
        for (const x of staged) this.write(x);
      })();
    } catch (err) {
      for (const s of created) this.removeSeriesState(s);
      this.nextSeriesId = created.length > 0 ? created[0].id : this.nextSeriesId;
      throw new StoreError('store_write_failed', `writing the batch failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // Committed: move the accepted samples into the heads (their order checks are already done).
    let anySamples = false;
    for (const x of staged) {
      const { result, accepted, ts, vs } = x;
      for (let i = 0; i < accepted.length; i++) this.appendHead(accepted[i], ts[i], vs[i]);
      for (const [name, m] of x.metaChanged) this.meta.set(name, m);
      result.samplesAccepted = accepted.length;
      if (accepted.length > 0) anySamples = true;
      this.counters.samplesAppended += accepted.length;
      this.counters.samplesDuplicate += result.samplesDuplicate;
      this.counters.samplesOutOfOrder += result.samplesOutOfOrder;
      this.counters.samplesSeriesLimit += result.samplesSeriesLimit;
      this.counters.samplesLabelValueTooLong += result.samplesLabelValueTooLong;
      this.counters.spansStored += result.spansAccepted;
      this.counters.logsStored += result.logsAccepted;
    }
    try {
      if (this.headSamples >= this.headMaxSamples) this.checkpoint();
      else if (anySamples) this.flushFullHeads();
    } catch {
      // The batch is committed and its samples are in the sample WAL: answering an error now would make the
      // client resend what is stored (logs have no duplicate check). The heads keep the samples and the flush
      // is tried again after the next commit; the failure is counted.
      this.counters.deferredFlushFailures++;
    }
    for (const x of staged)
      if (x.result.logsAccepted > 0)
        for (const l of this.logListeners) l(x.firstLogId + x.result.logsAccepted - 1);
    return staged.map((x) => x.result);
  }

  /** The in-memory first pass of one batch (see commitStaged). */
  private stage(batch: IngestBatch, created: SeriesState[], touched: SeriesState[]): StagedBatch {
    const result: IngestResult = {
      samplesAccepted: 0,
      samplesDuplicate: 0,
      samplesOutOfOrder: 0,
      samplesSeriesLimit: 0,
      samplesLabelValueTooLong: 0,
      spansAccepted: 0,
      spansDuplicate: 0,
      logsAccepted: 0,
    };
    const samples = batch.samples ?? [];
    const accepted: SeriesState[] = [];
    const wal = Buffer.allocUnsafe(samples.length * 20);
    // A DataView writes the WAL records inline (Buffer's write methods are calls with bounds checks).
    const walView = new DataView(wal.buffer, wal.byteOffset, wal.length);
    let walLen = 0;
    // Times and values in typed arrays, so a stale NaN keeps its bits on its way to the heads.
    const ts = new Float64Array(samples.length);
    const vs = new Float64Array(samples.length);
    for (let i = 0; i < samples.length; i++) {
      const smp = samples[i];
      // A caller's slot remembers the series of its label set: no lookup by key (a map probe that misses the
      // CPU cache once there are thousands of series).
      const slot = smp.slot;
      let s = slot?.storeSeries as SeriesState | undefined;
      let key: string | undefined;
      if (s === undefined || s.owner !== this || s.removed) {
        key = smp.key ?? this.keyByLabels.get(smp.labels);
        if (key === undefined) {
          key = labelsKey(smp.labels);
          this.keyByLabels.set(smp.labels, key);
        }
        s = this.byKey.get(key);
        if (s !== undefined && slot !== undefined) slot.storeSeries = s;
      }
      if (!s) {
        const refused = this.refuseNewSeries(smp.labels);
        if (refused === 'series_limit') {
          result.samplesSeriesLimit++;
          continue;
        }
        if (refused === 'label_value_too_long') {
          result.samplesLabelValueTooLong++;
          continue;
        }
        // `key` is set: a sample without a live series went through the lookup above.
        s = this.addSeriesState(this.nextSeriesId, { ...smp.labels }, key as string);
        created.push(s);
        if (slot !== undefined) slot.storeSeries = s;
      }
      if (smp.t <= s.lastT) {
        if (smp.t === s.lastT) result.samplesDuplicate++;
        else result.samplesOutOfOrder++;
        continue;
      }
      if (s.pendingPrevT === undefined) {
        s.pendingPrevT = s.lastT;
        touched.push(s);
      }
      s.lastT = smp.t;
      let v = smp.v;
      if (smp.delta === true && !Number.isNaN(v)) {
        // On top of the value before (this batch's last, else the stored one); none or a stale one: from 0.
        const prev = s.pendingV ?? s.lastV;
        if (!Number.isNaN(prev)) v = prev + v;
      }
      s.pendingV = v;
      walView.setUint32(walLen, s.id, true);
      walView.setFloat64(walLen + 4, smp.t, true);
      walView.setFloat64(walLen + 12, v, true);
      walLen += 20;
      ts[accepted.length] = smp.t;
      vs[accepted.length] = v;
      accepted.push(s);
    }
    const metaChanged: Array<[string, MetricMetadata]> = [];
    if (batch.metadata) {
      for (const [name, m] of batch.metadata) {
        const old = this.meta.get(name);
        if (!old || old.type !== m.type || old.help !== m.help || old.unit !== m.unit)
          metaChanged.push([name, m]);
      }
    }
    return { batch, result, accepted, ts, vs, wal: wal.subarray(0, walLen), metaChanged, firstLogId: 0 };
  }

  /** The SQL part of one staged batch, inside the transaction. */
  private write(x: StagedBatch): void {
    const { batch, result } = x;
    if (x.wal.length > 0) this.st.insertWal.run(x.wal);
    for (const [name, m] of x.metaChanged) this.st.upsertMeta.run(name, m.type, m.help, m.unit);
    if (batch.pushGroup) {
      if (batch.pushGroup.series.length === 0) this.st.deletePushGroup.run(batch.pushGroup.key);
      else this.st.upsertPushGroup.run(batch.pushGroup.key, JSON.stringify(batch.pushGroup.series));
    }
    if (batch.spans && batch.spans.length > 0) {
      const r = this.spanGroups.insert(batch.spans);
      result.spansAccepted += r.accepted;
      result.spansDuplicate += r.duplicate;
    }
    for (const l of batch.logs ?? []) {
      const id = this.insertLog(l);
      if (x.firstLogId === 0) x.firstLogId = id;
      result.logsAccepted++;
    }
  }

  /** JSON of resources and scopes, by object: every span of a batch shares its resource's object. */
  private readonly jsonCache = new WeakMap<object, string>();

  private cachedJson(o: object): string {
    let j = this.jsonCache.get(o);
    if (j === undefined) {
      j = json(o);
      this.jsonCache.set(o, j);
    }
    return j;
  }

  private insertLog(l: LogIn): number {
    const service = l.resource['service.name'];
    const eventType = l.attributes.event_type;
    const body = bodyText(l.body);
    const attrs = json(l.attributes);
    const info = this.st.insertLog.run(
      l.timeUnixNano,
      l.observedTimeUnixNano,
      l.severityNumber,
      l.severityText,
      levelOf(l.severityNumber, l.severityText, l.attributes),
      // Bodies are stored as JSON so a structured body comes back as it went in.
      json(l.body ?? null),
      attrs,
      this.cachedJson(l.resource),
      this.cachedJson(l.scope),
      typeof service === 'string' ? service : '',
      typeof eventType === 'string' ? eventType : '',
      l.eventName,
      l.traceId,
      l.spanId,
      l.flags,
    );
    const id = Number(info.lastInsertRowid);
    this.st.insertLogFts.run(id, body, attrs);
    return id;
  }

  // ---- SeriesSource

  private matchSeries(matchers: readonly LabelMatcher[]): SeriesState[] {
    let candidates: number[] | undefined;
    for (const m of matchers) {
      if (m.op !== '=' || m.value === '') continue;
      const list = this.postings.get(m.name)?.get(m.value) ?? [];
      if (!candidates) candidates = list;
      else {
        const set = new Set(list);
        candidates = candidates.filter((id) => set.has(id));
      }
      if (candidates.length === 0) return [];
    }
    if (!candidates) {
      // A regex on __name__ narrows through the name postings instead of scanning every series.
      const nameRe = matchers.find((m) => m.name === '__name__' && m.op === '=~');
      const names = this.postings.get('__name__');
      if (nameRe && names) {
        const re = anchoredRegExp(nameRe.value);
        candidates = [];
        for (const [v, ids] of names) if (re.test(v)) for (const id of ids) candidates.push(id);
      } else candidates = [...this.byId.keys()];
    }
    const res = matchers.map((m) => (m.op === '=~' || m.op === '!~' ? anchoredRegExp(m.value) : undefined));
    const out: SeriesState[] = [];
    for (const id of candidates) {
      const s = this.byId.get(id);
      if (!s) continue;
      let ok = true;
      for (let i = 0; i < matchers.length; i++) {
        if (!matches(s.labels, matchers[i], res[i])) {
          ok = false;
          break;
        }
      }
      if (ok) out.push(s);
    }
    return out;
  }

  private hasDataIn(s: SeriesState, startMs: number, endMs: number): boolean {
    if (s.lastT < startMs || s.firstT > endMs) return false;
    if (s.headN > 0 && s.headTs[0] <= endMs && s.headTs[s.headN - 1] >= startMs) {
      for (let i = 0; i < s.headN; i++) if (s.headTs[i] >= startMs && s.headTs[i] <= endMs) return true;
    }
    return this.st.anyChunkInRange.get(s.id, endMs, startMs) !== undefined;
  }

  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): SeriesSamples[] {
    const out: SeriesSamples[] = [];
    for (const s of this.matchSeries(matchers)) {
      if (s.lastT < startMs || s.firstT > endMs) continue;
      const chunks = this.st.chunksInRange.all(s.id, endMs, startMs) as Buffer[];
      let total = s.headN;
      for (const c of chunks) total += chunkLength(c);
      if (total === 0) continue;
      const ts = new Float64Array(total);
      const vs = new Float64Array(total);
      let n = 0;
      for (const c of chunks) n += decodeChunk(c, ts, vs, n);
      if (s.headN > 0) {
        ts.set(s.headTs.subarray(0, s.headN), n);
        vs.set(s.headVs.subarray(0, s.headN), n);
        n += s.headN;
      }
      // Trim to [startMs, endMs]; samples are ascending across chunks and head.
      let lo = 0;
      while (lo < n && ts[lo] < startMs) lo++;
      let hi = n;
      while (hi > lo && ts[hi - 1] > endMs) hi--;
      if (hi === lo) continue;
      out.push({
        labels: s.labels,
        timestamps: lo === 0 && hi === n ? ts : ts.subarray(lo, hi),
        values: lo === 0 && hi === n ? vs : vs.subarray(lo, hi),
      });
    }
    return out;
  }

  series(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Labels[] {
    return this.matchSeries(matchers)
      .filter((s) => this.hasDataIn(s, startMs, endMs))
      .map((s) => s.labels);
  }

  private scoped(
    matchers?: readonly LabelMatcher[],
    startMs?: number,
    endMs?: number,
  ): SeriesState[] | undefined {
    if ((!matchers || matchers.length === 0) && startMs === undefined && endMs === undefined)
      return undefined;
    const lo = startMs ?? Number.NEGATIVE_INFINITY;
    const hi = endMs ?? Number.POSITIVE_INFINITY;
    const base = matchers && matchers.length > 0 ? this.matchSeries(matchers) : [...this.byId.values()];
    return base.filter((s) => this.hasDataIn(s, lo, hi));
  }

  labelNames(matchers?: readonly LabelMatcher[], startMs?: number, endMs?: number): string[] {
    const scope = this.scoped(matchers, startMs, endMs);
    if (!scope) return [...this.postings.keys()].sort();
    const names = new Set<string>();
    for (const s of scope) for (const n in s.labels) names.add(n);
    return [...names].sort();
  }

  labelValues(name: string, matchers?: readonly LabelMatcher[], startMs?: number, endMs?: number): string[] {
    const scope = this.scoped(matchers, startMs, endMs);
    if (!scope) return [...(this.postings.get(name)?.keys() ?? [])].sort();
    const values = new Set<string>();
    for (const s of scope) {
      const v = s.labels[name];
      if (v !== undefined && v !== '') values.add(v);
    }
    return [...values].sort();
  }

  /** Metric metadata by metric name, as Prometheus' /api/v1/metadata. */
  metadata(): Record<string, MetricMetadata[]> {
    const out: Record<string, MetricMetadata[]> = {};
    for (const [name, m] of [...this.meta].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out[name] = [m];
    return out;
  }

  /** The latest sample of every series (for the /metrics exposition); stale or NaN-only series included. */
  *latest(): Generator<{ labels: Labels; t: number; v: number }> {
    for (const s of this.byId.values())
      if (s.lastT > Number.NEGATIVE_INFINITY) yield { labels: s.labels, t: s.lastT, v: s.lastV };
  }

  // ---- traces and logs

  /** Traces with a span matching every filter, newest first. */
  searchTraces(q: TraceQuery): TraceSummary[] {
    return this.spanGroups.search(q);
  }

  /** Every stored span of one trace, by start time; empty when unknown. */
  getTrace(traceId: string): SpanOut[] {
    return this.spanGroups.trace(traceId);
  }

  /** Log records matching every filter, newest first (oldest first with `afterId`, for tailing). */
  searchLogs(q: LogQuery): LogOut[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.q) {
      where.push('id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?)');
      args.push(q.q);
    }
    if (q.level) {
      where.push('level = ?');
      args.push(q.level.toLowerCase());
    }
    if (q.eventType) {
      where.push('event_type = ?');
      args.push(q.eventType);
    }
    if (q.traceId) {
      where.push('trace_id = ?');
      args.push(q.traceId.toLowerCase());
    }
    if (q.startMs !== undefined) {
      where.push('time_ns >= ?');
      args.push(BigInt(Math.floor(q.startMs)) * MS_NS);
    }
    if (q.endMs !== undefined) {
      where.push('time_ns <= ?');
      args.push(BigInt(Math.floor(q.endMs)) * MS_NS);
    }
    if (q.afterId !== undefined) {
      where.push('id > ?');
      args.push(q.afterId);
    }
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 5000);
    const order = q.afterId !== undefined ? 'id ASC' : 'time_ns DESC, id DESC';
    let rows: Array<Record<string, unknown>>;
    const run = () =>
      this.db
        .prepare(
          `SELECT * FROM logs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${limit}`,
        )
        .safeIntegers(true)
        .all(...args) as Array<Record<string, unknown>>;
    try {
      rows = run();
    } catch (err) {
      if (!(q.q && (err as { code?: string }).code?.startsWith('SQLITE_ERROR'))) throw err;
      // Not FTS5 syntax (`local.statevector`, `job-42`, `error: timeout`): search its words as typed, each
      // as a quoted phrase, rather than refusing plain text. Valid FTS5 syntax never gets here.
      const words = q.q.split(/\s+/).filter((w) => w !== '');
      args[0] = words.map((w) => `"${w.replaceAll('"', '""')}"`).join(' ');
      try {
        rows = words.length > 0 ? run() : [];
      } catch {
        throw new StoreError('log_query_invalid', `invalid text query '${q.q}': ${(err as Error).message}`);
      }
    }
    return decodeStored('log record', () =>
      rows.map((r) => ({
        id: Number(r.id),
        timeUnixNano: String(r.time_ns),
        observedTimeUnixNano: String(r.observed_ns),
        severityNumber: Number(r.severity_number),
        severityText: r.severity_text as string,
        level: r.level as string,
        body: JSON.parse(r.body as string),
        attributes: JSON.parse(r.attributes as string),
        resource: JSON.parse(r.resource as string),
        scope: JSON.parse(r.scope as string),
        service: r.service as string,
        eventType: r.event_type as string,
        eventName: r.event_name as string,
        traceId: r.trace_id as string,
        spanId: r.span_id as string,
        flags: Number(r.flags),
      })),
    );
  }

  /** Calls `listener(lastLogId)` after every committed batch with logs; returns the unsubscribe function. */
  onLogs(listener: (lastId: number) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /** The highest log id stored. */
  lastLogId(): number {
    return Number(this.st.maxLogId.get());
  }

  /** The label sets last pushed to a push group (empty when none). */
  pushGroupSeries(key: string): Labels[] {
    const raw = this.st.getPushGroup.get(key) as string | undefined;
    return raw ? (JSON.parse(raw) as Labels[]) : [];
  }

  // ---- calibrations and jobs

  /** Stores a calibration snapshot (idempotent per provider, device and time); returns its id. */
  putCalibration(provider: string, device: string, takenAtMs: number, snapshot: unknown): number {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO calibrations (provider, device, taken_at_ms, snapshot) VALUES (?, ?, ?, ?)',
      )
      .run(provider, device, takenAtMs, JSON.stringify(snapshot));
    return Number(
      this.db
        .prepare('SELECT id FROM calibrations WHERE provider = ? AND device = ? AND taken_at_ms = ?')
        .pluck()
        .get(provider, device, takenAtMs),
    );
  }

  /** Calibration snapshots of a device, newest first. */
  calibrations(
    provider: string,
    device: string,
    limit = 100,
  ): Array<{ id: number; takenAtMs: number; snapshot: unknown }> {
    return (
      this.db
        .prepare(
          'SELECT id, taken_at_ms, snapshot FROM calibrations WHERE provider = ? AND device = ? ORDER BY taken_at_ms DESC LIMIT ?',
        )
        .all(provider, device, limit) as Array<{ id: number; taken_at_ms: number; snapshot: string }>
    ).map((r) => ({ id: r.id, takenAtMs: r.taken_at_ms, snapshot: JSON.parse(r.snapshot) }));
  }

  /** Inserts or updates a job record. */
  putJob(job: {
    id: string;
    provider: string;
    device: string;
    status: string;
    createdAtMs: number;
    updatedAtMs: number;
    calibrationId?: number;
    details?: unknown;
  }): void {
    this.db
      .prepare(
        `INSERT INTO jobs (id, provider, device, status, created_at_ms, updated_at_ms, calibration_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, updated_at_ms = excluded.updated_at_ms,
           calibration_id = COALESCE(excluded.calibration_id, calibration_id), details = excluded.details`,
      )
      .run(
        job.id,
        job.provider,
        job.device,
        job.status,
        job.createdAtMs,
        job.updatedAtMs,
        job.calibrationId ?? null,
        JSON.stringify(job.details ?? {}),
      );
  }

  /** Jobs, newest first. */
  jobs(limit = 100): Array<Record<string, unknown>> {
    return (
      this.db.prepare('SELECT * FROM jobs ORDER BY created_at_ms DESC LIMIT ?').all(limit) as Array<
        Record<string, unknown>
      >
    ).map((r) => ({ ...r, details: JSON.parse(r.details as string) }));
  }

  // ---- retention

  /** Deletes data older than the retention period, then the oldest data while above the size cap. */
  enforceRetention(nowMs = Date.now()): void {
    const cutoffMs = nowMs - this.retentionMs;
    const d = this.deleteBefore(cutoffMs);
    this.retentionDeleted.chunks += d.chunks;
    this.retentionDeleted.spans += d.spans;
    this.retentionDeleted.logs += d.logs;
    if (this.maxBytes <= 0) return;
    const oldest = this.oldestMs();
    if (oldest === undefined || this.usedBytes() <= this.maxBytes) return;
    if (this.headSamples > 0) this.checkpoint();
    // Move the cut forward a tenth of the stored time span at a time until under the cap. A chunk goes when
    // all its samples are older than the cut, so the cap is kept at chunk granularity.
    const step = Math.max((nowMs - oldest) / 10, 1000);
    for (let round = 1; round <= 10 && this.usedBytes() > this.maxBytes; round++) {
      const c = this.deleteBefore(oldest + step * round);
      this.sizeCapDeleted.chunks += c.chunks;
      this.sizeCapDeleted.spans += c.spans;
      this.sizeCapDeleted.logs += c.logs;
    }
  }

  private deleteBefore(cutoffMs: number): { chunks: number; spans: number; logs: number } {
    const cutNs = BigInt(Math.floor(cutoffMs)) * MS_NS;
    return this.db.transaction(() => {
      const chunks = this.db.prepare('DELETE FROM chunks WHERE max_t < ?').run(cutoffMs).changes;
      const spans = this.spanGroups.deleteBefore(cutNs);
      const ids = this.db.prepare('SELECT id FROM logs WHERE time_ns < ?').pluck().all(cutNs) as number[];
      const delFts = this.db.prepare(
        "INSERT INTO logs_fts (logs_fts, rowid, body, attributes) SELECT 'delete', id, body, attributes FROM logs WHERE id = ?",
      );
      for (const id of ids) delFts.run(id);
      const logs = this.db.prepare('DELETE FROM logs WHERE time_ns < ?').run(cutNs).changes;
      return { chunks, spans, logs };
    })();
  }

  private oldestMs(): number | undefined {
    const r = this.db
      .prepare(
        `SELECT MIN(t) FROM (SELECT MIN(min_t) AS t FROM chunks UNION ALL SELECT MIN(start_ns) / 1000000 FROM span_groups
         UNION ALL SELECT MIN(time_ns) / 1000000 FROM logs)`,
      )
      .pluck()
      .get() as number | null;
    return r ?? undefined;
  }

  /** Bytes of live pages (file size minus free pages): what the size cap measures. */
  usedBytes(): number {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * pageSize;
  }

  /** Bytes on disk: the database file and its WAL. */
  fileBytes(): number {
    let total = 0;
    for (const f of [this.file, `${this.file}-wal`]) {
      try {
        total += statSync(f).size;
      } catch {
        // the WAL file may not exist between checkpoints
      }
    }
    return total;
  }

  stats(): StoreStats {
    return {
      series: this.byId.size,
      headSamples: this.headSamples,
      chunks: Number(this.db.prepare('SELECT COUNT(*) FROM chunks').pluck().get()),
      ...this.counters,
      retentionDeleted: { ...this.retentionDeleted },
      sizeCapDeleted: { ...this.sizeCapDeleted },
      fileBytes: this.fileBytes(),
      usedBytes: this.usedBytes(),
    };
  }

  /** Flushes heads into chunks, checkpoints the SQLite WAL and closes the database. */
  close(): void {
    if (this.closed) return;
    this.checkpoint();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.closed = true;
    this.db.close();
  }

  get isOpen(): boolean {
    return !this.closed;
  }
}
