import { describe, expect, it } from 'vitest';
import { Circuit } from '../circuit/index.js';
import { probabilities } from '../sim/index.js';
import { cutTable, randomRegularGraph } from './graph.js';
import { expectedCut, qaoaCircuit, runQaoa } from './qaoa.js';
import { seededRandom } from './random.js';

describe('QAOA MaxCut', () => {
  it('at zero angles gives the uniform distribution: E[cut] = |E| / 2', () => {
    const g = randomRegularGraph(6, 3, seededRandom(3));
    expect(expectedCut(g, cutTable(g), [0], [0])).toBeCloseTo(g.edges.length / 2, 12);
  });

  it('reads bit i of the distribution index as node i (single-edge graph, p = 1 optimum cuts with certainty)', () => {
    // For one edge, γ = π/2, β = π/8 concentrates on the cut states |01> and |10>.
    const g = { nodes: 2, edges: [[0, 1]] as const };
    const e = expectedCut(g, cutTable(g), [Math.PI / 2], [Math.PI / 8]);
    expect(e).toBeCloseTo(1, 10);
    const p = probabilities(qaoaCircuit(g, [Math.PI / 2], [Math.PI / 8]));
    expect(p[1] + p[2]).toBeCloseTo(1, 10);
    expect(new Circuit(2).numQubits).toBe(2);
  });

  it('improves with depth and beats the p = 1 worst-case bound of 0.6924 on 3-regular graphs', async () => {
    for (const nodes of [6, 8, 10]) {
      const r = await runQaoa({ nodes, maxDepth: 3, seed: 11 });
      const ratios = r.depths.map((d) => d.approximationRatio);
      expect(ratios[0]).toBeGreaterThan(0.6924);
      expect(ratios[2]).toBeGreaterThanOrEqual(ratios[0] - 1e-9);
      expect(r.localSearchCut).toBeLessThanOrEqual(r.optimum);
      for (const d of r.depths) expect(d.expectedCut).toBeLessThanOrEqual(r.optimum + 1e-9);
    }
  }, 120_000);
});
