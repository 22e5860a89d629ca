// Test doubles for the telemetry suites: a device of the Device contract with scripted jobs, and a line sink.
import { Writable } from 'node:stream';
import type { Circuit } from '../../circuit/index.js';
import type {
  Calibration,
  Device,
  DeviceStatus,
  JobHandle,
  JobRecord,
  SubmitOptions,
} from '../../devices/index.js';

/** How the scripted device answers one submission. */
export interface ScriptedJob {
  readonly queueSeconds: number | null;
  readonly executionSeconds: number | null;
  readonly fail?: { type: string; message: string };
  readonly throwOnSubmit?: Error;
}

/** A device that returns jobs with the timestamps it is told; counts are all-zero bitstrings. */
export class ScriptedDevice implements Device {
  readonly id: string;
  readonly provider = 'local' as const;
  readonly canSubmit = true;
  readonly numQubits = 5;
  private n = 0;
  statusValue: DeviceStatus = 'online';
  queue = 3;
  cal: Calibration | undefined;

  constructor(
    readonly name: string,
    private readonly script: ScriptedJob[],
  ) {
    this.id = `local.${name}`;
  }

  async status(): Promise<DeviceStatus> {
    return this.statusValue;
  }
  async queueLength(): Promise<number> {
    return this.queue;
  }
  async calibration(): Promise<Calibration | undefined> {
    return this.cal;
  }
  async submit(circuit: Circuit, options: SubmitOptions): Promise<JobHandle> {
    const step = this.script[this.n % this.script.length];
    this.n++;
    if (step.throwOnSubmit) throw step.throwOnSubmit;
    const created = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));
    const started =
      step.queueSeconds === null ? null : new Date(created.getTime() + step.queueSeconds * 1000);
    const finished =
      step.executionSeconds === null || started === null
        ? null
        : new Date(started.getTime() + step.executionSeconds * 1000);
    const zeros = '0'.repeat(circuit.numClbits || 1);
    const rec: JobRecord = {
      id: `job-${this.n}`,
      provider: 'local',
      device: this.name,
      status: step.fail ? 'failed' : 'completed',
      shots: options.shots,
      createdAt: created,
      startedAt: started,
      finishedAt: finished,
      counts: step.fail ? undefined : { [zeros]: options.shots },
      error: step.fail,
    };
    return {
      id: rec.id,
      record: () => ({ ...rec, status: 'queued' }),
      wait: async () => rec,
      cancel: async () => {},
    };
  }
}

/** A writable that keeps every JSON line written to it. */
export class LineSink extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  private partial = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.partial += chunk.toString('utf8');
    let i = this.partial.indexOf('\n');
    while (i >= 0) {
      const line = this.partial.slice(0, i);
      this.partial = this.partial.slice(i + 1);
      this.raw.push(line);
      this.lines.push(JSON.parse(line));
      i = this.partial.indexOf('\n');
    }
    cb();
  }
}
