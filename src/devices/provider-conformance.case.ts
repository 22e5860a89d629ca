// The conformance suite every Provider adapter runs against a local server that answers as that provider's
// documented API does: happy paths, 401, 403, 429 with Retry-After, 5xx, timeouts, malformed JSON, pagination.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Circuit, parseQasm, sym } from '../circuit/index.js';
import { simulate } from '../sim/index.js';
import { expectValidCalibration } from './conformance.js';
import type { RetryOptions } from './provider-http.js';
import {
  type Provider,
  ProviderAuthError,
  ProviderError,
  ProviderForbiddenError,
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from './provider.js';
import { type PollOptions, SubmissionError } from './submission.js';
import type { DeviceStatus } from './types.js';

/** A fault the fake API answers with instead of the real answer. */
export type Fault = { readonly status: number; readonly retryAfterSeconds?: number } | 'malformed' | 'hang';

/** What a route handler returns: a status, a JSON body (or raw text) and headers. */
export interface FakeAnswer {
  readonly status?: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly headers?: Record<string, string>;
}

export type FakeRoute = (req: IncomingMessage, url: URL, body: string) => FakeAnswer | undefined;

/** A local HTTP server (127.0.0.1, port 0) playing a provider's API, with fault injection. */
export interface FakeApi {
  readonly url: string;
  /** Answers the next `times` API requests (those `affects` and `match` accept) with `fault`. */
  fail(fault: Fault, times?: number, match?: (method: string, url: URL) => boolean): void;
  /** API requests seen (those `affects` accepts). */
  readonly requests: number;
  /** Faults still to be answered (0 once `fail(fault, n)` has answered its n requests). */
  readonly pendingFaults: number;
  close(): Promise<void>;
}

/**
 * Starts a fake API. `affects` says which requests faults and the request count apply to (IBM's IAM token
 * exchange is not the API under test). `errorBody` shapes an error answer as the provider does.
 */
export async function startFakeApi(
  route: FakeRoute,
  options: {
    affects?: (url: URL) => boolean;
    errorBody?: (status: number) => FakeAnswer;
  } = {},
): Promise<FakeApi> {
  const affects = options.affects ?? (() => true);
  const errorBody: (status: number) => FakeAnswer =
    options.errorBody ?? ((status: number) => ({ json: { error: `HTTP ${status}` } }));
  let fault: Fault | undefined;
  let remaining = 0;
  let faultMatch: ((method: string, url: URL) => boolean) | undefined;
  let requests = 0;
  const sockets = new Set<Socket>();
  const send = (res: ServerResponse, a: FakeAnswer) => {
    const text = a.text ?? JSON.stringify(a.json ?? {});
    res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...(a.headers ?? {}) });
    res.end(text);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks).toString('utf8');
      if (affects(url)) {
        requests++;
        if (fault !== undefined && remaining > 0 && (!faultMatch || faultMatch(req.method ?? 'GET', url))) {
          const f = fault;
          remaining--;
          if (f === 'hang') {
            // Bounded: answers after 5 s if the client has not given up, so nothing outlives the test.
            const t = setTimeout(() => send(res, { json: {} }), 5000);
            res.on('close', () => clearTimeout(t));
            return;
          }
          if (f === 'malformed') return send(res, { text: '{"devices": [unterminated' });
          const e = errorBody(f.status);
          return send(res, {
            ...e,
            status: f.status,
            headers: {
              ...(e.headers ?? {}),
              ...(f.retryAfterSeconds !== undefined ? { 'retry-after': String(f.retryAfterSeconds) } : {}),
            },
          });
        }
      }
      const answer = route(req, url, body) ?? { status: 404, ...errorBody(404) };
      send(res, answer);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    fail(f: Fault, times = 1, match?: (method: string, url: URL) => boolean) {
      fault = f;
      remaining = times;
      faultMatch = match;
    },
    get requests() {
      return requests;
    },
    get pendingFaults() {
      return remaining;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What an adapter's fake API holds, so the suite can check the adapter read it right. */
export interface ConformanceExpectations {
  /** Device names (the provider's own) the fake lists, over all pages. */
  readonly devices: readonly string[];
  readonly statuses: Readonly<Record<string, DeviceStatus>>;
  /** Queue length per device; undefined where the provider publishes none. */
  readonly queues: Readonly<Record<string, number | undefined>>;
  /** A device with a calibration and figures read straight from the fake's document. */
  readonly calibrated: {
    readonly device: string;
    readonly numQubits: number;
    readonly calibratedAt: string;
    readonly qubit0: { readonly t1Seconds?: number; readonly readoutError?: number };
  };
  /** A device that publishes no calibration (a simulator). */
  readonly uncalibrated?: string;
  /** Every job id, newest first, over all pages. */
  readonly jobIds: readonly string[];
  readonly failedJob: { readonly id: string; readonly reason: string };
  readonly completedJob: { readonly id: string; readonly shots: number };
  /** Whether the provider exposes when a job started running (Braket does not). */
  readonly exposesStartTime: boolean;
}

/** Jobs submitted with this many shots fail on every fake, with FAKE_FAILURE_REASON. */
export const FAKE_FAILING_SHOTS = 13;
export const FAKE_FAILURE_REASON = 'The device was taken for calibration while the job ran';

/** A job a fake API accepted: the program it ran and the state it reports. */
export interface FakeJob {
  readonly id: string;
  /** The program text as the provider received it. */
  readonly program: string;
  readonly circuit: Circuit;
  readonly shots: number;
  /** Counts in the project's order (clbit 0 rightmost), from an ideal simulation of the program sent. */
  readonly counts: Readonly<Record<string, number>>;
  readonly createdAt: Date;
  /** Status reads so far. */
  reads: number;
  cancelled: boolean;
}

/**
 * The jobs of a fake API. Each status read moves a job along: two reads queued, one running, then completed
 * (or failed, for FAKE_FAILING_SHOTS shots), so clients must poll. Programs are parsed with the project's
 * parser after `rewrite` (a fake undoes its provider's spelling, e.g. physical `$n` qubits).
 */
export class FakeJobs {
  readonly jobs = new Map<string, FakeJob>();
  private n = 0;

  submit(program: string, shots: number, rewrite: (qasm: string) => string = (q) => q): FakeJob {
    const circuit = parseQasm(rewrite(program));
    const counts = simulate(circuit, { shots, seed: 7 }).counts;
    const job: FakeJob = {
      id: `fakejob-${++this.n}-${Math.random().toString(36).slice(2, 8)}`,
      program,
      circuit,
      shots,
      counts,
      createdAt: new Date(),
      reads: 0,
      cancelled: false,
    };
    this.jobs.set(job.id, job);
    return job;
  }

  get created(): number {
    return this.n;
  }

  /** The job's state at this read (and advances it). */
  read(
    id: string,
  ): { job: FakeJob; status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' } | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    const k = job.reads++;
    if (job.cancelled) return { job, status: 'cancelled' };
    if (k < 2) return { job, status: 'queued' };
    if (k < 3) return { job, status: 'running' };
    return { job, status: job.shots === FAKE_FAILING_SHOTS ? 'failed' : 'completed' };
  }
}

/** Submission through an adapter, against its fake. */
export interface SubmissionHarness {
  /** The device (the provider's name) the fake runs jobs on, and its qubit count. */
  readonly device: string;
  readonly numQubits: number;
  readonly jobs: FakeJobs;
  /** Whether a request is the job creation (faults aimed at it). */
  isSubmit(method: string, url: URL): boolean;
  /** Whether a request reads a submitted job's status. */
  isPoll(method: string, url: URL): boolean;
  /** The creation request may be retried after a 5xx (Braket's client token makes it safe). */
  readonly submitIdempotent: boolean;
}

/** What the suite needs of an adapter. */
export interface ProviderHarness {
  readonly name: string;
  /** The credential the adapter is given; must never appear in an error. */
  readonly secret: string;
  start(): Promise<FakeApi>;
  create(api: FakeApi, options: RetryOptions & PollOptions, credential?: string): Provider;
  readonly expected: ConformanceExpectations;
  /** Present for adapters that submit. */
  readonly submission?: SubmissionHarness;
}

/** Runs the shared suite against one adapter. */
export function runProviderConformance(h: ProviderHarness): void {
  describe(`Provider conformance: ${h.name}`, () => {
    let api: FakeApi;
    const sleeps: number[] = [];
    const errors: unknown[] = [];
    const retry = (more: RetryOptions = {}): RetryOptions & PollOptions => ({
      timeoutMs: 15_000, // far above any answer of the local server, also on a loaded machine
      maxAttempts: 3,
      backoffMs: 1,
      pollMs: 10,
      maxPollMs: 40,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...more,
    });
    const provider = (more: RetryOptions = {}) => h.create(api, retry(more));
    const rejects = async (p: Promise<unknown>): Promise<unknown> => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, 'expected the call to fail').toBeInstanceOf(ProviderError);
      errors.push(err);
      return err;
    };

    beforeAll(async () => {
      api = await h.start();
    });
    afterAll(async () => {
      await api.close();
    });

    it('lists every device, following pagination', async () => {
      const devices = await provider().listDevices();
      expect(devices.map((d) => d.name).sort()).toEqual([...h.expected.devices].sort());
      for (const d of devices) expect(d.id).toBe(`${d.provider}.${d.name}`);
    });

    it('reads status and queue length per device', async () => {
      const p = provider();
      for (const [device, status] of Object.entries(h.expected.statuses))
        expect(await p.status(device)).toBe(status);
      for (const [device, queue] of Object.entries(h.expected.queues))
        expect(await p.queueLength(device)).toBe(queue);
    });

    it('maps the calibration into the normalized model', async () => {
      const p = provider();
      const c = h.expected.calibrated;
      const cal = await p.calibration(c.device);
      expect(cal).toBeDefined();
      if (!cal) return;
      // Trapped-ion T1 reaches seconds to minutes: times are bounded at a day here.
      expectValidCalibration(cal, { maxCoherenceSeconds: 86_400, maxGateSeconds: 1 });
      expect(cal.numQubits).toBe(c.numQubits);
      expect(cal.calibratedAt).toBe(c.calibratedAt);
      const q0 = cal.qubits.find((q) => q.qubit === 0);
      if (c.qubit0.t1Seconds !== undefined) expect(q0?.t1Seconds).toBeCloseTo(c.qubit0.t1Seconds, 12);
      if (c.qubit0.readoutError !== undefined)
        expect(q0?.readoutError).toBeCloseTo(c.qubit0.readoutError, 12);
      if (h.expected.uncalibrated) expect(await p.calibration(h.expected.uncalibrated)).toBeUndefined();
    });

    it('lists jobs across pages, newest first, and honours the limit', async () => {
      const p = provider();
      const all = await p.listJobs({ limit: 1000 });
      expect(all.map((j) => j.id)).toEqual(h.expected.jobIds);
      const some = await p.listJobs({ limit: 3 });
      expect(some.map((j) => j.id)).toEqual(h.expected.jobIds.slice(0, 3));
    });

    it('gets a job with its times, shots and failure reason', async () => {
      const p = provider();
      const failed = await p.getJob(h.expected.failedJob.id);
      expect(failed.status).toBe('failed');
      expect(failed.error?.message).toContain(h.expected.failedJob.reason);
      const done = await p.getJob(h.expected.completedJob.id);
      expect(done.status).toBe('completed');
      expect(done.shots).toBe(h.expected.completedJob.shots);
      expect(done.finishedAt).toBeInstanceOf(Date);
      expect(done.finishedAt!.getTime()).toBeGreaterThanOrEqual(done.createdAt.getTime());
      if (h.expected.exposesStartTime) {
        expect(done.startedAt).toBeInstanceOf(Date);
        expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(done.createdAt.getTime());
      } else expect(done.startedAt).toBeNull();
    });

    it('401: an unauthorized error, not retried past a credential refresh', async () => {
      const p = provider();
      api.fail({ status: 401 }, 10);
      const before = api.requests;
      const err = await rejects(p.listDevices());
      api.fail('malformed', 0);
      expect(err).toBeInstanceOf(ProviderAuthError);
      expect((err as ProviderError).code).toBe('provider_unauthorized');
      expect(api.requests - before).toBeLessThanOrEqual(2);
    });

    it('401 for a wrong credential, and the credential never shows', async () => {
      const p = h.create(api, retry(), 'wrong-credential-0123456789');
      const err = await rejects(p.listDevices());
      expect(err).toBeInstanceOf(ProviderAuthError);
      expect(String((err as Error).stack)).not.toContain('wrong-credential-0123456789');
    });

    it('403: a forbidden error, not retried', async () => {
      const p = provider();
      api.fail({ status: 403 }, 10);
      const before = api.requests;
      const err = await rejects(p.listJobs());
      api.fail('malformed', 0);
      expect(err).toBeInstanceOf(ProviderForbiddenError);
      expect(api.requests - before).toBe(1);
    });

    it('429: waits the Retry-After, then succeeds', async () => {
      const p = provider();
      sleeps.length = 0;
      api.fail({ status: 429, retryAfterSeconds: 7 }, 1);
      const devices = await p.listDevices();
      expect(devices.length).toBe(h.expected.devices.length);
      expect(sleeps).toContain(7000);
    });

    it('429 that persists: a rate-limit error carrying Retry-After, after the attempts', async () => {
      const p = provider();
      api.fail({ status: 429, retryAfterSeconds: 3 }, 100);
      const before = api.requests;
      const err = await rejects(p.listDevices());
      api.fail('malformed', 0);
      expect(err).toBeInstanceOf(ProviderRateLimitError);
      expect((err as ProviderRateLimitError).retryAfterSeconds).toBe(3);
      expect(api.requests - before).toBe(3);
    });

    it('5xx: retried with backoff and recovered; persistent 5xx is unavailable', async () => {
      const p = provider();
      sleeps.length = 0;
      api.fail({ status: 503 }, 2);
      const status = await p.status(h.expected.calibrated.device);
      expect(status).toBe(h.expected.statuses[h.expected.calibrated.device]);
      expect(sleeps.length).toBe(2);
      api.fail({ status: 500 }, 100);
      const err = await rejects(p.listJobs());
      api.fail('malformed', 0);
      expect(err).toBeInstanceOf(ProviderUnavailableError);
      expect((err as ProviderError).status).toBe(500);
    });

    it('timeout: a hung request ends with a timeout error', async () => {
      const p = provider({ timeoutMs: 200, maxAttempts: 2 });
      api.fail('hang', 2);
      const err = await rejects(p.listDevices());
      api.fail('malformed', 0);
      expect(err).toBeInstanceOf(ProviderTimeoutError);
      expect((err as ProviderTimeoutError).timeoutMs).toBe(200);
    });

    it('malformed JSON: a bad-response error, not retried', async () => {
      const p = provider();
      api.fail('malformed', 1);
      const err = await rejects(p.listDevices());
      expect(err).toBeInstanceOf(ProviderResponseError);
      // The next call is served normally: the adapter kept no broken state.
      expect((await p.listDevices()).length).toBe(h.expected.devices.length);
    });

    const sub = h.submission;
    if (sub) {
      const submit = (c: Circuit, shots: number, more: RetryOptions = {}) => {
        const p = provider(more);
        if (!p.submit) throw new Error(`${h.name} has no submit`);
        return p.submit(sub.device, c, { shots });
      };
      // X on qubit 1, measured into clbit 0 (qubits 0 and 2 crosswise into clbits 2 and 1): the only outcome
      // is clbit 0 set, `001` in the project's order (a reversed or qubit-keyed reading gives something else).
      const marked = () => {
        const c = new Circuit(3, 3, 'marked');
        c.x(1).measure(1, 0).measure(0, 2).measure(2, 1);
        return c;
      };

      it("submits, polls with exponential backoff, and returns counts in the project's bit order", async () => {
        sleeps.length = 0;
        const job = await submit(marked(), 100);
        expect(job.id).toBeTruthy();
        expect(['queued', 'running']).toContain(job.record().status);
        const rec = await job.wait();
        expect(rec.status).toBe('completed');
        expect(rec.counts).toEqual({ '001': 100 });
        expect(rec.shots).toBe(100);
        expect(rec.createdAt).toBeInstanceOf(Date);
        // Two reads queued, one running, one completed: four waits, doubling from 10 ms up to 40 ms.
        expect(sleeps).toEqual([10, 20, 40, 40]);
        expect(job.record().status).toBe('completed');
      });

      it('runs a Bell pair: counts over 00 and 11 summing to the shots', async () => {
        const bell = new Circuit(2).h(0).cx(0, 1).measureAll();
        const rec = await (await submit(bell, 200)).wait();
        expect(rec.status).toBe('completed');
        const counts = rec.counts ?? {};
        expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(200);
        for (const k of Object.keys(counts)) expect(['00', '11']).toContain(k);
      });

      it("a job that fails ends failed with the provider's reason; wait() does not reject", async () => {
        const rec = await (await submit(marked(), FAKE_FAILING_SHOTS)).wait();
        expect(rec.status).toBe('failed');
        expect(rec.error?.message).toContain(FAKE_FAILURE_REASON);
        expect(rec.counts).toBeUndefined();
      });

      it('429 on submit: waits the Retry-After and creates exactly one job', async () => {
        sleeps.length = 0;
        const before = sub.jobs.created;
        api.fail({ status: 429, retryAfterSeconds: 2 }, 1, (m, u) => sub.isSubmit(m, u));
        const job = await submit(marked(), 50);
        expect(api.pendingFaults).toBe(0);
        expect(sleeps).toContain(2000);
        expect(sub.jobs.created - before).toBe(1);
        expect((await job.wait()).status).toBe('completed');
      });

      it('5xx on submit: retried only where the creation is idempotent, never creating two jobs', async () => {
        const before = sub.jobs.created;
        api.fail({ status: 503 }, 1, (m, u) => sub.isSubmit(m, u));
        const attempt = submit(marked(), 50);
        await attempt.catch(() => undefined);
        expect(api.pendingFaults).toBe(0);
        if (sub.submitIdempotent) {
          await attempt;
          expect(sub.jobs.created - before).toBe(1);
        } else {
          const err = await rejects(attempt);
          expect(err).toBeInstanceOf(ProviderUnavailableError);
          expect(sub.jobs.created - before).toBe(0);
        }
        api.fail('malformed', 0);
      });

      it('a status poll failing past its retries is polled again at the next interval; the job completes', async () => {
        const job = await submit(marked(), 40);
        // Three 503s: the request's three attempts all fail once, so one poll fails and the next succeeds.
        api.fail({ status: 503 }, 3, (m, u) => sub.isPoll(m, u));
        const rec = await job.wait();
        expect(api.pendingFaults).toBe(0);
        api.fail('malformed', 0);
        expect(rec.status).toBe('completed');
        expect(rec.counts).toEqual({ '001': 40 });
      });

      it('a poll answered 401 ends wait() with the auth error, not a silent loop', async () => {
        const job = await submit(marked(), 40);
        api.fail({ status: 401 }, 20, (m, u) => sub.isPoll(m, u));
        const err = await rejects(job.wait());
        expect(api.pendingFaults).toBeGreaterThan(0); // one refused poll ended it
        api.fail('malformed', 0);
        expect(err).toBeInstanceOf(ProviderAuthError);
      });

      it('cancels a queued job: wait() resolves cancelled', async () => {
        const job = await submit(marked(), 50);
        await job.cancel();
        const rec = await job.wait();
        expect(rec.status).toBe('cancelled');
        // Provider ids may wrap the fake's (Braket's task ARN ends with it).
        expect([...sub.jobs.jobs.values()].find((j) => rec.id.endsWith(j.id))?.cancelled).toBe(true);
      });

      it('rejects a bad circuit or bad shots before any request, naming what is wrong', async () => {
        const before = api.requests;
        const created = sub.jobs.created;
        const unmeasured = new Circuit(2).h(0).cx(0, 1);
        const symbolic = new Circuit(1, 1).rx(sym('theta'), 0).measure(0, 0);
        const cases: Array<[Circuit, number, string]> = [
          [unmeasured, 10, 'circuit'],
          [symbolic, 10, 'parameters'],
          [marked(), 0, 'shots'],
          [marked(), 1.5, 'shots'],
          [marked(), -4, 'shots'],
        ];
        for (const [c, shots, field] of cases) {
          const err = await submit(c, shots).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(SubmissionError);
          expect((err as SubmissionError).field).toBe(field);
          expect((err as Error).message).toMatch(new RegExp(field));
          errors.push(err);
        }
        expect(api.requests).toBe(before);
        expect(sub.jobs.created).toBe(created);
      });

      it('rejects a circuit wider than the device with a clear error and creates no job', async () => {
        const created = sub.jobs.created;
        const wide = new Circuit(sub.numQubits + 1).h(0).measureAll();
        const err = await submit(wide, 10).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(SubmissionError);
        expect((err as Error).message).toMatch(/qubits/);
        expect(sub.jobs.created).toBe(created);
      });

      it('401 on submit: an unauthorized error without the credential', async () => {
        const p = h.create(api, retry(), 'wrong-credential-0123456789');
        const err = await rejects(p.submit!(sub.device, marked(), { shots: 10 }));
        expect(err).toBeInstanceOf(ProviderAuthError);
        expect(String((err as Error).stack)).not.toContain('wrong-credential-0123456789');
      });
    }

    it('never puts the credential in an error', () => {
      expect(errors.length).toBeGreaterThan(5);
      for (const e of errors) {
        const all = `${String(e)} ${(e as Error).stack} ${JSON.stringify(e)} ${String((e as Error).cause ?? '')}`;
        expect(all).not.toContain(h.secret);
      }
    });
  });
}
