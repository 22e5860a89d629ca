// Fidelity of a finished job on a local noisy device: Hellinger fidelity of its counts against an ideal run
// of the same circuit, and the estimated success probability of its transpiled circuit under the calibration
// in force. The result has the structural shape of the Observer's `fidelityOf` hook.
import type { Circuit } from '../../circuit/index.js';
import { hellingerFidelity, simulate } from '../../sim/index.js';
import type { Device, JobRecord } from '../types.js';
import { LocalDevice } from './device.js';

/** A fidelity figure with its method, as the Observer records it. */
export interface MethodFidelity {
  readonly value: number;
  readonly method: 'hellinger' | 'esp';
}

/** Ideal reference runs cost a state vector of the circuit's width: beyond this many qubits none is made. */
const MAX_REFERENCE_QUBITS = 20;

/**
 * Hellinger fidelity (against an ideal simulation with 8x the shots, seeded from the job) and ESP for a
 * completed job on a noisy local device; [] for an ideal device, a job without counts, or a circuit too wide
 * for a reference run.
 */
export function localJobFidelity(job: JobRecord, circuit: Circuit, device: Device): MethodFidelity[] {
  if (!(device instanceof LocalDevice) || !job.counts || job.status !== 'completed') return [];
  const out: MethodFidelity[] = [];
  let prepared: ReturnType<LocalDevice['prepare']> | undefined;
  try {
    prepared = device.prepare(circuit, { shots: job.shots });
  } catch {
    return [];
  }
  if (!prepared.noise) return [];
  if (circuit.numQubits <= MAX_REFERENCE_QUBITS && circuit.numClbits > 0) {
    // The reference is sampled too (Qiskit's hellinger_fidelity compares two count sets); 8x the shots keeps
    // its own sampling noise small next to the job's.
    const ideal = simulate(circuit, { shots: Math.min(8 * job.shots, 200_000), seed: seedOf(job.id) });
    out.push({ value: hellingerFidelity(job.counts, ideal.counts), method: 'hellinger' });
  }
  if (prepared.esp !== undefined && Number.isFinite(prepared.esp))
    out.push({ value: prepared.esp, method: 'esp' });
  return out;
}

function seedOf(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}
