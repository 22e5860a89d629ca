// A local server answering as IonQ's API v0.3 (backends, characterizations, jobs, submission, results,
// cancel), for the IonQ adapter's conformance run and the remote-device tests.
import {
  FAKE_FAILURE_REASON,
  type FakeApi,
  type FakeJob,
  FakeJobs,
  startFakeApi,
} from '../provider-conformance.case.js';
import { clbitSources } from '../submission.js';

export const KEY = 'ionq-test-key-Zk82mQ04xv';
export const NOW_S = Date.parse('2026-11-20T10:00:00Z') / 1000;

export const BACKENDS = [
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
export const CHARACTERIZATION = {
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
export const JOBS = STATUSES.map((status, i) => {
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

export const jobs = new FakeJobs();
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

/** Starts the fake on 127.0.0.1, port 0. */
export async function startIonq(): Promise<FakeApi> {
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
