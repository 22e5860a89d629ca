// Remote devices: the Device conformance suite on IBM's fake API, and observer.run and the cost tracker on it.
import { afterAll, describe, expect, it } from 'vitest';
import { Circuit } from '../circuit/index.js';
import { CostTracker } from '../cost/index.js';
import { Observer } from '../telemetry/index.js';
import { runDeviceConformance } from './conformance.js';
import { ACCESS_KEY_ID, BUCKET, SECRET, startBraket } from './braket/fake.case.js';
import { BraketProvider } from './braket/provider.js';
import { KEY, startIbm } from './ibm/fake.case.js';
import { KEY as IONQ_KEY, startIonq } from './ionq/fake.case.js';
import { IonqProvider } from './ionq/provider.js';
import { IbmProvider } from './ibm/provider.js';
import { LocalProvider } from './provider.js';
import { FAKE_FAILING_SHOTS, FAKE_FAILURE_REASON, type FakeApi } from './provider-conformance.case.js';
import { QueueLengthUnknownError, RemoteDevice } from './remote.js';
import { SubmissionError } from './submission.js';
import type { JobRecord } from './types.js';
import type { Provider } from './provider.js';

let api: FakeApi | undefined;
const ibm = async (): Promise<IbmProvider> => {
  api ??= await startIbm();
  return new IbmProvider({
    apiKey: KEY,
    baseUrl: `${api.url}/api/v1`,
    iamUrl: api.url,
    pollMs: 1,
    maxPollMs: 4,
  });
};
afterAll(async () => {
  await api?.close();
});

let braketApi: FakeApi | undefined;
afterAll(async () => {
  await braketApi?.close();
});
const garnet = async (): Promise<RemoteDevice> => {
  braketApi ??= await startBraket();
  const provider = new BraketProvider({
    endpoint: braketApi.url,
    s3Endpoint: braketApi.url,
    region: 'eu-north-1',
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
    outputS3Bucket: BUCKET,
    pollMs: 1,
    maxPollMs: 4,
  });
  return RemoteDevice.open(provider, 'iqm/garnet');
};

let ionqApi: FakeApi | undefined;
afterAll(async () => {
  await ionqApi?.close();
});
// IonQ publishes no queue length and no calibration for its simulator: both are reported as unknown.
runDeviceConformance(
  'ionq.simulator (remote, fake IonQ API)',
  async () => {
    ionqApi ??= await startIonq();
    const provider = new IonqProvider({
      apiKey: IONQ_KEY,
      baseUrl: `${ionqApi.url}/v0.3`,
      pollMs: 1,
      maxPollMs: 4,
    });
    return RemoteDevice.open(provider, 'simulator');
  },
  { shots: 64 },
);

// Braket lists devices without qubit counts: the device reads it from the capabilities (`qubitCount`).
runDeviceConformance('braket.iqm/garnet (remote, fake Braket API and S3)', garnet, { shots: 64 });

runDeviceConformance(
  'ibm.ibmq_lima (remote, fake IBM API)',
  async () => RemoteDevice.open(await ibm(), 'ibmq_lima'),
  {
    shots: 64,
  },
);

describe('RemoteDevice', () => {
  it('runs through observer.run: counts, job id, calibration link, and an IBM cost priced per second', async () => {
    const dev = await RemoteDevice.open(await ibm(), 'ibmq_lima');
    expect(dev.id).toBe('ibm.ibmq_lima');
    expect(dev.numQubits).toBe(5);
    const tracker = new CostTracker();
    const observer = new Observer({
      serviceName: 'remote-test',
      logs: false,
      traces: false,
      costOf: tracker.costOf,
    });
    const bell = new Circuit(2).h(0).cx(0, 1).measureAll();
    const r = await observer.run(dev, bell, { shots: 128 });
    expect(r.status).toBe('success');
    expect(r.job.counts).toBeDefined();
    expect(Object.values(r.job.counts!).reduce((a, b) => a + b, 0)).toBe(128);
    // The fake's job metrics report 1 s of quantum usage; the catalogue bills IBM per second.
    expect(r.job.billableSeconds).toBe(1);
    expect(r.cost?.amount).toBeGreaterThan(0);
    expect(r.cost?.catalogueVersion).toBe(tracker.catalogueVersion);
    const cal = await dev.calibration();
    expect(r.job.calibratedAt).toBe(cal?.calibratedAt);
    const text = await observer.metrics();
    expect(text).toMatch(
      /quantum_circuit_executions_total\{provider="ibm",device="ibmq_lima",status="success"\} 1/,
    );
  });

  it('refuses to submit through a provider that cannot, naming the device', async () => {
    const monitorOnly: Provider = {
      name: 'ionq',
      listDevices: async () => [
        { id: 'ionq.qpu.x', provider: 'ionq', name: 'qpu.x', numQubits: 4, kind: 'qpu' },
      ],
      status: async () => 'online',
      queueLength: async () => undefined,
      calibration: async () => undefined,
      listJobs: async () => [],
      getJob: () => Promise.reject(new Error('none')),
    };
    const dev = await RemoteDevice.open(monitorOnly, 'qpu.x');
    expect(dev.canSubmit).toBe(false);
    await expect(dev.submit(new Circuit(1).h(0).measureAll(), { shots: 1 })).rejects.toBeInstanceOf(
      SubmissionError,
    );
    // No published queue length is unknown, not zero.
    await expect(dev.queueLength()).rejects.toBeInstanceOf(QueueLengthUnknownError);
    await expect(RemoteDevice.open(monitorOnly, 'qpu.y')).rejects.toThrow(/known devices: ionq.qpu.x/);
  });

  it('wraps any submitting provider (the local one here) with the same contract', async () => {
    const dev = await RemoteDevice.open(new LocalProvider({ devices: ['local.statevector'] }), 'statevector');
    const rec = await (await dev.submit(new Circuit(1, 1).x(0).measure(0, 0), { shots: 10, seed: 1 })).wait();
    expect(rec.counts).toEqual({ '1': 10 });
  });
});

describe('RemoteDevice jobs as traces', () => {
  it('hands each job to the job observer when created and when it ends, failure reason included', async () => {
    const seen: JobRecord[] = [];
    const dev = await RemoteDevice.open(await ibm(), 'ibmq_lima', {
      jobs: {
        observe: (jobs) => {
          seen.push(...jobs);
          return jobs.length;
        },
      },
    });
    const c = new Circuit(1, 1).x(0).measure(0, 0);
    const rec = await (await dev.submit(c, { shots: FAKE_FAILING_SHOTS })).wait();
    expect(rec.status).toBe('failed');
    expect(seen.map((j) => j.status)).toEqual(['queued', 'failed']);
    expect(seen[1].error?.message).toContain(FAKE_FAILURE_REASON);
    expect(seen[1].finishedAt).toBeInstanceOf(Date);
    expect(seen.every((j) => j.id === rec.id && j.provider === 'ibm' && j.device === 'ibmq_lima')).toBe(true);
  });
});
