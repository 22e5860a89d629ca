// IonQ adapter: the shared conformance suite against a local server answering as IonQ's API v0.3.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Circuit } from '../../circuit/index.js';
import {
  FAKE_FAILURE_REASON,
  type FakeApi,
  type FakeJob,
  FakeJobs,
  runProviderConformance,
  startFakeApi,
} from '../provider-conformance.case.js';
import { clbitSources } from '../submission.js';
import { IonqProvider, readIonqCharacterization } from './provider.js';

const KEY = 'ionq-test-key-Zk82mQ04xv';
const NOW_S = Date.parse('2026-11-20T10:00:00Z') / 1000;

const BACKENDS = [
  {
    backend: 'qpu.aria-1',
    status: 'available',
    qubits: 25,
    average_queue_time: 1_181_215,
    last_updated: NOW_S,
    characterization_url: '/characterizations/backends/qpu.aria-1/current',
    degraded: false,
  },
  {
    backend: 'qpu.forte-1',
    status: 'offline',
    qubits: 36,
    average_queue_time: 0,
    last_updated: NOW_S,
    characterization_url: '/characterizations/backends/qpu.forte-1/current',
    degraded: false,
  },
  { backend: 'simulator', status: 'available', qubits: 29, average_queue_time: 0, last_updated: NOW_S },
];

// Aria-like figures in the documented shape: date in Unix seconds, fidelities as medians, timings in seconds.
const CHARACTERIZATION = {
  id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  date: NOW_S - 3600,
  backend: 'qpu.aria-1',
  qubits: 25,
  connectivity: Array.from({ length: 25 }, (_, a) =>
    Array.from({ length: 24 - a }, (_, k) => [a, a + k + 1]),
  ).flat(),
  fidelity: { spam: { median: 0.9939, stderr: null }, '1q': { mean: 0.9998 }, '2q': { mean: 0.986 } },
  timing: { readout: 0.0003, reset: 0.00002, '1q': 0.000135, '2q': 0.0006, t1: 100, t2: 1 },
};

const STATUSES = ['completed', 'failed', 'running', 'ready', 'canceled', 'completed', 'completed'];
const JOBS = STATUSES.map((status, i) => {
  const request = NOW_S - i * 600;
  return {
    id: `b5a1c2d3-0000-4000-8000-00000000000${i}`,
    status,
    target: 'qpu.aria-1',
    shots: 500 + i,
    request,
    ...(status !== 'ready' ? { start: request + 60 } : {}),
    ...(status === 'completed' || status === 'failed' || status === 'canceled'
      ? { response: request + 90, execution_time: 30_000 }
      : {}),
    ...(status === 'failed'
      ? { failure: { error: 'Circuit exceeds the maximum gate count', code: 'CircuitTooLarge' } }
      : {}),
  };
});

const jobs = new FakeJobs();
const IONQ_STATUS = {
  queued: 'ready',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'canceled',
};

/** A fake job as IonQ v0.3 shows it (times in Unix seconds). */
function ionqJob(job: FakeJob, status: keyof typeof IONQ_STATUS) {
  const t = job.createdAt.getTime() / 1000;
  return {
    id: job.id,
    status: IONQ_STATUS[status],
    target: 'simulator',
    shots: job.shots,
    request: t,
    ...(status !== 'queued' ? { start: t + 0.5 } : {}),
    ...(status === 'completed' || status === 'failed' || status === 'cancelled' ? { response: t + 1 } : {}),
    ...(status === 'failed' ? { failure: { error: FAKE_FAILURE_REASON, code: 'DeviceUnavailable' } } : {}),
  };
}

/** IonQ's results: probabilities keyed by the decimal outcome whose bit i is qubit i. */
function ionqResults(job: FakeJob): Record<string, number> {
  const sources = clbitSources(job.circuit);
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(job.counts)) {
    let outcome = 0;
    for (let c = 0; c < key.length; c++)
      if (key[key.length - 1 - c] === '1') outcome |= 1 << (sources.get(c) ?? 0);
    out[String(outcome)] = (out[String(outcome)] ?? 0) + n / job.shots;
  }
  return out;
}

