// Listeners on stored OTLP requests (what forwarding is built on): called once per 2xx request with the body as
// received and the batch as stored, never for a refused request, and a listener that throws changes nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTracesProto } from '../ingest/index.js';
import type { SpanIn } from '../store/index.js';
import { type AcceptedOtlp, startWorkbench, type Workbench } from './workbench.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'qobs-accepted-'));
let wb: Workbench;
const seen: AcceptedOtlp[] = [];

const span = (traceId: string, spanId: string): SpanIn => {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    traceId,
    spanId,
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: 'run',
    kind: 1,
    startTimeUnixNano: now,
    endTimeUnixNano: now + 1000n,
    attributes: { note: 'password=hunter2' },
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource: { 'service.name': 'accepted' },
    scope: { name: '', version: '' },
  };
};

const post = (body: Buffer) =>
  fetch(`${wb.otlpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: new Uint8Array(body),
  });

beforeAll(async () => {
  wb = await startWorkbench(
    { dataDir, port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 },
    {
      plugins: [
        {
          name: 'listeners',
          setup(w) {
            w.onOtlpAccepted(() => {
              throw new Error('a failing listener');
            });
            w.onOtlpAccepted((a) => seen.push(a));
          },
        },
      ],
    },
  );
});

afterAll(async () => {
  await wb.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('onOtlpAccepted', () => {
  it('hands over each stored request as received and as stored, past a listener that throws', async () => {
    const body = encodeTracesProto([
      span('ab'.repeat(16), '0102030405060708'),
      // An all-zero trace id is invalid: refused in partialSuccess, not stored.
      span('00'.repeat(16), '0102030405060709'),
    ]);
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0].signal).toBe('traces');
    expect(seen[0].contentType).toBe('application/x-protobuf');
    expect(Buffer.compare(seen[0].body, body)).toBe(0);
    const spans = seen[0].batch.spans ?? [];
    expect(spans.map((s) => s.spanId)).toEqual(['0102030405060708']);
    // As stored: redacted.
    expect(JSON.stringify(spans[0].attributes)).not.toContain('hunter2');
  });

  it('is not called for a refused request', async () => {
    const before = seen.length;
    const res = await post(Buffer.from([0x0a, 0xff, 0xff]));
    expect(res.status).toBe(400);
    expect(seen).toHaveLength(before);
  });
});
