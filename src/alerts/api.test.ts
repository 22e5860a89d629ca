import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createEngine, MemorySeriesSource } from '../promql/index.js';
import { AlertStore } from '../store/index.js';
import { mountAlertsApi } from './api.js';
import { parseRouterConfig } from './config.js';
import { RuleEvaluator } from './evaluator.js';
import { alertsPlugin } from './plugin.js';
import { Router } from './router.js';
import { parseRuleFile } from './rules.js';

const MIN = 60_000;

function setup() {
  const src = new MemorySeriesSource();
  for (let m = 0; m <= 10; m++)
    src.append({ __name__: 'quantum_device_status', provider: 'ibm', device: 'd1' }, m * MIN, 0);
  const rules = parseRuleFile(`
groups:
  - name: g
    rules:
      - alert: QuantumDeviceOffline
        expr: quantum_device_status == 0
        for: 2m
        labels: { severity: critical }
        annotations: { summary: '{{ $labels.device }} offline' }
`);
  const store = new AlertStore(new Database(':memory:'));
  let t = 0;
  const router = new Router(
    parseRouterConfig('route: { receiver: r, group_wait: 0s }\nreceivers: [{ name: r }]'),
    store,
  );
  const evaluator = new RuleEvaluator({
    engine: createEngine(src),
    groups: rules.groups,
    store,
    append: (s) => {
      for (const x of s) src.append(x.labels, x.timestampMs, x.value);
    },
    notify: (a, now) => router.putAlerts(a, now),
  });
  const app = Fastify();
  mountAlertsApi(app, { evaluator, router, groups: rules.groups, now: () => t });
  for (let m = 0; m <= 3; m++) evaluator.evalGroup(rules.groups[0], m * MIN);
  t = 3 * MIN;
  return { app, router, setNow: (ms: number) => (t = ms) };
}

describe('alerts API', () => {
  it('serves Prometheus-shaped alerts and rules', async () => {
    const { app } = setup();
    const alerts = (await app.inject({ method: 'GET', url: '/api/v1/alerts' })).json();
    expect(alerts).toEqual({
      status: 'success',
      data: {
        alerts: [
          {
            labels: {
              alertname: 'QuantumDeviceOffline',
              provider: 'ibm',
              device: 'd1',
              severity: 'critical',
            },
            annotations: { summary: 'd1 offline' },
            state: 'firing',
            activeAt: new Date(0).toISOString(),
            value: '0',
          },
        ],
      },
    });
    const rules = (await app.inject({ method: 'GET', url: '/api/v1/rules' })).json();
    expect(rules.data.groups[0].rules[0]).toMatchObject({
      name: 'QuantumDeviceOffline',
      type: 'alerting',
      state: 'firing',
      health: 'ok',
      duration: 120,
    });
  });

  it('takes alerts in Alertmanager v2 shape and manages silences', async () => {
    const { app } = setup();
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v2/alerts',
          payload: [{ labels: { alertname: 'Ext', job: 'x' } }],
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await app.inject({ method: 'POST', url: '/api/v2/alerts', payload: [{ labels: {} }] })).json().message,
    ).toMatch(/alerts\[0\]\.labels/);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v2/silences',
      payload: {
        matchers: [{ name: 'alertname', value: 'Ext', isRegex: false }],
        endsAt: new Date(10 * MIN).toISOString(),
        createdBy: 'ops',
        comment: 'test',
      },
    });
    const { silenceID } = created.json() as { silenceID: string };
    const list = (await app.inject({ method: 'GET', url: '/api/v2/alerts' })).json() as {
      labels: { alertname: string };
      status: { state: string; silencedBy: string[] };
    }[];
    const ext = list.find((a) => a.labels.alertname === 'Ext')!;
    expect(ext.status).toEqual({ state: 'suppressed', silencedBy: [silenceID], inhibitedBy: [] });
    expect(
      (
        (await app.inject({ method: 'GET', url: '/api/v2/silences' })).json() as {
          status: { state: string };
        }[]
      )[0].status.state,
    ).toBe('active');
    expect((await app.inject({ method: 'DELETE', url: `/api/v2/silence/${silenceID}` })).statusCode).toBe(
      200,
    );
    expect((await app.inject({ method: 'DELETE', url: `/api/v2/silence/${silenceID}` })).statusCode).toBe(
      404,
    );
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v2/silences',
      payload: {
        matchers: [{ name: 'a', value: '(', isRegex: true }],
        endsAt: new Date(10 * MIN).toISOString(),
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/matchers\[0\]\.value/);
  });

  it('plugs into a workbench: routes mounted, tasks stop cleanly, bad routing configuration fails at load', async () => {
    const app = Fastify();
    const src = new MemorySeriesSource();
    const db = new Database(':memory:');
    const tasks: (() => void | Promise<void>)[] = [];
    const host = {
      app,
      url: 'http://127.0.0.1:8000',
      store: Object.assign(src, {
        db,
        ingest: (b: { samples: { labels: Record<string, string>; t: number; v: number }[] }) => {
          for (const s of b.samples) src.append(s.labels, s.t, s.v);
        },
      }),
      addTask: (f: () => void | Promise<void>) => tasks.push(f),
    };
    const running = alertsPlugin().setup(host);
    expect(running.metricsText()).toContain(
      '# TYPE qobs_alert_outbox_pending gauge\nqobs_alert_outbox_pending 0\n',
    );
    const rules = (await app.inject({ method: 'GET', url: '/api/v1/rules' })).json();
    expect(rules.data.groups.map((g: { name: string }) => g.name)).toEqual([
      'qobs-quantum-recording',
      'qobs-quantum',
    ]);
    for (const t of tasks) await t();
    db.close();
    expect(() => alertsPlugin({ routerConfigFile: '/nonexistent/alertmanager.yml' })).toThrow(/ENOENT/);
  });
});
