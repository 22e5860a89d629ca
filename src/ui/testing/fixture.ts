// A test fixture for the dashboard's browser tests: a Fastify server that serves the built dashboard
// (through the product's `registerUi`) and answers the APIs with data this file computes from closed-form
// functions of time, so a test can ask the same API and know what the page must show. It is not the
// workbench: the PromQL here only recognises the dashboard's own expressions.
import Fastify, { type FastifyInstance } from 'fastify';
import { fakeCalibration } from '../../devices/index.js';
import { registerUi } from '../index.js';

/** Hostile strings a label value or a log message may carry; the page must show them as text. */
export const XSS_IMG = '<img src=x onerror="window.__xss=1">';
export const XSS_SCRIPT = '<script>window.__xss=2</script>';

export const DEVICES = [
  { provider: 'ibm', device: 'ibm_torino', online: 1 },
  { provider: 'braket', device: 'ionq/forte-1', online: 1 },
  { provider: 'local', device: 'fake_toronto', online: 0 },
  { provider: 'ibm', device: XSS_IMG, online: 1 },
] as const;

type Sample = { metric: Record<string, string>; value: number };
type Rule = { test: (expr: string) => boolean; at: (tSec: number) => Sample[] };

const wave = (t: number, period: number, phase = 0) => Math.sin((2 * Math.PI * t) / period + phase);
const dev = (d: (typeof DEVICES)[number]) => ({ provider: d.provider, device: d.device });

/** The fixture's answers, first match wins; values are smooth functions of time. */
const RULES: Rule[] = [
  { test: (e) => e.includes('status="success"'), at: (t) => [{ metric: {}, value: 96.5 + wave(t, 3600) }] },
  {
    test: (e) => e.includes('rate(quantum_circuit_executions_total'),
    at: (t) => DEVICES.map((d, i) => ({ metric: dev(d), value: 0.2 * (i + 1) + 0.05 * wave(t, 900, i) })),
  },
  {
    test: (e) => e.includes('quantum_circuit_execution_seconds_sum'),
    at: (t) => [{ metric: {}, value: 1.2 + 0.2 * wave(t, 1200) }],
  },
  ...([0.5, 0.95, 0.99] as const).map((q) => ({
    test: (e: string) => e.startsWith(`histogram_quantile(${q},`),
    at: (t: number) => [{ metric: {}, value: { 0.5: 0.8, 0.95: 2.5, 0.99: 4.75 }[q] + 0.1 * wave(t, 600) }],
  })),
  {
    test: (e) => e.includes('quantum_device_status'),
    at: () => DEVICES.map((d) => ({ metric: dev(d), value: d.online })),
  },
  {
    test: (e) => e.includes('quantum_device_queue_length'),
    at: (t) =>
      DEVICES.map((d, i) => ({ metric: dev(d), value: Math.round(5 + 4 * i + 3 * wave(t, 1800, i)) })),
  },
  {
    test: (e) => e.includes('quantum_device_calibration_age_hours'),
    at: (t) => DEVICES.map((d, i) => ({ metric: dev(d), value: (i + 1) * 3.5 + ((t / 3600) % 24) })),
  },
  {
    test: (e) => e === 'quantum_circuit_fidelity',
    at: (t) =>
      DEVICES.flatMap((d, i) =>
        ['bell', 'qaoa'].map((c, j) => ({
          metric: { __name__: 'quantum_circuit_fidelity', ...dev(d), circuit_type: c },
          value: Math.min(0.999, 0.72 + 0.05 * i + 0.04 * j + 0.1 * (0.5 + 0.5 * wave(t, 700, i + j))),
        })),
      ),
  },
  {
    test: (e) => e.includes('quantum_cost_total') && e.includes('cost_type'),
    at: () => [
      { metric: { provider: 'ibm', cost_type: 'execution' }, value: 12.5 },
      { metric: { provider: 'braket', cost_type: 'per_task' }, value: 0.9 },
      { metric: { provider: 'braket', cost_type: 'per_shot' }, value: 2.35 },
    ],
  },
  {
    test: (e) => e.includes('increase(quantum_cost_total'),
    at: () => [
      { metric: { provider: 'ibm' }, value: 12.5 },
      { metric: { provider: 'braket' }, value: 3.25 },
      { metric: { provider: XSS_SCRIPT }, value: 0.5 },
    ],
  },
  {
    test: (e) => e.includes('rate(quantum_cost_total'),
    at: (t) => [
      { metric: { provider: 'ibm' }, value: 1.5 + 0.3 * wave(t, 3000) },
      { metric: { provider: 'braket' }, value: 0.4 + 0.1 * wave(t, 2000) },
    ],
  },
  {
    test: (e) => e.includes('quantum_device_error_rate'),
    at: (t) =>
      DEVICES.slice(0, 2).flatMap((d, i) =>
        ['readout_error', 'gate_error'].map((et, j) => ({
          metric: errorLabels(d, et),
          value: 0.01 * (1 + i + 2 * j) + 0.002 * wave(t, 1500, i + j),
        })),
      ),
  },
];
function errorLabels(d: (typeof DEVICES)[number], errorType: string): Record<string, string> {
  return { ...dev(d), error_type: errorType };
}

