// OTLP/HTTP request handling independent of the HTTP framework: content type and encoding checks, gzip with a
// bound on the inflated size, protobuf or JSON decoding, secret redaction, conversion, and the response body.
import { gunzipSync, inflateSync } from 'node:zlib';
import { QobsError } from '../errors.js';
import type {
  Attributes,
  IngestBatch,
  IngestResult,
  LogIn,
  ScopeInfo,
  SpanIn,
  Store,
} from '../store/index.js';
import { type Finding, redactSecrets, redactText } from '../telemetry/index.js';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './otlp-json.js';
import { decodeLogsProto, decodeMetricsProto, decodeTracesProto } from './otlp-proto.js';
import { convertMetrics } from './prom-names.js';
import { MalformedPayloadError } from './wire.js';

export type Signal = 'traces' | 'metrics' | 'logs';

/** An OTLP request refused with an HTTP status (400, 413, 415). */
export class OtlpRequestError extends QobsError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(
      status === 413
        ? 'ingest_too_large'
        : status === 415
          ? 'ingest_unsupported_media_type'
          : 'ingest_malformed',
      message,
    );
    this.status = status;
  }
}

/** Counters of OTLP ingest, for /metrics. */
export interface OtlpStats {
  requests: Record<Signal, number>;
  accepted: Record<Signal, number>;
  rejected: Record<Signal, number>;
  malformed: number;
  invalidUtf8: number;
  secretsRedacted: number;
}

export function newOtlpStats(): OtlpStats {
  return {
    requests: { traces: 0, metrics: 0, logs: 0 },
    accepted: { traces: 0, metrics: 0, logs: 0 },
    rejected: { traces: 0, metrics: 0, logs: 0 },
    malformed: 0,
    invalidUtf8: 0,
    secretsRedacted: 0,
  };
}

/** The answer of an OTLP request: status, content type and body. */
export interface OtlpResponse {
  status: number;
  contentType: string;
  body: Buffer | string;
  /** On a 2xx: what was stored, decoded, filtered and redacted (spans and logs as a reader gets them). */
  batch?: IngestBatch;
}

const REJECTED_FIELD: Record<Signal, string> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
};

/** Inflates a gzip or deflate body, refusing to produce more than `maxBytes` (gzip bombs). */
export function decodeContentEncoding(body: Buffer, encoding: string | undefined, maxBytes: number): Buffer {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  if (enc === 'identity' || enc === '') return body;
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return gunzipSync(body, { maxOutputLength: maxBytes });
    if (enc === 'deflate') return inflateSync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
      throw new OtlpRequestError(413, `the ${enc} body inflates past the limit of ${maxBytes} bytes`);
    throw new OtlpRequestError(400, `the ${enc} body does not decompress: ${(err as Error).message}`);
  }
  throw new OtlpRequestError(415, `unsupported Content-Encoding '${enc}' (use gzip, deflate or identity)`);
}

/** 'protobuf' or 'json' for a Content-Type, else an OtlpRequestError with status 415. */
export function mediaKind(contentType: string | undefined): 'protobuf' | 'json' {
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (ct === 'application/x-protobuf' || ct === 'application/protobuf') return 'protobuf';
  if (ct === 'application/json') return 'json';
  throw new OtlpRequestError(
    415,
    `unsupported Content-Type '${ct}' (use application/x-protobuf or application/json)`,
  );
}

/**
 * Redaction of one request's shared parts: resources and scopes are objects shared by every item of a
 * ResourceSpans/ScopeSpans (the store caches their JSON, and encoders group, by identity), so each distinct
 * object is redacted once and its redacted copy is shared in its place.
 */
class SharedRedactor {
  private readonly resources = new Map<Attributes, Attributes>();
  private readonly scopes = new Map<ScopeInfo, ScopeInfo>();
  found = 0;

  resource(r: Attributes): Attributes {
    return this.once(this.resources, r);
  }

  scope(s: ScopeInfo): ScopeInfo {
    return this.once(this.scopes, s);
  }

