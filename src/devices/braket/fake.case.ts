// A local server answering as the Amazon Braket REST API (restJson1: devices, quantum tasks, creation,
// cancel) and as S3 for task results, for the Braket adapter's conformance run and the remote-device tests.
import {
  FAKE_FAILURE_REASON,
  type FakeApi,
  type FakeJob,
  FakeJobs,
  startFakeApi,
} from '../provider-conformance.case.js';
import { clbitSources } from '../submission.js';

export const ACCESS_KEY_ID = 'AKIDQOBSTESTFAKE';
export const SECRET = 'qobsTestSecretKey/9f8e7d6c5b4a3';
export const UPDATED = '2026-11-20T08:00:00.000Z';

export const ARN = {
  garnet: 'arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet',
  forte: 'arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1',
  sv1: 'arn:aws:braket:::device/quantum-simulator/amazon/sv1',
};

// A 3-qubit chain in Braket's standardized gate-model QPU properties (schema v1).
export const CAPABILITIES = {
  braketSchemaHeader: { name: 'braket.device_schema.iqm.iqm_device_capabilities', version: '1' },
  service: { executionWindows: [], shotsRange: [1, 20000], updatedAt: UPDATED },
  paradigm: {
    qubitCount: 3,
    nativeGateSet: ['cz', 'prx'],
    connectivity: { fullyConnected: false, connectivityGraph: { '0': ['1'], '1': ['2'] } },
  },
  standardized: {
    braketSchemaHeader: {
      name: 'braket.device_schema.standardized_gate_model_qpu_device_properties',
      version: '1',
    },
    oneQubitProperties: Object.fromEntries(
      [0, 1, 2].map((q) => [
        String(q),
        {
          T1: { value: 40 + q, standardError: null, unit: 'US' },
          T2: { value: 20 + q, standardError: null, unit: 'US' },
          oneQubitFidelity: [
            {
              fidelityType: { name: 'SIMULTANEOUS_RANDOMIZED_BENCHMARKING' },
              fidelity: 0.999 - q * 1e-4,
              standardError: null,
            },
            { fidelityType: { name: 'READOUT' }, fidelity: 0.97 - q * 0.01, standardError: null },
          ],
        },
      ]),
    ),
    twoQubitProperties: {
      '0-1': {
        twoQubitGateFidelity: [
          {
            direction: null,
            gateName: 'CZ',
            fidelity: 0.992,
            standardError: null,
            fidelityType: { name: 'CLIFFORD_RANDOMIZED_BENCHMARKING' },
          },
        ],
      },
      '1-2': {
        twoQubitGateFidelity: [
          {
            direction: null,
            gateName: 'CZ',
            fidelity: 0.985,
            standardError: null,
            fidelityType: { name: 'CLIFFORD_RANDOMIZED_BENCHMARKING' },
          },
        ],
      },
    },
  },
};

const DEVICES = [
  {
    arn: ARN.garnet,
    name: 'Garnet',
    provider: 'IQM',
    type: 'QPU',
    status: 'ONLINE',
    queue: [
      ['QUANTUM_TASKS_QUEUE', '12', 'Normal'],
      ['QUANTUM_TASKS_QUEUE', '3', 'Priority'],
      ['JOBS_QUEUE', '1', 'Normal'],
    ],
  },
  {
    arn: ARN.forte,
    name: 'Forte 1',
    provider: 'IonQ',
    type: 'QPU',
    status: 'OFFLINE',
    queue: [['QUANTUM_TASKS_QUEUE', '>4000', 'Normal']],
  },
  {
    arn: ARN.sv1,
    name: 'SV1',
    provider: 'Amazon Braket',
    type: 'SIMULATOR',
    status: 'ONLINE',
    queue: [['QUANTUM_TASKS_QUEUE', '0', 'Normal']],
  },
];

