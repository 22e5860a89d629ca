// A remote device: the Device contract over a provider's submit, poll and results, so observer.run, the canaries
// and the cost tracker treat `ibm.ibm_torino` as they treat `local.fake_toronto`.
import type { Circuit } from '../circuit/index.js';
import { QobsError } from '../errors.js';
import { UnknownDeviceError } from './errors.js';
import type { Provider } from './provider.js';
import { SubmissionError } from './submission.js';
import type {
  Calibration,
  Device,
  DeviceStatus,
  JobHandle,
  JobRecord,
  ProviderName,
  SubmitOptions,
} from './types.js';

/** What a remote device tells about its jobs (a JobTracer: jobs as traces, failure reasons kept). */
export interface JobObserver {
  observe(jobs: readonly JobRecord[]): number;
}

/** The provider publishes no queue length for this device (IonQ): unknown, which is not zero. */
export class QueueLengthUnknownError extends QobsError {
  constructor(deviceId: string) {
    super('queue_length_unknown', `${deviceId}: the provider publishes no queue length`);
  }
}

/**
 * A provider's device as a Device. Jobs carry the `calibratedAt` of the calibration last read from the
 * provider when the job was submitted (unless the provider's own record says which one ran it).
 * @example
 *   const dev = await RemoteDevice.open(new IbmProvider(), 'ibm_torino');
 *   const { job } = await observer.run(dev, bell, { shots: 1000 });
 */
export class RemoteDevice implements Device {
  readonly id: string;
  readonly provider: ProviderName;
  readonly canSubmit: boolean;
  private lastCalibration: Calibration | undefined;

  constructor(
    private readonly source: Provider,
    readonly name: string,
    readonly numQubits: number,
    private readonly options: { jobs?: JobObserver } = {},
  ) {
    this.provider = source.name;
    this.id = `${source.name}.${name}`;
    this.canSubmit = typeof source.submit === 'function';
  }

  /**
   * Opens a device the provider lists; its qubit count comes from the list, else the provider's `qubitCount`,
   * else its calibration. With
   * `jobs`, every job submitted through it is handed over when it is created and when it ends.
   */
  static async open(
    provider: Provider,
    name: string,
    options: { jobs?: JobObserver } = {},
  ): Promise<RemoteDevice> {
    const listed = await provider.listDevices();
    const d = listed.find((x) => x.name === name);
    if (!d)
      throw new UnknownDeviceError(
        `${provider.name}.${name}`,
        listed.map((x) => x.id),
      );
    let n = d.numQubits;
    if (n === undefined && provider.qubitCount) n = await provider.qubitCount(name);
    if (n === undefined) n = (await provider.calibration(name))?.numQubits;
    if (n === undefined)
      throw new QobsError(
        'device_qubits_unknown',
        `${d.id}: the provider says neither its qubit count nor its calibration`,
      );
    return new RemoteDevice(provider, name, n, options);
  }

  status(): Promise<DeviceStatus> {
    return this.source.status(this.name);
  }

  /** Rejects with QueueLengthUnknownError where the provider publishes no length. */
  async queueLength(): Promise<number> {
    const n = await this.source.queueLength(this.name);
    if (n === undefined) throw new QueueLengthUnknownError(this.id);
    return n;
  }

  async calibration(): Promise<Calibration | undefined> {
    const cal = await this.source.calibration(this.name);
    this.lastCalibration = cal;
    return cal;
  }

  async submit(circuit: Circuit, options: SubmitOptions): Promise<JobHandle> {
    if (!this.source.submit)
      throw new SubmissionError(this.provider, 'device', `${this.id} can be monitored here but not run`);
    const handle = await this.source.submit(this.name, circuit, options);
    const calibratedAt = this.lastCalibration?.calibratedAt;
    const stamp = (r: JobRecord): JobRecord => (r.calibratedAt || !calibratedAt ? r : { ...r, calibratedAt });
    const tell = (r: JobRecord) => {
      try {
        this.options.jobs?.observe([r]);
      } catch {
        // Tracing never fails a job.
      }
    };
    tell(stamp(handle.record()));
    return {
      id: handle.id,
      record: () => stamp(handle.record()),
      wait: async () => {
        const r = stamp(await handle.wait());
        tell(r);
        return r;
      },
      cancel: () => handle.cancel(),
    };
  }
}
