// IonQ adapter: the shared conformance suite against a local server answering as IonQ's API v0.3.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Circuit } from '../../circuit/index.js';
import { type FakeApi, runProviderConformance, startFakeApi } from '../provider-conformance.case.js';
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

async function startIonq(): Promise<FakeApi> {
  return startFakeApi(
    (req, url) => {
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
      const m = /^\/jobs\/([^/]+)$/.exec(p);
      if (m) {
        const j = JOBS.find((x) => x.id === m[1]);
        return j ? { json: j } : undefined;
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
  it('posts the circuit as OpenQASM 2 with the shots and waits for the result', async () => {
    let posted: Record<string, unknown> | undefined;
    let polls = 0;
    const api = await startFakeApi((req, url, body) => {
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
      const c = new Circuit(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1);
      const job = await p.submit('simulator', c, { shots: 100 });
      const rec = await job.wait();
      expect(rec.status).toBe('completed');
      expect(posted?.target).toBe('simulator');
      expect(posted?.shots).toBe(100);
      expect((posted?.input as { data: string } | undefined)?.data).toMatch(/cx q\[0\], ?q\[1\];/);
    } finally {
      await api.close();
    }
  });
});
