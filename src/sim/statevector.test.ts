import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Circuit, GATES, type Instruction } from '../circuit/index.js';
import { compile } from './compile.js';
import { SimulatorMemoryError } from './errors.js';
import { referenceStatevector } from './reference.js';
import { evolve, simulate } from './simulate.js';
import { probabilities, statevector } from './observables.js';
import { allocState, checkStateMemory, initZero, norm2, stateBytes } from './statevector.js';

const gateList = [...GATES.values()];

function maxAmplitudeError(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i += 2) worst = Math.max(worst, Math.hypot(a[i] - b[i], a[i + 1] - b[i + 1]));
  return worst;
}

/** A random circuit of library gates on up to `maxQubits` qubits, as fast-check arbitrary. */
function randomCircuit(maxQubits: number, maxGates: number) {
  return fc.integer({ min: 1, max: maxQubits }).chain((n) => {
    const usable = gateList.filter((g) => g.numQubits <= n);
    const gate = fc.record({
      g: fc.integer({ min: 0, max: usable.length - 1 }),
      perm: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
      params: fc.array(fc.double({ min: -7, max: 7, noNaN: true }), { minLength: 4, maxLength: 4 }),
    });
    return fc.array(gate, { minLength: 0, maxLength: maxGates }).map((gates) => {
      const c = new Circuit(n);
      for (const { g, perm, params } of gates) {
        const spec = usable[g];
        c.gate(spec.name, perm.slice(0, spec.numQubits), params.slice(0, spec.numParams));
      }
      return c;
    });
  });
}

describe('fast kernel against the reference kernel', () => {
  it('agrees within 1e-10 per amplitude on random circuits up to 10 qubits (fused and unfused)', () => {
    fc.assert(
      fc.property(randomCircuit(10, 40), (c) => {
        const ref = referenceStatevector(c);
        const fused = statevector(c);
        const unfused = evolve(compile(c, { fuse: false }), c.numQubits);
        expect(maxAmplitudeError(fused, ref)).toBeLessThan(1e-10);
        expect(maxAmplitudeError(unfused, ref)).toBeLessThan(1e-10);
      }),
      { numRuns: 150, seed: 20261128 },
    );
  });

  it('noisy fusion keeps the unitary part: ops compiled with a noise model, channels skipped, match the reference', () => {
    fc.assert(
      fc.property(randomCircuit(6, 40), (c) => {
        const gates = new Map<string, { error: number; lengthSeconds: number }>();
        // Channels on some gates only (as a device calibrates its basis), so noiseless ones get folded.
        for (const inst of c.instructions)
          if (['sx', 'x', 'cx', 'h', 'ecr', 'rzz'].includes(inst.name))
            gates.set(`${inst.name}:${inst.qubits.join('_')}`, { error: 0.01, lengthSeconds: 1e-7 });
        const noise = {
          qubits: Array.from({ length: c.numQubits }, () => ({ t1Seconds: 1e-4, t2Seconds: 1e-4 })),
          gates,
        };
        const ops = compile(c, { noise });
        const withChannels = ops.filter((o) => o.channel !== undefined).length;
        const expected = c.instructions.filter((i) => gates.has(`${i.name}:${i.qubits.join('_')}`)).length;
        expect(withChannels).toBe(expected);
        expect(maxAmplitudeError(evolve(ops, c.numQubits), referenceStatevector(c))).toBeLessThan(1e-10);
      }),
      { numRuns: 100, seed: 99 },
    );
  });

  for (const spec of gateList) {
    it(`${spec.name} matches the reference on every placement in a 5-qubit random state`, () => {
      const n = 5;
      const prep = new Circuit(n);
      for (let q = 0; q < n; q++) prep.ry(0.3 + q, q).rz(0.7 * q - 1, q);
      for (let q = 0; q + 1 < n; q++) prep.cx(q, q + 1);
      // A few qubit placements, including reversed order, so controls above and below the target are both hit.
      const placements = [
        Array.from({ length: spec.numQubits }, (_, i) => i),
        Array.from({ length: spec.numQubits }, (_, i) => n - 1 - i),
        Array.from({ length: spec.numQubits }, (_, i) => (2 * i + 1) % n),
      ].filter((p) => new Set(p).size === p.length);
      for (const qubits of placements) {
        const c = prep.clone();
        c.gate(
          spec.name,
          qubits,
          Array.from({ length: spec.numParams }, (_, i) => 0.4 + 0.9 * i),
        );
        expect(maxAmplitudeError(statevector(c), referenceStatevector(c)), qubits.join(',')).toBeLessThan(
          1e-10,
        );
      }
    });
  }

  it('applies unitary instructions carrying a matrix, and gphase', () => {
    const c = new Circuit(3).h(0).h(1).h(2);
    const m = GATES.get('rccx')!.matrix([]);
    c.append({ name: 'unitary', qubits: [2, 0, 1], clbits: [], params: [], matrix: m } as Instruction);
    c.append({ name: 'gphase', qubits: [], clbits: [], params: [0.8] });
    expect(maxAmplitudeError(statevector(c), referenceStatevector(c))).toBeLessThan(1e-12);
    expect(statevector(c)[0]).not.toBeCloseTo(referenceStatevector(new Circuit(3).h(0).h(1).h(2))[0], 3);
  });
});

