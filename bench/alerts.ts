// Benchmark `alerts`: evaluating the default rule pack over a fleet of devices, routing a storm of alerts, and
// delivering notifications from the durable outbox to a local webhook, against plain HTTP POSTs to the same
// server in the same run (the ceiling the outbox's transactions and bookkeeping are measured against).
// `npm run bench -- alerts [--quick]`; the last stdout line is one JSON object.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import {
  loadRuleFile,
  OutboxWorker,
  parseRouterConfig,
  Router,
  RuleEvaluator,
  defaultRulePackPath,
} from '../src/alerts/index.js';
import { createEngine, MemorySeriesSource } from '../src/promql/index.js';
import { AlertStore } from '../src/store/index.js';

const quick = process.argv.includes('--quick');
const DEVICES = quick ? 20 : 100;
const HOURS = quick ? 7 : 8;
const ALERTS = quick ? 2000 : 10_000;
const NOTIFICATIONS = quick ? 300 : 1000;
const MIN = 60_000;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// 1. Rule pack evaluation: every rule over DEVICES devices with HOURS of one-minute samples.
function evaluation(): { evalMsMedian: number; series: number } {
  const src = new MemorySeriesSource();
  let series = 0;
  const add = (labels: Record<string, string>, f: (m: number) => number) => {
    series++;
    for (let m = 0; m <= HOURS * 60; m++) src.append(labels, m * MIN, f(m));
  };
  for (let d = 0; d < DEVICES; d++) {
    const dev = { provider: 'ibm', device: `dev${d}` };
    add({ __name__: 'quantum_device_status', ...dev }, (m) => (d % 10 === 0 && m > 100 ? 0 : 1));
    add({ __name__: 'quantum_device_queue_length', ...dev }, (m) => (m * d) % 150);
    add({ __name__: 'quantum_device_calibration_age_hours', ...dev }, (m) => (m / 60 + d) % 30);
    for (const t of ['gate_error', 'readout_error'])
      add(
        { __name__: 'quantum_device_error_rate', ...dev, error_type: t },
        (m) => 0.01 + m * 0.00005 * (d % 3),
      );
    add(
      { __name__: 'quantum_circuit_fidelity', ...dev, circuit_type: 'vqc' },
      (m) => 0.95 - (m > 400 && d % 5 === 0 ? 0.2 : 0),
    );
    for (const s of ['success', 'error'])
      add(
        { __name__: 'quantum_circuit_executions_total', ...dev, status: s },
        (m) => m * (s === 'success' ? 10 : d % 4),
      );
    for (const le of ['0.1', '0.5', '1', '5', '10', '30', '60', '300', '+Inf']) {
      add(
        { __name__: 'quantum_circuit_execution_seconds_bucket', ...dev, le },
        (m) => m * (Number(le) >= 5 || le === '+Inf' ? 10 : 1),
      );
    }
  }
  add({ __name__: 'quantum_cost_total', provider: 'ibm', cost_type: 'shots' }, (m) => m * 0.5);
  add({ __name__: 'quantum_cost_budget_usd', budget: 'research' }, () => 1000);
  add({ __name__: 'quantum_cost_budget_remaining_usd', budget: 'research' }, (m) => 1000 - m * 0.5);
  const pack = loadRuleFile(defaultRulePackPath());
  const ev = new RuleEvaluator({
    engine: createEngine(src, { mode: 'prometheus3' }),
    groups: pack.groups,
    append: (s) => {
      for (const x of s) src.append(x.labels, x.timestampMs, x.value);
    },
  });
  const times: number[] = [];
  for (let m = HOURS * 60 - 20; m <= HOURS * 60; m++) {
    const t0 = performance.now();
    for (const g of pack.groups) ev.evalGroup(g, m * MIN);
    times.push(performance.now() - t0);
  }
  for (const h of ev.health.values()) if (h.health !== 'ok') throw new Error(`${h.name}: ${h.lastError}`);
  return { evalMsMedian: median(times), series };
}

