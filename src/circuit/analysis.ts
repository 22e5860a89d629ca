// Circuit metrics with Qiskit's definitions and the six SupermarQ features, in one pass over typed arrays.
import { operationName } from './flatten.js';
import type { Circuit, Instruction } from './ir.js';

/** The six SupermarQ application features (Tomesh et al. 2022), each in [0, 1]. */
export interface SupermarqFeatures {
  /** Average degree of the qubit interaction graph divided by n - 1. */
  readonly communication: number;
  /** Two-qubit gates on the longest path divided by all two-qubit gates. */
  readonly criticalDepth: number;
  /** Two-qubit gates divided by all operations. */
  readonly entanglement: number;
  /** Active (qubit, layer) cells divided by n x depth. */
  readonly liveness: number;
  /** Layers holding a mid-circuit measurement or reset divided by depth. */
  readonly measurement: number;
  /** (operations / depth - 1) / (n - 1), clamped at 0. */
  readonly parallelism: number;
}

/** What qobs reports about a circuit; definitions in docs/circuit-metrics.md. */
export interface CircuitAnalysis {
  readonly numQubits: number;
  readonly numClbits: number;
  /** Qubits plus clbits (Qiskit's `width()`). */
  readonly width: number;
  /** Longest path through qubit and clbit wires; barriers excluded, measurements and conditions included. */
  readonly depth: number;
  /** Operations, barriers excluded (Qiskit's `size()`). */
  readonly size: number;
  /**
   * Operations by name, barriers included (Qiskit's `count_ops()`). A QASM 3 modified gate counts as the built-in it
   * equals (`ctrl @ x` as cx), else under its spelled-out name (`ctrl(2) @ h`).
   */
  readonly countOps: Record<string, number>;
  /** Operations on two or more qubits, barriers excluded (Qiskit's `num_nonlocal_gates()`). */
  readonly twoQubitGates: number;
  readonly measurements: number;
  /** Gates (not measure, reset, barrier, delay) by the number of qubits they act on. */
  readonly gatesByArity: Record<number, number>;
  readonly supermarq: SupermarqFeatures;
}

/** A global phase with no qubits is a property of the circuit, not an operation (as in Qiskit). */
function isGlobalPhase(inst: Instruction): boolean {
  return inst.qubits.length === 0 && inst.clbits.length === 0;
}

/**
 * Analyzes a circuit in one pass. Each wire (qubits first, then clbits) keeps the layer of its last operation in an
 * Int32Array; an operation lands one layer after the latest of its wires, which is Qiskit's depth.
 * @example
 *   analyze(new Circuit(2).h(0).cx(0, 1)).depth === 2
 */
