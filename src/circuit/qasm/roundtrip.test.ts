import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evalExpr, sym } from '../expr.js';
import { GATES } from '../gates.js';
import { Circuit, type Instruction } from '../ir.js';
import { circuitUnitary, distanceUpToPhase } from '../testing/unitary.js';
import { parseQasm2, parseQasm3 } from './parser.js';
import { toQasm2, toQasm3 } from './writer.js';

const GATE_NAMES = [...GATES.keys()];
const angle = fc.double({ min: -2 * Math.PI, max: 2 * Math.PI, noNaN: true, noDefaultInfinity: true });

interface Spec {
  numQubits: number;
  cregs: number[];
  ops: Array<{ kind: number; gate: number; qubits: number[]; params: number[]; cond: number; mods: number }>;
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  numQubits: fc.integer({ min: 1, max: 6 }),
  cregs: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
  ops: fc.array(
    fc.record({
      kind: fc.integer({ min: 0, max: 9 }),
      gate: fc.nat(),
      qubits: fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 6, maxLength: 6 }),
      params: fc.array(angle, { minLength: 4, maxLength: 4 }),
      cond: fc.nat(),
      mods: fc.nat(),
    }),
    { maxLength: 25 },
  ),
});

/** Builds a circuit from a spec; `unitaryOnly` leaves out measure, reset and conditions. */
function build(
  spec: Spec,
  opts: { unitaryOnly: boolean; modifiers: boolean; singleBitConditions: boolean },
): Circuit {
  const c = new Circuit(spec.numQubits);
  spec.cregs.forEach((size, i) => {
    c.addCreg(`c${i}`, size);
  });
  for (const op of spec.ops) {
    const qs = op.qubits.filter((q) => q < spec.numQubits);
    const kind = opts.unitaryOnly ? Math.min(op.kind, 6) : op.kind;
    if (kind === 7 && c.numClbits > 0) {
      c.measure(qs[0], op.cond % c.numClbits);
      continue;
    }
    if (kind === 8) {
      c.reset(qs[0]);
      continue;
    }
    if (kind === 9) {
      c.barrier(...qs.slice(0, 1 + (op.gate % qs.length)));
      continue;
    }
    const candidates = GATE_NAMES.filter((n) => GATES.get(n)!.numQubits <= qs.length);
    const name = candidates[op.gate % candidates.length];
    const g = GATES.get(name)!;
    let inst: Instruction = {
      name,
      qubits: qs.slice(0, g.numQubits),
      clbits: [],
      params: op.params.slice(0, g.numParams),
    };
    if (opts.modifiers && kind === 6 && qs.length > g.numQubits && g.numQubits <= 2) {
      const negated = op.mods % 2 === 1;
      inst = {
        ...inst,
        qubits: qs.slice(0, g.numQubits + 1),
        modifiers: op.mods % 3 === 0 ? [{ kind: 'inv' }] : [{ kind: 'ctrl', count: 1, negated }],
      };
      if (op.mods % 3 === 0) inst = { ...inst, qubits: qs.slice(0, g.numQubits) };
    }
    if (!opts.unitaryOnly && kind >= 5 && c.cregs.length > 0) {
      const reg = c.cregs[op.cond % c.cregs.length];
      if (opts.singleBitConditions && op.cond % 2 === 1)
        inst = { ...inst, condition: { clbits: [reg.offset], value: op.cond % 2 } };
      else
        inst = {
          ...inst,
          condition: {
            clbits: Array.from({ length: reg.size }, (_, i) => reg.offset + i),
            value: op.cond % (1 << reg.size),
          },
        };
    }
    c.append(inst);
  }
  return c;
}

const ALIAS: Record<string, string> = { phase: 'p', cphase: 'cp' };

function shape(c: Circuit): unknown[] {
  return c.instructions.map((i) => ({
    name: ALIAS[i.name] ?? i.name,
    qubits: [...i.qubits],
    clbits: [...i.clbits],
    params: i.params.map((p) => evalExpr(p) + 0), // -0 and 0 are the same angle
    condition: i.condition ? { clbits: [...i.condition.clbits], value: i.condition.value } : undefined,
    modifiers: i.modifiers && i.modifiers.length > 0 ? i.modifiers : undefined,
  }));
}

describe('write then parse', () => {
  it('OpenQASM 2 keeps every instruction, register and condition exactly', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const c = build(spec, { unitaryOnly: false, modifiers: false, singleBitConditions: false });
        const back = parseQasm2(toQasm2(c));
        expect(back.numQubits).toBe(c.numQubits);
        expect(back.cregs).toEqual(c.cregs);
        expect(shape(back)).toEqual(shape(c));
      }),
      { numRuns: 300 },
    );
  });

  it('OpenQASM 3 keeps every instruction, modifier and single-bit condition exactly', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const c = build(spec, { unitaryOnly: false, modifiers: true, singleBitConditions: true });
        const back = parseQasm3(toQasm3(c));
        expect(back.numQubits).toBe(c.numQubits);
        expect(back.cregs).toEqual(c.cregs);
        expect(shape(back)).toEqual(shape(c));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the unitary up to global phase within 1e-9 (up to 6 qubits, both versions)', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const c2 = build(spec, { unitaryOnly: true, modifiers: false, singleBitConditions: false });
        const u = circuitUnitary(c2);
        expect(distanceUpToPhase(circuitUnitary(parseQasm2(toQasm2(c2))), u)).toBeLessThan(1e-9);
        const c3 = build(spec, { unitaryOnly: true, modifiers: true, singleBitConditions: false });
        expect(distanceUpToPhase(circuitUnitary(parseQasm3(toQasm3(c3))), circuitUnitary(c3))).toBeLessThan(
          1e-9,
        );
      }),
      { numRuns: 40 },
    );
  });

  it('writes symbolic parameters as OpenQASM 3 inputs and refuses them in OpenQASM 2', () => {
    const c = new Circuit(1)
      .rx(sym('theta'), 0)
      .rz({ op: '*', a: sym('theta'), b: { op: 'num', value: 2 } }, 0);
    const text = toQasm3(c);
    expect(text).toContain('input float[64] theta;');
    const back = parseQasm3(text);
    expect(back.inputs).toEqual(['theta']);
    expect(evalExpr(back.instructions[1].params[0], { theta: 0.25 })).toBe(0.5);
    expect(() => toQasm2(c)).toThrow(/bind theta first/);
  });

  it('writes user definitions (and opaque gates) before they are used', () => {
    const src =
      'OPENQASM 2.0;\ninclude "qelib1.inc";\ngate inner(a) x { rz(a) x; }\ngate outer(b) x, y { inner(b/2) x; rzz(b) x, y; }\nopaque black x;\nqreg q[2];\nouter(0.5) q[0], q[1];\nblack q[1];\n';
    const c = parseQasm2(src);
    const text = toQasm2(c);
    const back = parseQasm2(text);
    expect([...back.definitions.keys()]).toEqual(['inner', 'outer', 'black']);
    expect(shape(back)).toEqual(shape(c));
    // a built-in that qelib1.inc lacks is written as a definition ahead of its first use
    const withRyy = toQasm2(new Circuit(2).ryy(0.5, 0, 1));
    expect(withRyy.indexOf('gate ryy')).toBeGreaterThan(0);
    expect(withRyy.indexOf('gate ryy')).toBeLessThan(withRyy.indexOf('ryy(0.5)'));
  });
});
