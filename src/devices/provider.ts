// The Provider contract (one per cloud: ibm, braket, ionq, local), its typed errors and the local provider.
import type { Circuit } from '../circuit/index.js';
import { QobsError } from '../errors.js';
import { createLocalDevice, listLocalDevices } from './registry.js';
import type {
  Calibration,
  DeviceStatus,
  JobHandle,
  JobRecord,
  ProviderName,
  SubmitOptions,
} from './types.js';

/** A device as a provider lists it. `name` is the provider's own name (`ibm_torino`, `ionq/forte-1`). */
export interface ProviderDevice {
  /** `<provider>.<name>`. */
  readonly id: string;
  readonly provider: ProviderName;
  readonly name: string;
  readonly numQubits?: number;
  /** `qpu` or `simulator`. */
  readonly kind: 'qpu' | 'simulator';
}

/** One page of jobs; `nextToken` is absent on the last page. */
export interface JobPage {
  readonly jobs: readonly JobRecord[];
  readonly nextToken?: string;
}

export interface ListJobsOptions {
  /** Only this device's jobs (the provider's device name). */
  readonly device?: string;
  /** Upper bound on the jobs returned over all pages (default 100). */
  readonly limit?: number;
}

/** A quantum cloud, read through its own documented API. Every method may throw a ProviderError. */
export interface Provider {
  readonly name: ProviderName;
  listDevices(): Promise<ProviderDevice[]>;
  status(device: string): Promise<DeviceStatus>;
  /** Jobs waiting on the device; undefined when the provider does not say. */
  queueLength(device: string): Promise<number | undefined>;
  /** The calibration in force; undefined for simulators and devices that publish none. */
  calibration(device: string): Promise<Calibration | undefined>;
  /** Recent jobs, newest first, following the provider's pagination up to `limit`. */
  listJobs(options?: ListJobsOptions): Promise<JobRecord[]>;
  getJob(id: string): Promise<JobRecord>;
  /** Qubits of a device, where the device list does not say (Braket); undefined when unknown. */
  qubitCount?(device: string): Promise<number | undefined>;
  /**
   * Checks the circuit and shots before any request (SubmissionError), sends one job, and returns a handle that
   * polls it; counts in the project's bit order. Every adapter here has it; a monitor-only one may not.
   */
  submit?(device: string, circuit: Circuit, options: SubmitOptions): Promise<JobHandle>;
}

/** Base of every failure talking to a provider. Messages never carry credentials. */
export class ProviderError extends QobsError {
  readonly provider: ProviderName;
  /** HTTP status when the provider answered. */
  readonly status?: number;
  constructor(code: string, provider: ProviderName, message: string, status?: number) {
    super(code, `${provider}: ${message}`);
    this.provider = provider;
    if (status !== undefined) this.status = status;
  }
}

/** 401: the credential is missing, wrong or expired. Not retried. */
export class ProviderAuthError extends ProviderError {
  constructor(provider: ProviderName, message: string, status = 401) {
    super('provider_unauthorized', provider, message, status);
  }
}

/** 403: the credential is valid but may not do this. Not retried. */
export class ProviderForbiddenError extends ProviderError {
  constructor(provider: ProviderName, message: string) {
    super('provider_forbidden', provider, message, 403);
  }
}

/** 429 still answered after the retries; `retryAfterSeconds` is the provider's last Retry-After. */
export class ProviderRateLimitError extends ProviderError {
  readonly retryAfterSeconds?: number;
  constructor(provider: ProviderName, message: string, retryAfterSeconds?: number) {
    super('provider_rate_limited', provider, message, 429);
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** 5xx or a connection failure after the retries. */
export class ProviderUnavailableError extends ProviderError {
  constructor(provider: ProviderName, message: string, status?: number) {
    super('provider_unavailable', provider, message, status);
  }
}

/** No answer within the timeout (after the retries). */
export class ProviderTimeoutError extends ProviderError {
  readonly timeoutMs: number;
  constructor(provider: ProviderName, timeoutMs: number, what: string) {
    super('provider_timeout', provider, `${what}: no answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** An answer that is not the documented shape (malformed JSON, missing fields). */
export class ProviderResponseError extends ProviderError {
  constructor(provider: ProviderName, message: string, status?: number) {
    super('provider_bad_response', provider, message, status);
  }
}

/** 404 for a device or job id. */
export class ProviderNotFoundError extends ProviderError {
  constructor(provider: ProviderName, message: string) {
    super('provider_not_found', provider, message, 404);
  }
}

/** Which of the local devices a LocalProvider shows (default: all). */
export interface LocalProviderOptions {
  readonly devices?: readonly string[];
}

/** The built-in simulator devices as a Provider; jobs are those submitted through it (kept up to 1000). */
export class LocalProvider implements Provider {
  readonly name = 'local' as const;
  private readonly ids: readonly string[];
  private readonly devices = new Map<string, ReturnType<typeof createLocalDevice>>();
  private readonly handles = new Map<string, JobHandle>();
  private static readonly MAX_JOBS = 1000;

  constructor(options: LocalProviderOptions = {}) {
    this.ids = options.devices ?? listLocalDevices();
  }

  /** The device instance behind a name (`fake_toronto`), created once. */
  device(name: string): ReturnType<typeof createLocalDevice> {
    let dev = this.devices.get(name);
    if (!dev) {
      dev = createLocalDevice(`local.${name}`);
      this.devices.set(name, dev);
    }
    return dev;
  }

  async listDevices(): Promise<ProviderDevice[]> {
    return this.ids.map((id) => {
      const name = id.slice('local.'.length);
      return {
        id,
        provider: 'local',
        name,
        numQubits: this.device(name).numQubits,
        kind: 'simulator',
      };
    });
  }
  status(device: string): Promise<DeviceStatus> {
    return this.device(device).status();
  }
  queueLength(device: string): Promise<number | undefined> {
    return this.device(device).queueLength();
  }
  calibration(device: string): Promise<Calibration | undefined> {
    return this.device(device).calibration();
  }
  async listJobs(options: ListJobsOptions = {}): Promise<JobRecord[]> {
    const out = [...this.handles.values()]
      .map((h) => h.record())
      .filter((r) => options.device === undefined || r.device === options.device)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    return out.slice(0, options.limit ?? 100);
  }
  async getJob(id: string): Promise<JobRecord> {
    const h = this.handles.get(id);
    if (!h) throw new ProviderNotFoundError('local', `no job '${id}'`);
    return h.record();
  }
  async submit(device: string, circuit: Circuit, options: SubmitOptions): Promise<JobHandle> {
    const handle = await this.device(device).submit(circuit, options);
    if (this.handles.size >= LocalProvider.MAX_JOBS) {
      const oldest = this.handles.keys().next().value;
      if (oldest !== undefined) this.handles.delete(oldest);
    }
    this.handles.set(handle.id, handle);
    return handle;
  }
}
