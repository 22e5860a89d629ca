import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../program.js';
import { captureOutput } from '../testing/capture.js';

const FIXTURES = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'shared',
  'fixtures',
  'devices',
  'ibm',
);
const dir = mkdtempSync(path.join(tmpdir(), 'qobs-simulate-'));

function qasm(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `OPENQASM 2.0;\ninclude "qelib1.inc";\n${body}\n`);
  return file;
}

const GHZ3 = qasm(
  'ghz3.qasm',
  'qreg q[3];\ncreg c[3];\nh q[0];\ncx q[0],q[1];\ncx q[1],q[2];\nmeasure q -> c;',
);
// Qiskit's order: c[0] is the rightmost character.
const X0 = qasm('x0.qasm', 'qreg q[2];\ncreg c[2];\nx q[0];\nmeasure q -> c;');

const io = captureOutput();

async function qobs(...args: string[]): Promise<number> {
  return run(['node', 'qobs', 'simulate', ...args]);
}

describe('qobs simulate', () => {
  it('prints one JSON object for the ideal device, with counts in Qiskit bit order', async () => {
    expect(await qobs(X0, '--shots', '100', '--seed', '4', '--json')).toBe(0);
    const lines = io.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0]);
    expect(o).toMatchObject({ device: 'local.statevector', shots: 100, seed: 4, counts: { '01': 100 } });
    expect(o.duration_seconds).toBeGreaterThan(0);
    expect(o.hellinger_fidelity).toBeUndefined();
  });

  it('runs on a fake device with Hellinger fidelity against the ideal run and the ESP', async () => {
    expect(await qobs(GHZ3, '--device', 'local.fake_belem', '--shots', '2000', '--seed', '1', '--json')).toBe(
      0,
    );
    const o = JSON.parse(io.out);
    expect(o.device).toBe('local.fake_belem');
    expect(Object.values(o.counts as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(2000);
    expect(o.hellinger_fidelity).toBeGreaterThan(0.5);
    expect(o.hellinger_fidelity).toBeLessThan(1);
    expect(o.esp).toBeGreaterThan(0);
    expect(o.esp).toBeLessThan(1);
    // same seed, same counts
    io.out = '';
    await qobs(GHZ3, '--device', 'local.fake_belem', '--shots', '2000', '--seed', '1', '--json');
    expect(JSON.parse(io.out).counts).toEqual(o.counts);
  });

  it('builds a noisy device from a user snapshot with --calibration and --configuration', async () => {
    const props = path.join(FIXTURES, 'manila', 'props_manila.json');
    const conf = path.join(FIXTURES, 'manila', 'conf_manila.json');
    expect(
      await qobs(
        GHZ3,
        '--calibration',
        props,
        '--configuration',
        conf,
        '--shots',
        '500',
        '--seed',
        '2',
        '--json',
      ),
    ).toBe(0);
    const o = JSON.parse(io.out);
    expect(o.device).toBe('local.fake_ibmq_manila');
    expect(o.esp).toBeGreaterThan(0);
    expect(o.calibrated_at).toBe(new Date('2024-05-27T15:27:23-03:00').toISOString());
  });

  it('prints a readable summary without --json', async () => {
    expect(await qobs(GHZ3, '--device', 'local.fake_lima', '--shots', '300', '--seed', '3')).toBe(0);
    expect(io.out).toMatch(/device\s+local.fake_lima/);
    expect(io.out).toMatch(/hellinger fidelity/);
    expect(io.out).toMatch(/counts \(highest classical bit first\)/);
  });

  for (const [args, message] of [
    [['--shots', '0'], /shots: must be at least 1, got 0/],
    [['--shots', '-3'], /shots: must be at least 1, got -3/],
    [['--shots', '1.5'], /shots: must be an integer, got 1.5/],
    [['--shots', 'many'], /--shots: must be a number, got 'many'/],
    [['--shots', '8193', '--device', 'local.fake_toronto'], /8193 is above the maximum of 8192/],
    [
      ['--device', 'local.fake_atlantis'],
      /unknown device 'local.fake_atlantis'; known devices: local.statevector/,
    ],
    [['--seed', 'x'], /--seed: must be an integer/],
  ] as const) {
    it(`rejects ${args.join(' ')} before any work`, async () => {
      expect(await qobs(GHZ3, ...args)).toBe(2);
      expect(io.err).toMatch(message);
      expect(io.out).toBe('');
    });
  }

  it('rejects unknown gates and too many qubits with a clear message', async () => {
    const unknown = qasm('unknown.qasm', 'qreg q[1];\nfoo q[0];');
    expect(await qobs(unknown)).toBe(2);
    expect(io.err).toMatch(/foo/);
    io.err = '';
    const wide = qasm('wide.qasm', 'qreg q[6];\ncreg c[6];\nh q[0];\nmeasure q -> c;');
    expect(await qobs(wide, '--device', 'local.fake_belem')).toBe(2);
    expect(io.err).toMatch(/6 qubits; the device has 5/);
    expect(io.out).toBe('');
  });

  it('refuses --device together with --calibration', async () => {
    expect(await qobs(GHZ3, '--device', 'local.statevector', '--calibration', 'x.json')).toBe(64);
    expect(io.err).toMatch(/either --device or --calibration/);
  });

  it('names the file of an unreadable calibration', async () => {
    expect(await qobs(GHZ3, '--calibration', path.join(dir, 'missing.json'))).toBe(2);
    expect(io.err).toMatch(/--calibration: cannot read/);
  });
});
