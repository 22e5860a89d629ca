import { describe, expect, it } from 'vitest';
import { adjoint, composeUnitary, GATES, matmul, matrixDim } from './gates.js';

function maxDistFromIdentity(m: Float64Array): number {
  const dim = matrixDim(m);
  let worst = 0;
  for (let r = 0; r < dim; r++)
    for (let c = 0; c < dim; c++) {
      const re = m[2 * (r * dim + c)] - (r === c ? 1 : 0);
      const im = m[2 * (r * dim + c) + 1];
      worst = Math.max(worst, Math.hypot(re, im));
    }
  return worst;
}

const samples = [0, 0.3, -1.7, Math.PI, 2.5];

describe('gate library', () => {
  it('holds every gate of qelib1.inc and stdgates.inc', () => {
    const names =
      'id x y z h s sdg t tdg sx sxdg rx ry rz p u u1 u2 u3 cx cy cz ch swap crx cry crz cp cu1 cu3 cu ccx cswap rxx ryy rzz rccx rc3x c3x c3sqrtx c4x ecr iswap'.split(
        ' ',
      );
    for (const n of names) expect(GATES.has(n), n).toBe(true);
  });

  for (const g of GATES.values()) {
    it(`${g.name} is unitary within 1e-12 and of dimension 2^${g.numQubits}`, () => {
      for (const a of samples) {
        const params = Array.from({ length: g.numParams }, (_, i) => a + 0.37 * i);
        const m = g.matrix(params);
        expect(matrixDim(m)).toBe(1 << g.numQubits);
        expect(maxDistFromIdentity(matmul(adjoint(m), m))).toBeLessThan(1e-12);
        if (g.diagonal) {
          const dim = 1 << g.numQubits;
          for (let r = 0; r < dim; r++)
            for (let c = 0; c < dim; c++)
              if (r !== c) expect(Math.hypot(m[2 * (r * dim + c)], m[2 * (r * dim + c) + 1])).toBe(0);
        }
      }
    });
  }

  it('uses little-endian order: cx(0,1) flips qubit 1 when qubit 0 is set', () => {
    const m = GATES.get('cx')!.matrix([]);
    // |q1 q0> = |01> (index 1) -> |11> (index 3)
    expect(m[2 * (3 * 4 + 1)]).toBe(1);
    expect(m[2 * (1 * 4 + 1)]).toBe(0);
  });

  it('h h = identity, s s = z, t t = s, sx sx = x', () => {
    const g = (n: string) => GATES.get(n)!.matrix([]);
    const close = (a: Float64Array, b: Float64Array) => a.every((v, i) => Math.abs(v - b[i]) < 1e-12);
    expect(maxDistFromIdentity(matmul(g('h'), g('h')))).toBeLessThan(1e-12);
    expect(close(matmul(g('s'), g('s')), g('z'))).toBe(true);
    expect(close(matmul(g('t'), g('t')), g('s'))).toBe(true);
    expect(close(matmul(g('sx'), g('sx')), g('x'))).toBe(true);
  });

  it('ccx equals its qelib1 decomposition', () => {
    const m = (n: string, p: number[] = []) => GATES.get(n)!.matrix(p);
    const steps = [
      ['h', [2]],
      ['cx', [1, 2]],
      ['tdg', [2]],
      ['cx', [0, 2]],
      ['t', [2]],
      ['cx', [1, 2]],
      ['tdg', [2]],
      ['cx', [0, 2]],
      ['t', [1]],
      ['t', [2]],
      ['h', [2]],
      ['cx', [0, 1]],
      ['t', [0]],
      ['tdg', [1]],
      ['cx', [0, 1]],
    ] as const;
    const u = composeUnitary(
      3,
      steps.map(([n, q]) => ({ matrix: m(n), qubits: q })),
    );
    const ccx = m('ccx');
    for (let i = 0; i < u.length; i++) expect(u[i]).toBeCloseTo(ccx[i], 12);
  });
});
