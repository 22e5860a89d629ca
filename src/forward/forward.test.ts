// Forwarding: a workbench forwards what it accepts to a second one (an OTLP receiver like a Collector), with
// redaction kept, retries on 429/503 and network errors, refusals dropped and counted, and the queue surviving
// a restart.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { type Workbench, startWorkbench } from '../server/index.js';
import { encodeTracesProto } from '../ingest/index.js';
import { frameMessage } from '../server/otlp-grpc.js';
import { grpcUnary, OTLP_GRPC_PATHS } from '../testing/grpc.js';
import { forwardPlugin } from './index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'qobs-fwd-'));
  dirs.push(d);
  return d;
};
const closers: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const base = { port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 };
const fast = { pollMs: 20, baseDelayMs: 20, maxDelayMs: 200 };
const forwardConfig = (url: string, extra: Partial<{ maxQueueBytes: number }> = {}) => ({
  urls: { traces: `${url}/v1/traces`, metrics: `${url}/v1/metrics`, logs: `${url}/v1/logs` },
  headers: {},
  timeoutMs: 2000,
  maxQueueBytes: extra.maxQueueBytes ?? 1 << 20,
});

function tracesJson(traceId: string, attrs: Record<string, string>) {
  const now = `${BigInt(Date.now()) * 1_000_000n}`;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fwd-test' } }] },
        scopeSpans: [
          {
            scope: { name: 'probe' },
            spans: [
              {
                traceId,
                spanId: randomBytes(8).toString('hex'),
                name: 'quantum_circuit',
                kind: 1,
                startTimeUnixNano: now,
                endTimeUnixNano: now,
                attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })),
              },
              // Invalid (zero trace id): the workbench rejects it, so it is not forwarded either.
              {
                traceId: '0'.repeat(32),
                spanId: randomBytes(8).toString('hex'),
                name: 'bad',
                startTimeUnixNano: now,
                endTimeUnixNano: now,
              },
            ],
          },
        ],
      },
    ],
  };
}

const logsJson = (text: string) => ({
  resourceLogs: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fwd-test' } }] },
      scopeLogs: [
        {
          logRecords: [
            {
              timeUnixNano: `${BigInt(Date.now()) * 1_000_000n}`,
              severityNumber: 9,
              body: { stringValue: text },
            },
          ],
        },
      ],
    },
  ],
});

const metricsJson = (value: number, attrs: Record<string, string> = {}) => ({
  resourceMetrics: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fwd-test' } }] },
      scopeMetrics: [
        {
          metrics: [
            {
              name: 'forward_probe',
              gauge: {
                dataPoints: [
                  {
                    asDouble: value,
                    timeUnixNano: `${BigInt(Date.now()) * 1_000_000n}`,
                    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })),
                  },
                ],
              },
            },
          ],
        },
      ],
    },
  ],
});

