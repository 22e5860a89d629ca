// `qobs run` on a paid device: priced against the catalogue before anything is submitted, refused above
// --max-usd, and run through the provider's API (a local server answering as Amazon Braket and S3 do).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY_ID, BUCKET, jobs, SECRET, startBraket } from '../../devices/braket/fake.case.js';
import type { FakeApi } from '../../devices/provider-conformance.case.js';
import { run as runCli } from '../program.js';
import { captureOutput } from '../testing/capture.js';

const dir = mkdtempSync(path.join(tmpdir(), 'qobs-run-remote-'));
const file = path.join(dir, 'bell.qasm');
writeFileSync(
  file,
  'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n',
);
const ENV = {
  AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: SECRET,
  AWS_REGION: 'eu-north-1',
  QOBS_BRAKET_S3_BUCKET: BUCKET,
  OTEL_EXPORTER_OTLP_ENDPOINT: '',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
};
const saved: Record<string, string | undefined> = {};
let api: FakeApi;
beforeAll(async () => {
  api = await startBraket();
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('qobs run on a paid device', () => {
  const io = captureOutput();
  const qobs = (...args: string[]) =>
    runCli(['node', 'qobs', 'run', file, '--endpoint', api.url, '--poll-ms', '1', ...args]);

  it('submits through the provider when the catalogue estimate is within --max-usd, and reports the cost', async () => {
    const created = jobs.created;
    expect(
      await qobs(
        '--device',
        'braket.iqm/garnet',
        '--shots',
        '100',
        '--repeat',
        '2',
        '--max-usd',
        '5',
        '--json',
      ),
    ).toBe(0);
    const out = JSON.parse(io.out) as {
      device: string;
      succeeded: number;
      estimated_usd: number;
      catalogue_version: string;
      runs: Array<{ status: string; cost_usd: number; fidelity: { value: number; method: string } | null }>;
    };
    expect(out.device).toBe('braket.iqm/garnet');
    expect(out.succeeded).toBe(2);
    // IQM Garnet on Braket: 0.30 USD a task and 0.00145 USD a shot in the bundled catalogue.
    expect(out.estimated_usd).toBeCloseTo(2 * (0.3 + 100 * 0.00145), 9);
    expect(out.catalogue_version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    for (const r of out.runs) {
      expect(r.status).toBe('success');
      expect(r.cost_usd).toBeCloseTo(0.3 + 100 * 0.00145, 9);
      expect(r.fidelity?.method).toBe('hellinger');
    }
    expect(jobs.created).toBe(created + 2);
  });

  it('refuses, submitting nothing, when the estimate is above --max-usd or --max-usd is missing', async () => {
    const before = jobs.created;
    expect(await qobs('--device', 'braket.iqm/garnet', '--shots', '1000', '--max-usd', '0.5')).toBe(2);
    expect(io.err).toMatch(/estimated at 1\.7500 USD .* above --max-usd 0\.5; nothing was submitted/);
    expect(await qobs('--device', 'braket.iqm/garnet')).toBe(2);
    expect(io.err).toContain('--max-usd');
    expect(jobs.created).toBe(before);
  });
});
