import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, MemorySeriesSource } from '../promql/index.js';
import { AlertStore } from '../store/index.js';
import { parseRouterConfig } from './config.js';
import { generatorURL, RuleEvaluator } from './evaluator.js';
import type { Notification } from './notification.js';
import { Router } from './router.js';
import { parseRuleFile } from './rules.js';

const MIN = 60_000;
const RULES = parseRuleFile(`
groups:
  - name: g
    interval: 1m
    rules:
      - alert: Offline
        expr: quantum_device_status == 0
        for: 3m
        keep_firing_for: 2m
        labels: { severity: critical }
        annotations: { summary: '{{ $labels.device }} offline' }
`);
const ROUTES = parseRouterConfig(`
route: { receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1m, repeat_interval: 4h }
receivers: [{ name: hook, webhook_configs: [{ url: 'http://127.0.0.1:1/hook', send_resolved: true }] }]
`);

function world(dbFile: string, src: MemorySeriesSource) {
  const db = new Database(dbFile);
  const store = new AlertStore(db);
  const router = new Router(ROUTES, store);
  const written: { labels: Record<string, string>; t: number; v: number }[] = [];
  const evaluator = new RuleEvaluator({
    engine: createEngine(src, { mode: 'prometheus2' }),
    groups: RULES.groups,
    store,
    append: (samples) => {
      for (const s of samples) {
        src.append(s.labels, s.timestampMs, s.value);
        written.push({ labels: s.labels as Record<string, string>, t: s.timestampMs, v: s.value });
      }
    },
    notify: (alerts, now) => router.putAlerts(alerts, now),
  });
  const step = (m: number) => {
    evaluator.evalGroup(RULES.groups[0], m * MIN);
    router.flushDue(m * MIN);
  };
  const notifications = () => store.outbox().map((r) => (r.payload as Notification).status);
  return { db, store, router, evaluator, written, step, notifications };
}

describe('rule evaluator', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('goes pending, then firing after `for`, keeps firing for keep_firing_for, and writes ALERTS and ALERTS_FOR_STATE', () => {
    const src = new MemorySeriesSource();
    // Offline from minute 2 to minute 8.
    for (let m = 0; m <= 20; m++)
      src.append({ __name__: 'quantum_device_status', device: 'd1' }, m * MIN, m >= 2 && m <= 8 ? 0 : 1);
    const w = world(':memory:', src);
    const states: string[] = [];
    for (let m = 0; m <= 14; m++) {
      w.step(m);
      states.push(w.evaluator.alerts()[0]?.state ?? '-');
    }
    expect(states.join(' ')).toBe(
      '- - pending pending pending firing firing firing firing firing firing inactive inactive inactive inactive',
    );
    const alerts = w.written.filter((s) => s.labels.__name__ === 'ALERTS' && s.t === 5 * MIN);
    expect(alerts).toEqual([
      {
        labels: {
          __name__: 'ALERTS',
          alertname: 'Offline',
          alertstate: 'firing',
          device: 'd1',
          severity: 'critical',
        },
        t: 5 * MIN,
        v: 1,
      },
    ]);
    const forState = w.written.find((s) => s.labels.__name__ === 'ALERTS_FOR_STATE' && s.t === 5 * MIN)!;
    expect(forState.v).toBe(120);
    expect(w.notifications()).toEqual(['firing', 'resolved']);
    w.db.close();
  });

  it('keeps pending and firing state across a restart without notifying again', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'qobs-eval-'));
    const file = path.join(dir, 'qobs.db');
    const src = new MemorySeriesSource();
    for (let m = 0; m <= 40; m++)
      src.append({ __name__: 'quantum_device_status', device: 'd1' }, m * MIN, m >= 2 && m <= 20 ? 0 : 1);
    const first = world(file, src);
    for (let m = 0; m <= 3; m++) first.step(m);
    expect(first.evaluator.alerts()[0].state).toBe('pending');
    first.db.close();
    // Restart while pending: activeAt survives, so it fires at minute 5 as it would have.
    const second = world(file, src);
    expect(second.evaluator.alerts()[0]).toMatchObject({ state: 'pending', activeAtMs: 2 * MIN });
    for (let m = 4; m <= 10; m++) second.step(m);
    expect(second.evaluator.alerts()[0]).toMatchObject({ state: 'firing', firedAtMs: 5 * MIN });
    expect(second.notifications()).toEqual(['firing']);
    second.db.close();
    // Restart while firing: the alert is still firing and nobody is told twice.
    const third = world(file, src);
    expect(third.evaluator.alerts()[0].state).toBe('firing');
    for (let m = 11; m <= 19; m++) third.step(m);
    expect(third.notifications()).toEqual(['firing']);
    for (let m = 20; m <= 30; m++) third.step(m);
    expect(third.notifications()).toEqual(['firing', 'resolved']);
    third.db.close();
  });

  it("links alerts to their expression as Prometheus does (Go's query escaping)", () => {
    expect(generatorURL('http://qobs:8000/', 'sum(rate(x{a="b"}[5m])) * 2 > 1')).toBe(
      'http://qobs:8000/graph?g0.expr=sum%28rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29%29+%2A+2+%3E+1&g0.tab=1',
    );
  });

  it('records a rule error in its health and keeps the previous state', () => {
    const src = new MemorySeriesSource();
    const ev = new RuleEvaluator({
      engine: { instantQuery: () => ({ resultType: 'matrix', result: [] }) },
      groups: RULES.groups,
      append: () => undefined,
    });
    ev.evalGroup(RULES.groups[0], 0);
    const h = [...ev.health.values()][0];
    expect(h.health).toBe('err');
    expect(h.lastError).toMatch(/not an instant vector/);
    expect(src.series([], 0, 1)).toEqual([]);
  });
});
