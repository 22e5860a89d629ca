// End to end on the real programs: the exported configuration, run by Debian's prometheus, prometheus-alertmanager
// and prometheus-pushgateway, against a workbench and an instrumented workload running a short demo.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Circuit } from '../circuit/index.js';
import { CostTracker } from '../cost/index.js';
import { createLocalDevice, localJobFidelity } from '../devices/index.js';
import type { Workbench } from '../server/index.js';
import { startWorkbench } from '../server/index.js';
import { type MetricsServer, Observer, startMetricsServer } from '../telemetry/index.js';
import { describeWithPrograms, listeningPort, stopProgram } from '../testing/system.js';
import { grafanaDashboards, prometheusQueries, stackFiles, writeFiles } from './index.js';

const PROGRAMS = ['prometheus', 'promtool', 'prometheus-alertmanager', 'amtool', 'prometheus-pushgateway'];

/** Polls `f` until it returns a value other than undefined, or fails after `timeoutMs`. */
async function poll<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

interface PromVector {
  metric: Record<string, string>;
  value: [number, string];
}

/** Grafana's built-in interval variables as Grafana would set them for a 1 s scrape and a 10-minute range. */
function grafanaVars(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '4s') // max(4 × scrape interval, $__interval + scrape interval)
    .replaceAll('$__interval', '1s')
    .replaceAll('$__range', '10m')
    .replaceAll('"$provider"', '".*"') // the variables' "All" value (allValue .*)
    .replaceAll('"$device"', '".*"');
}

