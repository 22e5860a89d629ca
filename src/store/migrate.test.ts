import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MigrationError, migrate } from './migrate.js';

describe('migrate', () => {
  it('applies each migration once per namespace and refuses a newer schema', () => {
    const db = new Database(':memory:');
    expect(migrate(db, 'a', ['CREATE TABLE t1 (x)', 'CREATE TABLE t2 (y)'])).toBe(2);
    expect(migrate(db, 'a', ['CREATE TABLE t1 (x)', 'CREATE TABLE t2 (y)'])).toBe(0);
    expect(migrate(db, 'a', ['CREATE TABLE t1 (x)', 'CREATE TABLE t2 (y)', 'CREATE TABLE t3 (z)'])).toBe(1);
    expect(migrate(db, 'b', ['CREATE TABLE u1 (x)'])).toBe(1);
    expect(() => migrate(db, 'a', ['CREATE TABLE t1 (x)'])).toThrow(MigrationError);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all();
    expect(tables.map((t) => (t as { name: string }).name)).toEqual([
      'schema_migrations',
      't1',
      't2',
      't3',
      'u1',
    ]);
  });

  it('rolls back a failing migration and keeps the version', () => {
    const db = new Database(':memory:');
    migrate(db, 'a', ['CREATE TABLE t1 (x)']);
    expect(() =>
      migrate(db, 'a', ['CREATE TABLE t1 (x)', 'CREATE TABLE t2 (y); CREATE TABLE broken (']),
    ).toThrow();
    const v = db.prepare("SELECT version FROM schema_migrations WHERE namespace='a'").get() as {
      version: number;
    };
    expect(v.version).toBe(1);
    expect(db.prepare("SELECT count(*) n FROM sqlite_master WHERE name='t2'").get()).toEqual({ n: 0 });
  });
});
