// SABRE routing (Li, Ding, Xie, ASPLOS 2019): inserts SWAPs so every two-qubit gate acts on coupled qubits.
//
// Variant: one pass from a given layout (the caller, transpile(), first refines its calibration-chosen layout
// with the paper's forward-backward traversal), with the paper's "decay" heuristic: front layer F, extended
// set E of up to 20 upcoming two-qubit gates weighted W = 0.5, decay delta 0.001 reset every 5 swaps and after
// each executed gate. A release valve routes the oldest front gate along a shortest path when no gate has
// executed for 10 * n swaps, so routing always terminates.
import { Circuit, type Instruction } from '../ir.js';
import type { CouplingGraph } from './layout.js';
import { TranspileError } from './synth.js';

const EXTENDED_SET_SIZE = 20;
const EXTENDED_SET_WEIGHT = 0.5;
const DECAY_DELTA = 0.001;
const DECAY_RESET_INTERVAL = 5;

export interface RoutingResult {
  /** The routed instructions on physical qubits, with inserted `swap` gates. */
  readonly instructions: Instruction[];
  /** logical -> physical at the end. */
  readonly finalLayout: number[];
  readonly swapCount: number;
}

/** A small seeded generator (mulberry32) for breaking ties between equally scored swaps. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Routes `instructions` (logical qubits, gates on at most two qubits apart from barriers) from `layout`.
 * @param numClbits classical bits, which order measurements and conditioned gates.
 */