async function startIonq(): Promise<FakeApi> {
  return startFakeApi(
    (req, url, body) => {
      if (req.headers.authorization !== `apiKey ${KEY}`)
        return {
          status: 401,
          json: { error: 'Unauthorized', message: 'Invalid key provided', statusCode: 401 },
        };
      const p = url.pathname.replace(/^\/v0\.3/, '');
      if (p === '/backends') return { json: BACKENDS };
      if (p === '/characterizations/backends/qpu.aria-1/current') return { json: CHARACTERIZATION };
      if (p === '/jobs' && req.method === 'GET') {
        const limit = Number(url.searchParams.get('limit') ?? 25);
        const next = url.searchParams.get('next');
        const from = next ? JOBS.findIndex((j) => j.id === next) : 0;
        const page = JOBS.slice(from, from + limit);
        const after = JOBS[from + limit];
        return { json: { jobs: page, ...(after ? { next: after.id } : {}) } };
      }
      if (p === '/jobs' && req.method === 'POST') {
        const b = JSON.parse(body) as {
          target: string;
          shots: number;
          input: { format: string; data: string };
        };
        if (b.input?.format !== 'openqasm' || b.target !== 'simulator')
          return { status: 400, json: { error: 'bad job' } };
        const job = jobs.submit(b.input.data, b.shots);
        return { json: { id: job.id, status: 'ready', request: job.createdAt.getTime() / 1000 } };
      }
      const c = /^\/jobs\/([^/]+)\/(results|status\/cancel)$/.exec(p);
      if (c) {
        const job = jobs.jobs.get(c[1]);
        if (!job) return undefined;
        if (c[2] === 'results') return { json: ionqResults(job) };
        if (req.method !== 'PUT') return undefined;
        job.cancelled = true;
        return { json: { id: job.id, status: 'canceled' } };
      }
      const m = /^\/jobs\/([^/]+)$/.exec(p);
      if (m) {
        const j = JOBS.find((x) => x.id === m[1]);
        if (j) return { json: j };
        const read = jobs.read(m[1]);
        return read ? { json: ionqJob(read.job, read.status) } : undefined;
      }
      return undefined;
    },
    {
      errorBody: (status) => ({ json: { error: 'Error', message: `status ${status}`, statusCode: status } }),
    },
  );
}

runProviderConformance({
  name: 'ionq',
  secret: KEY,
  start: startIonq,
  create: (api, options, credential) =>
    new IonqProvider({ ...options, apiKey: credential ?? KEY, baseUrl: `${api.url}/v0.3`, pageSize: 3 }),
  expected: {
    devices: ['qpu.aria-1', 'qpu.forte-1', 'simulator'],
    statuses: { 'qpu.aria-1': 'online', 'qpu.forte-1': 'offline' },
    // IonQ publishes an average queue time, not a length.
    queues: { 'qpu.aria-1': undefined },
    calibrated: {
      device: 'qpu.aria-1',
      numQubits: 25,
      calibratedAt: new Date((NOW_S - 3600) * 1000).toISOString(),
      qubit0: { t1Seconds: 100, readoutError: 1 - 0.9939 },
    },
    uncalibrated: 'simulator',
    jobIds: JOBS.map((j) => j.id),
    failedJob: { id: JOBS[1].id, reason: 'maximum gate count' },
    completedJob: { id: JOBS[0].id, shots: 500 },
    exposesStartTime: true,
  },
  submission: {
    device: 'simulator',
    numQubits: 29,
    jobs,
    isPoll: (method, url) => method === 'GET' && /^\/v0\.3\/jobs\/fakejob-[^/]+$/.test(url.pathname),
    isSubmit: (method, url) => method === 'POST' && url.pathname === '/v0.3/jobs',
    // IonQ's POST /jobs has no idempotency key: after a 5xx the job may exist, so it is not sent again.
    submitIdempotent: false,
  },
});

