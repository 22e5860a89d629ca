import { describe, expect, it } from 'vitest';
import { Circuit } from '../circuit/index.js';
import { SimulatorInputError } from './errors.js';
import {
  espBreakdown,
  estimatedSuccessProbability,
  hellingerDistance,
  hellingerFidelity,
  totalVariationDistance,
} from './estimators.js';
import type { NoiseModel } from './noise.js';

describe('Hellinger fidelity (Qiskit definition)', () => {
  it('is 1 for proportional counts and 0 for disjoint ones', () => {
    expect(hellingerFidelity({ '00': 50, '11': 50 }, { '00': 500, '11': 500 })).toBeCloseTo(1, 15);
    expect(hellingerFidelity({ '00': 10 }, { '11': 10 })).toBe(0);
  });

  it('matches hand-computed values of (1 - d²)² with d = sqrt(Σ(√p − √q)²)/√2', () => {
    // p = (0.5, 0.5), q = (0.9, 0.1): Σ(√p − √q)² = (√.5 − √.9)² + (√.5 − √.1)²
    const sum = (Math.sqrt(0.5) - Math.sqrt(0.9)) ** 2 + (Math.sqrt(0.5) - Math.sqrt(0.1)) ** 2;
    const d = Math.sqrt(sum) / Math.SQRT2;
    expect(hellingerDistance({ a: 1, b: 1 }, { a: 9, b: 1 })).toBeCloseTo(d, 15);
    expect(hellingerFidelity({ a: 1, b: 1 }, { a: 9, b: 1 })).toBeCloseTo((1 - d * d) ** 2, 15);
    // A key present on one side only counts its whole probability.
    const d2 = Math.sqrt((Math.sqrt(0.5) - 1) ** 2 + 0.5) / Math.SQRT2;
    expect(hellingerFidelity({ '0': 5, '1': 5 }, { '0': 3 })).toBeCloseTo((1 - d2 * d2) ** 2, 15);
    // A certain outcome against an even mix with another: fidelity = (Σ√(pq))² = 1/2.
    expect(hellingerFidelity({ '00': 1 }, { '00': 1, '11': 1 })).toBeCloseTo(0.5, 12);
  });

  it('is symmetric', () => {
    const a = { '000': 12, '011': 3, '111': 40 };
    const b = { '000': 30, '101': 4, '111': 21 };
    expect(hellingerFidelity(a, b)).toBeCloseTo(hellingerFidelity(b, a), 15);
  });

  it('rejects empty or negative counts', () => {
    expect(() => hellingerFidelity({}, { a: 1 })).toThrow(SimulatorInputError);
    expect(() => hellingerFidelity({ a: -1, b: 3 }, { a: 1 })).toThrow(/countsA\['a'\]/);
  });
});

describe('total variation distance', () => {
  it('is half the L1 distance of the normalized counts', () => {
    expect(totalVariationDistance({ a: 1, b: 1 }, { a: 9, b: 1 })).toBeCloseTo(0.4, 15);
    expect(totalVariationDistance({ a: 1 }, { b: 1 })).toBe(1);
    expect(totalVariationDistance({ a: 3, b: 1 }, { a: 6, b: 2 })).toBe(0);
  });
});

describe('estimated success probability', () => {
  const model: NoiseModel = {
    qubits: [
      { t1Seconds: 100e-6, t2Seconds: 50e-6, probMeas0Prep1: 0.04, probMeas1Prep0: 0.02 },
      { t1Seconds: 80e-6, t2Seconds: 60e-6, probMeas0Prep1: 0.1, probMeas1Prep0: 0.06 },
      { t1Seconds: 80e-6, t2Seconds: 60e-6, probMeas0Prep1: 0.5, probMeas1Prep0: 0.5 },
    ],
    gates: new Map([
      ['sx:0', { error: 0.001, lengthSeconds: 1e-6 }],
      ['cx:0_1', { error: 0.01, lengthSeconds: 4e-6 }],
      ['x:1', { error: 0.002, lengthSeconds: 2e-6 }],
    ]),
  };

  it('multiplies gate, readout and idle factors from an ASAP schedule of gate lengths', () => {
    // sx(0) [0,1µs]; x(1) [0,2µs]; cx(0,1) [2,6µs]; sx(0) [6,7µs]. Duration 7 µs.
    // Qubit 0: first gate at 0, busy 1 + 4 + 1 = 6 µs → idle 1 µs. Qubit 1: busy 2 + 4 = 6 µs → idle 1 µs.
    const c = new Circuit(3, 2).sx(0).x(1).cx(0, 1).sx(0).measure(0, 0).measure(1, 1);
    const b = espBreakdown(c, model);
    expect(b.durationSeconds).toBeCloseTo(7e-6, 15);
    expect(b.gateFactor).toBeCloseTo(0.999 * 0.998 * 0.99 * 0.999, 15);
    expect(b.readoutFactor).toBeCloseTo((1 - 0.03) * (1 - 0.08), 15);
    const idle =
      Math.exp(-1e-6 / 100e-6) * Math.exp(-1e-6 / 50e-6) * Math.exp(-1e-6 / 80e-6) * Math.exp(-1e-6 / 60e-6);
    expect(b.idleFactor).toBeCloseTo(idle, 15);
    expect(estimatedSuccessProbability(c, model)).toBeCloseTo(b.gateFactor * b.readoutFactor * idle, 15);
  });

  it('counts only measured qubits for readout and falls back to defaultGate', () => {
    const c = new Circuit(3, 1).h(2).measure(0, 0);
    const withDefault = { ...model, defaultGate: { error: 0.25 } };
    expect(espBreakdown(c, withDefault).gateFactor).toBeCloseTo(0.75, 15);
    expect(espBreakdown(c, withDefault).readoutFactor).toBeCloseTo(0.97, 15);
    expect(espBreakdown(c, model).esp).toBeCloseTo(0.97, 15);
  });

  it('barriers synchronize their qubits in the schedule', () => {
    const c = new Circuit(2, 2).x(1).barrier(0, 1).sx(0).measure(0, 0);
    // x(1) [0,2], barrier → qubit 0 starts sx at 2 µs: duration 3 µs; qubit 1 idles 1 µs after its x.
    const b = espBreakdown(c, model);
    expect(b.durationSeconds).toBeCloseTo(3e-6, 15);
    expect(b.idleFactor).toBeCloseTo(Math.exp(-1e-6 / 80e-6) * Math.exp(-1e-6 / 60e-6), 15);
  });
});
