// `npm start` end to end: the workbench with the demo workloads, checked through its API and in headless
// Chromium: within a minute every Overview panel has data, a training run's trace is whole, logs of all six
// event types are there, and an alert has fired and resolved.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchWorkbench } from '../src/cli/workbench.js';
import { patientPolls } from '../src/testing/poll.js';
import { describeWithPrograms } from '../src/testing/system.js';
import { launchHeadless, watchErrors } from '../src/ui/chromium.js';
import { OVERVIEW_PANELS } from '../src/dashboards/index.js';

const EVENT_TYPES = [
  'quantum_circuit_execution',
  'quantum_hardware_event',
  'quantum_algorithm_performance',
  'quantum_cost_event',
  'quantum_error',
  'quantum_security_event',
];

patientPolls();

describeWithPrograms('npm start (workbench + demo)', ['/usr/bin/chromium'], () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'qobs-demo-e2e-'));
  let launched: Awaited<ReturnType<typeof launchWorkbench>>;
  let url = '';
  const startedAt = Date.now();

  beforeAll(async () => {
    launched = await launchWorkbench({ demo: true, overrides: { dataDir, port: 0, otlpPort: 0 } });
    url = launched.wb.url;
  });

  afterAll(async () => {
    await launched?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const r = await fetch(url + path);
    expect(r.status, path).toBe(200);
    return (await r.json()) as Record<string, unknown>;
  };

  /** Polls `check` every second until it passes or `deadlineMs` after the demo started. */
  async function within(deadlineMs: number, check: () => Promise<void>): Promise<void> {
    let last: unknown;
    while (Date.now() - startedAt < deadlineMs) {
      try {
        await check();
        return;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw last;
  }

  it('fills every Overview panel, a training trace, logs of all six event types, and fires then resolves an alert', async () => {
    // 60 s is the budget a newcomer sees; CI machines under load get a margin.
    const deadline = 90_000;
    const expand = (expr: string) =>
      expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s').replaceAll('$__range', '5m');
    await within(deadline, async () => {
      for (const panel of OVERVIEW_PANELS) {
        for (const q of panel.queries) {
          const body = await get(`/api/v1/query?query=${encodeURIComponent(expand(q.expr))}`);
          const result = (body.data as { result: unknown[] }).result;
          expect(result.length, `${panel.title}: ${q.expr}`).toBeGreaterThan(0);
        }
      }
    });
    await within(deadline, async () => {
      const { traces } = (await get('/api/traces?service=qobs-demo&limit=200')) as {
        traces: Array<{ traceId: string; rootName: string }>;
      };
      const training = traces.find((t) => t.rootName === 'quantum_training vqc_iris');
      expect(training, 'a finished training trace').toBeDefined();
      const { spans } = (await get(`/api/traces/${training!.traceId}`)) as { spans: Array<{ name: string }> };
      expect(spans.filter((s) => s.name.startsWith('quantum_training_epoch')).length).toBe(8);
      expect(spans.some((s) => s.name.startsWith('quantum_circuit'))).toBe(true);
    });
    await within(deadline, async () => {
      for (const t of EVENT_TYPES) {
        const { logs } = (await get(`/api/logs?event_type=${t}&limit=5`)) as { logs: unknown[] };
        expect(logs.length, t).toBeGreaterThan(0);
      }
    });
    await within(deadline, async () => {
      const fired = await get(
        `/api/v1/query?query=${encodeURIComponent('max_over_time(ALERTS{alertname="QuantumDeviceOffline",alertstate="firing"}[5m])')}`,
      );
      expect(
        (fired.data as { result: unknown[] }).result.length,
        'QuantumDeviceOffline fired',
      ).toBeGreaterThan(0);
      const now = (await get('/api/v1/alerts')) as {
        data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
      };
      expect(
        now.data.alerts.filter((a) => a.labels.alertname === 'QuantumDeviceOffline').length,
        'and resolved',
      ).toBe(0);
    });
    await within(deadline, async () => {
      // The Devices page's data: toronto's calibration in force and its history, drift included.
      const { calibration } = (await get('/api/devices/local.fake_toronto')) as {
        calibration: { numQubits: number } | null;
      };
      expect(calibration?.numQubits).toBe(27);
      const { calibrations } = (await get('/api/devices/local.fake_toronto/calibrations')) as {
        calibrations: unknown[];
      };
      expect(calibrations.length).toBeGreaterThanOrEqual(2);
    });
    expect(Date.now() - startedAt).toBeLessThan(deadline);

    const browser = await launchHeadless({ width: 1280, height: 1650 });
    try {
      const page = await browser.context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${url}/`);
      await page.waitForLoadState('networkidle');
      for (const panel of OVERVIEW_PANELS)
        await expect.poll(() => page.getByText(panel.title).count()).toBeGreaterThan(0);
      await page.waitForTimeout(1500);
      const shot =
        process.env.QOBS_UPDATE_SCREENSHOTS === '1'
          ? join('docs', 'screenshots', 'demo-overview.png')
          : join(dataDir, 'overview.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 240_000);
});
