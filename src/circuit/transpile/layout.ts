// The coupling graph of a device and the initial layout that places a circuit's qubits on its best-calibrated qubits.
import { TranspileError } from './synth.js';

/** Undirected view of a directed coupling map, with all-pairs hop distances. */
export interface CouplingGraph {
  readonly numQubits: number;
  readonly adjacency: readonly (readonly number[])[];
  /** dist[a * numQubits + b]: hops between physical qubits; -1 when disconnected. */
  readonly dist: Int32Array;
  /** `${control}_${target}` of every directed pair; empty for all-to-all. */
  readonly directed: ReadonlySet<string>;
  readonly allToAll: boolean;
}

/** Builds the graph; `couplingMap` undefined means every pair is coupled (both directions). */
export function couplingGraph(
  numQubits: number,
  couplingMap?: ReadonlyArray<readonly [number, number]>,
): CouplingGraph {
  const adjacency: number[][] = Array.from({ length: numQubits }, () => []);
  const directed = new Set<string>();
  const dist = new Int32Array(numQubits * numQubits).fill(-1);
  if (!couplingMap) {
    for (let a = 0; a < numQubits; a++)
      for (let b = 0; b < numQubits; b++) {
        dist[a * numQubits + b] = a === b ? 0 : 1;
        if (a !== b) adjacency[a].push(b);
      }
    return { numQubits, adjacency, dist, directed, allToAll: true };
  }
  for (const [a, b] of couplingMap) {
    if (a < 0 || b < 0 || a >= numQubits || b >= numQubits || a === b)
      throw new TranspileError(
        'coupling_invalid',
        `coupling pair [${a}, ${b}] is outside 0..${numQubits - 1}`,
      );
    directed.add(`${a}_${b}`);
    if (!adjacency[a].includes(b)) adjacency[a].push(b);
    if (!adjacency[b].includes(a)) adjacency[b].push(a);
  }
  for (const a of adjacency) a.sort((x, y) => x - y);
  const queue = new Int32Array(numQubits);
  for (let s = 0; s < numQubits; s++) {
    const row = s * numQubits;
    dist[row + s] = 0;
    let head = 0;
    let tail = 0;
    queue[tail++] = s;
    while (head < tail) {
      const u = queue[head++];
      for (const v of adjacency[u])
        if (dist[row + v] < 0) {
          dist[row + v] = dist[row + u] + 1;
          queue[tail++] = v;
        }
    }
  }
  return { numQubits, adjacency, dist, directed, allToAll: false };
}

/** Error scores the layout prefers low: per physical qubit and per undirected edge (`${min}_${max}`). */
export interface ErrorScores {
  readonly qubitError?: readonly number[];
  readonly edgeError?: ReadonlyMap<string, number>;
}

function edgeKey(a: number, b: number): string {
  return a < b ? `${a}_${b}` : `${b}_${a}`;
}

/**
 * Picks a connected set of `size` physical qubits of lowest total error: grown greedily from every start
 * qubit (always adding the neighbour whose qubit error plus cheapest connecting edge is lowest), best total kept.
 */
export function bestRegion(size: number, graph: CouplingGraph, scores: ErrorScores): number[] {
  const n = graph.numQubits;
  const qErr = (q: number) => scores.qubitError?.[q] ?? 0;
  const eErr = (a: number, b: number) => scores.edgeError?.get(edgeKey(a, b)) ?? 0;
  if (graph.allToAll) {
    return Array.from({ length: n }, (_, q) => q)
      .sort((a, b) => qErr(a) - qErr(b) || a - b)
      .slice(0, size)
      .sort((a, b) => a - b);
  }
  let best: number[] | undefined;
  let bestCost = Number.POSITIVE_INFINITY;
  const inSet = new Uint8Array(n);
  for (let start = 0; start < n; start++) {
    inSet.fill(0);
    const set = [start];
    inSet[start] = 1;
    let cost = qErr(start);
    while (set.length < size) {
      let pick = -1;
      let pickCost = Number.POSITIVE_INFINITY;
      for (const u of set)
        for (const v of graph.adjacency[u]) {
          if (inSet[v]) continue;
          const c = qErr(v) + eErr(u, v);
          if (c < pickCost) {
            pickCost = c;
            pick = v;
          }
        }
      if (pick < 0) break; // this component is too small
      set.push(pick);
      inSet[pick] = 1;
      cost += pickCost;
    }
    if (set.length === size && cost < bestCost) {
      bestCost = cost;
      best = set;
    }
  }
  if (!best)
    throw new TranspileError(
      'too_many_qubits',
      `the circuit needs ${size} connected qubits; the device has no connected set that large`,
    );
  return best;
}

