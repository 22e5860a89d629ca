// The 60-second soak in CI (`npm run bench -- soak` runs it for longer): OTLP ingest at half the maximum
// measured in the same run, the Overview's queries and the alert pack evaluating together. Asserts correctness
// only (no errors, every acknowledged item stored, memory bounded); the speed figures are printed, not asserted.
import { describe, expect, it } from 'vitest';
import { runSoak } from '../testing/soak.js';

describe('soak', () => {
  it('holds 60 s of ingest, queries and alert evaluation with no error, no loss and bounded memory', async () => {
    const r = await runSoak({ seconds: 60, probeSeconds: 5 });
    console.log(JSON.stringify(r));
    expect(r.acked.spans).toBeGreaterThan(0);
    expect(r.acked.samples).toBeGreaterThan(0);
    expect(r.acked.logs).toBeGreaterThan(0);
    expect(r.missing).toEqual({ spans: 0, samples: 0, logs: 0 });
    expect(r.stored).toEqual(r.acked);
    expect(r.clientErrors).toEqual({});
    expect(r.serverHttpErrors).toBe(0);
    expect(r.queryErrors).toBe(0);
    expect(r.queries).toBeGreaterThan(0);
    expect(r.lagMisses).toBe(0);
    expect(r.alertRules).toBeGreaterThan(0);
    expect(r.alertRulesFailing).toBe(0);
    expect(r.alertEvaluations).toBeGreaterThan(r.alertRules);
    // What may legitimately grow in a minute: SQLite's page cache (64 MiB), the in-memory heads (at most
    // 1,000,000 samples, 16 MiB) and the V8 heap's headroom; 256 MiB above the start is more than all three.
    expect(r.rssMaxMiB - r.rssStartMiB).toBeLessThan(256);
  }, 150_000);
});
