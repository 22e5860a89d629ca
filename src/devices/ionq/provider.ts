// The IonQ adapter: REST API v0.3 (backends, current characterizations, jobs) with `Authorization: apiKey`.
import { type Circuit, toQasm2 } from '../../circuit/index.js';
import { QobsConfigError } from '../../errors.js';
import { JsonHttpClient, type RetryOptions } from '../provider-http.js';
import {
  type ListJobsOptions,
  type Provider,
  type ProviderDevice,
  ProviderResponseError,
} from '../provider.js';
import {
  checkSubmission,
  countsFromProbabilities,
  keyedProbabilities,
  type PollOptions,
  polledJob,
  SubmissionError,
} from '../submission.js';
import type { Calibration, DeviceStatus, JobHandle, JobRecord, JobStatus, SubmitOptions } from '../types.js';

export interface IonqProviderOptions extends RetryOptions, Omit<PollOptions, 'sleep'> {
  /** Default `IONQ_API_KEY`. */
  readonly apiKey?: string;
  /** Default `https://api.ionq.co/v0.3`. */
  readonly baseUrl?: string;
  /** Jobs asked per page (default 25). */
  readonly pageSize?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const fin = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const JOB_STATUS: Readonly<Record<string, JobStatus>> = {
  submitted: 'queued',
  ready: 'queued',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  canceled: 'cancelled',
  cancelled: 'cancelled',
};

/** IonQ times: v0.3 sends Unix seconds, v0.4 ISO strings; both accepted. */
function date(v: unknown): Date | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v * 1000);
  if (typeof v === 'string') {
    const n = Number(v);
    const d = Number.isFinite(n) && v.trim() !== '' ? new Date(n * 1000) : new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

function fidelity(f: unknown): number | undefined {
  if (!isObj(f)) return undefined;
  return fin(f.median) ?? fin(f.mean);
}

/**
 * Maps an IonQ characterization to a Calibration. IonQ reports device-wide medians (not per qubit), so
 * every qubit gets the same values; timings are in seconds; errors are 1 − fidelity. The coupling map is
 * omitted (all-to-all) when `connectivity` lists every pair.
 */
export function readIonqCharacterization(doc: unknown, device: string): Calibration {
  if (!isObj(doc)) throw new ProviderResponseError('ionq', 'characterization: not an object');
  const n = fin(doc.qubits);
  const at = date(doc.date);
  if (n === undefined || !Number.isInteger(n) || n < 1)
    throw new ProviderResponseError('ionq', 'characterization: `qubits` is not a positive integer');
  if (!at) throw new ProviderResponseError('ionq', 'characterization: `date` is not a time');
  const fid = isObj(doc.fidelity) ? doc.fidelity : {};
  const timing = isObj(doc.timing) ? doc.timing : {};
  const spam = fidelity(fid.spam);
  const f1 = fidelity(fid['1q']);
  const f2 = fidelity(fid['2q']);
  const t1 = fin(timing.t1);
  const t2 = fin(timing.t2);
  const readout = fin(timing.readout);
  const qubits = Array.from({ length: n }, (_, q) => ({
    qubit: q,
    ...(t1 !== undefined ? { t1Seconds: t1 } : {}),
    ...(t2 !== undefined ? { t2Seconds: t2 } : {}),
    ...(spam !== undefined ? { readoutError: 1 - spam } : {}),
    ...(readout !== undefined ? { readoutLengthSeconds: readout } : {}),
  }));
  const gates: Array<{ gate: string; qubits: number[]; error?: number; lengthSeconds?: number }> = [];
  const len1 = fin(timing['1q']);
  const len2 = fin(timing['2q']);
  for (let q = 0; q < n; q++)
    gates.push({
      gate: 'gpi2',
      qubits: [q],
      ...(f1 !== undefined ? { error: 1 - f1 } : {}),
      ...(len1 !== undefined ? { lengthSeconds: len1 } : {}),
    });
  const pairs: Array<[number, number]> = [];
  if (Array.isArray(doc.connectivity))
    for (const p of doc.connectivity)
      if (
        Array.isArray(p) &&
        p.length === 2 &&
        Number.isInteger(p[0]) &&
        Number.isInteger(p[1]) &&
        p[0] !== p[1] &&
        p[0] < n &&
        p[1] < n &&
        p[0] >= 0 &&
        p[1] >= 0
      )
        pairs.push([p[0], p[1]]);
  const allPairs = pairs.length === 0 || pairs.length >= (n * (n - 1)) / 2;
  const twoQubitPairs: Array<[number, number]> = allPairs
    ? Array.from({ length: n }, (_, a) =>
        Array.from({ length: n - a - 1 }, (_, k): [number, number] => [a, a + k + 1]),
      ).flat()
    : pairs;
  for (const [a, b] of twoQubitPairs)
    gates.push({
      gate: 'ms',
      qubits: [a, b],
      ...(f2 !== undefined ? { error: 1 - f2 } : {}),
      ...(len2 !== undefined ? { lengthSeconds: len2 } : {}),
    });
  const cal: { -readonly [K in keyof Calibration]: Calibration[K] } = {
    provider: 'ionq',
    device,
    numQubits: n,
    basisGates: ['gpi', 'gpi2', 'ms'],
    calibratedAt: at.toISOString(),
    qubits,
    gates,
    source: 'ionq-characterization',
  };
  if (!allPairs) cal.couplingMap = pairs;
  return cal;
}

/** Reads IonQ's cloud through API v0.3; submits OpenQASM 2 programs. */
export class IonqProvider implements Provider {
  readonly name = 'ionq' as const;
  private readonly http: JsonHttpClient;
  private readonly pageSize: number;
  private readonly poll: PollOptions;
  private backends: Obj[] | undefined;

  constructor(options: IonqProviderOptions = {}) {
    const key = options.apiKey ?? process.env.IONQ_API_KEY;
    if (!key) throw new QobsConfigError('IONQ_API_KEY', 'no IonQ API key (set IONQ_API_KEY)');
    this.pageSize = options.pageSize ?? 25;
    this.poll = { ...options };
    this.http = new JsonHttpClient(
      'ionq',
      options.baseUrl ?? 'https://api.ionq.co/v0.3',
      async () => ({ authorization: `apiKey ${key}` }),
      () => [key],
      options,
    );
  }

  private async loadBackends(): Promise<Obj[]> {
    const body = await this.http.request('GET', '/backends');
    if (!Array.isArray(body)) throw new ProviderResponseError('ionq', 'GET /backends: not an array');
    this.backends = body.filter(isObj);
    return this.backends;
  }

  private async backend(device: string): Promise<Obj> {
    // Status and queue come from the one list; every call asks afresh so the monitor sees changes.
    const list = await this.loadBackends();
    const b = list.find((x) => x.backend === device);
    if (!b) throw new ProviderResponseError('ionq', `GET /backends: no backend '${device}'`);
    return b;
  }

  async listDevices(): Promise<ProviderDevice[]> {
    const list = await this.loadBackends();
    return list
      .filter((b) => typeof b.backend === 'string')
      .map((b) => {
        const name = b.backend as string;
        return {
          id: `ionq.${name}`,
          provider: 'ionq' as const,
          name,
          kind: name.startsWith('simulator') ? ('simulator' as const) : ('qpu' as const),
          ...(fin(b.qubits) !== undefined ? { numQubits: b.qubits as number } : {}),
        };
      });
  }

  async status(device: string): Promise<DeviceStatus> {
    const s = String((await this.backend(device)).status ?? '');
    if (s === 'available' || s === 'running' || s === 'reserved') return 'online';
    if (s === 'calibrating' || s === 'maintenance' || s === 'degraded') return 'maintenance';
    if (s === 'offline' || s === 'unavailable' || s === 'retired') return 'offline';
    throw new ProviderResponseError('ionq', `backend ${device}: unknown status ${JSON.stringify(s)}`);
  }

  /** IonQ publishes an average queue time, not a queue length: undefined. */
  async queueLength(device: string): Promise<number | undefined> {
    await this.backend(device);
    return undefined;
  }

  /** Average queue wait in seconds, as IonQ reports it (milliseconds on the wire). */
  async averageQueueSeconds(device: string): Promise<number | undefined> {
    const ms = fin((await this.backend(device)).average_queue_time);
    return ms === undefined ? undefined : ms / 1000;
  }

  async calibration(device: string): Promise<Calibration | undefined> {
    if (device.startsWith('simulator')) return undefined;
    const doc = await this.http.request(
      'GET',
      `/characterizations/backends/${encodeURIComponent(device)}/current`,
    );
    return readIonqCharacterization(doc, device);
  }

  private toJob(j: unknown): JobRecord {
    if (!isObj(j) || typeof j.id !== 'string') throw new ProviderResponseError('ionq', 'job without an `id`');
    const status = JOB_STATUS[String(j.status)];
    if (!status)
      throw new ProviderResponseError('ionq', `job ${j.id}: unknown status ${JSON.stringify(j.status)}`);
    const createdAt = date(j.request);
    if (!createdAt) throw new ProviderResponseError('ionq', `job ${j.id}: no \`request\` time`);
    const rec: { -readonly [K in keyof JobRecord]: JobRecord[K] } = {
      id: j.id,
      provider: 'ionq',
      device: typeof j.target === 'string' ? j.target : '',
      status,
      shots: fin(j.shots) ?? 0,
      createdAt,
    };
    if (status !== 'queued') rec.startedAt = date(j.start) ?? null;
    if (status === 'completed' || status === 'failed' || status === 'cancelled')
      rec.finishedAt = date(j.response) ?? null;
    if (status === 'failed') {
      const f = isObj(j.failure) ? j.failure : {};
      rec.error = {
        type: typeof f.code === 'string' ? f.code : 'failed',
        message: typeof f.error === 'string' ? f.error : 'no reason given',
      };
    }
    const ms = fin(j.execution_time);
    if (ms !== undefined) rec.billableSeconds = ms / 1000;
    return rec;
  }

  async listJobs(options: ListJobsOptions = {}): Promise<JobRecord[]> {
    const limit = options.limit ?? 100;
    const out: JobRecord[] = [];
    let next: string | undefined;
    // v0.3 pages with `next`: the id to continue after, absent on the last page.
    for (let page = 0; out.length < limit && page < 1000; page++) {
      const q = new URLSearchParams({ limit: String(Math.min(this.pageSize, limit - out.length)) });
      if (next) q.set('next', next);
      if (options.device) q.set('target', options.device);
      const body = await this.http.request('GET', `/jobs?${q}`);
      if (!isObj(body) || !Array.isArray(body.jobs))
        throw new ProviderResponseError('ionq', 'GET /jobs: no `jobs` array');
      for (const j of body.jobs) out.push(this.toJob(j));
      next = typeof body.next === 'string' && body.next !== '' ? body.next : undefined;
      if (!next || body.jobs.length === 0) break;
    }
    return out.slice(0, limit);
  }

  async getJob(id: string): Promise<JobRecord> {
    return this.toJob(await this.http.request('GET', `/jobs/${encodeURIComponent(id)}`));
  }

  /**
   * Counts of a completed job from `GET /jobs/{id}/results`
   * (https://docs.ionq.com/api-reference/v0.3/jobs/get-a-specific-jobs-output): probabilities keyed by the
   * outcome as a decimal integer whose bit i is qubit i (little-endian, as Cirq's IonQ client reads it), mapped
   * to the clbits the circuit measured into and rounded to whole shots.
   */
  async results(id: string, circuit: Circuit, shots: number): Promise<Record<string, number>> {
    const body = await this.http.request('GET', `/jobs/${encodeURIComponent(id)}/results`);
    if (!isObj(body)) throw new ProviderResponseError('ionq', 'GET /jobs/{id}/results: not an object');
    // A multi-circuit job nests one histogram per child job; a single circuit's is flat.
    const values = Object.values(body);
    const flat = values.length === 1 && isObj(values[0]) ? values[0] : body;
    const entries: Array<readonly [(q: number) => number, number]> = [];
    for (const [k, p] of Object.entries(flat)) {
      if (!/^\d+$/.test(k) || typeof p !== 'number' || !(p >= 0))
        throw new ProviderResponseError(
          'ionq',
          `results: entry ${JSON.stringify(k)} is not outcome: probability`,
        );
      const outcome = BigInt(k);
      entries.push([(q: number) => Number((outcome >> BigInt(q)) & 1n), p]);
    }
    return countsFromProbabilities(keyedProbabilities(entries, circuit), shots);
  }

  /**
   * Submits an OpenQASM 2 program with `POST /jobs` (https://docs.ionq.com/api-reference/v0.3/jobs/create-a-job);
   * the handle polls `GET /jobs/{id}` with backoff and reads the results once completed. Shots, parameters and
   * measurements are checked before any request, the qubit count against the backend list.
   */
  async submit(device: string, circuit: Circuit, options: SubmitOptions): Promise<JobHandle> {
    const bound = checkSubmission('ionq', circuit, options);
    const backend = await this.backend(device);
    const qubits = fin(backend.qubits);
    if (qubits !== undefined && bound.numQubits > qubits)
      throw new SubmissionError(
        'ionq',
        'circuit',
        `it has ${bound.numQubits} qubits; ${device} has ${qubits}`,
      );
    const body = await this.http.request(
      'POST',
      '/jobs',
      { target: device, shots: options.shots, input: { format: 'openqasm', data: toQasm2(bound) } },
      { idempotent: false },
    );
    if (!isObj(body) || typeof body.id !== 'string')
      throw new ProviderResponseError('ionq', 'POST /jobs: no job `id`');
    const id = body.id;
    const initial: JobRecord = {
      id,
      provider: 'ionq',
      device,
      status: JOB_STATUS[String(body.status)] ?? 'queued',
      shots: options.shots,
      createdAt: new Date(),
    };
    const fetch = async (): Promise<JobRecord> => {
      const rec = await this.getJob(id);
      const withDevice = { ...rec, device: rec.device || device, shots: rec.shots || options.shots };
      if (rec.status !== 'completed') return withDevice;
      return { ...withDevice, counts: await this.results(id, bound, withDevice.shots) };
    };
    return polledJob(
      'ionq',
      initial,
      fetch,
      // https://docs.ionq.com/api-reference/v0.3/jobs/cancel-a-job
      async () => {
        await this.http.request('PUT', `/jobs/${encodeURIComponent(id)}/status/cancel`);
      },
      this.poll,
    );
  }
}
