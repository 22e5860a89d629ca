// The Amazon Braket adapter: the official @aws-sdk/client-braket (SearchDevices, GetDevice with queue info
// and standardized device properties, SearchQuantumTasks, GetQuantumTask); credentials by the AWS chain.
import { randomUUID } from 'node:crypto';
import type {
  BraketClient,
  GetDeviceCommandOutput,
  GetQuantumTaskCommandOutput,
} from '@aws-sdk/client-braket';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Circuit } from '../../circuit/index.js';
import { errorForStatus, type RetryOptions, scrub, withRetries } from '../provider-http.js';
import {
  type ListJobsOptions,
  type Provider,
  ProviderAuthError,
  type ProviderDevice,
  ProviderError,
  ProviderNotFoundError,
  ProviderResponseError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../provider.js';
import {
  checkSubmission,
  countsFromProbabilities,
  countsFromQubitShots,
  decomposeFor,
  emitQasm3,
  keyedProbabilities,
  type PollOptions,
  polledJob,
  SubmissionError,
} from '../submission.js';
import type { Calibration, DeviceStatus, JobHandle, JobRecord, JobStatus, SubmitOptions } from '../types.js';
import { readBraketCapabilities } from './calibration.js';

export interface BraketProviderOptions extends RetryOptions, Omit<PollOptions, 'sleep'> {
  /** Default `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`. */
  readonly region?: string;
  /** Another endpoint (tests point it at a local server). */
  readonly endpoint?: string;
  /** Static credentials; default the AWS SDK chain (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, profiles...). */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Results asked per page (default 50). */
  readonly pageSize?: number;
  /** Bucket the results of submitted tasks are written to (default `QOBS_BRAKET_S3_BUCKET`); needed to submit. */
  readonly outputS3Bucket?: string;
  /** Key prefix of those results (default `qobs`). */
  readonly outputS3KeyPrefix?: string;
  /** Another S3 endpoint (tests point it at a local server); path-style addressing is used with it. */
  readonly s3Endpoint?: string;
}

const AUTH_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'MissingAuthenticationTokenException',
  // S3's names for the same failures
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
]);

/** Gates Braket's OpenQASM accepts without definitions, under the names the decomposition gives them. */
const BRAKET_BASIS = ['cx', 'cz', 'swap', 'h', 'x', 'y', 'z', 's', 'sdg', 't', 'tdg', 'rx', 'ry', 'rz'];
const BRAKET_NAMES: Readonly<Record<string, string>> = { cx: 'cnot', sdg: 'si', tdg: 'ti', id: 'i' };

const TASK_STATUS: Readonly<Record<string, JobStatus>> = {
  CREATED: 'queued',
  QUEUED: 'queued',
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLING: 'cancelled',
  CANCELLED: 'cancelled',
};

/** `<vendor>/<device>` of a device ARN (`.../device/qpu/ionq/Forte-1` gives `ionq/forte-1`). */
export function braketDeviceName(arn: string): string {
  const m = /device\/(?:qpu|quantum-simulator)\/(.+)$/.exec(arn);
  return (m ? m[1] : arn).toLowerCase();
}

/** Braket queue sizes are strings, `">4000"` at the top; the number is kept. */
function queueSize(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s.replace(/^[<>]=?/, ''));
  return Number.isFinite(n) ? n : undefined;
}

/** Reads Amazon Braket through the AWS SDK; submission needs an S3 bucket and is not offered here. */
export class BraketProvider implements Provider {
  readonly name = 'braket' as const;
  private client: Promise<{ client: BraketClient; sdk: typeof import('@aws-sdk/client-braket') }> | undefined;
  private readonly clientConfig: import('@aws-sdk/client-braket').BraketClientConfig;
  private readonly retry: RetryOptions;
  private readonly pageSize: number;
  private readonly secrets: string[];
  private readonly arns = new Map<string, string>();
  private readonly output: { bucket?: string; prefix: string };
  private readonly s3Endpoint: string | undefined;
  private s3Client: Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> | undefined;
  private readonly poll: PollOptions;