export function analyze(circuit: Circuit): CircuitAnalysis {
  const nq = circuit.numQubits;
  const nc = circuit.numClbits;
  const insts = circuit.instructions;
  const wires = nq + nc;
  // layer of the last operation on each wire, and the most two-qubit gates on a longest path ending there
  const level = new Int32Array(wires);
  const crit = new Int32Array(wires);
  // the layer of a pending measure/reset on each qubit, 0 when none (becomes mid-circuit once the qubit is used again)
  const pendingMeasure = new Int32Array(nq);
  const midLayer = new Uint8Array(insts.length + 1);
  const adjacency = nq <= 4096 ? new Uint8Array(nq * nq) : undefined;
  const edges = adjacency ? undefined : new Set<number>();
  // one mutable box per name: a get per instruction and no set (measurably faster than get+set)
  const counts = new Map<string, { n: number }>();
  let lastName = '';
  let lastBox = { n: 0 };
  const arity: Record<number, number> = {};
  let size = 0;
  let twoQ = 0;
  let measurements = 0;
  let activeCells = 0;
  let depth = 0;
  let depthCrit = 0;

  for (let i = 0; i < insts.length; i++) {
    const inst = insts[i];
    const name = inst.modifiers === undefined ? inst.name : operationName(circuit, inst);
    if (isGlobalPhase(inst)) continue;
    if (name !== lastName) {
      let box = counts.get(name);
      if (box === undefined) {
        box = { n: 0 };
        counts.set(name, box);
      }
      lastName = name;
      lastBox = box;
    }
    lastBox.n++;
    if (name === 'barrier') continue;
    size++;
    const qs = inst.qubits;
    const cs = inst.clbits;
    const cond = inst.condition;
    const k = qs.length;
    const isMeasure = name === 'measure';
    const isReset = name === 'reset';
    if (isMeasure) measurements++;
    else if (!isReset && name !== 'delay') arity[k] = (arity[k] ?? 0) + 1;
    const nonlocal = k >= 2;
    if (nonlocal) twoQ++;
    activeCells += k;

    // longest path ending at this operation
    let m = 0;
    let best = 0;
    for (let j = 0; j < k; j++) {
      const w = qs[j];
      const l = level[w];
      if (l > m) {
        m = l;
        best = crit[w];
      } else if (l === m && crit[w] > best) best = crit[w];
      const pm = pendingMeasure[w];
      if (pm > 0) {
        midLayer[pm] = 1;
        pendingMeasure[w] = 0;
      }
    }
    for (let j = 0; j < cs.length; j++) {
      const w = nq + cs[j];
      const l = level[w];
      if (l > m) {
        m = l;
        best = crit[w];
      } else if (l === m && crit[w] > best) best = crit[w];
    }
    if (cond) {
      const cb = cond.clbits;
      for (let j = 0; j < cb.length; j++) {
        const w = nq + cb[j];
        const l = level[w];
        if (l > m) {
          m = l;
          best = crit[w];
        } else if (l === m && crit[w] > best) best = crit[w];
      }
    }
    const lv = m + 1;
    const cv = best + (nonlocal ? 1 : 0);
    for (let j = 0; j < k; j++) {
      level[qs[j]] = lv;
      crit[qs[j]] = cv;
    }
    for (let j = 0; j < cs.length; j++) {
      level[nq + cs[j]] = lv;
      crit[nq + cs[j]] = cv;
    }
    if (cond) {
      const cb = cond.clbits;
      for (let j = 0; j < cb.length; j++) {
        level[nq + cb[j]] = lv;
        crit[nq + cb[j]] = cv;
      }
    }
    if (lv > depth || (lv === depth && cv > depthCrit)) {
      depth = lv;
      depthCrit = cv;
    }
    if (isMeasure || isReset) for (let j = 0; j < k; j++) pendingMeasure[qs[j]] = lv;
    if (nonlocal) {
      for (let a = 0; a < k; a++)
        for (let b = a + 1; b < k; b++) {
          const x = qs[a];
          const y = qs[b];
          if (adjacency) {
            adjacency[x * nq + y] = 1;
            adjacency[y * nq + x] = 1;
          } else {
            edges!.add(x < y ? x * nq + y : y * nq + x);
          }
        }
    }
  }

  let degreeSum = 0;
  if (adjacency) for (let i = 0; i < adjacency.length; i++) degreeSum += adjacency[i];
  else degreeSum = 2 * edges!.size;
  let midLayers = 0;
  for (let l = 1; l <= depth; l++) midLayers += midLayer[l];

  const countOps: Record<string, number> = {};
  const sorted = [...counts].map(([name, box]) => [name, box.n] as const);
  sorted.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [name, n] of sorted) countOps[name] = n;

  return {
    numQubits: nq,
    numClbits: nc,
    width: nq + nc,
    depth,
    size,
    countOps,
    twoQubitGates: twoQ,
    measurements,
    gatesByArity: arity,
    supermarq: {
      communication: nq > 1 ? degreeSum / (nq * (nq - 1)) : 0,
      criticalDepth: twoQ > 0 ? depthCrit / twoQ : 0,
      entanglement: size > 0 ? twoQ / size : 0,
      liveness: nq > 0 && depth > 0 ? activeCells / (nq * depth) : 0,
      measurement: depth > 0 ? midLayers / depth : 0,
      parallelism: nq > 1 && depth > 0 ? Math.max(0, (size / depth - 1) / (nq - 1)) : 0,
    },
  };
}
