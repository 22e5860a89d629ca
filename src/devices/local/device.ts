// Local devices: the ideal state-vector simulator and noisy fake devices, each with a real in-process job queue.
import { randomUUID } from 'node:crypto';
import { Circuit, type TranspileResult, transpile } from '../../circuit/index.js';
import {
  checkStateMemory,
  compile,
  DEFAULT_MAX_STATE_BYTES,
  estimatedSuccessProbability,
  type NoiseModel,
  SimulatorInputError,
  simulate,
  validateShots,
} from '../../sim/index.js';
import { QobsError } from '../../errors.js';
import { DeviceUnavailableError, QueueFullError } from '../errors.js';
import type {
  Calibration,
  Device,
  DeviceStatus,
  JobHandle,
  JobRecord,
  JobStatus,
  SubmitOptions,
} from '../types.js';
import { noiseModelFromCalibration, transpileTarget } from './noise.js';

/** Options of a local device. */
export interface LocalDeviceOptions {
  /** `statevector` or `fake_<name>`; the id is `local.<name>`. */
  readonly name: string;
  /** A noisy device simulates its calibration's noise on its coupling map and basis; none means ideal. */
  readonly calibration?: Calibration;
  /** Jobs that may be running at once (default 1). Simulation runs on this thread, so more only interleaves chunks. */
  readonly maxConcurrentJobs?: number;
  /** Jobs that may wait in the queue (default 1000); beyond it submit() rejects with QueueFullError. */
  readonly maxQueuedJobs?: number;
  /** Largest state vector a job may allocate (default the simulator's 2 GiB). */
  readonly maxStateBytes?: number;
  /** Shots simulated between yields to the event loop for noisy runs (default 1024): keeps cancel and other work responsive. */
  readonly shotsPerChunk?: number;
}

/** What a job actually simulates: the circuit (compacted onto the physical qubits it uses) and its noise. */
export interface PreparedCircuit {
  readonly circuit: Circuit;
  readonly noise?: NoiseModel;
  /** Compact qubit i is physical qubit physicalQubits[i] (noisy devices). */
  readonly physicalQubits?: readonly number[];
  /** The transpilation (noisy devices): layouts, depth, two-qubit count, SWAPs inserted. */
  readonly transpiled?: Omit<TranspileResult, 'circuit'>;
  /** Estimated success probability of the transpiled circuit under the calibration (noisy devices). */
  readonly esp?: number;
}

/** Counters of a device's queue (each bounded structure reports what it refused). */
export interface LocalDeviceStats {
  readonly queued: number;
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Submissions refused because the queue was full. */
  readonly rejected: number;
}

type MutableRecord = { -readonly [K in keyof JobRecord]: JobRecord[K] };

interface Job {
  record: MutableRecord;
  circuit: Circuit;
  options: SubmitOptions;
  seed: number;
  cancelRequested: boolean;
  done: Promise<JobRecord>;
  resolve: (r: JobRecord) => void;
}

/** A job on a local device; `seed` is the one used (drawn when the caller gave none). */
export interface LocalJobHandle extends JobHandle {
  readonly seed: number;
}

function errorOf(err: unknown): { type: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { type: typeof code === 'string' ? code : err.name, message: err.message };
  }
  return { type: 'error', message: String(err) };
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** A device that runs in this process: ideal (`local.statevector`) or noisy from a calibration (`local.fake_*`). */
export class LocalDevice implements Device {
  readonly id: string;
  readonly provider = 'local' as const;
  readonly name: string;
  readonly numQubits: number;
  readonly canSubmit = true;
  readonly maxShots: number | undefined;
  private cal: Calibration | undefined;
  /** Bumped by setCalibration so prepared circuits of an older calibration are not reused. */
  private calibrationGeneration = 0;
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private readonly maxStateBytes: number;
  private readonly shotsPerChunk: number;
  private currentStatus: DeviceStatus = 'online';
  private readonly queue: Job[] = [];
  private running = 0;
  private counts = { completed: 0, failed: 0, cancelled: 0, rejected: 0 };
  private readonly prepared = new WeakMap<Circuit, { key: string; value: PreparedCircuit }>();

