import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AlertStore } from '../store/index.js';
import { parseRouterConfig, RouterConfigError } from './config.js';
import { fingerprint, parseMatchers } from './labels.js';
import type { Notification } from './notification.js';
import { Router } from './router.js';

const CONFIG = `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      continue: true
    - matchers: ['provider="ibm"']
      receiver: ibm-team
      group_by: [alertname, device]
inhibit_rules:
  - source_matchers: ['alertname="QuantumDeviceOffline"']
    target_matchers: ['alertname="QuantumQueueTooLong"']
    equal: [provider, device]
receivers:
  - name: default
    webhook_configs: [{ url: 'http://127.0.0.1:1/default' }]
  - name: pager
    webhook_configs: [{ url: 'http://127.0.0.1:1/pager' }]
  - name: ibm-team
    webhook_configs: [{ url: 'http://127.0.0.1:1/ibm' }]
`;

function setup() {
  const store = new AlertStore(new Database(':memory:'));
  const router = new Router(parseRouterConfig(CONFIG), store, { externalURL: 'http://qobs' });
  const sent = () =>
    store.outbox().map((r) => {
      const n = r.payload as Notification;
      return {
        receiver: n.receiver,
        status: n.status,
        alerts: n.alerts.map((a) => `${a.labels.alertname}/${a.labels.device}:${a.status}`),
      };
    });
  return { store, router, sent };
}

const A = (alertname: string, device: string, extra: Record<string, string> = {}) => ({
  labels: { alertname, device, provider: 'ibm', ...extra },
  annotations: { summary: `${alertname} on ${device}` },
});

