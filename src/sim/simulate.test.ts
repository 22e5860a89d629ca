import { describe, expect, it } from 'vitest';
import { Circuit, type Instruction } from '../circuit/index.js';
import { SimulatorInputError, UnsupportedInstructionError } from './errors.js';
import { probabilities } from './observables.js';
import { simulate, validateShots } from './simulate.js';

function conditioned(c: Circuit, name: string, qubits: number[], clbits: number[], value: number): Circuit {
  return c.append({ name, qubits, clbits: [], params: [], condition: { clbits, value } } as Instruction);
}

describe('counts', () => {
  it('keys by all classical bits, highest first, last register leftmost', () => {
    const c = new Circuit(3, 0);
    c.addCreg('a', 2);
    c.addCreg('b', 1);
    c.x(0).x(2);
    c.measure(0, 0); // a[0] = 1
    c.measure(1, 1); // a[1] = 0
    c.measure(2, 2); // b[0] = 1
    expect(simulate(c, { shots: 10, seed: 1 }).counts).toEqual({ '101': 10 });
    const d = new Circuit(2, 3).x(1).measure(1, 2);
    expect(simulate(d, { shots: 5, seed: 1 }).counts).toEqual({ '100': 5 });
  });

  it('uses the ideal fast path for final measurements and trajectories otherwise', () => {
    expect(simulate(new Circuit(2).h(0).measureAll(), { shots: 10, seed: 1 }).method).toBe('ideal');
    const mid = new Circuit(1, 2).h(0).measure(0, 0).h(0).measure(0, 1);
    expect(simulate(mid, { shots: 10, seed: 1 }).method).toBe('trajectories');
  });

  it('trajectories with an empty noise model reproduce the ideal distribution', () => {
    const c = new Circuit(4).h(0).ry(0.7, 1).cx(0, 2).crx(1.3, 1, 3).t(3).h(3).measureAll();
    const shots = 20_000;
    const ideal = simulate(c, { shots, seed: 1 });
    const traj = simulate(c, { shots, seed: 2, noise: { qubits: [], gates: new Map() } });
    expect(ideal.method).toBe('ideal');
    expect(traj.method).toBe('trajectories');
    const p = probabilities(c);
    for (let i = 0; i < 16; i++) {
      const key = i.toString(2).padStart(4, '0');
      const sd = Math.sqrt((p[i] * (1 - p[i])) / shots);
      // 16 outcomes x 2 runs: a family-wise 99% level (Bonferroni, z = 3.60).
      expect(Math.abs((ideal.counts[key] ?? 0) / shots - p[i]), `ideal ${key}`).toBeLessThanOrEqual(3.6 * sd);
      expect(Math.abs((traj.counts[key] ?? 0) / shots - p[i]), `traj ${key}`).toBeLessThanOrEqual(3.6 * sd);
    }
  });

  it('Bell counts are near 50/50 and only 00 or 11', () => {
    const r = simulate(new Circuit(2).h(0).cx(0, 1).measureAll(), { shots: 10_000, seed: 3 });
    expect(Object.keys(r.counts).sort()).toEqual(['00', '11']);
    // 99.99% interval of a fair binomial with n = 10000: 5000 ± 4 sd = ± 200.
    expect(Math.abs(r.counts['00'] - 5000)).toBeLessThan(200);
  });

  it('a circuit without classical bits counts the empty string', () => {
    expect(simulate(new Circuit(1).h(0), { shots: 7, seed: 1 }).counts).toEqual({ '': 7 });
  });
});

