import { describe, expect, it } from 'vitest';
import { analyze } from './analysis.js';
import { Circuit } from './ir.js';
import { parseQasm } from './qasm/parser.js';

const H2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n';
const H3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n';

interface Expected {
  depth: number;
  size: number;
  ops?: Record<string, number>;
  twoQ?: number;
  measurements?: number;
  arity?: Record<number, number>;
}

// Each case: a circuit and the values worked out by hand in the comment beside it (Qiskit's definitions).
const cases: Array<[string, string | Circuit, Expected]> = [
  ['empty circuit', new Circuit(3), { depth: 0, size: 0, ops: {}, twoQ: 0 }],
  ['one h', new Circuit(1).h(0), { depth: 1, size: 1, ops: { h: 1 }, twoQ: 0, arity: { 1: 1 } }],
  // h on two different qubits run in parallel: one layer
  ['parallel h', new Circuit(2).h(0).h(1), { depth: 1, size: 2, ops: { h: 2 } }],
  // three gates on one wire stack up
  ['serial x y z', new Circuit(1).x(0).y(0).z(0), { depth: 3, size: 3 }],
  // h(0) layer 1; cx(0,1) layer 2
  ['bell', new Circuit(2).h(0).cx(0, 1), { depth: 2, size: 2, twoQ: 1, arity: { 1: 1, 2: 1 } }],
  // bell + measure_all: barrier excluded from depth and size but counted in ops; measures at layer 3
  [
    'bell measured',
    new Circuit(2).h(0).cx(0, 1).measureAll(),
    { depth: 3, size: 4, ops: { measure: 2, barrier: 1, cx: 1, h: 1 }, measurements: 2 },
  ],
  // GHZ on 4: h, then a chain of 3 cx: depth 4
  ['ghz4', new Circuit(4).h(0).cx(0, 1).cx(1, 2).cx(2, 3), { depth: 4, size: 4, twoQ: 3 }],
  // GHZ with a fan-out from qubit 0: cx all share qubit 0, still depth 4
  ['ghz4 fanout', new Circuit(4).h(0).cx(0, 1).cx(0, 2).cx(0, 3), { depth: 4, size: 4, twoQ: 3 }],
  // GHZ log-depth: h0; cx01; cx02 || cx13 -> depth 3
  ['ghz4 log depth', new Circuit(4).h(0).cx(0, 1).cx(0, 2).cx(1, 3), { depth: 3, size: 4 }],
  // a barrier does not synchronize depth: x0, barrier, x1 -> both in layer 1
  ['barrier ignored', new Circuit(2).x(0).barrier().x(1), { depth: 1, size: 2, ops: { x: 2, barrier: 1 } }],
  // swap is a two-qubit gate
  ['swap', new Circuit(2).swap(0, 1), { depth: 1, size: 1, twoQ: 1 }],
  // ccx is non-local (3 qubits), arity 3
  ['toffoli', new Circuit(3).ccx(0, 1, 2), { depth: 1, size: 1, twoQ: 1, arity: { 3: 1 } }],
  // cx(0,1) then cx(1,2) then cx(0,2): 3 layers
  ['triangle', new Circuit(3).cx(0, 1).cx(1, 2).cx(0, 2), { depth: 3, size: 3, twoQ: 3 }],
  // independent pairs: cx01 || cx23, then cx12: depth 2
  ['brickwork', new Circuit(4).cx(0, 1).cx(2, 3).cx(1, 2), { depth: 2, size: 3 }],
  // reset counts in size and depth, not as a gate arity
  ['reset', new Circuit(1).reset(0).h(0), { depth: 2, size: 2, arity: { 1: 1 } }],
  // measurements write clbits: two measures into one clbit serialize through the clbit wire
  [
    'shared clbit',
    `${H2}qreg q[2];\ncreg c[1];\nmeasure q[0] -> c[0];\nmeasure q[1] -> c[0];`,
    { depth: 2, size: 2, measurements: 2 },
  ],
  // measures into distinct clbits are parallel
  ['parallel measure', `${H2}qreg q[2];\ncreg c[2];\nmeasure q -> c;`, { depth: 1, size: 2 }],
  // the conditioned x waits for the measure on c (shared clbit wire): h, measure, x -> 3
  [
    'conditional',
    `${H2}qreg q[2];\ncreg c[1];\nh q[0];\nmeasure q[0] -> c[0];\nif (c==1) x q[1];`,
    { depth: 3, size: 3 },
  ],
  // a condition on a 2-bit register occupies both clbits: measure c[1] at layer 1, x at 2, measure c[0] after x? no: q0 free
  [
    'condition on a register',
    `${H2}qreg q[2];\ncreg c[2];\nmeasure q[1] -> c[1];\nif (c==2) x q[0];\nmeasure q[0] -> c[0];`,
    // measure(q1,c1) L1; x(q0 | c0,c1) L2; measure(q0,c0) L3
    { depth: 3, size: 3 },
  ],
  // two conditioned ops on the same register serialize through the clbits even on different qubits
  [
    'conditions serialize',
    `${H2}qreg q[2];\ncreg c[1];\nif (c==1) x q[0];\nif (c==1) x q[1];`,
    { depth: 2, size: 2 },
  ],
  // a custom gate is one op under its own name and its own arity
  [
    'custom gate',
    `${H2}gate g a, b { cx a, b; h a; }\nqreg q[2];\ng q[0], q[1];\nh q[1];`,
    { depth: 2, size: 2, ops: { g: 1, h: 1 }, twoQ: 1 },
  ],
  // an opaque gate still counts
  ['opaque gate', `${H2}opaque o a;\nqreg q[1];\no q[0];`, { depth: 1, size: 1, ops: { o: 1 } }],
  // QASM 3 global phase is not an operation; ctrl @ gphase is: a phase gate p on its control
  [
    'gphase',
    `${H3}qubit[1] q;\ngphase(0.5);\nctrl @ gphase(0.5) q[0];`,
    { depth: 1, size: 1, ops: { p: 1 } },
  ],
  // a modified gate counts as the built-in it equals, with all its qubits; otherwise spelled out.
  // ccx(0,1,2) L1; cp(0,1) L2; ctrl(2)@h(0,1,2) L3; tdg(2) L4
  [
    'ctrl modifier',
    `${H3}qubit[3] q;\nctrl(2) @ x q[0], q[1], q[2];\nctrl @ p(0.1) q[0], q[1];\nctrl(2) @ h q[0], q[1], q[2];\ninv @ t q[2];`,
    {
      depth: 4,
      size: 4,
      ops: { 'ctrl(2) @ h': 1, ccx: 1, cp: 1, tdg: 1 },
      twoQ: 3,
      arity: { 1: 1, 2: 1, 3: 2 },
    },
  ],
  // broadcast h over 5 qubits: 5 ops in one layer
  ['broadcast', `${H2}qreg q[5];\nh q;`, { depth: 1, size: 5 }],
  // qft on 3 qubits: h0 cp(1,0) cp(2,0) h1 cp(2,1) h2 swap(0,2): layers h0=1, cp10=2, cp20=3, h1=3, cp21=4, h2=5, swap=6
  [
    'qft3',
    new Circuit(3)
      .h(0)
      .cp(Math.PI / 2, 1, 0)
      .cp(Math.PI / 4, 2, 0)
      .h(1)
      .cp(Math.PI / 2, 2, 1)
      .h(2)
      .swap(0, 2),
    { depth: 6, size: 7, twoQ: 4 },
  ],
  // measure L1, reset L2, x L3 on the one qubit
  [
    'measure then reset',
    new Circuit(1, 1).measure(0, 0).reset(0).x(0),
    { depth: 3, size: 3, measurements: 1 },
  ],
  // idle qubits do not change depth
  ['idle qubits', new Circuit(10).x(3), { depth: 1, size: 1 }],
  [
    'cx ladder back and forth',
    new Circuit(3).cx(0, 1).cx(1, 2).cx(1, 2).cx(0, 1),
    { depth: 4, size: 4, twoQ: 4 },
  ],
  // rzz/rxx are two-qubit gates, u is one-qubit
  [
    'mixed params',
    new Circuit(2).rzz(0.1, 0, 1).u(1, 2, 3, 0).rxx(0.2, 1, 0),
    { depth: 3, size: 3, twoQ: 2, arity: { 1: 1, 2: 2 } },
  ],
  // a barrier on some qubits counts in ops only
  [
    'partial barrier',
    new Circuit(3).h(0).barrier(0, 1).cx(1, 2),
    { depth: 1, size: 2, ops: { h: 1, barrier: 1, cx: 1 } },
  ],
];

