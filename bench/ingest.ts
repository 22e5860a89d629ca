// Benchmark `ingest`: spans and samples per second through OTLP/HTTP protobuf in batches of 512, sent by a
// client in a second process over loopback to an in-process workbench; bytes on disk per stored span and
// sample; the server's peak resident memory over the run. Last stdout line: one JSON object.
//   npm run bench -- ingest [--quick] [--only spans|samples] [--server workbench|minimal|minimal-group-commit]
//                           [--protocol http|grpc]
// The server is the compiled build (dist/, what `qobs up` runs): run `npm run build` first.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import {
  convertMetrics,
  decodeMetricsProto,
  decodeTracesProto,
  emptyMetric,
  encodeMetricsProto,
  encodeTracesProto,
  ingestOtlp,
  ingestOtlpQueued,
  newOtlpStats,
} from '../dist/ingest/index.js';
import { Store } from '../dist/store/index.js';
import type { SpanIn } from '../dist/store/index.js';
import { startWorkbench } from '../dist/server/index.js';

const BATCH = 512;
const WORKERS = 4;
const T0_MS = Date.now() - 3600_000;

/** A batch of 512 spans (16 traces of 32) with quantum attributes, and where its ids sit in the encoding. */
function spanTemplate(): { body: Buffer; idOffsets: Array<[trace: number, span: number]> } {
  const spans: SpanIn[] = [];
  const now = BigInt(T0_MS) * 1_000_000n;
  for (let i = 0; i < BATCH; i++) {
    // Marker ids, unique byte patterns located after encoding.
    const traceId = `ee${i.toString(16).padStart(4, '0')}${'a5'.repeat(13)}`;
    const spanId = `dd${i.toString(16).padStart(4, '0')}${'5a'.repeat(5)}`;
    spans.push({
      traceId,
      spanId,
      parentSpanId: i % 32 === 0 ? '' : `dd${(i - (i % 32)).toString(16).padStart(4, '0')}${'5a'.repeat(5)}`,
      traceState: '',
      flags: 1,
      name: i % 32 === 0 ? 'quantum_training vqc' : 'quantum_circuit ansatz',
      kind: 1,
      startTimeUnixNano: now + BigInt(i) * 1000n,
      endTimeUnixNano: now + BigInt(i) * 1000n + 2_500_000n,
      attributes: {
        'quantum.circuit.name': 'ansatz',
        'quantum.provider': 'local',
        'quantum.device': 'local.statevector',
        'quantum.shots': 1024,
        'quantum.qubits': 4,
        'quantum.circuit.depth': 12,
        'quantum.circuit.gate_count': 40,
        'quantum.execution.success': true,
      },
      events: [],
      links: [],
      statusCode: 0,
      statusMessage: '',
      resource: RESOURCE,
      scope: SCOPE,
    });
  }
  const body = encodeTracesProto(spans);
  const idOffsets: Array<[number, number]> = [];
  for (let i = 0; i < BATCH; i++) {
    const t = body.indexOf(Buffer.from(spans[i].traceId, 'hex'));
    const s = body.indexOf(Buffer.from(spans[i].spanId, 'hex'));
    idOffsets.push([t, s]);
  }
  return { body, idOffsets };
}

const RESOURCE = { 'service.name': 'bench', 'service.instance.id': 'bench-1' };
const SCOPE = { name: 'qobs-bench', version: '1' };

/** A batch of 512 gauge points, one for each of 512 series of this worker, and where their timestamps sit. */
function sampleTemplate(worker: number): { body: Buffer; timeOffsets: number[] } {
  const metrics = [];
  const marker = 1_234_567_000_000;
  for (let m = 0; m < 8; m++) {
    const metric = { ...emptyMetric(), name: `quantum_bench_metric_${m}`, kind: 'gauge' as const };
    for (let i = 0; i < BATCH / 8; i++) {
      metric.numberPoints.push({
        attributes: { provider: 'local', device: `dev${i}`, worker: String(worker) },
        timeMs: marker + m * 1000 + i,
        value: 0.5 + i,
        flags: 0,
      });
    }
    metrics.push(metric);
  }
  const body = encodeMetricsProto([{ resource: RESOURCE, scopeMetrics: [{ scope: SCOPE, metrics }] }]);
  const timeOffsets: number[] = [];
  for (let m = 0; m < 8; m++) {
    for (let i = 0; i < BATCH / 8; i++) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(marker + m * 1000 + i) * 1_000_000n);
      timeOffsets.push(body.indexOf(b));
    }
  }
  return { body, timeOffsets };
}

