import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Circuit, sym } from '../circuit/index.js';
import { SimulatorInputError } from './errors.js';
import { expectation, probabilities, sampleExpectation, statevector } from './observables.js';

describe('expectation of Pauli sums', () => {
  it('reads Pauli strings in Qiskit order: the rightmost character is qubit 0', () => {
    const c = new Circuit(3).x(0); // |001>
    expect(expectation(c, [{ coeff: 1, pauli: 'IIZ' }])).toBeCloseTo(-1, 15);
    expect(expectation(c, [{ coeff: 1, pauli: 'ZII' }])).toBeCloseTo(1, 15);
  });

  it('Bell state: <ZZ> = <XX> = 1, <YY> = -1, <ZI> = 0', () => {
    const bell = new Circuit(2).h(0).cx(0, 1);
    expect(expectation(bell, [{ coeff: 1, pauli: 'ZZ' }])).toBeCloseTo(1, 14);
    expect(expectation(bell, [{ coeff: 1, pauli: 'XX' }])).toBeCloseTo(1, 14);
    expect(expectation(bell, [{ coeff: 1, pauli: 'YY' }])).toBeCloseTo(-1, 14);
    expect(expectation(bell, [{ coeff: 1, pauli: 'ZI' }])).toBeCloseTo(0, 14);
    expect(
      expectation(bell, [
        { coeff: 0.5, pauli: 'ZZ' },
        { coeff: -2, pauli: 'YY' },
      ]),
    ).toBeCloseTo(2.5, 14);
  });

  it('<Y> of ry-free states: rx(θ)|0> has <Y> = -sin θ, <Z> = cos θ', () => {
    for (const t of [0.3, 1.2, 2.9]) {
      const c = new Circuit(1).rx(t, 0);
      expect(expectation(c, [{ coeff: 1, pauli: 'Y' }])).toBeCloseTo(-Math.sin(t), 14);
      expect(expectation(c, [{ coeff: 1, pauli: 'Z' }])).toBeCloseTo(Math.cos(t), 14);
    }
  });

  it('Z strings equal the parity average over probabilities (random circuits)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 1, max: 15 }),
        (angles, mask) => {
          const c = new Circuit(4);
          for (let q = 0; q < 4; q++) c.ry(angles[q], q).rz(angles[q + 4], q);
          c.cx(0, 1).cx(2, 3).cx(1, 2);
          const pauli = Array.from({ length: 4 }, (_, i) => ((mask >> (3 - i)) & 1 ? 'Z' : 'I')).join('');
          const p = probabilities(c);
          let want = 0;
          for (let i = 0; i < 16; i++) {
            let par = 0;
            for (let b = i & mask; b; b >>= 1) par ^= b & 1;
            want += par ? -p[i] : p[i];
          }
          expect(expectation(c, [{ coeff: 1, pauli }])).toBeCloseTo(want, 12);
        },
      ),
      { numRuns: 50, seed: 5 },
    );
  });

  it('binds parameters', () => {
    const c = new Circuit(1).ry(sym('theta'), 0);
    expect(expectation(c, [{ coeff: 1, pauli: 'X' }], { theta: 0.7 })).toBeCloseTo(Math.sin(0.7), 14);
  });

  it('rejects malformed observables', () => {
    const c = new Circuit(2).h(0);
    expect(() => expectation(c, [{ coeff: 1, pauli: 'Z' }])).toThrow(
      /has 1 characters; the circuit has 2 qubits/,
    );
    expect(() => expectation(c, [{ coeff: 1, pauli: 'ZQ' }])).toThrow(SimulatorInputError);
    expect(() => expectation(c, [])).toThrow(SimulatorInputError);
  });

  it('ignores final measurements but refuses mid-circuit ones for a state vector', () => {
    expect(statevector(new Circuit(1).x(0).measureAll())[2]).toBe(1);
    const mid = new Circuit(1, 1).h(0).measure(0, 0).h(0);
    expect(() => statevector(mid)).toThrow(/mid-circuit measurements/);
  });
});

describe('sampleExpectation', () => {
  it('estimates the exact expectation within a few standard errors', () => {
    const c = new Circuit(3).ry(0.9, 0).rx(0.4, 1).cx(0, 1).h(2).cz(1, 2).measureAll();
    const obs = [
      { coeff: 0.7, pauli: 'ZZI' },
      { coeff: -0.3, pauli: 'XIX' },
      { coeff: 0.5, pauli: 'IYZ' },
      { coeff: 0.2, pauli: 'IIZ' },
    ];
    const exact = expectation(c, obs);
    const shots = 20_000;
    const est = sampleExpectation(c, obs, { shots, seed: 77 });
    // Each term's estimator has variance ≤ coeff²/shots: 4 standard errors of the sum.
    const sd = Math.sqrt(obs.reduce((s, t) => s + t.coeff ** 2, 0) / shots);
    expect(Math.abs(est.value - exact)).toBeLessThan(4 * sd);
    expect(est.runs).toBe(3); // ZZI and IIZ share the all-Z basis
  });
});
