import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alertsPlugin, defaultRulePackPath } from '../alerts/index.js';
import { describeWithPrograms } from '../testing/system.js';
import { buildUiIntoTemp } from './testing/build.js';
import { CHROMIUM_PATH, type Headless, launchHeadless, waitReady, watchErrors } from './chromium.js';
import { checkOverviewAgainstApi } from './testing/checks.js';
import { HOSTILE_DEVICE, HOSTILE_MESSAGE, seedStore } from './testing/seed.js';
import { startTestWorkbench, type TestWorkbench } from './testing/workbench.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Screenshots refresh docs/screenshots only when asked (QOBS_UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
const shotsDir =
  process.env.QOBS_UPDATE_SCREENSHOTS === '1'
    ? join(repoRoot, 'docs', 'screenshots')
    : join(tmpdir(), `qobs-screenshots-${process.pid}`);
const PAGES = ['overview', 'devices', 'executions', 'traces', 'logs', 'alerts', 'costs', 'explore'];

describeWithPrograms('dashboard in Chromium (real workbench)', [CHROMIUM_PATH], () => {
  let uiDir: string;
  let tw: TestWorkbench;
  let browser: Headless;
  let traceIds: readonly string[];
  const endMs = Math.floor(Date.now() / 1000) * 1000;
  const startMs = endMs - 3_600_000;
  const rangeQs = `from=${startMs}&to=${endMs}&refresh=off`;

  beforeAll(async () => {
    uiDir = buildUiIntoTemp();
    // The shipped rule pack, evaluated every second instead of every minute, so the Alerts page has the
    // seeded offline device's alert (pending: the rule wants five minutes) by the time of its screenshot.
    const rules = join(uiDir, 'quantum.rules.yml');
    writeFileSync(
      rules,
      readFileSync(defaultRulePackPath(), 'utf8').replace(/interval: 1m/g, 'interval: 1s'),
    );
    const alerts = alertsPlugin({ ruleFiles: [rules], tickMs: 200, externalURL: 'http://127.0.0.1:8000' });
    tw = await startTestWorkbench(uiDir, [
      {
        name: 'alerts',
        setup(wb) {
          alerts.setup(wb);
        },
      },
    ]);
    ({ traceIds } = seedStore(tw.wb.store, { endMs, durationMs: 2 * 3_600_000, executions: 12 }));
    browser = await launchHeadless();
    mkdirSync(shotsDir, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await tw?.close();
    if (uiDir) rmSync(uiDir, { recursive: true, force: true });
  });

  async function open(hash: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${tw.wb.url}/#/${hash}`);
    await waitReady(page);
    return { page, errors };
  }

  it('loads every page with no console error and writes its screenshot', async () => {
    for (const id of PAGES) {
      const extra: Record<string, string> = {
        explore: '&q=sum by (provider) (rate(quantum_circuit_executions_total[5m]))',
        traces: `&trace=${traceIds[0]}`,
        // A filtered view keeps the text-dense page's PNG under the size budget.
        logs: '&event_type=quantum_circuit_execution',
        devices: '&device=ibm.ibm_torino',
      };
      // The default range (last hour, ending now) so the screenshots show the picker as users first see it.
      const { page, errors } = await open(`${id}?refresh=off${extra[id] ?? ''}`);
      await expect.poll(() => page.locator('h1').textContent()).toBe(id[0].toUpperCase() + id.slice(1));
      if (id === 'alerts') {
        // Wait for the evaluator's first rounds over the seeded data, then draw the page again.
        await expect
          .poll(async () => (await (await fetch(`${tw.wb.url}/api/v1/alerts`)).json()).data.alerts.length, {
            timeout: 10_000,
          })
          .toBeGreaterThan(0);
        await page.getByRole('button', { name: 'Refresh' }).click();
        await waitReady(page, 2);
        expect(await page.locator('[data-testid=not-available]').count()).toBe(0);
      }
      await page.waitForTimeout(200);
      const file = join(shotsDir, `${id}.png`);
      await page.screenshot({ path: file, fullPage: id === 'overview' });
      expect(statSync(file).size).toBeLessThan(300 * 1024);
      expect(errors, `${id}: ${errors.join('\n')}`).toEqual([]);
      await page.close();
    }
  });

  it('shows in every Overview panel the values the PromQL API returns for the same range', async () => {
    const { page, errors } = await open(`overview?${rangeQs}`);
    const compared = await checkOverviewAgainstApi(page, tw.wb.url, startMs, endMs);
    expect(compared).toBeGreaterThan(40);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens an execution’s trace from its row, and from the trace its logs', async () => {
    const { page, errors } = await open(`executions?${rangeQs}`);
    const rows = page.locator('[data-testid=executions-table] tbody tr');
    expect(await rows.count()).toBe(12);
    // Newest first: the last seeded execution, with its figures from the log record and its cost event.
    const newest = traceIds[traceIds.length - 1];
    const text = (await rows.first().textContent()) ?? '';
    expect(text).toContain('1024');
    expect(text).toMatch(/\(esp\)|\(hellinger\)/);
    expect(text).toContain('USD');
    await rows.first().click();
    await page.waitForFunction((id) => location.hash.includes(`trace=${id}`), newest);
    await waitReady(page);
    await expect.poll(() => page.locator('[data-testid=trace-detail]').textContent()).toContain(newest);
    expect(await page.locator('.span-row').count()).toBe(2);
    await page.locator('.span-row').nth(1).click();
    const info = (await page.locator('[data-testid=span-info]').textContent()) ?? '';
    expect(info).toContain('quantum.circuit.name');
    expect(info).toContain('job.completed');
    await page.locator('[data-testid=trace-logs]').click();
    await page.waitForFunction((id) => location.hash.includes(`trace_id=${id}`), newest);
    await waitReady(page);
    const logRows = page.locator('[data-testid=logs-table] tbody tr');
    const expected = tw.wb.store.searchLogs({ traceId: newest, limit: 100 }).length;
    expect(expected).toBe(3);
    await expect.poll(() => logRows.count()).toBe(expected);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('tails logs live: a line sent over OTLP/HTTP appears without a reload', async () => {
    const { page, errors } = await open('logs?refresh=off');
    const marker = `tail-check-${Date.now()}`;
    const body = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'tail-test' } }] },
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                  severityText: 'WARN',
                  body: { stringValue: marker },
                  attributes: [{ key: 'event_type', value: { stringValue: 'quantum_hardware_event' } }],
                },
              ],
            },
          ],
        },
      ],
    };
    // Give the page's event stream a moment to connect before sending.
    await page.waitForTimeout(300);
    const res = await fetch(`${tw.wb.otlpUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    await expect
      .poll(() => page.locator('[data-testid=logs-table]').textContent(), { timeout: 10_000 })
      .toContain(marker);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a label value and a log message holding markup as text', async () => {
    const t = endMs - 30_000;
    tw.wb.store.ingest({
      samples: [
        { labels: { __name__: 'quantum_device_status', provider: 'ibm', device: HOSTILE_DEVICE }, t, v: 1 },
        {
          labels: { __name__: 'quantum_device_queue_length', provider: 'ibm', device: HOSTILE_DEVICE },
          t,
          v: 2,
        },
      ],
      logs: [
        {
          timeUnixNano: BigInt(t) * 1_000_000n,
          observedTimeUnixNano: BigInt(t) * 1_000_000n,
          severityNumber: 13,
          severityText: 'WARN',
          body: HOSTILE_MESSAGE,
          attributes: { event_type: 'quantum_security_event' },
          flags: 0,
          traceId: '',
          spanId: '',
          eventName: '',
          resource: { 'service.name': 'qml-training' },
          scope: { name: 'qobs', version: '0.1.0' },
        },
      ],
    });
    for (const [hash, needle] of [
      [`overview?${rangeQs}`, HOSTILE_DEVICE],
      [`devices?${rangeQs}`, HOSTILE_DEVICE],
      [`logs?${rangeQs}&live=0`, HOSTILE_MESSAGE],
    ] as const) {
      const { page, errors } = await open(hash);
      await expect.poll(() => page.locator('main').textContent()).toContain(needle);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(await page.locator('main img, main script').count()).toBe(0);
      expect(errors).toEqual([]);
      await page.close();
    }
  });
});
