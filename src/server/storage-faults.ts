// Storage faults as the HTTP layer answers them: SQLite error codes (disk full, I/O errors, a locked or
// read-only file, a corrupted file) mapped to a status, a Retry-After and a reason, counted for /metrics; and
// the typed error `qobs up` reports when the database cannot be opened.
import { QobsError } from '../errors.js';
import { formatSample } from '../ingest/index.js';
import { StoreCorruptError } from '../store/index.js';

/** Why a request failed on the database file; the `reason` label of `qobs_storage_failures_total`. */
export type StorageFaultReason = 'disk_full' | 'io_error' | 'busy' | 'read_only' | 'corrupt';

/** A storage fault as answered over HTTP. */
export interface StorageFault {
  reason: StorageFaultReason;
  /** 503 for conditions that pass (space returns, a lock is released); 500 for a corrupted file. */
  status: 503 | 500;
  /** Seconds a client should wait before retrying (503 only). */
  retryAfterSeconds: number;
  message: string;
}

/** The SQLite error code (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`, ...) of an error or of one of its causes. */
export function sqliteCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  return undefined;
}

const REASON_TEXT: Record<StorageFaultReason, string> = {
  disk_full: 'the disk holding the database is full',
  io_error: 'the database file could not be written (I/O error)',
  busy: 'the database is locked by another process',
  read_only: 'the database file is read-only',
  corrupt: 'the database file is corrupted',
};

/**
 * Classifies a storage error; undefined when `err` is not one (a bug, answered 500 as before). Only the
 * conditions a client can wait out are 503: resending after a corrupted file would not help.
 */
export function classifyStorageFault(err: unknown): StorageFault | undefined {
  // Stored data that no longer decodes (StoreCorruptError) is the same fault as SQLite finding a damaged page.
  const code = sqliteCode(err) ?? (err instanceof StoreCorruptError ? 'SQLITE_CORRUPT' : undefined);
  if (!code) return undefined;
  let reason: StorageFaultReason;
  if (code === 'SQLITE_FULL') reason = 'disk_full';
  else if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') reason = 'io_error';
  else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) reason = 'busy';
  else if (code.startsWith('SQLITE_READONLY')) reason = 'read_only';
  else if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') reason = 'corrupt';
  else return undefined;
  return {
    reason,
    status: reason === 'corrupt' ? 500 : 503,
    retryAfterSeconds: reason === 'disk_full' ? 30 : 5,
    message: `${REASON_TEXT[reason]} (${code}); nothing of this request was stored${reason === 'corrupt' ? '' : ', retry later'}`,
  };
}

/** Counts storage faults by reason for /metrics. */
export class StorageFaultCounter {
  private readonly counts: Record<StorageFaultReason, number> = {
    disk_full: 0,
    io_error: 0,
    busy: 0,
    read_only: 0,
    corrupt: 0,
  };

  add(reason: StorageFaultReason): void {
    this.counts[reason]++;
  }

  get(reason: StorageFaultReason): number {
    return this.counts[reason];
  }

  /** `qobs_storage_failures_total{reason}` as exposition text. */
  metricsText(): string {
    const name = 'qobs_storage_failures_total';
    const lines = (Object.keys(this.counts) as StorageFaultReason[]).map((r) =>
      formatSample(name, { reason: r }, this.counts[r]),
    );
    return `# HELP ${name} Requests answered 503 or 500 because of the database file (full disk, I/O error, lock, read-only, corrupted), by reason.\n# TYPE ${name} counter\n${lines.join('\n')}\n`;
  }
}

/** The database could not be opened at start; `file` is the database and the message says how to recover. */
export class StoreOpenError extends QobsError {
  readonly file: string;
  constructor(code: string, file: string, message: string, cause: unknown) {
    super(code, message, { cause });
    this.file = file;
  }
}

/**
 * The error `startWorkbench` throws when the store does not open: a corrupted file (`store_corrupt`), a disk
 * that cannot take the file's first writes (`store_disk_full`), or another SQLite failure (`store_open_failed`),
 * each naming the file and what to do.
 */
export function storeOpenError(file: string, err: unknown): StoreOpenError {
  const code = sqliteCode(err);
  const detail = `${(err as Error)?.message ?? String(err)}${code ? ` (${code})` : ''}`;
  if (code && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB'))
    return new StoreOpenError(
      'store_corrupt',
      file,
      `the database ${file} is corrupted: ${detail}. To recover, stop qobs and either move the file aside ` +
        `(mv ${file} ${file}.corrupt, and its -wal and -shm files) and start again with an empty store, or ` +
        `salvage what is readable with: sqlite3 ${file}.corrupt .recover | sqlite3 ${file}` +
        ' (see docs/reliability.md)',
      err,
    );
  if (code === 'SQLITE_FULL' || (code?.startsWith('SQLITE_IOERR') ?? false))
    return new StoreOpenError(
      'store_disk_full',
      file,
      `the database ${file} could not be written at start: ${detail}. Free space on its disk (or raise the ` +
        'file size limit) and start again; nothing stored so far is lost',
      err,
    );
  return new StoreOpenError(
    'store_open_failed',
    file,
    `the database ${file} could not be opened: ${detail}`,
    err,
  );
}
