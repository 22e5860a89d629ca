// Drift detection on replayed calibration histories built from the real IBM snapshots in the fixtures.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Calibration, readIbmCalibration } from '../devices/index.js';
import { DriftDetector } from './drift.js';
import { type InjectedDrift, measureDrift, replayHistory } from './replay.js';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'devices', 'ibm');
function snapshot(name: string): Calibration {
  const read = (kind: string) =>
    JSON.parse(readFileSync(path.join(FIXTURES, name, `${kind}_${name}.json`), 'utf8'));
  return readIbmCalibration(read('props'), read('conf'));
}
// The smaller devices keep the suite fast; bench/drift.ts runs all seven, fez and brisbane included.
const BASES = ['lima', 'belem', 'manila', 'toronto'].map(snapshot);
const twoQubit = (b: Calibration) => b.gates.findIndex((g) => g.qubits.length === 2);

describe('DriftDetector on replayed histories', () => {
  it('raises no alarm on noise-only histories (15% log-normal noise, 60 snapshots, 3 seeds per device)', () => {
    const r = measureDrift(BASES, () => new DriftDetector(), { snapshots: 60, seeds: 3, drifts: () => [] });
    expect(r.seriesSnapshots).toBeGreaterThan(50_000);
    expect(r.falseAlarmsPerSeriesSnapshot).toBe(0);
    expect(r.noiseHistoriesWithAlarm).toBe(0);
  });

  const cases: Array<[string, (b: Calibration) => InjectedDrift, number]> = [
    [
      'readout error doubles (step)',
      () => ({ parameter: 'readout_error', target: 1, onset: 30, kind: 'step', factor: 2 }),
      3,
    ],
    ['T1 halves (step)', () => ({ parameter: 't1', target: 2, onset: 30, kind: 'step', factor: 0.5 }), 3],
    [
      'a CX error triples over 10 snapshots (ramp)',
      (b) => ({
        parameter: 'gate_error',
        target: twoQubit(b),
        onset: 30,
        kind: 'ramp',
        factor: 3,
        rampSnapshots: 10,
      }),
      10,
    ],
  ];
  for (const [title, drift, maxDelay] of cases)
    it(`detects: ${title}, within ${maxDelay} snapshots, on every device and seed`, () => {
      const r = measureDrift(BASES, () => new DriftDetector(), {
        snapshots: 45,
        seeds: 3,
        drifts: (b) => [drift(b)],
      });
      expect(r.missed).toBe(0);
      expect(r.delays).toHaveLength(BASES.length * 3);
      expect(Math.max(...r.delays)).toBeLessThanOrEqual(maxDelay);
      expect(r.otherAlarms).toBe(0);
    });

  it('reports direction and degradation, then relearns the new level (no repeated alarm)', () => {
    const base = snapshot('lima');
    const det = new DriftDetector();
    const events = replayHistory(base, {
      snapshots: 60,
      seed: 7,
      drift: { parameter: 't1', target: 0, onset: 20, kind: 'step', factor: 0.4 },
    }).flatMap((c) => det.update(c));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ parameter: 't1', qubits: [0], direction: 'down', degraded: true });
    expect(events[0].value).toBeLessThan(events[0].baseline * 0.7);
  });

  it('ignores a snapshot it has already seen', () => {
    const base = snapshot('lima');
    const det = new DriftDetector({ warmup: 2 });
    const [a, b] = replayHistory(base, { snapshots: 2, seed: 1 });
    det.update(a);
    det.update(b);
    const bad = { ...b, qubits: b.qubits.map((q) => ({ ...q, readoutError: 0.5 })) };
    expect(det.update(bad)).toEqual([]);
  });

  it('forecasts when a ramping error crosses twice its baseline', () => {
    const base = snapshot('lima');
    const k = twoQubit(base);
    const det = new DriftDetector({ h: 1000 });
    for (const c of replayHistory(base, {
      snapshots: 30,
      seed: 3,
      noiseSigma: 0.02,
      drift: { parameter: 'gate_error', target: k, onset: 12, kind: 'ramp', factor: 4, rampSnapshots: 40 },
    }))
      det.update(c);
    const f = det
      .forecast('ibm', base.device)
      .find((x) => x.parameter === 'gate_error' && x.qubits.join() === base.gates[k].qubits.join());
    expect(f).toBeDefined();
    // At 4x over 40 daily snapshots the error grows ~3.5% a day: 2x the baseline is days, not hours or months, away.
    expect(f!.hoursToThreshold).toBeGreaterThan(24);
    expect(f!.hoursToThreshold).toBeLessThan(24 * 30);
  });
});
