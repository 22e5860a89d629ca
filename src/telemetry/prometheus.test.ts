import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Circuit } from '../circuit/index.js';
import { describeWithPrograms, listeningPort, stopProgram } from '../testing/system.js';
import { Observer } from './observer.js';
import type { MetricsServer } from './server.js';
import { LineSink, ScriptedDevice } from './testing/doubles.js';

async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

describeWithPrograms(
  'real Prometheus scrapes the OpenMetrics exposition with exemplars',
  ['prometheus'],
  () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qobs-prom-'));
    let prom: ChildProcess | undefined;
    let server: MetricsServer | undefined;
    afterAll(async () => {
      await stopProgram(prom, 'SIGKILL');
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('stores the executions counter and the trace-id exemplar of the execution-time histogram', async () => {
      const observer = new Observer({
        serviceName: 'scraped',
        logs: { destination: new LineSink() },
        traces: {
          exporter: { export: (_s, done) => done({ code: 0 }), shutdown: async () => {} },
          processor: 'simple',
          registerGlobal: false,
        },
      });
      const dev = new ScriptedDevice('fake_s', [{ queueSeconds: 3, executionSeconds: 0.7 }]);
      const run = await observer.run(dev, new Circuit(2, 0, 'bell').h(0).cx(0, 1).measureAll());
      server = await observer.startMetricsServer({ port: 0 });
      writeFileSync(
        path.join(dir, 'prometheus.yml'),
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: qobs\n    static_configs:\n      - targets: ['127.0.0.1:${server.port}']\n`,
      );
      prom = spawn(
        'prometheus',
        [
          `--config.file=${path.join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          // Port 0: Prometheus chooses it and logs it (no port reserved, freed and reused).
          '--web.listen-address=127.0.0.1:0',
          '--enable-feature=exemplar-storage',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const promPort = await listeningPort(prom);
      const api = `http://127.0.0.1:${promPort}/api/v1`;
      const value = await poll(async () => {
        const r = await fetch(
          `${api}/query?query=${encodeURIComponent('quantum_circuit_executions_total{status="success"}')}`,
        );
        const body = (await r.json()) as { data: { result: Array<{ value: [number, string] }> } };
        return body.data.result[0]?.value[1];
      }, 30_000);
      expect(value).toBe('1');
      const exemplar = await poll(async () => {
        const now = Date.now() / 1000;
        const q = encodeURIComponent('quantum_circuit_execution_seconds_bucket');
        const r = await fetch(`${api}/query_exemplars?query=${q}&start=${now - 600}&end=${now + 60}`);
        const body = (await r.json()) as {
          data: Array<{ exemplars: Array<{ labels: Record<string, string>; value: string }> }>;
        };
        return body.data[0]?.exemplars[0];
      }, 30_000);
      expect(exemplar.labels.trace_id).toBe(run.traceId);
      expect(Number(exemplar.value)).toBe(0.7);
      // The scrape was OpenMetrics (the exemplar proves it): Prometheus asked for it and parsed it.
      // Polled: with a 1 s interval the scrape timeout is 1 s, and one slow scrape on a loaded machine marks the
      // target down until the next one.
      const health = await poll(async () => {
        const targets = (await (await fetch(`${api}/targets`)).json()) as {
          data: { activeTargets: Array<{ health: string }> };
        };
        const h = targets.data.activeTargets[0]?.health;
        return h === 'up' ? h : undefined;
      }, 30_000);
      expect(health).toBe('up');
    }, 60_000);
  },
);
