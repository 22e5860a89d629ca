// The JSON API of :8000: the PromQL module's Prometheus-shaped endpoints over the store, traces search and
// lookup, logs search and live tail.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type ApiParams,
  createEngine,
  handleLabels,
  handleLabelValues,
  handleMetadata,
  handleQuery,
  handleQueryRange,
  handleSeries,
} from '../promql/index.js';
import type { Store } from '../store/index.js';
import { StoreError } from '../store/index.js';
import { classifyStorageFault } from './storage-faults.js';

const MAX_TAIL_CLIENTS = 32;

/** A Prometheus API time (seconds, fractional, or RFC 3339) in milliseconds. */
export function parseTimeMs(v: string | undefined, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isNaN(n)) return n * 1000;
  const d = Date.parse(v);
  if (Number.isNaN(d)) throw new StoreError('bad_time', `invalid time '${v}'`);
  return d;
}

/** Query and form parameters, repeated keys (match[]) as arrays, as the PromQL handlers take them. */
function apiParams(req: FastifyRequest): ApiParams {
  const out: ApiParams = {};
  const add = (k: string, v: string) => {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  };
  const q = req.query as Record<string, string | string[]>;
  for (const k in q) for (const v of ([] as string[]).concat(q[k])) add(k, v);
  if (
    typeof req.body === 'string' &&
    /x-www-form-urlencoded/.test(String(req.headers['content-type'] ?? ''))
  ) {
    for (const [k, v] of new URLSearchParams(req.body)) add(k, v);
  }
  return out;
}

function params(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const all = apiParams(req);
  for (const k in all) {
    const v = all[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? v[v.length - 1] : v;
  }
  return out;
}

/** Mounts the JSON API on `app`. */
export async function mountApi(app: FastifyInstance, store: Store): Promise<void> {
  // The Prometheus-shaped API is the PromQL module's; the store is its series source.
  const engine = createEngine(store);
  const routes: Array<[string, typeof handleQuery]> = [
    ['/api/v1/query', handleQuery],
    ['/api/v1/query_range', handleQueryRange],
    ['/api/v1/series', handleSeries],
    ['/api/v1/labels', handleLabels],
    ['/api/v1/metadata', handleMetadata],
  ];
  for (const [path, handle] of routes) {
    const h = async (req: FastifyRequest, reply: FastifyReply) => {
      const r = handle(engine, store, apiParams(req));
      return reply.code(r.status).send(r.body);
    };
    app.get(path, h);
    app.post(path, h);
  }
  app.get('/api/v1/label/:name/values', async (req, reply) => {
    const name = (req.params as { name: string }).name;
    const r = handleLabelValues(engine, store, { ...apiParams(req), name });
    return reply.code(r.status).send(r.body);
  });

  // ---- traces
  app.get('/api/traces', async (req, reply) => {
    const q = req.query as Record<string, string | string[]>;
    const one = (k: string) => (Array.isArray(q[k]) ? (q[k] as string[])[0] : (q[k] as string | undefined));
    const attrs: Array<[string, string]> = [];
    for (const a of ([] as string[]).concat(q.attr ?? [])) {
      const i = a.indexOf('=');
      if (i <= 0) return reply.code(400).send({ error: `attr must be key=value, got '${a}'` });
      attrs.push([a.slice(0, i), a.slice(i + 1)]);
    }
    const num = (k: string) => {
      const v = one(k);
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      if (Number.isNaN(n)) throw new StoreError('bad_param', `${k} must be a number, got '${v}'`);
      return n;
    };
    try {
      const traces = store.searchTraces({
        service: one('service') || undefined,
        attributes: attrs,
        minDurationMs: num('min_duration_ms'),
        startMs: one('start') ? parseTimeMs(one('start'), 0) : undefined,
        endMs: one('end') ? parseTimeMs(one('end'), 0) : undefined,
        limit: num('limit'),
      });
      return { traces };
    } catch (err) {
      // Bad parameters (a malformed attribute path too) are 400; a storage fault goes to the error handler.
      if (classifyStorageFault(err)) throw err;
      return reply.code(400).send({ error: (err as Error).message });
    }
  });
  app.get('/api/traces/:traceId', async (req, reply) => {
    const id = (req.params as { traceId: string }).traceId;
    if (!/^[0-9a-fA-F]{32}$/.test(id)) return reply.code(400).send({ error: 'a trace id is 32 hex digits' });
    const spans = store.getTrace(id);
    if (spans.length === 0) return reply.code(404).send({ error: `trace ${id} not found` });
    return { traceId: id.toLowerCase(), spans };
  });

  // ---- logs
  const logQuery = (req: FastifyRequest) => {
    const p = params(req);
    return {
      q: p.q || undefined,
      level: p.level || undefined,
      eventType: p.event_type || undefined,
      traceId: p.trace_id || undefined,
      startMs: p.start ? parseTimeMs(p.start, 0) : undefined,
      endMs: p.end ? parseTimeMs(p.end, 0) : undefined,
      limit: p.limit ? Number(p.limit) : undefined,
    };
  };
  app.get('/api/logs', async (req, reply) => {
    try {
      return { logs: store.searchLogs(logQuery(req)) };
    } catch (err) {
      if (classifyStorageFault(err)) throw err;
      return reply.code(400).send({ error: (err as Error).message });
    }
  });
  let tailClients = 0;
  // Live tail as server-sent events: one `data:` line per new matching record.
  app.get('/api/logs/tail', async (req, reply) => {
    if (tailClients >= MAX_TAIL_CLIENTS)
      return reply.code(503).header('retry-after', '5').send({ error: 'too many tail clients' });
    let q: ReturnType<typeof logQuery>;
    try {
      q = logQuery(req);
      store.searchLogs({ ...q, limit: 1 });
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
    // HEAD (Fastify's automatic twin of this GET) has no body to stream: answering it as a stream left the
    // client waiting and a tail slot taken until it hung up.
    if (req.method === 'HEAD') return reply.code(200).type('text/event-stream').send();
    tailClients++;
    let cursor = store.lastLogId();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    res.write(': tailing\n\n');
    const unsubscribe = store.onLogs(() => {
      if (res.writableLength > 1 << 20) return; // a slow reader skips ahead instead of growing the buffer
      for (const l of store.searchLogs({ ...q, afterId: cursor, limit: 500 })) {
        cursor = l.id;
        res.write(`data: ${JSON.stringify(l)}\n\n`);
      }
      cursor = Math.max(cursor, store.lastLogId());
    });
    const done = () => {
      unsubscribe();
      tailClients--;
    };
    req.raw.on('close', done);
  });
}
