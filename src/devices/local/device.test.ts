import { describe, expect, it } from 'vitest';
import { Circuit, sym } from '../../circuit/index.js';
import { gateChannel, hellingerFidelity, SimulatorInputError, simulate } from '../../sim/index.js';
import { DeviceUnavailableError, QueueFullError, UnknownDeviceError } from '../errors.js';
import {
  createLocalDevice,
  deviceFromCalibration,
  fakeCalibration,
  getDevice,
  listLocalDevices,
} from '../registry.js';
import type { PreparedCircuit } from './device.js';
import { noiseModelFromCalibration } from './noise.js';

/** ln Γ(x) (Lanczos, g = 7), accurate to ~1e-13 for x > 0. */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const y = x - 1;
  let a = c[0];
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Exact two-sided binomial test: true when observing `k` successes in `n` trials is consistent with
 * probability `p` at the 99% level, family-wise over `family` simultaneous checks (Bonferroni), i.e. `p`
 * lies within the exact (Clopper-Pearson style, doubled tail) 99% binomial confidence interval of k/n.
 * The normal approximation is not used: at p = 0.005 and n = 8192 its interval is visibly too narrow on one side.
 */
function withinBinomial99(k: number, n: number, p: number, family = 1): boolean {
  const logPmf = (i: number) =>
    lnGamma(n + 1) - lnGamma(i + 1) - lnGamma(n - i + 1) + i * Math.log(p) + (n - i) * Math.log1p(-p);
  let lower = 0;
  for (let i = 0; i <= k; i++) lower += Math.exp(logPmf(i));
  let upper = 0;
  for (let i = k; i <= n; i++) upper += Math.exp(logPmf(i));
  return 2 * Math.min(lower, upper, 0.5) >= 0.01 / family;
}

/** Frequency of bit `clbit` being 1 over counts keyed highest clbit first. */
function bitOneFrequency(counts: Readonly<Record<string, number>>, clbit: number, shots: number): number {
  let ones = 0;
  for (const [k, c] of Object.entries(counts)) if (k[k.length - 1 - clbit] === '1') ones += c;
  return ones / shots;
}

function ghz(n: number): Circuit {
  const c = new Circuit(n).h(0);
  for (let q = 0; q + 1 < n; q++) c.cx(q, q + 1);
  return c.measureAll();
}

describe('local device registry', () => {
  it('lists the statevector and one fake device per snapshot, and names the known ones for an unknown id', () => {
    expect(listLocalDevices()).toEqual([
      'local.statevector',
      'local.fake_toronto',
      'local.fake_belem',
      'local.fake_lima',
      'local.fake_manila',
      'local.fake_kolkata',
      'local.fake_brisbane',
      'local.fake_fez',
    ]);
    expect(() => getDevice('local.fake_nowhere')).toThrow(UnknownDeviceError);
    expect(() => getDevice('local.fake_nowhere')).toThrow(
      /known devices: local.statevector, local.fake_toronto/,
    );
    expect(getDevice('local.fake_belem')).toBe(getDevice('local.fake_belem'));
    const toronto = getDevice('local.fake_toronto');
    expect(toronto.numQubits).toBe(27);
    expect(toronto.maxShots).toBe(8192);
  });

  it('loads every shipped snapshot as a local device calibration', () => {
    for (const id of listLocalDevices().slice(1)) {
      const cal = fakeCalibration(id.slice('local.fake_'.length));
      expect(cal.provider).toBe('local');
      expect(cal.device).toBe(id.slice('local.'.length));
      expect(cal.qubits.length).toBe(cal.numQubits);
    }
  });
});

