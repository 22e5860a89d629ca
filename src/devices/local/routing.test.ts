// Routing on the real coupling maps of every shipped snapshot, checked by simulating the compacted circuit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Circuit, GATES, transpile } from '../../circuit/index.js';
import { hellingerFidelity, simulate, statevector } from '../../sim/index.js';
import { FAKE_DEVICE_SNAPSHOTS, fakeCalibration } from '../registry.js';
import { transpileTarget } from './noise.js';

const GATE_NAMES = ['h', 'x', 'sx', 'rz', 'ry', 't', 'cx', 'cz', 'swap', 'rzz', 'cp', 'ccx'];

function randomCircuit(n: number) {
  const step = fc.record({
    name: fc.constantFrom(...GATE_NAMES.filter((g) => GATES.get(g)!.numQubits <= n)),
    qubits: fc.shuffledSubarray([...Array(n).keys()], {
      minLength: Math.min(3, n),
      maxLength: Math.min(3, n),
    }),
    angle: fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
  });
  return fc.array(step, { minLength: 1, maxLength: 25 }).map((steps) => {
    const c = new Circuit(n);
    for (const s of steps) {
      const spec = GATES.get(s.name)!;
      c.gate(s.name, s.qubits.slice(0, spec.numQubits), spec.numParams ? [s.angle] : []);
    }
    return c;
  });
}

/** The routed state on its touched physical qubits against the input state moved by the final layout. */
function equivalent(circuit: Circuit, routed: Circuit, finalLayout: readonly number[]): number {
  const touched = new Set<number>(finalLayout);
  for (const inst of routed.instructions) for (const q of inst.qubits) touched.add(q);
  const physical = [...touched].sort((a, b) => a - b);
  const local = new Map(physical.map((p, i) => [p, i]));
  const compact = new Circuit(physical.length);
  for (const inst of routed.instructions)
    compact.append({ ...inst, qubits: inst.qubits.map((q) => local.get(q)!) });
  const got = statevector(compact);
  const want = statevector(circuit);
  let re = 0;
  let im = 0;
  for (let i = 0; i < 1 << circuit.numQubits; i++) {
    let j = 0;
    for (let l = 0; l < circuit.numQubits; l++) if ((i >> l) & 1) j |= 1 << local.get(finalLayout[l])!;
    re += want[2 * i] * got[2 * j] + want[2 * i + 1] * got[2 * j + 1];
    im += want[2 * i] * got[2 * j + 1] - want[2 * i + 1] * got[2 * j];
  }
  return Math.hypot(re, im);
}

describe('transpiling for the shipped devices', () => {
  for (const name of FAKE_DEVICE_SNAPSHOTS) {
    it(`routes random circuits onto ${name}: coupled pairs, basis gates, same state up to the final layout`, () => {
      const cal = fakeCalibration(name);
      const directed = new Set(cal.couplingMap!.map(([a, b]) => `${a}_${b}`));
      const basis = new Set(cal.basisGates);
      fc.assert(
        fc.property(
          fc.integer({ min: 2, max: Math.min(7, cal.numQubits) }).chain((n) => randomCircuit(n)),
          fc.integer({ min: 0, max: 99 }),
          (circuit, seed) => {
            const r = transpile(circuit, transpileTarget(cal, seed));
            for (const inst of r.circuit.instructions) {
              expect(basis.has(inst.name), inst.name).toBe(true);
              if (inst.qubits.length === 2)
                expect(directed.has(inst.qubits.join('_')), `${inst.name} ${inst.qubits}`).toBe(true);
            }
            // SWAPs only ever move qubits a little: the touched set stays small enough to simulate.
            expect(equivalent(circuit, r.circuit, r.finalLayout)).toBeCloseTo(1, 8);
          },
        ),
        { numRuns: 12 },
      );
    });
  }

  it('keeps mid-circuit measurement and classically conditioned gates working after routing', () => {
    const cal = fakeCalibration('lima');
    const c = new Circuit(4, 4).h(0).cx(0, 3).measure(3, 3);
    c.append({ name: 'x', qubits: [1], clbits: [], params: [], condition: { clbits: [3], value: 1 } });
    c.cx(1, 2).cx(0, 2).measure(0, 0).measure(1, 1).measure(2, 2);
    const r = transpile(c, transpileTarget(cal, 1));
    const touched = [...new Set(r.circuit.instructions.flatMap((i) => [...i.qubits]))].sort((a, b) => a - b);
    const compact = new Circuit(touched.length, 0);
    for (const reg of r.circuit.cregs) compact.addCreg(reg.name, reg.size);
    for (const inst of r.circuit.instructions)
      compact.append({ ...inst, qubits: inst.qubits.map((q) => touched.indexOf(q)) });
    const want = simulate(c, { shots: 20_000, seed: 1 }).counts;
    const got = simulate(compact, { shots: 20_000, seed: 2 }).counts;
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    expect(hellingerFidelity(want, got)).toBeGreaterThan(0.999);
  });
});
