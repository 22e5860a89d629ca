// OTLP/gRPC: the official OpenTelemetry JS gRPC exporters (plain and gzip) send to the workbench and the data
// comes back through its API; bad calls get the gRPC status the OTLP specification gives them, and the listener
// goes on serving.
import { mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTracesProto } from '../ingest/index.js';
import type { SpanIn } from '../store/index.js';
import { grpcUnary, OTLP_GRPC_PATHS } from '../testing/grpc.js';
import { encodeGrpcMessage, frameMessage, GRPC, unaryMessage } from './otlp-grpc.js';
import type { WorkbenchConfig } from '../config/index.js';
import { startWorkbench, type Workbench } from './workbench.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'qobs-grpc-'));
  dirs.push(d);
  return d;
};
let wb: Workbench;
/** A workbench on ports chosen by the system, in a temporary directory, with `extra` settings. */
const workbench = (extra: Partial<WorkbenchConfig> = {}) =>
  startWorkbench({ dataDir: tmp(), port: 0, otlpPort: 0, selfScrapeIntervalMs: 0, ...extra });

beforeAll(async () => {
  wb = await workbench();
});
afterAll(async () => {
  await wb.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const TRACE_PATH = OTLP_GRPC_PATHS.traces;

const call = grpcUnary;

/** One span, framed as the message of a traces Export call. */
const framedSpan = (traceId: string, name: string): Buffer =>
  frameMessage(encodeTracesProto([span(traceId, name)]));

function span(traceId: string, name: string): SpanIn {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    traceId,
    spanId: '0102030405060708',
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name,
    kind: 1,
    startTimeUnixNano: now,
    endTimeUnixNano: now + 5_000_000n,
    attributes: { 'quantum.circuit.qubits': 4 },
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    resource: { 'service.name': 'grpc-raw' },
    scope: { name: '', version: '' },
  };
}

describe('OTLP/gRPC listener', () => {
  it('listens next to OTLP/HTTP', () => {
    expect(wb.otlpGrpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(wb.otlpGrpcUrl).not.toBe(wb.otlpUrl);
  });

  for (const compression of [CompressionAlgorithm.NONE, CompressionAlgorithm.GZIP]) {
    it(`takes traces, metrics and logs from the official gRPC exporters (compression ${compression})`, async () => {
      const service = `grpc-${compression}`;
      const resource = resourceFromAttributes({ 'service.name': service });
      const url = wb.otlpGrpcUrl!;

      const tracer = new BasicTracerProvider({
        resource,
        spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url, compression }))],
      });
      const s = tracer.getTracer('qobs-test').startSpan('quantum.circuit.execute', {
        attributes: { 'quantum.circuit.depth': 7, 'quantum.backend': 'local.statevector' },
      });
      s.addEvent('queued', { position: 3 });
      s.end();
      await tracer.forceFlush();
      await tracer.shutdown();
      const traceId = s.spanContext().traceId;

      const reader = new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url, compression }),
        exportIntervalMillis: 3_600_000,
      });
      const meter = new MeterProvider({ resource, readers: [reader] });
      meter.getMeter('qobs-test').createCounter('quantum.shots').add(1024, { device: 'statevector' });
      await reader.forceFlush();
      await meter.shutdown();

      const logs = new LoggerProvider({
        resource,
        processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url, compression }) })],
      });
      logs.getLogger('qobs-test').emit({
        severityNumber: SeverityNumber.WARN,
        severityText: 'WARN',
        body: `calibration drift on ${service}`,
        attributes: { event_type: 'quantum_hardware_event' },
      });
      await logs.forceFlush();
      await logs.shutdown();

      const trace = (await (await fetch(`${wb.url}/api/traces/${traceId}`)).json()) as {
        spans: Array<{ name: string; attributes: Record<string, unknown>; events: Array<{ name: string }> }>;
      };
      expect(trace.spans).toHaveLength(1);
      expect(trace.spans[0]).toMatchObject({
        name: 'quantum.circuit.execute',
        attributes: { 'quantum.circuit.depth': 7, 'quantum.backend': 'local.statevector' },
        events: [{ name: 'queued' }],
      });
      const shots = wb.store.select(
        [
          { name: '__name__', op: '=', value: 'quantum_shots_total' },
          { name: 'job', op: '=', value: service },
        ],
        0,
        Date.now() + 1000,
      );
      // Exported at the flush and again at shutdown: the same cumulative value.
      expect(shots).toHaveLength(1);
      expect(new Set(shots[0].values)).toEqual(new Set([1024]));
      const found = (await (
        await fetch(`${wb.url}/api/logs?q=${encodeURIComponent(`drift ${service}`)}`)
      ).json()) as { logs: Array<{ body: unknown; severityText: string }> };
      expect(found.logs.map((l) => [l.body, l.severityText])).toEqual([
        [`calibration drift on ${service}`, 'WARN'],
      ]);
    });
  }

  it('answers a raw call with an empty response message and status 0', async () => {
    const traceId = 'c1'.repeat(16);
    const r = await call(wb.otlpGrpcUrl!, TRACE_PATH, framedSpan(traceId, 'raw'));
    expect(r).toMatchObject({ status: 200, grpcStatus: '0' });
    // One framed ExportTraceServiceResponse, empty: nothing was refused.
    expect(r.body).toEqual(frameMessage(Buffer.alloc(0)));
    const gz = await call(
      wb.otlpGrpcUrl!,
      TRACE_PATH,
      Buffer.concat([
        Buffer.from([1, 0, 0, 0, 0]),
        gzipSync(encodeTracesProto([span('c2'.repeat(16), 'raw gzip')])),
      ]).fill(0, 1, 5),
      { 'grpc-encoding': 'gzip' },
    );
    // The length above was left zero: the frame is refused as malformed, not guessed at.
    expect(gz.grpcStatus).toBe(String(GRPC.INVALID_ARGUMENT));
    const zipped = gzipSync(encodeTracesProto([span('c3'.repeat(16), 'raw gzip')]));
    const framed = frameMessage(zipped);
    framed[0] = 1;
    expect(await call(wb.otlpGrpcUrl!, TRACE_PATH, framed, { 'grpc-encoding': 'gzip' })).toMatchObject({
      grpcStatus: '0',
    });
    expect((await (await fetch(`${wb.url}/api/traces/${'c3'.repeat(16)}`)).json()).spans[0].name).toBe(
      'raw gzip',
    );
  });

  it('refuses bad calls with the documented gRPC status and goes on serving', async () => {
    const url = wb.otlpGrpcUrl!;
    const refusals: Array<[string, Buffer, Record<string, string>, number, RegExp]> = [
      [
        'malformed protobuf',
        frameMessage(Buffer.from([0x0a, 0xff, 0xff])),
        {},
        GRPC.INVALID_ARGUMENT,
        /malformed/,
      ],
      ['truncated frame', Buffer.from([0, 0, 0, 0, 9, 1, 2]), {}, GRPC.INVALID_ARGUMENT, /truncated/],
      [
        'two messages',
        Buffer.concat([frameMessage(Buffer.alloc(0)), frameMessage(Buffer.alloc(0))]),
        {},
        GRPC.INVALID_ARGUMENT,
        /one message/,
      ],
      [
        'unknown compression',
        Buffer.from([1, 0, 0, 0, 1, 0]),
        { 'grpc-encoding': 'snappy' },
        GRPC.UNIMPLEMENTED,
        /snappy/,
      ],
      [
        'gzip that is not',
        Buffer.from([1, 0, 0, 0, 3, 1, 2, 3]),
        { 'grpc-encoding': 'gzip' },
        GRPC.INVALID_ARGUMENT,
        /./,
      ],
    ];
    for (const [what, body, headers, code, message] of refusals) {
      const r = await call(url, TRACE_PATH, body, headers);
      expect({ what, status: r.status, grpcStatus: r.grpcStatus }).toEqual({
        what,
        status: 200,
        grpcStatus: String(code),
      });
      expect(decodeURIComponent(r.grpcMessage ?? '')).toMatch(message);
    }
    // A malformed frame is counted as a malformed request, as a 400 on OTLP/HTTP is.
    const malformed = async () =>
      Number(
        /qobs_ingest_malformed_requests_total (\d+)/.exec(
          await (await fetch(`${wb.url}/metrics`)).text(),
        )![1],
      );
    const before = await malformed();
    await call(url, TRACE_PATH, Buffer.from([0, 0, 0, 0, 9, 1, 2]));
    expect(await malformed()).toBe(before + 1);
    const unknown = await call(
      url,
      '/opentelemetry.proto.collector.profiles.v1.ProfilesService/Export',
      frameMessage(Buffer.alloc(0)),
    );
    expect(unknown.grpcStatus).toBe(String(GRPC.UNIMPLEMENTED));
    const ok = await call(url, TRACE_PATH, framedSpan('c4'.repeat(16), 'after'));
    expect(ok.grpcStatus).toBe('0');
  });

  it('answers every random call with a gRPC status and keeps serving (fuzz)', async () => {
    const url = wb.otlpGrpcUrl!;
    const paths = [
      TRACE_PATH,
      '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
      '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      '/x',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
          fc.uint8Array({ maxLength: 200 }).map((b) => frameMessage(Buffer.from(b))),
          fc.uint8Array({ maxLength: 200 }).map((b) => {
            const f = frameMessage(Buffer.from(b));
            f[0] = 1;
            return f;
          }),
        ),
        fc.constantFrom(undefined, 'gzip', 'deflate', 'identity', 'br'),
        async (p, body, encoding) => {
          const r = await call(url, p, body, encoding ? { 'grpc-encoding': encoding } : {});
          expect(r.status).toBe(200);
          expect(Number(r.grpcStatus)).toBeGreaterThanOrEqual(0);
          // Never an internal error: every refusal is the caller's input.
          expect(r.grpcStatus).not.toBe(String(GRPC.INTERNAL));
        },
      ),
      { numRuns: 150, seed: 20261129 },
    );
    const ok = await call(url, TRACE_PATH, framedSpan('c7'.repeat(16), 'after fuzz'));
    expect(ok.grpcStatus).toBe('0');
  });

  it('refuses a message above the size limit', async () => {
    const small = await workbench({ maxBodyBytes: 1024 });
    try {
      const big = frameMessage(
        encodeTracesProto(
          Array.from({ length: 40 }, (_, i) =>
            span(`${'d'.repeat(30)}${String(i).padStart(2, '0')}`, 'x'.repeat(50)),
          ),
        ),
      );
      expect(big.length).toBeGreaterThan(1024);
      const r = await call(small.otlpGrpcUrl!, TRACE_PATH, big);
      expect(r.grpcStatus).toBe(String(GRPC.RESOURCE_EXHAUSTED));
      expect(
        (await call(small.otlpGrpcUrl!, TRACE_PATH, framedSpan('c5'.repeat(16), 'fits'))).grpcStatus,
      ).toBe('0');
    } finally {
      await small.close();
    }
  });

  it('refuses calls beyond the in-flight bound with UNAVAILABLE, counted with OTLP/HTTP, and frees the slot', async () => {
    const tight = await workbench({ maxInflightRequests: 1 });
    const client = http2.connect(tight.otlpGrpcUrl!);
    try {
      // A call whose message is still arriving holds the one slot.
      const slow = client.request({
        ':method': 'POST',
        ':path': TRACE_PATH,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const slowStatus = new Promise<string | undefined>((resolve, reject) => {
        let status: string | undefined;
        slow.on('response', (h) => {
          status = h['grpc-status'] as string | undefined;
        });
        slow.on('trailers', (t) => {
          status = t['grpc-status'] as string | undefined;
        });
        slow.on('data', () => {});
        slow.on('end', () => resolve(status));
        slow.on('error', reject);
      });
      const framed = framedSpan('c8'.repeat(16), 'slow');
      slow.write(framed.subarray(0, 10));
      const depth = async () =>
        Number(/qobs_ingest_queue_depth (\d+)/.exec(await (await fetch(`${tight.url}/metrics`)).text())?.[1]);
      await expect.poll(depth, { timeout: 15_000 }).toBe(1);
      const refused = await call(tight.otlpGrpcUrl!, TRACE_PATH, framedSpan('c9'.repeat(16), 'x'));
      expect(refused.grpcStatus).toBe(String(GRPC.UNAVAILABLE));
      expect(decodeURIComponent(refused.grpcMessage ?? '')).toMatch(/retry later/);
      expect(await (await fetch(`${tight.url}/metrics`)).text()).toMatch(
        /qobs_ingest_dropped_requests_total\{reason="backpressure"\} 1/,
      );
      slow.end(framed.subarray(10));
      expect(await slowStatus).toBe('0');
      await expect.poll(depth, { timeout: 15_000 }).toBe(0);
      const after = await call(tight.otlpGrpcUrl!, TRACE_PATH, framedSpan('ca'.repeat(16), 'after'));
      expect(after.grpcStatus).toBe('0');
    } finally {
      client.close();
      await tight.close();
    }
  });

  it('requires the token when one is set, compared as on HTTP', async () => {
    const token = 'grpc-token-0123456789abcdef';
    const guarded = await workbench({ token });
    try {
      const body = framedSpan('c6'.repeat(16), 'guarded');
      expect((await call(guarded.otlpGrpcUrl!, TRACE_PATH, body)).grpcStatus).toBe(
        String(GRPC.UNAUTHENTICATED),
      );
      expect(
        (
          await call(guarded.otlpGrpcUrl!, TRACE_PATH, body, {
            authorization: 'Bearer wrong-token-0123456789ab',
          })
        ).grpcStatus,
      ).toBe(String(GRPC.UNAUTHENTICATED));
      expect(
        (await call(guarded.otlpGrpcUrl!, TRACE_PATH, body, { authorization: `Bearer ${token}` })).grpcStatus,
      ).toBe('0');
    } finally {
      await guarded.close();
    }
  });

  it('is off when configured off', async () => {
    const off = await workbench({ otlpGrpcPort: false });
    try {
      expect(off.otlpGrpcUrl).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});

describe('gRPC framing', () => {
  it('reads back any framed message and refuses any other length (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: -5, max: 5 }), (bytes, cut) => {
        const framed = frameMessage(Buffer.from(bytes));
        expect(unaryMessage(framed).message).toEqual(Buffer.from(bytes));
        const altered =
          cut < 0
            ? framed.subarray(0, Math.max(0, framed.length + cut))
            : Buffer.concat([framed, Buffer.alloc(cut)]);
        if (cut !== 0) expect(() => unaryMessage(altered)).toThrow();
      }),
    );
  });

  it('percent-encodes grpc-message outside printable ASCII', () => {
    expect(encodeGrpcMessage('bad 100% — ok')).toBe('bad 100%25 %E2%80%94 ok');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(decodeURIComponent(encodeGrpcMessage(s))).toBe(s);
      }),
    );
  });
});
