// OTLP/gRPC: the three Export services over HTTP/2 without TLS (what SDK exporters configured `insecure` speak,
// Python's default protocol among them), unary calls framed as gRPC says, into the same ingest as OTLP/HTTP.
import http2 from 'node:http2';
import { timingSafeEqual } from 'node:crypto';
import type { Signal } from '../ingest/index.js';

/** gRPC status codes used here (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const GRPC = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const SERVICES: Record<string, Signal> = {
  '/opentelemetry.proto.collector.trace.v1.TraceService/Export': 'traces',
  '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export': 'metrics',
  '/opentelemetry.proto.collector.logs.v1.LogsService/Export': 'logs',
};

/** Message encodings accepted (`grpc-encoding`); the ingest inflates them with its decompression limit. */
const ENCODINGS = new Set(['identity', 'gzip', 'deflate']);

/** A refusal as gRPC status and message. */
export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the listener needs of the workbench. */
export interface GrpcIngestHost {
  token: string | undefined;
  /** Largest message accepted, before decompression. */
  maxBodyBytes: number;
  /**
   * Admits a call before its message is read (backpressure: calls being received and ingested are the queue);
   * a GrpcError refuses it. Every admitted call is released once, when its stream closes.
   */
  admit(): void;
  release(): void;
  /** Counts a call refused for a malformed frame (as OTLP/HTTP counts a 400). */
  malformed(): void;
  /**
   * Ingests one Export request's message (protobuf, `encoding` as its grpc-encoding) as the OTLP/HTTP route
   * does and returns the Export*ServiceResponse bytes; throws GrpcError for a refusal.
   */
  ingest(signal: Signal, encoding: string | undefined, message: Buffer): Promise<Buffer>;
}

/**
 * The one message of a unary call's body: a 1-byte compressed flag, a 4-byte big-endian length, the message.
 * Throws GrpcError(INVALID_ARGUMENT) for anything else.
 */
export function unaryMessage(body: Buffer): { compressed: boolean; message: Buffer } {
  if (body.length < 5) throw new GrpcError(GRPC.INVALID_ARGUMENT, 'truncated gRPC message frame');
  const flag = body[0];
  if (flag > 1) throw new GrpcError(GRPC.INVALID_ARGUMENT, `invalid gRPC compressed flag ${flag}`);
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length)
    throw new GrpcError(
      GRPC.INVALID_ARGUMENT,
      `truncated gRPC message: ${body.length - 5} of ${length} bytes`,
    );
  if (body.length > 5 + length)
    throw new GrpcError(GRPC.INVALID_ARGUMENT, 'a unary call carries one message; more bytes followed it');
  return { compressed: flag === 1, message: body.subarray(5) };
}

/** A message framed for a gRPC body (uncompressed). */
export function frameMessage(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** grpc-message is percent-encoded outside printable ASCII (and '%' itself). */
export function encodeGrpcMessage(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'), (b) =>
    b >= 0x20 && b <= 0x7e && b !== 0x25
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
}

/** The running listener. */
export interface GrpcListener {
  port: number;
  close(): Promise<void>;
}

/** Starts the OTLP/gRPC listener on host:port (0: any free port). */
export async function startOtlpGrpc(
  host: GrpcIngestHost,
  bind: { host: string; port: number },
): Promise<GrpcListener> {
  const expected = host.token ? Buffer.from(`Bearer ${host.token}`) : undefined;
  // Streams per connection are bounded as in most gRPC servers; admit() bounds them across connections.
  const server = http2.createServer({ maxSessionMemory: 64, settings: { maxConcurrentStreams: 100 } });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    // An idle connection is closed after two minutes; exporters reconnect on their next export.
    s.setTimeout(120_000, () => s.close());
  });
  server.on('stream', (stream, headers) => {
    const fail = (code: number, message: string) => {
      if (stream.destroyed || stream.closed) return;
      // Trailers-only: status in the one HEADERS frame.
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(code),
          'grpc-message': encodeGrpcMessage(message),
        },
        { endStream: true },
      );
    };
    stream.on('error', () => {
      // a reset by the client: nothing to answer
    });
    const path = String(headers[':path'] ?? '');
    const signal = SERVICES[path];
    if (headers[':method'] !== 'POST' || !signal) {
      fail(GRPC.UNIMPLEMENTED, `no such method: ${path}`);
      stream.resume();
      return;
    }
    if (!String(headers['content-type'] ?? '').startsWith('application/grpc')) {
      stream.respond({ ':status': 415 }, { endStream: true });
      stream.resume();
      return;
    }
    if (expected) {
      const got = Buffer.from(String(headers.authorization ?? ''));
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        fail(GRPC.UNAUTHENTICATED, 'a bearer token is required (authorization metadata)');
        stream.resume();
        return;
      }
    }
    try {
      host.admit();
    } catch (err) {
      fail(err instanceof GrpcError ? err.code : GRPC.INTERNAL, (err as Error).message);
      stream.resume();
      return;
    }
    stream.once('close', () => host.release());
    // A call that sends nothing for two minutes gives its slot back (a stalled or trickling client).
    stream.setTimeout(120_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    const encoding = headers['grpc-encoding'] === undefined ? undefined : String(headers['grpc-encoding']);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    stream.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > host.maxBodyBytes + 5) {
        refused = true;
        // The answer is complete; what the client still sends is read and dropped.
        fail(GRPC.RESOURCE_EXHAUSTED, `message larger than the limit of ${host.maxBodyBytes} bytes`);
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    stream.on('end', () => {
      if (refused) return;
      (async () => {
        let frame: { compressed: boolean; message: Buffer };
        try {
          frame = unaryMessage(Buffer.concat(chunks));
        } catch (err) {
          host.malformed();
          throw err;
        }
        const { compressed, message } = frame;
        let contentEncoding: string | undefined;
        if (compressed) {
          if (!encoding || !ENCODINGS.has(encoding) || encoding === 'identity')
            throw new GrpcError(
              GRPC.UNIMPLEMENTED,
              `message compressed with '${encoding ?? 'nothing named'}'; accepted: gzip, deflate`,
            );
          contentEncoding = encoding;
        }
        const response = await host.ingest(signal, contentEncoding, message);
        if (stream.destroyed || stream.closed) return;
        stream.respond(
          {
            ':status': 200,
            'content-type': 'application/grpc',
            'grpc-accept-encoding': 'identity,gzip,deflate',
          },
          { waitForTrailers: true },
        );
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(GRPC.OK) }));
        stream.end(frameMessage(response));
      })().catch((err: unknown) => {
        if (err instanceof GrpcError) fail(err.code, err.message);
        else fail(GRPC.INTERNAL, `internal error: ${(err as Error).message}`);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.destroy();
      }),
  };
}
