import { expect } from 'vitest';
import {
  type Delivery,
  FakeHttpServer,
  type FakeReceiver,
  runNotifierConformance,
} from '../conformance.case.js';

// Answers as PagerDuty's Events API v2 documents: POST /v2/enqueue; 202 {"status":"success","message":"Event
// processed","dedup_key":...}; 400 {"status":"invalid event","message":"Event object is invalid","errors":[...]}
// when routing_key, event_action, or (for a trigger) payload.summary/source/severity are missing or wrong.
const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';
const SEVERITIES = ['critical', 'error', 'warning', 'info'];

function validate(e: Record<string, unknown>): string[] {
  const errors: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32)
    errors.push("'routing_key' is invalid");
  if (!['trigger', 'acknowledge', 'resolve'].includes(e.event_action as string))
    errors.push("'event_action' is invalid");
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255))
    errors.push("'dedup_key' is invalid");
  if (e.event_action !== 'trigger' && typeof e.dedup_key !== 'string')
    errors.push("'dedup_key' is required for resolve");
  if (e.event_action === 'trigger') {
    const p = e.payload as Record<string, unknown> | undefined;
    if (!p) errors.push("'payload' is missing");
    else {
      if (typeof p.summary !== 'string' || p.summary.length === 0 || p.summary.length > 1024)
        errors.push("'payload.summary' is invalid");
      if (typeof p.source !== 'string' || !p.source) errors.push("'payload.source' is missing");
      if (!SEVERITIES.includes(p.severity as string)) errors.push("'payload.severity' is invalid");
    }
  }
  return errors;
}

runNotifierConformance({
  kind: 'pagerduty',
  configKey: 'pagerduty_configs',
  sendsResolved: true,
  async start(): Promise<FakeReceiver> {
    const deliveries: Delivery[] = [];
    const rejected: string[] = [];
    const triggers = new Map<string, string>();
    const server = new FakeHttpServer((req, body, res) => {
      const json = (status: number, o: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(o));
      if (req.url !== '/v2/enqueue' || req.method !== 'POST') {
        rejected.push(`${req.method} ${req.url}`);
        return json(404, { status: 'not found' });
      }
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(body);
      } catch {
        rejected.push('not json');
        return json(400, {
          status: 'invalid event',
          message: 'Event object is invalid',
          errors: ['Invalid JSON'],
        });
      }
      const errors = validate(e);
      if (errors.length) {
        rejected.push(errors.join(', '));
        return json(400, { status: 'invalid event', message: 'Event object is invalid', errors });
      }
      // A resolve carries only the dedup key: it names what its trigger named.
      const key = String(e.dedup_key);
      if (e.event_action === 'trigger') triggers.set(key, body);
      deliveries.push({
        identity: body,
        status: e.event_action === 'resolve' ? 'resolved' : 'firing',
        text:
          e.event_action === 'resolve' ? `resolve of ${triggers.get(key) ?? 'an unknown incident'}` : body,
        raw: e,
      });
      json(202, { status: 'success', message: 'Event processed', dedup_key: e.dedup_key });
    });
    await server.listen();
    return {
      config: { routing_key: ROUTING_KEY, url: `http://127.0.0.1:${server.port}/v2/enqueue` },
      deliveries,
      rejected,
      setFault: (f) => server.setFault(f),
      close: () => server.close(),
    };
  },
  invalid: [
    { block: { url: 'http://127.0.0.1/v2/enqueue' }, field: 'routing_key' },
    { block: { routing_key: ROUTING_KEY, severity: 'page' }, field: 'severity' },
    { block: { service_key: 'abc' }, field: 'service_key' },
  ],
  checkFiring(d) {
    const e = d.raw as {
      event_action: string;
      dedup_key: string;
      payload: Record<string, unknown>;
      links: { href: string }[];
    };
    expect(e.event_action).toBe('trigger');
    expect(e.dedup_key).toMatch(/^[0-9a-f]{64}$/);
    expect(e.payload.severity).toBe('critical');
    expect(e.payload.source).toBe('ibm.ibm_dev0');
    expect(e.links[0].href).toBe('https://runbooks.example/qobs/QuantumDeviceOffline');
  },
  checkResolved(d, firing) {
    const e = d.raw as { event_action: string; dedup_key: string };
    expect(e.event_action).toBe('resolve');
    // The stable dedup key ties the resolve to its trigger.
    expect(e.dedup_key).toBe((firing.raw as { dedup_key: string }).dedup_key);
  },
});
