// Bad input answered with the documented status, without crashing or stalling the server; auth; push API.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyMetric, encodeMetricsProto, encodeTracesProto } from '../ingest/index.js';
import type { AttrValue, SpanIn } from '../store/index.js';
import { isStaleAt } from '../store/index.js';
import { startWorkbench, type Workbench } from './workbench.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'qobs-bad-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function span(traceId: string, attrs: Record<string, string> = {}): SpanIn {
  return {
    traceId,
    spanId: '0102030405060708',
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: 'ok',
    kind: 1,
    startTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
    endTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
    attributes: attrs,
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource: { 'service.name': 'bad-input' },
    scope: { name: '', version: '' },
  };
}

const u8 = (b: Buffer) => new Uint8Array(b);

describe('OTLP bad input', () => {
  let wb: Workbench;
  beforeAll(async () => {
    wb = await startWorkbench({
      dataDir: tmp(),
      port: 0,
      otlpPort: 0,
      maxBodyBytes: 64 * 1024,
      maxDecodedBytes: 1024 * 1024,
      maxInflightRequests: 2,
      selfScrapeIntervalMs: 0,
    });
  });
  afterAll(() => wb.close());

  const post = (signal: string, body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string>) =>
    fetch(`${wb.otlpUrl}/v1/${signal}`, { method: 'POST', body, headers });
  const proto = { 'content-type': 'application/x-protobuf' };
  const json = { 'content-type': 'application/json' };

  async function stillServes() {
    const traceId = Buffer.from(Array.from({ length: 16 }, () => Math.floor(Math.random() * 256))).toString(
      'hex',
    );
    const res = await post('traces', u8(encodeTracesProto([span(traceId)])), proto);
    expect(res.status).toBe(200);
    expect((await fetch(`${wb.url}/api/traces/${traceId}`)).status).toBe(200);
  }

  it('answers malformed protobuf and JSON with 400 and a reason', async () => {
    const cases: Array<[string, Uint8Array<ArrayBuffer> | string, Record<string, string>]> = [
      ['traces', u8(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), proto],
      ['metrics', u8(Buffer.from([0x0a, 0x05, 0x12, 0x10, 0x01])), proto],
      ['logs', u8(Buffer.from([0x0f])), proto],
      ['traces', '{"resourceSpans": [', json],
      ['logs', '{"resourceLogs": {"x": 1}}', json],
      ['traces', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"not-hex"}]}]}]}', json],
      ['logs', u8(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), json],
    ];
    for (const [signal, body, headers] of cases) {
      const res = await post(signal, body, headers);
      expect(res.status, `${signal} ${String(body).slice(0, 30)}`).toBe(400);
      if (headers['content-type'] === 'application/json')
        expect(((await res.json()) as { message: string }).message).toMatch(/malformed/);
      else
        expect(Buffer.from(await res.arrayBuffer()).toString('utf8')).toMatch(
          /malformed|truncated|past the end/,
        );
    }
    await stillServes();
  });

  it('answers attribute values nested past the limit, in protobuf and JSON, with 400', async () => {
    let nested: AttrValue = 'leaf';
    for (let i = 0; i < 40; i++) nested = [nested];
    const deep = { ...span('9a'.repeat(16)), attributes: { k: nested } };
    expect((await post('traces', u8(encodeTracesProto([deep])), proto)).status).toBe(400);
    const depth = 30_000; // 60 KB, under this server's 64 KiB body limit
    const json = `{"resourceSpans":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect((await post('traces', json, { 'content-type': 'application/json' })).status).toBe(400);
    let jv = '{"stringValue":"x"}';
    for (let i = 0; i < 40; i++) jv = `{"arrayValue":{"values":[${jv}]}}`;
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${'ab'.repeat(16)}","spanId":"${'cd'.repeat(8)}","attributes":[{"key":"k","value":${jv}}]}]}]}]}`;
    expect((await post('traces', body, { 'content-type': 'application/json' })).status).toBe(400);
    await stillServes();
  });

  it('answers a truncated protobuf body with 400', async () => {
    const full = encodeTracesProto([span('ab'.repeat(16), { k: 'v'.repeat(100) })]);
    for (const cut of [1, 10, full.length - 1]) {
      const res = await post('traces', u8(full.subarray(0, cut)), proto);
      expect(res.status).toBe(400);
    }
    await stillServes();
  });

  it('answers other content types with 415, oversized bodies and gzip bombs with 413', async () => {
    expect((await post('traces', 'hello', { 'content-type': 'text/plain' })).status).toBe(415);
    expect(
      (await post('traces', 'x', { 'content-type': 'application/json', 'content-encoding': 'br' })).status,
    ).toBe(415);
    expect((await post('traces', u8(Buffer.alloc(65 * 1024)), proto)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect((await post('traces', u8(bomb), { ...proto, 'content-encoding': 'gzip' })).status).toBe(413);
    const gz = gzipSync(encodeTracesProto([span('cd'.repeat(16))]));
    expect((await post('traces', u8(gz), { ...proto, 'content-encoding': 'gzip' })).status).toBe(200);
    expect((await post('traces', 'not gzip at all', { ...json, 'content-encoding': 'gzip' })).status).toBe(
      400,
    );
    await stillServes();
  });

  it('stores invalid UTF-8 in protobuf attributes with U+FFFD and counts it', async () => {
    const buf = encodeTracesProto([span('ef'.repeat(16), { note: 'ABCDEF' })]);
    buf[buf.indexOf('ABCDEF') + 2] = 0xc3; // a lead byte without its continuation
    const res = await post('traces', u8(buf), proto);
    expect(res.status).toBe(200);
    const t = (await (await fetch(`${wb.url}/api/traces/${'ef'.repeat(16)}`)).json()) as {
      spans: Array<{ attributes: { note: string } }>;
    };
    expect(t.spans[0].attributes.note).toBe('AB\uFFFDDEF');
    expect(await (await fetch(`${wb.url}/metrics`)).text()).toMatch(/qobs_ingest_invalid_utf8_total [1-9]/);
  });

  it('reports rejected items as partial success', async () => {
    const m = { ...emptyMetric(), name: 'deltas', kind: 'sum' as const, temporality: 1, monotonic: false };
    m.numberPoints = [{ attributes: {}, timeMs: Date.now(), value: 1, flags: 0 }];
    const body = encodeMetricsProto([
      { resource: {}, scopeMetrics: [{ scope: { name: '', version: '' }, metrics: [m] }] },
    ]);
    const res = await post('metrics', u8(body), proto);
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    // ExportMetricsServiceResponse.partial_success { rejected_data_points: 1, error_message }
    expect(bytes[0]).toBe(0x0a);
    expect(bytes[2]).toBe(0x08);
    expect(bytes[3]).toBe(1);
    expect(bytes.toString('utf8')).toMatch(/delta temporality/);
    const j = await post(
      'traces',
      JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'no ids' }] }] }] }),
      json,
    );
    expect(await j.json()).toEqual({
      partialSuccess: {
        rejectedSpans: '1',
        errorMessage: 'spans need a 16-byte non-zero trace id and an 8-byte span id',
      },
    });
  });

  it('survives a body cut off mid-stream, and sheds load with 503 and Retry-After', async () => {
    const { port } = new URL(wb.otlpUrl);
    const open = () =>
      new Promise<net.Socket>((resolve) => {
        const s = net.connect(Number(port), '127.0.0.1', () => {
          s.write(
            `POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n`,
          );
          s.write(Buffer.alloc(10));
          resolve(s);
        });
        s.on('error', () => {});
      });
    // Waits (bounded) for the ingest queue gauge, rather than a fixed time that a loaded machine may overrun.
    const queueDepth = async (n: number) => {
      const deadline = Date.now() + 20_000;
      let text = '';
      while (Date.now() < deadline) {
        text = await (await fetch(`${wb.url}/metrics`)).text();
        if (new RegExp(`^qobs_ingest_queue_depth ${n}$`, 'm').test(text)) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(
        `qobs_ingest_queue_depth did not reach ${n} in 20 s: ${text.match(/^qobs_ingest_queue_depth .*$/m)}`,
      );
    };
    const a = await open();
    const b = await open();
    await queueDepth(2);
    const res = await post('traces', u8(encodeTracesProto([span('12'.repeat(16))])), proto);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await (await fetch(`${wb.url}/metrics`)).text()).toMatch(
      /qobs_ingest_dropped_requests_total\{reason="backpressure"\} [1-9]/,
    );
    a.destroy();
    b.destroy();
    await queueDepth(0);
    await stillServes();
    expect((await fetch(`${wb.url}/healthz`)).status).toBe(200);
  });
});