describe('analyze: hand-checked circuits', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });
  for (const [name, input, want] of cases) {
    it(name, () => {
      const c = typeof input === 'string' ? parseQasm(input) : input;
      const a = analyze(c);
      expect(a.depth, 'depth').toBe(want.depth);
      expect(a.size, 'size').toBe(want.size);
      if (want.ops) expect(a.countOps).toEqual(want.ops);
      if (want.twoQ !== undefined) expect(a.twoQubitGates, 'twoQubitGates').toBe(want.twoQ);
      if (want.measurements !== undefined) expect(a.measurements, 'measurements').toBe(want.measurements);
      if (want.arity) expect(a.gatesByArity).toEqual(want.arity);
      expect(a.width).toBe(c.numQubits + c.numClbits);
    });
  }
});

describe('analyze: SupermarQ features', () => {
  it('GHZ-4 chain: communication 0.5, critical depth 1, entanglement 3/4, liveness 7/16, parallelism 0', () => {
    const a = analyze(new Circuit(4).h(0).cx(0, 1).cx(1, 2).cx(2, 3));
    // edges 01,12,23: degree sum 6 / (4*3)
    expect(a.supermarq.communication).toBeCloseTo(0.5, 15);
    // all 3 cx lie on the longest path h-cx-cx-cx
    expect(a.supermarq.criticalDepth).toBe(1);
    expect(a.supermarq.entanglement).toBe(3 / 4);
    // active cells: 1 + 2*3 = 7 of 4 qubits x 4 layers
    expect(a.supermarq.liveness).toBe(7 / 16);
    // (4 ops / 4 layers - 1) / 3 = 0
    expect(a.supermarq.parallelism).toBe(0);
    expect(a.supermarq.measurement).toBe(0);
  });

  it('fully connected interaction graph has communication 1', () => {
    const a = analyze(new Circuit(3).cx(0, 1).cx(1, 2).cx(0, 2));
    expect(a.supermarq.communication).toBe(1);
  });

  it('critical depth counts only two-qubit gates on the longest path', () => {
    // x0 x0 x0 (depth 3) and cx(1,2) off the path: 0 of 1
    const a = analyze(new Circuit(3).x(0).x(0).x(0).cx(1, 2));
    expect(a.supermarq.criticalDepth).toBe(0);
    // h0 cx01 | cx23 : longest path h0-cx01 holds 1 of 2 two-qubit gates
    const b = analyze(new Circuit(4).h(0).cx(0, 1).cx(2, 3));
    expect(b.supermarq.criticalDepth).toBe(0.5);
  });

  it('parallelism of 4 parallel h on 4 qubits is 1', () => {
    // (4/1 - 1) / 3
    expect(analyze(new Circuit(4).h(0).h(1).h(2).h(3)).supermarq.parallelism).toBe(1);
  });

  it('measurement counts layers with a measurement or reset followed by more work on that qubit', () => {
    // measure(q0) L1, x(q0) L2, measure(q0) L3 final: one mid-circuit layer of 3
    const c = parseQasm(`${H2}qreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\nx q[0];\nmeasure q[0] -> c[0];`);
    expect(analyze(c).supermarq.measurement).toBeCloseTo(1 / 3, 15);
    // final measurements only: 0
    expect(analyze(new Circuit(2).h(0).cx(0, 1).measureAll()).supermarq.measurement).toBe(0);
  });

  it('features of a one-qubit or empty circuit are 0, never NaN', () => {
    for (const c of [new Circuit(0), new Circuit(1).h(0), new Circuit(2)]) {
      const f = analyze(c).supermarq;
      for (const v of Object.values(f)) expect(Number.isFinite(v)).toBe(true);
    }
  });
});
