// Submission helpers: checks before any request, OpenQASM 3 for providers, each provider's bit order mapped to
// the project's (highest clbit first), probabilities rounded to whole shots.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Circuit, parseQasm, sym } from '../circuit/index.js';
import { simulate } from '../sim/index.js';
import { ProviderResponseError, ProviderTimeoutError } from './provider.js';
import {
  checkSubmission,
  countsFromProbabilities,
  countsFromQubitShots,
  countsFromRegisterSamples,
  emitQasm3,
  keyedProbabilities,
  polledJob,
  SubmissionError,
} from './submission.js';
import type { JobRecord } from './types.js';

describe('checkSubmission', () => {
  const c = new Circuit(2).h(0).cx(0, 1).measureAll();
  it('names the field at fault', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(SubmissionError);
        return (e as SubmissionError).field;
      }
      return undefined;
    };
    expect(field(() => checkSubmission('ibm', c, { shots: 0 }))).toBe('shots');
    expect(field(() => checkSubmission('ibm', c, { shots: 2.5 }))).toBe('shots');
    expect(field(() => checkSubmission('ibm', c, { shots: 10 }, { maxShots: 5 }))).toBe('shots');
    expect(field(() => checkSubmission('ibm', new Circuit(2).h(0), { shots: 10 }))).toBe('circuit');
    expect(field(() => checkSubmission('ibm', c, { shots: 10 }, { numQubits: 1 }))).toBe('circuit');
    const p = new Circuit(1, 1).ry(sym('a'), 0).measure(0, 0);
    expect(field(() => checkSubmission('ibm', p, { shots: 10 }))).toBe('parameters');
    expect(checkSubmission('ibm', p, { shots: 10, parameters: { a: 0.5 } }).inputs).toEqual([]);
  });
});

describe('emitQasm3', () => {
  it('writes physical qubits for IBM and Braket names for Braket', () => {
    const c = new Circuit(2, 2).rz(0.25, 0).sx(0).cx(0, 1).measure(1, 0);
    const ibm = emitQasm3('ibm', c, { qubit: (q) => `$${q}`, declareQubits: false, include: true });
    expect(ibm).toBe(
      'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[2] c;\nrz(0.25) $0;\nsx $0;\ncx $0, $1;\nc[0] = measure $1;\n',
    );
    const braket = emitQasm3('braket', new Circuit(2, 1).cx(1, 0).sdg(1).measure(0, 0), {
      qubit: (q) => `q[${q}]`,
      gate: (g) => ({ cx: 'cnot', sdg: 'si' })[g] ?? g,
      declareQubits: true,
      include: false,
    });
    expect(braket).toBe(
      'OPENQASM 3.0;\nqubit[2] q;\nbit[1] c;\ncnot q[1], q[0];\nsi q[1];\nc[0] = measure q[0];\n',
    );
  });

  it('reads back as the same circuit (property: random one- and two-qubit gates, full-precision angles)', () => {
    const gate = fc.oneof(
      fc.record({ g: fc.constantFrom('h', 'x', 'sx', 's', 't'), q: fc.nat(2) }),
      fc.record({
        g: fc.constantFrom('rz', 'ry', 'rx'),
        q: fc.nat(2),
        a: fc.double({ min: -7, max: 7, noNaN: true }),
      }),
      fc.record({ g: fc.constant('cx'), q: fc.nat(2), t: fc.nat(2) }),
    );
    fc.assert(
      fc.property(fc.array(gate, { maxLength: 20 }), (gates) => {
        const c = new Circuit(3, 3);
        for (const x of gates) {
          const r = x as { g: string; q: number; a?: number; t?: number };
          if (r.g === 'cx') {
            if (r.t === r.q) continue;
            c.cx(r.q, r.t!);
          } else if (r.a !== undefined)
            (c as unknown as Record<string, (a: number, q: number) => void>)[r.g](r.a, r.q);
          else (c as unknown as Record<string, (q: number) => void>)[r.g](r.q);
        }
        c.measure(0, 2).measure(2, 0);
        const text = emitQasm3('ibm', c, { qubit: (q) => `q[${q}]`, declareQubits: true, include: true });
        const back = parseQasm(text);
        // -0 is written as 0: the same rotation.
        const shape = (x: Circuit) =>
          x.instructions.map((i) => [i.name, i.qubits, i.clbits, i.params.map((p) => (p === 0 ? 0 : p))]);
        expect(shape(back)).toEqual(shape(c));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses an unbound parameter', () => {
    const c = new Circuit(1, 1).rz(sym('t'), 0).measure(0, 0);
    expect(() => emitQasm3('ibm', c, { qubit: (q) => `$${q}`, declareQubits: false, include: true })).toThrow(
      SubmissionError,
    );
  });
});

describe('bit order, provider by provider, from documented examples', () => {
  it('IBM SamplerV2: hex samples per register, bit i of the value is the register bit i', () => {
    const c = new Circuit(3);
    c.addCreg('a', 2);
    c.addCreg('b', 1);
    c.measure(0, 0).measure(1, 1).measure(2, 2);
    // a = 0x1 (a[0] = 1, clbit 0) and b = 0x1 (clbit 2): `101`; a = 0x2 (clbit 1), b = 0: `010`.
    const counts = countsFromRegisterSamples('ibm', c, {
      a: ['0x1', '0x2', '0x1'],
      b: ['0x1', '0x0', '0x1'],
    });
    expect(counts).toEqual({ '101': 2, '010': 1 });
    expect(() => countsFromRegisterSamples('ibm', c, { a: ['0x1'] })).toThrow(ProviderResponseError);
    expect(() => countsFromRegisterSamples('ibm', c, { a: ['1'], b: ['0x0'] })).toThrow(/hex/);
  });

  it('Braket: measurement rows follow measuredQubits; clbits take their measured qubit', () => {
    const c = new Circuit(3, 2).measure(0, 0).measure(2, 1);
    // measuredQubits [2, 0]: row [1, 0] is q2 = 1 (clbit 1) -> `10`; row [0, 1] is q0 = 1 (clbit 0) -> `01`.
    expect(
      countsFromQubitShots(
        'braket',
        c,
        [2, 0],
        [
          [1, 0],
          [0, 1],
          [0, 1],
        ],
      ),
    ).toEqual({ '10': 1, '01': 2 });
    expect(() => countsFromQubitShots('braket', c, [0], [[1]])).toThrow(/qubit 2/);
  });

  it('IonQ: decimal outcomes, qubit i is bit i (little-endian)', () => {
    const c = new Circuit(2, 2).measure(0, 1).measure(1, 0);
    const entries = Object.entries({ '1': 0.3, '2': 0.7 }).map(
      ([k, p]) => [(q: number) => (Number(k) >> q) & 1, p] as const,
    );
    // 1 = qubit 0 set, into clbit 1: `10`; 2 = qubit 1 set, into clbit 0: `01`.
    expect(countsFromProbabilities(keyedProbabilities(entries, c), 10)).toEqual({ '10': 3, '01': 7 });
  });

  it('agrees with the simulator on random circuits: samples rebuilt per register give the same counts', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(2), { minLength: 1, maxLength: 3 }), fc.nat(1000), (flips, seed) => {
        const c = new Circuit(3);
        c.addCreg('x', 2);
        c.addCreg('y', 1);
        for (const q of flips) c.h(q);
        c.measure(2, 0).measure(0, 1).measure(1, 2);
        const counts = simulate(c, { shots: 50, seed }).counts;
        const samples: Record<string, string[]> = { x: [], y: [] };
        for (const [key, n] of Object.entries(counts))
          for (let i = 0; i < n; i++) {
            const bit = (clbit: number) => Number(key[key.length - 1 - clbit]);
            samples.x.push(`0x${(bit(0) | (bit(1) << 1)).toString(16)}`);
            samples.y.push(`0x${bit(2).toString(16)}`);
          }
        expect(countsFromRegisterSamples('ibm', c, samples)).toEqual(counts);
      }),
      { numRuns: 100 },
    );
  });
});

