import { describe, expect, it } from 'vitest';
import { Circuit } from '../circuit/index.js';
import { createLocalDevice } from '../devices/index.js';
import { expectation, simulate } from '../sim/index.js';
import {
  adviseShots,
  batchingAdvice,
  type Catalogue,
  cheapestDevice,
  defaultCatalogue,
  espOnCalibration,
  parityStatistics,
  PriceBook,
  shotsForStandardError,
} from './index.js';

// <Z0> of ry(theta) on qubit 0, entangled onto qubit 1 (so the circuit is not trivially one qubit).
function probe(theta: number): Circuit {
  return new Circuit(2, 2, 'probe').ry(theta, 0).cx(0, 1).measure(0, 0).measure(1, 1);
}

describe('shot advice', () => {
  it('parity statistics: mean and unbiased variance of ±1 values', () => {
    const s = parityStatistics({ '00': 75, '01': 25 }, [0]);
    expect(s.mean).toBe(0.5);
    expect(s.variance).toBeCloseTo((100 * 0.75) / 99, 12);
    expect(parityStatistics({ '11': 10, '01': 10 }, [0, 1]).mean).toBe(0);
  });

  it('holds on the simulator: measured standard error at the advised shots within target in >= 95% of 200 seeded repetitions', () => {
    const theta = 1.1;
    const circuit = probe(theta);
    const exact = expectation(circuit, [{ coeff: 1, pauli: 'IZ' }]);
    expect(exact).toBeCloseTo(Math.cos(theta), 12);
    const target = 0.02;
    let within = 0;
    let covered = 0;
    const advised: number[] = [];
    for (let rep = 0; rep < 200; rep++) {
      const pilot = parityStatistics(simulate(circuit, { shots: 200, seed: 1000 + rep }).counts, [0]);
      const advice = adviseShots({ pilot, targetStandardError: target });
      advised.push(advice.shots);
      const run = parityStatistics(
        simulate(circuit, { shots: advice.shots, seed: 500_000 + rep }).counts,
        [0],
      );
      if (run.standardError <= target) within++;
      if (Math.abs(run.mean - exact) <= 2 * target) covered++;
    }
    expect(within).toBeGreaterThanOrEqual(190);
    // The estimates are as close as the standard error promises: within two of it about 95% of the time.
    expect(covered).toBeGreaterThanOrEqual(185);
    // And the advice does not buy safety with waste: the median is within 25% of the shots the true variance needs.
    const ideal = (1 - exact * exact) / (target * target);
    advised.sort((a, b) => a - b);
    expect(advised[100] / ideal).toBeLessThan(1.25);
    expect(advised[100] / ideal).toBeGreaterThanOrEqual(1);
  });

  it('plans for the worst case when the pilot cannot tell the mean from zero', () => {
    expect(adviseShots({ pilot: { mean: 0.05, shots: 100 }, targetStandardError: 0.1 }).plannedVariance).toBe(
      1,
    );
    expect(shotsForStandardError(0.25, 0.01)).toBe(2500);
    expect(() => adviseShots({ pilot: { mean: 0, shots: 100 }, targetStandardError: 0 })).toThrow(
      /targetStandardError/,
    );
  });
});

describe('batching advice', () => {
  it('ten 100-shot tasks of one circuit on Garnet: one 1,000-shot task saves nine task fees', () => {
    const a = batchingAdvice({
      device: 'braket.iqm/garnet',
      tasks: 10,
      shotsPerTask: 100,
      maxShotsPerTask: 20_000,
      prices: new PriceBook(defaultCatalogue()),
    });
    expect(a).toMatchObject({
      currentUsd: 4.45,
      mergedTasks: 1,
      mergedShotsPerTask: 1000,
      mergedUsd: 1.75,
      savingsUsd: 2.7,
    });
  });
});

describe('cheapest device meeting a fidelity target', () => {
  // Fake devices priced per shot (test figures) so that price and ESP pull in different directions.
  const c = defaultCatalogue();
  const mk = (device: string, perShot: number) => ({
    device,
    model: 'task_shot' as const,
    perTaskUsd: 0.3,
    perShotUsd: perShot,
    source: 'test',
    readOn: '2026-11-29',
  });
  const catalogue: Catalogue = {
    ...c,
    version: 'test-esp',
    prices: [
      mk('local.fake_toronto', 0.001),
      mk('local.fake_lima', 0.002),
      mk('local.fake_fez', 0.01),
      ...c.prices,
    ],
  };
  const prices = new PriceBook(catalogue);
  const ghz = new Circuit(4, 4, 'ghz4').h(0).cx(0, 1).cx(1, 2).cx(2, 3).measureAll();

  it('picks the cheapest online device whose ESP from its live calibration meets the target', async () => {
    const devices = ['local.fake_toronto', 'local.fake_lima', 'local.fake_fez'].map((id) =>
      createLocalDevice(id),
    );
    const esps = await Promise.all(devices.map(async (d) => espOnCalibration(ghz, (await d.calibration())!)));
    for (const e of esps) expect(e).toBeGreaterThan(0);
    for (const e of esps) expect(e).toBeLessThan(1);
    // Agrees with the ESP the local device computes for its own jobs.
    expect(esps[0]).toBeCloseTo(devices[0].prepare(ghz, { shots: 10, seed: 1 }).esp!, 12);
    const target = Math.max(...esps) - 1e-9; // only the best device qualifies
    const best = devices[esps.indexOf(Math.max(...esps))].id;
    const r = await cheapestDevice({ circuit: ghz, shots: 1000, devices, targetEsp: target, prices });
    expect(r.chosen?.device).toBe(best);
    const loose = await cheapestDevice({ circuit: ghz, shots: 1000, devices, targetEsp: 0, prices });
    expect(loose.chosen?.device).toBe('local.fake_toronto');
    devices[0].setStatus('offline');
    const off = await cheapestDevice({ circuit: ghz, shots: 1000, devices, targetEsp: 0, prices });
    expect(off.chosen?.device).toBe('local.fake_lima');
    expect(off.quotes.find((q) => q.device === 'local.fake_toronto')?.reason).toBe('status offline');
  });
});