describe('local job queue', () => {
  it('runs jobs with created <= started <= finished and measured queue time under bounded concurrency', async () => {
    const dev = createLocalDevice('local.statevector', { maxConcurrentJobs: 1 });
    const bell = new Circuit(2).h(0).cx(0, 1).measureAll();
    const jobs = await Promise.all([1, 2, 3].map((seed) => dev.submit(bell, { shots: 2000, seed })));
    expect(await dev.queueLength()).toBeGreaterThanOrEqual(2);
    expect(jobs[0].record().status).toMatch(/queued|running/);
    const recs = await Promise.all(jobs.map((j) => j.wait()));
    for (const r of recs) {
      expect(r.status).toBe('completed');
      expect(r.startedAt!.getTime()).toBeGreaterThanOrEqual(r.createdAt.getTime());
      expect(r.finishedAt!.getTime()).toBeGreaterThanOrEqual(r.startedAt!.getTime());
      expect(Object.keys(r.counts!).sort()).toEqual(['00', '11']);
      expect(r.counts!['00'] + r.counts!['11']).toBe(2000);
    }
    // One at a time: each job starts after the previous one finished.
    expect(recs[1].startedAt!.getTime()).toBeGreaterThanOrEqual(recs[0].finishedAt!.getTime());
    expect(recs[2].startedAt!.getTime()).toBeGreaterThanOrEqual(recs[1].finishedAt!.getTime());
    expect(dev.stats()).toMatchObject({ queued: 0, running: 0, completed: 3, failed: 0 });
  });

  it('gives the same counts for the same seed', async () => {
    const dev = createLocalDevice('local.fake_lima');
    const c = ghz(3);
    const a = await (await dev.submit(c, { shots: 500, seed: 11 })).wait();
    const b = await (await dev.submit(c, { shots: 500, seed: 11 })).wait();
    expect(a.counts).toEqual(b.counts);
    expect(a.calibratedAt).toBe(fakeCalibration('lima').calibratedAt);
  });

  it('refuses submissions when offline, and when the queue is full (counting the refusal)', async () => {
    const dev = createLocalDevice('local.statevector', { maxQueuedJobs: 1 });
    dev.setStatus('offline');
    expect(await dev.status()).toBe('offline');
    await expect(dev.submit(new Circuit(1).h(0).measureAll(), { shots: 10 })).rejects.toBeInstanceOf(
      DeviceUnavailableError,
    );
    dev.setStatus('online');
    const c = new Circuit(1).h(0).measureAll();
    const first = await dev.submit(c, { shots: 10 });
    // first is dequeued on the next tick; fill the queue synchronously behind it
    const second = await dev.submit(c, { shots: 10 });
    await expect(dev.submit(c, { shots: 10 })).rejects.toBeInstanceOf(QueueFullError);
    expect(dev.stats().rejected).toBe(1);
    await Promise.all([first.wait(), second.wait()]);
  });

  it('cancels a running noisy job between chunks of shots', async () => {
    const dev = createLocalDevice('local.fake_belem', { shotsPerChunk: 16 });
    const job = await dev.submit(ghz(3), { shots: 8000, seed: 1 });
    while (job.record().status === 'queued') await new Promise((r) => setImmediate(r));
    await job.cancel();
    const rec = await job.wait();
    expect(rec.status).toBe('cancelled');
    expect(rec.startedAt).toBeInstanceOf(Date);
    expect(rec.counts).toBeUndefined();
    expect(dev.stats()).toMatchObject({ cancelled: 1, completed: 0, running: 0 });
  });

  it('cancels a queued job', async () => {
    const dev = createLocalDevice('local.statevector');
    const c = new Circuit(1).h(0).measureAll();
    const a = await dev.submit(c, { shots: 10 });
    const b = await dev.submit(c, { shots: 10 });
    await b.cancel();
    expect((await b.wait()).status).toBe('cancelled');
    expect((await a.wait()).status).toBe('completed');
  });
});