/** Client process: sends batches for `durationMs` and prints {items, elapsedMs, errors}. */
async function client(
  otlpUrl: string,
  kind: 'spans' | 'samples',
  durationMs: number,
  protocol: 'http' | 'grpc',
): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS });
  const url = new URL(`${otlpUrl}/v1/${kind === 'spans' ? 'traces' : 'metrics'}`);
  const prefix = randomBytes(4);
  let items = 0;
  let errors = 0;
  // gRPC: one HTTP/2 connection per worker, one unary Export call at a time on it (as an exporter does).
  const sessions = protocol === 'grpc' ? Array.from({ length: WORKERS }, () => http2.connect(otlpUrl)) : [];
  const grpcPath =
    kind === 'spans'
      ? '/opentelemetry.proto.collector.trace.v1.TraceService/Export'
      : '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
  const head = Buffer.alloc(5);
  const sendGrpc = (w: number, body: Buffer) =>
    new Promise<number>((resolve) => {
      const req = sessions[w].request({
        ':method': 'POST',
        ':path': grpcPath,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let status = -1;
      req.on('response', (h) => {
        if (h['grpc-status'] !== undefined) status = Number(h['grpc-status']);
      });
      req.on('trailers', (t) => {
        status = Number(t['grpc-status']);
      });
      req.on('data', () => {});
      req.on('end', () => resolve(status === 0 ? 200 : 0));
      req.on('error', () => resolve(0));
      head.writeUInt32BE(body.length, 1);
      req.write(head);
      req.end(body);
    });
  const send = (body: Buffer) =>
    new Promise<number>((resolve) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
  const start = Date.now();
  const worker = async (w: number) => {
    if (kind === 'spans') {
      const { body, idOffsets } = spanTemplate();
      for (let n = 0; Date.now() - start < durationMs; n++) {
        const seq = (w * 1e9 + n) * BATCH;
        for (let i = 0; i < BATCH; i++) {
          const [t, s] = idOffsets[i];
          prefix.copy(body, t);
          body.writeUInt32BE(w, t + 4);
          body.writeBigUInt64BE(BigInt(n * 16 + (i >> 5)), t + 8);
          body.writeBigUInt64BE(BigInt(seq + i), s);
        }
        if ((await (protocol === 'grpc' ? sendGrpc(w, body) : send(body))) === 200) items += BATCH;
        else errors++;
      }
    } else {
      const { body, timeOffsets } = sampleTemplate(w);
      for (let n = 0; Date.now() - start < durationMs; n++) {
        // Every series moves 15 s per batch: a realistic scrape interval for the chunk encoding.
        const ns = BigInt(T0_MS + n * 15_000) * 1_000_000n;
        for (const off of timeOffsets) body.writeBigUInt64LE(ns, off);
        if ((await (protocol === 'grpc' ? sendGrpc(w, body) : send(body))) === 200) items += BATCH;
        else errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  process.stdout.write(`${JSON.stringify({ items, elapsedMs: Date.now() - start, errors })}\n`);
  agent.destroy();
  for (const s of sessions) s.close();
}

type ServerKind = 'workbench' | 'minimal' | 'minimal-group-commit';

/**
 * The workbench, or (`--server minimal|minimal-group-commit`) a bare Fastify OTLP listener over a store, to
 * compare the synchronous ingest the workbench does with group commit (`ingestOtlpQueued`), which the
 * workbench's OTLP route does not use yet: the same store, body parser and answers, without the workbench's
 * hooks.
 */
async function startServer(dir: string, server: ServerKind) {
  if (server === 'workbench') {
    const wb = await startWorkbench({
      dataDir: dir,
      port: 0,
      otlpPort: 0,
      selfScrapeIntervalMs: 0,
      maxInflightRequests: 64,
    });
    return { store: wb.store, otlpUrl: wb.otlpUrl, grpcUrl: wb.otlpGrpcUrl, close: () => wb.close() };
  }
  const store = Store.open({ dataDir: dir });
  const app = Fastify({ logger: false, bodyLimit: 16 << 20 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const stats = newOtlpStats();
  for (const signal of ['traces', 'metrics', 'logs'] as const) {
    app.post(`/v1/${signal}`, async (req, reply) => {
      const args = [
        store,
        signal,
        req.headers['content-type'],
        req.headers['content-encoding'] as string | undefined,
        req.body as Buffer,
        64 << 20,
        stats,
      ] as const;
      const res = server === 'minimal' ? ingestOtlp(...args) : await ingestOtlpQueued(...args);
      reply.code(res.status).type(res.contentType).send(res.body);
    });
  }
  const otlpUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    store,
    otlpUrl,
    grpcUrl: undefined as string | undefined,
    close: async () => {
      await app.close();
      store.close();
    },
  };
}

async function runPhase(
  kind: 'spans' | 'samples',
  durationMs: number,
  rss: { max: number },
  server: ServerKind,
  protocol: 'http' | 'grpc',
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'qobs-bench-ingest-'));
  const wb = await startServer(dir, server);
  const before = wb.store.usedBytes();
  const cpu0 = process.cpuUsage();
  const timer = setInterval(() => {
    rss.max = Math.max(rss.max, process.memoryUsage().rss);
  }, 250);
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      self,
      '--client',
      protocol === 'grpc' ? wb.grpcUrl! : wb.otlpUrl,
      kind,
      String(durationMs),
      protocol,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  await new Promise((r) => child.once('exit', r));
  clearInterval(timer);
  const cpu = process.cpuUsage(cpu0);
  const serverCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const r = JSON.parse(out.trim().split('\n').pop()!) as { items: number; elapsedMs: number; errors: number };
  // Spans are counted row by row through the `spans` view, distinct by id: what a reader of the store sees.
  let stored =
    kind === 'spans'
      ? Number(
          wb.store.db
            .prepare('SELECT COUNT(*) FROM (SELECT DISTINCT trace_id, span_id FROM spans)')
            .pluck()
            .get(),
        )
      : 0;
  wb.store.checkpoint();
  wb.store.db.pragma('wal_checkpoint(TRUNCATE)');
  // Samples: every head is in a chunk after the checkpoint; count what the chunks on disk hold.
  if (kind === 'samples')
    stored = Number(wb.store.db.prepare('SELECT COALESCE(SUM(n), 0) FROM chunks').pluck().get());
  const bytes = wb.store.usedBytes() - before;
  // Payload bytes alone (chunk BLOBs), without the per-series rows and page slack a short run is dominated by.
  const payloadBytes =
    kind === 'samples'
      ? Number(wb.store.db.prepare('SELECT COALESCE(SUM(length(data)), 0) FROM chunks').pluck().get())
      : 0;
  const series = wb.store.stats().series;
  await wb.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    ...r,
    stored,
    perSecond: r.items / (r.elapsedMs / 1000),
    perServerCpuSecond: r.items / serverCpuSeconds,
    bytesPerItem: bytes / Math.max(stored, 1),
    payloadBytesPerItem: payloadBytes / Math.max(stored, 1),
    series,
  };
}

/**
 * In-process throughput of decoding the same batches (spans) and of decoding and converting them to samples
 * (metrics): the ceiling the HTTP and SQLite path is held against.
 */
function decodeCeiling(): { spans: number; samples: number } {
  const { body: spans } = spanTemplate();
  const { body: samples } = sampleTemplate(0);
  const rate = (f: () => void) => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < 1000) {
      f();
      n += BATCH;
    }
    return n / ((performance.now() - start) / 1000);
  };
  // Metrics are decoded as the server does (attributes left as bytes until a label-cache miss needs them) and
  // converted to samples: decoding alone no longer touches the attributes, so it would be no ceiling.
  return {
    spans: rate(() => decodeTracesProto(spans)),
    samples: rate(() =>
      convertMetrics(decodeMetricsProto(samples, { lazyAttributes: true }).resourceMetrics),
    ),
  };
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--client') {
    await client(args[1], args[2] as 'spans' | 'samples', Number(args[3]), args[4] as 'http' | 'grpc');
    return;
  }
  const quick = args.includes('--quick');
  const phaseMs = quick ? 10_000 : 30_000;
  const rss = { max: process.memoryUsage().rss };
  const ceiling = decodeCeiling();
  // `--only spans|samples` runs one phase (for profiling); the other's figures are then zero.
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const skipped = {
    items: 0,
    elapsedMs: 1,
    errors: 0,
    stored: 0,
    perSecond: 0,
    perServerCpuSecond: 0,
    bytesPerItem: 0,
    payloadBytesPerItem: 0,
    series: 0,
  };
  const server = (args.includes('--server') ? args[args.indexOf('--server') + 1] : 'workbench') as ServerKind;
  if (!['workbench', 'minimal', 'minimal-group-commit'].includes(server))
    throw new Error(`--server must be workbench, minimal or minimal-group-commit, not '${server}'`);
  const protocol = (args.includes('--protocol') ? args[args.indexOf('--protocol') + 1] : 'http') as
    | 'http'
    | 'grpc';
  if (!['http', 'grpc'].includes(protocol))
    throw new Error(`--protocol must be http or grpc, not '${protocol}'`);
  if (protocol === 'grpc' && server !== 'workbench')
    throw new Error('--protocol grpc needs --server workbench');
  const spans = only === 'samples' ? skipped : await runPhase('spans', phaseMs, rss, server, protocol);
  const samples = only === 'spans' ? skipped : await runPhase('samples', phaseMs, rss, server, protocol);
  const result = {
    bench: 'ingest',
    quick,
    server,
    protocol,
    phase_seconds: phaseMs / 1000,
    batch: BATCH,
    client_connections: WORKERS,
    spans_per_second: Math.round(spans.perSecond),
    samples_per_second: Math.round(samples.perSecond),
    spans_stored: spans.stored,
    spans_acknowledged: spans.items,
    samples_stored: samples.stored,
    samples_acknowledged: samples.items,
    request_errors: spans.errors + samples.errors,
    bytes_per_span: Math.round(spans.bytesPerItem * 10) / 10,
    bytes_per_sample: Math.round(samples.bytesPerItem * 100) / 100,
    chunk_payload_bytes_per_sample: Math.round(samples.payloadBytesPerItem * 100) / 100,
    series: samples.series,
    max_rss_mb: Math.round(rss.max / 1048576),
    // The machine is shared: items per second of the server's own CPU time is the figure that load hides least.
    spans_per_server_cpu_second: Math.round(spans.perServerCpuSecond),
    samples_per_server_cpu_second: Math.round(samples.perServerCpuSecond),
    load_average_1m: Math.round(os.loadavg()[0] * 10) / 10,
    cpus: os.cpus().length,
    decode_only_spans_per_second: Math.round(ceiling.spans),
    decode_convert_samples_per_second: Math.round(ceiling.samples),
    spans_vs_decode_only: Math.round((spans.perSecond / ceiling.spans) * 1000) / 1000,
    samples_vs_decode_convert: Math.round((samples.perSecond / ceiling.samples) * 1000) / 1000,
  };
  console.log(
    `spans/s ${result.spans_per_second} (decode alone ${result.decode_only_spans_per_second}), samples/s ${result.samples_per_second} (decode and conversion alone ${result.decode_convert_samples_per_second})`,
  );
  console.log(JSON.stringify(result));
}

await main();
