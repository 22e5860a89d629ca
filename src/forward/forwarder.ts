// Sends queued OTLP requests downstream (a Collector, Tempo, Jaeger, Loki or another qobs): up to a few
// requests in flight per signal, OTLP/HTTP's retry rules (429, 502, 503, 504 and network errors retried with
// backoff and Retry-After; any other refusal dropped and counted), and the payload preparation that makes
// what leaves the workbench exactly what it stored: invalid spans left out, secrets redacted.
import { backoffMs } from '../alerts/index.js';
import {
  decodeContentEncoding,
  decodeMetricsJson,
  decodeMetricsProto,
  encodeLogsProto,
  encodeMetricsProto,
  encodeTracesProto,
  formatSample,
  mediaKind,
  redactResourceMetrics,
} from '../ingest/index.js';
import type { IngestBatch } from '../store/index.js';
import type { ForwardQueue, ForwardSignal, QueuedRequest } from './queue.js';

const SIGNALS: readonly ForwardSignal[] = ['traces', 'metrics', 'logs'];
/** OTLP/HTTP: "429, 502, 503 and 504 are retryable"; every other failure status is final. */
const RETRYABLE = new Set([429, 502, 503, 504]);

export interface ForwarderOptions {
  /** Full URL per signal; signals without one are never queued. */
  readonly urls: Partial<Record<ForwardSignal, string>>;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
  /** Requests in flight per signal (default 4). */
  readonly concurrency?: number;
  /** How often the queue is polled when idle (default 500 ms). */
  readonly pollMs?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** What the forwarder did, per signal. */
export interface ForwarderStats {
  sent: Record<ForwardSignal, number>;
  failedAttempts: Record<ForwardSignal, number>;
  /** Refused by the downstream for good (a 4xx other than 429, or a 5xx other than 502-504). */
  refused: Record<ForwardSignal, number>;
  /** Accepted by the workbench but not queued: the body could not be prepared. */
  unprepared: Record<ForwardSignal, number>;
}

const zero = (): Record<ForwardSignal, number> => ({ traces: 0, metrics: 0, logs: 0 });

/**
 * The body to forward for a request the workbench stored: traces and logs encoded as protobuf from what was
 * stored (decoded, filtered and redacted by ingest); metrics decoded and redacted by ingest's rules, then sent
 * as received when nothing was found (kinds qobs does not store, such as exponential histograms, go along) or
 * re-encoded without the secrets.
 */
export function preparePayload(
  accepted: {
    signal: ForwardSignal;
    contentType: string | undefined;
    contentEncoding: string | undefined;
    body: Buffer;
    batch: IngestBatch;
  },
  maxDecodedBytes: number,
): { contentType: string; body: Buffer } {
  const { signal, batch } = accepted;
  if (signal === 'traces')
    return { contentType: 'application/x-protobuf', body: encodeTracesProto(batch.spans ?? []) };
  if (signal === 'logs')
    return { contentType: 'application/x-protobuf', body: encodeLogsProto(batch.logs ?? []) };
  // Ingest stores metrics as samples and checks the attributes of new series only: decode them all here.
  const kind = mediaKind(accepted.contentType);
  const raw = decodeContentEncoding(accepted.body, accepted.contentEncoding, maxDecodedBytes);
  const rms =
    kind === 'json'
      ? decodeMetricsJson(JSON.parse(raw.toString('utf8')))
      : decodeMetricsProto(raw).resourceMetrics;
  if (redactResourceMetrics(rms) === 0)
    return { contentType: kind === 'json' ? 'application/json' : 'application/x-protobuf', body: raw };
  return { contentType: 'application/x-protobuf', body: encodeMetricsProto(rms) };
}

/** Drains a ForwardQueue to the configured URLs until stopped. */
export class Forwarder {
  readonly stats: ForwarderStats = {
    sent: zero(),
    failedAttempts: zero(),
    refused: zero(),
    unprepared: zero(),
  };
  private readonly o: Required<Omit<ForwarderOptions, 'urls'>> & Pick<ForwarderOptions, 'urls'>;
  private readonly inflight = new Map<ForwardSignal, Set<number>>();
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly queue: ForwardQueue,
    options: ForwarderOptions,
  ) {
    this.o = {
      urls: options.urls,
      headers: options.headers ?? {},
      timeoutMs: options.timeoutMs ?? 10_000,
      concurrency: options.concurrency ?? 4,
      pollMs: options.pollMs ?? 500,
      baseDelayMs: options.baseDelayMs ?? 1000,
      maxDelayMs: options.maxDelayMs ?? 5 * 60_000,
      now: options.now ?? Date.now,
      random: options.random ?? Math.random,
    };
    for (const s of SIGNALS) this.inflight.set(s, new Set());
  }

  /** True when requests of this signal are forwarded. */
  forwards(signal: ForwardSignal): boolean {
    return this.o.urls[signal] !== undefined;
  }

