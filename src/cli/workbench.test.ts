import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CostsDoc } from '../server/costs-api.js';
import { DEMO_BUDGET, DEMO_ESTIMATE_DEVICE, launchWorkbench } from './workbench.js';

describe('launchWorkbench --demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qobs-launch-'));
  let stop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /api/costs: the demo’s free runs, a what-if estimate apart from them, and the demo budget', async () => {
    const out = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    let launched: Awaited<ReturnType<typeof launchWorkbench>>;
    try {
      launched = await launchWorkbench({
        demo: true,
        alerts: false,
        json: true,
        overrides: { dataDir: dir, port: 0, otlpPort: 0 },
      });
    } finally {
      process.stdout.write = out;
    }
    stop = launched.stop;
    const url = `${launched.wb.url}/api/costs?start=${Date.now() - 60_000}&end=${Date.now() + 120_000}`;
    let doc: CostsDoc | undefined;
    await expect
      .poll(
        async () => {
          doc = (await (await fetch(url)).json()) as CostsDoc;
          return (doc.estimate?.executions ?? 0) > 0 && (doc.budgets[0]?.whatIf?.spent ?? 0) > 0;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    // Nothing was billed: the real total is zero and every device the demo ran on is local.
    expect(doc!.total).toBe(0);
    expect(doc!.events.total).toBe(0);
    expect(doc!.byDevice.length).toBeGreaterThan(0);
    expect(doc!.byDevice.every((d) => d.device.startsWith('local.') && d.amount === 0)).toBe(true);
    expect(doc!.estimate!.device).toBe(DEMO_ESTIMATE_DEVICE);
    expect(doc!.estimate!.total).toBeGreaterThan(0);
    expect(doc!.budgets.map((b) => b.name)).toEqual([DEMO_BUDGET.name]);
    expect(doc!.budgets[0].spent).toBe(0);
    const catalogue = (await (await fetch(`${launched.wb.url}/api/costs/catalogue`)).json()) as {
      version: string;
      file: string;
    };
    expect(catalogue.version).toBe(doc!.catalogueVersion);
    expect(catalogue.file).toMatch(/catalogue\.yaml$/);
  }, 60_000);
});
