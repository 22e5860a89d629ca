// A local server answering as IBM Quantum Platform REST v1 (IAM token exchange, backends, jobs, Sampler V2
// submission and results), for the IBM adapter's conformance run and the remote-device tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  FAKE_FAILURE_REASON,
  type FakeApi,
  type FakeJob,
  FakeJobs,
  startFakeApi,
} from '../provider-conformance.case.js';

const FIXTURES = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'shared',
  'fixtures',
  'devices',
  'ibm',
);
/** The API key the fake accepts. */
export const KEY = 'ibm-test-apikey-7f3a9c1e5b';

function snapshot(name: string): { props: Record<string, unknown>; conf: Record<string, unknown> } {
  const read = (kind: string) =>
    JSON.parse(readFileSync(path.join(FIXTURES, name, `${kind}_${name}.json`), 'utf8'));
  return { props: read('props'), conf: read('conf') };
}

const SNAPSHOTS = { ibmq_lima: snapshot('lima'), ibmq_belem: snapshot('belem'), ibm_fez: snapshot('fez') };
const STATUS: Record<string, { state: boolean; status: string; length_queue: number }> = {
  ibmq_lima: { state: true, status: 'active', length_queue: 4 },
  ibmq_belem: { state: false, status: 'internal', length_queue: 0 },
  ibm_fez: { state: false, status: 'maintenance', length_queue: 11 },
};

// Seven jobs, newest first: completed, failed, running, queued, cancelled, completed, completed.
const T0 = Date.parse('2026-11-20T10:00:00Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
/** Seven past jobs, newest first. */
export const JOBS = Array.from({ length: 7 }, (_, i) => {
  const status = ['Completed', 'Failed', 'Running', 'Queued', 'Cancelled', 'Completed', 'Completed'][i];
  const created = 100 - i * 10;
  return {
    id: `d1ibmjob${i}`,
    backend: 'ibmq_lima',
    created: iso(created),
    status,
    state: {
      status,
      ...(status === 'Failed'
        ? { reason: 'Error in transpilation: qubit 7 out of range', reason_code: 1517 }
        : {}),
    },
    params: { pubs: [['OPENQASM 3.0;', [], 1000 + i]], version: 2 },
    ...(status === 'Completed' || status === 'Failed' || status === 'Cancelled'
      ? { ended: iso(created + 5) }
      : {}),
  };
});
const METRICS = (i: number) => ({
  timestamps: { created: JOBS[i].created, running: iso(100 - i * 10 + 2), finished: JOBS[i].ended ?? null },
  usage: { quantum_seconds: 3, seconds: 3 },
});

/** Jobs submitted to the fake (ibmq_lima runs them). */
export const jobs = new FakeJobs();
const IBM_STATUS = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
} as const;

