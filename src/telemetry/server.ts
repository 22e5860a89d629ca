// A minimal /metrics endpoint for an Observer's registry (node:http; the workbench serves its own).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QobsConfigError } from '../errors.js';
import { CONTENT_TYPE } from './metrics.js';
import type { Observer } from './observer.js';

/** A running metrics server. */
export interface MetricsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `observer.metrics()` on `GET /metrics` (OpenMetrics with exemplars when the scraper asks for
 * `application/openmetrics-text`). Binds 127.0.0.1 unless `host` says otherwise; port 0 picks a free one.
 */
export async function startMetricsServer(
  observer: Observer,
  options: { port: number; host?: string },
): Promise<MetricsServer> {
  const { port, host = '127.0.0.1' } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new QobsConfigError('port', `must be an integer in 0..65535, got ${port}`);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const openMetrics = (req.headers.accept ?? '').includes('application/openmetrics-text');
    observer.metrics({ openMetrics }).then(
      (body) => {
        res.writeHead(200, {
          'content-type': openMetrics ? CONTENT_TYPE.openMetrics : CONTENT_TYPE.prometheus,
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}/metrics`,
    port: addr.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
