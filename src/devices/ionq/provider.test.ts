// IonQ adapter: the shared conformance suite against a local server answering as IonQ's API v0.3.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Circuit } from '../../circuit/index.js';
import { runProviderConformance, startFakeApi } from '../provider-conformance.case.js';
import { BACKENDS, CHARACTERIZATION, JOBS, jobs, KEY, NOW_S, startIonq } from './fake.case.js';
import { IonqProvider, readIonqCharacterization } from './provider.js';

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
