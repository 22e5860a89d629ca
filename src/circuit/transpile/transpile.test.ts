import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sym as symbol } from '../expr.js';
import { GATES } from '../gates.js';
import { Circuit } from '../ir.js';
import { couplingGraph, initialLayout, transpile, TranspileError, zsxSequence, zyz } from './index.js';
import { lowerInstruction } from './synth.js';

// A plain state-vector applier written for clarity (tests only): unitary gates, measure/barrier ignored.
function applyGate(state: Float64Array, n: number, m: Float64Array, qubits: readonly number[]): void {
  const k = qubits.length;
  const dim = 1 << k;
  let mask = 0;
  for (const q of qubits) mask |= 1 << q;
  const idx = new Array<number>(dim);
  const re = new Float64Array(dim);
  const im = new Float64Array(dim);
  for (let base = 0; base < 1 << n; base++) {
    if (base & mask) continue;
    for (let j = 0; j < dim; j++) {
      let i = base;
      for (let b = 0; b < k; b++) if ((j >> b) & 1) i |= 1 << qubits[b];
      idx[j] = i;
      re[j] = state[2 * i];
      im[j] = state[2 * i + 1];
    }
    for (let r = 0; r < dim; r++) {
      let sr = 0;
      let si = 0;
      for (let c = 0; c < dim; c++) {
        const mr = m[2 * (r * dim + c)];
        const mi = m[2 * (r * dim + c) + 1];
        sr += mr * re[c] - mi * im[c];
        si += mr * im[c] + mi * re[c];
      }
      state[2 * idx[r]] = sr;
      state[2 * idx[r] + 1] = si;
    }
  }
}

function run(circuit: Circuit, qubitMap?: (q: number) => number, n = circuit.numQubits): Float64Array {
  const state = new Float64Array(2 << n);
  state[0] = 1;
  for (const inst of circuit.instructions) {
    if (!Circuit.isGate(inst)) continue;
    const params = inst.params.map((p) => p as number);
    applyGate(state, n, GATES.get(inst.name)!.matrix(params), inst.qubits.map(qubitMap ?? ((q) => q)));
  }
  return state;
}

/** |<a|b>|: 1 when the states agree up to a global phase. */
function overlap(a: Float64Array, b: Float64Array): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < a.length; i += 2) {
    re += a[i] * b[i] + a[i + 1] * b[i + 1];
    im += a[i] * b[i + 1] - a[i + 1] * b[i];
  }
  return Math.hypot(re, im);
}

/** The logical state moved onto physical qubits by a layout (logical l at physical layout[l], others |0>). */
function placed(
  logical: Float64Array,
  nLogical: number,
  layout: readonly number[],
  nPhysical: number,
): Float64Array {
  const out = new Float64Array(2 << nPhysical);
  for (let i = 0; i < 1 << nLogical; i++) {
    let j = 0;
    for (let l = 0; l < nLogical; l++) if ((i >> l) & 1) j |= 1 << layout[l];
    out[2 * j] = logical[2 * i];
    out[2 * j + 1] = logical[2 * i + 1];
  }
  return out;
}

const ONE_Q = [
  'id',
  'x',
  'y',
  'z',
  'h',
  's',
  'sdg',
  't',
  'tdg',
  'sx',
  'sxdg',
  'rx',
  'ry',
  'rz',
  'p',
  'u',
  'u2',
];
const TWO_Q = [
  'cx',
  'cy',
  'cz',
  'ch',
  'swap',
  'crx',
  'cry',
  'crz',
  'cp',
  'cu',
  'cu3',
  'rxx',
  'ryy',
  'rzz',
  'ecr',
  'iswap',
];
const THREE_Q = ['ccx', 'cswap', 'rccx'];

const angle = fc.double({ min: -Math.PI, max: Math.PI, noNaN: true });

function randomCircuit(n: number) {
  const gate = fc.oneof(
    fc.record({
      name: fc.constantFrom(...ONE_Q),
      qs: fc.shuffledSubarray([...Array(n).keys()], { minLength: 1, maxLength: 1 }),
    }),
    ...(n >= 2
      ? [
          fc.record({
            name: fc.constantFrom(...TWO_Q),
            qs: fc.shuffledSubarray([...Array(n).keys()], { minLength: 2, maxLength: 2 }),
          }),
        ]
      : []),
    ...(n >= 3
      ? [
          fc.record({
            name: fc.constantFrom(...THREE_Q),
            qs: fc.shuffledSubarray([...Array(n).keys()], { minLength: 3, maxLength: 3 }),
          }),
        ]
      : []),
  );
  return fc
    .array(fc.tuple(gate, fc.array(angle, { minLength: 4, maxLength: 4 })), { minLength: 1, maxLength: 30 })
    .map((gs) => {
      const c = new Circuit(n);
      for (const [g, ps] of gs) c.gate(g.name, g.qs, ps.slice(0, GATES.get(g.name)!.numParams));
      return c;
    });
}