describe('bad input is a clear error before any work', () => {
  const toronto = createLocalDevice('local.fake_toronto');
  const c = ghz(2);
  for (const [shots, why] of [
    [0, /at least 1/],
    [-5, /at least 1/],
    [2.5, /integer/],
    [8193, /above the maximum of 8192/],
  ] as const) {
    it(`rejects shots=${shots}`, async () => {
      expect(() => toronto.prepare(c, { shots })).toThrow(why);
      await expect(toronto.submit(c, { shots })).rejects.toBeInstanceOf(SimulatorInputError);
      expect(toronto.stats()).toMatchObject({ queued: 0, running: 0, completed: 0, failed: 0 });
    });
  }

  it('fails a job with too many qubits as a typed failure, not a rejection from wait()', async () => {
    const big = new Circuit(28).h(0).measureAll();
    expect(() => toronto.prepare(big, { shots: 10 })).toThrow(/28 qubits; the device has 27/);
    const job = await toronto.submit(big, { shots: 10 });
    const rec = await job.wait();
    expect(rec.status).toBe('failed');
    expect(rec.error).toEqual({ type: 'too_many_qubits', message: expect.stringContaining('27') });
    expect(rec.counts).toBeUndefined();
  });

  it('fails unknown gates on both kinds of device', async () => {
    const bad = new Circuit(2);
    bad.instructions.push({ name: 'frobnicate', qubits: [0, 1], clbits: [], params: [] });
    expect(() => toronto.prepare(bad, { shots: 10 })).toThrow(/unknown gate 'frobnicate'/);
    const ideal = createLocalDevice('local.statevector');
    expect(() => ideal.prepare(bad, { shots: 10 })).toThrow(/frobnicate/);
    const rec = await (await ideal.submit(bad, { shots: 10 })).wait();
    expect(rec.status).toBe('failed');
    expect(rec.error?.message).toMatch(/frobnicate/);
  });

  it('binds parameters before transpiling, and names a missing one', async () => {
    const dev = createLocalDevice('local.fake_manila');
    const c = new Circuit(2).rx(sym('theta'), 0).cx(0, 1).measureAll();
    expect(() => dev.prepare(c, { shots: 10 })).toThrow(/parameters: no value for theta/);
    const rec = await (await dev.submit(c, { shots: 400, seed: 2, parameters: { theta: Math.PI } })).wait();
    expect(rec.status).toBe('completed');
    // rx(pi) then cx: mostly '11'
    expect(rec.counts!['11']).toBeGreaterThan(300);
  });

  it('fails a state vector that would not fit, saying how much memory it needs', () => {
    const ideal = createLocalDevice('local.statevector', { maxStateBytes: 2 ** 20 });
    expect(() => ideal.prepare(new Circuit(20).h(0), { shots: 1 })).toThrow(/needs 16 MiB/);
  });
});

