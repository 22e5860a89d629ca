import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Circuit } from '../circuit/index.js';
import { espBreakdown, hellingerFidelity } from './estimators.js';
import {
  type GateNoise,
  type NoiseModel,
  type QubitNoise,
  averageGateFidelity,
  depolarizingParameter,
  gateChannel,
  thermalRelaxation,
} from './noise.js';
import { probabilities } from './observables.js';
import { simulate } from './simulate.js';

const fixtures = path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures');

interface IbmProps {
  qubits: Array<Array<{ name: string; unit: string; value: number }>>;
  gates: Array<{
    gate: string;
    qubits: number[];
    parameters: Array<{ name: string; unit: string; value: number }>;
  }>;
}

const TIME: Record<string, number> = { s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };

/** A NoiseModel straight from an IBM props JSON, restricted to `physical` qubits renumbered 0..k-1. */
function ibmNoise(file: string, physical: number[]): NoiseModel {
  const props = JSON.parse(readFileSync(path.join(fixtures, file), 'utf8')) as IbmProps;
  const qubits: QubitNoise[] = physical.map((p) => {
    const get = (name: string) => props.qubits[p].find((e) => e.name === name);
    const t = (name: string) => {
      const e = get(name);
      return e ? e.value * TIME[e.unit] : undefined;
    };
    return {
      t1Seconds: t('T1'),
      t2Seconds: t('T2'),
      probMeas0Prep1: get('prob_meas0_prep1')?.value,
      probMeas1Prep0: get('prob_meas1_prep0')?.value,
    };
  });
  const gates = new Map<string, GateNoise>();
  for (const g of props.gates) {
    const local = g.qubits.map((q) => physical.indexOf(q));
    if (local.some((q) => q < 0)) continue;
    const err = g.parameters.find((p) => p.name === 'gate_error');
    const len = g.parameters.find((p) => p.name === 'gate_length');
    gates.set(`${g.gate}:${local.join('_')}`, {
      error: err?.value,
      lengthSeconds: len ? len.value * TIME[len.unit] : undefined,
    });
  }
  return { qubits, gates };
}

/**
 * Half-width of a two-sided 99% binomial interval around p for n trials (normal approximation). With
 * `comparisons` > 1 the level is family-wise (Bonferroni: each interval at 1 - 0.01/comparisons), so a test
 * that checks ten rates at once still fails by chance only 1% of the time.
 */
function ci99(p: number, n: number, comparisons = 1): number {
  const z = comparisons === 1 ? 2.576 : comparisons <= 4 ? 3.023 : 3.291; // 0.01/4 and 0.01/10 two-sided
  return z * Math.sqrt((p * (1 - p)) / n);
}

describe('readout confusion', () => {
  it('reproduces toronto prob_meas1_prep0 and prob_meas0_prep1 within a family-wise 99% binomial interval', () => {
    const physical = [0, 1, 2, 3, 5];
    const full = ibmNoise('devices/ibm/toronto/props_toronto.json', physical);
    // Readout only, so the measured confusion is the readout channel alone.
    const model: NoiseModel = { qubits: full.qubits, gates: new Map() };
    const shots = 20_000;
    for (const prep of [0, 1] as const) {
      const c = new Circuit(5);
      if (prep === 1) for (let q = 0; q < 5; q++) c.x(q);
      c.measureAll();
      const r = simulate(c, { shots, seed: 100 + prep, noise: model });
      expect(r.method).toBe('trajectories');
      for (let q = 0; q < 5; q++) {
        let flipped = 0;
        for (const [bits, n] of Object.entries(r.counts)) if (Number(bits[4 - q]) !== prep) flipped += n;
        const p = prep === 0 ? model.qubits[q].probMeas1Prep0! : model.qubits[q].probMeas0Prep1!;
        expect(Math.abs(flipped / shots - p), `qubit ${physical[q]} prep ${prep}`).toBeLessThan(
          ci99(p, shots, 10),
        );
      }
    }
  });
});

