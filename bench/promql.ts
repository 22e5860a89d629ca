// Benchmark `promql`: the Overview dashboard's queries over 1 million and 10 million stored samples, on qobs'
// engine over its SQLite store and on real Prometheus 2.42 loaded with the same samples through
// `promtool tsdb create-blocks-from openmetrics`, in the same run. Prints per-scale medians and
// `ratio_vs_prometheus_1m` / `ratio_vs_prometheus_10m` (our median dashboard latency over Prometheus').
// `npm run bench -- promql [--quick]` (--quick: a 200,000-sample smoke run); the last stdout line is one JSON object.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEngine } from '../src/promql/index.js';
import { type SampleIn, Store } from '../src/store/index.js';
import { OVERVIEW_PANELS } from '../src/dashboards/index.js';

const quick = process.argv.includes('--quick');
const SCRAPE_MS = 15_000;
const REPS = quick ? 3 : 5;
// The 10M run repeats fewer times: each dashboard pass takes seconds on both sides.
const repsFor = (samples: number) => (samples > 5_000_000 ? 3 : REPS);

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The series a qobs deployment exposes: the Overview's metrics for 4 providers x 5 devices. */
function seriesSet(): Array<{
  labels: Record<string, string>;
  kind: 'counter' | 'gauge' | 'bucket';
  le?: number;
}> {
  const out: Array<{ labels: Record<string, string>; kind: 'counter' | 'gauge' | 'bucket'; le?: number }> =
    [];
  const buckets = [0.1, 0.5, 1, 5, 10, 30, 60, 300, Number.POSITIVE_INFINITY];
  for (const provider of ['local', 'ibm', 'braket', 'ionq']) {
    for (let d = 0; d < 5; d++) {
      const device = `${provider}_dev${d}`;
      for (const status of ['success', 'error'])
        out.push({
          labels: { __name__: 'quantum_circuit_executions_total', provider, device, status },
          kind: 'counter',
        });
      for (const le of buckets) {
        out.push({
          labels: {
            __name__: 'quantum_circuit_execution_seconds_bucket',
            provider,
            device,
            le: le === Number.POSITIVE_INFINITY ? '+Inf' : String(le),
          },
          kind: 'bucket',
          le,
        });
      }
      for (const circuit_type of ['vqc', 'qaoa', 'ghz'])
        out.push({
          labels: { __name__: 'quantum_circuit_fidelity', provider, device, circuit_type },
          kind: 'gauge',
        });
      out.push({ labels: { __name__: 'quantum_device_status', provider, device }, kind: 'gauge' });
      out.push({ labels: { __name__: 'quantum_device_queue_length', provider, device }, kind: 'gauge' });
      for (const error_type of ['readout_error', 'gate_error', 'coherence_error'])
        out.push({
          labels: { __name__: 'quantum_device_error_rate', provider, device, error_type },
          kind: 'gauge',
        });
    }
    for (const cost_type of ['shots', 'tasks', 'runtime'])
      out.push({ labels: { __name__: 'quantum_cost_total', provider, cost_type }, kind: 'counter' });
  }
  return out;
}

/** Deterministic value of series i at sample j (counters grow, gauges wander). */
function value(kind: 'counter' | 'gauge' | 'bucket', i: number, j: number, le?: number): number {
  if (kind === 'counter') return j * ((i % 7) + 1) + Math.floor(j / 3);
  if (kind === 'bucket') {
    const frac = le === Number.POSITIVE_INFINITY ? 1 : Math.min(1, Math.log10(1 + (le ?? 0)) / 2.5);
    return Math.floor(j * 4 * frac);
  }
  return Math.round((50 + 40 * Math.sin((i + j) / 17)) * 100) / 100;
}

