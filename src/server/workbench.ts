// The workbench process: the store, the OTLP listener (:4318), the HTTP server (:8000) with the JSON API,
// /metrics, the push API, auth and limits, and background tasks (scraping, retention). `qobs up` wraps it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { defaultConfig, type WorkbenchConfig } from '../config/index.js';
import { QobsError } from '../errors.js';
import type { OtlpStats, Signal, TextRegistry } from '../ingest/index.js';
import { handlePush, ingestOtlpQueued, newOtlpStats, OtlpRequestError, Scraper } from '../ingest/index.js';
import type { OtlpResponse } from '../ingest/index.js';
import { GRPC, GrpcError, type GrpcListener, startOtlpGrpc } from './otlp-grpc.js';
import { type IngestBatch, Store } from '../store/index.js';
import { mountApi } from './api.js';
import { ingestedMetricsText, ownMetricsText, RateTracker, type ServerStats } from './self-metrics.js';
import { classifyStorageFault, StorageFaultCounter, storeOpenError } from './storage-faults.js';

/** A module that adds routes or background work to the workbench (dashboard, alerts, device monitor, cost). */
export interface WorkbenchPlugin {
  name: string;
  /**
   * Called before the servers listen: add routes to `wb.app`, start timers with `wb.addTask`. A returned
   * `metricsText` is appended to /metrics on every scrape.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a plugin may return nothing
  setup(wb: Workbench): void | PluginResult | Promise<void | PluginResult>;
}

/** What a plugin's setup may hand back. */
export interface PluginResult {
  /** Prometheus text appended to /metrics (the plugin's own counters). */
  metricsText?: () => string;
}

/** Options beyond the configuration file, for in-process use. */
export interface WorkbenchOptions {
  plugins?: WorkbenchPlugin[];
  /** In-process registries to scrape (the Observer's prom-client registry), by job. */
  registries?: Array<{ job: string; registry: TextRegistry; intervalMs?: number }>;
  /** Called with lines worth telling the operator (the generated token). */
  log?: (line: string) => void;
  /**
   * Runs SQLite's `PRAGMA quick_check` before serving when the database file is at most this many bytes
   * (default 256 MiB; 0 never): a corrupted page is then reported at start with the recovery instead of as
   * failed queries later. It reads the whole file: 4.8 s warm, 12.4 s cold for 1 GB here (docs/reliability.md),
   * so larger files skip it and corruption found later is answered 500 with reason "corrupt" and counted.
   */
  quickCheckMaxBytes?: number;
}

/** A running workbench. */
export interface Workbench {
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:8000. */
  url: string;
  /** Base URL of the OTLP listener, e.g. http://127.0.0.1:4318. */
  otlpUrl: string;
  /** Address of the OTLP/gRPC listener, e.g. http://127.0.0.1:4317; undefined when it is off. */
  otlpGrpcUrl?: string;
  store: Store;
  /** The Fastify instance of :8000, where plugins add routes. */
  app: FastifyInstance;
  otlpApp: FastifyInstance;
  config: WorkbenchConfig;
  /** The bearer token in force (undefined: none required). */
  token: string | undefined;
  /** Every route of both servers, core and plugins' alike (the HTTP fuzzer walks this list). */
  routes: RouteInfo[];
  /** Registers a task stopped at close (a timer or anything with a stop function). */
  addTask(stop: () => void | Promise<void>): void;
  /**
   * Registers a listener called for every OTLP request answered 2xx, after its commit and before its answer
   * is written (what it does synchronously happens before the client hears back). Errors it throws are ignored.
   */
  onOtlpAccepted(listener: (accepted: AcceptedOtlp) => void): void;
  /** Stops tasks and servers, flushes heads into chunks and closes the store. Idempotent. */
  close(): Promise<void>;
}

/** An OTLP request the workbench stored: as received, and decoded as stored. */
export interface AcceptedOtlp {
  signal: Signal;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** The body as received (still compressed when it came so). */
  body: Buffer;
  /** What was stored (see OtlpResponse.batch). */
  batch: IngestBatch;
}

/** Databases up to this size are checked with `PRAGMA quick_check` at start (about 1 s warm per 200 MB). */
const DEFAULT_QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024;

/** One route of the workbench: which server, the method and the URL pattern (`:param`, `*`). */
export interface RouteInfo {
  server: 'http' | 'otlp';
  method: string;
  url: string;
}

/** Loopback addresses, where running without a token is allowed. */
function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

export class WorkbenchError extends QobsError {}

function authHook(token: string | undefined) {
  if (!token) return undefined;
  const expected = Buffer.from(`Bearer ${token}`);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.url === '/healthz' || req.url.startsWith('/healthz?')) return;
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      reply
        .header('www-authenticate', 'Bearer')
        .code(401)
        .send({ error: 'a valid bearer token is required' });
      return reply;
    }
  };
}