describe('depolarizing error', () => {
  it('a one-qubit gate error e flips X|0> back to 0 with probability e (X or Y of the Paulis)', () => {
    const e = 0.06;
    const model: NoiseModel = { qubits: [{}], gates: new Map([['x:0', { error: e }]]) };
    const shots = 20_000;
    const r = simulate(new Circuit(1).x(0).measureAll(), { shots, seed: 3, noise: model });
    expect(Math.abs((r.counts['0'] ?? 0) / shots - e)).toBeLessThan(ci99(e, shots));
  });

  it('a two-qubit gate error e leaves |00> with probability e, spread evenly over 01, 10, 11', () => {
    const e = 0.09;
    const model: NoiseModel = { qubits: [{}, {}], gates: new Map([['cx:0_1', { error: e }]]) };
    const shots = 30_000;
    const r = simulate(new Circuit(2).cx(0, 1).measureAll(), { shots, seed: 8, noise: model });
    const wrong = shots - (r.counts['00'] ?? 0);
    expect(Math.abs(wrong / shots - e)).toBeLessThan(ci99(e, shots, 4));
    for (const k of ['01', '10', '11'])
      expect(Math.abs((r.counts[k] ?? 0) / shots - e / 3)).toBeLessThan(ci99(e / 3, shots, 4));
  });

  it('a drawn Pauli lands between the gate and what follows, each of X, Y, Z with its own effect', () => {
    // sx with a large error (and a negligible T1, which takes the one-pass gate+damping path), then a
    // noiseless rx(π/2): X, Y and Z after the sx lead to different outcomes, so a wrong Pauli would show.
    const model: NoiseModel = {
      qubits: [{ t1Seconds: 1 }],
      gates: new Map([['sx:0', { error: 0.3, lengthSeconds: 1e-9 }]]),
    };
    const c = new Circuit(1)
      .sx(0)
      .rx(Math.PI / 2, 0)
      .measureAll();
    const shots = 40_000;
    const r = simulate(c, { shots, seed: 17, noise: model });
    const pp = gateChannel(model, 'sx', [0])!.pauliProbability;
    const branch = (pauli: string | undefined) => {
      const b = new Circuit(1).sx(0);
      if (pauli) b.gate(pauli, [0]);
      return probabilities(b.rx(Math.PI / 2, 0))[1];
    };
    const p1 = (1 - pp) * branch(undefined) + (pp / 3) * (branch('x') + branch('y') + branch('z'));
    expect(branch('x')).not.toBeCloseTo(branch('y'), 3);
    expect(Math.abs((r.counts['1'] ?? 0) / shots - p1)).toBeLessThan(ci99(p1, shots));
  });

  it('uses defaultGate for gates without their own entry, and no noise without either', () => {
    const withDefault: NoiseModel = { qubits: [{}], gates: new Map(), defaultGate: { error: 0.3 } };
    const r = simulate(new Circuit(1).x(0).measureAll(), { shots: 2000, seed: 1, noise: withDefault });
    expect(r.counts['0']).toBeGreaterThan(450);
    const none: NoiseModel = { qubits: [{}], gates: new Map() };
    expect(simulate(new Circuit(1).x(0).measureAll(), { shots: 500, seed: 1, noise: none }).counts).toEqual({
      '1': 500,
    });
  });
});

