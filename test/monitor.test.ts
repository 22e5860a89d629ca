// `qobs up` with a `providers` section: the device monitor polls and the workbench shows what it found.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchWorkbench } from '../src/cli/workbench.js';
import { parseConfig } from '../src/config/index.js';

describe('qobs up with providers configured', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qobs-monitor-'));
  let stop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the providers section, naming a bad key', () => {
    const c = parseConfig({ providers: { local: { interval: '2s', devices: ['fake_lima'] }, ionq: {} } });
    expect(c.providers).toEqual([
      {
        name: 'local',
        intervalMs: 2000,
        devices: ['fake_lima'],
        baseUrl: undefined,
        region: undefined,
        endpoint: undefined,
        canaryIntervalMs: 3_600_000,
      },
      {
        name: 'ionq',
        intervalMs: 300_000,
        devices: undefined,
        baseUrl: undefined,
        region: undefined,
        endpoint: undefined,
      },
    ]);
    expect(() => parseConfig({ providers: { dwave: {} } })).toThrow(/providers/);
    expect(() => parseConfig({ providers: { local: { interval: 'soon' } } })).toThrow(
      /providers\.local\.interval/,
    );
  });

  it('polls the local provider: device status and calibration reach the store', async () => {
    const file = join(dir, 'qobs.yaml');
    writeFileSync(
      file,
      `providers:\n  local:\n    interval: 1s\n    canary_interval: 1h\n    devices: [fake_lima, statevector]\n`,
    );
    const launched = await launchWorkbench({
      configFile: file,
      overrides: { dataDir: join(dir, 'data'), port: 0, otlpPort: 0 },
      alerts: false,
    });
    stop = launched.stop;
    const url = launched.wb.url;
    const deadline = Date.now() + 60_000;
    let status: unknown[] = [];
    let calibration: unknown = null;
    while (Date.now() < deadline) {
      const q = await (
        await fetch(
          `${url}/api/v1/query?query=${encodeURIComponent('quantum_device_status{device="fake_lima"}')}`,
        )
      ).json();
      status = (q as { data: { result: unknown[] } }).data.result;
      calibration = (
        (await (await fetch(`${url}/api/devices/local.fake_lima`)).json()) as { calibration: unknown }
      ).calibration;
      if (status.length > 0 && calibration) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toHaveLength(1);
    expect((status[0] as { value: [number, string] }).value[1]).toBe('1');
    expect((calibration as { numQubits: number }).numQubits).toBe(5);
    // The first canary round runs at start: its fidelity on the noisy device is recorded with circuit_type="canary".
    let canary: unknown[] = [];
    while (Date.now() < deadline && canary.length === 0) {
      const q = await (
        await fetch(
          `${url}/api/v1/query?query=${encodeURIComponent('quantum_circuit_fidelity{device="fake_lima",circuit_type="canary"}')}`,
        )
      ).json();
      canary = (q as { data: { result: unknown[] } }).data.result;
      if (canary.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(canary.length).toBeGreaterThan(0);
    const f = Number((canary[0] as { value: [number, string] }).value[1]);
    expect(f).toBeGreaterThan(0);
    expect(f).toBeLessThanOrEqual(1);
  }, 90_000);
});
