// For tests of the alerting plugin without a workbench: a host over an in-memory series source and a SQLite file,
// which keeps what the plugin writes back (ALERTS, recording rules) and the stop functions it registers.
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { MemorySeriesSource } from '../promql/index.js';
import type { AlertsHost } from './plugin.js';

type Sample = { labels: Record<string, string>; t: number; v: number };

/** The host, its series source, the samples written back, and `stop()` (the plugin's tasks, then the database). */
export function memoryAlertsHost(dbPath: string): {
  host: AlertsHost;
  src: MemorySeriesSource;
  written: Sample[];
  stop(): Promise<void>;
} {
  const src = new MemorySeriesSource();
  const db = new Database(dbPath);
  const written: Sample[] = [];
  const tasks: Array<() => void | Promise<void>> = [];
  const host: AlertsHost = {
    app: Fastify(),
    url: 'http://127.0.0.1:8000',
    store: Object.assign(src, {
      db,
      ingest: (b: { samples: Sample[] }) => {
        for (const s of b.samples) {
          written.push(s);
          src.append(s.labels, s.t, s.v);
        }
      },
    }),
    addTask: (f) => {
      tasks.push(f);
    },
  };
  return {
    host,
    src,
    written,
    async stop() {
      for (const t of tasks) await t();
      db.close();
    },
  };
}