/** Runtime takes ISA circuits on physical qubits (`$n`); the project's parser reads virtual ones. */
function physicalToVirtual(qasm: string): string {
  const used = [...qasm.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
  const n = Math.max(0, ...used) + 1;
  return qasm
    .replace('include "stdgates.inc";', `include "stdgates.inc";\nqubit[${n}] q;`)
    .replace(/\$(\d+)/g, 'q[$1]');
}

/** A fake job as GET /jobs/{id} shows it. */
function ibmJob(job: FakeJob, status: keyof typeof IBM_STATUS) {
  return {
    id: job.id,
    backend: 'ibmq_lima',
    created: job.createdAt.toISOString(),
    status: IBM_STATUS[status],
    state: {
      status: IBM_STATUS[status],
      ...(status === 'failed' ? { reason: FAKE_FAILURE_REASON, reason_code: 1500 } : {}),
    },
    params: { pubs: [['OPENQASM 3.0;', null, job.shots]], version: 2 },
    ...(status === 'completed' || status === 'failed' || status === 'cancelled'
      ? { ended: new Date(job.createdAt.getTime() + 1000).toISOString() }
      : {}),
  };
}

/** SamplerV2 results: per classical register, one hex string per shot (bit i is the register's bit i). */
function ibmResults(job: FakeJob) {
  const data: Record<string, { samples: string[]; num_bits: number }> = {};
  for (const r of job.circuit.cregs) data[r.name] = { samples: [], num_bits: r.size };
  for (const [key, n] of Object.entries(job.counts))
    for (let shot = 0; shot < n; shot++)
      for (const r of job.circuit.cregs) {
        let v = 0;
        for (let i = 0; i < r.size; i++) if (key[key.length - 1 - (r.offset + i)] === '1') v |= 1 << i;
        data[r.name].samples.push(`0x${v.toString(16)}`);
      }
  return { results: [{ data, metadata: { circuit_metadata: {} } }], metadata: { version: 2 } };
}

/** Starts the fake on 127.0.0.1, port 0. */
export async function startIbm(): Promise<FakeApi> {
  const tokens = new Set<string>();
  let n = 0;
  return startFakeApi(
    (req, url, body) => {
      if (url.pathname === '/identity/token') {
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'urn:ibm:params:oauth:grant-type:apikey' || form.get('apikey') !== KEY)
          return {
            status: 400,
            json: { errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found.' },
          };
        const token = `iam-bearer-${++n}`;
        tokens.add(token);
        return { json: { access_token: token, token_type: 'Bearer', expires_in: 3600, expiration: 0 } };
      }
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7)))
        return { status: 401, json: { errors: [{ code: 'unauthorized', message: 'Unauthorized' }] } };
      const p = url.pathname.replace(/^\/api\/v1/, '');
      if (p === '/backends') return { json: { devices: Object.keys(SNAPSHOTS) } };
      let m = /^\/backends\/([^/]+)\/(status|properties|configuration)$/.exec(p);
      if (m) {
        const name = m[1] as keyof typeof SNAPSHOTS;
        if (!SNAPSHOTS[name]) return undefined;
        if (m[2] === 'status') return { json: { ...STATUS[name], message: '', backend_version: '1.0.0' } };
        return { json: m[2] === 'properties' ? SNAPSHOTS[name].props : SNAPSHOTS[name].conf };
      }
      if (p === '/jobs' && req.method === 'POST') {
        const b = JSON.parse(body) as { program_id: string; backend: string; params: { pubs: unknown[][] } };
        const pub = b.params?.pubs?.[0];
        if (b.program_id !== 'sampler' || b.backend !== 'ibmq_lima' || typeof pub?.[0] !== 'string')
          return { status: 400, json: { errors: [{ code: 1234, message: 'bad job' }] } };
        const job = jobs.submit(pub[0] as string, pub[2] as number, physicalToVirtual);
        return { json: { id: job.id, backend: b.backend } };
      }
      const fake = /^\/jobs\/(fakejob-[^/]+)(\/metrics|\/results|\/cancel)?$/.exec(p);
      if (fake) {
        const job = jobs.jobs.get(fake[1]);
        if (!job) return undefined;
        if (fake[2] === '/cancel') {
          job.cancelled = true;
          return { status: 204, text: '' };
        }
        if (fake[2] === '/results') return { json: ibmResults(job) };
        if (fake[2] === '/metrics')
          return {
            json: { timestamps: { created: job.createdAt.toISOString() }, usage: { quantum_seconds: 1 } },
          };
        const read = jobs.read(job.id)!;
        return { json: ibmJob(read.job, read.status) };
      }
      if (p === '/jobs') {
        const limit = Number(url.searchParams.get('limit') ?? 10);
        const offset = Number(url.searchParams.get('offset') ?? 0);
        return { json: { jobs: JOBS.slice(offset, offset + limit), count: JOBS.length, limit, offset } };
      }
      m = /^\/jobs\/([^/]+)(\/metrics)?$/.exec(p);
      if (m) {
        const i = JOBS.findIndex((j) => j.id === m![1]);
        if (i < 0) return undefined;
        return { json: m[2] ? METRICS(i) : JOBS[i] };
      }
      return undefined;
    },
    {
      affects: (url) => url.pathname !== '/identity/token',
      errorBody: (status) => ({ json: { errors: [{ code: status, message: `status ${status}` }] } }),
    },
  );
}
