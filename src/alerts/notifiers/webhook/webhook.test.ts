import { expect } from 'vitest';
import {
  type Delivery,
  FakeHttpServer,
  type FakeReceiver,
  runNotifierConformance,
} from '../conformance.case.js';

const V4_KEYS = [
  'alerts',
  'commonAnnotations',
  'commonLabels',
  'externalURL',
  'groupKey',
  'groupLabels',
  'receiver',
  'status',
  'truncatedAlerts',
  'version',
];
const ALERT_KEYS = ['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status'];

runNotifierConformance({
  kind: 'webhook',
  configKey: 'webhook_configs',
  sendsResolved: true,
  async start(): Promise<FakeReceiver> {
    const deliveries: Delivery[] = [];
    const rejected: string[] = [];
    const server = new FakeHttpServer((req, body, res) => {
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json') {
        rejected.push(`${req.method} ${req.headers['content-type']}`);
        res.writeHead(400).end();
        return;
      }
      const msg = JSON.parse(body) as {
        status: 'firing' | 'resolved';
        alerts: { labels: Record<string, string> }[];
      };
      deliveries.push({ identity: body, status: msg.status, text: body, raw: msg });
      res.writeHead(200).end();
    });
    await server.listen();
    return {
      config: { url: `http://127.0.0.1:${server.port}/hook`, send_resolved: true },
      deliveries,
      rejected,
      setFault: (f) => server.setFault(f),
      close: () => server.close(),
    };
  },
  invalid: [
    { block: { url: 'ftp://example.com/hook' }, field: 'url' },
    { block: {}, field: 'url' },
    { block: { url: 'http://127.0.0.1/x', max_alerts: -1 }, field: 'max_alerts' },
    { block: { url: 'http://127.0.0.1/x', sendresolved: true }, field: 'sendresolved' },
  ],
  checkFiring(d) {
    const m = d.raw as Record<string, unknown>;
    expect(Object.keys(m).sort()).toEqual(V4_KEYS);
    expect(m.version).toBe('4');
    const a = (m.alerts as Record<string, unknown>[])[0];
    expect(Object.keys(a).sort()).toEqual(ALERT_KEYS);
    expect(a.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(m.groupKey).toBe('{}:{alertname="QuantumDeviceOffline", device="ibm_dev0"}');
  },
  checkResolved(d, firing) {
    const m = d.raw as { groupKey: string; alerts: { status: string; endsAt: string }[] };
    expect(m.groupKey).toBe((firing.raw as { groupKey: string }).groupKey);
    expect(m.alerts[0].status).toBe('resolved');
    expect(m.alerts[0].endsAt).not.toBe('0001-01-01T00:00:00Z');
  },
});
