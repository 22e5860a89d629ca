// Transpilation for devices: lowering to cx + one-qubit gates, initial layout on good qubits, SABRE routing,
// basis translation. Pure: it takes plain inputs (basis, directed coupling map, error scores), not device types.
import { decompose } from '../decompose.js';
import { GATES } from '../gates.js';
import { Circuit, type Instruction } from '../ir.js';
import { translateToBasis } from './basis.js';
import { couplingGraph, type ErrorScores, initialLayout } from './layout.js';
import { sabreRoute } from './sabre.js';
import { lowerInstruction, TranspileError } from './synth.js';

export { bestRegion, candidateRegions, couplingGraph, initialLayout } from './layout.js';
export type { CouplingGraph, ErrorScores, Region } from './layout.js';
export { sabreRoute } from './sabre.js';
export type { RoutingResult } from './sabre.js';
export { TranspileError, wrapAngle, zsxSequence, zyz } from './synth.js';

/** What a circuit is transpiled for. */
export interface TranspileTarget {
  /** Physical qubits of the device. */
  readonly numQubits: number;
  readonly basisGates: readonly string[];
  /** Directed [control, target] pairs; undefined means all-to-all. */
  readonly couplingMap?: ReadonlyArray<readonly [number, number]>;
  /** Per physical qubit error score (lower is better), e.g. readout error plus one-qubit gate error. */
  readonly qubitError?: readonly number[];
  /** Per undirected edge `${min}_${max}` error score, e.g. the two-qubit gate error. */
  readonly edgeError?: ReadonlyMap<string, number>;
  /** Seed for SABRE's tie-breaking (default 0); same seed, same circuit. */
  readonly seed?: number;
  /** Fixed logical -> physical layout instead of the calibration-aware one. */
  readonly initialLayout?: readonly number[];
  /**
   * Route only within the physical qubits of the initial layout (no ancilla qubits), when they are connected.
   * A simulator then stays as wide as the circuit (each extra qubit doubles its cost); SWAP counts may rise a little.
   */
  readonly confineToLayout?: boolean;
  /** Forward-backward SABRE rounds that refine the initial layout before the final pass (default 1, as Li et al.). */
  readonly layoutRefinements?: number;
}

/** A transpiled circuit (on the device's physical qubits, same classical bits) with its layouts and figures. */
export interface TranspileResult {
  readonly circuit: Circuit;
  /** logical qubit -> physical qubit before the first gate. */
  readonly initialLayout: readonly number[];
  /** logical qubit -> physical qubit after the last gate (SWAPs move qubits). */
  readonly finalLayout: readonly number[];
  readonly depth: number;
  readonly twoQubitCount: number;
  readonly swapCount: number;
}

/** Depth as Qiskit counts it: barriers excluded, measurements and conditions occupy their clbits. */
export function circuitDepth(circuit: Circuit): number {
  const level = new Int32Array(circuit.numQubits + circuit.numClbits);
  let depth = 0;
  for (const inst of circuit.instructions) {
    if (inst.name === 'barrier') continue;
    const wires = [...inst.qubits, ...inst.clbits.map((c) => circuit.numQubits + c)];
    if (inst.condition) for (const c of inst.condition.clbits) wires.push(circuit.numQubits + c);
    let l = 0;
    for (const w of wires) l = Math.max(l, level[w]);
    l++;
    for (const w of wires) level[w] = l;
    depth = Math.max(depth, l);
  }
  return depth;
}

const LOWERED_DIRECTLY = new Set(['ccx', 'cswap']);

function needsDecompose(circuit: Circuit, inst: Instruction): boolean {
  if (inst.modifiers && inst.modifiers.length > 0) return true;
  const spec = GATES.get(inst.name);
  if (!spec) return circuit.definitions.has(inst.name);
  return spec.numQubits > 2 && !LOWERED_DIRECTLY.has(inst.name);
}

/** Gates acting on exactly two qubits. */
export function twoQubitGateCount(circuit: Circuit): number {
  let n = 0;
  for (const inst of circuit.instructions) if (inst.qubits.length === 2 && Circuit.isGate(inst)) n++;
  return n;
}