const line = (n: number) => Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number]);
const both = (pairs: Array<[number, number]>) =>
  pairs.flatMap(([a, b]) => [[a, b] as [number, number], [b, a] as [number, number]]);
const TOPOLOGIES: Record<string, { n: number; map: Array<[number, number]> }> = {
  // one direction only: forces cx reversal
  line8: { n: 8, map: line(8) },
  ring6: { n: 6, map: both([...line(6), [5, 0]]) },
  grid2x4: { n: 8, map: both([...line(4), [4, 5], [5, 6], [6, 7], [0, 4], [1, 5], [2, 6], [3, 7]]) },
  // belem's T shape
  tee5: {
    n: 5,
    map: both([
      [0, 1],
      [1, 2],
      [1, 3],
      [3, 4],
    ]),
  },
};
const BASES: Record<string, string[]> = {
  cx: ['id', 'rz', 'sx', 'x', 'cx'],
  ecr: ['ecr', 'id', 'rz', 'sx', 'x'],
  cz: ['cz', 'id', 'rz', 'sx', 'x'],
  u: ['u', 'cx'],
};

describe('one-qubit synthesis', () => {
  it('zyz angles reproduce every one-qubit library gate exactly, and ZSX up to phase', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ONE_Q), fc.array(angle, { minLength: 3, maxLength: 3 }), (name, ps) => {
        const m = GATES.get(name)!.matrix(ps.slice(0, GATES.get(name)!.numParams));
        const { alpha, theta, phi, lambda } = zyz(m);
        const s = new Float64Array([1, 0, 0, 0]);
        const s2 = new Float64Array([0, 0, 1, 0]);
        for (const state of [s, s2]) {
          const want = state.slice();
          applyGate(want, 1, m, [0]);
          const got = state.slice();
          applyGate(got, 1, GATES.get('rz')!.matrix([lambda]), [0]);
          applyGate(got, 1, GATES.get('ry')!.matrix([theta]), [0]);
          applyGate(got, 1, GATES.get('rz')!.matrix([phi]), [0]);
          const c = Math.cos(alpha);
          const si = Math.sin(alpha);
          for (let i = 0; i < 4; i += 2) {
            expect(got[i] * c - got[i + 1] * si).toBeCloseTo(want[i], 10);
            expect(got[i] * si + got[i + 1] * c).toBeCloseTo(want[i + 1], 10);
          }
        }
        // ZSX: compare the full matrix up to phase through both basis columns and their superposition.
        for (const init of [
          new Float64Array([1, 0, 0, 0]),
          new Float64Array([0, 0, 1, 0]),
          new Float64Array([Math.SQRT1_2, 0, 0, Math.SQRT1_2]),
        ]) {
          const want = init.slice();
          applyGate(want, 1, m, [0]);
          const got = init.slice();
          for (const g of zsxSequence(m))
            applyGate(got, 1, GATES.get(g.name)!.matrix(g.param === undefined ? [] : [g.param]), [0]);
          expect(overlap(want, got)).toBeCloseTo(1, 10);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('lowers every two- and three-qubit library gate exactly (including phase) to cx and one-qubit gates', () => {
    for (const name of [...TWO_Q, 'ccx', 'cswap']) {
      const spec = GATES.get(name)!;
      const ps = [0.3, -1.1, 2.2, 0.7].slice(0, spec.numParams);
      const qubits = spec.numQubits === 2 ? [2, 0] : [1, 2, 0];
      const c = new Circuit(3);
      c.gate(name, qubits, ps);
      const lowered = new Circuit(3);
      lowerInstruction(c.instructions[0], (i) => lowered.append(i));
      for (const inst of lowered.instructions)
        expect(inst.name === 'cx' || GATES.get(inst.name)!.numQubits === 1).toBe(true);
      // Compare on a random-ish entangled input so relative phases between branches matter.
      const prep = new Circuit(3).h(0).ry(0.4, 1).cx(0, 2).rx(1.3, 2).t(1);
      const withGate = prep.clone();
      withGate.append(c.instructions[0]);
      const a = run(withGate);
      const withLowered = prep.clone();
      for (const inst of lowered.instructions) withLowered.append(inst);
      const b = run(withLowered);
      for (let i = 0; i < a.length; i++) expect(b[i], `${name} amplitude ${i}`).toBeCloseTo(a[i], 10);
    }
  });
});

describe('transpile', () => {
  for (const [topo, { n, map }] of Object.entries(TOPOLOGIES)) {
    for (const [basisName, basis] of Object.entries(BASES)) {
      it(`routes random circuits on ${topo} into the ${basisName} basis, equivalent up to the final layout`, () => {
        const directed = new Set(map.map(([a, b]) => `${a}_${b}`));
        fc.assert(
          fc.property(
            fc.integer({ min: 2, max: n }).chain((k) => randomCircuit(k)),
            fc.integer({ min: 0, max: 1000 }),
            (circuit, seed) => {
              const r = transpile(circuit, { numQubits: n, basisGates: basis, couplingMap: map, seed });
              const allowed = new Set(basis);
              for (const inst of r.circuit.instructions) {
                expect(allowed.has(inst.name), `${inst.name} not in basis`).toBe(true);
                if (inst.qubits.length === 2)
                  expect(directed.has(`${inst.qubits[0]}_${inst.qubits[1]}`) || inst.name === 'cz').toBe(
                    true,
                  );
                if (inst.name === 'cz')
                  expect(
                    directed.has(`${inst.qubits[0]}_${inst.qubits[1]}`) ||
                      directed.has(`${inst.qubits[1]}_${inst.qubits[0]}`),
                  ).toBe(true);
              }
              const want = placed(run(circuit), circuit.numQubits, r.finalLayout, n);
              const got = run(r.circuit, undefined, n);
              expect(overlap(want, got)).toBeCloseTo(1, 8);
              expect(r.twoQubitCount).toBe(
                r.circuit.instructions.filter((i) => i.qubits.length === 2).length,
              );
            },
          ),
          { numRuns: 25 },
        );
      });
    }
  }

  it('keeps measurements on the physical qubit that holds the logical qubit at that point', () => {
    const c = new Circuit(3, 3).h(0).cx(0, 2).cx(1, 2).cx(0, 1);
    for (let q = 0; q < 3; q++) c.measure(q, q);
    const r = transpile(c, { numQubits: 5, basisGates: BASES.cx, couplingMap: line(5) });
    const measures = r.circuit.instructions.filter((i) => i.name === 'measure');
    expect(measures.map((m) => m.clbits[0]).sort()).toEqual([0, 1, 2]);
    for (const m of measures) expect(m.qubits[0]).toBe(r.finalLayout[m.clbits[0]]);
    expect(r.circuit.numClbits).toBe(3);
  });

  it('does not route a two-qubit measurement or barrier as a gate', () => {
    const c = new Circuit(3, 2).h(0).cx(0, 1);
    c.append({ name: 'measure', qubits: [0, 2], clbits: [0, 1], params: [] });
    const r = transpile(c, {
      numQubits: 3,
      basisGates: BASES.cx,
      couplingMap: both(line(3)),
      initialLayout: [0, 1, 2],
    });
    expect(r.swapCount).toBe(0);
    expect(r.circuit.instructions.at(-1)).toMatchObject({ name: 'measure', qubits: [0, 2], clbits: [0, 1] });
  });

  it('prefers the best-calibrated connected qubits for the initial layout', () => {
    const map = both([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
    const graph = couplingGraph(6, map);
    const qubitError = [0.2, 0.2, 0.01, 0.01, 0.01, 0.3];
    const layout = initialLayout(
      3,
      [
        [0, 1],
        [1, 2],
      ],
      graph,
      { qubitError },
    );
    expect([...layout].sort()).toEqual([2, 3, 4]);
    // The middle logical qubit (two partners) sits in the middle.
    expect(layout[1]).toBe(3);
  });

  it('takes a slightly worse qubit when that saves a SWAP', () => {
    // Star 0-{1,2,3} plus 3-4: the best four qubits form a star, where a 4-chain needs a SWAP; 1-0-3-4 is a path.
    const map = both([
      [0, 1],
      [0, 2],
      [0, 3],
      [3, 4],
    ]);
    const edgeError = new Map(['0_1', '0_2', '0_3', '3_4'].map((k) => [k, 0.01]));
    const qubitError = [0.01, 0.01, 0.01, 0.01, 0.02];
    const chain = new Circuit(4).h(0).cx(0, 1).cx(1, 2).cx(2, 3);
    const r = transpile(chain, {
      numQubits: 5,
      basisGates: BASES.cx,
      couplingMap: map,
      qubitError,
      edgeError,
    });
    expect([...r.initialLayout].sort()).toEqual([0, 1, 3, 4]);
    expect(r.swapCount).toBe(0);
    // Were a SWAP cheap, the best qubits would win.
    const cheap = new Map([...edgeError.keys()].map((k) => [k, 0]));
    const layout = initialLayout(
      4,
      [
        [0, 1],
        [1, 2],
        [2, 3],
      ],
      couplingGraph(5, map),
      { qubitError, edgeError: cheap },
    );
    expect([...layout].sort()).toEqual([0, 1, 2, 3]);
  });

  it('needs no SWAP when the circuit fits the coupling, and reports depth and two-qubit count', () => {
    const ghz = new Circuit(3).h(0).cx(0, 1).cx(1, 2);
    const r = transpile(ghz, {
      numQubits: 3,
      basisGates: BASES.cx,
      couplingMap: both(line(3)),
      initialLayout: [0, 1, 2],
    });
    expect(r.swapCount).toBe(0);
    expect(r.twoQubitCount).toBe(2);
    expect(r.finalLayout).toEqual([0, 1, 2]);
    // h -> rz sx rz (3 layers) then two cx
    expect(r.depth).toBe(5);
  });

  it('can confine routing to the initial layout, so no ancilla qubit is touched', () => {
    // A 5-ring whose good qubits 0..3 form a line: the bad qubit 4 is a shortcut free routing takes.
    const ring5 = both([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 0],
    ]);
    const c = new Circuit(4).h(0);
    for (let k = 0; k < 3; k++) c.cx(0, 3).cx(1, 2).cx(0, 2).cx(1, 3);
    const qubitError = [0, 0, 0, 0, 0.5];
    const outside = (confineToLayout: boolean, seed: number) => {
      const r = transpile(c, {
        numQubits: 5,
        basisGates: BASES.cx,
        couplingMap: ring5,
        seed,
        qubitError,
        confineToLayout,
      });
      const want = placed(run(c), 4, r.finalLayout, 5);
      expect(overlap(want, run(r.circuit, undefined, 5))).toBeCloseTo(1, 8);
      return r.circuit.instructions.some((i) => i.qubits.some((q) => !r.initialLayout.includes(q)));
    };
    for (let seed = 0; seed < 10; seed++) {
      expect(outside(false, seed)).toBe(true);
      expect(outside(true, seed)).toBe(false);
    }
  });

  it('is deterministic for a seed', () => {
    const c = new Circuit(5).h(0).cx(0, 4).cx(1, 3).cx(2, 4).cx(0, 3).cx(1, 4);
    const a = transpile(c, { numQubits: 8, basisGates: BASES.cx, couplingMap: line(8), seed: 7 });
    const b = transpile(c, { numQubits: 8, basisGates: BASES.cx, couplingMap: line(8), seed: 7 });
    expect(a.circuit.instructions).toEqual(b.circuit.instructions);
  });

  it('fails clearly on too many qubits, unbound parameters and gates it cannot lower', () => {
    expect(() =>
      transpile(new Circuit(6).h(0), { numQubits: 5, basisGates: BASES.cx, couplingMap: line(5) }),
    ).toThrow(/6 qubits; the device has 5/);
    const sym = new Circuit(1).rx(symbol('theta'), 0);
    expect(() => transpile(sym, { numQubits: 2, basisGates: BASES.cx })).toThrow(TranspileError);
    const unknown = new Circuit(2);
    unknown.instructions.push({ name: 'frobnicate', qubits: [0, 1], clbits: [], params: [] });
    expect(() => transpile(unknown, { numQubits: 2, basisGates: BASES.cx })).toThrow(
      /unknown gate 'frobnicate'/,
    );
  });

  it('routes wide library gates through the circuit module decompose (c3x, rc3x on a line)', () => {
    const c = new Circuit(4).h(0).h(1).h(2).gate('c3x', [0, 1, 2, 3]).gate('rc3x', [3, 1, 0, 2]).x(3);
    const r = transpile(c, { numQubits: 5, basisGates: BASES.cx, couplingMap: line(5) });
    const want = placed(run(c), 4, r.finalLayout, 5);
    expect(overlap(want, run(r.circuit, undefined, 5))).toBeCloseTo(1, 8);
  });
});