  constructor(options: LocalDeviceOptions) {
    this.name = options.name;
    this.id = `local.${options.name}`;
    this.cal = options.calibration;
    this.maxStateBytes = options.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES;
    this.numQubits = this.cal ? this.cal.numQubits : Math.floor(Math.log2(this.maxStateBytes / 16));
    this.maxShots = this.cal?.maxShots;
    this.maxConcurrent = Math.max(1, options.maxConcurrentJobs ?? 1);
    this.maxQueued = Math.max(1, options.maxQueuedJobs ?? 1000);
    this.shotsPerChunk = Math.max(1, options.shotsPerChunk ?? 1024);
  }

  /** Sets the status, for fault injection: an offline device refuses submissions; queued jobs still run. */
  setStatus(status: DeviceStatus): void {
    this.currentStatus = status;
  }

  /**
   * Replaces the calibration of a noisy device (a recalibration, or drift injected by the demo and tests).
   * Jobs submitted afterwards use it; its qubit count must not change.
   */
  setCalibration(calibration: Calibration): void {
    if (!this.cal)
      throw new QobsError('calibration_mismatch', `${this.id} is ideal: it has no calibration to replace`);
    if (calibration.numQubits !== this.numQubits)
      throw new QobsError(
        'calibration_mismatch',
        `${this.id}: a calibration of ${calibration.numQubits} qubits cannot replace one of ${this.numQubits}`,
      );
    this.cal = calibration;
    this.calibrationGeneration++;
  }

  async status(): Promise<DeviceStatus> {
    return this.currentStatus;
  }

  async queueLength(): Promise<number> {
    return this.queue.length;
  }

  async calibration(): Promise<Calibration | undefined> {
    return this.cal;
  }

  /** Queue counters. */
  stats(): LocalDeviceStats {
    return { queued: this.queue.length, running: this.running, ...this.counts };
  }

  /**
   * Checks a circuit and shots and builds what a job would simulate, without simulating: shots out of range,
   * unknown gates, unbound parameters and too many qubits throw here, before any work.
   */
  prepare(circuit: Circuit, options: SubmitOptions): PreparedCircuit {
    validateShots(options.shots, this.maxShots);
    // A caller that validates with prepare() and then submits the same circuit transpiles once, not twice.
    // Circuits are mutable, so the cache also keys on the instruction count.
    const key = `${this.calibrationGeneration}|${options.seed}|${JSON.stringify(options.parameters ?? {})}|${circuit.instructions.length}`;
    const cached = this.prepared.get(circuit);
    if (cached?.key === key) return cached.value;
    const value = this.prepareUncached(circuit, options);
    this.prepared.set(circuit, { key, value });
    return value;
  }

  private prepareUncached(circuit: Circuit, options: SubmitOptions): PreparedCircuit {
    if (options.seed !== undefined && !Number.isFinite(options.seed))
      throw new SimulatorInputError('seed', `must be a finite number, got ${options.seed}`);
    const missing = circuit.inputs.filter((s) => options.parameters?.[s] === undefined);
    if (missing.length > 0) throw new SimulatorInputError('parameters', `no value for ${missing.join(', ')}`);
    if (!this.cal) {
      checkStateMemory(circuit.numQubits, this.maxStateBytes);
      compile(circuit, { parameters: options.parameters }); // rejects unknown gates and modifiers it cannot run
      return { circuit };
    }
    const bound = circuit.inputs.length > 0 ? circuit.bind(options.parameters ?? {}) : circuit;
    const result = transpile(bound, transpileTarget(this.cal, options.seed));
    const touched = new Set<number>();
    for (const inst of result.circuit.instructions) for (const q of inst.qubits) touched.add(q);
    const physicalQubits = [...touched].sort((a, b) => a - b);
    checkStateMemory(physicalQubits.length, this.maxStateBytes);
    const local = new Map(physicalQubits.map((p, i) => [p, i]));
    const compact = new Circuit(physicalQubits.length, 0, circuit.name);
    for (const r of result.circuit.cregs) compact.addCreg(r.name, r.size);
    for (const inst of result.circuit.instructions)
      compact.append({ ...inst, qubits: inst.qubits.map((q) => local.get(q)!) });
    const noise = noiseModelFromCalibration(this.cal, physicalQubits);
    const { circuit: _unused, ...transpiled } = result;
    return {
      circuit: compact,
      noise,
      physicalQubits,
      transpiled,
      esp: estimatedSuccessProbability(compact, noise),
    };
  }

