import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decompose, eulerZYZ, synthesizeOneQubit } from './decompose.js';
import { evalExpr } from './expr.js';
import { flatten, instructionMatrix } from './flatten.js';
import { GATES, composeUnitary, controlled, matmul } from './gates.js';
import { Circuit, CircuitError } from './ir.js';
import { libraryDefinitions } from './library.js';
import { parseQasm } from './qasm/parser.js';
import { circuitUnitary, distanceUpToPhase } from './testing/unitary.js';

const BASES = [
  ['cx', 'u3'],
  ['cx', 'id', 'rz', 'sx', 'x'],
  ['ecr', 'id', 'rz', 'sx', 'x'],
  ['cz', 'id', 'rz', 'sx', 'x'],
  ['cx', 'rz', 'ry'],
  ['cz', 'rz', 'rx'],
];
const H3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n';
const angle = fc.double({ min: -7, max: 7, noNaN: true, noDefaultInfinity: true });

describe('gate library definitions', () => {
  for (const [name, def] of libraryDefinitions()) {
    it(`${name} equals its matrix up to global phase`, () => {
      const g = GATES.get(name)!;
      const params = [0.3, -1.1, 2.2, 0.7].slice(0, g.numParams);
      const c = new Circuit(g.numQubits);
      const env: Record<string, number> = {};
      def.params.forEach((p, i) => {
        env[p] = params[i];
      });
      for (const b of def.body!) c.instructions.push({ ...b, params: b.params.map((p) => evalExpr(p, env)) });
      expect(distanceUpToPhase(circuitUnitary(c), g.matrix(params))).toBeLessThan(1e-12);
    });
  }
});