// 2. Routing: ALERTS distinct alerts, grouped by device, with an inhibition rule and a silence.
function routing(): { alertsPerSecond: number; flushMs: number } {
  const store = new AlertStore(new Database(':memory:'));
  const config = parseRouterConfig(`
route: { receiver: r, group_by: [alertname, device], group_wait: 0s }
inhibit_rules: [{ source_matchers: ['alertname="Offline"'], target_matchers: ['alertname="Queue"'], equal: [device] }]
receivers: [{ name: r, webhook_configs: [{ url: 'http://127.0.0.1:1/' }] }]
`);
  const router = new Router(config, store, { maxPendingNotifications: ALERTS * 2 });
  const alerts = Array.from({ length: ALERTS }, (_, i) => ({
    labels: {
      alertname: i % 50 === 0 ? 'Offline' : 'Queue',
      device: `dev${i % (ALERTS / 10)}`,
      shard: String(i),
    },
  }));
  const t0 = performance.now();
  router.putAlerts(alerts, 0);
  const t1 = performance.now();
  router.flushDue(0);
  const t2 = performance.now();
  return { alertsPerSecond: Math.round(ALERTS / ((t1 - t0) / 1000)), flushMs: Math.round(t2 - t1) };
}

// 3. Delivery: NOTIFICATIONS through the outbox to a local webhook, and the same number of plain POSTs.
async function delivery(): Promise<{ outboxPerSecond: number; rawPostPerSecond: number }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const body = JSON.stringify({ version: '4', status: 'firing', alerts: [{ labels: { alertname: 'X' } }] });
  const r0 = performance.now();
  for (let i = 0; i < NOTIFICATIONS; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
      ),
    );
  }
  const raw = performance.now() - r0;

  const store = new AlertStore(new Database(':memory:'));
  // 50 integrations, so 50 rows can be in flight at once (one per integration, in order).
  const receivers = Array.from(
    { length: 50 },
    (_, i) => `  - name: r${i}\n    webhook_configs: [{ url: '${url}' }]`,
  ).join('\n');
  const config = parseRouterConfig(
    `route: { receiver: r0, group_by: [alertname, device], group_wait: 0s, routes: [${Array.from({ length: 50 }, (_, i) => `{ matchers: ['shard="${i}"'], receiver: r${i} }`).join(', ')}] }\nreceivers:\n${receivers}\n`,
  );
  const router = new Router(config, store, { maxPendingNotifications: NOTIFICATIONS * 2 });
  router.putAlerts(
    Array.from({ length: NOTIFICATIONS }, (_, i) => ({
      labels: { alertname: 'X', device: `d${i}`, shard: String(i % 50) },
    })),
    0,
  );
  router.flushDue(0);
  const worker = new OutboxWorker(store, config, { batch: 50 });
  received = 0;
  const o0 = performance.now();
  while (store.pendingCount() > 0) await worker.drain();
  const outbox = performance.now() - o0;
  await worker.stop();
  server.close();
  if (received !== NOTIFICATIONS) throw new Error(`delivered ${received} of ${NOTIFICATIONS}`);
  return {
    outboxPerSecond: Math.round(NOTIFICATIONS / (outbox / 1000)),
    rawPostPerSecond: Math.round(NOTIFICATIONS / (raw / 1000)),
  };
}

const ev = evaluation();
log(
  `rule pack (16 rules) over ${DEVICES} devices, ${ev.series} series, ${HOURS} h of 1-minute samples: ${ev.evalMsMedian.toFixed(1)} ms per evaluation of both groups (median of 21)`,
);
const rt = routing();
log(
  `router: ${ALERTS} alerts in at ${rt.alertsPerSecond}/s; first flush of ${ALERTS / 10} groups with inhibition: ${rt.flushMs} ms`,
);
const dl = await delivery();
log(
  `delivery of ${NOTIFICATIONS} notifications: outbox ${dl.outboxPerSecond}/s, plain POSTs ${dl.rawPostPerSecond}/s`,
);
process.stdout.write(
  `${JSON.stringify({
    bench: 'alerts',
    quick,
    devices: DEVICES,
    series: ev.series,
    eval_ms_median: Number(ev.evalMsMedian.toFixed(1)),
    router_alerts_per_s: rt.alertsPerSecond,
    router_flush_ms: rt.flushMs,
    outbox_notifications_per_s: dl.outboxPerSecond,
    raw_posts_per_s: dl.rawPostPerSecond,
    outbox_vs_raw_ratio: Number((dl.outboxPerSecond / dl.rawPostPerSecond).toFixed(2)),
  })}\n`,
);
