import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeCalibration } from '../devices/index.js';
import { devicesApiPlugin } from './devices-api.js';
import { startWorkbench, type Workbench } from './workbench.js';

describe('devices API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qobs-devices-api-'));
  let wb: Workbench;
  beforeAll(async () => {
    wb = await startWorkbench({ dataDir: dir, port: 0, otlpPort: 0 }, { plugins: [devicesApiPlugin()] });
    const cal = fakeCalibration('lima');
    wb.store.putCalibration('local', 'fake_lima', Date.parse('2026-01-01T00:00:00Z'), {
      ...cal,
      calibratedAt: '2026-01-01T00:00:00Z',
    });
    wb.store.putCalibration('local', 'fake_lima', Date.parse('2026-01-02T00:00:00Z'), {
      ...cal,
      calibratedAt: '2026-01-02T00:00:00Z',
    });
  });
  afterAll(async () => {
    await wb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the latest calibration, the history in a range, and null for a device with none', async () => {
    const latest = (await (await fetch(`${wb.url}/api/devices/local.fake_lima`)).json()) as {
      calibration: { calibratedAt: string; numQubits: number };
    };
    expect(latest.calibration.calibratedAt).toBe('2026-01-02T00:00:00Z');
    expect(latest.calibration.numQubits).toBe(5);
    const all = (await (await fetch(`${wb.url}/api/devices/local.fake_lima/calibrations`)).json()) as {
      calibrations: Array<{ calibratedAt: string }>;
    };
    expect(all.calibrations.map((c) => c.calibratedAt)).toEqual([
      '2026-01-01T00:00:00Z',
      '2026-01-02T00:00:00Z',
    ]);
    const one = (await (
      await fetch(
        `${wb.url}/api/devices/local.fake_lima/calibrations?start=${Date.parse('2026-01-01T12:00:00Z')}&end=${Date.now()}`,
      )
    ).json()) as { calibrations: unknown[] };
    expect(one.calibrations).toHaveLength(1);
    const none = (await (await fetch(`${wb.url}/api/devices/local.statevector`)).json()) as {
      calibration: unknown;
    };
    expect(none.calibration).toBeNull();
    expect((await fetch(`${wb.url}/api/devices/nodot`)).status).toBe(400);
    expect((await fetch(`${wb.url}/api/devices/local.fake_lima/calibrations?start=abc`)).status).toBe(400);
  });
});
