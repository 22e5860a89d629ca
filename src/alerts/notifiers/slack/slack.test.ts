import { expect } from 'vitest';
import {
  type Delivery,
  FakeHttpServer,
  type FakeReceiver,
  runNotifierConformance,
} from '../conformance.case.js';

// Answers as Slack's incoming webhooks document: 200 "ok" on success; 400 "invalid_payload" for a body that is
// not JSON, 400 "no_text" when there is neither text nor blocks nor attachments, 404 "no_service" for a URL
// that is not a webhook.
const HOOK_PATH = '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';

runNotifierConformance({
  kind: 'slack',
  configKey: 'slack_configs',
  sendsResolved: true,
  async start(): Promise<FakeReceiver> {
    const deliveries: Delivery[] = [];
    const rejected: string[] = [];
    const server = new FakeHttpServer((req, body, res) => {
      const reply = (status: number, text: string) =>
        res.writeHead(status, { 'content-type': 'text/html' }).end(text);
      if (req.url !== HOOK_PATH || req.method !== 'POST') {
        rejected.push(`no_service ${req.method} ${req.url}`);
        return reply(404, 'no_service');
      }
      let msg: { text?: string; blocks?: unknown[]; attachments?: unknown[] };
      try {
        msg = JSON.parse(body);
      } catch {
        rejected.push('invalid_payload');
        return reply(400, 'invalid_payload');
      }
      if (!msg.text && !msg.blocks && !msg.attachments) {
        rejected.push('no_text');
        return reply(400, 'no_text');
      }
      const status = msg.text?.startsWith('[RESOLVED]') ? 'resolved' : 'firing';
      deliveries.push({ identity: body, status, text: body, raw: msg });
      reply(200, 'ok');
    });
    await server.listen();
    return {
      config: {
        api_url: `http://127.0.0.1:${server.port}${HOOK_PATH}`,
        channel: '#quantum-ops',
        send_resolved: true,
      },
      deliveries,
      rejected,
      setFault: (f) => server.setFault(f),
      close: () => server.close(),
    };
  },
  invalid: [
    { block: { channel: '#x' }, field: 'api_url' },
    { block: { api_url: 'not a url' }, field: 'api_url' },
    {
      block: { api_url: 'https://hooks.slack.com/services/x', send_resolved: 'yes' },
      field: 'send_resolved',
    },
  ],
  checkFiring(d) {
    const m = d.raw as { channel: string; text: string; blocks: { type: string; text: { text: string } }[] };
    expect(m.channel).toBe('#quantum-ops');
    expect(m.text).toMatch(/^\[FIRING:1\] QuantumDeviceOffline/);
    const section = m.blocks.find((b) => b.type === 'section')!.text.text;
    // A readable message: severity, device, value and the runbook link.
    expect(section).toContain('*Severity:* critical');
    expect(section).toContain('*Device:* `ibm.ibm_dev0`');
    expect(section).toContain('*Value:* 0');
    expect(section).toContain('<https://runbooks.example/qobs/QuantumDeviceOffline|Runbook>');
  },
  checkResolved(d) {
    const m = d.raw as { text: string; blocks: { type: string; text: { text: string } }[] };
    expect(m.text).toMatch(/^\[RESOLVED\]/);
    expect(m.blocks.find((b) => b.type === 'section')!.text.text).toContain(':white_check_mark:');
  },
});
