// The wall clock stepped back (NTP, a resumed VM): the alert evaluator's `for`, the router's group timers, the
// outbox's backoff, the workbench's own scrapes and retention, and samples older than their series. No crash,
// no lost or duplicated notification, no alert held pending by the size of the step, out-of-order samples
// rejected and counted rather than written into a series.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import Database from 'better-sqlite3';
import {
  type Notification,
  type Notifier,
  NotifyError,
  OutboxWorker,
  parseRouterConfig,
  parseRuleFile,
  RuleEvaluator,
  Router,
  steadyClock,
} from '../alerts/index.js';
import { createEngine } from '../promql/index.js';
import { AlertStore, Store } from '../store/index.js';
import { startWorkbench } from './workbench.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'qobs-clock-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
});

const RULES = parseRuleFile(`
groups:
  - name: g
    interval: 1m
    rules:
      - alert: Always
        expr: label_replace(vector(1), "device", "always", "", "")
        for: 3m
        labels: { severity: critical }
`);
const ROUTES = parseRouterConfig(`
route: { receiver: hook, group_by: [alertname], group_wait: 30s, group_interval: 5m, repeat_interval: 4h }
receivers: [{ name: hook, webhook_configs: [{ url: 'http://127.0.0.1:1/hook', send_resolved: true }] }]
`);

/** Resolves once `cond()` holds; fails, naming `what`, after `timeoutMs` (real time: only Date is faked here). */
async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A store, the evaluator over it and the router, driven with explicit wall-clock times. */
function alerting() {
  const store = Store.open({ dataDir: tmp() });
  const alerts = new AlertStore(store.db);
  const router = new Router(ROUTES, alerts);
  const evaluator = new RuleEvaluator({
    engine: createEngine(store, { mode: 'prometheus3' }),
    groups: RULES.groups,
    store: alerts,
    append: (samples) => {
      store.ingest({ samples: samples.map((s) => ({ labels: s.labels, t: s.timestampMs, v: s.value })) });
    },
    notify: (a, now) => router.putAlerts(a, now),
  });
  const step = (t: number) => {
    evaluator.evalGroup(RULES.groups[0], t);
    router.flushDue(t);
  };
  const state = (device: string) => evaluator.alerts().find((a) => a.labels.device === device)?.state;
  const queued = () =>
    alerts.outbox().map((r) => {
      const n = r.payload as Notification;
      return `${n.status}:${n.alerts
        .map((a) => `${a.labels.device}/${a.status}`)
        .sort()
        .join(',')}`;
    });
  return { store, alerts, router, evaluator, step, state, queued };
}

