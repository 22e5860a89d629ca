import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { patientPolls } from '../testing/poll.js';
import { describeWithPrograms } from '../testing/system.js';
import { buildUiIntoTemp } from './testing/build.js';
import { CHROMIUM_PATH, type Headless, launchHeadless, waitReady, watchErrors } from './chromium.js';
import { fakeCalibration } from '../devices/index.js';
import { formatValue } from './app/format.js';
import { OVERVIEW_PANELS } from '../dashboards/index.js';
import { checkOverviewAgainstApi } from './testing/checks.js';
import { type Fixture, startFixture, XSS_IMG, XSS_SCRIPT } from './testing/fixture.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

patientPolls();

describeWithPrograms('dashboard in Chromium (fixture API)', [CHROMIUM_PATH], () => {
  let uiDir: string;
  let fx: Fixture;
  let browser: Headless;
  // An absolute range, so the test can repeat every query the page makes.
  const endMs = Math.floor(Date.now() / 60_000) * 60_000;
  const startMs = endMs - 3_600_000;
  const rangeQs = `from=${startMs}&to=${endMs}&refresh=off`;

  beforeAll(async () => {
    uiDir = buildUiIntoTemp();
    fx = await startFixture(uiDir, endMs);
    browser = await launchHeadless();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fx.url });
  });
  afterAll(async () => {
    await browser?.close();
    await fx?.close();
    if (uiDir) rmSync(uiDir, { recursive: true, force: true });
  });

  async function open(hash: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${fx.url}/#/${hash}`);
    await waitReady(page);
    return { page, errors };
  }

  it('serves the bundle with a strict Content-Security-Policy and no inline script', async () => {
    const res = await fetch(`${fx.url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/https?:\/\//);
    // An unknown API path stays a 404 (so pages can say "not available"), not the dashboard's HTML.
    expect((await fetch(`${fx.url}/api/devices`)).status).toBe(404);
  });

  it('shows in every Overview panel the values the API returns for the same range', async () => {
    const { page, errors } = await open(`overview?${rangeQs}`);
    await checkOverviewAgainstApi(page, fx.url, startMs, endMs);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens an execution’s trace with the keyboard, and from there its logs', async () => {
    const { page, errors } = await open(`executions?${rangeQs}`);
    const rows = page.locator('[data-testid=executions-table] tbody tr');
    expect(await rows.count()).toBe(6);
    // Row text comes from the execution's record: qubits, depth, gates, shots, fidelity with its method, status.
    const first = rows.first();
    expect(await first.textContent()).toContain('0.9000 (hellinger)');
    expect(await first.textContent()).toContain('0.3000 USD');
    await first.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const traceId = fx.traceIds[1];
    await page.waitForFunction((id) => location.hash.includes(`trace=${id}`), traceId);
    await waitReady(page);
    const detail = page.locator('[data-testid=trace-detail]');
    await expect.poll(() => detail.textContent()).toContain(traceId);
    expect(await page.locator('.span-row').count()).toBe(2);
    // The circuit span's attributes and events show when it is chosen.
    await page.locator('.span-row').nth(1).click();
    expect(await page.locator('[data-testid=span-info]').textContent()).toContain('job.completed');
    await page.locator('[data-testid=trace-logs]').click();
    await page.waitForFunction((id) => location.hash.includes(`trace_id=${id}`), traceId);
    await waitReady(page);
    const logRows = page.locator('[data-testid=logs-table] tbody tr');
    const expected = fx.logs.filter((l) => l.traceId === traceId).length;
    await expect.poll(() => logRows.count()).toBe(expected);
    for (const text of await logRows.allTextContents()) expect(text).toContain(traceId.slice(0, 16));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('renders label values, attributes and log messages holding markup as text', async () => {
    for (const hash of [
      `overview?${rangeQs}`,
      `logs?${rangeQs}&live=0`,
      `traces?${rangeQs}&trace=${fx.traceIds[0]}`,
      `costs?${rangeQs}`,
    ]) {
      const { page, errors } = await open(hash);
      await page.waitForTimeout(200);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('main script').count()).toBe(0);
      const text = (await page.locator('main').textContent()) ?? '';
      if (hash.startsWith('overview')) expect(text).toContain(XSS_IMG);
      if (hash.startsWith('logs')) expect(text).toContain(XSS_SCRIPT);
      if (hash.startsWith('traces')) expect(text).toContain(XSS_IMG);
      if (hash.startsWith('costs')) expect(text).toContain(XSS_SCRIPT);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('changes the time range from the keyboard and queries the new range', async () => {
    const { page, errors } = await open('overview?refresh=off');
    expect(await page.locator('#range').inputValue()).toBe('now-1h');
    await page.locator('#range').focus();
    const before = fx.promRequests.length;
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => location.hash.includes('from=now-6h'));
    await waitReady(page, 2);
    const after = fx.promRequests.slice(before).filter((r) => r.path === '/api/v1/query_range');
    expect(after.length).toBeGreaterThan(0);
    for (const r of after) expect(Number(r.query.end) - Number(r.query.start)).toBeCloseTo(6 * 3600, -1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('takes a custom absolute range from the keyboard', async () => {
    const { page, errors } = await open('overview?refresh=off');
    await page.locator('#range').focus();
    await page.keyboard.press('End'); // the last option: "Custom range…"
    await expect.poll(() => page.locator('input[aria-label=From]').isVisible()).toBe(true);
    // Type a range into the two fields and apply it with Enter.
    const local = (ms: number) =>
      new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    await page.locator('input[aria-label=From]').fill(local(startMs));
    await page.locator('input[aria-label=To]').fill(local(endMs));
    await page.locator('input[aria-label=To]').press('Enter');
    await page.waitForFunction((from) => location.hash.includes(`from=${from}`), String(startMs));
    expect(await page.evaluate(() => location.hash)).toContain(`to=${endMs}`);
    await waitReady(page, 2);
    const panel = page.locator('[data-panel="execution-rate"]');
    await expect.poll(() => panel.getAttribute('data-start')).toBe(String(startMs));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('auto-refreshes on its interval', async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    // The page's clock is Playwright's, so the 30 s default interval passes without waiting for it.
    await page.clock.install();
    await page.goto(`${fx.url}/#/explore?from=${startMs}&to=${endMs}&q=quantum_device_status`);
    await waitReady(page);
    const before = fx.promRequests.length;
    await page.clock.runFor(29_000);
    expect(await page.evaluate(() => document.body.dataset.refreshCount)).toBe('1');
    await page.clock.runFor(1_500);
    await waitReady(page, 2);
    expect(fx.promRequests.length).toBeGreaterThan(before);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('puts each panel’s PromQL one click away and copies it', async () => {
    const { page, errors } = await open(`overview?${rangeQs}`);
    const panel = page.locator('[data-panel="success-rate"]');
    await panel.locator('[data-testid=promql-toggle]').click();
    expect(await panel.locator('[data-testid=promql]').isVisible()).toBe(true);
    await panel.locator('[data-testid=copy]').first().click();
    await expect
      .poll(() => page.evaluate(() => navigator.clipboard.readText()))
      .toBe(OVERVIEW_PANELS[1].queries[0].expr);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('completes metric names in Explore and shows the result as graph and table', async () => {
    const { page, errors } = await open(`explore?${rangeQs}`);
    await page.locator('#promql').focus();
    await page.keyboard.type('device_st');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await page.locator('#promql').inputValue()).toBe('quantum_device_status');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash.includes('q=quantum_device_status'));
    await waitReady(page, 2);
    await expect.poll(() => page.locator('[data-testid=explore-table] tbody tr').count()).toBe(4);
    expect(await page.locator('[data-testid=explore-graph] canvas').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws a device’s qubits on its coupling map, with every value in a table, and its drift', async () => {
    const { page, errors } = await open(
      `devices?${rangeQs.replace(`from=${startMs}`, `from=${endMs - 3 * 86_400_000}`)}&device=local.fake_toronto`,
    );
    const cal = fakeCalibration('toronto');
    await expect.poll(() => page.locator('svg.coupling circle').count()).toBe(cal.numQubits);
    const rows = page.locator('[data-testid=qubits-table] tbody tr');
    expect(await rows.count()).toBe(cal.qubits.length);
    const q0 = cal.qubits[0];
    const cells = await rows.first().locator('td').allTextContents();
    expect(cells[1]).toBe(formatValue(q0.t1Seconds!, 's'));
    expect(cells[2]).toBe(formatValue(q0.t2Seconds!, 's'));
    expect(cells[3]).toBe(formatValue(q0.readoutError!, 'percentunit'));
    // The coupling map's edges are the device's (each undirected pair once).
    const pairs = new Set(cal.couplingMap!.map(([a, b]) => (a < b ? `${a}-${b}` : `${b}-${a}`)));
    expect(await page.locator('svg.coupling line').count()).toBe(pairs.size);
    expect(await page.locator('svg.coupling title').first().textContent()).toContain('Qubit 0: T1');
    // Switching the property recolours the map; the tooltip says which property and value.
    await page.locator('select[aria-label="Qubit property"]').selectOption('readout');
    expect(await page.locator('svg.coupling title').first().textContent()).toContain('Readout error');
    // Four drift charts (T1, T2, readout error per qubit, gate error per gate).
    expect(await page.locator('.device-detail .chart canvas').count()).toBeGreaterThanOrEqual(5);
    await page.locator('select[aria-label="Qubit property"]').selectOption('t1');
    // The calibration is IBM's real toronto snapshot; its history is the fixture's (see testing/fixture.ts).
    const file =
      process.env.QOBS_UPDATE_SCREENSHOTS === '1'
        ? join(repoRoot, 'docs', 'screenshots', 'device-calibration.png')
        : join(tmpdir(), `qobs-device-calibration-${process.pid}.png`);
    await page.locator('.device-detail').screenshot({ path: file });
    expect(statSync(file).size).toBeLessThan(300 * 1024);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('asks for the token when the API answers 401, then uses it', async () => {
    const guarded = await startFixture(uiDir, endMs, 's3cret');
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${guarded.url}/#/executions?${rangeQs}`);
      const form = page.locator('form.token-form');
      await expect.poll(() => form.isVisible()).toBe(true);
      await form.locator('input[name=token]').fill('s3cret');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.locator('[data-testid=executions-table] tbody tr').count()).toBe(6);
      expect(await form.isVisible()).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await guarded.close();
    }
  });

  it('says an API is not available in this workbench yet when it answers 404, with no made-up data', async () => {
    for (const [hash, n] of [
      ['alerts', 2],
      ['costs', 1],
      ['devices?device=ibm.ibm_torino', 1],
    ] as const) {
      const { page, errors } = await open(`${hash}${hash.includes('?') ? '&' : '?'}${rangeQs}`);
      await expect.poll(() => page.locator('[data-testid=not-available]').count()).toBe(n);
      expect(errors).toEqual([]);
      await page.close();
    }
  });
});
