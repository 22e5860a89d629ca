import { describe, expect, it } from 'vitest';
import { irisSplit } from './iris.js';
import { trainVqc } from './vqc.js';

describe('variational classifier on Iris', () => {
  it('splits two classes stratified with features scaled to [0, π] on the training set', () => {
    const d = irisSplit(['versicolor', 'virginica'], { seed: 1 });
    expect(d.train.length).toBe(70);
    expect(d.test.length).toBe(30);
    expect(d.test.filter((s) => s.label === 1).length).toBe(15);
    for (const s of d.train)
      for (const f of s.features) {
        expect(f).toBeGreaterThanOrEqual(0);
        expect(f).toBeLessThanOrEqual(Math.PI);
      }
  });

  it('reaches at least 90% test accuracy on the ideal simulator with a fixed seed', async () => {
    const r = await trainVqc({ seed: 7 });
    expect(r.epochs.length).toBe(15);
    expect(r.epochs[r.epochs.length - 1].loss).toBeLessThan(r.epochs[0].loss);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('stops after the epoch under way when its signal aborts', async () => {
    const controller = new AbortController();
    const r = await trainVqc({
      seed: 7,
      epochs: 5,
      layers: 1,
      onEpoch: () => controller.abort(),
      signal: controller.signal,
    });
    expect(r.epochs.map((e) => e.epoch)).toEqual([0]);
  }, 60_000);
});