describe('thermal relaxation', () => {
  it('T1: |1> decays to |0> with probability 1 - exp(-t/T1) over a gate of length t', () => {
    const t1 = 100e-6;
    const t = 20e-6;
    const model: NoiseModel = {
      qubits: [{ t1Seconds: t1 }],
      gates: new Map([['x:0', { lengthSeconds: t }]]),
    };
    const shots = 20_000;
    const r = simulate(new Circuit(1).x(0).measureAll(), { shots, seed: 12, noise: model });
    const p = 1 - Math.exp(-t / t1);
    expect(Math.abs((r.counts['0'] ?? 0) / shots - p)).toBeLessThan(ci99(p, shots));
  });

  it('T1 over several timed gates in a row: |1> survives four of them with probability exp(-4t/T1)', () => {
    const t1 = 60e-6;
    const t = 6e-6;
    const model: NoiseModel = {
      qubits: [{ t1Seconds: t1 }, {}],
      gates: new Map([
        ['x:0', { lengthSeconds: t }],
        ['id:0', { lengthSeconds: t }],
      ]),
    };
    const c = new Circuit(2).x(0).id(0).h(1).id(0).id(0).measureAll();
    const shots = 30_000;
    const r = simulate(c, { shots, seed: 41, noise: model });
    let ones = 0;
    for (const [k, v] of Object.entries(r.counts)) if (k[1] === '1') ones += v;
    const p = Math.exp((-4 * t) / t1);
    expect(Math.abs(ones / shots - p)).toBeLessThan(ci99(p, shots));
  });

  it('T1 across a mid-circuit measurement: each of two idles decays |1> with probability 1 - exp(-t/T1)', () => {
    const t1 = 50e-6;
    const t = 15e-6;
    const model: NoiseModel = {
      qubits: [{ t1Seconds: t1 }],
      gates: new Map([
        ['x:0', { lengthSeconds: t }],
        ['id:0', { lengthSeconds: t }],
      ]),
    };
    const c = new Circuit(1, 2).x(0).measure(0, 0).id(0).measure(0, 1);
    const shots = 30_000;
    const r = simulate(c, { shots, seed: 31, noise: model });
    const keep = Math.exp(-t / t1);
    const want: Record<string, number> = { '11': keep * keep, '01': keep * (1 - keep), '00': 1 - keep };
    for (const [k, p] of Object.entries(want))
      expect(Math.abs((r.counts[k] ?? 0) / shots - p), k).toBeLessThan(ci99(p, shots, 4));
    expect(r.counts['10'] ?? 0).toBe(0);
  });

  it('T2: a |+> state dephases so that H then reads 1 with probability (1 - exp(-t/T2)) / 2', () => {
    const t1 = 80e-6;
    const t2 = 60e-6;
    const t = 30e-6;
    const model: NoiseModel = {
      qubits: [{ t1Seconds: t1, t2Seconds: t2 }],
      gates: new Map([['h:0', { lengthSeconds: t }]]),
    };
    const c = new Circuit(1).h(0);
    c.append({ name: 'u2', qubits: [0], clbits: [], params: [0, Math.PI] }); // H without a noise entry
    c.measureAll();
    const shots = 40_000;
    const r = simulate(c, { shots, seed: 21, noise: model });
    const p = (1 - Math.exp(-t / t2)) / 2;
    expect(Math.abs((r.counts['1'] ?? 0) / shots - p)).toBeLessThan(ci99(p, shots));
  });

  it('clips T2 to 2·T1 and is the identity for zero length', () => {
    const r = thermalRelaxation(0, 10e-6, 50e-6, 1e-6)!;
    const clipped = thermalRelaxation(0, 10e-6, 20e-6, 1e-6)!;
    expect(r.phaseFlip).toBeCloseTo(clipped.phaseFlip, 15);
    expect(clipped.phaseFlip).toBeCloseTo(0, 15);
    expect(thermalRelaxation(0, 10e-6, 5e-6, 0)).toBeUndefined();
  });
});