describe('mid-circuit measurement, reset, conditions', () => {
  it('a mid-circuit measurement collapses the state', () => {
    // Measure after H, then H again: the second outcome is uniform and independent of the first.
    const c = new Circuit(1, 2).h(0).measure(0, 0).h(0).measure(0, 1);
    const r = simulate(c, { shots: 8000, seed: 5 });
    for (const k of ['00', '01', '10', '11']) expect(Math.abs(r.counts[k] - 2000)).toBeLessThan(200);
    // Without the measurement H·H = I: always 0.
    expect(simulate(new Circuit(1, 1).h(0).h(0).measure(0, 0), { shots: 100, seed: 5 }).counts).toEqual({
      '0': 100,
    });
  });

  it('measurement collapse keeps entanglement: measuring one half of a Bell pair fixes the other', () => {
    const c = new Circuit(2, 2).h(0).cx(0, 1).measure(0, 0).h(0).h(0).measure(1, 1);
    const r = simulate(c, { shots: 2000, seed: 9 });
    expect(Object.keys(r.counts).sort()).toEqual(['00', '11']);
  });

  it('reset returns a qubit to |0> whatever its state', () => {
    const c = new Circuit(2, 2).h(0).x(1).reset(0).reset(1).measure(0, 0).measure(1, 1);
    expect(simulate(c, { shots: 500, seed: 2 }).counts).toEqual({ '00': 500 });
  });

  it('conditioned gates run only when the register equals the value (teleportation-style correction)', () => {
    // Measure a |+> qubit, then flip qubit 1 when c == 1: qubit 1 copies the outcome.
    const c = new Circuit(2, 2).h(0).measure(0, 0);
    conditioned(c, 'x', [1], [0], 1);
    c.measure(1, 1);
    const r = simulate(c, { shots: 2000, seed: 11 });
    expect(Object.keys(r.counts).sort()).toEqual(['00', '11']);
    // A two-bit condition: x on qubit 2 only when (c1 c0) == 2.
    const d = new Circuit(3, 3).x(1).measure(0, 0).measure(1, 1);
    conditioned(d, 'x', [2], [0, 1], 2);
    d.measure(2, 2);
    expect(simulate(d, { shots: 10, seed: 1 }).counts).toEqual({ '110': 10 });
    const e = new Circuit(3, 3).x(0).measure(0, 0).measure(1, 1);
    conditioned(e, 'x', [2], [0, 1], 2);
    e.measure(2, 2);
    expect(simulate(e, { shots: 10, seed: 1 }).counts).toEqual({ '001': 10 });
  });

  it('teleports a state: the receiver measures what the sender prepared', () => {
    const theta = 1.1;
    const c = new Circuit(3, 3).ry(theta, 0).h(1).cx(1, 2).cx(0, 1).h(0).measure(0, 0).measure(1, 1);
    conditioned(c, 'x', [2], [1], 1);
    conditioned(c, 'z', [2], [0], 1);
    c.measure(2, 2);
    const r = simulate(c, { shots: 20_000, seed: 4 });
    let ones = 0;
    for (const [k, v] of Object.entries(r.counts)) if (k[0] === '1') ones += v;
    const p = Math.sin(theta / 2) ** 2;
    const sd = Math.sqrt(20_000 * p * (1 - p));
    expect(Math.abs(ones - 20_000 * p)).toBeLessThan(4 * sd);
  });
});

describe('bad input fails before any work', () => {
  it('rejects shots of 0, negative, non-integer, NaN or above the maximum', () => {
    for (const s of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => validateShots(s)).toThrow(SimulatorInputError);
    expect(() => validateShots(20_001, 20_000)).toThrow(/20001 is above the maximum of 20000/);
    expect(() => validateShots(20_000, 20_000)).not.toThrow();
    const huge = new Circuit(40).h(0).measureAll();
    // Shots are checked before the (too large) state: the error is about shots.
    expect(() => simulate(huge, { shots: 0 })).toThrow(/shots: must be at least 1/);
    expect(() => simulate(huge, { shots: 10, maxShots: 5 })).toThrow(SimulatorInputError);
  });

  it('rejects unknown gates and opaque/user gates with a clear error', () => {
    const c = new Circuit(1);
    c.append({ name: 'mystery', qubits: [0], clbits: [], params: [] });
    expect(() => simulate(c, { shots: 1 })).toThrow(UnsupportedInstructionError);
    expect(() => simulate(c, { shots: 1 })).toThrow(/unknown gate 'mystery'/);
  });

  it('rejects an unbound parameter, and binds given ones', () => {
    const c = new Circuit(1, 1);
    c.append({ name: 'rx', qubits: [0], clbits: [], params: [{ op: 'sym', name: 'theta' }] });
    c.measure(0, 0);
    expect(() => simulate(c, { shots: 1 })).toThrow(/parameter 'theta' has no value/);
    expect(simulate(c, { shots: 50, seed: 1, parameters: { theta: Math.PI } }).counts).toEqual({ '1': 50 });
  });
});

describe('user gates and modifiers', () => {
  it('runs circuits with gate definitions and QASM 3 modifiers through flatten()', () => {
    const c = new Circuit(3, 3);
    // gate bell a, b { h a; cx a, b; }
    c.definitions.set('bell', {
      name: 'bell',
      params: [],
      numQubits: 2,
      body: [
        { name: 'h', qubits: [0], clbits: [], params: [] },
        { name: 'cx', qubits: [0, 1], clbits: [], params: [] },
      ],
    });
    c.append({ name: 'bell', qubits: [0, 1], clbits: [], params: [] });
    // ctrl @ x on [1, 2] is cx(1, 2): the three qubits end up as GHZ.
    c.append({
      name: 'x',
      qubits: [1, 2],
      clbits: [],
      params: [],
      modifiers: [{ kind: 'ctrl', count: 1, negated: false }],
    });
    c.measure(0, 0).measure(1, 1).measure(2, 2);
    const r = simulate(c, { shots: 400, seed: 3 });
    expect(Object.keys(r.counts).sort()).toEqual(['000', '111']);
  });

  it('rejects opaque gates with a clear error', () => {
    const c = new Circuit(1);
    c.definitions.set('blackbox', { name: 'blackbox', params: [], numQubits: 1, body: null });
    c.append({ name: 'blackbox', qubits: [0], clbits: [], params: [] });
    expect(() => simulate(c, { shots: 1 })).toThrow(/blackbox/);
  });
});