  /**
   * Queues a job. Rejects (before any work) when the device is not online, the queue is full or the shots are
   * invalid; a job that fails later (too many qubits, unknown gate, memory) ends `failed` with a typed error.
   */
  async submit(circuit: Circuit, options: SubmitOptions): Promise<LocalJobHandle> {
    if (this.currentStatus !== 'online') throw new DeviceUnavailableError(this.id, this.currentStatus);
    validateShots(options.shots, this.maxShots);
    if (this.queue.length >= this.maxQueued) {
      this.counts.rejected++;
      throw new QueueFullError(this.id, this.maxQueued);
    }
    let resolve!: (r: JobRecord) => void;
    const done = new Promise<JobRecord>((r) => {
      resolve = r;
    });
    const job: Job = {
      record: {
        id: randomUUID(),
        provider: 'local',
        device: this.name,
        status: 'queued',
        shots: options.shots,
        createdAt: new Date(),
        ...(this.cal ? { calibratedAt: this.cal.calibratedAt } : {}),
      },
      circuit,
      options,
      seed: options.seed ?? Math.floor(Math.random() * 2 ** 32),
      cancelRequested: false,
      done,
      resolve,
    };
    this.queue.push(job);
    this.pump();
    return {
      id: job.record.id,
      seed: job.seed,
      record: () => ({ ...job.record }),
      wait: () => job.done,
      cancel: async () => {
        const i = this.queue.indexOf(job);
        if (i >= 0) {
          this.queue.splice(i, 1);
          this.finish(job, 'cancelled');
        } else job.cancelRequested = true;
      },
    };
  }

  private pump(): void {
    while (this.running < this.maxConcurrent && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      void this.run(job);
    }
  }

  private finish(job: Job, status: JobStatus, extra: Partial<MutableRecord> = {}): void {
    // A running job frees its slot before anyone waiting on it resumes, so stats() agree with the record.
    if (job.record.status === 'running') {
      this.running--;
      queueMicrotask(() => this.pump());
    }
    Object.assign(job.record, { status, finishedAt: new Date(), ...extra });
    if (status === 'completed') this.counts.completed++;
    else if (status === 'failed') this.counts.failed++;
    else if (status === 'cancelled') this.counts.cancelled++;
    job.resolve({ ...job.record });
  }

  private async run(job: Job): Promise<void> {
    // Let the submitter see the queued state and start timestamps come from the dequeue, not the submit.
    await yieldToLoop();
    job.record.status = 'running';
    job.record.startedAt = new Date();
    try {
      const prepared = this.prepare(job.circuit, { ...job.options, seed: job.seed });
      const counts: Record<string, number> = {};
      const total = job.options.shots;
      // One ideal run samples every shot from one evolution; noisy runs go in chunks with derived seeds.
      const chunk = prepared.noise ? this.shotsPerChunk : total;
      for (let done = 0, k = 0; done < total; k++) {
        if (job.cancelRequested) {
          this.finish(job, 'cancelled');
          return;
        }
        const shots = Math.min(chunk, total - done);
        const r = simulate(prepared.circuit, {
          shots,
          seed: (job.seed + Math.imul(k, 0x9e3779b9)) >>> 0,
          noise: prepared.noise,
          parameters: prepared.noise ? undefined : job.options.parameters,
          maxShots: Number.MAX_SAFE_INTEGER,
          maxStateBytes: this.maxStateBytes,
        });
        for (const [key, c] of Object.entries(r.counts)) counts[key] = (counts[key] ?? 0) + c;
        done += shots;
        if (done < total) await yieldToLoop();
      }
      this.finish(job, 'completed', { counts });
    } catch (err) {
      this.finish(job, 'failed', { error: errorOf(err) });
    }
  }
}
