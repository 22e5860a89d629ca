// A fresh workbench (nothing reported yet): the Overview tells where to send telemetry, with the OTLP endpoints
// the workbench really listens on, and steps aside once a quantum workload has reported.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { emptyMetric, encodeMetricsProto } from '../ingest/index.js';
import { patientPolls } from '../testing/poll.js';
import { describeWithPrograms } from '../testing/system.js';
import { CHROMIUM_PATH, type Headless, launchHeadless, waitReady, watchErrors } from './chromium.js';
import { buildUiIntoTemp } from './testing/build.js';
import { startTestWorkbench, type TestWorkbench } from './testing/workbench.js';

patientPolls();

describeWithPrograms('first run of the dashboard (real workbench, Chromium)', [CHROMIUM_PATH], () => {
  let uiDir: string;
  let tw: TestWorkbench;
  let browser: Headless;

  beforeAll(async () => {
    uiDir = buildUiIntoTemp();
    tw = await startTestWorkbench(uiDir);
    browser = await launchHeadless();
  });
  afterAll(async () => {
    await browser?.close();
    await tw?.close();
    if (uiDir) rmSync(uiDir, { recursive: true, force: true });
  });

  it('reports the OTLP endpoints as bound', async () => {
    const status = (await (await fetch(`${tw.wb.url}/api/status`)).json()) as {
      otlp: { http: string; grpc: string | null };
    };
    expect(status.otlp).toEqual({ http: tw.wb.otlpUrl, grpc: tw.wb.otlpGrpcUrl });
  });

  it('guides the first workload on the Overview, then steps aside once one has reported', async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${tw.wb.url}/#/overview?refresh=off`);
    await waitReady(page);
    const guide = page.locator('[data-testid=first-run]');
    await expect.poll(() => guide.count()).toBe(1);
    const text = (await guide.textContent()) ?? '';
    expect(text).toContain(`OTEL_EXPORTER_OTLP_ENDPOINT=${tw.wb.otlpUrl} `);
    expect(text).toContain(
      `OTEL_EXPORTER_OTLP_ENDPOINT=${tw.wb.otlpGrpcUrl} OTEL_EXPORTER_OTLP_INSECURE=true`,
    );
    // The eight panels are there all the same.
    expect(await page.locator('.grid > *').count()).toBe(8);

    // A workload reports one quantum metric over OTLP.
    const m = { ...emptyMetric(), name: 'quantum.circuit.executions', kind: 'sum' as const, temporality: 2 };
    m.monotonic = true;
    m.numberPoints = [
      {
        attributes: { provider: 'local', device: 'statevector', status: 'success' },
        timeMs: Date.now(),
        value: 1,
        flags: 0,
      },
    ];
    const res = await fetch(`${tw.wb.otlpUrl}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(
        encodeMetricsProto([
          {
            resource: { 'service.name': 'first' },
            scopeMetrics: [{ scope: { name: '', version: '' }, metrics: [m] }],
          },
        ]),
      ),
    });
    expect(res.status).toBe(200);
    await page.reload();
    await waitReady(page);
    await expect.poll(() => page.locator('[data-testid=first-run]').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
