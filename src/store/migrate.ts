// Versioned schema migrations, per namespace, so each part of the store (core series, spans and logs;
// alerts and the notification outbox; devices) evolves its own tables in the one SQLite file.
import type BetterSqlite3 from 'better-sqlite3';
import { QobsError } from '../errors.js';

export class MigrationError extends QobsError {}

/**
 * Applies `migrations[i]` for every i at or above the namespace's recorded version, each in its own
 * transaction; returns the number applied. Migrations are append-only: never edit a released one.
 */
export function migrate(
  db: BetterSqlite3.Database,
  namespace: string,
  migrations: readonly string[],
): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (namespace TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const row = db.prepare('SELECT version FROM schema_migrations WHERE namespace = ?').get(namespace) as
    | { version: number }
    | undefined;
  const current = row?.version ?? 0;
  if (current > migrations.length) {
    throw new MigrationError(
      'schema_too_new',
      `the database's '${namespace}' schema is at version ${current}, newer than this qobs knows (${migrations.length}); upgrade qobs`,
    );
  }
  const upsert = db.prepare(
    'INSERT INTO schema_migrations (namespace, version, applied_at) VALUES (?, ?, ?) ON CONFLICT(namespace) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at',
  );
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]);
      upsert.run(namespace, v + 1, Date.now());
    })();
  }
  return migrations.length - current;
}
