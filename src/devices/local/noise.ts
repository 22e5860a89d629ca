// Noise models and transpile targets built from a normalized Calibration, for the local fake devices.
import type { TranspileTarget } from '../../circuit/index.js';
import type { GateNoise, NoiseModel, QubitNoise } from '../../sim/index.js';
import type { Calibration } from '../types.js';

/**
 * The simulator's NoiseModel of a calibration: per-qubit T1, T2 and readout confusion, per-gate error and
 * length keyed `${gate}:${qubits}`. With `physical`, the model is for a compacted circuit whose qubit i is
 * physical qubit physical[i] (gates on other qubits are left out).
 */
export function noiseModelFromCalibration(cal: Calibration, physical?: readonly number[]): NoiseModel {
  const toLocal = new Map<number, number>();
  const order = physical ?? Array.from({ length: cal.numQubits }, (_, q) => q);
  order.forEach((p, i) => {
    toLocal.set(p, i);
  });
  const byQubit = new Map(cal.qubits.map((q) => [q.qubit, q]));
  const qubits: QubitNoise[] = order.map((p) => {
    const q = byQubit.get(p);
    return {
      t1Seconds: q?.t1Seconds,
      t2Seconds: q?.t2Seconds,
      probMeas0Prep1: q?.probMeas0Prep1,
      probMeas1Prep0: q?.probMeas1Prep0,
    };
  });
  const gates = new Map<string, GateNoise>();
  for (const g of cal.gates) {
    const local = g.qubits.map((q) => toLocal.get(q));
    if (local.some((q) => q === undefined)) continue;
    gates.set(`${g.gate}:${local.join('_')}`, { error: g.error, lengthSeconds: g.lengthSeconds });
  }
  return { qubits, gates };
}

/** Mean of the defined values, or undefined. */
function mean(values: ReadonlyArray<number | undefined>): number | undefined {
  const xs = values.filter((v): v is number => v !== undefined);
  return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
}

/**
 * The transpiler's target for a calibration. Qubit score: readout error plus the mean one-qubit gate error
 * (a broken qubit, `operational: false`, scores 1); edge score: the lower over its two directions of the two-qubit
 * gate error plus length/T1 of both qubits (decay during a long gate, which the noise model simulates).
 */
export function transpileTarget(cal: Calibration, seed?: number): TranspileTarget {
  const qubitError = new Array<number>(cal.numQubits).fill(0);
  const oneQubit = new Map<number, Array<number | undefined>>();
  const edgeError = new Map<string, number>();
  const t1 = new Map(cal.qubits.map((q) => [q.qubit, q.t1Seconds]));
  for (const g of cal.gates) {
    if (g.gate === 'reset' || g.gate === 'measure') continue;
    if (g.qubits.length === 1) {
      const list = oneQubit.get(g.qubits[0]) ?? [];
      list.push(g.error);
      oneQubit.set(g.qubits[0], list);
    } else if (g.qubits.length === 2 && g.error !== undefined && cal.basisGates.includes(g.gate)) {
      const [a, b] = g.qubits;
      const key = a < b ? `${a}_${b}` : `${b}_${a}`;
      // A long gate also decays its qubits (the simulator models it): add len/T1 of each, to first order.
      const decay = (q: number) => (g.lengthSeconds && t1.get(q) ? g.lengthSeconds / t1.get(q)! : 0);
      const score = g.error + decay(a) + decay(b);
      edgeError.set(key, Math.min(edgeError.get(key) ?? Number.POSITIVE_INFINITY, score));
    }
  }
  for (const q of cal.qubits) {
    if (q.qubit >= cal.numQubits) continue;
    qubitError[q.qubit] =
      q.operational === false ? 1 : (q.readoutError ?? 0) + (mean(oneQubit.get(q.qubit) ?? []) ?? 0);
  }
  return {
    numQubits: cal.numQubits,
    basisGates: cal.basisGates,
    couplingMap: cal.couplingMap,
    qubitError,
    edgeError,
    seed,
    // Local devices simulate every qubit the routed circuit touches: keep it to the circuit's own width.
    confineToLayout: true,
  };
}
