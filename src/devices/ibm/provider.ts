// The IBM Quantum Platform adapter: REST API v1 (backends, status, properties, configuration, jobs, job
// metrics) with an IBM Cloud API key exchanged for an IAM bearer token.
import { type Circuit, CircuitError, TranspileError, transpile } from '../../circuit/index.js';
import { QobsConfigError } from '../../errors.js';
import { transpileTarget } from '../local/noise.js';
import { errorForStatus, JsonHttpClient, type RetryOptions, scrub } from '../provider-http.js';
import {
  type ListJobsOptions,
  type Provider,
  ProviderAuthError,
  type ProviderDevice,
  ProviderResponseError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../provider.js';
import {
  checkSubmission,
  countsFromRegisterSamples,
  emitQasm3,
  type PollOptions,
  polledJob,
  SubmissionError,
} from '../submission.js';
import type { Calibration, DeviceStatus, JobHandle, JobRecord, JobStatus, SubmitOptions } from '../types.js';
import { readIbmCalibration } from './calibration.js';

export interface IbmProviderOptions extends RetryOptions, Omit<PollOptions, 'sleep'> {
  /** IBM Cloud API key; default `QISKIT_IBM_TOKEN`, else `IBM_QUANTUM_TOKEN`. */
  readonly apiKey?: string;
  /** The service instance CRN sent as `Service-CRN`; default `QISKIT_IBM_INSTANCE`. */
  readonly instance?: string;
  /** Default `https://quantum.cloud.ibm.com/api/v1`. */
  readonly baseUrl?: string;
  /** Default `https://iam.cloud.ibm.com`. */
  readonly iamUrl?: string;
  /** The `IBM-API-Version` header (a date). */
  readonly apiVersion?: string;
  /** Jobs asked per page (IBM's `limit`, default 50). */
  readonly pageSize?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** IBM's job states (`state.status`) in the common model. */
const JOB_STATUS: Readonly<Record<string, JobStatus>> = {
  queued: 'queued',
  initializing: 'queued',
  validating: 'queued',
  running: 'running',
  completed: 'completed',
  done: 'completed',
  failed: 'failed',
  error: 'failed',
  cancelled: 'cancelled',
  'cancelled - ran too long': 'failed',
};

function date(v: unknown): Date | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Shots of a Runtime job from its params: `shots`, or the sum over sampler PUBs, else the default. */
function jobShots(params: unknown): number {
  if (!isObj(params)) return 0;
  const fallback = typeof params.shots === 'number' ? params.shots : 0;
  if (!Array.isArray(params.pubs)) return fallback;
  let sum = 0;
  for (const pub of params.pubs) sum += Array.isArray(pub) && typeof pub[2] === 'number' ? pub[2] : fallback;
  return sum;
}

/**
 * Reads IBM Quantum Platform through its REST API and runs circuits through the Qiskit Runtime Sampler
 * primitive (V2). Needs an API key (from the environment by default).
 */
export class IbmProvider implements Provider {
  readonly name = 'ibm' as const;
  private readonly apiKey: string;
  private readonly instance: string | undefined;
  private readonly iamUrl: string;
  private readonly http: JsonHttpClient;
  private readonly pageSize: number;
  private readonly timeoutMs: number;
  private token: { value: string; expiresAtMs: number } | undefined;
  private readonly devices = new Map<string, ProviderDevice>();
  private readonly poll: PollOptions;

  constructor(options: IbmProviderOptions = {}) {
    this.poll = { ...options };
    const key = options.apiKey ?? process.env.QISKIT_IBM_TOKEN ?? process.env.IBM_QUANTUM_TOKEN;
    if (!key)
      throw new QobsConfigError(
        'QISKIT_IBM_TOKEN',
        'no IBM Quantum API key (set QISKIT_IBM_TOKEN or IBM_QUANTUM_TOKEN)',
      );
    this.apiKey = key;
    this.instance = options.instance ?? process.env.QISKIT_IBM_INSTANCE;
    this.iamUrl = options.iamUrl ?? 'https://iam.cloud.ibm.com';
    this.pageSize = options.pageSize ?? 50;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const secrets = () => [this.apiKey, this.token?.value];
    const apiVersion = options.apiVersion ?? '2025-05-01';
    this.http = new JsonHttpClient(
      'ibm',
      options.baseUrl ?? 'https://quantum.cloud.ibm.com/api/v1',
      async () => {
        const h: Record<string, string> = {
          authorization: `Bearer ${await this.bearer()}`,
          'ibm-api-version': apiVersion,
        };
        if (this.instance) h['service-crn'] = this.instance;
        return h;
      },
      secrets,
      options,
    );
  }

  /** A bearer token from IAM, renewed a minute before it expires. */
  private async bearer(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAtMs - 60_000) return this.token.value;
    const form = new URLSearchParams({
      grant_type: 'urn:ibm:params:oauth:grant-type:apikey',
      apikey: this.apiKey,
    });
    // IAM takes a form body, so this one call does not go through the JSON client's body encoding.
    const res = await fetch(`${this.iamUrl}/identity/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal: AbortSignal.timeout(this.timeoutMs),
    }).catch((err) => {
      if ((err as Error)?.name === 'TimeoutError')
        throw new ProviderTimeoutError('ibm', this.timeoutMs, 'IAM token request');
      throw new ProviderUnavailableError(
        'ibm',
        `IAM token request failed (${scrub(String(err), [this.apiKey])})`,
      );
    });
    const text = await res.text();
    // IAM answers 400 for an unknown or revoked key; other statuses mean what they mean elsewhere.
    if (res.status === 400 || res.status === 401)
      throw new ProviderAuthError('ibm', `IAM refused the API key: HTTP ${res.status}`, 401);
    if (!res.ok)
      throw errorForStatus('ibm', res.status, 'POST /identity/token', '', res.headers.get('retry-after'));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ProviderResponseError('ibm', 'IAM token answer is not JSON', res.status);
    }
    if (!isObj(body) || typeof body.access_token !== 'string')
      throw new ProviderResponseError('ibm', 'IAM token answer has no access_token');
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    this.token = { value: body.access_token, expiresAtMs: Date.now() + expiresIn * 1000 };
    return this.token.value;
  }

  /** A GET that, on a 401 with a cached token, renews the token once (it may have been revoked early). */
  private get(path: string): Promise<unknown> {
    return this.send('GET', path);
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options?: { idempotent?: boolean },
  ): Promise<unknown> {
    try {
      return await this.http.request(method, path, body, options);
    } catch (err) {
      // A 401 is answered before anything is done, so even a job creation may be sent again.
      if (err instanceof ProviderAuthError && this.token) {
        this.token = undefined;
        return this.http.request(method, path, body, options);
      }
      throw err;
    }
  }

  async listDevices(): Promise<ProviderDevice[]> {
    const body = await this.get('/backends');
    // The API answers {devices: [names]}; newer versions list objects with a `name`.
    const list = isObj(body) && Array.isArray(body.devices) ? body.devices : undefined;
    if (!list) throw new ProviderResponseError('ibm', 'GET /backends: no `devices` array');
    const out: ProviderDevice[] = [];
    for (const d of list) {
      const name = typeof d === 'string' ? d : isObj(d) && typeof d.name === 'string' ? d.name : undefined;
      if (!name) continue;
      const dev: ProviderDevice = {
        id: `ibm.${name}`,
        provider: 'ibm',
        name,
        kind: name.includes('simulator') ? 'simulator' : 'qpu',
        ...(isObj(d) && typeof d.qubits === 'number' ? { numQubits: d.qubits } : {}),
      };
      this.devices.set(name, dev);
      out.push(dev);
    }
    return out;
  }

  private async statusDoc(device: string): Promise<Obj> {
    const body = await this.get(`/backends/${encodeURIComponent(device)}/status`);
    if (!isObj(body)) throw new ProviderResponseError('ibm', 'GET /backends/{id}/status: not an object');
    return body;
  }

  async status(device: string): Promise<DeviceStatus> {
    const s = await this.statusDoc(device);
    if (s.state === true) return 'online';
    const text = String(s.status ?? '').toLowerCase();
    if (text.includes('maint') || text.includes('reserv')) return 'maintenance';
    if (s.state === false) return 'offline';
    throw new ProviderResponseError('ibm', 'GET /backends/{id}/status: no boolean `state`');
  }

  async queueLength(device: string): Promise<number | undefined> {
    const s = await this.statusDoc(device);
    return typeof s.length_queue === 'number' ? s.length_queue : undefined;
  }

  async calibration(device: string): Promise<Calibration | undefined> {
    const [props, conf] = await Promise.all([
      this.get(`/backends/${encodeURIComponent(device)}/properties`),
      this.get(`/backends/${encodeURIComponent(device)}/configuration`),
    ]);
    // Simulators publish no properties: an empty document.
    if (!isObj(props) || !Array.isArray(props.qubits) || props.qubits.length === 0) return undefined;
    try {
      return readIbmCalibration(props, conf);
    } catch (err) {
      throw new ProviderResponseError('ibm', `calibration of ${device}: ${(err as Error).message}`);
    }
  }

  private toJob(j: unknown, metrics?: unknown): JobRecord {
    if (!isObj(j) || typeof j.id !== 'string') throw new ProviderResponseError('ibm', 'job without an `id`');
    const state = isObj(j.state) ? j.state : {};
    const rawStatus = String(state.status ?? j.status ?? '').toLowerCase();
    const status = JOB_STATUS[rawStatus];
    if (!status)
      throw new ProviderResponseError('ibm', `job ${j.id}: unknown status ${JSON.stringify(rawStatus)}`);
    const ts = isObj(metrics) && isObj(metrics.timestamps) ? metrics.timestamps : {};
    const createdAt = date(j.created) ?? date(ts.created);
    if (!createdAt) throw new ProviderResponseError('ibm', `job ${j.id}: no \`created\` time`);
    const startedAt = date(ts.running) ?? date(j.started);
    const finishedAt = date(ts.finished) ?? date(j.ended);
    const rec: { -readonly [K in keyof JobRecord]: JobRecord[K] } = {
      id: j.id,
      provider: 'ibm',
      device: typeof j.backend === 'string' ? j.backend : '',
      status,
      shots: jobShots(j.params),
      createdAt,
    };
    if (status === 'running' || status === 'completed' || status === 'failed')
      rec.startedAt = startedAt ?? (metrics ? null : undefined);
    if (status === 'completed' || status === 'failed' || status === 'cancelled')
      rec.finishedAt = finishedAt ?? null;
    if (status === 'failed' || status === 'cancelled') {
      const reason = typeof state.reason === 'string' ? state.reason : undefined;
      if (reason || status === 'failed')
        rec.error = {
          type: typeof state.reason_code === 'number' ? `ibm_${state.reason_code}` : status,
          message: reason ?? 'no reason given',
        };
    }
    const usage =
      isObj(metrics) && isObj(metrics.usage) ? metrics.usage : isObj(j.usage) ? j.usage : undefined;
    const q = usage?.quantum_seconds ?? usage?.seconds;
    if (typeof q === 'number') rec.billableSeconds = q;
    return rec;
  }

  async listJobs(options: ListJobsOptions = {}): Promise<JobRecord[]> {
    const limit = options.limit ?? 100;
    const out: JobRecord[] = [];
    // IBM pages with limit/offset and reports the total `count`.
    for (let offset = 0; out.length < limit; ) {
      const q = new URLSearchParams({
        limit: String(Math.min(this.pageSize, limit - out.length)),
        offset: String(offset),
      });
      if (options.device) q.set('backend', options.device);
      const body = await this.get(`/jobs?${q}`);
      if (!isObj(body) || !Array.isArray(body.jobs))
        throw new ProviderResponseError('ibm', 'GET /jobs: no `jobs` array');
      for (const j of body.jobs) out.push(this.toJob(j));
      offset += body.jobs.length;
      const count = typeof body.count === 'number' ? body.count : undefined;
      if (body.jobs.length === 0 || (count !== undefined && offset >= count)) break;
    }
    return out.slice(0, limit);
  }

  async getJob(id: string): Promise<JobRecord> {
    const [job, metrics] = await Promise.all([
      this.get(`/jobs/${encodeURIComponent(id)}`),
      this.get(`/jobs/${encodeURIComponent(id)}/metrics`).catch(() => undefined),
    ]);
    return this.toJob(job, metrics);
  }

  /**
   * The device's target for transpilation: the calibration (properties and configuration) when published, else
   * basis gates, qubit count and coupling map from the configuration alone (simulators).
   */
  private async target(device: string): Promise<Calibration> {
    const cal = await this.calibration(device);
    if (cal) return cal;
    const conf = await this.get(`/backends/${encodeURIComponent(device)}/configuration`);
    if (!isObj(conf) || typeof conf.n_qubits !== 'number' || !Array.isArray(conf.basis_gates))
      throw new ProviderResponseError('ibm', `configuration of ${device}: no n_qubits or basis_gates`);
    const pairs = Array.isArray(conf.coupling_map)
      ? conf.coupling_map.filter(
          (p): p is [number, number] => Array.isArray(p) && p.length === 2 && p.every(Number.isInteger),
        )
      : undefined;
    return {
      provider: 'ibm',
      device,
      numQubits: conf.n_qubits,
      basisGates: conf.basis_gates.filter((g): g is string => typeof g === 'string'),
      ...(pairs && pairs.length > 0 ? { couplingMap: pairs } : {}),
      calibratedAt: new Date(0).toISOString(),
      qubits: [],
      gates: [],
      source: 'ibm-configuration',
    };
  }

  /**
   * Counts of a completed Sampler job from `GET /jobs/{id}/results`
   * (https://quantum.cloud.ibm.com/docs/guides/sampler-rest-api): `results[0].data.<register>.samples`, one hex
   * string per shot whose bit i is the register's bit i.
   */
  async results(id: string, circuit: Circuit): Promise<Record<string, number>> {
    const body = await this.get(`/jobs/${encodeURIComponent(id)}/results`);
    const pub = isObj(body) && Array.isArray(body.results) ? body.results[0] : undefined;
    if (!isObj(pub) || !isObj(pub.data))
      throw new ProviderResponseError('ibm', 'GET /jobs/{id}/results: no results[0].data');
    const samples: Record<string, string[]> = {};
    for (const [name, reg] of Object.entries(pub.data))
      if (isObj(reg) && Array.isArray(reg.samples)) samples[name] = reg.samples as string[];
    return countsFromRegisterSamples('ibm', circuit, samples);
  }

  /**
   * Runs a circuit with the Sampler primitive: transpiled first to the backend's ISA (basis gates and coupling
   * map of its configuration, qubits chosen by its calibration, SABRE routing, then basis translation), written
   * as OpenQASM 3 on physical qubits (`$n`), sent with `POST /jobs` (program_id `sampler`, one PUB with its
   * shots, `version: 2`; https://quantum.cloud.ibm.com/docs/guides/sampler-rest-api). The handle polls
   * `GET /jobs/{id}` with backoff and reads the results once completed.
   */
  async submit(device: string, circuit: Circuit, options: SubmitOptions): Promise<JobHandle> {
    const bound = checkSubmission('ibm', circuit, options);
    const cal = await this.target(device);
    if (bound.numQubits > cal.numQubits)
      throw new SubmissionError(
        'ibm',
        'circuit',
        `it has ${bound.numQubits} qubits; ${device} has ${cal.numQubits}`,
      );
    let isa: Circuit;
    try {
      isa = transpile(bound, transpileTarget(cal, options.seed)).circuit;
    } catch (err) {
      // Both are the circuit's fault (a gate the basis cannot express, a layout that does not fit): no request made.
      if (err instanceof TranspileError || err instanceof CircuitError)
        throw new SubmissionError('ibm', 'circuit', err.message);
      throw err;
    }
    const qasm = emitQasm3('ibm', isa, { qubit: (q) => `$${q}`, declareQubits: false, include: true });
    const body = await this.send(
      'POST',
      '/jobs',
      { program_id: 'sampler', backend: device, params: { pubs: [[qasm, null, options.shots]], version: 2 } },
      { idempotent: false },
    );
    if (!isObj(body) || typeof body.id !== 'string')
      throw new ProviderResponseError('ibm', 'POST /jobs: no job `id`');
    const id = body.id;
    const calibratedAt = cal.source === 'ibm-configuration' ? undefined : cal.calibratedAt;
    const stamp = (r: JobRecord): JobRecord => ({
      ...r,
      device: r.device || device,
      shots: r.shots || options.shots,
      ...(calibratedAt ? { calibratedAt } : {}),
    });
    const initial = stamp({
      id,
      provider: 'ibm',
      device,
      status: 'queued',
      shots: options.shots,
      createdAt: new Date(),
    });
    return polledJob(
      'ibm',
      initial,
      async () => {
        const rec = stamp(await this.getJob(id));
        return rec.status === 'completed' ? { ...rec, counts: await this.results(id, isa) } : rec;
      },
      // https://quantum.cloud.ibm.com/docs/api/qiskit-runtime-rest/tags/jobs (POST /jobs/{id}/cancel, 204)
      async () => {
        await this.send('POST', `/jobs/${encodeURIComponent(id)}/cancel`);
      },
      this.poll,
    );
  }
}
