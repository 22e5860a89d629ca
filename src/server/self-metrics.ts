// The /metrics exposition: the latest value of every ingested series, then the workbench's own metrics
// (ingest rates, drops, queue depth, database size, retention).
import type { Store } from '../store/index.js';
import { isStaleAt } from '../store/index.js';
import type { OtlpStats, ScrapeStats } from '../ingest/index.js';
import { escapeHelp, formatSample } from '../ingest/index.js';

/** Counters kept by the HTTP layer. */
export interface ServerStats {
  inflight: number;
  droppedBackpressure: number;
  pushRequests: number;
  httpErrors: number;
}

/** Per-signal ingest rates over a sliding window, updated by `tick`. */
export class RateTracker {
  private last: { t: number; values: Record<string, number> } | undefined;
  rates: Record<string, number> = {};
  tick(values: Record<string, number>, nowMs = Date.now()): void {
    if (this.last && nowMs > this.last.t) {
      const dt = (nowMs - this.last.t) / 1000;
      for (const k in values) this.rates[k] = (values[k] - (this.last.values[k] ?? 0)) / dt;
    }
    this.last = { t: nowMs, values: { ...values } };
  }
}

const scratch = new Float64Array(1);

function family(name: string, type: string, help: string, lines: string[]): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n${lines.join('\n')}\n`;
}

/** The workbench's own metrics as exposition text. */
export function ownMetricsText(
  store: Store,
  otlp: OtlpStats,
  scrape: ScrapeStats,
  server: ServerStats,
  rates: RateTracker,
): string {
  const st = store.stats();
  const out: string[] = [];
  const signals = ['traces', 'metrics', 'logs'] as const;
  out.push(
    family(
      'qobs_ingest_requests_total',
      'counter',
      'OTLP requests received, by signal.',
      signals.map((s) => formatSample('qobs_ingest_requests_total', { signal: s }, otlp.requests[s])),
    ),
    family(
      'qobs_ingest_items_total',
      'counter',
      'Spans, samples and log records stored from OTLP, by signal.',
      signals.map((s) => formatSample('qobs_ingest_items_total', { signal: s }, otlp.accepted[s])),
    ),
    family(
      'qobs_ingest_items_per_second',
      'gauge',
      'Items stored per second over the last rate window, by signal.',
      signals.map((s) => formatSample('qobs_ingest_items_per_second', { signal: s }, rates.rates[s] ?? 0)),
    ),
    family(
      'qobs_ingest_rejected_total',
      'counter',
      'Items refused in an accepted request (reported as OTLP partial success), by signal.',
      signals.map((s) => formatSample('qobs_ingest_rejected_total', { signal: s }, otlp.rejected[s])),
    ),
    family('qobs_ingest_malformed_requests_total', 'counter', 'Requests refused as malformed (400).', [
      formatSample('qobs_ingest_malformed_requests_total', {}, otlp.malformed),
    ]),
    family('qobs_ingest_dropped_requests_total', 'counter', 'Requests refused with 503 under backpressure.', [
      formatSample(
        'qobs_ingest_dropped_requests_total',
        { reason: 'backpressure' },
        server.droppedBackpressure,
      ),
    ]),
    family(
      'qobs_ingest_dropped_total',
      'counter',
      'Samples dropped by the ingest limits (limits: in qobs.yaml), by reason.',
      [
        formatSample('qobs_ingest_dropped_total', { reason: 'series_limit' }, st.samplesSeriesLimit),
        formatSample(
          'qobs_ingest_dropped_total',
          { reason: 'label_value_too_long' },
          st.samplesLabelValueTooLong,
        ),
      ],
    ),
    family(
      'qobs_store_deferred_flush_failures_total',
      'counter',
      'Chunk flushes after a commit that failed (disk full); the data stays in the sample WAL and is flushed later.',
      [formatSample('qobs_store_deferred_flush_failures_total', {}, st.deferredFlushFailures)],
    ),
    family('qobs_ingest_queue_depth', 'gauge', 'Ingest requests being received or processed.', [
      formatSample('qobs_ingest_queue_depth', {}, server.inflight),
    ]),
    family(
      'qobs_ingest_invalid_utf8_total',
      'counter',
      'Protobuf strings with invalid UTF-8, stored with U+FFFD.',
      [formatSample('qobs_ingest_invalid_utf8_total', {}, otlp.invalidUtf8)],
    ),
    family(
      'qobs_ingest_secrets_redacted_total',
      'counter',
      'Secrets redacted from ingested logs and spans.',
      [formatSample('qobs_ingest_secrets_redacted_total', {}, otlp.secretsRedacted)],
    ),
    family('qobs_internal_errors_total', 'counter', 'Requests answered 500 and failed background passes.', [
      formatSample('qobs_internal_errors_total', {}, server.httpErrors),
    ]),
    family('qobs_push_requests_total', 'counter', 'Pushgateway-style push requests.', [
      formatSample('qobs_push_requests_total', {}, server.pushRequests),
    ]),
    family('qobs_scrapes_total', 'counter', 'Scrapes of configured targets and registries.', [
      formatSample('qobs_scrapes_total', {}, scrape.scrapes),
    ]),
    family('qobs_scrape_failures_total', 'counter', 'Scrapes that failed.', [
      formatSample('qobs_scrape_failures_total', {}, scrape.failures),
    ]),
    family('qobs_store_database_bytes', 'gauge', 'Bytes on disk of the database file and its WAL.', [
      formatSample('qobs_store_database_bytes', {}, st.fileBytes),
    ]),
    family('qobs_store_used_bytes', 'gauge', 'Bytes of live database pages (what the size cap measures).', [
      formatSample('qobs_store_used_bytes', {}, st.usedBytes),
    ]),
    family('qobs_store_max_bytes', 'gauge', 'The configured size cap in bytes (0: none).', [
      formatSample('qobs_store_max_bytes', {}, store.maxBytes),
    ]),
    family('qobs_store_retention_seconds', 'gauge', 'The configured retention period.', [
      formatSample('qobs_store_retention_seconds', {}, store.retentionMs / 1000),
    ]),
    family('qobs_store_series', 'gauge', 'Series in the store.', [
      formatSample('qobs_store_series', {}, st.series),
    ]),
    family('qobs_store_head_samples', 'gauge', 'Samples in memory heads not yet in chunks.', [
      formatSample('qobs_store_head_samples', {}, st.headSamples),
    ]),
    family('qobs_store_samples_dropped_total', 'counter', 'Samples not stored, by reason.', [
      formatSample('qobs_store_samples_dropped_total', { reason: 'duplicate' }, st.samplesDuplicate),
      formatSample('qobs_store_samples_dropped_total', { reason: 'out_of_order' }, st.samplesOutOfOrder),
    ]),
    family(
      'qobs_store_retention_deleted_total',
      'counter',
      'Rows deleted for being older than the retention period, by kind.',
      (['chunks', 'spans', 'logs'] as const).map((k) =>
        formatSample('qobs_store_retention_deleted_total', { kind: k }, st.retentionDeleted[k]),
      ),
    ),
    family(
      'qobs_store_size_cap_deleted_total',
      'counter',
      'Rows deleted (oldest first) to stay under the size cap, by kind.',
      (['chunks', 'spans', 'logs'] as const).map((k) =>
        formatSample('qobs_store_size_cap_deleted_total', { kind: k }, st.sizeCapDeleted[k]),
      ),
    ),
  );
  return out.join('');
}

/** The latest value of every ingested series (stale series left out), grouped by metric name. */
export function ingestedMetricsText(store: Store, excludeJob?: string): string {
  const byName = new Map<string, string[]>();
  for (const s of store.latest()) {
    scratch[0] = s.v;
    if (isStaleAt(scratch, 0)) continue;
    if (excludeJob !== undefined && s.labels.job === excludeJob) continue;
    const name = s.labels.__name__ ?? '';
    if (!name) continue;
    let lines = byName.get(name);
    if (!lines) {
      lines = [];
      byName.set(name, lines);
    }
    lines.push(formatSample(name, s.labels, s.v));
  }
  const meta = store.metadata();
  const out: string[] = [];
  for (const name of [...byName.keys()].sort()) {
    const m = meta[name]?.[0];
    if (m) {
      if (m.help) out.push(`# HELP ${name} ${escapeHelp(m.help)}`);
      out.push(`# TYPE ${name} ${m.type === 'unknown' ? 'untyped' : m.type}`);
    }
    for (const l of byName.get(name)!) out.push(l);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
