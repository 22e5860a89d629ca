// A silence made in the dashboard stops a notification: a real workbench with the alerting plugin, two
// devices go offline, the one silenced in the UI is not notified while the other is; expiring the silence in
// the UI lets its notification through.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alertsPlugin } from '../alerts/index.js';
import { patientPolls } from '../testing/poll.js';
import { describeWithPrograms } from '../testing/system.js';
import { CHROMIUM_PATH, type Headless, launchHeadless, waitReady, watchErrors } from './chromium.js';
import { startTestWorkbench, type TestWorkbench } from './testing/workbench.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

patientPolls();

describeWithPrograms('dashboard silences in Chromium (real workbench and alerting)', [CHROMIUM_PATH], () => {
  let dir: string;
  let tw: TestWorkbench;
  let browser: Headless;
  let hook: Server;
  const received: { devices: string[]; status: string }[] = [];
  let statusTimer: ReturnType<typeof setInterval> | undefined;
  const offline = new Set<string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qobs-ui-alerts-'));
    const uiDir = join(dir, 'ui');
    const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build-ui.mjs'), '--out', uiDir], {
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`ui build failed: ${build.stderr}`);
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const doc = JSON.parse(body) as { status: string; alerts: { labels: Record<string, string> }[] };
        received.push({ status: doc.status, devices: doc.alerts.map((a) => a.labels.device) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const port = (hook.address() as { port: number }).port;
    writeFileSync(
      join(dir, 'rules.yml'),
      `groups:
  - name: devices
    interval: 1s
    rules:
      - alert: QuantumDeviceOffline
        expr: quantum_device_status == 0
        labels: { severity: critical }
        annotations: { summary: 'Device {{ $labels.device }} is offline' }
`,
    );
    writeFileSync(
      join(dir, 'alertmanager.yml'),
      `route: { receiver: ops, group_by: [alertname, device], group_wait: 0s, group_interval: 1s, repeat_interval: 1h }
receivers:
  - name: ops
    webhook_configs: [{ url: 'http://127.0.0.1:${port}/hook', send_resolved: false }]
`,
    );
    const alerts = alertsPlugin({
      ruleFiles: [join(dir, 'rules.yml')],
      routerConfigFile: join(dir, 'alertmanager.yml'),
      externalURL: 'http://127.0.0.1:8000',
      tickMs: 100,
    });
    tw = await startTestWorkbench(uiDir, [
      {
        name: 'alerts',
        setup(wb) {
          alerts.setup(wb);
        },
      },
    ]);
    // Both devices report every 200 ms, as a device monitor would; `offline` decides the value.
    const report = () =>
      tw.wb.store.ingest({
        samples: ['ibm_torino', 'ibm_brisbane'].map((device) => ({
          labels: { __name__: 'quantum_device_status', provider: 'ibm', device },
          t: Date.now(),
          v: offline.has(device) ? 0 : 1,
        })),
      });
    report();
    statusTimer = setInterval(report, 200);
    browser = await launchHeadless();
  });
  afterAll(async () => {
    clearInterval(statusTimer);
    await browser?.close();
    await tw?.close();
    await new Promise((r) => hook?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('silences an alert from the Alerts page, and expiring the silence lets it notify', async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${tw.wb.url}/#/alerts?refresh=off`);
    await waitReady(page);
    expect(await page.locator('[data-testid=alerts-table]').textContent()).toContain(
      'No alert is firing or pending',
    );

    // Silence ibm_torino before it goes offline (planned maintenance).
    await page.locator('input[name=matchers]').fill('alertname="QuantumDeviceOffline", device="ibm_torino"');
    await page.locator('input[name=duration]').fill('1h');
    await page.locator('input[name=comment]').fill('planned maintenance');
    await page.getByRole('button', { name: 'Create silence' }).click();
    await expect.poll(() => page.locator('.form-status').textContent()).toMatch(/^Silence \S+ created$/);
    await expect.poll(() => page.locator('[data-testid=silences-table] tbody tr').count()).toBe(1);
    expect(await page.locator('[data-testid=silences-table]').textContent()).toContain('device="ibm_torino"');

    offline.add('ibm_torino');
    offline.add('ibm_brisbane');
    // The unsilenced device is notified: the pipeline works ...
    await expect
      .poll(() => received.flatMap((r) => r.devices), { timeout: 15_000, interval: 200 })
      .toContain('ibm_brisbane');
    // ... and over several more group intervals the silenced one is not.
    await sleep(3000);
    expect(received.flatMap((r) => r.devices)).not.toContain('ibm_torino');

    // The page shows both firing, the silenced one marked.
    await page.getByRole('button', { name: 'Refresh' }).click();
    await waitReady(page, 2);
    const rows = page.locator('[data-testid=alerts-table] tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const torino = rows.filter({ hasText: 'ibm_torino' });
    expect(await torino.textContent()).toContain('Firing');
    expect(await torino.locator('[data-testid=silenced]').count()).toBe(1);
    expect(await rows.filter({ hasText: 'ibm_brisbane' }).locator('[data-testid=silenced]').count()).toBe(0);

    // Expire it from the page: the held-back notification goes out.
    await page.locator('[data-testid=silences-table] [data-testid=expire]').click();
    await expect.poll(() => page.locator('.form-status').textContent()).toMatch(/expired$/);
    await expect.poll(() => page.locator('[data-testid=silences-table] tbody tr td.empty').count()).toBe(1);
    await expect
      .poll(() => received.flatMap((r) => r.devices), { timeout: 15_000, interval: 200 })
      .toContain('ibm_torino');
    expect(errors).toEqual([]);
    await page.close();
  });
});
