import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bruteForceMaxCut, cutValue, localSearchMaxCut, randomRegularGraph } from './graph.js';
import { nelderMead } from './optimize.js';
import { seededRandom } from './random.js';

describe('graphs for MaxCut', () => {
  it('draws simple 3-regular graphs for every even n from 6 to 12', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 6 }), fc.integer(), (half, seed) => {
        const n = half * 2;
        const g = randomRegularGraph(n, 3, seededRandom(seed));
        const degree = new Array(n).fill(0);
        const keys = new Set<string>();
        for (const [a, b] of g.edges) {
          expect(a).not.toBe(b);
          keys.add(`${a}-${b}`);
          degree[a]++;
          degree[b]++;
        }
        expect(keys.size).toBe(g.edges.length);
        expect(degree.every((d) => d === 3)).toBe(true);
        expect(g.edges.length).toBe((3 * n) / 2);
      }),
      { numRuns: 50 },
    );
  });

  it('finds the known maximum cuts of small graphs', () => {
    // A triangle cuts 2 of 3 edges; a 4-cycle cuts all 4; K4 cuts 4 of 6.
    expect(
      bruteForceMaxCut({
        nodes: 3,
        edges: [
          [0, 1],
          [1, 2],
          [0, 2],
        ],
      }).value,
    ).toBe(2);
    expect(
      bruteForceMaxCut({
        nodes: 4,
        edges: [
          [0, 1],
          [1, 2],
          [2, 3],
          [0, 3],
        ],
      }).value,
    ).toBe(4);
    const k4 = {
      nodes: 4,
      edges: [
        [0, 1],
        [0, 2],
        [0, 3],
        [1, 2],
        [1, 3],
        [2, 3],
      ] as const,
    };
    expect(bruteForceMaxCut(k4).value).toBe(4);
    expect(cutValue(k4, 0b0011)).toBe(4);
    expect(cutValue(k4, 0b0001)).toBe(3);
  });

  it('local search never beats the brute-force optimum and reaches it on small graphs', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 20; i++) {
      const g = randomRegularGraph(8, 3, random);
      const opt = bruteForceMaxCut(g).value;
      const ls = localSearchMaxCut(g, random, 20);
      expect(ls).toBeLessThanOrEqual(opt);
      expect(ls).toBeGreaterThanOrEqual(opt - 1);
    }
  });
});

describe('Nelder–Mead', () => {
  it('minimizes the Rosenbrock function near (1, 1)', () => {
    const r = nelderMead(([x, y]) => (1 - x) ** 2 + 100 * (y - x * x) ** 2, [-1.2, 1], {
      maxEvaluations: 2000,
      tolerance: 1e-12,
    });
    expect(r.x[0]).toBeCloseTo(1, 3);
    expect(r.x[1]).toBeCloseTo(1, 3);
    expect(r.evaluations).toBeLessThanOrEqual(2000 + 3);
  });
});