/** Throws an SQLITE_CORRUPT-coded error (and closes the store) when `PRAGMA quick_check` finds damage. */
function quickCheck(store: Store): void {
  const rows = store.db.pragma('quick_check(20)') as Array<{ quick_check: string }>;
  const found = rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
  if (found.length === 0) return;
  try {
    store.db.close();
  } catch {
    // closing a damaged file may fail too; the error below is what matters
  }
  throw Object.assign(new Error(`quick_check found: ${found.slice(0, 3).join('; ').replace(/\s+/g, ' ')}`), {
    code: 'SQLITE_CORRUPT',
  });
}

/** Opens the store; a corrupted or unwritable file is a StoreOpenError naming the file and the recovery. */
function openStore(cfg: WorkbenchConfig, quickCheckMaxBytes: number): Store {
  try {
    const store = Store.open({
      dataDir: cfg.dataDir,
      retentionMs: cfg.retentionMs,
      maxBytes: cfg.maxSizeBytes,
      chunkSamples: cfg.chunkSamples,
      synchronous: cfg.durability === 'power' ? 'FULL' : 'NORMAL',
      maxSeriesPerMetric: cfg.maxSeriesPerMetric,
      maxLabelValueLength: cfg.maxLabelValueLength,
    });
    if (quickCheckMaxBytes > 0 && store.fileBytes() <= quickCheckMaxBytes) quickCheck(store);
    return store;
  } catch (err) {
    throw storeOpenError(path.join(path.resolve(cfg.dataDir), 'qobs.db'), err);
  }
}

