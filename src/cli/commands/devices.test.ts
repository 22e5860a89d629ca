// `qobs devices`: the --json contract, provider selection, credentials from the environment, provider failures.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeApi } from '../../devices/provider-conformance.case.js';
import { run } from '../program.js';

const VARS = [
  'QISKIT_IBM_TOKEN',
  'IBM_QUANTUM_TOKEN',
  'IONQ_API_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_PROFILE',
  'QOBS_IONQ_URL',
];
let saved: Record<string, string | undefined> = {};
let out = '';
let err = '';
beforeEach(() => {
  saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  for (const v of VARS) delete process.env[v];
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
});

const KEY = 'ionq-cli-key-31415926';
async function ionqFake(fail401 = false) {
  return startFakeApi((req, url) => {
    if (fail401 || req.headers.authorization !== `apiKey ${KEY}`)
      return { status: 401, json: { error: 'Unauthorized' } };
    if (url.pathname === '/backends')
      return {
        json: [
          { backend: 'qpu.forte-1', status: 'offline', qubits: 36, average_queue_time: 0, last_updated: 1 },
        ],
      };
    if (url.pathname === '/characterizations/backends/qpu.forte-1/current')
      return {
        json: {
          id: 'x',
          date: Math.floor(Date.now() / 1000) - 7200,
          backend: 'qpu.forte-1',
          qubits: 36,
          connectivity: [],
          fidelity: { spam: { median: 0.995 }, '1q': { mean: 0.9998 }, '2q': { mean: 0.99 } },
          timing: { t1: 100, t2: 1, '1q': 1e-4, '2q': 6e-4, readout: 3e-4, reset: 2e-5 },
        },
      };
    return undefined;
  });
}

describe('qobs devices', () => {
  it('--json prints one object with a devices array holding the contract keys (local only without credentials)', async () => {
    expect(await run(['node', 'qobs', 'devices', '--json'])).toBe(0);
    const body = JSON.parse(out);
    expect(Object.keys(body).sort()).toEqual(['devices', 'errors']);
    const ids = body.devices.map((d: { id: string }) => d.id);
    expect(ids).toContain('local.statevector');
    expect(ids).toContain('local.fake_lima');
    for (const d of body.devices) {
      for (const k of [
        'id',
        'provider',
        'name',
        'status',
        'num_qubits',
        'queue_length',
        'calibration_age_hours',
      ])
        expect(d).toHaveProperty(k);
      expect(d.provider).toBe('local');
    }
    const lima = body.devices.find((d: { id: string }) => d.id === 'local.fake_lima');
    expect(lima).toMatchObject({ status: 'online', num_qubits: 5, queue_length: 0 });
    expect(lima.calibration_age_hours).toBeGreaterThan(24 * 365);
    expect(lima.best_qubits).toHaveLength(5);
  });

  it('--provider names the missing credential variable', async () => {
    expect(await run(['node', 'qobs', 'devices', '--provider', 'ionq'])).toBe(2);
    expect(err).toContain('IONQ_API_KEY');
    expect(await run(['node', 'qobs', 'devices', '--provider', 'nope'])).toBe(2);
  });

  it('reads a remote provider configured by its environment variable', async () => {
    const api = await ionqFake();
    try {
      process.env.IONQ_API_KEY = KEY;
      process.env.QOBS_IONQ_URL = api.url;
      expect(await run(['node', 'qobs', 'devices', '--provider', 'ionq', '--json'])).toBe(0);
      const body = JSON.parse(out);
      expect(body.devices).toEqual([
        expect.objectContaining({
          id: 'ionq.qpu.forte-1',
          provider: 'ionq',
          status: 'offline',
          num_qubits: 36,
          queue_length: null,
        }),
      ]);
      expect(body.devices[0].calibration_age_hours).toBeCloseTo(2, 1);
    } finally {
      await api.close();
    }
  });

  it('a provider that refuses the key is reported (exit 1) without the key in any output', async () => {
    const api = await ionqFake(true);
    try {
      process.env.IONQ_API_KEY = KEY;
      process.env.QOBS_IONQ_URL = api.url;
      expect(await run(['node', 'qobs', 'devices', '--json'])).toBe(1);
      const body = JSON.parse(out);
      expect(body.errors).toEqual([
        expect.objectContaining({ provider: 'ionq', code: 'provider_unauthorized' }),
      ]);
      expect(body.devices.some((d: { provider: string }) => d.provider === 'local')).toBe(true);
      expect(out + err).not.toContain(KEY);
    } finally {
      await api.close();
    }
  });
});
