// The workbench configuration: `qobs.yaml`, validated at start (every error names its key), with
// environment overrides (QOBS_*) and command-line overrides on top.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type BudgetSpec, parseBudgets } from '../cost/budgets.js';
import { QobsConfigError } from '../errors.js';

const durationRe = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const sizeRe = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/;
const UNIT_BYTES: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/** A duration: a number of milliseconds or a string like '15s', '30d'. */
const duration = z
  .union([z.number().nonnegative(), z.string().regex(durationRe, "a duration like '15s', '2h' or '30d'")])
  .transform((v) => {
    if (typeof v === 'number') return v;
    const m = durationRe.exec(v)!;
    return Number(m[1]) * UNIT_MS[m[2]];
  });

/** A size: a number of bytes or a string like '512MiB', '2GB'. */
const size = z
  .union([z.number().nonnegative(), z.string().regex(sizeRe, "a size like '512MiB' or '2GB'")])
  .transform((v) => {
    if (typeof v === 'number') return v;
    const m = sizeRe.exec(v.trim())!;
    return Math.round(Number(m[1]) * UNIT_BYTES[m[2] ?? 'B']);
  });

const port = z.number().int().min(0).max(65535);

/** One provider the device monitor polls. */
const providerEntry = z
  .object({
    interval: duration.default(300_000),
    /** Only these devices (default all the provider lists). */
    devices: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** A remote provider: canaries run there only when both daily caps and a device list are given (they cost money). */
const remoteEntry = providerEntry.extend({
  canary_interval: duration.optional(),
  canary_shots_per_day: z.number().int().positive().optional(),
  canary_max_usd_per_day: z.number().finite().nonnegative().optional(),
  /** Expected seconds of one canary job, to price per-second billing (IBM) before the first job has run. */
  canary_seconds_per_job: z.number().finite().positive().optional(),
});

const schema = z
  .object({
    data_dir: z.string().min(1).default('.qobs'),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8000),
        token: z.string().min(16, 'a token of at least 16 characters').optional(),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8000 }),
    otlp: z
      .object({
        host: z.string().min(1).optional(),
        port: port.default(4318),
        /** OTLP/gRPC; unset: 4317 (any free port when `port` is 0); `false` or `off`: no gRPC listener. */
        grpc_port: z
          .union([port, z.literal(false), z.literal('off').transform(() => false as const)])
          .optional(),
        max_body_bytes: size.default(16 * 1024 * 1024),
        max_decoded_bytes: size.default(64 * 1024 * 1024),
        max_inflight_requests: z.number().int().positive().default(64),
      })
      .strict()
      .default({
        port: 4318,
        max_body_bytes: 16 * 1024 * 1024,
        max_decoded_bytes: 64 * 1024 * 1024,
        max_inflight_requests: 64,
      }),
    storage: z
      .object({
        retention: duration.default(15 * 86_400_000),
        max_size: size.default(0),
        durability: z.enum(['process', 'power']).default('process'),
        chunk_samples: z.number().int().min(8).max(65536).default(440),
      })
      .strict()
      .default({ retention: 15 * 86_400_000, max_size: 0, durability: 'process', chunk_samples: 440 }),
    scrape: z
      .object({
        interval: duration.default(15_000),
        timeout: duration.default(10_000),
        targets: z
          .array(
            z
              .object({
                job: z.string().min(1),
                url: z.string().url(),
                interval: duration.optional(),
                timeout: duration.optional(),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({ interval: 15_000, timeout: 10_000, targets: [] }),
    /** Bounds on what ingest accepts; what exceeds them is dropped and counted, never stored in part. */
    limits: z
      .object({
        max_series_per_metric: z.number().int().positive().default(10_000),
        max_label_value_length: z.number().int().positive().default(2048),
      })
      .strict()
      .default({ max_series_per_metric: 10_000, max_label_value_length: 2048 }),
    /** The price catalogue and budgets the workbench's cost views use. */
    cost: z
      .object({
        /** A catalogue file (default: QOBS_PRICE_CATALOGUE, else the bundled catalogue). */
        catalogue: z.string().min(1).optional(),
        /** Budgets as `parseBudgets` reads them (name, amount_usd, period_days, project, provider, device, warn_at). */
        budgets: z.array(z.unknown()).default([]),
      })
      .strict()
      .default({ budgets: [] }),
    /** OTLP/HTTP forwarding of what the OTLP listener accepts, to a Collector, Tempo, Jaeger or Loki (off by default). */
    forward: z
      .object({
        /** Base URL; `/v1/traces`, `/v1/metrics` and `/v1/logs` are appended, as OTEL_EXPORTER_OTLP_ENDPOINT. */
        endpoint: z.string().url().optional(),
        /** Per-signal URLs used as they are (e.g. Loki's `/otlp/v1/logs`); a signal with no URL is not forwarded. */
        traces_endpoint: z.string().url().optional(),
        metrics_endpoint: z.string().url().optional(),
        logs_endpoint: z.string().url().optional(),
        /** Headers on every forwarded request (e.g. authorization). */
        headers: z.record(z.string(), z.string()).default({}),
        timeout: duration.default(10_000),
        /** Bytes the durable forwarding queue may hold; beyond, the oldest requests are dropped and counted. */
        max_queue_bytes: size.default(256 * 1024 * 1024),
      })
      .strict()
      .optional(),
    /** Providers the device monitor polls (credentials from each provider's usual environment variables). */
    providers: z
      .object({
        local: providerEntry.extend({ canary_interval: duration.optional() }).strict().optional(),
        ibm: remoteEntry.extend({ base_url: z.string().url().optional() }).strict().optional(),
        braket: remoteEntry
          .extend({
            region: z.string().min(1).optional(),
            endpoint: z.string().url().optional(),
            output_s3_bucket: z.string().min(1).optional(),
            output_s3_key_prefix: z.string().min(1).optional(),
          })
          .strict()
          .optional(),
        ionq: remoteEntry.extend({ base_url: z.string().url().optional() }).strict().optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

/** The workbench configuration, resolved (durations in ms, sizes in bytes). */
export interface WorkbenchConfig {
  dataDir: string;
  host: string;
  port: number;
  otlpHost: string;
  otlpPort: number;
  /**
   * OTLP/gRPC port on otlpHost; undefined: 4317, or any free port when otlpPort is 0 (so that workbenches on
   * ephemeral ports do not collide); false: no gRPC listener.
   */
  otlpGrpcPort?: number | false;
  /** Bearer token required on every endpoint but /healthz; undefined means none (loopback only). */
  token?: string;
  maxBodyBytes: number;
  maxDecodedBytes: number;
  maxInflightRequests: number;
  retentionMs: number;
  maxSizeBytes: number;
  /** 'process': acknowledged data survives a process kill (synchronous=NORMAL); 'power': also a power cut (FULL). */
  durability: 'process' | 'power';
  chunkSamples: number;
  scrapeTargets: Array<{ job: string; url: string; intervalMs: number; timeoutMs: number }>;
  /** How often the workbench records its own metrics into the store (0 turns it off). */
  selfScrapeIntervalMs: number;
  /** How often retention and the size cap are enforced. */
  retentionCheckIntervalMs: number;
  /** Providers the device monitor polls; empty: no monitor. */
  providers: MonitoredProviderConfig[];
  /** Series a single metric name may have; samples of further series are dropped and counted. */
  maxSeriesPerMetric: number;
  /** Longest label value accepted (characters); a sample with a longer one is dropped and counted. */
  maxLabelValueLength: number;
  /** Price catalogue file for the cost views; undefined: QOBS_PRICE_CATALOGUE or the bundled one. */
  costCatalogueFile?: string;
  /** Budgets the cost views report spend against. */
  budgets: BudgetSpec[];
  /** OTLP forwarding; undefined: off. */
  forward?: ForwardConfig;
}

/** Where and how accepted OTLP requests are forwarded, resolved. */
export interface ForwardConfig {
  /** Full URL per signal; a signal without one is not forwarded. */
  urls: Partial<Record<'traces' | 'metrics' | 'logs', string>>;
  headers: Record<string, string>;
  timeoutMs: number;
  maxQueueBytes: number;
}

/** A provider the device monitor polls, resolved. */
export interface MonitoredProviderConfig {
  name: 'local' | 'ibm' | 'braket' | 'ionq';
  intervalMs: number;
  devices?: string[];
  baseUrl?: string;
  region?: string;
  endpoint?: string;
  /** Time between canary rounds (GHZ on the best chain, mirror circuits); remote providers only with both caps. */
  canaryIntervalMs?: number;
  /** Remote providers: shots canaries may spend per UTC day. */
  canaryShotsPerDay?: number;
  /** Remote providers: dollars canaries may spend per UTC day, priced with the catalogue. */
  canaryMaxUsdPerDay?: number;
  /** Remote providers billed per second: expected seconds of one canary job. */
  canarySecondsPerJob?: number;
  /** Braket: the S3 bucket and key prefix task results are written to (submission needs a bucket). */
  outputS3Bucket?: string;
  outputS3KeyPrefix?: string;
}

/** Command-line overrides (`qobs up --data --port --otlp-port --host`). */
export interface ConfigOverrides {
  dataDir?: string;
  port?: number;
  otlpPort?: number;
  otlpGrpcPort?: number | false;
  host?: string;
  token?: string;
}

function issuePath(p: ReadonlyArray<PropertyKey>): string {
  return (
    p
      .map((x) => (typeof x === 'number' ? `[${x}]` : String(x)))
      .join('.')
      .replace(/\.\[/g, '[') || '(root)'
  );
}

/** Thrown with every issue of a configuration, each naming its key. */
export class ConfigValidationError extends QobsConfigError {
  readonly issues: Array<{ field: string; message: string }>;
  constructor(source: string, issues: Array<{ field: string; message: string }>) {
    super(
      issues[0]?.field ?? '(root)',
      `${source}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    );
    this.issues = issues;
  }
}

/** Validates a parsed `qobs.yaml` object; throws ConfigValidationError listing every issue. */
export function parseConfig(raw: unknown, source = 'qobs.yaml'): WorkbenchConfig {
  const r = schema.safeParse(raw ?? {});
  if (!r.success) {
    throw new ConfigValidationError(
      source,
      r.error.issues.map((i) => ({
        field:
          issuePath(i.path) === '(root)' && i.code === 'unrecognized_keys'
            ? i.keys.join(', ')
            : issuePath(i.path),
        message:
          i.code === 'unrecognized_keys'
            ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}`
            : i.message,
      })),
    );
  }
  const c = r.data;
  let budgets: BudgetSpec[];
  try {
    budgets = parseBudgets(c.cost.budgets);
  } catch (err) {
    if (!(err instanceof QobsConfigError)) throw err;
    const message = err.message.startsWith(`${err.field}: `)
      ? err.message.slice(err.field.length + 2)
      : err.message;
    throw new ConfigValidationError(source, [{ field: `cost.${err.field}`, message }]);
  }
  return {
    dataDir: c.data_dir,
    host: c.server.host,
    port: c.server.port,
    otlpHost: c.otlp.host ?? c.server.host,
    otlpPort: c.otlp.port,
    otlpGrpcPort: c.otlp.grpc_port,
    token: c.server.token,
    maxBodyBytes: c.otlp.max_body_bytes,
    maxDecodedBytes: c.otlp.max_decoded_bytes,
    maxInflightRequests: c.otlp.max_inflight_requests,
    retentionMs: c.storage.retention,
    maxSizeBytes: c.storage.max_size,
    durability: c.storage.durability,
    chunkSamples: c.storage.chunk_samples,
    scrapeTargets: c.scrape.targets.map((t) => ({
      job: t.job,
      url: t.url,
      intervalMs: t.interval ?? c.scrape.interval,
      timeoutMs: t.timeout ?? c.scrape.timeout,
    })),
    maxSeriesPerMetric: c.limits.max_series_per_metric,
    maxLabelValueLength: c.limits.max_label_value_length,
    costCatalogueFile: c.cost.catalogue,
    budgets,
    forward: c.forward ? resolveForward(c.forward) : undefined,
    selfScrapeIntervalMs: 15_000,
    retentionCheckIntervalMs: 60_000,
    providers: (['local', 'ibm', 'braket', 'ionq'] as const).flatMap((name) => {
      const p = c.providers[name] as
        | {
            interval: number;
            devices?: string[];
            base_url?: string;
            region?: string;
            endpoint?: string;
            canary_interval?: number;
            canary_shots_per_day?: number;
            canary_max_usd_per_day?: number;
            canary_seconds_per_job?: number;
            output_s3_bucket?: string;
            output_s3_key_prefix?: string;
          }
        | undefined;
      if (!p) return [];
      const defined = <T extends object>(o: T) =>
        Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
      return [
        {
          name,
          intervalMs: p.interval,
          devices: p.devices,
          baseUrl: p.base_url,
          region: p.region,
          endpoint: p.endpoint,
          ...(name === 'local'
            ? { canaryIntervalMs: p.canary_interval ?? 3_600_000 }
            : defined({
                canaryIntervalMs: p.canary_interval,
                canaryShotsPerDay: p.canary_shots_per_day,
                canaryMaxUsdPerDay: p.canary_max_usd_per_day,
                canarySecondsPerJob: p.canary_seconds_per_job,
                outputS3Bucket: p.output_s3_bucket,
                outputS3KeyPrefix: p.output_s3_key_prefix,
              })),
        },
      ];
    }),
  };
}

function resolveForward(f: {
  endpoint?: string;
  traces_endpoint?: string;
  metrics_endpoint?: string;
  logs_endpoint?: string;
  headers: Record<string, string>;
  timeout: number;
  max_queue_bytes: number;
}): ForwardConfig | undefined {
  const base = f.endpoint?.replace(/\/+$/, '');
  const urls: ForwardConfig['urls'] = {};
  for (const signal of ['traces', 'metrics', 'logs'] as const) {
    const url = f[`${signal}_endpoint`] ?? (base ? `${base}/v1/${signal}` : undefined);
    if (url) urls[signal] = url;
  }
  if (Object.keys(urls).length === 0) return undefined;
  return { urls, headers: f.headers, timeoutMs: f.timeout, maxQueueBytes: f.max_queue_bytes };
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new QobsConfigError(name, `must be a port number, got '${v}'`);
  return n;
}

/**
 * Loads the configuration: `file` (default ./qobs.yaml when it exists), then environment overrides
 * (QOBS_DATA_DIR, QOBS_HOST, QOBS_PORT, QOBS_OTLP_PORT, QOBS_OTLP_GRPC_PORT, QOBS_TOKEN), then `overrides`.
 */
export function loadConfig(
  file?: string,
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): WorkbenchConfig {
  const path = file ?? (existsSync('qobs.yaml') ? 'qobs.yaml' : undefined);
  let raw: unknown = {};
  if (path) {
    if (!existsSync(path)) throw new QobsConfigError('config', `file '${path}' does not exist`);
    try {
      raw = parseYaml(readFileSync(path, 'utf8')) ?? {};
    } catch (err) {
      throw new QobsConfigError('config', `${path} is not valid YAML: ${(err as Error).message}`);
    }
  }
  const c = parseConfig(raw, path ?? 'configuration');
  const fromEnv: ConfigOverrides = {
    dataDir: env.QOBS_DATA_DIR || undefined,
    host: env.QOBS_HOST || undefined,
    port: envInt(env, 'QOBS_PORT'),
    otlpPort: envInt(env, 'QOBS_OTLP_PORT'),
    otlpGrpcPort: env.QOBS_OTLP_GRPC_PORT === 'off' ? false : envInt(env, 'QOBS_OTLP_GRPC_PORT'),
    token: env.QOBS_TOKEN || undefined,
  };
  for (const o of [fromEnv, overrides]) {
    if (o.dataDir !== undefined) c.dataDir = o.dataDir;
    if (o.host !== undefined) {
      c.host = o.host;
      c.otlpHost = o.host;
    }
    if (o.port !== undefined) c.port = o.port;
    if (o.otlpPort !== undefined) c.otlpPort = o.otlpPort;
    if (o.otlpGrpcPort !== undefined) c.otlpGrpcPort = o.otlpGrpcPort;
    if (o.token !== undefined) c.token = o.token;
  }
  return c;
}

/** The defaults, as `parseConfig({})` gives them, with optional changes (for tests and embedding). */
export function defaultConfig(changes: Partial<WorkbenchConfig> = {}): WorkbenchConfig {
  return { ...parseConfig({}), ...changes };
}
