// The workbench plugin that forwards what the OTLP listener accepts: every 2xx OTLP request is queued durably
// before its answer is written (at-least-once: a crash between the two resends it once), then sent downstream.
import type BetterSqlite3 from 'better-sqlite3';
import type { ForwardConfig } from '../config/index.js';
import { Forwarder, type ForwarderOptions, preparePayload } from './forwarder.js';
import { type ForwardSignal, ForwardQueue } from './queue.js';
import type { IngestBatch } from '../store/index.js';

/** An OTLP request the workbench stored (structural: the server's AcceptedOtlp). */
export interface AcceptedRequest {
  signal: ForwardSignal;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  body: Buffer;
  batch: IngestBatch;
}

/** What the plugin needs of the workbench (structural, so this module does not import the server). */
export interface ForwardHost {
  store: { db: BetterSqlite3.Database };
  config: { maxDecodedBytes: number };
  addTask(stop: () => void | Promise<void>): void;
  onOtlpAccepted(listener: (accepted: AcceptedRequest) => void): void;
}

/** A workbench plugin; `forwarder` is set once it is set up. */
export interface ForwardPlugin {
  name: 'forward';
  setup(wb: ForwardHost): { metricsText: () => string };
  forwarder?: Forwarder;
}

/** Forwarding as configured by `forward:` in qobs.yaml; `options` tune the sender (tests). */
export function forwardPlugin(
  config: ForwardConfig,
  options: Partial<Omit<ForwarderOptions, 'urls' | 'headers' | 'timeoutMs'>> = {},
): ForwardPlugin {
  const plugin: ForwardPlugin = {
    name: 'forward',
    setup(wb) {
      const queue = new ForwardQueue(wb.store.db, config.maxQueueBytes);
      const fwd = new Forwarder(queue, {
        ...options,
        urls: config.urls,
        headers: config.headers,
        timeoutMs: config.timeoutMs,
      });
      plugin.forwarder = fwd;
      // Called after the commit and before the answer is written: queued before the client hears 2xx.
      wb.onOtlpAccepted((a) => {
        if (!fwd.forwards(a.signal)) return;
        try {
          const p = preparePayload(a, wb.config.maxDecodedBytes);
          queue.enqueue(a.signal, p.contentType, p.body);
        } catch {
          // The workbench stored it, so it decodes; a failure here (the disk full) loses only the copy.
          fwd.stats.unprepared[a.signal]++;
          return;
        }
        // Sent once the answer is on its way, whichever protocol brought the request.
        setImmediate(() => fwd.kick());
      });
      fwd.start();
      wb.addTask(async () => {
        await fwd.flush(2000);
        await fwd.stop();
      });
      return { metricsText: () => fwd.metricsText() };
    },
  };
  return plugin;
}