  private once<T extends object>(done: Map<T, T>, v: T): T {
    let out = done.get(v);
    if (out === undefined) {
      out = this.value(v);
      done.set(v, out);
    }
    return out;
  }

  /** `v` redacted (a copy only when something was found), counting the findings. */
  value<T>(v: T): T {
    const r = redactSecrets(v);
    if (r.findings.length === 0) return v;
    this.found += r.findings.length;
    return r.value;
  }

  text(t: string, path: string): string {
    const findings: Finding[] = [];
    const out = redactText(t, path, findings);
    this.found += findings.length;
    return out;
  }
}

/** Redacts every text field of spans that the store keeps: name, status message, attributes of the span, its
 * events and links, resource and scope. Returns the number of secrets found. */
function redactSpans(spans: SpanIn[], stats: OtlpStats): number {
  const r = new SharedRedactor();
  for (const s of spans) {
    s.name = r.text(s.name, 'name');
    s.statusMessage = r.text(s.statusMessage, 'status.message');
    s.attributes = r.value(s.attributes);
    for (const e of s.events) {
      e.name = r.text(e.name, 'events.name');
      e.attributes = r.value(e.attributes);
    }
    for (const l of s.links) l.attributes = r.value(l.attributes);
    s.resource = r.resource(s.resource);
    s.scope = r.scope(s.scope);
  }
  stats.secretsRedacted += r.found;
  return r.found;
}

/** Redacts log bodies, attributes, event names, resources and scopes; returns the number of secrets found. */
function redactLogs(logs: LogIn[], stats: OtlpStats): number {
  const r = new SharedRedactor();
  for (const l of logs) {
    l.body = r.value(l.body);
    l.attributes = r.value(l.attributes);
    l.eventName = r.text(l.eventName, 'event_name');
    l.resource = r.resource(l.resource);
    l.scope = r.scope(l.scope);
  }
  stats.secretsRedacted += r.found;
  return r.found;
}

/**
 * A security event recording that ingest redacted secrets (the DESIGN's credential_exposure_detected);
 * `source` says where they came from (`otlp traces`, `push`).
 */
export function securityEvent(source: string, count: number): LogIn {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    timeUnixNano: now,
    observedTimeUnixNano: now,
    severityNumber: 13,
    severityText: 'WARN',
    body: `redacted ${count} secret(s) from ingested ${source.replace(/^otlp /, '')}`,
    attributes: {
      event_type: 'quantum_security_event',
      security_event_type: 'credential_exposure_detected',
      severity: 'high',
      security_details: { source, count },
    },
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
    resource: { 'service.name': 'qobs' },
    scope: { name: 'qobs.ingest', version: '' },
  };
}

/**
 * Decodes one OTLP request body (already inflated) into a store batch. Throws OtlpRequestError(400) when
 * the body is malformed.
 */
