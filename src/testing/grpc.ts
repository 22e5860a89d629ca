// A unary gRPC call over HTTP/2 without TLS, for tests of the OTLP/gRPC listener: one connection per call.
import http2 from 'node:http2';

/** What a unary call got back: the HTTP status, the gRPC status and message (headers or trailers), the body. */
export interface GrpcAnswer {
  status: number;
  grpcStatus: string | undefined;
  grpcMessage: string | undefined;
  body: Buffer;
}

/** The OTLP Export method of each signal. */
export const OTLP_GRPC_PATHS = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
} as const;

/** Sends `body` (already framed) to `path` on `url` (http://host:port); rejects after `timeoutMs` without an answer. */
export async function grpcUnary(
  url: string,
  path: string,
  body: Buffer,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<GrpcAnswer> {
  const client = http2.connect(url);
  try {
    return await new Promise((resolve, reject) => {
      client.once('error', reject);
      const req = client.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        ...headers,
      });
      let status = 0;
      let meta: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      req.on('response', (h) => {
        status = Number(h[':status']);
        meta = { ...h };
      });
      req.on('trailers', (t) => {
        meta = { ...meta, ...t };
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        resolve({
          status,
          grpcStatus: meta['grpc-status'] as string | undefined,
          grpcMessage: meta['grpc-message'] as string | undefined,
          body: Buffer.concat(chunks),
        }),
      );
      req.on('error', reject);
      req.setTimeout(timeoutMs, () => reject(new Error(`no answer within ${timeoutMs} ms`)));
      req.end(body);
    });
  } finally {
    client.close();
  }
}
