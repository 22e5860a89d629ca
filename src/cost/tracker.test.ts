import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../devices/index.js';
import { CostTracker, defaultCatalogue, parseCatalogue, readLedger, usageOfJob } from './index.js';

const job = (over: Partial<JobRecord> = {}): JobRecord => ({
  id: 'job-1',
  provider: 'braket',
  device: 'iqm/garnet',
  status: 'completed',
  shots: 1000,
  createdAt: new Date('2026-11-28T10:00:00Z'),
  startedAt: null,
  finishedAt: new Date('2026-11-28T10:05:00Z'),
  ...over,
});

describe('cost tracker', () => {
  it('estimates before and prices after from the job record, with the catalogue version on every figure', () => {
    const t = new CostTracker();
    const est = t.estimate('braket.iqm/garnet', { shots: 1000 });
    const rec = t.record(job());
    expect(est.amountUsd).toBe(1.75);
    expect(rec).toMatchObject({
      amountUsd: 1.75,
      catalogueVersion: '2026-11-29.1',
      kind: 'actual',
      device: 'braket.iqm/garnet',
    });
    expect(t.record(job({ id: 'f', status: 'failed' })).amountUsd).toBe(0);
  });

  it('takes the billable time from the job: provider-reported first, else start to finish; unknown stays unknown', () => {
    expect(usageOfJob(job({ billableSeconds: 2.5 })).durationSeconds).toBe(2.5);
    expect(
      usageOfJob(
        job({ startedAt: new Date('2026-11-28T10:00:01Z'), finishedAt: new Date('2026-11-28T10:00:04.5Z') }),
      ).durationSeconds,
    ).toBe(3.5);
    expect(usageOfJob(job()).durationSeconds).toBeUndefined();
  });

  it('costOf returns the figure the Observer counts, and keeps the record in the ledger', async () => {
    const ledger = path.join(mkdtempSync(path.join(tmpdir(), 'qobs-ledger-')), 'l.jsonl');
    const t = new CostTracker({ ledgerFile: ledger });
    const fig = await t.costOf(job({ id: 'x' }), undefined as never);
    expect(fig).toMatchObject({
      amount: 1.75,
      currency: 'USD',
      costType: 'qpu_task',
      catalogueVersion: '2026-11-29.1',
    });
    expect(fig?.details).toMatchObject({ job_id: 'x', task_fees_usd: 0.3, shot_fees_usd: 1.45 });
    const read = readLedger(ledger);
    expect(read.records).toHaveLength(1);
    // A new tracker (another process) recovers the recorded cost of the job id from the ledger.
    expect(new CostTracker({ ledgerFile: ledger }).lookup('x')?.amountUsd).toBe(1.75);
  });

  it('recovers an old job with the catalogue in force when it was created', () => {
    const old = parseCatalogue({
      version: 'old-1',
      effective_from: '2024-01-01',
      currency: 'USD',
      prices: [
        {
          device: 'braket.iqm/garnet',
          model: 'task_shot',
          per_task_usd: 0.3,
          per_shot_usd: 0.002,
          source: 'https://example.org/old',
          read_on: '2024-01-01',
        },
      ],
    });
    const t = new CostTracker({ catalogues: [old, defaultCatalogue()] });
    const r = t.recover(job({ id: 'old', createdAt: new Date('2025-03-01T00:00:00Z') }));
    expect(r).toMatchObject({ kind: 'recovered', catalogueVersion: 'old-1', amountUsd: 2.3 });
    expect(t.recover(job({ id: 'new', createdAt: new Date('2026-11-30T00:00:00Z') })).catalogueVersion).toBe(
      '2026-11-29.1',
    );
  });

  it('keeps at most maxRecords in memory and counts the drops', () => {
    const t = new CostTracker({ maxRecords: 2 });
    for (let i = 0; i < 5; i++) t.record(job({ id: `j${i}` }));
    expect(t.records().map((r) => r.jobId)).toEqual(['j3', 'j4']);
    expect(t.droppedRecords).toBe(3);
    expect(t.lookup('j0')).toBeUndefined();
  });
});
