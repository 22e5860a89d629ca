// Checks shared by the dashboard's browser suites: the Overview shows what the PromQL API answers.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { binSeries } from '../app/bins.js';
import { expandExpr, resolveRange } from '../app/time.js';
import { legendFor, OVERVIEW_PANELS } from '../../dashboards/index.js';

interface PromDoc {
  status: string;
  data: {
    resultType: string;
    result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }>;
  };
}

async function api(base: string, path: string, params: Record<string, string | number>): Promise<PromDoc> {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  const res = await fetch(`${base}${path}?${q}`);
  expect(res.status, `${path} ${q}`).toBe(200);
  return (await res.json()) as PromDoc;
}

function cssString(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}

/**
 * For every Overview panel, asks the API the panel's own query for the range [startMs, endMs] and checks
 * that the page shows exactly the returned values (last value per series, stat, table, donut, heatmap counts).
 * Returns how many values were compared.
 */
export async function checkOverviewAgainstApi(
  page: Page,
  base: string,
  startMs: number,
  endMs: number,
): Promise<number> {
  const range = resolveRange({ from: String(startMs), to: String(endMs) }, Date.now());
  expect(range.startMs).toBe(startMs);
  expect(range.endMs).toBe(endMs);
  const step = range.stepSeconds;
  let compared = 0;
  for (const spec of OVERVIEW_PANELS) {
    const panel = page.locator(`[data-panel="${spec.id}"]`);
    // 15 s, not vitest's 1 s default: a panel drawing under load on a 2-core machine can take longer.
    await expect
      .poll(() => panel.getAttribute('data-loaded'), { timeout: 15_000, interval: 100 })
      .toBe('true');
    expect(Number(await panel.getAttribute('data-start'))).toBe(startMs);
    expect(Number(await panel.getAttribute('data-end'))).toBe(endMs);
    const q = spec.queries[0];
    const expr = expandExpr(q.expr, range);
    const rangeParams = { start: startMs / 1000, end: endMs / 1000, step };
    if (spec.kind === 'timeseries') {
      for (const qq of spec.queries) {
        const doc = await api(base, '/api/v1/query_range', {
          query: expandExpr(qq.expr, range),
          ...rangeParams,
        });
        expect(doc.data.result.length, `${spec.id} ${qq.refId} has data`).toBeGreaterThan(0);
        for (const s of doc.data.result) {
          const name = legendFor(qq.legend, s.metric);
          const cell = panel.locator(`tr[data-series="${cssString(name)}"] td[data-value]`);
          expect(await cell.getAttribute('data-value'), `${spec.id} ${name}`).toBe(s.values!.at(-1)![1]);
          compared++;
        }
      }
    } else if (spec.kind === 'stat') {
      const doc = await api(base, '/api/v1/query', { query: expr, time: endMs / 1000 });
      const raw = doc.data.result[0].value![1];
      expect(await panel.locator('.stat-value').getAttribute('data-value')).toBe(raw);
      const v = Number(raw);
      expect(await panel.locator('[data-testid=threshold]').textContent()).toBe(
        v >= 95 ? 'Healthy' : v >= 90 ? 'Warning' : 'Critical',
      );
      compared++;
    } else if (spec.kind === 'table') {
      const doc = await api(base, '/api/v1/query', { query: expr, time: endMs / 1000 });
      const rows = panel.locator('tbody tr');
      expect(await rows.count()).toBe(doc.data.result.length);
      for (const s of doc.data.result) {
        const row = rows.filter({
          has: page.locator('td', {
            hasText: new RegExp(`^${s.metric.device.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
          }),
        });
        const badge = row.locator('.badge');
        expect(await badge.getAttribute('data-value')).toBe(s.value![1]);
        // Colour is not the only carrier: the word is there too.
        expect(await badge.textContent()).toBe(s.value![1] === '1' ? 'Online' : 'Offline');
        compared++;
      }
    } else if (spec.kind === 'donut') {
      const doc = await api(base, '/api/v1/query', { query: expr, time: endMs / 1000 });
      for (const s of doc.data.result) {
        const name = legendFor(q.legend, s.metric);
        expect(
          await panel
            .locator(`tr[data-series="${cssString(name)}"] td[data-value]`)
            .getAttribute('data-value'),
        ).toBe(s.value![1]);
        compared++;
      }
    } else if (spec.kind === 'heatmap') {
      const doc = await api(base, '/api/v1/query_range', { query: expr, ...rangeParams });
      const bins = binSeries(doc.data.result as never, spec.bins!);
      const cells = await panel
        .locator('td[data-value]')
        .evaluateAll((tds) => tds.map((td) => td.getAttribute('data-value')));
      expect(cells).toEqual(bins.counts.map((row) => String(row.reduce((a, b) => a + b, 0))));
      expect(cells.some((c) => c !== '0')).toBe(true);
      compared += cells.length;
    }
  }
  return compared;
}
