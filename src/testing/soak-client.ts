// The soak's client process: OTLP traces, metrics and logs (protobuf) from 4 workers, unpaced (to measure the
// maximum) or paced at a given request rate; the Overview's queries over HTTP; the ingest lag of probe traces
// (send to visible through the API). Prints one JSON object of what was acknowledged and measured.
//   node --import tsx src/testing/soak-client.ts '<json options>'
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { OVERVIEW_PANELS } from '../dashboards/index.js';
import { emptyMetric, encodeLogsProto, encodeMetricsProto, encodeTracesProto } from '../ingest/index.js';
import type { LogIn, SpanIn } from '../store/index.js';

/** What the runner asks of the client. */
export interface SoakClientOptions {
  otlpUrl: string;
  url: string;
  /** Phase label: `probe` (unpaced, to find the maximum) or `soak`. */
  phase: string;
  durationMs: number;
  /** Requests per second over all workers; 0: as fast as the server answers. */
  requestsPerSecond: number;
  /** Run the Overview's queries and the lag probes (the soak phase). */
  queries: boolean;
  queryEveryMs: number;
}

/** What the client reports. */
export interface SoakClientResult {
  phase: string;
  elapsedMs: number;
  requests: number;
  /** Acknowledged (2xx) items by kind. */
  acked: { spans: number; samples: number; logs: number; requests: number };
  /** Answers other than 2xx, by status (0: a network error). */
  errors: Record<string, number>;
  queryLatenciesMs: number[];
  queryErrors: number;
  lagMs: number[];
  lagMisses: number;
}

export const WORKERS = 4;
/** A probe not visible after this long counts as missed: far beyond any lag measured, even on a loaded machine. */
const LAG_GIVE_UP_MS = 30_000;
const PACED_WORKERS = 16;
export const SPANS_PER_REQUEST = 32;
export const LOGS_PER_REQUEST = 16;
const DEVICES = ['local.statevector', 'local.fake_toronto', 'ibm.ibm_torino', 'ionq.forte-1'];
const INSTANCES = 8;
/** Samples per metrics request: 4 devices x 8 instances x (2 counters + 3 gauges). */
export const SAMPLES_PER_REQUEST = DEVICES.length * INSTANCES * 5;

const agent = new http.Agent({ keepAlive: true, maxSockets: PACED_WORKERS + 2 });

function request(
  base: string,
  method: string,
  pathAndQuery: string,
  body?: Buffer,
): Promise<{ status: number; text: string }> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path: pathAndQuery,
        agent,
        headers: body ? { 'content-type': 'application/x-protobuf', 'content-length': body.length } : {},
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', () => resolve({ status: 0, text: '' }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
}

const RESOURCE = { 'service.name': 'soak', 'service.instance.id': 'soak-client' };
const SCOPE = { name: 'qobs-soak', version: '1' };

function spansBody(traceId: string): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans: SpanIn[] = [];
  const root = randomBytes(8).toString('hex');
  for (let i = 0; i < SPANS_PER_REQUEST; i++)
    spans.push({
      traceId,
      spanId: i === 0 ? root : randomBytes(8).toString('hex'),
      parentSpanId: i === 0 ? '' : root,
      traceState: '',
      flags: 1,
      name: i === 0 ? 'quantum_training vqc' : 'quantum_circuit ansatz',
      kind: 1,
      startTimeUnixNano: now + BigInt(i) * 1000n,
      endTimeUnixNano: now + BigInt(i) * 1000n + 2_500_000n,
      attributes: {
        'quantum.circuit.name': 'ansatz',
        'quantum.provider': 'local',
        'quantum.device': DEVICES[i % DEVICES.length],
        'quantum.shots': 1024,
        'quantum.qubits': 4,
        'quantum.execution.success': i % 17 !== 0,
      },
      events: [],
      links: [],
      statusCode: i % 17 === 0 ? 2 : 0,
      statusMessage: '',
      resource: RESOURCE,
      scope: SCOPE,
    });
  return encodeTracesProto(spans);
}

function logsBody(marker: string): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const logs: LogIn[] = Array.from({ length: LOGS_PER_REQUEST }, (_, i) => ({
    timeUnixNano: now,
    observedTimeUnixNano: now,
    severityNumber: i % 8 === 0 ? 17 : 9,
    severityText: i % 8 === 0 ? 'ERROR' : 'INFO',
    body: `circuit ${marker}-${i} ran on ${DEVICES[i % DEVICES.length]}`,
    attributes: { event_type: 'quantum_circuit_execution', circuit_id: `${marker}-${i}` },
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
    resource: RESOURCE,
    scope: SCOPE,
  }));
  return encodeLogsProto(logs);
}