describe('authentication', () => {
  it('requires the bearer token everywhere but /healthz', async () => {
    const wb = await startWorkbench({
      dataDir: tmp(),
      port: 0,
      otlpPort: 0,
      token: 'secret-token-0123456789',
      selfScrapeIntervalMs: 0,
    });
    try {
      expect((await fetch(`${wb.url}/healthz`)).status).toBe(200);
      for (const u of [`${wb.url}/metrics`, `${wb.url}/api/traces`, `${wb.url}/readyz`]) {
        const res = await fetch(u);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect((await fetch(u, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
        expect(
          (await fetch(u, { headers: { authorization: 'Bearer secret-token-0123456789' } })).status,
        ).toBe(200);
      }
      const otlp = await fetch(`${wb.otlpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(otlp.status).toBe(401);
    } finally {
      await wb.close();
    }
  });

  it('generates a token when bound beyond loopback without one', async () => {
    const lines: string[] = [];
    const wb = await startWorkbench(
      { dataDir: tmp(), host: '0.0.0.0', otlpHost: '0.0.0.0', port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 },
      { log: (l) => lines.push(l) },
    );
    try {
      expect(wb.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(lines.join('\n')).toContain(wb.token);
      const port = new URL(wb.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
      expect(
        (
          await fetch(`http://127.0.0.1:${port}/metrics`, {
            headers: { authorization: `Bearer ${wb.token}` },
          })
        ).status,
      ).toBe(200);
    } finally {
      await wb.close();
    }
  });
});