export function decodeOtlp(
  signal: Signal,
  kind: 'protobuf' | 'json',
  body: Buffer,
  stats: OtlpStats,
): { batch: IngestBatch; rejected: number; reasons: string[]; items: number } {
  try {
    let json: unknown;
    if (kind === 'json') {
      // fatal: invalid UTF-8 in a JSON body is a malformed request, not something to guess at.
      const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      json = text.trim() === '' ? {} : JSON.parse(text);
    }
    if (signal === 'traces') {
      let spans: SpanIn[];
      if (kind === 'json') spans = decodeTracesJson(json);
      else {
        const d = decodeTracesProto(body);
        spans = d.spans;
        stats.invalidUtf8 += d.invalidUtf8;
      }
      const valid = spans.filter(
        (s) => s.traceId.length === 32 && s.spanId.length === 16 && !/^0+$/.test(s.traceId),
      );
      const found = redactSpans(valid, stats);
      const rejected = spans.length - valid.length;
      return {
        batch: { spans: valid, logs: found > 0 ? [securityEvent(`otlp ${signal}`, found)] : undefined },
        rejected,
        reasons: rejected > 0 ? ['spans need a 16-byte non-zero trace id and an 8-byte span id'] : [],
        items: spans.length,
      };
    }
    if (signal === 'logs') {
      let logs: LogIn[];
      if (kind === 'json') logs = decodeLogsJson(json);
      else {
        const d = decodeLogsProto(body);
        logs = d.logs;
        stats.invalidUtf8 += d.invalidUtf8;
      }
      const found = redactLogs(logs, stats);
      if (found > 0) logs.push(securityEvent(`otlp ${signal}`, found));
      return { batch: { logs }, rejected: 0, reasons: [], items: logs.length };
    }
    let rms: ReturnType<typeof decodeMetricsJson>;
    if (kind === 'json') rms = decodeMetricsJson(json);
    else {
      const d = decodeMetricsProto(body, { lazyAttributes: true });
      rms = d.resourceMetrics;
      stats.invalidUtf8 += d.invalidUtf8;
    }
    const c = convertMetrics(rms);
    stats.invalidUtf8 += c.invalidUtf8;
    stats.secretsRedacted += c.secretsRedacted;
    return {
      batch: {
        samples: c.samples,
        metadata: c.metadata,
        logs: c.secretsRedacted > 0 ? [securityEvent(`otlp ${signal}`, c.secretsRedacted)] : undefined,
      },
      rejected: c.rejected,
      reasons: c.reasons,
      items: c.samples.length,
    };
  } catch (err) {
    if (
      err instanceof MalformedPayloadError ||
      err instanceof SyntaxError ||
      err instanceof TypeError ||
      err instanceof RangeError // JSON nested past the stack
    ) {
      stats.malformed++;
      throw new OtlpRequestError(400, `malformed OTLP ${signal} ${kind} body: ${err.message}`);
    }
    throw err;
  }
}

/** Encodes an Export*ServiceResponse with partial success (empty when nothing was rejected). */
export function encodeResponse(
  signal: Signal,
  kind: 'protobuf' | 'json',
  rejected: number,
  message: string,
): { contentType: string; body: Buffer | string } {
  if (kind === 'json') {
    const body =
      rejected > 0
        ? { partialSuccess: { [REJECTED_FIELD[signal]]: String(rejected), errorMessage: message } }
        : {};
    return { contentType: 'application/json', body: JSON.stringify(body) };
  }
  if (rejected === 0) return { contentType: 'application/x-protobuf', body: Buffer.alloc(0) };
  const msg = Buffer.from(message, 'utf8');
  const inner = Buffer.concat([
    Buffer.from([0x08]),
    varint(rejected),
    Buffer.from([0x12]),
    varint(msg.length),
    msg,
  ]);
  return {
    contentType: 'application/x-protobuf',
    body: Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]),
  };
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** Why samples of an accepted batch were not stored (out of order, limits), for partial-success messages. */
export function limitReasons(store: Store, r: IngestResult): string[] {
  const out: string[] = [];
  if (r.samplesOutOfOrder > 0)
    out.push(`${r.samplesOutOfOrder} sample(s) older than their series' latest were dropped`);
  if (r.samplesSeriesLimit > 0)
    out.push(
      `${r.samplesSeriesLimit} sample(s) dropped: their metric has reached its limit of ${store.maxSeriesPerMetric} series (limits.max_series_per_metric)`,
    );
  if (r.samplesLabelValueTooLong > 0)
    out.push(
      `${r.samplesLabelValueTooLong} sample(s) dropped: a label value is longer than ${store.maxLabelValueLength} characters (limits.max_label_value_length)`,
    );
  return out;
}

/** Decodes and stores one OTLP request; the 200 is returned only after the store committed it. */
export function ingestOtlp(
  store: Store,
  signal: Signal,
  contentType: string | undefined,
  contentEncoding: string | undefined,
  raw: Buffer,
  maxBytes: number,
  stats: OtlpStats,
): OtlpResponse {
  const d = decodeRequest(signal, contentType, contentEncoding, raw, maxBytes, stats);
  return respond(store, signal, d, store.ingest(d.batch), stats);
}

