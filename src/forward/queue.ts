// The durable forwarding queue: accepted OTLP requests waiting to be sent downstream, in the workbench's
// SQLite file (namespace 'forward'), bounded in bytes, oldest dropped first.
import type BetterSqlite3 from 'better-sqlite3';
import { migrate } from '../store/index.js';

export type ForwardSignal = 'traces' | 'metrics' | 'logs';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE forward_queue (id INTEGER PRIMARY KEY, signal TEXT NOT NULL, content_type TEXT NOT NULL,
    body BLOB NOT NULL, created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, next_ms INTEGER NOT NULL);
  CREATE INDEX forward_queue_by_signal ON forward_queue (signal, id);
  `,
];

/** One queued request. */
export interface QueuedRequest {
  id: number;
  signal: ForwardSignal;
  contentType: string;
  body: Buffer;
  createdMs: number;
  attempts: number;
  nextMs: number;
}

interface Row {
  id: number;
  signal: ForwardSignal;
  content_type: string;
  body: Buffer;
  created_ms: number;
  attempts: number;
  next_ms: number;
}

const fromRow = (r: Row): QueuedRequest => ({
  id: r.id,
  signal: r.signal,
  contentType: r.content_type,
  body: r.body,
  createdMs: r.created_ms,
  attempts: r.attempts,
  nextMs: r.next_ms,
});

/** The queue; every method is one autocommitted statement or transaction, so what `enqueue` returned survives a crash. */
export class ForwardQueue {
  private readonly st: Record<string, BetterSqlite3.Statement>;
  private totalBytes: number;
  /** Requests dropped to keep the queue under its byte bound, per signal. */
  readonly evicted: Record<ForwardSignal, number> = { traces: 0, metrics: 0, logs: 0 };

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly maxBytes: number,
  ) {
    migrate(db, 'forward', MIGRATIONS);
    this.st = {
      insert: db.prepare(
        'INSERT INTO forward_queue (signal, content_type, body, created_ms, attempts, next_ms) VALUES (?, ?, ?, ?, 0, ?)',
      ),
      oldest: db.prepare('SELECT id, signal, length(body) AS bytes FROM forward_queue ORDER BY id LIMIT 1'),
      delete: db.prepare('DELETE FROM forward_queue WHERE id = ?'),
      due: db.prepare(
        'SELECT * FROM forward_queue WHERE signal = ? AND id > ? AND next_ms <= ? ORDER BY id LIMIT ?',
      ),
      retry: db.prepare('UPDATE forward_queue SET attempts = attempts + 1, next_ms = ? WHERE id = ?'),
      bytes: db.prepare('SELECT COALESCE(SUM(length(body)), 0) AS b FROM forward_queue'),
      count: db.prepare(
        'SELECT signal, COUNT(*) AS n, MIN(created_ms) AS oldest FROM forward_queue GROUP BY signal',
      ),
      size: db.prepare('SELECT length(body) AS b FROM forward_queue WHERE id = ?'),
    };
    this.totalBytes = (this.st.bytes.get() as { b: number }).b;
  }

  /** Queues a request body; returns false (and counts it) when it alone exceeds the bound. */
  enqueue(signal: ForwardSignal, contentType: string, body: Buffer, nowMs = Date.now()): boolean {
    if (body.length > this.maxBytes) {
      this.evicted[signal]++;
      return false;
    }
    this.db.transaction(() => {
      while (this.totalBytes + body.length > this.maxBytes) {
        const o = this.st.oldest.get() as { id: number; signal: ForwardSignal; bytes: number } | undefined;
        if (!o) break;
        this.st.delete.run(o.id);
        this.totalBytes -= o.bytes;
        this.evicted[o.signal]++;
      }
      this.st.insert.run(signal, contentType, body, nowMs, nowMs);
    })();
    this.totalBytes += body.length;
    return true;
  }

  /** Up to `limit` requests of a signal due at `nowMs`, oldest first, after id `afterId`. */
  due(signal: ForwardSignal, nowMs: number, limit: number, afterId = 0): QueuedRequest[] {
    return (this.st.due.all(signal, afterId, nowMs, limit) as Row[]).map(fromRow);
  }

  /** Removes a request (sent, or refused for good); a request already evicted is a no-op. */
  remove(id: number): void {
    const r = this.st.size.get(id) as { b: number } | undefined;
    if (!r) return;
    this.st.delete.run(id);
    this.totalBytes -= r.b;
  }

  /** Records a failed attempt; the request is due again at `nextMs`. */
  retryAt(id: number, nextMs: number): void {
    this.st.retry.run(nextMs, id);
  }

  /** Bytes and requests queued, per signal, and the oldest request's enqueue time. */
  depth(): { bytes: number; requests: Record<ForwardSignal, number>; oldestMs: number | undefined } {
    const requests: Record<ForwardSignal, number> = { traces: 0, metrics: 0, logs: 0 };
    let oldestMs: number | undefined;
    for (const r of this.st.count.all() as Array<{ signal: ForwardSignal; n: number; oldest: number }>) {
      requests[r.signal] = r.n;
      oldestMs = oldestMs === undefined ? r.oldest : Math.min(oldestMs, r.oldest);
    }
    return { bytes: this.totalBytes, requests, oldestMs };
  }
}
