// End to end in real time: a device goes offline, the workbench's alerting plugin evaluates the rule, routes the
// alert and Slack hears about it once, with the runbook link; and once more when the device is back.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { FakeHttpServer } from './notifiers/conformance.case.js';
import { memoryAlertsHost } from './memory-host.case.js';
import { alertsPlugin } from './plugin.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('notifies Slack once when a device goes offline and once when it is back', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'qobs-e2e-'));
  const messages: { text: string; body: string }[] = [];
  const slack = new FakeHttpServer((_req, body, res) => {
    messages.push({ text: (JSON.parse(body) as { text: string }).text, body });
    res.writeHead(200, { 'content-type': 'text/html' }).end('ok');
  });
  await slack.listen();
  writeFileSync(
    path.join(dir, 'rules.yml'),
    `groups:
  - name: fast
    interval: 1s
    rules:
      - alert: QuantumDeviceOffline
        expr: quantum_device_status == 0
        for: 1s
        labels: { severity: critical }
        annotations:
          summary: 'Device {{ $labels.provider }}.{{ $labels.device }} is offline'
          value: '{{ $value }}'
          runbook_url: '{{ $externalURL }}/docs/alerts.md#quantumdeviceoffline'
`,
  );
  writeFileSync(
    path.join(dir, 'alertmanager.yml'),
    `route: { receiver: ops, group_by: [alertname, device], group_wait: 0s, group_interval: 1s }
receivers:
  - name: ops
    slack_configs: [{ api_url: 'http://127.0.0.1:${slack.port}/services/T/B/X', channel: '#quantum-ops', send_resolved: true }]
`,
  );
  const { host, src, stop } = memoryAlertsHost(path.join(dir, 'qobs.db'));
  const plugin = alertsPlugin({
    ruleFiles: [path.join(dir, 'rules.yml')],
    routerConfigFile: path.join(dir, 'alertmanager.yml'),
    externalURL: 'http://127.0.0.1:8000',
    tickMs: 100,
  });
  plugin.setup(host);
  const status = (v: number) =>
    src.append({ __name__: 'quantum_device_status', provider: 'ibm', device: 'ibm_torino' }, Date.now(), v);
  try {
    for (let i = 0; i < 5; i++) {
      status(1);
      await sleep(200);
    }
    // Offline: pending at the first evaluation that sees it, firing a second later (about 2 s; the bound is
    // generous in wall-clock time for a loaded machine, not a count of sleeps).
    const offlineAt = Date.now();
    while (messages.length === 0 && Date.now() - offlineAt < 20_000) {
      status(0);
      await sleep(200);
    }
    for (let i = 0; i < 8; i++) {
      status(0);
      await sleep(200);
    }
    expect(messages.map((m) => m.text)).toEqual([
      '[FIRING:1] QuantumDeviceOffline: Device ibm.ibm_torino is offline',
    ]);
    expect(messages[0].body).toContain('<http://127.0.0.1:8000/docs/alerts.md#quantumdeviceoffline|Runbook>');
    // Back online: one resolution.
    const onlineAt = Date.now();
    while (messages.length < 2 && Date.now() - onlineAt < 20_000) {
      status(1);
      await sleep(200);
    }
    for (let i = 0; i < 5; i++) {
      status(1);
      await sleep(200);
    }
    expect(messages.map((m) => m.text)).toEqual([
      '[FIRING:1] QuantumDeviceOffline: Device ibm.ibm_torino is offline',
      '[RESOLVED] QuantumDeviceOffline: Device ibm.ibm_torino is offline',
    ]);
  } finally {
    await stop();
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
