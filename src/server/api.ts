// The JSON API of :8000: Prometheus-shaped series/labels/metadata (and the PromQL query endpoints when the
// engine is mounted), traces search and lookup, logs search and live tail.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LabelMatcher, Store } from '../store/index.js';
import { StoreError } from '../store/index.js';

/** A framework-agnostic handler: query parameters in, status and JSON body out. */
export type ApiHandler = (
  params: Record<string, string>,
) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>;

/** PromQL endpoints by path (e.g. '/api/v1/query'); they replace the built-in listing handlers of the same path. */
export type QueryHandlers = Record<string, ApiHandler>;

const MAX_TAIL_CLIENTS = 32;

/** Parses a Prometheus series selector such as `up{job="a",x=~"b.*"}` into matchers (no PromQL beyond that). */
export function parseSelector(sel: string): LabelMatcher[] {
  const m = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$/s.exec(sel);
  if (!m || (!m[1] && m[2] === undefined))
    throw new StoreError('bad_selector', `invalid series selector '${sel}'`);
  const out: LabelMatcher[] = [];
  if (m[1]) out.push({ name: '__name__', op: '=', value: m[1] });
  const body = m[2] ?? '';
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/gy;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const mm = re.exec(body);
    if (!mm)
      throw new StoreError('bad_selector', `invalid matcher in '${sel}' at '${body.slice(pos, pos + 20)}'`);
    out.push({ name: mm[1], op: mm[2] as LabelMatcher['op'], value: JSON.parse(`"${mm[3]}"`) as string });
    pos = re.lastIndex;
    if (body.slice(pos).trim() === '') break;
  }
  if (out.length === 0) throw new StoreError('bad_selector', `selector '${sel}' has no matcher`);
  return out;
}

/** A Prometheus API time (seconds, fractional, or RFC 3339) in milliseconds. */
export function parseTimeMs(v: string | undefined, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isNaN(n)) return n * 1000;
  const d = Date.parse(v);
  if (Number.isNaN(d)) throw new StoreError('bad_time', `invalid time '${v}'`);
  return d;
}

function params(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const q = req.query as Record<string, string | string[]>;
  for (const k in q) out[k] = Array.isArray(q[k]) ? q[k][q[k].length - 1] : q[k];
  if (
    typeof req.body === 'string' &&
    /x-www-form-urlencoded/.test(String(req.headers['content-type'] ?? ''))
  ) {
    for (const [k, v] of new URLSearchParams(req.body)) out[k] = v;
  }
  return out;
}

function matchArgs(req: FastifyRequest): string[] {
  const all: string[] = [];
  const q = req.query as Record<string, string | string[]>;
  for (const key of ['match[]', 'match']) {
    const v = q[key];
    if (v !== undefined) all.push(...(Array.isArray(v) ? v : [v]));
  }
  if (
    typeof req.body === 'string' &&
    /x-www-form-urlencoded/.test(String(req.headers['content-type'] ?? ''))
  ) {
    all.push(...new URLSearchParams(req.body).getAll('match[]'));
  }
  return all;
}

function bad(reply: FastifyReply, err: unknown) {
  return reply.code(400).send({ status: 'error', errorType: 'bad_data', error: (err as Error).message });
}

/** Mounts the JSON API on `app`. */
export async function mountApi(app: FastifyInstance, store: Store, query?: QueryHandlers): Promise<void> {
  const builtins: Record<string, (req: FastifyRequest, reply: FastifyReply) => unknown> = {
    '/api/v1/series': (req, reply) => {
      const p = params(req);
      try {
        const start = parseTimeMs(p.start, Number.NEGATIVE_INFINITY);
        const end = parseTimeMs(p.end, Number.POSITIVE_INFINITY);
        const sels = matchArgs(req);
        if (sels.length === 0) return bad(reply, new Error('no match[] parameter given'));
        const seen = new Map<string, Record<string, string>>();
        for (const s of sels)
          for (const l of store.series(parseSelector(s), start, end)) seen.set(JSON.stringify(l), { ...l });
        return { status: 'success', data: [...seen.values()] };
      } catch (err) {
        return bad(reply, err);
      }
    },
    '/api/v1/labels': (req, reply) => {
      const p = params(req);
      try {
        const sels = matchArgs(req);
        const start = p.start ? parseTimeMs(p.start, 0) : undefined;
        const end = p.end ? parseTimeMs(p.end, 0) : undefined;
        const names = new Set<string>();
        if (sels.length === 0) for (const n of store.labelNames(undefined, start, end)) names.add(n);
        for (const s of sels) for (const n of store.labelNames(parseSelector(s), start, end)) names.add(n);
        return { status: 'success', data: [...names].sort() };
      } catch (err) {
        return bad(reply, err);
      }
    },
    '/api/v1/metadata': (req) => {
      const p = params(req);
      const all = store.metadata();
      const data = p.metric ? (all[p.metric] ? { [p.metric]: all[p.metric] } : {}) : all;
      return { status: 'success', data };
    },
  };
  for (const [path, h] of Object.entries(builtins)) {
    if (query?.[path]) continue;
    app.get(path, h);
    app.post(path, h);
  }
  app.get('/api/v1/label/:name/values', async (req, reply) => {
    const handler = query?.['/api/v1/label/:name/values'];
    const name = (req.params as { name: string }).name;
    if (handler) {
      const r = await handler({ ...params(req), name });
      return reply.code(r.status).send(r.body);
    }
    const p = params(req);
    try {
      const sels = matchArgs(req);
      const start = p.start ? parseTimeMs(p.start, 0) : undefined;
      const end = p.end ? parseTimeMs(p.end, 0) : undefined;
      const values = new Set<string>();
      if (sels.length === 0) for (const v of store.labelValues(name, undefined, start, end)) values.add(v);
      for (const s of sels)
        for (const v of store.labelValues(name, parseSelector(s), start, end)) values.add(v);
      return { status: 'success', data: [...values].sort() };
    } catch (err) {
      return bad(reply, err);
    }
  });
  for (const [path, handler] of Object.entries(query ?? {})) {
    if (path === '/api/v1/label/:name/values') continue;
    const h = async (req: FastifyRequest, reply: FastifyReply) => {
      const r = await handler(params(req));
      return reply.code(r.status).send(r.body);
    };
    app.get(path, h);
    app.post(path, h);
  }

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
    tailClients++;
    let cursor = store.lastLogId();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
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
