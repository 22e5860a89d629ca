// Reading the workbench's JSON APIs (traces, logs, alerts, silences, devices, costs) into the shapes the
// pages draw. Field names are read leniently (camelCase or snake_case) so the pages survive small drifts.
import { authToken, getJson, sendJson } from './api.js';

type Json = Record<string, unknown>;

function pick(o: Json, ...keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
}
function str(v: unknown): string {
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
}
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

/** A timestamp in ms from ms, seconds, nanoseconds (number or string) or ISO text. */
export function toMs(v: unknown): number | undefined {
  if (typeof v === 'string' && !/^\d+(\.\d+)?$/.test(v)) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  const n = num(v);
  if (n === undefined) return undefined;
  if (n > 1e17) return n / 1e6; // nanoseconds
  if (n > 1e14) return n / 1e3; // microseconds
  if (n < 1e11) return n * 1000; // seconds
  return n;
}

/** Attributes as a flat record, from an object or OTLP's [{key, value}] list. */
export function attrsOf(v: unknown): Record<string, unknown> {
  if (Array.isArray(v)) {
    const out: Record<string, unknown> = {};
    for (const kv of v as Json[]) {
      const val = kv.value as Json | undefined;
      out[str(kv.key)] = val && typeof val === 'object' ? (Object.values(val)[0] ?? null) : val;
    }
    return out;
  }
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

/** One trace in a search result. */
export interface TraceSummary {
  readonly traceId: string;
  readonly rootName: string;
  readonly service: string;
  readonly startMs: number | undefined;
  readonly durationMs: number | undefined;
  readonly spanCount: number | undefined;
  readonly error: boolean;
}

/** One span of a trace. */
export interface SpanView {
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly service: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Record<string, unknown>;
  readonly events: readonly {
    name: string;
    timeMs: number | undefined;
    attributes: Record<string, unknown>;
  }[];
  readonly statusCode: string;
  readonly statusMessage: string;
}

/** One log record. */
export interface LogView {
  readonly key: string;
  readonly timeMs: number | undefined;
  readonly level: string;
  readonly message: string;
  readonly eventType: string;
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Every field of the record, for the detail view and the executions table. */
  readonly fields: Record<string, unknown>;
}

function listOf(doc: unknown, key: string): Json[] {
  if (Array.isArray(doc)) return doc as Json[];
  const v = (doc as Json)[key] ?? (doc as Json).data;
  return Array.isArray(v) ? (v as Json[]) : [];
}

function traceSummary(t: Json): TraceSummary {
  const startMs = toMs(
    pick(t, 'startMs', 'start_ms', 'startTimeMs', 'startTimeUnixNano', 'start_time_unix_nano', 'start'),
  );
  let durationMs = num(pick(t, 'durationMs', 'duration_ms'));
  const endMs = toMs(pick(t, 'endMs', 'end_ms', 'endTimeMs', 'endTimeUnixNano', 'end'));
  if (durationMs === undefined && startMs !== undefined && endMs !== undefined) durationMs = endMs - startMs;
  return {
    traceId: str(pick(t, 'traceId', 'trace_id', 'id')),
    rootName: str(pick(t, 'rootName', 'root_name', 'rootSpanName', 'name')),
    service: str(pick(t, 'service', 'rootService', 'serviceName', 'service_name')),
    startMs,
    durationMs,
    spanCount: num(pick(t, 'spanCount', 'span_count', 'spans')),
    error:
      Boolean(pick(t, 'error', 'hasError', 'errors')) || (num(pick(t, 'errorCount', 'error_count')) ?? 0) > 0,
  };
}

function spanView(s: Json): SpanView {
  const startMs =
    toMs(pick(s, 'startMs', 'start_ms', 'startTimeMs', 'startTimeUnixNano', 'start_time_unix_nano')) ?? 0;
  let endMs = toMs(pick(s, 'endMs', 'end_ms', 'endTimeMs', 'endTimeUnixNano', 'end_time_unix_nano'));
  const d = num(pick(s, 'durationMs', 'duration_ms'));
  if (endMs === undefined) endMs = startMs + (d ?? 0);
  const status = pick(s, 'status') as Json | undefined;
  const resource = attrsOf(pick(s, 'resource'));
  return {
    spanId: str(pick(s, 'spanId', 'span_id')),
    parentSpanId: str(pick(s, 'parentSpanId', 'parent_span_id', 'parentId')),
    name: str(pick(s, 'name')),
    service: str(pick(s, 'service', 'serviceName', 'service_name') ?? resource['service.name']),
    startMs,
    endMs,
    attributes: attrsOf(pick(s, 'attributes')),
    events: (Array.isArray(s.events) ? (s.events as Json[]) : []).map((e) => ({
      name: str(e.name),
      timeMs: toMs(pick(e, 'timeMs', 'time_ms', 'timeUnixNano', 'time_unix_nano', 'time')),
      attributes: attrsOf(e.attributes),
    })),
    statusCode: str(
      pick(s, 'statusCode', 'status_code') ?? (status && typeof status === 'object' ? status.code : status),
    ),
    statusMessage: str(
      pick(s, 'statusMessage', 'status_message') ??
        (status && typeof status === 'object' ? status.message : ''),
    ),
  };
}

const KNOWN_LOG_FIELDS = new Set(['timestamp', 'time', 'level', 'msg', 'message', 'body']);

/** Reads one log record (as `/api/logs` and the live tail send it). */
export function logView(l: Json, i: number): LogView {
  const fields = {
    ...attrsOf(pick(l, 'attributes', 'fields')),
    ...Object.fromEntries(Object.entries(l).filter(([k]) => k !== 'attributes' && k !== 'fields')),
  };
  const timeMs = toMs(pick(l, 'timeMs', 'time_ms', 'timestamp', 'time', 'timeUnixNano'));
  const body = pick(l, 'message', 'msg', 'body');
  const traceId = str(pick(l, 'traceId', 'trace_id') ?? fields.trace_id);
  return {
    key: str(pick(l, 'id', 'rowid')) || `${timeMs}-${traceId}-${str(body)}-${i}`,
    timeMs,
    level: str(pick(l, 'level', 'severityText', 'severity_text', 'severity')).toLowerCase(),
    message: str(body),
    eventType: str(pick(l, 'eventType', 'event_type') ?? fields.event_type),
    service: str(pick(l, 'service', 'serviceName', 'service_name') ?? fields.service),
    traceId,
    spanId: str(pick(l, 'spanId', 'span_id') ?? fields.span_id),
    fields: Object.fromEntries(Object.entries(fields).filter(([k]) => !KNOWN_LOG_FIELDS.has(k))),
  };
}

/** `GET /api/traces`: traces matching a search in a range. */
export async function searchTraces(p: {
  service?: string;
  attr?: string;
  minDurationMs?: number;
  startMs: number;
  endMs: number;
  limit?: number;
}): Promise<TraceSummary[]> {
  const doc = await getJson<unknown>('/api/traces', {
    service: p.service,
    attr: p.attr,
    min_duration_ms: p.minDurationMs,
    // The workbench reads times as Prometheus does: seconds (or RFC 3339).
    start: p.startMs / 1000,
    end: p.endMs / 1000,
    limit: p.limit,
  });
  return listOf(doc, 'traces').map(traceSummary);
}

/** `GET /api/traces/<id>`: the spans of one trace, by start time. */
export async function getTrace(traceId: string): Promise<SpanView[]> {
  const doc = await getJson<unknown>(`/api/traces/${encodeURIComponent(traceId)}`);
  return listOf(doc, 'spans')
    .map(spanView)
    .sort((a, b) => a.startMs - b.startMs);
}

/** `GET /api/logs`: log records matching a search, newest first. */
export async function searchLogs(p: {
  q?: string;
  level?: string;
  eventType?: string;
  traceId?: string;
  startMs?: number;
  endMs?: number;
  limit?: number;
}): Promise<LogView[]> {
  const doc = await getJson<unknown>('/api/logs', {
    q: p.q,
    level: p.level,
    event_type: p.eventType,
    trace_id: p.traceId,
    start: p.startMs === undefined ? undefined : p.startMs / 1000,
    end: p.endMs === undefined ? undefined : p.endMs / 1000,
    limit: p.limit,
  });
  return listOf(doc, 'logs')
    .map(logView)
    .sort((a, b) => (b.timeMs ?? 0) - (a.timeMs ?? 0));
}

/**
 * Follows `/api/logs/tail` (server-sent events, one record per message) with the same filters as a search.
 * Returns the closer; `onError` is called once when the stream cannot be opened or breaks.
 */
export function tailLogs(
  p: { q?: string; level?: string; eventType?: string; traceId?: string },
  onLog: (l: LogView) => void,
  onError: () => void,
): () => void {
  const q = new URLSearchParams();
  if (p.q) q.set('q', p.q);
  if (p.level) q.set('level', p.level);
  if (p.eventType) q.set('event_type', p.eventType);
  if (p.traceId) q.set('trace_id', p.traceId);
  // EventSource cannot send an Authorization header: with a token, the page polls instead.
  if (authToken()) {
    queueMicrotask(onError);
    return () => {};
  }
  const qs = q.toString();
  const es = new EventSource(`/api/logs/tail${qs ? `?${qs}` : ''}`);
  let n = 0;
  let failed = false;
  es.onmessage = (ev) => {
    try {
      onLog(logView(JSON.parse(ev.data) as Json, n++));
    } catch {
      // a malformed line is skipped; the next one may be fine
    }
  };
  es.onerror = () => {
    if (failed) return;
    failed = true;
    es.close();
    onError();
  };
  return () => es.close();
}

/** A firing or pending alert. */
export interface AlertView {
  readonly name: string;
  readonly state: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly sinceMs: number | undefined;
  readonly value: string;
}

/** A silence. */
export interface SilenceView {
  readonly id: string;
  readonly matchers: readonly { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
  readonly startsMs: number | undefined;
  readonly endsMs: number | undefined;
  readonly createdBy: string;
  readonly comment: string;
  readonly state: string;
}

function strRecord(v: unknown): Record<string, string> {
  const o = attrsOf(v);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, str(x)]));
}