describe('the clock stepped back', () => {
  it('does not hold a pending alert back by the size of the step, and fires once `for` has passed', () => {
    const w = alerting();
    try {
      const t0 = 1_800_000_000_000;
      w.step(t0);
      expect(w.state('always')).toBe('pending');
      w.step(t0 + MIN);
      // One hour back: three minutes of the stepped clock later the alert fires, instead of staying pending
      // until the wall clock has caught up with the hour.
      const back = t0 + 2 * MIN - HOUR;
      for (let m = 0; m < 3; m++) {
        w.step(back + m * MIN);
        expect(w.state('always')).toBe('pending');
      }
      w.step(back + 3 * MIN);
      expect(w.state('always')).toBe('firing');
    } finally {
      w.store.close();
    }
  });

  it('a firing alert keeps firing across the step: no resolved notification, no duplicate', () => {
    const w = alerting();
    try {
      const t0 = 1_800_000_000_000;
      for (let m = 0; m <= 4; m++) w.step(t0 + m * MIN);
      expect(w.state('always')).toBe('firing');
      expect(w.queued()).toEqual(['firing:always/firing']);
      // Two hours back, ten minutes of evaluation on the stepped clock.
      const back = t0 + 5 * MIN - 2 * HOUR;
      for (let m = 0; m <= 10; m++) w.step(back + m * MIN);
      expect(w.state('always')).toBe('firing');
      // Still one notification: the resend after the step renewed the alert's end without a second message.
      expect(w.queued()).toEqual(['firing:always/firing']);
      const alert = w.router.list(back + 10 * MIN).find((a) => a.labels.device === 'always');
      expect(alert?.state).toBe('active');
    } finally {
      w.store.close();
    }
  });

  it('the router flushes a new alert of an existing group without waiting out the step', () => {
    const w = alerting();
    try {
      const t0 = 1_800_000_000_000;
      w.router.putAlerts(
        [
          {
            labels: { alertname: 'Always', device: 'x' },
            annotations: {},
            startsAtMs: t0,
            endsAtMs: t0 + HOUR,
            generatorURL: '',
          },
        ],
        t0,
      );
      w.router.flushDue(t0 + 31_000);
      expect(w.queued()).toEqual(['firing:x/firing']);
      const back = t0 + 31_000 - 3 * HOUR;
      w.router.putAlerts(
        [
          {
            labels: { alertname: 'Always', device: 'y' },
            annotations: {},
            startsAtMs: back,
            endsAtMs: back + HOUR,
            generatorURL: '',
          },
        ],
        back,
      );
      // Within one group_interval of the stepped clock the new alert goes out (not three hours later).
      for (let s = 0; s <= 300; s += 30) w.router.flushDue(back + s * 1000);
      expect(w.queued()).toEqual(['firing:x/firing', 'firing:x/firing,y/firing']);
    } finally {
      w.store.close();
    }
  });

  it("the outbox's retry is due after its backoff, not after the step", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = new AlertStore(new Database(':memory:'));
    const worker = new OutboxWorker(store, ROUTES, { baseDelayMs: 50, maxDelayMs: 100, random: () => 0 });
    let fail = true;
    const sent: unknown[] = [];
    const fake: Notifier = {
      kind: 'webhook',
      sendResolved: true,
      send: async (n) => {
        if (fail) throw new NotifyError('HTTP 503', { retryable: true, status: 503 });
        sent.push(n);
      },
    };
    (worker as unknown as { notifiers: Map<string, Notifier> }).notifiers.set('hook/webhook[0]', fake);
    const now = Date.now();
    store.recordNotification(
      'g',
      'hook',
      { firing: ['1'], resolved: [], sentAtMs: now },
      [{ dedupeKey: 'k', integration: 'hook/webhook[0]', payload: { i: 1 } }],
      now,
      100,
    );
    expect(await worker.drain()).toBe(0);
    fail = false;
    vi.setSystemTime(Date.now() - 2 * HOUR);
    await new Promise((r) => setTimeout(r, 150));
    expect(await worker.drain()).toBe(1);
    expect(sent).toEqual([{ i: 1 }]);
    expect(await worker.drain()).toBe(0);
    // The clock itself: never steps back, advances with real time.
    const clock = steadyClock();
    const a = clock();
    vi.setSystemTime(Date.now() - HOUR);
    expect(clock()).toBeGreaterThanOrEqual(a);
  });

  it("the workbench's own scrapes and retention survive the step; older samples are counted, not stored", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const wb = await startWorkbench({
      dataDir: tmp(),
      port: 0,
      otlpPort: 0,
      selfScrapeIntervalMs: 100,
      retentionCheckIntervalMs: 100,
    });
    try {
      const selfSeries = () =>
        wb.store.select(
          [{ name: '__name__', op: '=', value: 'qobs_ingest_requests_total' }],
          0,
          Date.now() + 10 * HOUR,
        );
      // The scrapes and retention passes run on real timers; wait for their effects (bounded) rather than a
      // fixed time that a loaded machine may overrun.
      await until('a self scrape before the step', () => selfSeries().length > 0);
      const before = selfSeries();
      const lastBefore = Math.max(...before.map((s) => s.timestamps[s.timestamps.length - 1]));
      const ooBefore = wb.store.stats().samplesOutOfOrder;
      vi.setSystemTime(Date.now() - HOUR);
      const steppedAt = performance.now();
      await until('a self scrape after the step', () => wb.store.stats().samplesOutOfOrder > ooBefore);
      // At least five retention intervals run on the stepped clock.
      const restMs = 500 - (performance.now() - steppedAt);
      if (restMs > 0) await new Promise((r) => setTimeout(r, restMs));
      expect((await fetch(`${wb.url}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`${wb.url}/metrics`)).text();
      expect(metrics).toMatch(/qobs_store_samples_dropped_total\{reason="out_of_order"\} [1-9]/);
      // No sample older than the latest before the step went into the series.
      for (const s of selfSeries()) {
        for (let i = 1; i < s.timestamps.length; i++)
          expect(s.timestamps[i]).toBeGreaterThan(s.timestamps[i - 1]);
        expect(s.timestamps[s.timestamps.length - 1]).toBeLessThanOrEqual(lastBefore);
      }
      // OTLP metrics from a client whose clock also stepped: refused as partial success, counted.
      const res = await fetch(`${wb.otlpUrl}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceMetrics: [
            {
              scopeMetrics: [
                {
                  metrics: [
                    {
                      name: 'stepped',
                      gauge: {
                        dataPoints: [
                          { timeUnixNano: `${lastBefore}000000`, asDouble: 1 },
                          { timeUnixNano: `${lastBefore - HOUR}000000`, asDouble: 2 },
                        ],
                      },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      });
      expect(res.status).toBe(200);
      expect(JSON.stringify(await res.json())).toMatch(/"rejectedDataPoints":"1"/);
    } finally {
      await wb.close();
    }
  });
});