describe('router', () => {
  it('routes depth first, honouring continue, and groups by the route group_by', () => {
    const { router, sent } = setup();
    router.putAlerts(
      [
        A('QuantumDeviceOffline', 'd1', { severity: 'critical' }),
        A('QuantumDeviceOffline', 'd2', { severity: 'critical' }),
      ],
      0,
    );
    router.flushDue(30_000);
    expect(sent()).toEqual([
      {
        receiver: 'pager',
        status: 'firing',
        alerts: ['QuantumDeviceOffline/d1:firing', 'QuantumDeviceOffline/d2:firing'],
      },
      { receiver: 'ibm-team', status: 'firing', alerts: ['QuantumDeviceOffline/d1:firing'] },
      { receiver: 'ibm-team', status: 'firing', alerts: ['QuantumDeviceOffline/d2:firing'] },
    ]);
  });

  it('waits group_wait, batches new alerts to group_interval, repeats after repeat_interval', () => {
    const { router, sent } = setup();
    router.putAlerts([A('X', 'd1', { provider: 'ionq' })], 0);
    expect(router.flushDue(29_999)).toBe(0);
    expect(router.flushDue(30_000)).toBe(1);
    router.putAlerts([A('X', 'd1', { provider: 'ionq' }), A('X', 'd2', { provider: 'ionq' })], 60_000);
    expect(router.flushDue(60_000)).toBe(0);
    expect(router.flushDue(330_000)).toBe(1);
    expect(sent()[1].alerts).toEqual(['X/d1:firing', 'X/d2:firing']);
    // Nothing changes: no notification until repeat_interval (4h) has passed since the last one.
    for (let t = 330_000; t < 330_000 + 4 * 3_600_000; t += 300_000) {
      router.putAlerts([A('X', 'd1', { provider: 'ionq' }), A('X', 'd2', { provider: 'ionq' })], t);
      expect(router.flushDue(t + 1)).toBe(0);
    }
    router.putAlerts(
      [A('X', 'd1', { provider: 'ionq' }), A('X', 'd2', { provider: 'ionq' })],
      330_000 + 4 * 3_600_000,
    );
    expect(router.flushDue(330_000 + 4 * 3_600_000 + 300_000)).toBe(1);
  });

  it('sends the resolution once every alert of a group has ended', () => {
    const { router, sent } = setup();
    router.putAlerts([A('X', 'd1', { provider: 'ionq' })], 0);
    router.flushDue(30_000);
    router.putAlerts([{ ...A('X', 'd1', { provider: 'ionq' }), startsAtMs: 0, endsAtMs: 100_000 }], 100_000);
    router.flushDue(330_000);
    expect(sent().map((s) => s.status)).toEqual(['firing', 'resolved']);
    expect(router.list(330_000)).toEqual([]);
  });

  it('resolves an alert that stops being refreshed after resolve_timeout', () => {
    const { router, sent } = setup();
    router.putAlerts([A('X', 'd1', { provider: 'ionq' })], 0);
    router.flushDue(30_000);
    // Not refreshed: it ends at 0 + resolve_timeout (5m), and the next flush reports it resolved.
    expect(router.list(299_999)[0].state).toBe('active');
    expect(router.list(300_000)[0].state).toBe('resolved');
    router.flushDue(330_000);
    expect(sent().map((s) => s.status)).toEqual(['firing', 'resolved']);
  });

  it('inhibits the queue alert of an offline device, and only of that device', () => {
    const { router, sent } = setup();
    router.putAlerts(
      [A('QuantumDeviceOffline', 'd1'), A('QuantumQueueTooLong', 'd1'), A('QuantumQueueTooLong', 'd2')],
      0,
    );
    router.flushDue(30_000);
    const alerts = sent().flatMap((s) => s.alerts);
    expect(alerts).toContain('QuantumQueueTooLong/d2:firing');
    expect(alerts).not.toContain('QuantumQueueTooLong/d1:firing');
    const status = router
      .list(30_000)
      .find((a) => a.labels.alertname === 'QuantumQueueTooLong' && a.labels.device === 'd1')!;
    expect(status.state).toBe('suppressed');
    expect(status.inhibitedBy).toEqual([fingerprint(A('QuantumDeviceOffline', 'd1').labels)]);
  });

  it('silences by matchers until the silence expires or is expired', () => {
    const { router, sent, store } = setup();
    const s = router.addSilence(
      {
        matchers: parseMatchers('alertname="X", device=~"d[12]"'),
        startsAtMs: 0,
        endsAtMs: 3_600_000,
        createdBy: 'ops',
        comment: 'maintenance',
      },
      0,
    );
    router.putAlerts([A('X', 'd1', { provider: 'ionq' }), A('X', 'd3', { provider: 'ionq' })], 0);
    router.flushDue(30_000);
    expect(sent().map((x) => x.alerts)).toEqual([['X/d3:firing']]);
    expect(router.list(30_000).find((a) => a.labels.device === 'd1')!.silencedBy).toEqual([s.id]);
    expect(router.expireSilence(s.id, 60_000)).toBe(true);
    expect(router.expireSilence(s.id, 60_000)).toBe(false);
    expect(store.silence(s.id)!.endsAtMs).toBe(60_000);
    router.putAlerts([A('X', 'd1', { provider: 'ionq' }), A('X', 'd3', { provider: 'ionq' })], 300_000);
    router.flushDue(330_000);
    expect(sent()[1].alerts).toEqual(['X/d1:firing', 'X/d3:firing']);
    expect(() =>
      router.addSilence(
        { matchers: parseMatchers('a=~".*"'), startsAtMs: 0, endsAtMs: 10, createdBy: '', comment: '' },
        0,
      ),
    ).toThrow(/empty string/);
  });

  it('rejects an invalid configuration with every issue named', () => {
    let err: RouterConfigError | undefined;
    try {
      parseRouterConfig(`
route:
  receiver: nobody
  group_wait: soon
  routes:
    - matchers: ['severity=~"("']
receivers:
  - name: a
    slack_configs: [{ channel: '#x' }]
  - name: a
    opsgenie_configs: []
`);
    } catch (e) {
      err = e as RouterConfigError;
    }
    expect(err).toBeInstanceOf(RouterConfigError);
    expect(err!.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining([
        'route.receiver',
        'route.group_wait',
        'route.routes[0].matchers[0]',
        'receivers[0].slack_configs[0].api_url',
        'receivers[1].name',
        'receivers[1].opsgenie_configs',
      ]),
    );
  });
});