describe('known states', () => {
  it('Bell state has amplitudes 1/√2 on 00 and 11', () => {
    const s = statevector(new Circuit(2).h(0).cx(0, 1));
    expect(s[0]).toBeCloseTo(Math.SQRT1_2, 14);
    expect(s[6]).toBeCloseTo(Math.SQRT1_2, 14);
    expect(Math.abs(s[2]) + Math.abs(s[4])).toBe(0);
  });

  it('GHZ-n puts half the probability on all-zeros and half on all-ones', () => {
    for (const n of [3, 5, 8]) {
      const c = new Circuit(n).h(0);
      for (let q = 1; q < n; q++) c.cx(q - 1, q);
      const p = probabilities(c);
      expect(p[0]).toBeCloseTo(0.5, 14);
      expect(p[(1 << n) - 1]).toBeCloseTo(0.5, 14);
    }
  });

  it('W-n has probability 1/n on each one-hot state', () => {
    for (const n of [3, 4, 6]) {
      // Standard construction: ry cascade with controlled rotations and cx to spread the excitation.
      const c = new Circuit(n).x(0);
      for (let k = 0; k < n - 1; k++) {
        const theta = 2 * Math.acos(Math.sqrt(1 / (n - k)));
        c.cry(theta, k, k + 1).cx(k + 1, k);
      }
      const p = probabilities(c);
      for (let q = 0; q < n; q++) expect(p[1 << q]).toBeCloseTo(1 / n, 12);
      let total = 0;
      for (let q = 0; q < n; q++) total += p[1 << q];
      expect(total).toBeCloseTo(1, 12);
    }
  });

  it('QFT of a basis state |x> has amplitudes e^{2πi x k / 2^n} / √(2^n)', () => {
    const n = 6;
    const dim = 1 << n;
    for (const x of [0, 1, 5, 37, 63]) {
      const c = new Circuit(n);
      for (let q = 0; q < n; q++) if ((x >> q) & 1) c.x(q);
      qft(c, n);
      const s = statevector(c);
      for (let k = 0; k < dim; k++) {
        const a = (2 * Math.PI * x * k) / dim;
        expect(s[2 * k]).toBeCloseTo(Math.cos(a) / Math.sqrt(dim), 12);
        expect(s[2 * k + 1]).toBeCloseTo(Math.sin(a) / Math.sqrt(dim), 12);
      }
    }
  });

  it('probabilities sum to 1 within 1e-12 on random circuits', () => {
    fc.assert(
      fc.property(randomCircuit(10, 60), (c) => {
        const p = probabilities(c);
        let total = 0;
        for (const v of p) total += v;
        expect(Math.abs(total - 1)).toBeLessThan(1e-12);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('same seed gives the same counts; another seed other counts', () => {
    const c = new Circuit(4).h(0).h(1).ry(0.3, 2).cx(1, 3).measureAll();
    const a = simulate(c, { shots: 2000, seed: 42 });
    const b = simulate(c, { shots: 2000, seed: 42 });
    const d = simulate(c, { shots: 2000, seed: 43 });
    expect(b.counts).toEqual(a.counts);
    expect(d.counts).not.toEqual(a.counts);
    const unseeded = simulate(c, { shots: 100 });
    expect(simulate(c, { shots: 100, seed: unseeded.seed }).counts).toEqual(unseeded.counts);
  });
});

describe('memory check', () => {
  it('fails before allocating, saying how many bytes the state would take and the limit', () => {
    expect(() => allocState(40)).toThrow(SimulatorMemoryError);
    expect(() => allocState(40)).toThrow(/40 qubits needs 16 TiB \(17592186044416 bytes\)/);
    expect(() => checkStateMemory(21, 16 * 2 ** 20)).toThrow(/limit is 16 MiB/);
    expect(() => simulate(new Circuit(45).h(0).measureAll(), { shots: 1 })).toThrow(SimulatorMemoryError);
    expect(stateBytes(20)).toBe(16 * 2 ** 20);
    const s = initZero(allocState(3));
    expect(s.length).toBe(16);
    expect(norm2(s)).toBe(1);
  });
});

/** QFT without the final swaps' reversal: bit-reversed output, then swaps to natural order (Qiskit's QFT). */
function qft(c: Circuit, n: number): Circuit {
  for (let j = n - 1; j >= 0; j--) {
    c.h(j);
    for (let k = j - 1; k >= 0; k--) c.cp(Math.PI / 2 ** (j - k), k, j);
  }
  for (let q = 0; q < n >> 1; q++) c.swap(q, n - 1 - q);
  return c;
}
