// The soak run behind `npm run bench -- soak` and its 60-second CI test: an in-process workbench with the
// default alert pack evaluating, a client process sending OTLP at half the maximum measured in a first phase
// of the same run, the Overview's queries and ingest-lag probes; resident memory sampled every second.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alertsPlugin, defaultRulePackPath } from '../alerts/index.js';
import { startWorkbench, type WorkbenchPlugin } from '../server/index.js';
import type { SoakClientOptions, SoakClientResult } from './soak-client.js';

/** Options of `runSoak`. */
export interface SoakOptions {
  /** Length of the soak phase at half the maximum. */
  seconds: number;
  /** Length of the first, unpaced phase that measures the maximum (default 8 s). */
  probeSeconds?: number;
  /** Interval of the Overview's queries (default 5 s). */
  queryEveryMs?: number;
  /** Called with progress lines. */
  log?: (line: string) => void;
}

/** The soak's figures. */
export interface SoakResult {
  bench: 'soak';
  seconds: number;
  maxRequestsPerSecond: number;
  targetRequestsPerSecond: number;
  achievedRequestsPerSecond: number;
  itemsPerSecond: { spans: number; samples: number; logs: number };
  acked: { spans: number; samples: number; logs: number };
  stored: { spans: number; samples: number; logs: number };
  /** Acknowledged items not found in the store (must be 0). */
  missing: { spans: number; samples: number; logs: number };
  clientErrors: Record<string, number>;
  serverHttpErrors: number;
  queryErrors: number;
  queries: number;
  queryP50Ms: number;
  queryP99Ms: number;
  ingestLagP50Ms: number;
  ingestLagP99Ms: number;
  ingestLagMaxMs: number;
  lagMisses: number;
  alertRules: number;
  alertRulesFailing: number;
  alertEvaluations: number;
  rssStartMiB: number;
  rssMaxMiB: number;
  rssEndMiB: number;
  /** Least-squares slope of RSS over the second half of the soak phase. */
  rssSlopeSecondHalfMiBPerMin: number;
  /** RSS every 10 s of the soak phase. */
  rssSeriesMiB: number[];
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function slopePerMin(points: Array<[number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

const clientScript = fileURLToPath(new URL('./soak-client.ts', import.meta.url));

function runClient(o: SoakClientOptions): Promise<SoakClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', clientScript, JSON.stringify(o)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.durationMs + 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop();
      if (code !== 0 || !last) reject(new Error(`soak client exited with ${code}: ${err.slice(0, 2000)}`));
      else resolve(JSON.parse(last) as SoakClientResult);
    });
  });
}

const MiB = 2 ** 20;