export function sabreRoute(
  instructions: readonly Instruction[],
  numLogical: number,
  numClbits: number,
  graph: CouplingGraph,
  layout: readonly number[],
  seed = 0,
): RoutingResult {
  const N = graph.numQubits;
  const m = instructions.length;
  const l2p = [...layout];
  const p2l = new Int32Array(N).fill(-1);
  l2p.forEach((p, l) => {
    p2l[p] = l;
  });

  // Dependency DAG over qubit and clbit wires (a condition reads its clbits).
  const succs: number[][] = Array.from({ length: m }, () => []);
  const preds = new Int32Array(m);
  const last = new Int32Array(numLogical + numClbits).fill(-1);
  instructions.forEach((inst, i) => {
    const wires = [...inst.qubits, ...inst.clbits.map((c) => numLogical + c)];
    if (inst.condition) for (const c of inst.condition.clbits) wires.push(numLogical + c);
    const seen = new Set<number>();
    for (const w of wires) {
      const p = last[w];
      if (p >= 0 && !seen.has(p)) {
        seen.add(p);
        succs[p].push(i);
        preds[i]++;
      }
      last[w] = i;
    }
  });

  const out: Instruction[] = [];
  const decay = new Float64Array(N).fill(1);
  const random = rng(seed);
  const d = (a: number, b: number) => graph.dist[a * N + b];
  // Only gates need coupled qubits; a barrier, or a measure/reset/delay listing two qubits, does not.
  const isTwoQubit = (i: number) => instructions[i].qubits.length === 2 && Circuit.isGate(instructions[i]);
  let front: number[] = [];
  for (let i = 0; i < m; i++) if (preds[i] === 0) front.push(i);
  let swapCount = 0;
  let swapsSinceProgress = 0;
  // Scratch reused across iterations (this loop runs once per SWAP; allocating here dominated large circuits).
  const extended: number[] = [];
  let extendedStale = true;
  const visited = new Int32Array(m);
  let stamp = 0;
  const seenEdge = new Int32Array(N * N);
  let candidateStamp = 0;
  const candidates: number[] = [];
  const best: number[] = [];
  let swapsSinceReset = 0;

  const emit = (inst: Instruction) => out.push({ ...inst, qubits: inst.qubits.map((q) => l2p[q]) });
  const applySwap = (p1: number, p2: number) => {
    out.push({ name: 'swap', qubits: [p1, p2], clbits: [], params: [] });
    const l1 = p2l[p1];
    const l2 = p2l[p2];
    p2l[p1] = l2;
    p2l[p2] = l1;
    if (l1 >= 0) l2p[l1] = p2;
    if (l2 >= 0) l2p[l2] = p1;
    swapCount++;
    swapsSinceProgress++;
    decay[p1] += DECAY_DELTA;
    decay[p2] += DECAY_DELTA;
    if (++swapsSinceReset >= DECAY_RESET_INTERVAL) {
      decay.fill(1);
      swapsSinceReset = 0;
    }
  };

  while (front.length > 0) {
    const next: number[] = [];
    let progressed = false;
    for (const i of front) {
      const inst = instructions[i];
      if (isTwoQubit(i)) {
        const a = l2p[inst.qubits[0]];
        const b = l2p[inst.qubits[1]];
        const hops = d(a, b);
        if (hops < 0)
          throw new TranspileError(
            'no_route',
            `${inst.name}: physical qubits ${a} and ${b} are not connected on this device`,
          );
        if (hops !== 1) {
          next.push(i);
          continue;
        }
      }
      emit(inst);
      progressed = true;
      for (const s of succs[i]) if (--preds[s] === 0) next.push(s);
    }
    front = next;
    if (progressed) {
      extendedStale = true;
      decay.fill(1);
      swapsSinceReset = 0;
      swapsSinceProgress = 0;
      continue;
    }
    if (front.length === 0) break;

    if (swapsSinceProgress > 10 * N) {
      // Release valve: walk the oldest blocked gate's first qubit toward its partner.
      const oldest = instructions[Math.min(...front)];
      const a = l2p[oldest.qubits[0]];
      const b = l2p[oldest.qubits[1]];
      let cur = a;
      while (d(cur, b) > 1) {
        const step = graph.adjacency[cur].find((v) => d(v, b) === d(cur, b) - 1)!;
        applySwap(cur, step);
        cur = step;
      }
      continue;
    }

    // Extended set: the next two-qubit gates after the front layer, breadth first. It depends on the front
    // only, so it is rebuilt when a gate executes, not after every SWAP.
    if (extendedStale) {
      extended.length = 0;
      stamp++;
      for (const i of front) visited[i] = stamp;
      let layer = front;
      while (extended.length < EXTENDED_SET_SIZE && layer.length > 0) {
        const nextLayer: number[] = [];
        for (const i of layer)
          for (const s of succs[i]) {
            if (visited[s] === stamp) continue;
            visited[s] = stamp;
            nextLayer.push(s);
            if (isTwoQubit(s) && extended.length < EXTENDED_SET_SIZE) extended.push(s);
          }
        layer = nextLayer;
      }
      extendedStale = false;
    }

    // Candidate SWAPs: every coupling edge at a physical qubit of a front gate (deduplicated by a stamp).
    candidateStamp++;
    candidates.length = 0;
    for (const i of front)
      for (const lq of instructions[i].qubits) {
        const p = l2p[lq];
        for (const v of graph.adjacency[p]) {
          const a = Math.min(p, v);
          const b = Math.max(p, v);
          if (seenEdge[a * N + b] === candidateStamp) continue;
          seenEdge[a * N + b] = candidateStamp;
          candidates.push(a, b);
        }
      }
    let bestScore = Number.POSITIVE_INFINITY;
    best.length = 0;
    for (let c = 0; c < candidates.length; c += 2) {
      const p1 = candidates[c];
      const p2 = candidates[c + 1];
      let fSum = 0;
      for (const i of front) {
        const q = instructions[i].qubits;
        fSum += d(swapped(l2p[q[0]], p1, p2), swapped(l2p[q[1]], p1, p2));
      }
      let eSum = 0;
      for (const i of extended) {
        const q = instructions[i].qubits;
        eSum += d(swapped(l2p[q[0]], p1, p2), swapped(l2p[q[1]], p1, p2));
      }
      const h =
        Math.max(decay[p1], decay[p2]) *
        (fSum / front.length + (extended.length > 0 ? (EXTENDED_SET_WEIGHT * eSum) / extended.length : 0));
      if (h < bestScore - 1e-12) {
        bestScore = h;
        best.length = 0;
        best.push(p1, p2);
      } else if (Math.abs(h - bestScore) <= 1e-12) best.push(p1, p2);
    }
    const pick = 2 * Math.floor(random() * (best.length / 2));
    applySwap(best[pick], best[pick + 1]);
  }
  return { instructions: out, finalLayout: l2p, swapCount };
}

/** Where physical qubit p's content sits after exchanging p1 and p2. */
function swapped(p: number, p1: number, p2: number): number {
  return p === p1 ? p2 : p === p2 ? p1 : p;
}