  constructor(options: BraketProviderOptions = {}) {
    this.retry = options;
    this.poll = { ...options };
    this.output = {
      bucket: options.outputS3Bucket ?? process.env.QOBS_BRAKET_S3_BUCKET,
      prefix: options.outputS3KeyPrefix ?? 'qobs',
    };
    this.s3Endpoint = options.s3Endpoint;
    this.pageSize = options.pageSize ?? 50;
    this.clientConfig = {
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      // Retries are ours (the same policy for every provider), so the SDK tries once.
      maxAttempts: 1,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    this.secrets = [
      options.credentials?.secretAccessKey,
      options.credentials?.sessionToken,
      process.env.AWS_SECRET_ACCESS_KEY,
      process.env.AWS_SESSION_TOKEN,
    ].filter((s): s is string => typeof s === 'string' && s !== '');
  }

  /** The SDK is loaded on first use, so importing the devices module does not pay for it. */
  private sdk(): Promise<{ client: BraketClient; sdk: typeof import('@aws-sdk/client-braket') }> {
    this.client ??= import('@aws-sdk/client-braket').then((sdk) => ({
      sdk,
      client: new sdk.BraketClient(this.clientConfig),
    }));
    return this.client;
  }

  /** The S3 client that reads results, built on first use with the same region and credentials. */
  private s3(): Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> {
    this.s3Client ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.clientConfig.region,
        maxAttempts: 1,
        ...(this.clientConfig.credentials ? { credentials: this.clientConfig.credentials } : {}),
        ...(this.s3Endpoint ? { endpoint: this.s3Endpoint, forcePathStyle: true } : {}),
      }),
    }));
    return this.s3Client;
  }

  /** One SDK call with our timeout, retries and error mapping. */
  private async call<T>(
    what: string,
    send: (c: BraketClient, sdk: typeof import('@aws-sdk/client-braket'), signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const { client, sdk } = await this.sdk();
    return this.attempt(what, (signal) => send(client, sdk, signal));
  }

  /** Any AWS SDK call (Braket or S3) with our timeout, retries and error mapping. */
  private attempt<T>(what: string, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeoutMs = this.retry.timeoutMs ?? 10_000;
    return withRetries(this.retry, async () => {
      try {
        return await send(AbortSignal.timeout(timeoutMs));
      } catch (err) {
        throw this.mapError(err, what, timeoutMs);
      }
    });
  }

  private mapError(err: unknown, what: string, timeoutMs: number): ProviderError {
    if (err instanceof ProviderError) return err;
    const e = err as {
      name?: string;
      message?: string;
      $metadata?: { httpStatusCode?: number };
      $response?: { headers?: Record<string, string> };
    };
    if (e?.name === 'AbortError' || e?.name === 'TimeoutError')
      return new ProviderTimeoutError('braket', timeoutMs, what);
    const status = e?.$metadata?.httpStatusCode;
    const detail = scrub(`${e?.name ?? 'Error'}: ${String(e?.message ?? '').slice(0, 200)}`, this.secrets);
    // AWS refuses an unknown or expired credential with 403 and one of these types: an auth failure, not a permission one.
    if (status === 403 && AUTH_ERRORS.has(e.name ?? ''))
      return new ProviderAuthError('braket', `${what}: HTTP 403 (${detail})`, 403);
    if (status !== undefined && status >= 400) {
      const headers = e.$response?.headers ?? {};
      const retryAfter = headers['retry-after'] ?? headers['Retry-After'];
      return errorForStatus('braket', status, what, detail, retryAfter);
    }
    if (status !== undefined)
      return new ProviderResponseError('braket', `${what}: unreadable answer (${detail})`, status);
    return new ProviderUnavailableError('braket', `${what}: ${detail}`);
  }

  async listDevices(): Promise<ProviderDevice[]> {
    const out: ProviderDevice[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const res = await this.call('SearchDevices', (client, sdk, abortSignal) =>
        client.send(new sdk.SearchDevicesCommand({ filters: [], maxResults: this.pageSize, nextToken }), {
          abortSignal,
        }),
      );
      if (!Array.isArray(res.devices))
        throw new ProviderResponseError('braket', 'SearchDevices: no `devices`');
      for (const d of res.devices) {
        if (!d.deviceArn) continue;
        const name = braketDeviceName(d.deviceArn);
        this.arns.set(name, d.deviceArn);
        out.push({
          id: `braket.${name}`,
          provider: 'braket',
          name,
          kind: d.deviceType === 'QPU' ? 'qpu' : 'simulator',
        });
      }
      nextToken = res.nextToken || undefined;
      if (!nextToken) break;
    }
    return out;
  }

  private async arn(device: string): Promise<string> {
    if (device.startsWith('arn:')) return device;
    if (!this.arns.has(device)) await this.listDevices();
    const arn = this.arns.get(device);
    if (!arn) throw new ProviderNotFoundError('braket', `no device '${device}'`);
    return arn;
  }

  private async device(device: string): Promise<GetDeviceCommandOutput> {
    const deviceArn = await this.arn(device);
    return this.call('GetDevice', (client, sdk, abortSignal) =>
      client.send(new sdk.GetDeviceCommand({ deviceArn }), { abortSignal }),
    );
  }

  async status(device: string): Promise<DeviceStatus> {
    const d = await this.device(device);
    if (d.deviceStatus === 'ONLINE') return 'online';
    if (d.deviceStatus === 'OFFLINE' || d.deviceStatus === 'RETIRED') return 'offline';
    throw new ProviderResponseError(
      'braket',
      `GetDevice: unknown deviceStatus ${JSON.stringify(d.deviceStatus)}`,
    );
  }

  /** Quantum tasks waiting, normal and priority queues together. */
  async queueLength(device: string): Promise<number | undefined> {
    const d = await this.device(device);
    let sum: number | undefined;
    for (const q of d.deviceQueueInfo ?? []) {
      if (q.queue !== 'QUANTUM_TASKS_QUEUE') continue;
      const n = queueSize(q.queueSize);
      if (n !== undefined) sum = (sum ?? 0) + n;
    }
    return sum;
  }

  async calibration(device: string): Promise<Calibration | undefined> {
    const d = await this.device(device);
    if (d.deviceType !== 'QPU') return undefined;
    let caps: unknown = d.deviceCapabilities;
    // The SDK hands the JSON document over as a string (a LazyJsonString, a String object, in recent versions).
    if (typeof caps === 'string' || caps instanceof String) {
      try {
        caps = JSON.parse(String(caps));
      } catch {
        throw new ProviderResponseError('braket', 'GetDevice: deviceCapabilities is not JSON');
      }
    }
    return readBraketCapabilities(caps, braketDeviceName(d.deviceArn ?? device));
  }

  private toJob(t: {
    quantumTaskArn?: string;
    status?: string;
    deviceArn?: string;
    shots?: number;
    createdAt?: Date;
    endedAt?: Date;
    failureReason?: string;
  }): JobRecord {
    if (!t.quantumTaskArn) throw new ProviderResponseError('braket', 'task without a quantumTaskArn');
    const status = TASK_STATUS[t.status ?? ''];
    if (!status)
      throw new ProviderResponseError('braket', `task: unknown status ${JSON.stringify(t.status)}`);
    if (!(t.createdAt instanceof Date) || Number.isNaN(t.createdAt.getTime()))
      throw new ProviderResponseError('braket', `task ${t.quantumTaskArn}: no createdAt`);
    const rec: { -readonly [K in keyof JobRecord]: JobRecord[K] } = {
      id: t.quantumTaskArn,
      provider: 'braket',
      device: t.deviceArn ? braketDeviceName(t.deviceArn) : '',
      status,
      shots: t.shots ?? 0,
      createdAt: t.createdAt,
    };
    // Braket does not expose when a task started running: unknown, never guessed.
    if (status !== 'queued') rec.startedAt = null;
    if (status === 'completed' || status === 'failed' || status === 'cancelled')
      rec.finishedAt = t.endedAt ?? null;
    if (status === 'failed') rec.error = { type: 'failed', message: t.failureReason ?? 'no reason given' };
    return rec;
  }

  async listJobs(options: ListJobsOptions = {}): Promise<JobRecord[]> {
    const limit = options.limit ?? 100;
    const filters = options.device
      ? [{ name: 'deviceArn', operator: 'EQUAL' as const, values: [await this.arn(options.device)] }]
      : [];
    const out: JobRecord[] = [];
    let nextToken: string | undefined;
    for (let page = 0; out.length < limit && page < 1000; page++) {
      const res = await this.call('SearchQuantumTasks', (client, sdk, abortSignal) =>
        client.send(
          new sdk.SearchQuantumTasksCommand({
            filters,
            maxResults: Math.min(this.pageSize, limit - out.length),
            nextToken,
          }),
          { abortSignal },
        ),
      );
      if (!Array.isArray(res.quantumTasks))
        throw new ProviderResponseError('braket', 'SearchQuantumTasks: no `quantumTasks`');
      for (const t of res.quantumTasks) out.push(this.toJob(t));
      nextToken = res.nextToken || undefined;
      if (!nextToken) break;
    }
    return out.slice(0, limit);
  }

  async getJob(id: string): Promise<JobRecord> {
    const t = await this.call('GetQuantumTask', (client, sdk, abortSignal) =>
      client.send(new sdk.GetQuantumTaskCommand({ quantumTaskArn: id }), { abortSignal }),
    );
    return this.toJob(t);
  }

  /**
   * Counts of a completed task from its `results.json` in S3 (read with the official S3 client), in Braket's
   * GateModelTaskResult shape (https://github.com/amazon-braket/amazon-braket-schemas-python,
   * braket/task_result/gate_model_task_result_v1.py): `measurements` (one row per shot, one column per entry of
   * `measuredQubits`), or else `measurementProbabilities` keyed by bitstrings in `measuredQubits` order.
   */
  async results(
    task: GetQuantumTaskCommandOutput,
    circuit: Circuit,
    shots: number,
  ): Promise<Record<string, number>> {
    const bucket = task.outputS3Bucket;
    const dir = task.outputS3Directory;
    if (!bucket || !dir)
      throw new ProviderResponseError('braket', `task ${task.quantumTaskArn}: no output location`);
    const { client, sdk } = await this.s3();
    const text = await this.attempt('S3 GetObject results.json', async (abortSignal) => {
      const res = await client.send(
        new sdk.GetObjectCommand({ Bucket: bucket, Key: `${dir}/results.json` }),
        {
          abortSignal,
        },
      );
      return res.Body ? res.Body.transformToString('utf8') : '';
    });
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new ProviderResponseError('braket', 'results.json is not JSON');
    }
    const r = doc as { measuredQubits?: unknown; measurements?: unknown; measurementProbabilities?: unknown };
    const measured = r?.measuredQubits;
    if (!Array.isArray(measured) || !measured.every((q) => Number.isInteger(q)))
      throw new ProviderResponseError('braket', 'results.json: no measuredQubits');
    if (Array.isArray(r.measurements))
      return countsFromQubitShots('braket', circuit, measured, r.measurements);
    const probs = r.measurementProbabilities;
    if (probs && typeof probs === 'object') {
      const column = new Map(measured.map((q: number, k: number) => [q, k]));
      const entries: Array<readonly [(q: number) => number, number]> = [];
      for (const [bits, p] of Object.entries(probs as Record<string, unknown>)) {
        if (!/^[01]+$/.test(bits) || bits.length !== measured.length || typeof p !== 'number')
          throw new ProviderResponseError(
            'braket',
            `results.json: bad probability entry ${JSON.stringify(bits)}`,
          );
        entries.push([(q: number) => (column.has(q) ? Number(bits[column.get(q)!]) : 0), p]);
      }
      return countsFromProbabilities(keyedProbabilities(entries, circuit), shots);
    }
    throw new ProviderResponseError(
      'braket',
      'results.json: neither measurements nor measurementProbabilities',
    );
  }

  /** Qubits of a device, from its capabilities (`paradigm.qubitCount`); undefined when it does not say. */
  async qubitCount(device: string): Promise<number | undefined> {
    const d = await this.device(device);
    let caps: unknown = d.deviceCapabilities;
    if (typeof caps === 'string' || caps instanceof String) {
      try {
        caps = JSON.parse(String(caps));
      } catch {
        return undefined;
      }
    }
    const n = (caps as { paradigm?: { qubitCount?: unknown } })?.paradigm?.qubitCount;
    return typeof n === 'number' ? n : undefined;
  }

  /**
   * Runs a circuit as an OpenQASM 3 program (`braket.ir.openqasm.program`) with CreateQuantumTask
   * (https://docs.aws.amazon.com/braket/latest/APIReference/API_CreateQuantumTask.html), shots and the
   * configured S3 output location; a client token makes retries safe (Braket creates one task per token).
   * The circuit is decomposed into gates Braket accepts by name and Braket compiles it for the device. The
   * handle polls GetQuantumTask with backoff and reads `results.json` from S3 once completed.
   */
  async submit(device: string, circuit: Circuit, options: SubmitOptions): Promise<JobHandle> {
    const bound = checkSubmission('braket', circuit, options);
    const bucket = this.output.bucket;
    if (!bucket)
      throw new SubmissionError(
        'braket',
        'outputS3Bucket',
        'no S3 bucket for results (set QOBS_BRAKET_S3_BUCKET)',
      );
    const program = decomposeFor('braket', bound, BRAKET_BASIS);
    const source = emitQasm3('braket', program, {
      qubit: (q) => `q[${q}]`,
      gate: (g) => BRAKET_NAMES[g] ?? g,
      declareQubits: true,
      include: false,
    });
    const deviceArn = await this.arn(device);
    const qubits = await this.qubitCount(device);
    if (qubits !== undefined && bound.numQubits > qubits)
      throw new SubmissionError(
        'braket',
        'circuit',
        `it has ${bound.numQubits} qubits; ${device} has ${qubits}`,
      );
    const action = JSON.stringify({
      braketSchemaHeader: { name: 'braket.ir.openqasm.program', version: '1' },
      source,
      inputs: {},
    });
    const clientToken = randomUUID();
    const created = await this.call('CreateQuantumTask', (client, sdk, abortSignal) =>
      client.send(
        new sdk.CreateQuantumTaskCommand({
          action,
          deviceArn,
          shots: options.shots,
          outputS3Bucket: bucket,
          outputS3KeyPrefix: this.output.prefix,
          clientToken,
        }),
        { abortSignal },
      ),
    );
    const id = created.quantumTaskArn;
    if (!id) throw new ProviderResponseError('braket', 'CreateQuantumTask: no quantumTaskArn');
    const name = braketDeviceName(deviceArn);
    const initial: JobRecord = {
      id,
      provider: 'braket',
      device: name,
      status: 'queued',
      shots: options.shots,
      createdAt: new Date(),
    };
    return polledJob(
      'braket',
      initial,
      async () => {
        const t = await this.call('GetQuantumTask', (client, sdk, abortSignal) =>
          client.send(new sdk.GetQuantumTaskCommand({ quantumTaskArn: id }), { abortSignal }),
        );
        const rec = this.toJob(t);
        return rec.status === 'completed' ? { ...rec, counts: await this.results(t, bound, rec.shots) } : rec;
      },
      // https://docs.aws.amazon.com/braket/latest/APIReference/API_CancelQuantumTask.html
      async () => {
        await this.call('CancelQuantumTask', (client, sdk, abortSignal) =>
          client.send(new sdk.CancelQuantumTaskCommand({ quantumTaskArn: id, clientToken: randomUUID() }), {
            abortSignal,
          }),
        );
      },
      this.poll,
    );
  }
}
