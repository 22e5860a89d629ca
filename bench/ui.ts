// Benchmark `ui`: first render of the dashboard's Overview in headless Chromium with about one million
// samples stored in a real workbench (SQLite store, PromQL engine, JSON API). Target: under 1 s.
// `npm run bench -- ui [--quick]`; the last line is one JSON object.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchHeadless, watchErrors } from '../src/ui/chromium.js';
import { seedStore } from '../src/ui/testing/seed.js';
import { startTestWorkbench } from '../src/ui/testing/workbench.js';

const quick = process.argv.includes('--quick');
// --quick seeds 300,000 samples to stay well under 45 s on a loaded machine; the full run seeds 1,000,000.
const TARGET_SAMPLES = quick ? 300_000 : 1_000_000;
const SERIES_PER_SCRAPE = 113; // five devices × 22 series + three cost series (see seed.ts)
const INTERVAL_MS = 15_000;
const RUNS = quick ? 3 : 8;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const uiDir = mkdtempSync(join(tmpdir(), 'qobs-ui-bench-'));
const build = spawnSync(process.execPath, ['scripts/build-ui.mjs', '--out', uiDir], { encoding: 'utf8' });
if (build.status !== 0) throw new Error(`ui build failed: ${build.stderr}`);
const tw = await startTestWorkbench(uiDir);
const browser = await launchHeadless({ width: 1280, height: 900 });
try {
  const endMs = Math.floor(Date.now() / 1000) * 1000;
  const steps = Math.ceil(TARGET_SAMPLES / SERIES_PER_SCRAPE);
  const t0 = performance.now();
  const seeded = seedStore(tw.wb.store, {
    endMs,
    durationMs: steps * INTERVAL_MS,
    intervalMs: INTERVAL_MS,
    executions: 50,
  });
  const seedMs = performance.now() - t0;
  tw.wb.store.checkpoint();
  console.error(
    `seeded ${seeded.samples} samples in ${seeded.series} series over ${((steps * INTERVAL_MS) / 3_600_000).toFixed(1)} h in ${seedMs.toFixed(0)} ms`,
  );

  /** Loads the Overview in a fresh page; returns the page's own timings. */
  async function render(hash: string) {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${tw.wb.url}/#/${hash}`);
    await page.waitForFunction(() => performance.getEntriesByName('qobs:first-render').length > 0, null, {
      timeout: 60_000,
    });
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const api = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter((r) =>
        r.name.includes('/api/v1/'),
      );
      return {
        firstRenderMs: performance.getEntriesByName('qobs:first-render')[0].startTime,
        domContentLoadedMs: nav.domContentLoadedEventEnd,
        apiRequests: api.length,
        apiSpanMs: api.length
          ? Math.max(...api.map((r) => r.responseEnd)) - Math.min(...api.map((r) => r.startTime))
          : 0,
        slowestApiMs: api.length ? Math.max(...api.map((r) => r.duration)) : 0,
      };
    });
    await page.close();
    if (errors.length) throw new Error(`console errors: ${errors.join('; ')}`);
    return t;
  }

  const results: Record<string, ReturnType<typeof render> extends Promise<infer R> ? R[] : never> = {
    '1h': [],
    '24h': [],
  };
  for (const [label, hash] of [
    ['1h', 'overview?refresh=off'],
    ['24h', 'overview?from=now-24h&to=now&refresh=off'],
  ] as const) {
    for (let i = 0; i < RUNS; i++) results[label].push(await render(hash));
  }
  const fig = (label: '1h' | '24h') => {
    const all = results[label];
    // The first load is reported as `cold`; the median is over the warm loads after it.
    const r = all.length > 1 ? all.slice(1) : all;
    return {
      cold_ms: Math.round(all[0].firstRenderMs),
      median_ms: Math.round(median(r.map((x) => x.firstRenderMs))),
      max_warm_ms: Math.round(Math.max(...r.map((x) => x.firstRenderMs))),
      api_span_median_ms: Math.round(median(r.map((x) => x.apiSpanMs))),
      slowest_query_median_ms: Math.round(median(r.map((x) => x.slowestApiMs))),
      dom_content_loaded_median_ms: Math.round(median(r.map((x) => x.domContentLoadedMs))),
      api_requests: r[0].apiRequests,
    };
  };
  const h1 = fig('1h');
  const h24 = fig('24h');
  console.error(
    `Overview, last 1 h:  first render median ${h1.median_ms} ms (cold ${h1.cold_ms} ms), queries ${h1.api_span_median_ms} ms, page shell ${h1.dom_content_loaded_median_ms} ms`,
  );
  console.error(
    `Overview, last 24 h: first render median ${h24.median_ms} ms (cold ${h24.cold_ms} ms), queries ${h24.api_span_median_ms} ms`,
  );
  console.error(
    `target 1000 ms: ${h1.median_ms < 1000 ? 'met' : 'NOT met'} (1 h), ${h24.median_ms < 1000 ? 'met' : 'NOT met'} (24 h); ratio to the page shell alone ${(h1.median_ms / Math.max(1, h1.dom_content_loaded_median_ms)).toFixed(1)}×`,
  );
  console.log(
    JSON.stringify({
      bench: 'ui',
      quick,
      stored_samples: seeded.samples,
      series: seeded.series,
      runs: RUNS,
      first_render_1h_median_ms: h1.median_ms,
      first_render_1h_cold_ms: h1.cold_ms,
      first_render_1h_max_warm_ms: h1.max_warm_ms,
      queries_1h_median_ms: h1.api_span_median_ms,
      slowest_query_1h_median_ms: h1.slowest_query_median_ms,
      first_render_24h_median_ms: h24.median_ms,
      first_render_24h_cold_ms: h24.cold_ms,
      queries_24h_median_ms: h24.api_span_median_ms,
      page_shell_median_ms: h1.dom_content_loaded_median_ms,
      api_requests: h1.api_requests,
      target_ms: 1000,
      target_met: h1.median_ms < 1000 && h24.median_ms < 1000,
    }),
  );
} finally {
  await browser.close();
  await tw.close();
  rmSync(uiDir, { recursive: true, force: true });
}