function statusBody(message: string): Buffer {
  // google.rpc.Status { string message = 2 }, the OTLP error body for protobuf requests.
  const msg = Buffer.from(message, 'utf8');
  const len: number[] = [];
  let n = msg.length;
  while (n >= 128) {
    len.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  len.push(n);
  return Buffer.concat([Buffer.from([0x12, ...len]), msg]);
}

/**
 * Creates and starts a workbench: opens the store, starts both listeners and the background tasks.
 * @example
 *   const wb = await startWorkbench({ ...defaultConfig(), dataDir: dir, port: 0, otlpPort: 0 });
 *   // send OTLP to `${wb.otlpUrl}/v1/traces`, read `${wb.url}/api/traces`
 *   await wb.close();
 */
export async function startWorkbench(
  config: Partial<WorkbenchConfig> = {},
  options: WorkbenchOptions = {},
): Promise<Workbench> {
  const cfg: WorkbenchConfig = { ...defaultConfig(), ...config };
  let token = cfg.token;
  if (!token && (!isLoopback(cfg.host) || !isLoopback(cfg.otlpHost))) {
    token = randomBytes(24).toString('base64url');
    (options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(
      `qobs: listening beyond loopback requires a token; generated one for this run: ${token}`,
    );
  }
  const store = openStore(cfg, options.quickCheckMaxBytes ?? DEFAULT_QUICK_CHECK_MAX_BYTES);
  const storageFaults = new StorageFaultCounter();
  const otlpStats: OtlpStats = newOtlpStats();
  const serverStats: ServerStats = { inflight: 0, droppedBackpressure: 0, pushRequests: 0, httpErrors: 0 };
  const rates = new RateTracker();
  const tasks: Array<() => void | Promise<void>> = [];
  const accepted: Array<(a: AcceptedOtlp) => void> = [];
  let closing = false;

  const app = Fastify({ logger: false, bodyLimit: cfg.maxBodyBytes, forceCloseConnections: true });
  const otlpApp = Fastify({ logger: false, bodyLimit: cfg.maxBodyBytes, forceCloseConnections: true });
  const routes: RouteInfo[] = [];
  for (const [server, a] of [
    ['http', app],
    ['otlp', otlpApp],
  ] as const)
    a.addHook('onRoute', (r) => {
      for (const method of ([] as string[]).concat(r.method)) routes.push({ server, method, url: r.url });
    });
  const auth = authHook(token);
  if (auth) {
    app.addHook('onRequest', auth);
    otlpApp.addHook('onRequest', auth);
  }

  // ---- OTLP listener
  otlpApp.removeAllContentTypeParsers();
  otlpApp.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: cfg.maxBodyBytes }, (_req, body, done) =>
    done(null, body),
  );
  otlpApp.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST') return;
    if (closing) {
      reply.header('retry-after', '1').code(503).send({ error: 'the workbench is shutting down' });
      return reply;
    }
    // Backpressure: bodies being received and decoded are the queue; beyond its bound the client retries later.
    if (serverStats.inflight >= cfg.maxInflightRequests) {
      serverStats.droppedBackpressure++;
      reply.header('retry-after', '1').code(503).send({ error: 'ingest queue full, retry later' });
      return reply;
    }
    serverStats.inflight++;
    (req as FastifyRequest & { counted?: boolean }).counted = true;
  });
  otlpApp.addHook('onResponse', async (req) => {
    if ((req as FastifyRequest & { counted?: boolean }).counted) serverStats.inflight--;
  });
  otlpApp.addHook('onRequestAbort', async (req) => {
    if ((req as FastifyRequest & { counted?: boolean }).counted) {
      (req as FastifyRequest & { counted?: boolean }).counted = false;
      serverStats.inflight--;
    }
  });
  const isProto = (req: FastifyRequest) => /protobuf/i.test(String(req.headers['content-type'] ?? ''));
  otlpApp.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const fault = classifyStorageFault(err);
    if (fault) {
      storageFaults.add(fault.reason);
      if (fault.status === 503) reply.header('retry-after', String(fault.retryAfterSeconds));
      if (isProto(req))
        return reply.code(fault.status).type('application/x-protobuf').send(statusBody(fault.message));
      return reply
        .code(fault.status)
        .send({ code: fault.status, reason: fault.reason, message: fault.message });
    }
    const status =
      err instanceof OtlpRequestError
        ? err.status
        : err.statusCode && err.statusCode < 500
          ? err.statusCode
          : 500;
    if (status === 500) serverStats.httpErrors++;
    const message = status === 500 ? `internal error: ${err.message}` : err.message;
    if (status === 400) otlpStats.malformed += err instanceof OtlpRequestError ? 0 : 1;
    if (status === 503 || status === 429) reply.header('retry-after', '1');
    if (isProto(req)) reply.code(status).type('application/x-protobuf').send(statusBody(message));
    else reply.code(status).send({ code: status, message });
  });
  /** One OTLP request into the store, then to the listeners: OTLP/HTTP and OTLP/gRPC alike. */
  const ingestRequest = async (
    signal: Signal,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    body: Buffer,
  ): Promise<OtlpResponse> => {
    const res = await ingestOtlpQueued(
      store,
      signal,
      contentType,
      contentEncoding,
      body,
      cfg.maxDecodedBytes,
      otlpStats,
    );
    if (res.batch && res.status >= 200 && res.status < 300 && accepted.length > 0) {
      const a: AcceptedOtlp = { signal, contentType, contentEncoding, body, batch: res.batch };
      for (const l of accepted) {
        try {
          l(a);
        } catch {
          // a listener's failure must not turn a stored request into an error
        }
      }
    }
    return res;
  };
  for (const signal of ['traces', 'metrics', 'logs'] as Signal[]) {
    otlpApp.post(`/v1/${signal}`, async (req, reply) => {
      const res = await ingestRequest(
        signal,
        req.headers['content-type'],
        req.headers['content-encoding'] as string | undefined,
        Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      );
      reply.code(res.status).type(res.contentType).send(res.body);
    });
  }
  // ---- OTLP/gRPC: the same ingest, refusals as gRPC statuses
  const grpcAdmit = () => {
    if (closing) throw new GrpcError(GRPC.UNAVAILABLE, 'the workbench is shutting down');
    if (serverStats.inflight >= cfg.maxInflightRequests) {
      serverStats.droppedBackpressure++;
      throw new GrpcError(GRPC.UNAVAILABLE, 'ingest queue full, retry later');
    }
    serverStats.inflight++;
  };
  const grpcIngest = async (signal: Signal, encoding: string | undefined, message: Buffer) => {
    try {
      const res = await ingestRequest(signal, 'application/x-protobuf', encoding, message);
      return Buffer.isBuffer(res.body) ? res.body : Buffer.from(res.body);
    } catch (err) {
      const fault = classifyStorageFault(err);
      if (fault) {
        storageFaults.add(fault.reason);
        throw new GrpcError(fault.status === 503 ? GRPC.UNAVAILABLE : GRPC.INTERNAL, fault.message);
      }
      if (err instanceof OtlpRequestError)
        throw new GrpcError(
          err.status === 413
            ? GRPC.RESOURCE_EXHAUSTED
            : err.status === 429 || err.status === 503
              ? GRPC.UNAVAILABLE
              : GRPC.INVALID_ARGUMENT,
          err.message,
        );
      serverStats.httpErrors++;
      throw err;
    }
  };
  let grpc: GrpcListener | undefined;
  otlpApp.get('/healthz', async () => ({ status: 'ok' }));

  // ---- HTTP server
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: cfg.maxBodyBytes }, (_req, body, done) =>
    done(null, body),
  );
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const fault = classifyStorageFault(err);
    if (fault) {
      // Checked before QobsError: a StoreError caused by a full disk is the server's condition, not bad input.
      storageFaults.add(fault.reason);
      if (fault.status === 503) reply.header('retry-after', String(fault.retryAfterSeconds));
      return reply.code(fault.status).send({ status: 'error', reason: fault.reason, error: fault.message });
    }
    const status =
      err.statusCode && err.statusCode >= 400 && err.statusCode < 500
        ? err.statusCode
        : err instanceof QobsError
          ? 400
          : 500;
    if (status === 500) serverStats.httpErrors++;
    reply.code(status).send({ status: 'error', error: err.message });
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (closing || !store.isOpen) return reply.code(503).send({ status: 'shutting down' });
    return { status: 'ready' };
  });
  // Where workloads send their telemetry, for the dashboard's first-run guide (the URLs as bound).
  app.get('/api/status', async () => ({ otlp: { http: wb.otlpUrl, grpc: wb.otlpGrpcUrl ?? null } }));
  const selfText = () =>
    ownMetricsText(store, otlpStats, scraper.stats, serverStats, rates) + storageFaults.metricsText();
  const pluginMetrics: Array<() => string> = [];
  app.get('/metrics', async (_req, reply) => {
    let text = ingestedMetricsText(store, 'qobs') + selfText();
    for (const m of pluginMetrics) {
      try {
        const t = m();
        text += t.endsWith('\n') || t === '' ? t : `${t}\n`;
      } catch {
        serverStats.httpErrors++;
      }
    }
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
  const push = async (req: FastifyRequest, reply: FastifyReply) => {
    serverStats.pushRequests++;
    const rest = req.url.slice('/metrics/'.length).split('?')[0];
    const body = typeof req.body === 'string' ? req.body : '';
    const r = handlePush(store, req.method, rest, body);
    otlpStats.secretsRedacted += r.secretsRedacted ?? 0;
    reply.code(r.status).type('text/plain').send(r.body);
  };
  app.put('/metrics/job/*', push);
  app.post('/metrics/job/*', push);
  app.delete('/metrics/job/*', push);
  await mountApi(app, store);

  const scraper = new Scraper(
    store,
    cfg.scrapeTargets,
    (options.registries ?? []).map((r) => ({
      job: r.job,
      registry: r.registry,
      intervalMs: r.intervalMs ?? 15_000,
    })),
  );

  const wb: Workbench = {
    url: '',
    otlpUrl: '',
    store,
    app,
    otlpApp,
    config: cfg,
    token,
    routes,
    addTask(stop) {
      tasks.push(stop);
    },
    onOtlpAccepted(listener) {
      accepted.push(listener);
    },
    async close() {
      if (closing) return;
      closing = true;
      scraper.stop();
      for (const t of tasks.splice(0).reverse()) {
        try {
          await t();
        } catch {
          // a plugin's failure to stop must not keep the store from closing
        }
      }
      await Promise.allSettled([app.close(), otlpApp.close(), grpc?.close()]);
      store.close();
    },
  };
  // The final URLs are known after listen; with fixed ports plugins can read them during setup already.
  const hostPart = (h: string) => (h.includes(':') ? `[${h}]` : h);
  if (cfg.port !== 0) wb.url = `http://${hostPart(cfg.host)}:${cfg.port}`;
  if (cfg.otlpPort !== 0) wb.otlpUrl = `http://${hostPart(cfg.otlpHost)}:${cfg.otlpPort}`;
  try {
    for (const p of options.plugins ?? []) {
      const r = await p.setup(wb);
      if (r && typeof r.metricsText === 'function') pluginMetrics.push(r.metricsText);
    }
    await otlpApp.listen({ host: cfg.otlpHost, port: cfg.otlpPort });
    if (cfg.otlpGrpcPort !== false) {
      const port = cfg.otlpGrpcPort ?? (cfg.otlpPort === 0 ? 0 : 4317);
      grpc = await startOtlpGrpc(
        {
          token,
          maxBodyBytes: cfg.maxBodyBytes,
          ingest: grpcIngest,
          admit: grpcAdmit,
          release: () => {
            serverStats.inflight--;
          },
          malformed: () => {
            otlpStats.malformed++;
          },
        },
        { host: cfg.otlpHost, port },
      );
      wb.otlpGrpcUrl = `http://${hostPart(cfg.otlpHost)}:${grpc.port}`;
    }
    await app.listen({ host: cfg.host, port: cfg.port });
  } catch (err) {
    await Promise.allSettled([app.close(), otlpApp.close(), grpc?.close()]);
    store.close();
    throw new WorkbenchError(
      'workbench_start_failed',
      `the workbench could not start: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const addr = (a: FastifyInstance, host: string) => {
    const port = (a.server.address() as { port: number }).port;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  };
  wb.url = addr(app, cfg.host);
  wb.otlpUrl = addr(otlpApp, cfg.otlpHost);

  scraper.start();
  const timers: NodeJS.Timeout[] = [];
  timers.push(
    setInterval(() => {
      rates.tick({
        traces: otlpStats.accepted.traces,
        metrics: otlpStats.accepted.metrics,
        logs: otlpStats.accepted.logs,
      });
    }, 5000),
  );
  timers.push(
    setInterval(() => {
      if (closing) return;
      try {
        store.enforceRetention();
      } catch (err) {
        // A failed pass (disk full, a locked file) is retried at the next interval; it must not stop ingest.
        serverStats.httpErrors++;
        (options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(
          `qobs: retention pass failed: ${(err as Error).message}`,
        );
      }
    }, cfg.retentionCheckIntervalMs),
  );
  if (cfg.selfScrapeIntervalMs > 0)
    timers.push(
      setInterval(() => void scraper.scrapeRegistry('qobs', { metrics: selfText }), cfg.selfScrapeIntervalMs),
    );
  for (const t of timers) t.unref();
  tasks.push(() => {
    for (const t of timers) clearInterval(t);
  });
  return wb;
}