describe('one-qubit synthesis', () => {
  it('ZYZ angles reproduce any u3 up to global phase', () => {
    fc.assert(
      fc.property(angle, angle, angle, (t, p, l) => {
        const u = GATES.get('u3')!.matrix([t, p, l]);
        const e = eulerZYZ(u);
        const back = GATES.get('u3')!.matrix([e.theta, e.phi, e.lambda]);
        expect(distanceUpToPhase(back, u)).toBeLessThan(1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('every basis form reproduces any one-qubit gate, including the special angles', () => {
    const special = [0, Math.PI / 2, Math.PI, -Math.PI / 2, 2 * Math.PI];
    fc.assert(
      fc.property(fc.oneof(angle, fc.constantFrom(...special)), angle, angle, (t, p, l) => {
        const u = GATES.get('u3')!.matrix([t, p, l]);
        for (const basis of BASES) {
          const seq = synthesizeOneQubit(u, new Set(basis));
          const m = composeUnitary(
            1,
            seq.map((g) => ({ matrix: GATES.get(g.name)!.matrix(g.params), qubits: [0] })),
          );
          for (const g of seq) expect(basis).toContain(g.name);
          expect(distanceUpToPhase(m, u)).toBeLessThan(1e-9);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('uses the short ZSX forms: rz for diagonal gates, one sx for theta = pi/2, x for theta = pi', () => {
    const b = new Set(['rz', 'sx', 'x']);
    expect(synthesizeOneQubit(GATES.get('t')!.matrix([]), b).map((g) => g.name)).toEqual(['rz']);
    expect(synthesizeOneQubit(GATES.get('h')!.matrix([]), b).map((g) => g.name)).toEqual(['rz', 'sx', 'rz']);
    expect(synthesizeOneQubit(GATES.get('y')!.matrix([]), b).map((g) => g.name)).toEqual(['x', 'rz']);
    expect(synthesizeOneQubit(GATES.get('id')!.matrix([]), b)).toEqual([]);
  });
});

describe('decompose', () => {
  for (const basis of BASES) {
    it(`every built-in gate into [${basis.join(', ')}] keeps the unitary up to global phase`, () => {
      for (const g of GATES.values()) {
        const params = [0.4, -1.3, 2.1, 0.9].slice(0, g.numParams);
        const c = new Circuit(g.numQubits).append({
          name: g.name,
          qubits: [...Array(g.numQubits).keys()],
          clbits: [],
          params,
        });
        const d = decompose(c, basis);
        for (const inst of d.instructions) expect(basis, `${g.name} -> ${inst.name}`).toContain(inst.name);
        expect(distanceUpToPhase(circuitUnitary(d), g.matrix(params)), g.name).toBeLessThan(1e-9);
      }
    });
  }

  it('random circuits keep their unitary in every basis (property)', () => {
    const names = [...GATES.keys()];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            g: fc.nat(),
            qs: fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 }),
            ps: fc.array(angle, { minLength: 4, maxLength: 4 }),
          }),
          { maxLength: 8 },
        ),
        fc.integer({ min: 0, max: BASES.length - 1 }),
        (ops, b) => {
          const c = new Circuit(4);
          for (const op of ops) {
            const g = GATES.get(names[op.g % names.length])!;
            if (g.numQubits > 4) continue;
            c.append({
              name: g.name,
              qubits: op.qs.slice(0, g.numQubits),
              clbits: [],
              params: op.ps.slice(0, g.numParams),
            });
          }
          const d = decompose(c, BASES[b]);
          expect(distanceUpToPhase(circuitUnitary(d), circuitUnitary(c))).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('expands definitions and keeps measurements, barriers and conditions', () => {
    const c = parseQasm(
      'OPENQASM 2.0;\ninclude "qelib1.inc";\ngate g a, b { swap a, b; }\nqreg q[2];\ncreg c[1];\ng q[0], q[1];\nbarrier q;\nmeasure q[0] -> c[0];\nif (c==1) h q[1];',
    );
    const d = decompose(c, ['cx', 'u3']);
    expect(d.instructions.map((i) => i.name)).toEqual(['cx', 'cx', 'cx', 'barrier', 'measure', 'u3']);
    expect(d.instructions[5].condition).toEqual({ clbits: [0], value: 1 });
    expect(d.definitions.size).toBe(0);
  });

  it('gives swap as 3 cx and ccx as 6 cx', () => {
    const count = (c: Circuit) => c.instructions.filter((i) => i.name === 'cx').length;
    expect(count(decompose(new Circuit(2).swap(0, 1), ['cx', 'u3']))).toBe(3);
    expect(count(decompose(new Circuit(3).ccx(0, 1, 2), ['cx', 'u3']))).toBe(6);
  });

  it('refuses a basis without a usable entangler or one-qubit set, naming it', () => {
    expect(() => decompose(new Circuit(2).cx(0, 1), ['iswap', 'u3'])).toThrow(CircuitError);
    expect(() => decompose(new Circuit(1).h(0), ['cx', 'rz'])).toThrow(/cannot express every one-qubit gate/);
  });
});

describe('flatten', () => {
  it('inlines nested definitions with bound parameters', () => {
    const c = parseQasm(
      'OPENQASM 2.0;\ninclude "qelib1.inc";\ngate a(t) x { rz(t) x; }\ngate b(t) x, y { a(t*2) y; cx x, y; }\nqreg q[2];\nb(0.25) q[1], q[0];',
    );
    const f = flatten(c);
    expect(f.instructions.map((i) => [i.name, i.qubits, i.params])).toEqual([
      ['rz', [0], [0.5]],
      ['cx', [1, 0], []],
    ]);
  });

  it('binds input symbols and reports missing ones', () => {
    const c = parseQasm(`${H3}input float theta;\nqubit q;\nrx(theta) q;`);
    expect(flatten(c, { theta: 0.5 }).instructions[0].params).toEqual([0.5]);
    expect(() => flatten(c)).toThrow(/parameter 'theta' has no value/);
  });

  it('refuses opaque gates', () => {
    const c = parseQasm('OPENQASM 2.0;\nopaque o a;\nqreg q[1];\no q[0];');
    expect(() => flatten(c)).toThrow(/opaque gate 'o'/);
  });

  it('maps modified built-ins to built-ins where one exists', () => {
    const f = flatten(
      parseQasm(
        `${H3}qubit[4] q;\nctrl @ x q[0], q[1];\nctrl(2) @ x q[0], q[1], q[2];\ninv @ s q[0];\npow(2) @ t q[0];\nctrl @ gphase(0.3) q[3];\nctrl @ rz(0.2) q[0], q[1];\nnegctrl @ z q[0], q[1];\ninv @ rx(0.4) q[2];`,
      ),
    );
    expect(f.instructions.map((i) => `${i.name}(${i.params.join(',')}) ${i.qubits.join(',')}`)).toEqual([
      'cx() 0,1',
      'ccx() 0,1,2',
      'sdg() 0',
      'p(1.5707963267948966) 0',
      'p(0.3) 3',
      'crz(0.2) 0,1',
      'x() 0',
      'cz() 0,1',
      'x() 0',
      'rx(-0.4) 2',
    ]);
  });

  it('falls back to a unitary matrix for modified gates without a built-in, and the matrix is right', () => {
    const src = `${H3}gate g a, b { h a; cx a, b; }\nqubit[3] q;\nctrl @ g q[0], q[1], q[2];\nctrl(2) @ h q[2], q[1], q[0];\ninv @ g q[1], q[0];\npow(3) @ g q[0], q[2];`;
    const c = parseQasm(src);
    const f = flatten(c);
    expect(f.instructions.map((i) => i.name)).toEqual(['unitary', 'unitary', 'unitary', 'unitary']);
    // ctrl @ g = controlled(g), controls on the leading qubit
    const g = composeUnitary(2, [
      { matrix: GATES.get('h')!.matrix([]), qubits: [0] },
      { matrix: GATES.get('cx')!.matrix([]), qubits: [0, 1] },
    ]);
    expect(distanceUpToPhase(f.instructions[0].matrix!, controlled(g, 1))).toBeLessThan(1e-12);
    expect(
      distanceUpToPhase(f.instructions[1].matrix!, controlled(GATES.get('h')!.matrix([]), 2)),
    ).toBeLessThan(1e-12);
    expect(distanceUpToPhase(f.instructions[3].matrix!, matmul(g, matmul(g, g)))).toBeLessThan(1e-12);
    expect(
      distanceUpToPhase(instructionMatrix(c, c.instructions[2]), f.instructions[2].matrix!),
    ).toBeLessThan(1e-12);
  });

  it('flattened modified circuits keep their unitary (modifier algebra against dense matrices)', () => {
    const src = `${H3}qubit[3] q;\nctrl @ s q[0], q[1];\nnegctrl @ ry(0.3) q[1], q[2];\ninv @ u3(0.1, 0.2, 0.3) q[0];\npow(-2) @ sx q[1];\npow(0.5) @ rz(0.8) q[2];\nctrl @ swap q[2], q[0], q[1];\ninv @ ctrl @ sx q[0], q[1];`;
    const c = parseQasm(src);
    const dense = composeUnitary(
      3,
      c.instructions.map((i) => ({ matrix: instructionMatrix(c, i), qubits: i.qubits })),
    );
    expect(distanceUpToPhase(circuitUnitary(c), dense)).toBeLessThan(1e-12);
    // only inv @ csx has no built-in form
    expect(flatten(c).instructions.filter((i) => i.name === 'unitary').length).toBe(1);
  });

  it('decomposes a flattened one-qubit unitary fallback', () => {
    const c = parseQasm(`${H3}gate w a { h a; t a; }\nqubit[1] q;\npow(3) @ w q[0];`);
    const d = decompose(c, ['cx', 'rz', 'sx', 'x']);
    expect(distanceUpToPhase(circuitUnitary(d), circuitUnitary(c))).toBeLessThan(1e-9);
  });
});