describe('readIonqCharacterization', () => {
  it('gives every pair an MS gate error of 1 − 2q fidelity on an all-to-all device, with no coupling map', () => {
    const cal = readIonqCharacterization(CHARACTERIZATION, 'qpu.aria-1');
    expect(cal.couplingMap).toBeUndefined();
    const ms = cal.gates.filter((g) => g.gate === 'ms');
    expect(ms).toHaveLength((25 * 24) / 2);
    for (const g of ms) expect(g.error).toBeCloseTo(0.014, 12);
    expect(cal.gates.filter((g) => g.gate === 'gpi2').every((g) => Math.abs(g.error! - 0.0002) < 1e-12)).toBe(
      true,
    );
  });

  it('keeps a partial connectivity as the coupling map', () => {
    const cal = readIonqCharacterization(
      {
        ...CHARACTERIZATION,
        qubits: 4,
        connectivity: [
          [0, 1],
          [1, 2],
          [2, 3],
        ],
      },
      'x',
    );
    expect(cal.couplingMap).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });

  it('maps any fidelities in [0, 1] to errors in [0, 1] (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 40 }),
        (spam, f2, n) => {
          const cal = readIonqCharacterization(
            {
              ...CHARACTERIZATION,
              qubits: n,
              connectivity: [],
              fidelity: { spam: { median: spam }, '2q': { mean: f2 } },
            },
            'x',
          );
          expect(cal.qubits).toHaveLength(n);
          for (const q of cal.qubits) expect(q.readoutError).toBeCloseTo(1 - spam, 12);
          for (const g of cal.gates)
            if (g.error !== undefined) expect(g.error >= 0 && g.error <= 1).toBe(true);
        },
      ),
    );
  });
});

describe('IonqProvider.submit', () => {
  it("posts the circuit as OpenQASM 2 with the shots, waits, and maps outcome integers to the project's bit order", async () => {
    let posted: Record<string, unknown> | undefined;
    let polls = 0;
    const api = await startFakeApi((req, url, body) => {
      if (url.pathname === '/v0.3/backends') return { json: BACKENDS };
      if (url.pathname === '/v0.3/jobs/job-1/results') return { json: { '1': 0.25, '2': 0.75 } };
      if (req.method === 'POST' && url.pathname === '/v0.3/jobs') {
        posted = JSON.parse(body);
        return { json: { id: 'job-1', status: 'ready' } };
      }
      if (url.pathname === '/v0.3/jobs/job-1') {
        polls++;
        return {
          json: {
            id: 'job-1',
            status: polls < 2 ? 'running' : 'completed',
            target: 'simulator',
            shots: 100,
            request: NOW_S,
            start: NOW_S + 1,
            response: NOW_S + 2,
          },
        };
      }
      return undefined;
    });
    try {
      const p = new IonqProvider({ apiKey: KEY, baseUrl: `${api.url}/v0.3`, pollMs: 5 });
      const c = new Circuit(2, 2).h(0).cx(0, 1).measure(0, 1).measure(1, 0);
      const job = await p.submit('simulator', c, { shots: 100 });
      const rec = await job.wait();
      expect(rec.status).toBe('completed');
      // IonQ's outcome 1 is qubit 0 set (little-endian), measured into clbit 1: `10` in the project's order;
      // outcome 2 is qubit 1 set, into clbit 0: `01`.
      expect(rec.counts).toEqual({ '10': 25, '01': 75 });
      expect(posted?.target).toBe('simulator');
      expect(posted?.shots).toBe(100);
      expect((posted?.input as { data: string } | undefined)?.data).toMatch(/cx q\[0\], ?q\[1\];/);
    } finally {
      await api.close();
    }
  });
});
