import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CostTracker } from '../../cost/index.js';
import type { JobRecord } from '../../devices/index.js';
import { run } from '../program.js';
import { captureOutput } from '../testing/capture.js';

const io = captureOutput();

const qobs = (...args: string[]) => run(['node', 'qobs', ...args]);

describe('qobs cost', () => {
  it('catalogue --json: a prices array with device, fees, source and date, and the version', async () => {
    expect(await qobs('cost', 'catalogue', '--json')).toBe(0);
    const j = JSON.parse(io.out);
    expect(j.version).toBe('2026-11-29.1');
    const garnet = j.prices.find((p: { device: string }) => p.device === 'braket.iqm/garnet');
    expect(garnet).toMatchObject({
      model: 'task_shot',
      fees: { per_task_usd: 0.3, per_shot_usd: 0.00145 },
      source: 'https://aws.amazon.com/id/braket/pricing/',
      date: '2026-11-29',
    });
    for (const p of j.prices) {
      expect(p.source).toBeTruthy();
      expect(p.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('estimate --json: amount_usd, catalogue_version and the breakdown', async () => {
    expect(
      await qobs(
        'cost',
        'estimate',
        '--device',
        'braket.iqm/garnet',
        '--shots',
        '1000',
        '--tasks',
        '2',
        '--json',
      ),
    ).toBe(0);
    const j = JSON.parse(io.out);
    expect(j).toMatchObject({
      amount_usd: 3.5,
      catalogue_version: '2026-11-29.1',
      breakdown: { tasks: 2, shots_per_task: 1000, task_fees_usd: 0.6, shot_fees_usd: 2.9 },
    });
  });

  it('estimate of an unconfirmed price fails with exit 2 and says which field to set', async () => {
    expect(
      await qobs(
        'cost',
        'estimate',
        '--device',
        'braket.amazon/sv1',
        '--shots',
        '100',
        '--duration-seconds',
        '4',
      ),
    ).toBe(2);
    expect(io.err).toContain('per_minute_usd');
  });

  it('estimate of a time-billed device asks for --duration-seconds', async () => {
    expect(await qobs('cost', 'estimate', '--device', 'ibm.ibm_torino', '--shots', '4000')).toBe(2);
    expect(io.err).toContain('--duration-seconds');
    io.out = '';
    expect(
      await qobs(
        'cost',
        'estimate',
        '--device',
        'ibm.ibm_torino',
        '--shots',
        '4000',
        '--duration-seconds',
        '10',
        '--json',
      ),
    ).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({
      amount_usd: 16,
      cost_type: 'qpu_time',
      catalogue_version: '2026-11-29.1',
    });
  });

  it('estimate rejects a bad shot count', async () => {
    expect(await qobs('cost', 'estimate', '--device', 'braket.iqm/garnet', '--shots', '-3')).toBe(2);
  });

  it('report --json reads the ledger the tracker wrote', async () => {
    const ledger = path.join(mkdtempSync(path.join(tmpdir(), 'qobs-cost-cli-')), 'ledger.jsonl');
    const tracker = new CostTracker({ ledgerFile: ledger });
    const now = Date.now();
    const job = (id: string, device: string, shots: number): JobRecord => ({
      id,
      provider: 'braket',
      device,
      status: 'completed',
      shots,
      createdAt: new Date(now - 60_000),
      finishedAt: new Date(now - 30_000),
    });
    tracker.record(job('a', 'ionq/forte-1', 100), { experiment: 'vqc' });
    tracker.record(job('b', 'ionq/forte-1', 100), { experiment: 'vqc' });
    tracker.record(job('c', 'iqm/garnet', 1000), { experiment: 'qaoa' });
    expect(await qobs('cost', 'report', '--since', '1d', '--ledger', ledger, '--json')).toBe(0);
    const j = JSON.parse(io.out);
    expect(j.total_usd).toBeCloseTo(8.3 * 2 + 1.75, 9);
    expect(j.by_provider).toEqual([{ key: 'braket', amount_usd: 18.35, jobs: 3, shots: 1200 }]);
    expect(j.by_device.map((r: { key: string }) => r.key)).toEqual([
      'braket.ionq/forte-1',
      'braket.iqm/garnet',
    ]);
    expect(j.by_experiment.find((r: { key: string }) => r.key === 'vqc').amount_usd).toBe(16.6);
    const merge = j.recommendations.find((r: { kind: string }) => r.kind === 'merge_tasks');
    expect(merge).toMatchObject({ device: 'braket.ionq/forte-1', estimated_savings_usd: 0.3 });
    const cheaper = j.recommendations.find((r: { kind: string }) => r.kind === 'cheaper_device');
    // 200 shots on Ankaa (the cheapest confirmed per-shot QPU): 2 × 0.30 + 200 × 0.0009 = 0.78 against 16.60.
    expect(cheaper.estimated_savings_usd).toBeCloseTo(16.6 - 0.78, 9);
    expect(j.catalogue_versions).toEqual(['2026-11-29.1']);
  });
});