describe('noise on fake devices reproduces the calibration', () => {
  it('readout confusion matches prob_meas1_prep0 and prob_meas0_prep1 within 99% binomial intervals (family-wise)', async () => {
    const dev = createLocalDevice('local.fake_belem');
    const cal = fakeCalibration('belem');
    const shots = 8192;
    const zeros = new Circuit(5, 5);
    const ones = new Circuit(5, 5);
    for (let q = 0; q < 5; q++) {
      zeros.measure(q, q);
      ones.x(q).measure(q, q);
    }
    for (const [circuit, prepared] of [
      [zeros, 0],
      [ones, 1],
    ] as const) {
      const prep = dev.prepare(circuit, { shots, seed: 3 });
      const rec = await (await dev.submit(circuit, { shots, seed: 3 })).wait();
      expect(rec.status).toBe('completed');
      for (let l = 0; l < 5; l++) {
        const physical = prep.transpiled!.finalLayout[l];
        const q = cal.qubits[physical];
        let expected: number;
        if (prepared === 0) expected = q.probMeas1Prep0!;
        else {
          // x's own error: a Pauli X or Y (2 of the 3) undoes it, and relaxation during it decays 1 -> 0.
          const local = prep.physicalQubits!.indexOf(physical);
          const ch = gateChannel(prep.noise!, 'x', [local]);
          const gamma = ch?.relaxations[0]?.gamma ?? 0;
          const flipped = ((ch?.pauliProbability ?? 0) * 2) / 3;
          const pZero = flipped + (1 - flipped) * gamma;
          // reading 0 when x was applied
          expected = (1 - pZero) * q.probMeas0Prep1! + pZero * (1 - q.probMeas1Prep0!);
        }
        const observed =
          prepared === 0
            ? bitOneFrequency(rec.counts!, l, shots)
            : 1 - bitOneFrequency(rec.counts!, l, shots);
        const k = Math.round(observed * shots);
        expect(
          withinBinomial99(k, shots, expected, 10),
          `qubit ${physical} prepared ${prepared}: ${k}/${shots} vs ${expected}`,
        ).toBe(true);
      }
    }
  });

  it('depolarizing statistics of repeated x gates match an exact classical model of the channels', async () => {
    const dev = createLocalDevice('local.fake_belem');
    const cal = fakeCalibration('belem');
    const shots = 8192;
    const reps = 41;
    const c = new Circuit(1, 1);
    for (let r = 0; r < reps; r++) c.x(0).barrier(0);
    c.measure(0, 0);
    const prep = dev.prepare(c, { shots, seed: 8 });
    expect(prep.circuit.instructions.filter((i) => i.name === 'x')).toHaveLength(reps);
    const ch = gateChannel(prep.noise!, 'x', [0])!;
    expect(ch.depolarizing).toBeGreaterThan(0);
    const gamma = ch.relaxations[0]?.gamma ?? 0;
    // x flips the bit; a Pauli X or Y (2 of 3) flips it back; relaxation decays 1 -> 0.
    let p1 = 0;
    for (let r = 0; r < reps; r++) {
      p1 = 1 - p1;
      p1 = p1 * (1 - (2 / 3) * ch.pauliProbability) + (1 - p1) * (2 / 3) * ch.pauliProbability;
      p1 *= 1 - gamma;
    }
    const q = cal.qubits[prep.transpiled!.finalLayout[0]];
    const expected = p1 * (1 - q.probMeas0Prep1!) + (1 - p1) * q.probMeas1Prep0!;
    const rec = await (await dev.submit(c, { shots, seed: 8 })).wait();
    const observed = (rec.counts!['1'] ?? 0) / shots;
    expect(withinBinomial99(rec.counts!['1'] ?? 0, shots, expected), `${observed} vs ${expected}`).toBe(true);
    // 41 error-free x gates would leave the qubit in 1 with only readout error.
    expect(1 - p1).toBeGreaterThan(0.005);
  });

  it('depolarizing statistics of repeated cx gates match an exact classical model of the channels', async () => {
    const dev = createLocalDevice('local.fake_belem');
    const cal = fakeCalibration('belem');
    const shots = 8192;
    const reps = 24;
    // cx on |00> keeps the state a mixture of basis states: Pauli errors flip bits, relaxation decays 1 -> 0,
    // so the exact outcome distribution is a 4-state Markov chain (barriers keep every gate in place).
    const c = new Circuit(2, 2);
    for (let r = 0; r < reps; r++) c.cx(0, 1).barrier(0, 1);
    c.measure(0, 0).measure(1, 1);
    const prep = dev.prepare(c, { shots, seed: 5 });
    expect(prep.transpiled!.swapCount).toBe(0);
    const cxs = prep.circuit.instructions.filter((i) => i.name === 'cx');
    expect(cxs).toHaveLength(reps);
    const [a, b] = cxs[0].qubits; // compact indices; logical 0 and 1 by construction of the layout
    const ch = gateChannel(prep.noise!, 'cx', [a, b])!;
    expect(ch.depolarizing).toBeGreaterThan(0);
    const gammaOf = (q: number) => ch.relaxations.find((r) => r.qubit === q)?.gamma ?? 0;
    const la = prep.transpiled!.finalLayout.map((p) => prep.physicalQubits!.indexOf(p));
    // state index: bit0 = logical 0 (control), bit1 = logical 1 (target)
    const ctrl = la[0] === a ? 0 : 1;
    let dist = [1, 0, 0, 0];
    const flipWeights = [3, 4, 4, 4]; // non-identity two-qubit Paulis per bit-flip pattern
    for (let r = 0; r < reps; r++) {
      const next = [0, 0, 0, 0];
      for (let s = 0; s < 4; s++) {
        const cb = (s >> ctrl) & 1;
        const afterCx = cb ? s ^ (1 << (1 - ctrl)) : s;
        next[afterCx] += dist[s];
      }
      const dep = [0, 0, 0, 0];
      for (let s = 0; s < 4; s++)
        for (let f = 0; f < 4; f++) {
          const w =
            f === 0
              ? 1 - ch.pauliProbability + (ch.pauliProbability * 3) / 15
              : (ch.pauliProbability * flipWeights[f]) / 15;
          dep[s ^ f] += next[s] * w;
        }
      const relaxed = [0, 0, 0, 0];
      const gamma = [gammaOf(la[0]), gammaOf(la[1])];
      for (let s = 0; s < 4; s++) {
        // each excited qubit decays independently
        for (let keep = 0; keep < 4; keep++) {
          if ((keep & s) !== keep) continue;
          let w = 1;
          for (let bit = 0; bit < 2; bit++)
            if ((s >> bit) & 1) w *= (keep >> bit) & 1 ? 1 - gamma[bit] : gamma[bit];
          relaxed[keep] += dep[s] * w;
        }
      }
      dist = relaxed;
    }
    // readout confusion per logical qubit
    const physical = [0, 1].map((l) => prep.transpiled!.finalLayout[l]);
    const flips = physical.map((p) => [cal.qubits[p].probMeas1Prep0!, cal.qubits[p].probMeas0Prep1!]);
    const read = [0, 0, 0, 0];
    for (let s = 0; s < 4; s++)
      for (let o = 0; o < 4; o++) {
        let w = 1;
        for (let bit = 0; bit < 2; bit++) {
          const truth = (s >> bit) & 1;
          const flip = flips[bit][truth];
          w *= ((o >> bit) & 1) === truth ? 1 - flip : flip;
        }
        read[o] += dist[s] * w;
      }
    const rec = await (await dev.submit(c, { shots, seed: 5 })).wait();
    for (let o = 0; o < 4; o++) {
      const key = `${(o >> 1) & 1}${o & 1}`;
      const observed = (rec.counts![key] ?? 0) / shots;
      expect(
        withinBinomial99(rec.counts![key] ?? 0, shots, read[o], 4),
        `outcome ${key}: ${observed} vs ${read[o]}`,
      ).toBe(true);
    }
    // The gate errors are visible: readout alone would leave more '00' than this.
    expect(read[0]).toBeLessThan((1 - flips[0][0]) * (1 - flips[1][0]) - 0.01);
  });

  it('GHZ-5 on fake_toronto: Hellinger fidelity lies between the clean-run lower bound and 1, and tracks the ESP', async () => {
    const dev = createLocalDevice('local.fake_toronto');
    const shots = 4000;
    const rows: Array<{ n: number; esp: number; bound: number; fidelity: number }> = [];
    for (const n of [2, 3, 4, 5, 6]) {
      const c = ghz(n);
      const prep = dev.prepare(c, { shots, seed: 9 });
      const rec = await (await dev.submit(c, { shots, seed: 9 })).wait();
      const ideal = simulate(c, { shots: 100_000, seed: 1 });
      rows.push({
        n,
        esp: prep.esp!,
        bound: cleanRunProbability(prep, n),
        fidelity: hellingerFidelity(rec.counts!, ideal.counts),
      });
    }
    const five = rows.find((r) => r.n === 5)!;
    expect(five.fidelity).toBeLessThan(1);
    // Documented in docs/devices.md: F_H >= P(clean trajectory), less a sampling margin of 0.01.
    for (const r of rows) expect(r.fidelity, `GHZ-${r.n}`).toBeGreaterThanOrEqual(r.bound - 0.01);
    expect(five.bound).toBeGreaterThan(0.3);
    // Tracks: a larger GHZ has a lower ESP and a lower fidelity, and they stay close.
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i].esp).toBeLessThan(rows[i - 1].esp);
      expect(rows[i].fidelity).toBeLessThan(rows[i - 1].fidelity);
    }
  });
});

