import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alertsPlugin, defaultRulePackPath } from '../alerts/index.js';
import { type BudgetSpec, defaultCatalogue } from '../cost/index.js';
import { type CostsDoc, costsApiPlugin } from '../server/index.js';
import { patientPolls } from '../testing/poll.js';
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
// Budgets over the seeded costs: IBM nearly spent, Forte half spent, and one on a device nothing ran on, whose
// what-if line charges the seeded local runs as priced there. Periods of 3,650 days (counted from 1970-01-01, the
// next boundary on 2029-12-17): the two seeded hours fall in one period whenever the test runs. A calendar month or
// day would split them in the first two hours after its start.
const BUDGETS: BudgetSpec[] = [
  { name: 'ibm-research', amountUsd: 20, periodDays: 3650, provider: 'ibm' },
  { name: 'forte-project', amountUsd: 250, periodDays: 3650, device: 'braket.ionq/forte-1' },
  { name: 'garnet-what-if', amountUsd: 50, periodDays: 3650, device: 'braket.iqm/garnet' },
];
const PAGES = ['overview', 'devices', 'executions', 'traces', 'logs', 'alerts', 'costs', 'explore'];

patientPolls();

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
      costsApiPlugin({ catalogue: defaultCatalogue(), budgets: BUDGETS, estimateAs: 'braket.iqm/garnet' }),
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
      if (id === 'costs') {
        // Below the fold: every budget with its burn-down and projection.
        const budgets = join(shotsDir, 'costs-budgets.png');
        await page.locator('[data-testid=budgets]').screenshot({ path: budgets });
        expect(statSync(budgets).size).toBeLessThan(300 * 1024);
      }
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

  it('shows on the Costs page the costs API’s figures: by provider, device and day, every budget, the what-if', async () => {
    const { page, errors } = await open(`costs?${rangeQs}`);
    await expect
      .poll(() => page.locator('[data-testid=budgets-table] tbody tr').count())
      .toBe(BUDGETS.length);
    const doc = (await (
      await fetch(`${tw.wb.url}/api/costs?start=${startMs}&end=${endMs}`)
    ).json()) as CostsDoc;
    // The seeded metric and cost events describe the same executions, so their totals agree.
    expect(doc.total).toBeGreaterThan(100);
    expect(doc.events.total).toBeCloseTo(doc.total, 9);
    const usd = (n: number) => `${n.toFixed(2)} USD`;
    const rowTexts = (id: string) => page.locator(`[data-testid=${id}] tbody tr`).allTextContents();
    expect(await page.locator('[data-testid=cost-total]').textContent()).toContain(usd(doc.total));
    const providers = await rowTexts('cost-by-provider');
    expect(providers).toHaveLength(doc.byProvider.length);
    for (const r of doc.byProvider)
      expect(providers.some((t) => t.includes(r.provider) && t.includes(usd(r.amount)))).toBe(true);
    const devices = await rowTexts('cost-by-device');
    expect(devices).toHaveLength(doc.byDevice.length);
    for (const r of doc.byDevice)
      expect(devices.find((t) => t.startsWith(r.device))).toBe(
        `${r.device}${r.executions}${r.costEvents}${usd(r.amount)}`,
      );
    const days = await rowTexts('cost-by-day');
    expect(days.map((t) => t.slice(0, 10))).toEqual(doc.byDay.map((d) => d.day));
    for (const [i, d] of doc.byDay.entries()) expect(days[i]).toContain(usd(d.amount));
    // Every budget: its spend, its remaining amount in words, and its own burn-down chart with a legend.
    const budgetRows = await rowTexts('budgets-table');
    for (const [i, b] of doc.budgets.entries()) {
      expect(budgetRows[i]).toContain(b.name);
      expect(budgetRows[i]).toContain(usd(b.spent));
      // The burn rate with its multiple of the pace that lasts the period (both move with the clock, so the
      // page's request may differ from this one in the last digits).
      if (b.burnRatePerDay !== null && b.burnRateMultiple !== null)
        expect(budgetRows[i]).toMatch(/[\d,.]+ USD\/day \(\d[\d.]*× pace\)/);
    }
    expect(budgetRows[0]).toContain('(under 20% left)');
    const burns = page.locator('[data-testid=burn-down]');
    expect(await burns.count()).toBe(BUDGETS.length);
    for (let i = 0; i < BUDGETS.length; i++) {
      expect(await burns.nth(i).locator('canvas').count()).toBeGreaterThan(0);
      expect(await burns.nth(i).locator('.inline-legend').textContent()).toContain('remaining');
    }
    const garnet = doc.budgets.find((b) => b.name === 'garnet-what-if')!;
    expect(garnet.spent).toBe(0);
    expect(garnet.whatIf!.spent).toBeGreaterThan(0);
    expect(await burns.nth(2).locator('.inline-legend').textContent()).toContain(
      `what-if remaining: ${usd(50 - garnet.whatIf!.spent)}`,
    );
    // The what-if is apart from the spend, and says so.
    const estimate = (await page.locator('[data-testid=cost-estimate]').textContent()) ?? '';
    expect(estimate).toContain(usd(doc.estimate!.total));
    expect(estimate).toContain('nothing here was billed');
    expect(await page.locator('[data-testid=catalogue-version]').textContent()).toContain(
      defaultCatalogue().version,
    );
    // Keyboard: Enter on a budget row moves focus to its burn-down; on a device row it opens the device.
    await page.locator('[data-testid=budgets-table] tbody tr').nth(1).focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('budget-1');
    await page.locator('[data-testid=cost-by-device] tbody tr').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (d) => location.hash.startsWith('#/devices') && location.hash.includes(encodeURIComponent(d)),
      doc.byDevice[0].device,
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it('prices the local runs as another catalogue device, or not at all, from the picker', async () => {
    const { page, errors } = await open(`costs?${rangeQs}`);
    const picker = page.locator('[data-testid=estimate-device]');
    await expect.poll(() => picker.inputValue()).toBe('braket.iqm/garnet');
    await picker.selectOption('braket.rigetti/ankaa-3');
    await page.waitForFunction(() => location.hash.includes('estimate=braket.rigetti'));
    await waitReady(page);
    await expect
      .poll(() => page.locator('[data-testid=cost-estimate] h3').textContent())
      .toContain('braket.rigetti/ankaa-3');
    await page.locator('[data-testid=estimate-device]').selectOption('none');
    await page.waitForFunction(() => location.hash.includes('estimate=none'));
    await waitReady(page);
    await expect
      .poll(() => page.locator('[data-testid=budgets-table] tbody tr').count())
      .toBe(BUDGETS.length);
    expect(await page.locator('[data-testid=cost-estimate]').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('tails logs live: a line sent over OTLP/HTTP appears without a reload', async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    // The line is sent once the page's event stream is open (its response headers arrived), not after a
    // fixed pause: the server takes its cursor before it answers, so a later line is tailed.
    const tailOpen = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/logs/tail', {
      timeout: 20_000,
    });
    await page.goto(`${tw.wb.url}/#/logs?refresh=off`);
    await waitReady(page);
    expect((await tailOpen).status()).toBe(200);
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