/**
 * Transpiles `circuit` (parameters bound) for a device: every two-qubit gate ends on a coupled pair, in the
 * device's direction, and every gate is in `basisGates`.
 * @example
 *   const r = transpile(ghz, { numQubits: 5, basisGates: ['rz', 'sx', 'x', 'cx'], couplingMap: [[0, 1], [1, 0], [1, 2]] });
 */
export function transpile(circuit: Circuit, target: TranspileTarget): TranspileResult {
  if (circuit.numQubits > target.numQubits)
    throw new TranspileError(
      'too_many_qubits',
      `the circuit has ${circuit.numQubits} qubits; the device has ${target.numQubits}`,
    );
  // The circuit module's decompose handles user gates, modifiers and wide library gates; the common gates are
  // lowered here directly (exactly, with their phases), which keeps circuits that need nothing more untouched.
  const lowered: Instruction[] = [];
  for (const inst of circuit.instructions) {
    if (!needsDecompose(circuit, inst)) {
      lowerInstruction(inst, (i) => lowered.push(i));
      continue;
    }
    const one = circuit.copyEmpty();
    one.instructions.push(inst);
    for (const part of decompose(one, ['cx', 'u']).instructions) {
      const arity = GATES.get(part.name)?.numQubits;
      if (arity !== undefined && part.qubits.length !== arity)
        throw new TranspileError(
          'decompose_failed',
          `decomposing ${inst.name} gave ${part.name} on ${part.qubits.length} qubit(s)`,
        );
      lowerInstruction(part, (i) => lowered.push(i));
    }
  }
  const graph = couplingGraph(target.numQubits, target.couplingMap);
  const interactions: Array<[number, number]> = [];
  for (const inst of lowered)
    if (inst.qubits.length === 2 && Circuit.isGate(inst)) interactions.push([inst.qubits[0], inst.qubits[1]]);
  const scores: ErrorScores = { qubitError: target.qubitError, edgeError: target.edgeError };
  let layout: number[];
  if (target.initialLayout) {
    layout = [...target.initialLayout];
    const ok =
      layout.length === circuit.numQubits &&
      new Set(layout).size === layout.length &&
      layout.every((p) => Number.isInteger(p) && p >= 0 && p < target.numQubits);
    if (!ok)
      throw new TranspileError(
        'layout_invalid',
        `initialLayout must map ${circuit.numQubits} qubits to distinct physical qubits`,
      );
  } else layout = initialLayout(circuit.numQubits, interactions, graph, scores);
  let routingGraph = graph;
  if (target.confineToLayout && target.couplingMap && layout.length > 1) {
    const inside = new Set(layout);
    const sub = couplingGraph(
      target.numQubits,
      target.couplingMap.filter(([a, b]) => inside.has(a) && inside.has(b)),
    );
    const connected = layout.every((p) => sub.dist[layout[0] * target.numQubits + p] >= 0);
    if (connected) routingGraph = sub;
  }
  if (!target.initialLayout && (target.layoutRefinements ?? 1) > 0) {
    // SABRE's reverse-traversal refinement: route forward, then the reversed circuit from where that ended;
    // the backward pass's final layout suits the start of the circuit. Only the placement within the chosen
    // qubits changes when routing is confined, so the preference for good qubits is kept.
    const reversed = [...lowered].reverse();
    const seed = target.seed ?? 0;
    for (let k = 0; k < (target.layoutRefinements ?? 1); k++) {
      const forward = sabreRoute(lowered, circuit.numQubits, circuit.numClbits, routingGraph, layout, seed);
      const backward = sabreRoute(
        reversed,
        circuit.numQubits,
        circuit.numClbits,
        routingGraph,
        forward.finalLayout,
        seed,
      );
      layout = backward.finalLayout;
    }
  }
  const routed = sabreRoute(
    lowered,
    circuit.numQubits,
    circuit.numClbits,
    routingGraph,
    layout,
    target.seed ?? 0,
  );
  const translated = translateToBasis(routed.instructions, target.basisGates, graph);
  const out = new Circuit(target.numQubits, 0, circuit.name);
  for (const r of circuit.cregs) out.addCreg(r.name, r.size);
  for (const inst of translated) out.append(inst);
  return {
    circuit: out,
    initialLayout: layout,
    finalLayout: routed.finalLayout,
    depth: circuitDepth(out),
    twoQubitCount: twoQubitGateCount(out),
    swapCount: routed.swapCount,
  };
}