/**
 * Probability that a trajectory of a GHZ run meets no error at all: no Pauli drawn after any gate, no
 * relaxation jump or phase flip, and no readout flip (averaged over the two ideal outcomes 0..0 and 1..1).
 * Counts are then ideal with at least this weight, so the Bhattacharyya coefficient is >= sqrt(bound) and
 * Qiskit's Hellinger fidelity (its square) is >= bound, to first order in the relaxation (the no-jump branch
 * of amplitude damping is not exactly the identity).
 */
function cleanRunProbability(prep: PreparedCircuit, n: number): number {
  let p = 1;
  for (const inst of prep.circuit.instructions) {
    if (!Circuit.isGate(inst)) continue;
    const ch = gateChannel(prep.noise!, inst.name, inst.qubits);
    if (!ch) continue;
    p *= 1 - ch.pauliProbability;
    for (const r of ch.relaxations) p *= (1 - r.gamma) * (1 - r.phaseFlip);
  }
  const measured = prep.circuit.instructions
    .filter((i) => i.name === 'measure')
    .map((i) => prep.noise!.qubits[i.qubits[0]]);
  expect(measured).toHaveLength(n);
  let zeros = 1;
  let ones = 1;
  for (const q of measured) {
    zeros *= 1 - q.probMeas1Prep0!;
    ones *= 1 - q.probMeas0Prep1!;
  }
  return p * ((zeros + ones) / 2);
}