describe('gate error to depolarizing parameter (Aer basic_device_noise_model)', () => {
  it('depolarizing ∘ relaxation has average gate infidelity equal to the reported error', () => {
    const cases = [
      { k: 1, e: 3.2e-4, len: 35.5e-9, t1: [56e-6], t2: [50e-6] }, // relaxation alone is 3.4e-4
      { k: 1, e: 6e-4, len: 35.5e-9, t1: [56e-6], t2: [50e-6] },
      { k: 1, e: 1e-2, len: 1e-6, t1: [20e-6], t2: [30e-6] },
      { k: 2, e: 1.1e-2, len: 420e-9, t1: [56e-6, 110e-6], t2: [50e-6, 90e-6] },
      { k: 2, e: 5e-2, len: 0, t1: [56e-6, 110e-6], t2: [50e-6, 90e-6] },
    ];
    for (const c of cases) {
      const qubits = Array.from({ length: c.k }, (_, i) => i);
      const model: NoiseModel = {
        qubits: qubits.map((q) => ({ t1Seconds: c.t1[q], t2Seconds: c.t2[q] })),
        gates: new Map([[`g:${qubits.join('_')}`, { error: c.e, lengthSeconds: c.len }]]),
      };
      const ch = gateChannel(model, 'g', qubits)!;
      // Trace of the composed Pauli transfer matrix: relaxation is diag(1, e2, e2, e1) per qubit (its
      // non-unital part is off the diagonal), depolarizing scales every non-identity Pauli by (1 - λ).
      let relaxTrace = 1;
      for (const q of qubits) {
        const e1 = Math.exp(-c.len / c.t1[q]);
        const e2 = Math.exp(-c.len / Math.min(c.t2[q], 2 * c.t1[q]));
        relaxTrace *= 1 + 2 * e2 + e1;
      }
      const d2 = 4 ** c.k;
      const processFidelity = (1 + (1 - ch.depolarizing) * (relaxTrace - 1)) / d2;
      // When relaxation alone exceeds the reported error, Aer adds no depolarizing part (λ = 0).
      const relaxInfidelity = 1 - averageGateFidelity(relaxTrace / d2, c.k);
      expect(1 - averageGateFidelity(processFidelity, c.k)).toBeCloseTo(Math.max(c.e, relaxInfidelity), 12);
    }
  });

  it('gives no depolarizing error when relaxation explains the whole error, and clips unphysical errors', () => {
    expect(depolarizingParameter(1e-4, 1, 1 - 2e-4)).toBe(0);
    expect(depolarizingParameter(0.9, 1)).toBeCloseTo(4 / 3, 12);
    expect(depolarizingParameter(0.01, 1)).toBeCloseTo(0.02, 15);
  });
});

describe('GHZ-5 on fake_toronto', () => {
  const physical = [0, 1, 2, 3, 5]; // a coupled chain 0-1-2-3-5 of toronto
  const noise = ibmNoise('devices/ibm/toronto/props_toronto.json', physical);

  /** GHZ-5 in toronto's basis (rz, sx, x, cx): H = rz(π/2) sx rz(π/2) up to a global phase. */
  function ghz(): Circuit {
    const c = new Circuit(5)
      .rz(Math.PI / 2, 0)
      .sx(0)
      .rz(Math.PI / 2, 0);
    for (let q = 1; q < 5; q++) c.cx(q - 1, q);
    return c.measureAll();
  }

  it('has a Hellinger fidelity between the documented lower bound (the ESP) and 1, and tracks the ESP', () => {
    const c = ghz();
    const shots = 8000;
    const ideal = simulate(c, { shots, seed: 1 });
    expect(Object.keys(ideal.counts).sort()).toEqual(['00000', '11111']);
    const noisy = simulate(c, { shots, seed: 2, noise });
    const hf = hellingerFidelity(ideal.counts, noisy.counts);
    const esp = espBreakdown(c, noise).esp;
    console.log(`GHZ-5 fake_toronto: hellinger ${hf.toFixed(4)} esp ${esp.toFixed(4)}`);
    expect(hf).toBeLessThan(1);
    // 8000 shots: the estimate's sampling error is about 0.01; 0.02 of slack keeps the test deterministic-safe.
    expect(hf).toBeGreaterThan(esp - 0.02);
    // Tracking: three times the gate and readout errors lower both the ESP and the measured fidelity.
    const worse: NoiseModel = {
      qubits: noise.qubits.map((q) => ({
        ...q,
        probMeas0Prep1: 3 * q.probMeas0Prep1!,
        probMeas1Prep0: 3 * q.probMeas1Prep0!,
      })),
      gates: new Map(
        [...noise.gates].map(([k, g]) => [
          k,
          { ...g, error: g.error === undefined ? undefined : 3 * g.error },
        ]),
      ),
    };
    const hfWorse = hellingerFidelity(ideal.counts, simulate(c, { shots, seed: 3, noise: worse }).counts);
    const espWorse = espBreakdown(c, worse).esp;
    console.log(`x3 errors: hellinger ${hfWorse.toFixed(4)} esp ${espWorse.toFixed(4)}`);
    expect(espWorse).toBeLessThan(esp);
    expect(hfWorse).toBeLessThan(hf);
    expect(hfWorse).toBeGreaterThan(espWorse - 0.02);
  });
});
