// Circuit figures for telemetry: the circuit module's analysis, computed once per Circuit object, and a stable id.
import { analyze, type Circuit } from '../circuit/index.js';

/** The part of the circuit module's `analyze(circuit)` result that telemetry records. */
export interface CircuitFigures {
  readonly numQubits: number;
  readonly numClbits: number;
  readonly depth: number;
  readonly size: number;
  readonly twoQubitGates: number;
  readonly measurements: number;
  readonly countOps: Readonly<Record<string, number>>;
}

/** Telemetry's view of a circuit: its figures (undefined when analysis failed) and a content-derived id. */
export interface CircuitInfo {
  readonly id: string;
  readonly figures: CircuitFigures | undefined;
  /** Gate count: operations other than measure, reset and barrier. */
  readonly gateCount: number | undefined;
}

const NON_GATES = new Set(['measure', 'reset', 'barrier', 'delay']);

// Circuits are analysed once each; a WeakMap lets a circuit and its entry be collected together. The
// instruction and qubit counts guard against a circuit built further after its first run (Circuit is mutable).
const cache = new WeakMap<Circuit, { info: CircuitInfo; instructions: number; qubits: number }>();

/** Figures and id of `circuit`, computed on the first call for this object (again if it grew since). Never throws. */
export function circuitInfo(circuit: Circuit): CircuitInfo {
  const hit = cache.get(circuit);
  if (hit && hit.instructions === circuit.instructions.length && hit.qubits === circuit.numQubits)
    return hit.info;
  let figures: CircuitFigures | undefined;
  try {
    figures = analyze(circuit);
  } catch {
    figures = undefined; // an unanalysable circuit still runs; its figures are simply not recorded
  }
  let gateCount: number | undefined;
  if (figures) {
    gateCount = 0;
    for (const [op, n] of Object.entries(figures.countOps)) if (!NON_GATES.has(op)) gateCount += n;
  }
  const info: CircuitInfo = { id: circuitId(circuit), figures, gateCount };
  cache.set(circuit, { info, instructions: circuit.instructions.length, qubits: circuit.numQubits });
  return info;
}

/** A 16-hex-digit FNV-1a hash of the circuit's registers and instructions: equal circuits share it. */
export function circuitId(circuit: Circuit): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
  };
  mix(`${circuit.numQubits}/${circuit.numClbits};`);
  for (const inst of circuit.instructions) {
    mix(inst.name);
    mix(inst.qubits.join(','));
    mix(inst.clbits.join(','));
    if (inst.params.length) mix(JSON.stringify(inst.params));
    mix(';');
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