describe('push API', () => {
  it('implements PUT, POST and DELETE of Pushgateway groups', async () => {
    const wb = await startWorkbench({ dataDir: tmp(), port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 });
    const push = (method: string, p: string, body = '') =>
      fetch(`${wb.url}/metrics/job/${p}`, { method, body: method === 'DELETE' ? undefined : body });
    const latest = (name: string, extra: Record<string, string> = {}) => {
      const ms = [
        { name: '__name__', op: '=' as const, value: name },
        ...Object.entries(extra).map(([k, v]) => ({ name: k, op: '=' as const, value: v })),
      ];
      return wb.store.select(ms, 0, Date.now() + 1000).map((s) => ({
        labels: s.labels,
        stale: isStaleAt(s.values, s.values.length - 1),
        v: s.values[s.values.length - 1],
      }));
    };
    try {
      expect(
        (await push('PUT', 'train/instance/gpu0', '# TYPE loss gauge\nloss 0.5\nepochs_total 3\n')).status,
      ).toBe(200);
      expect(latest('loss')).toEqual([
        { labels: { __name__: 'loss', job: 'train', instance: 'gpu0' }, stale: false, v: 0.5 },
      ]);
      await new Promise((r) => setTimeout(r, 5));
      // POST replaces only the pushed metric names: epochs_total stays.
      expect((await push('POST', 'train/instance/gpu0', 'loss 0.25\n')).status).toBe(200);
      expect(latest('loss')[0].v).toBe(0.25);
      expect(latest('epochs_total')[0]).toMatchObject({ stale: false, v: 3 });
      await new Promise((r) => setTimeout(r, 5));
      // PUT replaces the group: epochs_total is marked stale.
      expect((await push('PUT', 'train/instance/gpu0', 'loss 0.125\n')).status).toBe(200);
      expect(latest('epochs_total')[0].stale).toBe(true);
      const text = await (await fetch(`${wb.url}/metrics`)).text();
      expect(text).toContain('loss{job="train",instance="gpu0"} 0.125');
      expect(text).not.toContain('epochs_total{');
      await new Promise((r) => setTimeout(r, 5));
      expect((await push('DELETE', 'train/instance/gpu0')).status).toBe(202);
      expect(latest('loss')[0].stale).toBe(true);
      // base64 label values, and errors.
      expect(
        (await push('PUT', `b64/path@base64/${Buffer.from('/a/b').toString('base64url')}`, 'x 1\n')).status,
      ).toBe(200);
      expect(latest('x')[0].labels.path).toBe('/a/b');
      expect((await push('PUT', 'train', 'bad line here\n')).status).toBe(400);
      expect((await push('PUT', 'train', 'x 1 1700000000000\n')).status).toBe(400);
      expect((await push('PUT', 'train/odd', 'x 1\n')).status).toBe(400);
      expect((await push('PUT', 'train', 'x{job="other"} 1\n')).status).toBe(400);
    } finally {
      await wb.close();
    }
  });
});

describe('logs live tail', () => {
  it('streams new matching records as server-sent events', async () => {
    const wb = await startWorkbench({ dataDir: tmp(), port: 0, otlpPort: 0, selfScrapeIntervalMs: 0 });
    const ac = new AbortController();
    try {
      const res = await fetch(`${wb.url}/api/logs/tail?level=error`, { signal: ac.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const reader = res.body!.getReader();
      const send = (body: string, severity: number) =>
        fetch(`${wb.otlpUrl}/v1/logs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            resourceLogs: [
              {
                scopeLogs: [
                  {
                    logRecords: [
                      {
                        timeUnixNano: `${Date.now()}000000`,
                        severityNumber: severity,
                        body: { stringValue: body },
                      },
                    ],
                  },
                ],
              },
            ],
          }),
        });
      expect((await send('just info', 9)).status).toBe(200);
      expect((await send('it broke', 17)).status).toBe(200);
      let text = '';
      // Bounded: a read that waits past the deadline ends the loop instead of hanging until the test timeout.
      const deadline = Date.now() + 20_000;
      while (!text.includes('it broke') && Date.now() < deadline) {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<undefined>((r) => {
          timer = setTimeout(() => r(undefined), Math.max(0, deadline - Date.now()));
        });
        const chunk = await Promise.race([reader.read(), late]);
        clearTimeout(timer);
        if (!chunk || chunk.done) break;
        text += Buffer.from(chunk.value).toString('utf8');
      }
      const events = text
        .split('\n\n')
        .filter((e) => e.startsWith('data: '))
        .map((e) => JSON.parse(e.slice(6)) as { body: string; level: string });
      expect(events.map((e) => e.body)).toEqual(['it broke']);
      expect(events[0].level).toBe('error');
    } finally {
      ac.abort();
      await wb.close();
    }
  });
});