/** The canonical key of a label set, to join the rule evaluator's alerts with the router's. */
export function labelsKey(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

/**
 * Firing and pending alerts from the rule evaluator (`GET /api/v1/alerts`, Prometheus' shape), each marked
 * with the silences the router applies to it (`GET /api/v2/alerts`, Alertmanager's shape) when it has them.
 */
export async function listAlerts(): Promise<(AlertView & { silencedBy: string[] })[]> {
  const doc = (await getJson<Json>('/api/v1/alerts')) as { data?: { alerts?: Json[] } };
  const routed = await getJson<Json[]>('/api/v2/alerts').catch(() => [] as Json[]);
  const silenced = new Map<string, string[]>();
  for (const r of Array.isArray(routed) ? routed : []) {
    const st = r.status as { silencedBy?: string[] } | undefined;
    if (st?.silencedBy?.length) silenced.set(labelsKey(strRecord(r.labels)), st.silencedBy);
  }
  return (doc.data?.alerts ?? []).map((a) => {
    const labels = strRecord(a.labels);
    return {
      name: labels.alertname ?? str(a.name),
      state: str(a.state).toLowerCase(),
      labels,
      annotations: strRecord(a.annotations),
      sinceMs: toMs(pick(a, 'activeAt', 'startsAt')),
      value: str(a.value),
      silencedBy: silenced.get(labelsKey(labels)) ?? [],
    };
  });
}

/** `GET /api/v2/silences` (Alertmanager's shape). */
export async function listSilences(): Promise<SilenceView[]> {
  const doc = await getJson<unknown>('/api/v2/silences');
  return listOf(doc, 'silences').map((s) => {
    const status = s.status as Json | undefined;
    return {
      id: str(pick(s, 'id', 'silenceID')),
      matchers: (Array.isArray(s.matchers) ? (s.matchers as Json[]) : []).map((m) => ({
        name: str(m.name),
        value: str(m.value),
        isRegex: m.isRegex === true,
        isEqual: m.isEqual !== false,
      })),
      startsMs: toMs(s.startsAt),
      endsMs: toMs(s.endsAt),
      createdBy: str(s.createdBy),
      comment: str(s.comment),
      state: str(status && typeof status === 'object' ? status.state : status).toLowerCase(),
    };
  });
}

/** `POST /api/v2/silences` with Alertmanager's body; returns the new silence's id. */
export async function createSilence(p: {
  matchers: readonly { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
  startsMs: number;
  endsMs: number;
  createdBy: string;
  comment: string;
}): Promise<string> {
  const doc = await sendJson<Json>('POST', '/api/v2/silences', {
    matchers: p.matchers,
    startsAt: new Date(p.startsMs).toISOString(),
    endsAt: new Date(p.endsMs).toISOString(),
    createdBy: p.createdBy,
    comment: p.comment,
  });
  return str(pick(doc, 'silenceID', 'id'));
}

/** `DELETE /api/v2/silence/<id>`: expires a silence. */
export async function expireSilence(id: string): Promise<void> {
  await sendJson<unknown>('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
}

/** Raw JSON of the devices and costs APIs (drawn by their pages). */
export async function getDoc(
  path: string,
  params: Record<string, string | number | undefined> = {},
): Promise<Json> {
  const doc = await getJson<unknown>(path, params);
  return (Array.isArray(doc) ? { items: doc } : doc) as Json;
}

export { num as toNumber, pick, str as toText };