type DecodedRequest = ReturnType<typeof decodeOtlp> & { kind: 'protobuf' | 'json' };

function decodeRequest(
  signal: Signal,
  contentType: string | undefined,
  contentEncoding: string | undefined,
  raw: Buffer,
  maxBytes: number,
  stats: OtlpStats,
): DecodedRequest {
  stats.requests[signal]++;
  const kind = mediaKind(contentType);
  const body = decodeContentEncoding(raw, contentEncoding, maxBytes);
  return { ...decodeOtlp(signal, kind, body, stats), kind };
}

function respond(
  store: Store,
  signal: Signal,
  d: DecodedRequest,
  r: IngestResult,
  stats: OtlpStats,
): OtlpResponse {
  let rejected = d.rejected;
  const reasons = [...d.reasons];
  if (signal === 'metrics') {
    rejected += r.samplesOutOfOrder + r.samplesSeriesLimit + r.samplesLabelValueTooLong;
    reasons.push(...limitReasons(store, r));
  }
  const accepted =
    signal === 'traces'
      ? r.spansAccepted + r.spansDuplicate
      : signal === 'logs'
        ? r.logsAccepted
        : r.samplesAccepted;
  stats.accepted[signal] += accepted;
  stats.rejected[signal] += rejected;
  const res = encodeResponse(signal, d.kind, rejected, reasons.join('; '));
  return { status: 200, ...res, batch: d.batch };
}

interface Pending {
  signal: Signal;
  decoded: DecodedRequest;
  stats: OtlpStats;
  resolve: (r: OtlpResponse) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit of OTLP requests: each request is decoded at once (a malformed one is refused at once), then
 * waits for the next commit, which writes every request queued by then in one transaction
 * (`Store.ingestMany`); each promise settles after that commit, with its own partial-success answer, or with
 * the StoreError when the commit failed. Concurrent exporters then share one commit instead of paying one
 * each. Bounded: at most `maxBatch` requests a commit (more wait for the next).
 */
export class OtlpIngestQueue {
  private pending: Pending[] = [];
  private scheduled = false;
  /** Commits done, and requests they held (for the mean group size). */
  readonly counts = { commits: 0, requests: 0 };

  constructor(
    private readonly store: Store,
    private readonly maxBatch = 16,
  ) {}

  /** As `ingestOtlp`, answered after the commit that holds the request. */
  ingest(
    signal: Signal,
    contentType: string | undefined,
    contentEncoding: string | undefined,
    raw: Buffer,
    maxBytes: number,
    stats: OtlpStats,
  ): Promise<OtlpResponse> {
    let decoded: DecodedRequest;
    try {
      decoded = decodeRequest(signal, contentType, contentEncoding, raw, maxBytes, stats);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ signal, decoded, stats, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O phase: requests whose bodies completed in the same turn join this commit.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const group = this.pending.splice(0, this.maxBatch);
    if (this.pending.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    if (group.length === 0) return;
    let results: IngestResult[];
    try {
      results = this.store.ingestMany(group.map((p) => p.decoded.batch));
    } catch (err) {
      for (const p of group) p.reject(err);
      return;
    }
    this.counts.commits++;
    this.counts.requests += group.length;
    for (let i = 0; i < group.length; i++) {
      const p = group[i];
      try {
        p.resolve(respond(this.store, p.signal, p.decoded, results[i], p.stats));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}

const queues = new WeakMap<Store, OtlpIngestQueue>();

/**
 * `ingestOtlp` with group commit (see OtlpIngestQueue), one queue per store: the same arguments, answered
 * after the commit that holds the request.
 */
export function ingestOtlpQueued(
  store: Store,
  signal: Signal,
  contentType: string | undefined,
  contentEncoding: string | undefined,
  raw: Buffer,
  maxBytes: number,
  stats: OtlpStats,
): Promise<OtlpResponse> {
  let q = queues.get(store);
  if (!q) {
    q = new OtlpIngestQueue(store);
    queues.set(store, q);
  }
  return q.ingest(signal, contentType, contentEncoding, raw, maxBytes, stats);
}