const T0 = Date.parse('2026-11-20T10:00:00Z') / 1000;
// Braket sends RFC 3339 date-times (the SDK refuses anything else).
const rfc3339 = (s: number) => new Date(s * 1000).toISOString();
const STATUSES = ['COMPLETED', 'FAILED', 'RUNNING', 'QUEUED', 'CANCELLED', 'COMPLETED', 'COMPLETED'];
export const TASKS = STATUSES.map((status, i) => ({
  quantumTaskArn: `arn:aws:braket:eu-north-1:123456789012:quantum-task/00000000-0000-4000-8000-00000000000${i}`,
  status,
  deviceArn: ARN.garnet,
  shots: 200 + i,
  outputS3Bucket: 'amazon-braket-results',
  outputS3Directory: `tasks/${i}`,
  createdAt: rfc3339(T0 - i * 600),
  ...(status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED'
    ? { endedAt: rfc3339(T0 - i * 600 + 120) }
    : {}),
  ...(status === 'FAILED' ? { failureReason: 'Device went offline during task execution' } : {}),
}));

function page<T>(items: readonly T[], body: string): { slice: T[]; nextToken?: string } {
  const req = JSON.parse(body || '{}') as { maxResults?: number; nextToken?: string };
  const from = req.nextToken ? Number(req.nextToken) : 0;
  const size = req.maxResults ?? 100;
  const slice = items.slice(from, from + size);
  return from + size < items.length ? { slice, nextToken: String(from + size) } : { slice };
}

export const jobs = new FakeJobs();
export const BUCKET = 'amazon-braket-qobs-test';
const TASK_ARN = (id: string) => `arn:aws:braket:eu-north-1:123456789012:quantum-task/${id}`;
const BRAKET_STATUS = {
  queued: 'QUEUED',
  running: 'RUNNING',
  completed: 'COMPLETED',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
} as const;
/** Where each fake task's results go, as CreateQuantumTask was asked. */
const outputs = new Map<string, { bucket: string; dir: string }>();
const tokens = new Map<string, string>();

/** Braket's gate names back to the stdgates names the project's parser reads. */
function braketToStd(qasm: string): string {
  return qasm
    .replace('OPENQASM 3.0;', 'OPENQASM 3.0;\ninclude "stdgates.inc";')
    .replace(/^cnot /gm, 'cx ')
    .replace(/^si /gm, 'sdg ')
    .replace(/^ti /gm, 'tdg ');
}

function braketTask(job: FakeJob, status: keyof typeof BRAKET_STATUS) {
  const out = outputs.get(job.id)!;
  return {
    quantumTaskArn: TASK_ARN(job.id),
    status: BRAKET_STATUS[status],
    deviceArn: ARN.garnet,
    shots: job.shots,
    outputS3Bucket: out.bucket,
    outputS3Directory: out.dir,
    createdAt: job.createdAt.toISOString(),
    ...(status === 'completed' || status === 'failed' || status === 'cancelled'
      ? { endedAt: new Date(job.createdAt.getTime() + 1000).toISOString() }
      : {}),
    ...(status === 'failed' ? { failureReason: FAKE_FAILURE_REASON } : {}),
  };
}

/** results.json in Braket's GateModelTaskResult shape: one row per shot over `measuredQubits`. */
function braketResults(job: FakeJob) {
  const sources = clbitSources(job.circuit);
  const measuredQubits = [...new Set(sources.values())].sort((a, b) => b - a); // any order: the client must read it
  const clbitOf = new Map([...sources].map(([c, q]) => [q, c]));
  const measurements: number[][] = [];
  for (const [key, n] of Object.entries(job.counts)) {
    const row = measuredQubits.map((q) => (key[key.length - 1 - clbitOf.get(q)!] === '1' ? 1 : 0));
    for (let i = 0; i < n; i++) measurements.push(row);
  }
  return {
    braketSchemaHeader: { name: 'braket.task_result.gate_model_task_result', version: '1' },
    measurements,
    measuredQubits,
    taskMetadata: {
      braketSchemaHeader: { name: 'braket.task_result.task_metadata', version: '1' },
      id: TASK_ARN(job.id),
      shots: job.shots,
      deviceId: ARN.garnet,
    },
  };
}