  /** Starts the send loop (polls the queue; `kick()` sends at once after an enqueue). */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.kick(), this.o.pollMs);
    this.timer.unref();
  }

  /** Starts sends for every due request up to the concurrency bound. */
  kick(): void {
    if (this.stopped) return;
    for (const signal of SIGNALS) {
      const url = this.o.urls[signal];
      if (!url) continue;
      const busy = this.inflight.get(signal)!;
      const room = this.o.concurrency - busy.size;
      if (room <= 0) continue;
      // Skip what is in flight: ids ascend, so start after the highest one claimed.
      const after = busy.size > 0 ? Math.max(...busy) : 0;
      for (const req of this.queue.due(signal, this.o.now(), room, after)) {
        busy.add(req.id);
        const p = this.send(url, req).finally(() => {
          busy.delete(req.id);
          this.pending.delete(p);
        });
        this.pending.add(p);
      }
    }
  }

  /** Sends until nothing due is left or `timeoutMs` passes; for tests and shutdown. */
  async flush(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      this.kick();
      if (this.pending.size === 0) return;
      await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, 50))]);
      if (Date.now() > end) return;
    }
  }

  /** Stops the loop and waits for the requests in flight (what is not sent stays queued for the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.pending]);
  }

  private async send(url: string, req: QueuedRequest): Promise<void> {
    let status: number | undefined;
    let retryAfter: string | null = null;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...this.o.headers, 'content-type': req.contentType },
        body: req.body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      status = undefined; // refused, reset or timed out: retried
    }
    if (this.stopped && status === undefined) return; // aborted by shutdown: stays queued as it was
    if (status !== undefined && status >= 200 && status < 300) {
      this.queue.remove(req.id);
      this.stats.sent[req.signal]++;
      return;
    }
    if (status !== undefined && !RETRYABLE.has(status)) {
      this.queue.remove(req.id);
      this.stats.refused[req.signal]++;
      return;
    }
    this.stats.failedAttempts[req.signal]++;
    // Retry-After in delta-seconds or as an HTTP date; without one, exponential backoff with jitter.
    const seconds = Number(retryAfter ?? Number.NaN);
    const dateMs = retryAfter ? Date.parse(retryAfter) : Number.NaN;
    const waitMs = Number.isFinite(seconds)
      ? seconds * 1000
      : Number.isFinite(dateMs)
        ? Math.max(0, dateMs - Date.now())
        : backoffMs(req.attempts + 1, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random);
    const delay = Math.min(this.o.maxDelayMs, waitMs);
    this.queue.retryAt(req.id, this.o.now() + delay);
  }

  /** The forwarder's figures in Prometheus text. */
  metricsText(): string {
    const d = this.queue.depth();
    const lines: string[] = [];
    const family = (name: string, type: string, help: string, samples: string[]) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
    const per = (name: string, values: Record<ForwardSignal, number>, extra: Record<string, string> = {}) =>
      SIGNALS.filter((s) => this.forwards(s)).map((s) =>
        formatSample(name, { ...extra, signal: s }, values[s]),
      );
    family(
      'qobs_forward_sent_total',
      'counter',
      'OTLP requests forwarded and accepted downstream.',
      per('qobs_forward_sent_total', this.stats.sent),
    );
    family(
      'qobs_forward_failed_attempts_total',
      'counter',
      'Forwarding attempts that failed and will be retried (429, 502-504, network errors, timeouts).',
      per('qobs_forward_failed_attempts_total', this.stats.failedAttempts),
    );
    family(
      'qobs_forward_dropped_total',
      'counter',
      'OTLP requests accepted by the workbench but never forwarded, by reason.',
      [
        ...per('qobs_forward_dropped_total', this.stats.refused, { reason: 'refused' }),
        ...per('qobs_forward_dropped_total', this.queue.evicted, { reason: 'queue_full' }),
        ...per('qobs_forward_dropped_total', this.stats.unprepared, { reason: 'unprepared' }),
      ],
    );
    family(
      'qobs_forward_queue_requests',
      'gauge',
      'OTLP requests waiting to be forwarded.',
      per('qobs_forward_queue_requests', d.requests),
    );
    family('qobs_forward_queue_bytes', 'gauge', 'Bytes of OTLP requests waiting to be forwarded.', [
      formatSample('qobs_forward_queue_bytes', {}, d.bytes),
    ]);
    family(
      'qobs_forward_oldest_queued_seconds',
      'gauge',
      'Age of the oldest request waiting to be forwarded (0 when none waits).',
      [
        formatSample(
          'qobs_forward_oldest_queued_seconds',
          {},
          d.oldestMs === undefined ? 0 : Math.max(0, (this.o.now() - d.oldestMs) / 1000),
        ),
      ],
    );
    return `${lines.join('\n')}\n`;
  }
}
