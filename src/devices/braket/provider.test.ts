// Braket adapter: the shared conformance suite, through the real @aws-sdk/client-braket pointed at a local
// server that answers as the Braket REST API (restJson1) does, with static fake credentials.
import { describe, expect, it } from 'vitest';
import { Circuit } from '../../circuit/index.js';
import { type FakeApi, runProviderConformance } from '../provider-conformance.case.js';
import { SubmissionError } from '../submission.js';
import {
  ACCESS_KEY_ID,
  ARN,
  BUCKET,
  CAPABILITIES,
  jobs,
  SECRET,
  startBraket,
  TASKS,
  UPDATED,
} from './fake.case.js';
import { readBraketCapabilities } from './calibration.js';
import { BraketProvider, braketDeviceName } from './provider.js';

runProviderConformance({
  name: 'braket (AWS SDK client)',
  secret: SECRET,
  start: startBraket,
  create: (api, options, credential) =>
    new BraketProvider({
      ...options,
      endpoint: api.url,
      region: 'eu-north-1',
      credentials: { accessKeyId: credential ?? ACCESS_KEY_ID, secretAccessKey: SECRET },
      pageSize: 2,
      outputS3Bucket: BUCKET,
      outputS3KeyPrefix: 'qobs-tasks',
      s3Endpoint: api.url,
    }),
  expected: {
    devices: ['iqm/garnet', 'ionq/forte-1', 'amazon/sv1'],
    statuses: { 'iqm/garnet': 'online', 'ionq/forte-1': 'offline' },
    queues: { 'iqm/garnet': 15, 'ionq/forte-1': 4000 },
    calibrated: {
      device: 'iqm/garnet',
      numQubits: 3,
      calibratedAt: UPDATED,
      qubit0: { t1Seconds: 40e-6, readoutError: 0.03 },
    },
    uncalibrated: 'amazon/sv1',
    jobIds: TASKS.map((t) => t.quantumTaskArn),
    failedJob: { id: TASKS[1].quantumTaskArn, reason: 'went offline' },
    completedJob: { id: TASKS[0].quantumTaskArn, shots: 200 },
    exposesStartTime: false,
  },
  submission: {
    device: 'iqm/garnet',
    numQubits: 3,
    jobs,
    isPoll: (method, url) =>
      method === 'GET' && /^\/quantum-task\/.*fakejob-[^/]+$/.test(decodeURIComponent(url.pathname)),
    isSubmit: (method, url) => method === 'POST' && url.pathname === '/quantum-task',
    // A client token makes CreateQuantumTask idempotent: a retry after a 5xx cannot create a second task.
    submitIdempotent: true,
  },
});

describe('readBraketCapabilities', () => {
  it('maps the standardized properties: T1/T2 in seconds, readout and gate errors, coupling', () => {
    const cal = readBraketCapabilities(CAPABILITIES, 'iqm/garnet');
    for (const [i, q] of cal.qubits.entries()) expect(q.t2Seconds).toBeCloseTo((20 + i) * 1e-6, 15);
    expect(cal.qubits[2].readoutError).toBeCloseTo(0.05, 12);
    expect(cal.gates.find((g) => g.gate === 'cz' && g.qubits.join() === '1,2')?.error).toBeCloseTo(0.015, 12);
    expect(cal.gates.find((g) => g.gate === 'rb' && g.qubits[0] === 1)?.error).toBeCloseTo(0.0011, 12);
    expect(cal.couplingMap).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(cal.basisGates).toEqual(['cz', 'prx']);
  });

  it('names devices by the <vendor>/<device> part of the ARN', () => {
    expect(braketDeviceName(ARN.forte)).toBe('ionq/forte-1');
    expect(braketDeviceName(ARN.sv1)).toBe('amazon/sv1');
  });
});

describe('BraketProvider.submit', () => {
  const make = (api: FakeApi, more: Record<string, unknown> = {}) =>
    new BraketProvider({
      endpoint: api.url,
      region: 'eu-north-1',
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
      outputS3Bucket: BUCKET,
      s3Endpoint: api.url,
      pollMs: 1,
      ...more,
    });

  it('sends an OpenQASM 3 program with Braket gate names and reads results.json from S3', async () => {
    const api = await startBraket();
    try {
      const c = new Circuit(2, 2).h(0).cx(0, 1).sdg(1).tdg(0).measure(0, 0).measure(1, 1);
      const rec = await (await make(api).submit('iqm/garnet', c, { shots: 100 })).wait();
      expect(rec.status).toBe('completed');
      expect(rec.id).toMatch(/^arn:aws:braket:eu-north-1:123456789012:quantum-task\/fakejob-/);
      expect(rec.startedAt).toBeNull(); // Braket does not say when a task started
      const job = [...jobs.jobs.values()].find((j) => rec.id.endsWith(j.id))!;
      expect(job.program).toMatch(/^OPENQASM 3\.0;\nqubit\[2\] q;\nbit\[2\] c;\n/);
      expect(job.program).toMatch(/^cnot q\[0\], q\[1\];$/m);
      expect(job.program).toMatch(/^si q\[1\];$/m);
      expect(job.program).toMatch(/^ti q\[0\];$/m);
      expect(job.program).not.toMatch(/include|^cx /m);
      expect(Object.keys(rec.counts ?? {}).sort()).toEqual(['00', '11']);
    } finally {
      await api.close();
    }
  });

  it('needs an S3 bucket for results, and says which option before any request', async () => {
    const api = await startBraket();
    try {
      const saved = process.env.QOBS_BRAKET_S3_BUCKET;
      delete process.env.QOBS_BRAKET_S3_BUCKET;
      try {
        const before = api.requests;
        const p = make(api, { outputS3Bucket: undefined });
        const err = await p
          .submit('iqm/garnet', new Circuit(1, 1).x(0).measure(0, 0), { shots: 10 })
          .catch((e) => e);
        expect(err).toBeInstanceOf(SubmissionError);
        expect((err as SubmissionError).field).toBe('outputS3Bucket');
        expect(api.requests).toBe(before);
      } finally {
        if (saved !== undefined) process.env.QOBS_BRAKET_S3_BUCKET = saved;
      }
    } finally {
      await api.close();
    }
  });

  it('reads measurementProbabilities when a result carries no per-shot rows', async () => {
    const c = new Circuit(3, 2).measure(2, 0).measure(0, 1);
    const p = new BraketProvider({
      region: 'eu-north-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    // Stubbing the S3 read only: the parsing is what is under test here.
    const doc = { measuredQubits: [0, 2], measurementProbabilities: { '10': 0.25, '01': 0.75 } };
    (p as unknown as { s3: () => Promise<unknown> }).s3 = async () => ({
      client: { send: async () => ({ Body: { transformToString: async () => JSON.stringify(doc) } }) },
      sdk: { GetObjectCommand: class {} },
    });
    const counts = await p.results(
      { outputS3Bucket: 'b', outputS3Directory: 'd', $metadata: {} } as never,
      c,
      8,
    );
    // `10` over [q0, q2]: q0 = 1 (clbit 1) -> `10`; `01`: q2 = 1 (clbit 0) -> `01`.
    expect(counts).toEqual({ '10': 2, '01': 6 });
  });
});