/** Starts the fake (Braket restJson1 and S3 path-style GetObject) on 127.0.0.1, port 0. */
export async function startBraket(): Promise<FakeApi> {
  const error = (status: number, type: string, message: string) => ({
    status,
    headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws.braket/` },
    json: { message },
  });
  return startFakeApi(
    (req, url, body) => {
      // SigV4 names the access key in the Authorization header; an unknown key is refused as AWS does.
      if (!String(req.headers.authorization ?? '').includes(`Credential=${ACCESS_KEY_ID}/`))
        return error(
          403,
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        );
      if (req.method === 'POST' && url.pathname === '/devices') {
        const { slice, nextToken } = page(DEVICES, body);
        return {
          json: {
            devices: slice.map((d) => ({
              deviceArn: d.arn,
              deviceName: d.name,
              providerName: d.provider,
              deviceType: d.type,
              deviceStatus: d.status,
            })),
            ...(nextToken ? { nextToken } : {}),
          },
        };
      }
      let m = /^\/device\/(.+)$/.exec(url.pathname);
      if (req.method === 'GET' && m) {
        const arn = decodeURIComponent(m[1]);
        const d = DEVICES.find((x) => x.arn === arn);
        if (!d) return error(404, 'ResourceNotFoundException', 'device not found');
        return {
          json: {
            deviceArn: d.arn,
            deviceName: d.name,
            providerName: d.provider,
            deviceType: d.type,
            deviceStatus: d.status,
            deviceCapabilities: JSON.stringify(
              d.type === 'QPU' ? CAPABILITIES : { service: { updatedAt: UPDATED } },
            ),
            deviceQueueInfo: d.queue.map(([queue, queueSize, queuePriority]) => ({
              queue,
              queueSize,
              queuePriority,
            })),
          },
        };
      }
      if (req.method === 'POST' && url.pathname === '/quantum-tasks') {
        const { slice, nextToken } = page(TASKS, body);
        return {
          json: {
            quantumTasks: slice.map(({ failureReason: _f, ...t }) => t),
            ...(nextToken ? { nextToken } : {}),
          },
        };
      }
      if (req.method === 'POST' && url.pathname === '/quantum-task') {
        const b = JSON.parse(body) as {
          action: string;
          deviceArn: string;
          shots: number;
          outputS3Bucket: string;
          outputS3KeyPrefix: string;
          clientToken: string;
        };
        // Braket creates one task per client token: a retried request gets the same task.
        const seen = tokens.get(b.clientToken);
        if (seen) return { status: 201, json: { quantumTaskArn: TASK_ARN(seen) } };
        const action = JSON.parse(b.action) as { braketSchemaHeader: { name: string }; source: string };
        if (action.braketSchemaHeader.name !== 'braket.ir.openqasm.program' || b.deviceArn !== ARN.garnet)
          return error(400, 'ValidationException', 'bad task');
        const job = jobs.submit(action.source, b.shots, braketToStd);
        tokens.set(b.clientToken, job.id);
        outputs.set(job.id, { bucket: b.outputS3Bucket, dir: `${b.outputS3KeyPrefix}/${job.id}` });
        return { status: 201, json: { quantumTaskArn: TASK_ARN(job.id) } };
      }
      m = /^\/quantum-task\/(.+?)(\/cancel)?$/.exec(url.pathname);
      if (m) {
        const arn = decodeURIComponent(m[1]);
        const t = TASKS.find((x) => x.quantumTaskArn === arn);
        if (t && req.method === 'GET' && !m[2]) return { json: t };
        const id = arn.split('/').pop() ?? '';
        const job = jobs.jobs.get(id);
        if (!job) return error(404, 'ResourceNotFoundException', 'task not found');
        if (m[2] && req.method === 'PUT') {
          job.cancelled = true;
          return { json: { quantumTaskArn: arn, cancellationStatus: 'CANCELLING' } };
        }
        const read = jobs.read(id)!;
        return { json: braketTask(read.job, read.status) };
      }
      // S3, path-style: /<bucket>/<prefix>/<task>/results.json
      m = new RegExp(`^/${BUCKET}/(.+)/results\\.json$`).exec(url.pathname);
      if (req.method === 'GET' && m) {
        const id = m[1].split('/').pop() ?? '';
        const job = jobs.jobs.get(id);
        if (!job) return { status: 404, text: '<Error><Code>NoSuchKey</Code></Error>' };
        return { json: braketResults(job) };
      }
      return undefined;
    },
    {
      errorBody: (status) =>
        status === 429
          ? error(429, 'ThrottlingException', 'Rate exceeded')
          : status >= 500
            ? error(status, 'InternalServiceException', 'internal error')
            : status === 403
              ? error(403, 'AccessDeniedException', 'not authorized to perform braket:SearchDevices')
              : error(status, 'UnauthorizedException', 'unauthorized'),
    },
  );
}
