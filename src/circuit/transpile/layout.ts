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

/** A connected set of physical qubits and its error cost (qubit scores plus the edges that grew it). */
export interface Region {
  readonly qubits: readonly number[];
  readonly cost: number;
}

/**
 * Connected sets of `size` physical qubits, lowest error first: one grown greedily from every start qubit
 * (always adding the neighbour whose qubit error plus cheapest connecting edge is lowest), duplicates removed.
 */
export function candidateRegions(size: number, graph: CouplingGraph, scores: ErrorScores): Region[] {
  const n = graph.numQubits;
  const qErr = (q: number) => scores.qubitError?.[q] ?? 0;
  const eErr = (a: number, b: number) => scores.edgeError?.get(edgeKey(a, b)) ?? 0;
  if (graph.allToAll) {
    const qubits = Array.from({ length: n }, (_, q) => q)
      .sort((a, b) => qErr(a) - qErr(b) || a - b)
      .slice(0, size)
      .sort((a, b) => a - b);
    return [{ qubits, cost: qubits.reduce((c, q) => c + qErr(q), 0) }];
  }
  const seen = new Map<string, Region>();
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
    if (set.length !== size) continue;
    const key = [...set].sort((a, b) => a - b).join(',');
    const prev = seen.get(key);
    if (!prev || cost < prev.cost) seen.set(key, { qubits: set, cost });
  }
  if (seen.size === 0)
    throw new TranspileError(
      'too_many_qubits',
      `the circuit needs ${size} connected qubits; the device has no connected set that large`,
    );
  return [...seen.values()].sort((a, b) => a.cost - b.cost);
}

/** The lowest-error connected set of `size` physical qubits (see candidateRegions). */
export function bestRegion(size: number, graph: CouplingGraph, scores: ErrorScores): number[] {
  return [...candidateRegions(size, graph, scores)[0].qubits];
}

/** Regions whose placement and expected SWAP cost initialLayout compares. */
const REGIONS_COMPARED = 8;

/** Hop distances inside `region` only (routing confined to it), -1 between unconnected qubits. */
function regionDistances(region: readonly number[], graph: CouplingGraph): Int32Array {
  const n = graph.numQubits;
  if (graph.allToAll) return graph.dist;
  const inside = new Uint8Array(n);
  for (const q of region) inside[q] = 1;
  const dist = new Int32Array(n * n).fill(-1);
  for (const s of region) {
    const row = s * n;
    dist[row + s] = 0;
    const queue = [s];
    for (let h = 0; h < queue.length; h++) {
      const u = queue[h];
      for (const v of graph.adjacency[u])
        if (inside[v] && dist[row + v] < 0) {
          dist[row + v] = dist[row + u] + 1;
          queue.push(v);
        }
    }
  }
  return dist;
}

/**
 * Initial layout (logical -> physical). The lowest-error connected regions are each filled by placing logical
 * qubits in order of interaction, each on the free region qubit closest (weighted by gate count) to its placed
 * partners, then improved by pairwise exchanges. The region kept minimizes its error cost plus the SWAPs the
 * placement still needs, Σ gates·(hops − 1), each SWAP charged as three two-qubit gates of the region's mean
 * edge error: a slightly worse qubit that saves a SWAP wins.
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
  const pairs = [...weight.entries()].map(([k, w]) => {
    const [a, b] = k.split('_').map(Number);
    return [a, b, w] as const;
  });
  const n = graph.numQubits;
  const qErr = (q: number) => scores.qubitError?.[q] ?? 0;
  let best: number[] | undefined;
  let bestTotal = Number.POSITIVE_INFINITY;
  for (const region of candidateRegions(numLogical, graph, scores).slice(0, REGIONS_COMPARED)) {
    const dist = regionDistances(region.qubits, graph);
    const layout = place(numLogical, region.qubits, dist, n, graph, weight, partners, degree, qErr);
    improveBySwaps(layout, pairs, dist, n);
    let hops = 0;
    for (const [a, b, w] of pairs) hops += w * (dist[layout[a] * n + layout[b]] - 1);
    let edgeSum = 0;
    let edges = 0;
    for (const u of region.qubits)
      for (const v of graph.adjacency[u])
        if (u < v && region.qubits.includes(v)) {
          edgeSum += scores.edgeError?.get(edgeKey(u, v)) ?? 0;
          edges++;
        }
    // Without scores a SWAP still costs something, so fewer SWAPs break the tie.
    const swapCost = 3 * Math.max(edges > 0 ? edgeSum / edges : 0, 1e-3);
    const total = region.cost + hops * swapCost;
    if (total < bestTotal - 1e-15) {
      bestTotal = total;
      best = layout;
    }
  }
  return best!;
}

function place(
  numLogical: number,
  region: readonly number[],
  dist: Int32Array,
  n: number,
  graph: CouplingGraph,
  weight: ReadonlyMap<string, number>,
  partners: readonly (readonly number[])[],
  degree: Float64Array,
  qErr: (q: number) => number,
): number[] {
  const layout = new Array<number>(numLogical).fill(-1);
  const used = new Set<number>();
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
        if (layout[m] >= 0) cost += (weight.get(edgeKey(next, m)) ?? 0) * dist[p * n + layout[m]];
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
  return layout;
}

/**
 * Hill-climbs a placement: exchanges the physical qubits of two logical qubits while that lowers
 * Σ gates·(hops − 1). Greedy growth from the middle of a chain can strand its end; this pass straightens it.
 * Bounded: at most numLogical passes.
 */
function improveBySwaps(
  layout: number[],
  pairs: ReadonlyArray<readonly [number, number, number]>,
  dist: Int32Array,
  n: number,
): void {
  const cost = () => {
    let c = 0;
    for (const [a, b, w] of pairs) c += w * (dist[layout[a] * n + layout[b]] - 1);
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