describeWithPrograms('export stack on real Prometheus, Alertmanager and Pushgateway', PROGRAMS, () => {
  let dir = '';
  const children: ChildProcess[] = [];
  const logs: Record<string, string> = {};
  const hooks: { alerts: { status: string; labels: Record<string, string> }[] }[] = [];
  let wb: Workbench | undefined;
  let metrics: MetricsServer | undefined;
  let hook: Server | undefined;
  let observer: Observer | undefined;
  let demo: NodeJS.Timeout | undefined;
  let demoRunning = false;
  let promApi = '';
  let pushUrl = '';
  const manila = createLocalDevice('local.fake_manila');
  const lima = createLocalDevice('local.fake_lima');

  /** Starts a program with `--web.listen-address=127.0.0.1:0` and resolves with the port it chose. */
  function start(name: string, args: string[]): Promise<number> {
    const child = spawn(name, [...args, '--web.listen-address=127.0.0.1:0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    logs[name] = '';
    child.stderr?.on('data', (b: Buffer) => {
      if (logs[name].length < 20_000) logs[name] += b.toString();
    });
    children.push(child);
    return listeningPort(child);
  }

  async function query(expr: string): Promise<PromVector[]> {
    const r = await fetch(`${promApi}/query?query=${encodeURIComponent(expr)}`);
    const body = (await r.json()) as { status: string; error?: string; data: { result: PromVector[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result;
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'qobs-stack-'));
    wb = await startWorkbench({ dataDir: path.join(dir, 'wb'), port: 0, otlpPort: 0 });
    const tracker = new CostTracker();
    observer = new Observer({
      serviceName: 'stack-e2e',
      logs: false,
      traces: false,
      costOf: tracker.costOf,
      fidelityOf: (job, circuit, device) => localJobFidelity(job, circuit, device),
      deviceRefreshMs: 0,
    });
    metrics = await startMetricsServer(observer, { port: 0 });
    const bell = new Circuit(2, 0, 'bell').h(0).cx(0, 1).measureAll();
    const ghz = new Circuit(3, 0, 'ghz').h(0).cx(0, 1).cx(1, 2).measureAll();
    // The demo: circuits keep running on manila (so rates are non-zero); lima runs once, then goes offline.
    await observer.run(lima, bell, { shots: 256, seed: 1, circuitType: 'bell' });
    let n = 0;
    demo = setInterval(() => {
      if (demoRunning || !observer) return;
      demoRunning = true;
      const c = n++ % 2 ? ghz : bell;
      observer
        .run(manila, c, { shots: 256, seed: n, circuitType: c.name ?? 'generic' })
        .catch(() => {})
        .finally(() => {
          demoRunning = false;
        });
    }, 200);

    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        try {
          hooks.push(JSON.parse(body));
        } catch {}
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => hook?.listen(0, '127.0.0.1', () => r()));
    const hookPort = (hook.address() as AddressInfo).port;

    const wbHost = new URL(wb.url).host;
    // The export as a user would run it against this machine, with the routing configuration's webhook receiver.
    const router = `route:
  receiver: hook
  group_by: [alertname, provider, device]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:${hookPort}/hook
`;
    const exportFor = (alertmanagerTarget: string, pushgatewayTarget: string) =>
      stackFiles({
        workloadTargets: [`127.0.0.1:${metrics!.port}`],
        workbenchTarget: wbHost,
        alertmanagerTarget,
        pushgatewayTarget,
        scrapeIntervalSeconds: 1,
        evaluationIntervalSeconds: 1,
        routerConfigText: router,
        routerConfigSource: 'test routing',
      });
    // Each program chooses its own port (a port reserved and freed here could be taken by a parallel test
    // before the program binds it). Alertmanager's file does not name the ports, so it runs first; Prometheus'
    // file names Alertmanager's and Pushgateway's, so it is exported once they listen.
    const amFile = (files: ReturnType<typeof stackFiles>) =>
      files.find((f) => f.path === 'alertmanager.yml')!.text;
    const amText = amFile(exportFor('127.0.0.1:9093', '127.0.0.1:9091'));
    mkdirSync(path.join(dir, 'run'), { recursive: true });
    writeFileSync(path.join(dir, 'run', 'alertmanager.yml'), amText);
    const [amPort, pgPort] = await Promise.all([
      start('prometheus-alertmanager', [
        `--config.file=${path.join(dir, 'run', 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'am-data')}`,
        '--cluster.listen-address=',
      ]),
      start('prometheus-pushgateway', []),
    ]);
    const files = exportFor(`127.0.0.1:${amPort}`, `127.0.0.1:${pgPort}`);
    expect(amFile(files)).toBe(amText);
    writeFiles(path.join(dir, 'export'), files);
    // The test variant: rule groups evaluated every second and `for:` shortened, so the fault fires in seconds
    // rather than the pack's 5 minutes. Everything else is the exported text.
    const rules = files.find((f) => f.path === 'rules/quantum.rules.yml');
    if (!rules) throw new Error('no rule file exported');
    const fast = rules.text
      .replace(/^(\s+)interval: \S+$/gm, '$1interval: 1s')
      .replace(/^(\s+)for: \S+$/gm, '$1for: 2s');
    expect(fast).not.toBe(rules.text);
    mkdirSync(path.join(dir, 'run', 'rules'), { recursive: true });
    writeFileSync(path.join(dir, 'run', 'rules', 'quantum.rules.yml'), fast);
    writeFileSync(
      path.join(dir, 'run', 'prometheus.yml'),
      readFileSync(path.join(dir, 'export', 'prometheus.yml')),
    );

    const promPort = await start('prometheus', [
      `--config.file=${path.join(dir, 'run', 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'prom-data')}`,
    ]);
    promApi = `http://127.0.0.1:${promPort}/api/v1`;
    pushUrl = `http://127.0.0.1:${pgPort}`;
    await poll(
      'Prometheus ready',
      async () => ((await fetch(`http://127.0.0.1:${promPort}/-/ready`)).ok ? true : undefined),
      30_000,
    );
    await poll(
      'Pushgateway ready',
      async () => ((await fetch(`${pushUrl}/-/ready`)).ok ? true : undefined),
      30_000,
    );
  }, 60_000);

  afterAll(async () => {
    if (demo) clearInterval(demo);
    await Promise.all(children.map((c) => stopProgram(c, 'SIGKILL')));
    await metrics?.close();
    await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
    await wb?.close();
    await observer?.shutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('promtool check config, promtool check rules and amtool check-config pass on the exports', () => {
    const exp = path.join(dir, 'export');
    const config = spawnSync('promtool', ['check', 'config', 'prometheus.yml'], {
      cwd: exp,
      encoding: 'utf8',
    });
    expect(config.status, config.stdout + config.stderr).toBe(0);
    const rules = spawnSync('promtool', ['check', 'rules', 'rules/quantum.rules.yml'], {
      cwd: exp,
      encoding: 'utf8',
    });
    expect(rules.status, rules.stdout + rules.stderr).toBe(0);
    expect(rules.stdout).toMatch(/SUCCESS: 16 rules found/);
    const am = spawnSync('amtool', ['check-config', 'alertmanager.yml'], { cwd: exp, encoding: 'utf8' });
    expect(am.status, am.stdout + am.stderr).toBe(0);
    expect(am.stdout).toMatch(/1 receivers/);
    // The defaults (no options) are valid too.
    const plain = path.join(dir, 'plain');
    writeFiles(plain, stackFiles());
    const plainConfig = spawnSync('promtool', ['check', 'config', 'prometheus.yml'], {
      cwd: plain,
      encoding: 'utf8',
    });
    expect(plainConfig.status, plainConfig.stdout + plainConfig.stderr).toBe(0);
    const plainAm = spawnSync('amtool', ['check-config', 'alertmanager.yml'], {
      cwd: plain,
      encoding: 'utf8',
    });
    expect(plainAm.status, plainAm.stdout + plainAm.stderr).toBe(0);
  });

  it('a batch job pushed to the real Pushgateway shows up in Prometheus', async () => {
    const r = await fetch(`${pushUrl}/metrics/job/qobs_training/instance/run-1`, {
      method: 'PUT',
      body: '# TYPE qobs_training_final_loss gauge\nqobs_training_final_loss 0.25\n',
    });
    expect(r.status).toBe(200);
    const got = await poll(
      'the pushed metric in Prometheus',
      async () => (await query('qobs_training_final_loss{job="qobs_training",instance="run-1"}'))[0],
      30_000,
    );
    expect(Number(got.value[1])).toBe(0.25);
  }, 40_000);

  it('every Prometheus expression of every exported dashboard returns data from real Prometheus', async () => {
    // Both scrape jobs up: the workload's /metrics and the workbench's own.
    await poll(
      'both targets up',
      async () => {
        const up = await query('up{job=~"qobs-workloads|qobs-workbench"} == 1');
        return up.length === 2 ? up : undefined;
      },
      30_000,
    );
    // Rates need a few scrapes of a moving counter.
    await poll(
      'a non-zero execution rate',
      async () => {
        const r = await query('sum(rate(quantum_circuit_executions_total[4s])) > 0');
        return r.length ? r : undefined;
      },
      30_000,
    );
    // Tempo (TraceQL) and Loki (LogQL) panels of the Training dashboard are not PromQL: prometheusQueries leaves
    // them out, and no Tempo or Loki runs here.
    const pending = new Map<string, string>();
    for (const [file, d] of Object.entries(grafanaDashboards()))
      for (const q of prometheusQueries(d))
        pending.set(`${file} / ${q.panel} / ${q.refId}`, grafanaVars(q.expr));
    expect(pending.size).toBeGreaterThanOrEqual(20);
    const values: Record<string, number[]> = {};
    // One bounded wait for all of them: a query with no data yet is asked again until the deadline.
    const deadline = Date.now() + 45_000;
    while (pending.size > 0 && Date.now() < deadline) {
      for (const [key, expr] of [...pending]) {
        const r = await query(expr);
        if (r.length > 0 && r.some((s) => Number.isFinite(Number(s.value[1])))) {
          values[key] = r.map((s) => Number(s.value[1]));
          pending.delete(key);
        }
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
    }
    const empty = [...pending].map(([key, expr]) => `${key}: ${expr}`);
    if (process.env.QOBS_EXPORT_E2E_PRINT) console.log(JSON.stringify(values, null, 1));
    expect(empty).toEqual([]);
    // Local devices are priced at zero by the catalogue: the cost series exist, with the value 0.
    expect(values['qobs-costs.json / Cost over the range / A']).toEqual([0]);
    const success = values['qobs-overview.json / Circuit Success Rate / A'];
    expect(success[0]).toBeGreaterThan(0);
    expect(success[0]).toBeLessThanOrEqual(100);
    expect(Object.keys(values).length).toBeGreaterThanOrEqual(20);
  }, 120_000);

  it('a device going offline fires the exported alert through real Alertmanager to the webhook', async () => {
    // Before the fault nothing of the kind was sent: lima was online.
    expect(
      hooks.flatMap((h) => h.alerts).filter((a) => a.labels.alertname === 'QuantumDeviceOffline'),
    ).toEqual([]);
    expect((await query('quantum_device_status{device="fake_lima"}'))[0].value[1]).toBe('1');
    lima.setStatus('offline');
    await observer?.observeDevice(lima);
    const fired = await poll(
      'QuantumDeviceOffline at the webhook',
      async () => {
        for (const h of hooks)
          for (const a of h.alerts)
            if (
              a.labels.alertname === 'QuantumDeviceOffline' &&
              a.labels.device === 'fake_lima' &&
              a.status === 'firing'
            )
              return a;
        return undefined;
      },
      45_000,
    );
    expect(fired.labels.provider).toBe('local');
    expect(fired.labels.severity).toBe('critical');
    // manila stayed online: no alert for it.
    const others = hooks
      .flatMap((h) => h.alerts)
      .filter((a) => a.labels.alertname === 'QuantumDeviceOffline');
    expect(others.every((a) => a.labels.device === 'fake_lima')).toBe(true);
  }, 60_000);
});
