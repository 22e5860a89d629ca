// Graphs for MaxCut: random regular graphs, cut values, the brute-force optimum and a greedy baseline.
import { QobsError } from '../errors.js';
import { shuffle } from './random.js';

export type Edge = readonly [number, number];

export interface Graph {
  readonly nodes: number;
  readonly edges: readonly Edge[];
}

/**
 * A uniformly random d-regular simple graph on n nodes by the pairing model with restarts
 * (n·d must be even; for d = 3, n even).
 */
export function randomRegularGraph(n: number, d: number, random: () => number): Graph {
  if ((n * d) % 2 !== 0 || d >= n)
    throw new QobsError('graph_invalid', `no ${d}-regular graph on ${n} nodes`);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const stubs = shuffle(
      Array.from({ length: n * d }, (_, i) => Math.floor(i / d)),
      random,
    );
    const seen = new Set<string>();
    const edges: Edge[] = [];
    let ok = true;
    for (let i = 0; i < stubs.length; i += 2) {
      const a = Math.min(stubs[i], stubs[i + 1]);
      const b = Math.max(stubs[i], stubs[i + 1]);
      const key = `${a}-${b}`;
      if (a === b || seen.has(key)) {
        ok = false;
        break;
      }
      seen.add(key);
      edges.push([a, b]);
    }
    if (ok) return { nodes: n, edges: edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]) };
  }
  throw new QobsError('graph_invalid', `could not draw a ${d}-regular graph on ${n} nodes`);
}

/** Number of edges cut by an assignment given as a bitmask (bit i = side of node i). */
export function cutValue(graph: Graph, assignment: number): number {
  let cut = 0;
  for (const [a, b] of graph.edges) cut += ((assignment >> a) ^ (assignment >> b)) & 1;
  return cut;
}

/** Cut value of every assignment, indexed by bitmask (2^n entries). */
export function cutTable(graph: Graph): Float64Array {
  const size = 1 << graph.nodes;
  const table = new Float64Array(size);
  for (let x = 0; x < size; x++) table[x] = cutValue(graph, x);
  return table;
}

/** The exact maximum cut by enumeration (fine up to ~24 nodes). */
export function bruteForceMaxCut(graph: Graph): { value: number; assignment: number } {
  const table = cutTable(graph);
  let best = 0;
  let assignment = 0;
  for (let x = 0; x < table.length; x++)
    if (table[x] > best) {
      best = table[x];
      assignment = x;
    }
  return { value: best, assignment };
}

/** One-flip local search from a random start: the classical heuristic the QAOA result is compared with. */
export function localSearchMaxCut(graph: Graph, random: () => number, restarts = 10): number {
  let best = 0;
  for (let r = 0; r < restarts; r++) {
    let x = Math.floor(random() * (1 << graph.nodes));
    let value = cutValue(graph, x);
    let improved = true;
    while (improved) {
      improved = false;
      for (let i = 0; i < graph.nodes; i++) {
        const y = x ^ (1 << i);
        const v = cutValue(graph, y);
        if (v > value) {
          x = y;
          value = v;
          improved = true;
        }
      }
    }
    best = Math.max(best, value);
  }
  return best;
}
