// Secrets in telemetry ingested from other processes: an AWS key id and a URL password placed in every text
// field of OTLP traces, logs and metrics, and of a push. Nothing read back through the API or /metrics holds
// them: span status messages, resource attributes and metric label values included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyMetric, encodeLogsProto, encodeMetricsProto, encodeTracesProto } from '../ingest/index.js';
import { startWorkbench, type Workbench } from './workbench.js';

const KEY = 'AKIAIOSFODNN7EXAMPLE';
const URL_PW = 'https://user:hunter2pass@db.example.com/x';
const dataDir = mkdtempSync(path.join(tmpdir(), 'qobs-secrets-'));
let wb: Workbench;
const TRACE = 'ab'.repeat(16);

const leaks = (text: string) => text.includes(KEY) || text.includes('hunter2pass');
const read = async (p: string) => (await fetch(`${wb.url}${p}`)).text();

beforeAll(async () => {
  wb = await startWorkbench({ dataDir, port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 });
  const now = BigInt(Date.now()) * 1_000_000n;
  const post = async (signal: string, body: Buffer) => {
    const res = await fetch(`${wb.otlpUrl}/v1/${signal}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(body),
    });
    expect(res.status).toBe(200);
  };
  await post(
    'traces',
    encodeTracesProto([
      {
        traceId: TRACE,
        spanId: '0102030405060708',
        parentSpanId: '',
        traceState: '',
        flags: 1,
        name: 'call',
        kind: 1,
        startTimeUnixNano: now,
        endTimeUnixNano: now + 1000n,
        attributes: { 'db.url': URL_PW, note: `key ${KEY}` },
        events: [{ timeUnixNano: now, name: 'evt', attributes: { k: KEY } }],
        links: [],
        statusCode: 2,
        statusMessage: `failed with ${KEY}`,
        resource: { 'service.name': 'secrets', 'deploy.key': KEY },
        scope: { name: '', version: '' },
      },
    ]),
  );
  await post(
    'logs',
    encodeLogsProto([
      {
        timeUnixNano: now,
        observedTimeUnixNano: now,
        severityNumber: 17,
        severityText: 'ERROR',
        body: `connect ${URL_PW} with ${KEY}`,
        attributes: { key: KEY },
        flags: 0,
        traceId: TRACE,
        spanId: '',
        eventName: '',
        resource: { 'service.name': 'secrets' },
        scope: { name: '', version: '' },
      },
    ]),
  );
  const m = { ...emptyMetric(), name: 'secret_probe', kind: 'gauge' as const };
  m.numberPoints = [{ attributes: { url: URL_PW }, timeMs: Date.now(), value: 1, flags: 0 }];
  await post(
    'metrics',
    encodeMetricsProto([
      {
        resource: { 'service.name': 'secrets' },
        scopeMetrics: [{ scope: { name: '', version: '' }, metrics: [m] }],
      },
    ]),
  );
  const pushed = await fetch(`${wb.url}/metrics/job/secrets`, {
    method: 'PUT',
    body: `push_probe{dsn="${URL_PW}",note="key ${KEY}"} 1\n`,
  });
  expect(pushed.status).toBe(200);
});
afterAll(async () => {
  await wb.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('secrets in ingested telemetry', () => {
  it('redacts span and event attributes, log bodies and attributes, and records the exposure', async () => {
    const trace = JSON.parse(await read(`/api/traces/${TRACE}`)) as {
      spans: Array<{ attributes: unknown; events: unknown }>;
    };
    expect(leaks(JSON.stringify(trace.spans[0].attributes))).toBe(false);
    expect(leaks(JSON.stringify(trace.spans[0].events))).toBe(false);
    const logs = await read('/api/logs?q=connect');
    expect(logs).toContain('connect');
    expect(leaks(logs)).toBe(false);
    expect(await read('/api/logs?event_type=quantum_security_event')).toContain(
      'credential_exposure_detected',
    );
  });

  it('redacts a span status message and resource attributes', async () => {
    expect(leaks(await read(`/api/traces/${TRACE}`))).toBe(false);
  });

  // A secret in a point attribute would otherwise become a label value on /metrics and in the series API.
  it('redacts metric label values', async () => {
    expect(leaks(await read('/metrics'))).toBe(false);
    const series = await read('/api/v1/series?match[]=secret_probe');
    expect(series).toContain('[REDACTED]');
    expect(leaks(series)).toBe(false);
  });

  it('counts the secrets a push held in qobs_ingest_secrets_redacted_total', async () => {
    const count = async () =>
      Number(/^qobs_ingest_secrets_redacted_total (\d+)/m.exec(await read('/metrics'))?.[1] ?? Number.NaN);
    const before = await count();
    const res = await fetch(`${wb.url}/metrics/job/secrets2`, {
      method: 'PUT',
      body: `push_probe2{note="key ${KEY}"} 1\n`,
    });
    expect(res.status).toBe(200);
    expect(await count()).toBe(before + 1);
  });

  it('redacts pushed label values', async () => {
    const series = await read('/api/v1/series?match[]=push_probe');
    expect(series).toContain('push_probe');
    expect(leaks(series)).toBe(false);
    expect(leaks(await read('/metrics'))).toBe(false);
  });
});
