// The device contract shared by every provider adapter (local, ibm, braket, ionq) and by the
// telemetry, health and cost modules: devices, jobs and the normalized calibration model.
import type { Circuit } from '../circuit/index.js';

export type ProviderName = 'local' | 'ibm' | 'braket' | 'ionq';

/** `unknown` when the provider could not be asked (an outage is not an offline device). */
export type DeviceStatus = 'online' | 'offline' | 'maintenance' | 'unknown';

/** One qubit's calibration. Times in seconds, frequencies in Hz, errors as probabilities. */
export interface QubitCalibration {
  readonly qubit: number;
  readonly t1Seconds?: number;
  readonly t2Seconds?: number;
  readonly frequencyHz?: number;
  /** Average assignment error, (p(0|1) + p(1|0)) / 2 when both are known. */
  readonly readoutError?: number;
  /** p(measure 0 | prepared 1): IBM's prob_meas0_prep1. */
  readonly probMeas0Prep1?: number;
  /** p(measure 1 | prepared 0): IBM's prob_meas1_prep0. */
  readonly probMeas1Prep0?: number;
  readonly readoutLengthSeconds?: number;
  readonly operational?: boolean;
}

/** One gate's calibration on specific qubits. */
export interface GateCalibration {
  readonly gate: string;
  readonly qubits: readonly number[];
  readonly error?: number;
  readonly lengthSeconds?: number;
}

/** A device calibration snapshot normalized across providers. */
export interface Calibration {
  readonly provider: ProviderName;
  readonly device: string;
  readonly numQubits: number;
  readonly basisGates: readonly string[];
  /** Directed pairs [control, target] that a two-qubit gate may act on; undefined means all-to-all. */
  readonly couplingMap?: ReadonlyArray<readonly [number, number]>;
  readonly maxShots?: number;
  /** When the provider says the calibration was made (ISO 8601). */
  readonly calibratedAt: string;
  readonly qubits: readonly QubitCalibration[];
  readonly gates: readonly GateCalibration[];
  /** Where it came from, e.g. `ibm-properties`, `braket-standardized`, `ionq-characterization`. */
  readonly source: string;
}

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** A job's failure, as the provider or the local runner reported it. */
export interface JobError {
  readonly type: string;
  readonly message: string;
}

/**
 * A job record. Timestamps are Dates; a phase the provider does not expose is `null` (unknown),
 * never a made-up value. `undefined` means "not reached yet".
 */
export interface JobRecord {
  readonly id: string;
  readonly provider: ProviderName;
  readonly device: string;
  readonly status: JobStatus;
  readonly shots: number;
  readonly createdAt: Date;
  readonly startedAt?: Date | null;
  readonly finishedAt?: Date | null;
  /** Counts keyed by bitstring, highest classical bit first (Qiskit's order). */
  readonly counts?: Readonly<Record<string, number>>;
  readonly error?: JobError;
  /** `calibratedAt` of the calibration in force when the job ran. */
  readonly calibratedAt?: string;
  /** Provider-reported billable time in seconds (IBM usage, Braket simulator duration), when known. */
  readonly billableSeconds?: number;
}

export interface SubmitOptions {
  readonly shots: number;
  readonly seed?: number;
  /** Values for the circuit's symbolic parameters. */
  readonly parameters?: Readonly<Record<string, number>>;
}

/** A submitted job: `wait()` resolves with the final record (completed, failed or cancelled); it does not reject for a failed job. */
export interface JobHandle {
  readonly id: string;
  record(): JobRecord;
  wait(): Promise<JobRecord>;
  cancel(): Promise<void>;
}

/** A device addressed as `<provider>.<name>`. */
export interface Device {
  /** `<provider>.<name>`, e.g. `local.fake_toronto`. */
  readonly id: string;
  readonly provider: ProviderName;
  readonly name: string;
  readonly numQubits: number;
  /** False for devices that can only be monitored here (no credentials to submit). */
  readonly canSubmit: boolean;
  status(): Promise<DeviceStatus>;
  queueLength(): Promise<number>;
  /** The calibration now in force; undefined for an ideal simulator. */
  calibration(): Promise<Calibration | undefined>;
  submit(circuit: Circuit, options: SubmitOptions): Promise<JobHandle>;
}