/** One worker's cumulative counters, so the Overview's rate() panels see real counters. */
function metricsBody(phase: string, worker: number, n: number, tMs: number): Buffer {
  const executions = {
    ...emptyMetric(),
    name: 'quantum_circuit_executions',
    kind: 'sum' as const,
    monotonic: true,
    temporality: 2,
  };
  const cost = {
    ...emptyMetric(),
    name: 'quantum_cost',
    kind: 'sum' as const,
    monotonic: true,
    temporality: 2,
  };
  const fidelity = { ...emptyMetric(), name: 'quantum_circuit_fidelity', kind: 'gauge' as const };
  const queue = { ...emptyMetric(), name: 'quantum_device_queue_length', kind: 'gauge' as const };
  const status = { ...emptyMetric(), name: 'quantum_device_status', kind: 'gauge' as const };
  for (const full of DEVICES)
    for (let inst = 0; inst < INSTANCES; inst++) {
      const [provider, device] = full.split(/\.(.*)/s);
      const a = {
        provider,
        device,
        soak_phase: phase,
        soak_worker: String(worker),
        soak_instance: String(inst),
      };
      executions.numberPoints.push({
        attributes: { ...a, status: 'success' },
        timeMs: tMs,
        value: n * 3,
        flags: 0,
      });
      cost.numberPoints.push({
        attributes: { ...a, cost_type: 'shots' },
        timeMs: tMs,
        value: n * 0.01,
        flags: 0,
      });
      fidelity.numberPoints.push({
        attributes: { ...a, circuit_type: 'ansatz' },
        timeMs: tMs,
        value: 0.9 + 0.05 * Math.sin(n / 10),
        flags: 0,
      });
      queue.numberPoints.push({ attributes: a, timeMs: tMs, value: n % 7, flags: 0 });
      status.numberPoints.push({ attributes: a, timeMs: tMs, value: 1, flags: 0 });
    }
  return encodeMetricsProto([
    {
      resource: RESOURCE,
      scopeMetrics: [{ scope: SCOPE, metrics: [executions, cost, fidelity, queue, status] }],
    },
  ]);
}

/** The Overview's queries with Grafana's variables replaced for a one-hour range at a 15 s step. */
export function overviewQueries(): string[] {
  return OVERVIEW_PANELS.flatMap((p) =>
    p.queries.map((q) =>
      q.expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__interval', '15s')
        .replaceAll('$__range', '1h'),
    ),
  );
}

async function run(o: SoakClientOptions): Promise<SoakClientResult> {
  const r: SoakClientResult = {
    phase: o.phase,
    elapsedMs: 0,
    requests: 0,
    acked: { spans: 0, samples: 0, logs: 0, requests: 0 },
    errors: {},
    queryLatenciesMs: [],
    queryErrors: 0,
    lagMs: [],
    lagMisses: 0,
  };
  const start = Date.now();
  const end = start + o.durationMs;
  // Paced, more workers share the rate: one slow answer must not hold the schedule back (a closed loop of 4
  // would send less than asked whenever an answer takes longer than the gap).
  const workers = o.requestsPerSecond > 0 ? PACED_WORKERS : WORKERS;
  const gapMs = o.requestsPerSecond > 0 ? (1000 * workers) / o.requestsPerSecond : 0;
  const worker = async (w: number) => {
    let lastT = 0;
    for (let n = 0; Date.now() < end; n++) {
      const due = start + n * gapMs + (w * gapMs) / workers;
      if (gapMs > 0 && due > Date.now()) await new Promise((res) => setTimeout(res, due - Date.now()));
      if (Date.now() >= end) break;
      const kind = (n + w) % 3;
      let res: { status: number };
      if (kind === 0)
        res = await request(o.otlpUrl, 'POST', '/v1/traces', spansBody(randomBytes(16).toString('hex')));
      else if (kind === 1) {
        lastT = Math.max(Date.now(), lastT + 1);
        res = await request(o.otlpUrl, 'POST', '/v1/metrics', metricsBody(o.phase, w, n, lastT));
      } else res = await request(o.otlpUrl, 'POST', '/v1/logs', logsBody(randomBytes(6).toString('hex')));
      r.requests++;
      if (res.status >= 200 && res.status < 300) {
        r.acked.requests++;
        if (kind === 0) r.acked.spans += SPANS_PER_REQUEST;
        else if (kind === 1) r.acked.samples += SAMPLES_PER_REQUEST;
        else r.acked.logs += LOGS_PER_REQUEST;
      } else r.errors[res.status] = (r.errors[res.status] ?? 0) + 1;
    }
  };
  const tasks = Array.from({ length: workers }, (_, w) => worker(w));
  if (o.queries) {
    const queries = overviewQueries();
    tasks.push(
      (async () => {
        while (Date.now() < end) {
          const t = Date.now() / 1000;
          for (const q of queries) {
            const t0 = performance.now();
            const res = await request(
              o.url,
              'GET',
              `/api/v1/query_range?query=${encodeURIComponent(q)}&start=${t - 3600}&end=${t}&step=15`,
            );
            r.queryLatenciesMs.push(performance.now() - t0);
            if (res.status !== 200) r.queryErrors++;
          }
          await new Promise((res) => setTimeout(res, o.queryEveryMs));
        }
      })(),
    );
    // Ingest lag: a probe trace sent, then polled through the API until it is visible.
    tasks.push(
      (async () => {
        while (Date.now() < end - 2000) {
          const id = randomBytes(16).toString('hex');
          const t0 = performance.now();
          const sent = await request(o.otlpUrl, 'POST', '/v1/traces', spansBody(id));
          if (sent.status === 200) r.acked.spans += SPANS_PER_REQUEST;
          else r.errors[sent.status] = (r.errors[sent.status] ?? 0) + 1;
          let seen = false;
          while (!seen && performance.now() - t0 < LAG_GIVE_UP_MS) {
            seen = (await request(o.url, 'GET', `/api/traces/${id}`)).status === 200;
            if (!seen) await new Promise((res) => setTimeout(res, 5));
          }
          if (seen) r.lagMs.push(performance.now() - t0);
          else r.lagMisses++;
          await new Promise((res) => setTimeout(res, 1000));
        }
      })(),
    );
  }
  await Promise.all(tasks);
  r.elapsedMs = Date.now() - start;
  return r;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const opts = JSON.parse(process.argv[2]) as SoakClientOptions;
  run(opts).then((r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    agent.destroy();
  });
}
