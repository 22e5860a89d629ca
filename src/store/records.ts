// The records the store keeps for traces and logs, in the shape OTLP decoding produces them.

/** An OTLP AnyValue as plain JSON: int64 beyond 2^53 loses precision, bytes become base64 strings. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

export interface ScopeInfo {
  name: string;
  version: string;
}

export interface SpanEventIn {
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
}

export interface SpanLinkIn {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
}

/** One span, ids as lowercase hex. */
export interface SpanIn {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  events: SpanEventIn[];
  links: SpanLinkIn[];
  statusCode: number;
  statusMessage: string;
  resource: Attributes;
  scope: ScopeInfo;
}

export interface LogIn {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: AttrValue;
  attributes: Attributes;
  flags: number;
  traceId: string;
  spanId: string;
  eventName: string;
  resource: Attributes;
  scope: ScopeInfo;
}

/**
 * A place for the store to remember the series of one label set, kept by a caller that sends the same label
 * set again and again (the OTLP label cache): one slot per label set, never shared between label sets.
 */
export interface SeriesSlot {
  storeSeries?: unknown;
}

/** One sample bound for the store; `labels` includes `__name__`. */
export interface SampleIn {
  labels: Readonly<Record<string, string>>;
  /** `labelsKey(labels)` when the caller has it cached (saves a sort and a join per sample). */
  key?: string;
  /** See SeriesSlot: saves the lookup of the series by key. */
  slot?: SeriesSlot;
  t: number;
  v: number;
  /**
   * `v` is an increase since the series' previous sample (OTLP delta temporality): stored as that sample's
   * value plus `v`, so the series reads as a cumulative counter. A series without a finite value before (new,
   * or last marked stale) starts from 0, which PromQL's rate() reads as a counter reset. A stale marker (the
   * stale NaN) is stored as is.
   */
  delta?: boolean;
}

/** A batch written atomically: a 2xx goes out only after `Store.ingest` has returned. */
export interface IngestBatch {
  samples?: readonly SampleIn[];
  metadata?: ReadonlyMap<string, import('./series.js').MetricMetadata>;
  spans?: readonly SpanIn[];
  logs?: readonly LogIn[];
  /** Sets a push group's series (Pushgateway grouping key -> label sets); an empty list deletes the group. */
  pushGroup?: { key: string; series: ReadonlyArray<Readonly<Record<string, string>>> };
}

/** What a batch did: accepted and refused counts per kind. */
export interface IngestResult {
  samplesAccepted: number;
  /** Samples at the same timestamp as the series' last one (dropped as already stored). */
  samplesDuplicate: number;
  /** Samples older than the series' last one (Prometheus rejects them too). */
  samplesOutOfOrder: number;
  /** Samples dropped because they would have created a series beyond the per-metric limit. */
  samplesSeriesLimit: number;
  /** Samples dropped because a label value of their new series is longer than the limit. */
  samplesLabelValueTooLong: number;
  spansAccepted: number;
  /** Spans whose (trace id, span id) was stored already. */
  spansDuplicate: number;
  logsAccepted: number;
}