describe('countsFromProbabilities', () => {
  it('whole counts summing to the shots, each within one of p * shots (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: 1, max: 100_000 }),
        (ps, shots) => {
          const total = ps.reduce((a, b) => a + b, 0);
          fc.pre(total > 0);
          const m = new Map(ps.map((p, i) => [i.toString(2).padStart(4, '0'), p]));
          const counts = countsFromProbabilities(m, shots);
          expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(shots);
          for (const [k, p] of m)
            expect(Math.abs((counts[k] ?? 0) - (p / total) * shots)).toBeLessThan(1 + 1e-9);
        },
      ),
    );
  });
});

describe('polledJob', () => {
  const rec = (status: JobRecord['status']): JobRecord => ({
    id: 'j',
    provider: 'ionq',
    device: 'd',
    status,
    shots: 1,
    createdAt: new Date(0),
  });

  it('backs off exponentially to the cap and shares one loop between waiters', async () => {
    const sleeps: number[] = [];
    const states: JobRecord['status'][] = ['queued', 'queued', 'running', 'running', 'running', 'completed'];
    let reads = 0;
    const h = polledJob(
      'ionq',
      rec('queued'),
      async () => rec(states[reads++]),
      async () => {},
      {
        pollMs: 5,
        maxPollMs: 20,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      },
    );
    const [a, b] = await Promise.all([h.wait(), h.wait()]);
    expect(a.status).toBe('completed');
    expect(b).toBe(a);
    expect(sleeps).toEqual([5, 10, 20, 20, 20, 20]);
    expect(reads).toBe(6);
  });

  it('gives up with a timeout error after waitTimeoutMs', async () => {
    const h = polledJob(
      'ionq',
      rec('queued'),
      async () => rec('queued'),
      async () => {},
      {
        pollMs: 1,
        waitTimeoutMs: 20,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms + 5)),
      },
    );
    await expect(h.wait()).rejects.toBeInstanceOf(ProviderTimeoutError);
  });
});