function labelText(l: Record<string, string>): string {
  const { __name__, ...rest } = l;
  return `${__name__}{${Object.keys(rest)
    .map((k) => `${k}="${rest[k]}"`)
    .join(',')}}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface DashboardQuery {
  expr: string;
  instant: boolean;
}

function dashboardQueries(stepMs: number, rangeMs: number): DashboardQuery[] {
  // Grafana's substitutions: $__rate_interval = max($__interval + scrape, 4 * scrape).
  const rateInterval = `${Math.max(stepMs + SCRAPE_MS, 4 * SCRAPE_MS) / 1000}s`;
  return OVERVIEW_PANELS.flatMap((p) =>
    p.queries.map((q) => ({
      expr: q.expr
        .replaceAll('$__rate_interval', rateInterval)
        .replaceAll('$__interval', `${stepMs / 1000}s`)
        .replaceAll('$__range', `${rangeMs / 1000}s`),
      instant: q.instant === true,
    })),
  );
}

async function runScale(targetSamples: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'qobs-bench-promql-'));
  let prom: ChildProcess | undefined;
  try {
    const set = seriesSet();
    const perSeries = Math.ceil(targetSamples / set.length);
    const total = perSeries * set.length;
    const endMs = Math.floor(Date.now() / SCRAPE_MS) * SCRAPE_MS - 60_000;
    const startMs = endMs - (perSeries - 1) * SCRAPE_MS;
    log(
      `scale ${total} samples: ${set.length} series x ${perSeries} samples, ${((endMs - startMs) / 3600_000).toFixed(1)} h at 15 s`,
    );

    // The same samples into an OpenMetrics file for promtool and into qobs' store; promtool converts the file
    // in its own process while this one fills the store.
    let t0 = performance.now();
    const omFile = path.join(dir, 'data.om');
    const om = createWriteStream(omFile);
    const write = (s: string) =>
      om.write(s) ? Promise.resolve() : new Promise<void>((r) => om.once('drain', () => r()));
    for (let i = 0; i < set.length; i++) {
      const { labels, kind, le } = set[i];
      const name = labelText(labels);
      let text = '';
      for (let j = 0; j < perSeries; j++) {
        text += `${name} ${value(kind, i, j, le)} ${(startMs + j * SCRAPE_MS) / 1000}\n`;
        if (text.length > 1 << 20) {
          await write(text);
          text = '';
        }
      }
      await write(text);
    }
    await write('# EOF\n');
    await new Promise<void>((r) => om.end(() => r()));
    log(`  wrote OpenMetrics in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const tsdb = path.join(dir, 'prom');
    const tPromtool = performance.now();
    const blocks = new Promise<number>((resolve, reject) => {
      const p = spawn('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', omFile, tsdb], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let errText = '';
      p.stderr?.on('data', (b: Buffer) => {
        errText += b.toString();
      });
      p.on('error', reject);
      p.on('exit', (code) =>
        code === 0
          ? resolve(performance.now() - tPromtool)
          : reject(new Error(`promtool create-blocks failed: ${errText.slice(0, 500)}`)),
      );
    });

    t0 = performance.now();
    const store = Store.open({ dataDir: path.join(dir, 'qobs') });
    for (let i = 0; i < set.length; i++) {
      const { labels, kind, le } = set[i];
      const batch: SampleIn[] = [];
      for (let j = 0; j < perSeries; j++)
        batch.push({ labels, t: startMs + j * SCRAPE_MS, v: value(kind, i, j, le) });
      store.ingest({ samples: batch });
    }
    store.checkpoint();
    log(`  loaded the qobs store in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const promtoolMs = await blocks;
    rmSync(omFile);
    log(`  promtool tsdb create-blocks-from openmetrics: ${(promtoolMs / 1000).toFixed(1)} s`);

    const port = await freePort();
    const cfg = path.join(dir, 'prometheus.yml');
    writeFileSync(cfg, 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
    prom = spawn(
      'prometheus',
      [
        `--config.file=${cfg}`,
        `--storage.tsdb.path=${tsdb}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=3650d',
        '--log.level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let promErr = '';
    prom.stderr?.on('data', (b: Buffer) => {
      promErr += b.toString();
    });
    const base = `http://127.0.0.1:${port}`;
    const readyBy = Date.now() + 60_000;
    for (;;) {
      try {
        const r = await fetch(`${base}/-/ready`);
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > readyBy || prom.exitCode !== null)
        throw new Error(`prometheus did not become ready: ${promErr.slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const rangeMs = endMs - startMs;
    const stepMs = Math.max(SCRAPE_MS, Math.ceil(rangeMs / 300 / 1000) * 1000);
    const queries = dashboardQueries(stepMs, rangeMs);
    const engine = createEngine(store, { mode: 'prometheus2' });
    const ours = () => {
      for (const q of queries) {
        if (q.instant) engine.instantQuery(q.expr, endMs);
        else engine.rangeQuery(q.expr, startMs, endMs, stepMs);
      }
    };
    const theirs = async () => {
      for (const q of queries) {
        const params = q.instant
          ? { query: q.expr, time: String(endMs / 1000) }
          : {
              query: q.expr,
              start: String(startMs / 1000),
              end: String(endMs / 1000),
              step: String(stepMs / 1000),
            };
        const r = await fetch(`${base}/api/v1/${q.instant ? 'query' : 'query_range'}`, {
          method: 'POST',
          body: new URLSearchParams(params),
        });
        const body = (await r.json()) as { status: string; error?: string };
        if (body.status !== 'success') throw new Error(`prometheus: ${q.expr}: ${body.error}`);
      }
    };
    // Check that both sides see the same data before timing: the cost panel's instant totals must agree.
    const check = dashboardQueries(stepMs, rangeMs).find((q) => q.instant && q.expr.includes('increase'));
    if (check) {
      const mine = engine.instantQuery(check.expr, endMs);
      const r = await fetch(`${base}/api/v1/query`, {
        method: 'POST',
        body: new URLSearchParams({ query: check.expr, time: String(endMs / 1000) }),
      });
      const theirsData = ((await r.json()) as { data: { result: Array<{ value: [number, string] }> } }).data;
      const sum = (xs: Array<{ value: [number, string] }>) => xs.reduce((a, x) => a + Number(x.value[1]), 0);
      const a = mine.resultType === 'vector' ? sum(mine.result) : Number.NaN;
      const b = sum(theirsData.result);
      log(`  data check (${check.expr}): qobs ${a}, prometheus ${b}`);
      if (!(Math.abs(a - b) <= 1e-6 * Math.abs(b)))
        throw new Error('qobs and Prometheus disagree on the loaded data');
    }
    ours();
    await theirs();
    const oursMs: number[] = [];
    const theirsMs: number[] = [];
    for (let r = 0; r < repsFor(total); r++) {
      let t = performance.now();
      ours();
      oursMs.push(performance.now() - t);
      t = performance.now();
      await theirs();
      theirsMs.push(performance.now() - t);
    }
    store.close();
    const o = median(oursMs);
    const p = median(theirsMs);
    log(
      `  ${queries.length} dashboard queries, step ${stepMs / 1000} s: qobs median ${o.toFixed(1)} ms, prometheus median ${p.toFixed(1)} ms, ratio ${(o / p).toFixed(2)}`,
    );
    return { samples: total, qobs_ms: o, prometheus_ms: p, ratio: o / p };
  } finally {
    if (prom && prom.exitCode === null) {
      prom.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      if (prom.exitCode === null) prom.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

// --quick is a smoke run at 200,000 samples (under 45 s); the 1M and 10M figures come from the full run only.
// `--scales 1m,10m` (default both) picks which full-size runs to make.
const scalesArg = process.argv.indexOf('--scales');
const scales = scalesArg > 0 ? (process.argv[scalesArg + 1] ?? '').split(',') : ['1m', '10m'];
const quickRun = quick ? await runScale(200_000) : undefined;
const one = quick || !scales.includes('1m') ? undefined : await runScale(1_000_000);
const ten = quick || !scales.includes('10m') ? undefined : await runScale(10_000_000);
log('figures taken on a shared 2-core machine under concurrent load; treat them as noisy');
const fig = (r: Record<string, number> | undefined, key: string, digits: number) =>
  r ? Number(r[key].toFixed(digits)) : null;
log(
  JSON.stringify({
    bench: 'promql',
    quick,
    samples_quick: quickRun?.samples ?? null,
    ratio_quick: fig(quickRun, 'ratio', 3),
    samples_1m: one?.samples ?? null,
    qobs_median_ms_1m: fig(one, 'qobs_ms', 2),
    prometheus_median_ms_1m: fig(one, 'prometheus_ms', 2),
    ratio_vs_prometheus_1m: fig(one, 'ratio', 3),
    samples_10m: ten?.samples ?? null,
    qobs_median_ms_10m: fig(ten, 'qobs_ms', 2),
    prometheus_median_ms_10m: fig(ten, 'prometheus_ms', 2),
    ratio_vs_prometheus_10m: fig(ten, 'ratio', 3),
  }),
);
