// IBM adapter: the shared conformance suite against a local server answering as IBM Quantum Platform REST v1.
import { describe, expect, it } from 'vitest';
import { QobsConfigError } from '../../errors.js';
import { runProviderConformance } from '../provider-conformance.case.js';
import { JOBS, jobs, KEY, startIbm } from './fake.case.js';
import { IbmProvider } from './provider.js';

runProviderConformance({
  name: 'ibm',
  secret: KEY,
  start: startIbm,
  create: (api, options, credential) =>
    new IbmProvider({
      ...options,
      apiKey: credential ?? KEY,
      baseUrl: `${api.url}/api/v1`,
      iamUrl: api.url,
      pageSize: 3,
    }),
  expected: {
    devices: ['ibmq_lima', 'ibmq_belem', 'ibm_fez'],
    statuses: { ibmq_lima: 'online', ibmq_belem: 'offline', ibm_fez: 'maintenance' },
    queues: { ibmq_lima: 4, ibmq_belem: 0, ibm_fez: 11 },
    calibrated: {
      device: 'ibmq_lima',
      numQubits: 5,
      calibratedAt: new Date('2021-03-15T00:36:03-04:00').toISOString(),
      qubit0: { t1Seconds: 59.69864328663569e-6 },
    },
    jobIds: JOBS.map((j) => j.id),
    failedJob: { id: 'd1ibmjob1', reason: 'qubit 7 out of range' },
    completedJob: { id: 'd1ibmjob0', shots: 1000 },
    exposesStartTime: true,
  },
  submission: {
    device: 'ibmq_lima',
    numQubits: 5,
    jobs,
    isSubmit: (method, url) => method === 'POST' && url.pathname === '/api/v1/jobs',
    submitIdempotent: false,
  },
});

describe('IbmProvider configuration', () => {
  it('takes the key from QISKIT_IBM_TOKEN or IBM_QUANTUM_TOKEN and names the variable when neither is set', () => {
    const saved = { a: process.env.QISKIT_IBM_TOKEN, b: process.env.IBM_QUANTUM_TOKEN };
    try {
      delete process.env.QISKIT_IBM_TOKEN;
      delete process.env.IBM_QUANTUM_TOKEN;
      expect(() => new IbmProvider()).toThrow(QobsConfigError);
      expect(() => new IbmProvider()).toThrow(/QISKIT_IBM_TOKEN/);
      process.env.IBM_QUANTUM_TOKEN = 'x-key-from-env';
      expect(new IbmProvider().name).toBe('ibm');
    } finally {
      if (saved.a === undefined) delete process.env.QISKIT_IBM_TOKEN;
      else process.env.QISKIT_IBM_TOKEN = saved.a;
      if (saved.b === undefined) delete process.env.IBM_QUANTUM_TOKEN;
      else process.env.IBM_QUANTUM_TOKEN = saved.b;
    }
  });
});