/** Runs the probe phase, then the soak phase at half the probe's rate, and checks the store against the acks. */
export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => {});
  const dataDir = mkdtempSync(path.join(tmpdir(), 'qobs-soak-'));
  let alerts:
    | { evaluator: { health: Map<string, { health: string; lastEvaluationMs?: number }> } }
    | undefined;
  let evaluations = 0;
  // The shipped pack, evaluated every 5 s instead of every minute so a short soak sees many rounds.
  const rules = path.join(dataDir, 'soak.rules.yml');
  writeFileSync(rules, readFileSync(defaultRulePackPath(), 'utf8').replace(/interval: 1m/g, 'interval: 5s'));
  const pack = alertsPlugin({ ruleFiles: [rules], evaluationIntervalMs: 5000 });
  // The default pack, kept at hand to read its rules' health at the end.
  const alertsWrapped: WorkbenchPlugin = {
    name: 'alerts',
    async setup(wb) {
      const r = (await pack.setup(wb)) as typeof alerts & { metricsText?: () => string };
      alerts = r;
      return r;
    },
  };
  const wb = await startWorkbench(
    { dataDir, port: 0, otlpPort: 0, selfScrapeIntervalMs: 5000 },
    { plugins: [alertsWrapped], log },
  );
  try {
    const rssStart = process.memoryUsage().rss;
    const probeMs = (opts.probeSeconds ?? 8) * 1000;
    log(`soak: measuring the maximum for ${probeMs / 1000} s`);
    const probe = await runClient({
      otlpUrl: wb.otlpUrl,
      url: wb.url,
      phase: 'probe',
      durationMs: probeMs,
      requestsPerSecond: 0,
      queries: false,
      queryEveryMs: 0,
    });
    const maxRps = probe.acked.requests / (probe.elapsedMs / 1000);
    const targetRps = maxRps / 2;
    log(
      `soak: maximum ${maxRps.toFixed(0)} requests/s; soaking at ${targetRps.toFixed(0)}/s for ${opts.seconds} s`,
    );
    const rss: Array<[number, number]> = [];
    const t0 = Date.now();
    const lastEval = new Map<string, number>();
    const sampler = setInterval(() => {
      rss.push([Date.now() - t0, process.memoryUsage().rss]);
      for (const [k, h] of alerts?.evaluator.health ?? []) {
        if (h.lastEvaluationMs !== undefined && h.lastEvaluationMs !== lastEval.get(k)) {
          lastEval.set(k, h.lastEvaluationMs);
          evaluations++;
        }
      }
      if (rss.length % 30 === 0)
        log(
          `soak: ${Math.round((Date.now() - t0) / 1000)} s, rss ${Math.round(rss[rss.length - 1][1] / MiB)} MiB`,
        );
    }, 1000);
    let soak: SoakClientResult;
    try {
      soak = await runClient({
        otlpUrl: wb.otlpUrl,
        url: wb.url,
        phase: 'soak',
        durationMs: opts.seconds * 1000,
        requestsPerSecond: targetRps,
        queries: true,
        queryEveryMs: opts.queryEveryMs ?? 5000,
      });
    } finally {
      clearInterval(sampler);
    }
    const rssEnd = process.memoryUsage().rss;
    // What the store holds of what the client sent (service "soak", job "soak").
    const storedSpans = Number(
      wb.store.db.prepare("SELECT COUNT(*) FROM spans WHERE service = 'soak'").pluck().get(),
    );
    const storedLogs = Number(
      wb.store.db.prepare("SELECT COUNT(*) FROM logs WHERE service = 'soak'").pluck().get(),
    );
    let storedSamples = 0;
    for (const s of wb.store.select([{ name: 'job', op: '=', value: 'soak' }], 0, Date.now() + 60_000))
      storedSamples += s.timestamps.length;
    const acked = {
      spans: probe.acked.spans + soak.acked.spans,
      samples: probe.acked.samples + soak.acked.samples,
      logs: probe.acked.logs + soak.acked.logs,
    };
    const metrics = await (await fetch(`${wb.url}/metrics`)).text();
    const httpErrors = Number(/^qobs_internal_errors_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0);
    const secondHalf = rss.filter(([t]) => t >= (opts.seconds * 1000) / 2);
    const health = [...(alerts?.evaluator.health.values() ?? [])];
    const clientErrors: Record<string, number> = {};
    for (const e of [probe.errors, soak.errors])
      for (const [k, v] of Object.entries(e)) clientErrors[k] = (clientErrors[k] ?? 0) + v;
    const sec = soak.elapsedMs / 1000;
    return {
      bench: 'soak',
      seconds: opts.seconds,
      maxRequestsPerSecond: Math.round(maxRps),
      targetRequestsPerSecond: Math.round(targetRps),
      achievedRequestsPerSecond: Math.round(soak.requests / sec),
      itemsPerSecond: {
        spans: Math.round(soak.acked.spans / sec),
        samples: Math.round(soak.acked.samples / sec),
        logs: Math.round(soak.acked.logs / sec),
      },
      acked,
      stored: { spans: storedSpans, samples: storedSamples, logs: storedLogs },
      missing: {
        spans: Math.max(0, acked.spans - storedSpans),
        samples: Math.max(0, acked.samples - storedSamples),
        logs: Math.max(0, acked.logs - storedLogs),
      },
      clientErrors,
      serverHttpErrors: httpErrors,
      queryErrors: soak.queryErrors,
      queries: soak.queryLatenciesMs.length,
      queryP50Ms: Math.round(quantile(soak.queryLatenciesMs, 0.5) * 10) / 10,
      queryP99Ms: Math.round(quantile(soak.queryLatenciesMs, 0.99) * 10) / 10,
      ingestLagP50Ms: Math.round(quantile(soak.lagMs, 0.5) * 10) / 10,
      ingestLagP99Ms: Math.round(quantile(soak.lagMs, 0.99) * 10) / 10,
      ingestLagMaxMs: Math.round(Math.max(0, ...soak.lagMs) * 10) / 10,
      lagMisses: soak.lagMisses,
      alertRules: health.length,
      alertRulesFailing: health.filter((h) => h.health === 'err').length,
      alertEvaluations: evaluations,
      rssStartMiB: Math.round(rssStart / MiB),
      rssMaxMiB: Math.round(Math.max(rssStart, ...rss.map(([, v]) => v)) / MiB),
      rssEndMiB: Math.round(rssEnd / MiB),
      rssSlopeSecondHalfMiBPerMin: Math.round((slopePerMin(secondHalf) / MiB) * 100) / 100,
      rssSeriesMiB: rss.filter((_, i) => i % 10 === 9).map(([, v]) => Math.round(v / MiB)),
    };
  } finally {
    await wb.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