async function post(wb: Workbench, signal: string, doc: unknown, gzip = false): Promise<number> {
  const text = JSON.stringify(doc);
  const res = await fetch(`${wb.otlpUrl}/v1/${signal}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
    body: gzip ? new Uint8Array(gzipSync(text)) : text,
  });
  await res.arrayBuffer();
  return res.status;
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function metricsOf(wb: Workbench): Promise<string> {
  return (await fetch(`${wb.url}/metrics`)).text();
}

/** An OTLP endpoint that answers from a script of statuses, then 200; records what it received. */
function scriptedReceiver(script: Array<{ status: number; retryAfter?: string }>) {
  const received: Array<{ url: string; contentType: string; body: Buffer }> = [];
  const state = { unavailable: false };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      // Unavailable: every request answered 503 (retryable), none recorded.
      const step = state.unavailable ? { status: 503 } : (script.shift() ?? { status: 200 });
      if (step.status === 200)
        received.push({
          url: req.url ?? '',
          contentType: String(req.headers['content-type']),
          body: Buffer.concat(chunks),
        });
      res.writeHead(step.status, step.retryAfter ? { 'retry-after': step.retryAfter } : {});
      res.end();
    });
  });
  return {
    received,
    state,
    async listen(port = 0): Promise<string> {
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      closers.push(() => new Promise((r) => server.close(r)));
      return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('OTLP forwarding', () => {
  it('forwards what the workbench stored to another OTLP receiver, secrets redacted and invalid spans left out', async () => {
    const downstream = await startWorkbench({ ...base, dataDir: tmp() });
    closers.push(() => downstream.close());
    const plugin = forwardPlugin(forwardConfig(downstream.otlpUrl), fast);
    const wb = await startWorkbench({ ...base, dataDir: tmp() }, { plugins: [plugin] });
    closers.push(() => wb.close());

    const traceId = randomBytes(16).toString('hex');
    expect(
      await post(
        wb,
        'traces',
        tracesJson(traceId, { 'quantum.device': 'local.statevector', token: 'AKIAIOSFODNN7EXAMPLE' }),
      ),
    ).toBe(200);
    expect(await post(wb, 'logs', logsJson('calibration completed on fwddevice'), true)).toBe(200);
    expect(await post(wb, 'metrics', metricsJson(42, { run: 'r1 key AKIAIOSFODNN7EXAMPLE' }))).toBe(200);
    await plugin.forwarder!.flush();

    const trace = await until('the forwarded trace', async () => {
      const r = await fetch(`${downstream.url}/api/traces/${traceId}`);
      return r.status === 200
        ? ((await r.json()) as { spans: Array<{ name: string; attributes: Record<string, unknown> }> })
        : undefined;
    });
    expect(trace.spans.map((s) => s.name)).toEqual(['quantum_circuit']);
    expect(trace.spans[0].attributes['quantum.device']).toBe('local.statevector');
    expect(JSON.stringify(trace)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    const logs = (await (await fetch(`${downstream.url}/api/logs?q=fwddevice`)).json()) as {
      logs: Array<{ body: unknown }>;
    };
    expect(logs.logs.map((l) => l.body)).toEqual(['calibration completed on fwddevice']);
    const q = (await (await fetch(`${downstream.url}/api/v1/query?query=forward_probe`)).json()) as {
      data: { result: Array<{ value: [number, string] }> };
    };
    expect(q.data.result.map((r) => r.value[1])).toEqual(['42']);
    expect(JSON.stringify(q)).toContain('r1 key');
    expect(JSON.stringify(q)).not.toContain('AKIAIOSFODNN7EXAMPLE');

    const text = await metricsOf(wb);
    expect(text).toContain('qobs_forward_sent_total{signal="traces"} 1');
    expect(text).toContain('qobs_forward_sent_total{signal="logs"} 1');
    expect(text).toContain('qobs_forward_sent_total{signal="metrics"} 1');
    expect(text).toContain('qobs_forward_queue_bytes 0');
  });

  it('retries 429 and 503 (honouring Retry-After), drops a 400 for good, and counts both', async () => {
    const receiver = scriptedReceiver([
      { status: 429, retryAfter: '0' },
      { status: 503 },
      { status: 200 },
      { status: 400 },
    ]);
    const url = await receiver.listen();
    const plugin = forwardPlugin(
      { ...forwardConfig(url), urls: { traces: `${url}/v1/traces` } },
      { ...fast, concurrency: 1 },
    );
    const wb = await startWorkbench({ ...base, dataDir: tmp() }, { plugins: [plugin] });
    closers.push(() => wb.close());

    const first = randomBytes(16).toString('hex');
    expect(await post(wb, 'traces', tracesJson(first, {}))).toBe(200);
    await until('three attempts', async () => (plugin.forwarder!.stats.sent.traces === 1 ? true : undefined));
    expect(plugin.forwarder!.stats.failedAttempts.traces).toBe(2);
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].url).toBe('/v1/traces');
    expect(receiver.received[0].contentType).toBe('application/x-protobuf');
    expect(receiver.received[0].body.includes(Buffer.from(first, 'hex'))).toBe(true);

    // Logs have no URL here: accepted, stored, never queued.
    expect(await post(wb, 'logs', logsJson('not forwarded'))).toBe(200);
    expect(await post(wb, 'traces', tracesJson(randomBytes(16).toString('hex'), {}))).toBe(200);
    await until('the refusal', async () => (plugin.forwarder!.stats.refused.traces === 1 ? true : undefined));
    const text = await metricsOf(wb);
    expect(text).toContain('qobs_forward_dropped_total{reason="refused",signal="traces"} 1');
    expect(text).toContain('qobs_forward_failed_attempts_total{signal="traces"} 2');
    expect(text).not.toMatch(/qobs_forward_[a-z_]+\{[^}]*signal="logs"/);
    expect(text).toContain('qobs_forward_queue_requests{signal="traces"} 0');
  });

  it('keeps what it could not send across a restart and sends it once the receiver is up', async () => {
    const dataDir = tmp();
    // The receiver is down (503) through the first run; a port freed instead could be taken by another test.
    const receiver = scriptedReceiver([]);
    receiver.state.unavailable = true;
    const url = await receiver.listen();
    const cfg = { ...forwardConfig(url), urls: { traces: `${url}/v1/traces` } };
    const first = forwardPlugin(cfg, fast);
    let wb = await startWorkbench({ ...base, dataDir }, { plugins: [first] });
    const ids = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    for (const id of ids) expect(await post(wb, 'traces', tracesJson(id, {}))).toBe(200);
    await until('a failed attempt', async () =>
      first.forwarder!.stats.failedAttempts.traces > 0 ? true : undefined,
    );
    expect(await metricsOf(wb)).toContain('qobs_forward_queue_requests{signal="traces"} 2');
    await wb.close();

    receiver.state.unavailable = false;
    const second = forwardPlugin(cfg, fast);
    wb = await startWorkbench({ ...base, dataDir }, { plugins: [second] });
    closers.push(() => wb.close());
    await until('both requests', async () => (receiver.received.length === 2 ? true : undefined), 15_000);
    // Up to four sends run at once, so the two may arrive in either order.
    for (const id of ids)
      expect(receiver.received.filter((r) => r.body.includes(Buffer.from(id, 'hex')))).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received).toHaveLength(2);
  });

  it('sends metrics without the secrets in their attributes, and unchanged when they hold none', async () => {
    const receiver = scriptedReceiver([]);
    const url = await receiver.listen();
    const plugin = forwardPlugin({ ...forwardConfig(url), urls: { metrics: `${url}/v1/metrics` } }, fast);
    const wb = await startWorkbench({ ...base, dataDir: tmp() }, { plugins: [plugin] });
    closers.push(() => wb.close());
    const clean = JSON.stringify(metricsJson(1, { run: 'r0' }));
    expect(
      (
        await fetch(`${wb.otlpUrl}/v1/metrics`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: clean,
        })
      ).status,
    ).toBe(200);
    expect(await post(wb, 'metrics', metricsJson(2, { run: 'r1 key AKIAIOSFODNN7EXAMPLE' }))).toBe(200);
    await until('both requests', async () => (receiver.received.length === 2 ? true : undefined));
    const asSent = receiver.received.find((r) => r.contentType === 'application/json');
    const redacted = receiver.received.find((r) => r.contentType === 'application/x-protobuf');
    expect(asSent?.body.toString()).toBe(clean);
    expect(redacted?.body.includes(Buffer.from('r1 key'))).toBe(true);
    expect(redacted?.body.includes(Buffer.from('AKIAIOSFODNN7EXAMPLE'))).toBe(false);
  });

  it('sends a request that came over OTLP/gRPC at once, not at the next poll', async () => {
    const receiver = scriptedReceiver([]);
    const url = await receiver.listen();
    // A poll far beyond the wait below: only the kick after the answer can send it in time.
    const plugin = forwardPlugin(forwardConfig(url), { ...fast, pollMs: 60_000 });
    const wb = await startWorkbench({ ...base, dataDir: tmp() }, { plugins: [plugin] });
    closers.push(() => wb.close());
    const traceId = randomBytes(16).toString('hex');
    const now = BigInt(Date.now()) * 1_000_000n;
    const answer = await grpcUnary(
      wb.otlpGrpcUrl!,
      OTLP_GRPC_PATHS.traces,
      frameMessage(
        encodeTracesProto([
          {
            traceId,
            spanId: '0102030405060708',
            parentSpanId: '',
            traceState: '',
            flags: 1,
            name: 'over grpc',
            kind: 1,
            startTimeUnixNano: now,
            endTimeUnixNano: now + 1000n,
            attributes: {},
            events: [],
            links: [],
            statusCode: 0,
            statusMessage: '',
            resource: { 'service.name': 'grpc-forward' },
            scope: { name: '', version: '' },
          },
        ]),
      ),
    );
    expect(answer.grpcStatus).toBe('0');
    await until('the forwarded request', async () => (receiver.received.length === 1 ? true : undefined));
    expect(receiver.received[0].url).toBe('/v1/traces');
    expect(receiver.received[0].body.includes(Buffer.from(traceId, 'hex'))).toBe(true);
  });

  it('bounds the queue in bytes, dropping the oldest and counting them', async () => {
    const down = scriptedReceiver([]);
    down.state.unavailable = true;
    const url = await down.listen();
    const plugin = forwardPlugin(
      { ...forwardConfig(url, { maxQueueBytes: 600 }), urls: { logs: `${url}/v1/logs` } },
      {
        ...fast,
        pollMs: 60_000,
      },
    );
    const wb = await startWorkbench({ ...base, dataDir: tmp() }, { plugins: [plugin] });
    closers.push(() => wb.close());
    for (let i = 0; i < 10; i++)
      expect(await post(wb, 'logs', logsJson(`line ${i} ${'x'.repeat(100)}`))).toBe(200);
    const text = await metricsOf(wb);
    const bytes = Number(/qobs_forward_queue_bytes (\d+)/.exec(text)![1]);
    const queued = Number(/qobs_forward_queue_requests\{signal="logs"\} (\d+)/.exec(text)![1]);
    const dropped = Number(
      /qobs_forward_dropped_total\{reason="queue_full",signal="logs"\} (\d+)/.exec(text)![1],
    );
    expect(bytes).toBeLessThanOrEqual(600);
    expect(queued).toBeGreaterThan(0);
    expect(queued + dropped).toBe(10);
  });
});

describe('forward configuration', () => {
  it('derives per-signal URLs from the endpoint, per-signal endpoints winning', () => {
    const c = parseConfig({
      forward: {
        endpoint: 'http://collector:4318/',
        logs_endpoint: 'http://loki:3100/otlp/v1/logs',
        headers: { authorization: 'Bearer x' },
      },
    });
    expect(c.forward).toEqual({
      urls: {
        traces: 'http://collector:4318/v1/traces',
        metrics: 'http://collector:4318/v1/metrics',
        logs: 'http://loki:3100/otlp/v1/logs',
      },
      headers: { authorization: 'Bearer x' },
      timeoutMs: 10_000,
      maxQueueBytes: 256 * 1024 * 1024,
    });
    expect(
      parseConfig({ forward: { traces_endpoint: 'http://tempo:4318/v1/traces' } }).forward?.urls,
    ).toEqual({
      traces: 'http://tempo:4318/v1/traces',
    });
    expect(parseConfig({}).forward).toBeUndefined();
    expect(() => parseConfig({ forward: { endpoint: 'collector' } })).toThrow(/forward\.endpoint/);
  });
});