/** Prometheus' number formatting (what /api/v1 returns as the sample string). */
export function promValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function evaluate(expr: string, tSec: number): Sample[] {
  const rule = RULES.find((r) => r.test(expr));
  return rule ? rule.at(tSec) : [];
}

/** Every log record the fixture holds, in the store's LogOut shape. */
export interface FixtureLog {
  id: number;
  timeUnixNano: string;
  level: string;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
  service: string;
  eventType: string;
  traceId: string;
  spanId: string;
}

/** The fixture's traces, logs and the requests it saw. */
export interface Fixture {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly logs: FixtureLog[];
  readonly traceIds: string[];
  /** PromQL requests seen, for checks on the range a page asked for. */
  readonly promRequests: { path: string; query: Record<string, string> }[];
  close(): Promise<void>;
}

function hex(n: number, len: number): string {
  return n.toString(16).padStart(len, '0');
}

/** Starts the fixture on 127.0.0.1, port 0, serving the bundle found in `uiRoot`; with `token`, its API requires it. */
export async function startFixture(uiRoot: string, nowMs = Date.now(), token?: string): Promise<Fixture> {
  const app = Fastify({ logger: false });
  if (token) {
    // As the workbench does beyond loopback, but for the API only (the dashboard's files stay public).
    app.addHook('onRequest', async (req, reply) => {
      if (req.url.startsWith('/api/') && req.headers.authorization !== `Bearer ${token}`) {
        reply.code(401).send({ error: 'a valid bearer token is required' });
        return reply;
      }
    });
  }
  const promRequests: Fixture['promRequests'] = [];
  const traceIds: string[] = [];
  const logs: FixtureLog[] = [];
  const spans = new Map<string, Record<string, unknown>[]>();
  const circuits = ['bell', 'ghz_5', 'qaoa_maxcut'];
  for (let i = 0; i < 6; i++) {
    const traceId = hex(0xabc000 + i, 32);
    traceIds.push(traceId);
    const startNs = BigInt(nowMs - (i + 1) * 60_000) * 1_000_000n;
    const rootId = hex(0x100 + i, 16);
    const childId = hex(0x200 + i, 16);
    const d = DEVICES[i % 3];
    const circuit = circuits[i % 3];
    const ok = i !== 4;
    spans.set(traceId, [
      {
        traceId,
        spanId: rootId,
        parentSpanId: '',
        name: `quantum_algorithm vqe_${i}`,
        kind: 1,
        service: 'qml-demo',
        startTimeUnixNano: String(startNs),
        endTimeUnixNano: String(startNs + 900_000_000n),
        durationMs: 900,
        status: { code: ok ? 1 : 2, message: ok ? '' : 'device went offline' },
        attributes: { 'quantum.algorithm.name': 'vqe', 'user.note': XSS_IMG },
        events: [],
        resource: { 'service.name': 'qml-demo' },
      },
      {
        traceId,
        spanId: childId,
        parentSpanId: rootId,
        name: `quantum_circuit ${circuit}`,
        kind: 1,
        service: 'qml-demo',
        startTimeUnixNano: String(startNs + 100_000_000n),
        endTimeUnixNano: String(startNs + 700_000_000n),
        durationMs: 600,
        status: { code: ok ? 1 : 2, message: '' },
        attributes: {
          'quantum.circuit.name': circuit,
          'quantum.provider': d.provider,
          'quantum.device': d.device,
          'quantum.shots': 1024,
          'quantum.qubits': 2 + i,
          'quantum.fidelity': 0.9 + i / 100,
        },
        events: [
          {
            timeUnixNano: String(startNs + 650_000_000n),
            name: 'job.completed',
            attributes: { 'quantum.job.id': `job-${i}` },
          },
        ],
        resource: { 'service.name': 'qml-demo' },
      },
    ]);
    logs.push({
      id: logs.length + 1,
      timeUnixNano: String(startNs + 700_000_000n),
      level: ok ? 'info' : 'error',
      severityText: ok ? 'INFO' : 'ERROR',
      body: `circuit ${circuit} ran on ${d.provider}.${d.device}`,
      attributes: {
        event_type: 'quantum_circuit_execution',
        circuit_id: `c-${i}`,
        circuit_name: circuit,
        provider: d.provider,
        device: d.device,
        status: ok ? 'success' : 'error',
        execution_details: { qubits: 2 + i, depth: 3 + 2 * i, gate_count: 5 + 4 * i, shots: 1024 },
        quantum_metrics: {
          fidelity: 0.9 + i / 100,
          fidelity_method: i % 2 ? 'esp' : 'hellinger',
          cost: 0.3 * (i + 1),
        },
      },
      service: 'qml-demo',
      eventType: 'quantum_circuit_execution',
      traceId,
      spanId: childId,
    });
    logs.push({
      id: logs.length + 1,
      timeUnixNano: String(startNs + 710_000_000n),
      level: 'info',
      severityText: 'INFO',
      body: `cost of ${circuit}`,
      attributes: {
        event_type: 'quantum_cost_event',
        provider: d.provider,
        cost_type: 'execution',
        amount: 0.3 * (i + 1),
        currency: 'USD',
      },
      service: 'qml-demo',
      eventType: 'quantum_cost_event',
      traceId,
      spanId: childId,
    });
    logs.push({
      id: logs.length + 1,
      timeUnixNano: String(startNs + 800_000_000n),
      level: 'debug',
      severityText: 'DEBUG',
      body: `energy after step ${i}`,
      attributes: { event_type: 'quantum_algorithm_performance', algorithm_name: 'vqe' },
      service: 'qml-demo',
      eventType: 'quantum_algorithm_performance',
      traceId,
      spanId: rootId,
    });
  }
  logs.push({
    id: logs.length + 1,
    timeUnixNano: String(BigInt(nowMs - 30_000) * 1_000_000n),
    level: 'warn',
    severityText: 'WARN',
    body: `user input ${XSS_SCRIPT} ${XSS_IMG}`,
    attributes: { event_type: 'quantum_security_event', security_event_type: 'suspicious_input' },
    service: 'qml-demo',
    eventType: 'quantum_security_event',
    traceId: '',
    spanId: '',
  });

  const record = (path: string, q: Record<string, string>) => promRequests.push({ path, query: q });
  app.get('/api/v1/query_range', async (req) => {
    const q = req.query as Record<string, string>;
    record('/api/v1/query_range', q);
    const start = Number(q.start);
    const end = Number(q.end);
    const step = Number(q.step);
    const byKey = new Map<string, { metric: Record<string, string>; values: [number, string][] }>();
    for (let t = start; t <= end + 1e-9; t += step) {
      for (const s of evaluate(q.query, t)) {
        const key = JSON.stringify(s.metric);
        const entry = byKey.get(key) ?? { metric: s.metric, values: [] };
        entry.values.push([t, promValue(s.value)]);
        byKey.set(key, entry);
      }
    }
    return { status: 'success', data: { resultType: 'matrix', result: [...byKey.values()] } };
  });
  app.get('/api/v1/query', async (req) => {
    const q = req.query as Record<string, string>;
    record('/api/v1/query', q);
    const t = Number(q.time);
    const result = evaluate(q.query, t).map((s) => ({ metric: s.metric, value: [t, promValue(s.value)] }));
    return { status: 'success', data: { resultType: 'vector', result } };
  });
  app.get('/api/v1/label/__name__/values', async () => ({
    status: 'success',
    data: [
      'quantum_circuit_executions_total',
      'quantum_circuit_fidelity',
      'quantum_device_queue_length',
      'quantum_device_status',
    ],
  }));
  app.get('/api/traces', async (req) => {
    const q = req.query as Record<string, string>;
    const out = [...spans.entries()]
      .filter(([, ss]) => !q.service || ss.some((s) => s.service === q.service))
      .map(([traceId, ss]) => ({
        traceId,
        rootName: ss[0].name,
        service: ss[0].service,
        startTimeUnixNano: ss[0].startTimeUnixNano,
        durationMs: ss[0].durationMs,
        spanCount: ss.length,
        errorCount: ss.filter((s) => (s.status as { code: number }).code === 2).length,
      }));
    return { traces: out };
  });
  app.get('/api/traces/:id', async (req, reply) => {
    const ss = spans.get((req.params as { id: string }).id);
    if (!ss) return reply.code(404).send({ error: 'no such trace' });
    return { spans: ss };
  });
  app.get('/api/logs', async (req) => {
    const q = req.query as Record<string, string>;
    const out = logs.filter(
      (l) =>
        (!q.event_type || l.eventType === q.event_type) &&
        (!q.trace_id || l.traceId === q.trace_id) &&
        (!q.level || l.level === q.level) &&
        (!q.q || JSON.stringify(l).includes(q.q)),
    );
    return { logs: [...out].reverse() };
  });
  // One device with a real calibration (IBM's toronto snapshot, 27 qubits) and a history of three snapshots
  // whose T1 and T2 the fixture scales down by 3 % a day, so the drift charts have lines to draw.
  const toronto = fakeCalibration('toronto');
  app.get('/api/devices/:id', async (req, reply) => {
    if ((req.params as { id: string }).id !== 'local.fake_toronto')
      return reply.code(404).send({ error: 'unknown device' });
    return {
      device: { id: 'local.fake_toronto', provider: 'local', name: 'fake_toronto', status: 'online' },
      calibration: toronto,
    };
  });
  app.get('/api/devices/:id/calibrations', async (req, reply) => {
    if ((req.params as { id: string }).id !== 'local.fake_toronto')
      return reply.code(404).send({ error: 'unknown device' });
    const calibrations = [2, 1, 0].map((daysAgo) => ({
      ...toronto,
      calibratedAt: new Date(nowMs - daysAgo * 86_400_000 - 60_000).toISOString(),
      qubits: toronto.qubits.map((q) => ({
        ...q,
        t1Seconds: q.t1Seconds === undefined ? undefined : q.t1Seconds * (1 - 0.03 * (2 - daysAgo)),
        t2Seconds: q.t2Seconds === undefined ? undefined : q.t2Seconds * (1 - 0.03 * (2 - daysAgo)),
      })),
    }));
    return { calibrations };
  });
  // The live tail: an event stream that stays open (the fixture adds no lines after start).
  app.get('/api/logs/tail', (req, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    reply.raw.write(': tailing\n\n');
    req.raw.on('close', () => reply.raw.end());
  });
  await registerUi(app, { root: uiRoot });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, logs, traceIds, promRequests, close: () => app.close() };
}
