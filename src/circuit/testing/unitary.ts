// Helpers shared by the circuit module's tests: dense unitaries and distance up to global phase.
import { flatten } from '../flatten.js';
import { GATES, composeUnitary, type Matrix } from '../gates.js';
import type { Circuit } from '../ir.js';

/** The unitary of a circuit without measurements (after flattening), on all its qubits; global phase included. */
export function circuitUnitary(circuit: Circuit, parameters?: Readonly<Record<string, number>>): Matrix {
  const flat = flatten(circuit, parameters);
  let phase = 0;
  const steps: Array<{ matrix: Matrix; qubits: readonly number[] }> = [];
  for (const inst of flat.instructions) {
    if (inst.name === 'barrier') continue;
    if (inst.name === 'gphase') {
      phase += inst.params[0] as number;
      continue;
    }
    if (inst.name === 'measure' || inst.name === 'reset' || inst.condition)
      throw new Error(`${inst.name} is not unitary`);
    const matrix =
      inst.name === 'unitary' ? inst.matrix! : GATES.get(inst.name)!.matrix(inst.params as number[]);
    steps.push({ matrix, qubits: inst.qubits });
  }
  const u = composeUnitary(circuit.numQubits, steps);
  const c = Math.cos(phase);
  const s = Math.sin(phase);
  for (let i = 0; i < u.length; i += 2) {
    const re = u[i];
    const im = u[i + 1];
    u[i] = re * c - im * s;
    u[i + 1] = re * s + im * c;
  }
  return u;
}

/** Largest entry-wise distance between a and e^{i phi} b, for the phase phi that aligns their largest entries. */
export function distanceUpToPhase(a: Matrix, b: Matrix): number {
  let k = 0;
  let best = -1;
  for (let i = 0; i < b.length; i += 2) {
    const m = Math.hypot(b[i], b[i + 1]);
    if (m > best) {
      best = m;
      k = i;
    }
  }
  const den = b[k] ** 2 + b[k + 1] ** 2;
  let pr = (a[k] * b[k] + a[k + 1] * b[k + 1]) / den;
  let pi = (a[k + 1] * b[k] - a[k] * b[k + 1]) / den;
  const norm = Math.hypot(pr, pi);
  pr /= norm;
  pi /= norm;
  let worst = 0;
  for (let i = 0; i < a.length; i += 2) {
    const re = b[i] * pr - b[i + 1] * pi;
    const im = b[i] * pi + b[i + 1] * pr;
    worst = Math.max(worst, Math.hypot(re - a[i], im - a[i + 1]));
  }
  return worst;
}
