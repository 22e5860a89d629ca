import { describe, expect, it } from 'vitest';
import { Circuit } from '../../circuit/index.js';
import { createLocalDevice } from '../registry.js';
import { localJobFidelity } from './fidelity.js';

describe('fidelity of local jobs', () => {
  it('gives Hellinger and ESP below 1 on a noisy device, and nothing on the ideal one', async () => {
    const ghz = new Circuit(3).h(0).cx(0, 1).cx(1, 2).measureAll();
    const noisy = createLocalDevice('local.fake_manila');
    const job = await (await noisy.submit(ghz, { shots: 2000, seed: 1 })).wait();
    const f = localJobFidelity(job, ghz, noisy);
    const h = f.find((x) => x.method === 'hellinger')!;
    const esp = f.find((x) => x.method === 'esp')!;
    expect(h.value).toBeGreaterThan(0.7);
    expect(h.value).toBeLessThan(0.999);
    expect(esp.value).toBeGreaterThan(0.5);
    expect(esp.value).toBeLessThan(1);
    const ideal = createLocalDevice('local.statevector');
    const j2 = await (await ideal.submit(ghz, { shots: 100, seed: 1 })).wait();
    expect(localJobFidelity(j2, ghz, ideal)).toEqual([]);
  });
});