describe('deviceFromCalibration', () => {
  it('builds a noisy device from a user snapshot and a noise model restricted to chosen qubits', async () => {
    const cal = { ...fakeCalibration('manila'), device: 'my_manila' };
    const dev = deviceFromCalibration(cal);
    expect(dev.id).toBe('local.fake_my_manila');
    const rec = await (await dev.submit(ghz(3), { shots: 200, seed: 1 })).wait();
    expect(rec.status).toBe('completed');
    const model = noiseModelFromCalibration(cal, [3, 4]);
    expect(model.qubits).toHaveLength(2);
    expect(model.qubits[0].t1Seconds).toBe(cal.qubits[3].t1Seconds);
    const cx = cal.gates.find((g) => g.gate === 'cx' && g.qubits[0] === 3 && g.qubits[1] === 4)!;
    expect(model.gates.get('cx:0_1')).toEqual({ error: cx.error, lengthSeconds: cx.lengthSeconds });
    expect([...model.gates.keys()].every((k) => /:[01](_[01])?$/.test(k))).toBe(true);
  });
});

describe('recalibration', () => {
  it('uses a replaced calibration for later jobs: a worse readout error shows in the counts', async () => {
    const { createLocalDevice, fakeCalibration } = await import('../registry.js');
    const device = createLocalDevice('local.fake_lima');
    const cal = fakeCalibration('lima');
    const circuit = new Circuit(1, 1).measure(0, 0);
    const before = await (await device.submit(circuit, { shots: 4000, seed: 3 })).wait();
    const worse = {
      ...cal,
      qubits: cal.qubits.map((q) => ({ ...q, probMeas1Prep0: 0.3, readoutError: 0.3 })),
    };
    device.setCalibration(worse);
    const after = await (await device.submit(circuit, { shots: 4000, seed: 3 })).wait();
    expect((before.counts?.['1'] ?? 0) / 4000).toBeLessThan(0.1);
    expect((after.counts?.['1'] ?? 0) / 4000).toBeGreaterThan(0.25);
    expect(() => createLocalDevice('local.statevector').setCalibration(cal)).toThrow(/ideal/);
  });
});
