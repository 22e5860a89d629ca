// IBM adapter: the shared conformance suite against a local server answering as IBM Quantum Platform REST v1.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Circuit } from '../../circuit/index.js';
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
    isPoll: (method, url) => method === 'GET' && /^\/api\/v1\/jobs\/fakejob-[^/]+$/.test(url.pathname),
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

describe('IbmProvider.submit sends an ISA circuit', () => {
  it('only basis gates of the backend, two-qubit gates on its coupling map, physical qubits, measurements kept', async () => {
    const api = await startIbm();
    try {
      const p = new IbmProvider({ apiKey: KEY, baseUrl: `${api.url}/api/v1`, iamUrl: api.url, pollMs: 1 });
      // A GHZ over all 5 qubits of lima (a T-shaped chip): needs routing, and h/ccx are not in its basis.
      const c = new Circuit(5, 5).h(0).cx(0, 1).cx(1, 2).cx(2, 3).cx(3, 4).ccx(0, 4, 2);
      for (let q = 0; q < 5; q++) c.measure(q, q);
      const rec = await (await p.submit('ibmq_lima', c, { shots: 64, seed: 3 })).wait();
      expect(rec.status).toBe('completed');
      const job = [...jobs.jobs.values()].find((j) => j.id === rec.id)!;
      expect(job.program).toMatch(/^OPENQASM 3\.0;\ninclude "stdgates\.inc";\n/);
      expect(job.program).not.toMatch(/q\[/);
      expect(job.program).toMatch(/\$\d/);
      const conf = JSON.parse(
        readFileSync(
          path.resolve(import.meta.dirname, '../../../../shared/fixtures/devices/ibm/lima/conf_lima.json'),
          'utf8',
        ),
      ) as { basis_gates: string[]; coupling_map: Array<[number, number]> };
      const allowed = new Set([...conf.basis_gates, 'measure', 'barrier']);
      const coupled = new Set(conf.coupling_map.map(([a, b]) => `${a},${b}`));
      for (const inst of job.circuit.instructions) {
        expect(allowed.has(inst.name), inst.name).toBe(true);
        if (inst.qubits.length === 2)
          expect(coupled.has(inst.qubits.join(',')), inst.qubits.join(',')).toBe(true);
      }
      expect(job.circuit.instructions.filter((i) => i.name === 'measure')).toHaveLength(5);
      expect(rec.calibratedAt).toBe(new Date('2021-03-15T00:36:03-04:00').toISOString());
      // The ideal answer of the circuit, whatever the layout: GHZ then a Toffoli flipping qubit 2 when 0 and 4 are set.
      expect(Object.keys(rec.counts ?? {}).sort()).toEqual(['00000', '11011']);
    } finally {
      await api.close();
    }
  });
});