/**
 * Initial layout (logical -> physical): the best region, then logical qubits placed in order of interaction,
 * each on the free region qubit closest (weighted by gate count) to its already placed partners.
 * @param interactions two-qubit gate pairs of the circuit, logical indices.
 */
export function initialLayout(
  numLogical: number,
  interactions: ReadonlyArray<readonly [number, number]>,
  graph: CouplingGraph,
  scores: ErrorScores,
): number[] {
  if (numLogical > graph.numQubits)
    throw new TranspileError(
      'too_many_qubits',
      `the circuit has ${numLogical} qubits; the device has ${graph.numQubits}`,
    );
  if (numLogical === 0) return [];
  const region = bestRegion(numLogical, graph, scores);
  const weight = new Map<string, number>();
  const degree = new Float64Array(numLogical);
  const partners: number[][] = Array.from({ length: numLogical }, () => []);
  for (const [a, b] of interactions) {
    const k = edgeKey(a, b);
    if (!weight.has(k)) {
      partners[a].push(b);
      partners[b].push(a);
    }
    weight.set(k, (weight.get(k) ?? 0) + 1);
    degree[a]++;
    degree[b]++;
  }
  const n = graph.numQubits;
  const layout = new Array<number>(numLogical).fill(-1);
  const used = new Set<number>();
  const qErr = (q: number) => scores.qubitError?.[q] ?? 0;
  const regionDegree = (p: number) => graph.adjacency[p].filter((v) => region.includes(v)).length;
  for (let placed = 0; placed < numLogical; placed++) {
    // Next logical: most gates with placed qubits, then highest degree, then lowest index.
    let next = -1;
    let nextKey = [-1, -1];
    for (let l = 0; l < numLogical; l++) {
      if (layout[l] >= 0) continue;
      let toPlaced = 0;
      for (const m of partners[l]) if (layout[m] >= 0) toPlaced += weight.get(edgeKey(l, m)) ?? 0;
      if (toPlaced > nextKey[0] || (toPlaced === nextKey[0] && degree[l] > nextKey[1])) {
        next = l;
        nextKey = [toPlaced, degree[l]];
      }
    }
    let pick = -1;
    let pickCost = Number.POSITIVE_INFINITY;
    for (const p of region) {
      if (used.has(p)) continue;
      let cost = 0;
      for (const m of partners[next])
        if (layout[m] >= 0) cost += (weight.get(edgeKey(next, m)) ?? 0) * graph.dist[p * n + layout[m]];
      // The first qubit goes where the region is densest; ties go to the better qubit.
      const tie = placed === 0 ? -regionDegree(p) : 0;
      const key = cost * 1e6 + tie * 1e3 + qErr(p);
      if (key < pickCost) {
        pickCost = key;
        pick = p;
      }
    }
    layout[next] = pick;
    used.add(pick);
  }
  improveBySwaps(layout, weight, graph);
  return layout;
}

/**
 * Hill-climbs the greedy placement: exchanges the physical qubits of two logical qubits while that lowers
 * Σ gates·(hops − 1). Greedy growth from the middle of a chain can strand its end;
 * this pass straightens it. Bounded: at most numLogical passes.
 */
function improveBySwaps(layout: number[], weight: ReadonlyMap<string, number>, graph: CouplingGraph): void {
  const n = graph.numQubits;
  const pairs = [...weight.entries()].map(([k, w]) => {
    const [a, b] = k.split('_').map(Number);
    return [a, b, w] as const;
  });
  const cost = () => {
    let c = 0;
    for (const [a, b, w] of pairs) c += w * (graph.dist[layout[a] * n + layout[b]] - 1);
    return c;
  };
  let current = cost();
  for (let pass = 0; pass < layout.length && current > 0; pass++) {
    let improved = false;
    for (let i = 0; i < layout.length; i++)
      for (let j = i + 1; j < layout.length; j++) {
        [layout[i], layout[j]] = [layout[j], layout[i]];
        const c = cost();
        if (c < current) {
          current = c;
          improved = true;
        } else [layout[i], layout[j]] = [layout[j], layout[i]];
      }
    if (!improved) break;
  }
}
