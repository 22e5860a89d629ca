// The contract between the time-series store and its readers (the PromQL engine, the API):
// label sets, matchers, and series with their samples as typed arrays.

/** A label set, `__name__` included. */
export type Labels = Readonly<Record<string, string>>;

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** A PromQL label matcher. Regular expressions are fully anchored, as in Prometheus. */
export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

/**
 * One series and its samples in a time range, ordered by time. Timestamps are milliseconds since the epoch.
 * A staleness marker is stored as Prometheus' stale NaN (bits 0x7ff0000000000002); test it with `isStaleAt`,
 * which reads the bits from the array, since arithmetic on a NaN may change its payload.
 */
export interface SeriesSamples {
  readonly labels: Labels;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** Read access to stored series. */
export interface SeriesSource {
  /** Series matching every matcher that have at least one sample in [startMs, endMs] (both inclusive), with those samples. */
  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): SeriesSamples[];
  /** Label sets of the series matching every matcher with samples in [startMs, endMs]. */
  series(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Labels[];
  /** Label names in use (of matching series when matchers are given), sorted. */
  labelNames(matchers?: readonly LabelMatcher[], startMs?: number, endMs?: number): string[];
  /** Values of one label (of matching series when matchers are given), sorted. */
  labelValues(name: string, matchers?: readonly LabelMatcher[], startMs?: number, endMs?: number): string[];
}

/** Metric metadata as Prometheus' /api/v1/metadata gives it. */
export interface MetricMetadata {
  readonly type:
    | 'counter'
    | 'gauge'
    | 'histogram'
    | 'summary'
    | 'unknown'
    | 'gaugehistogram'
    | 'info'
    | 'stateset';
  readonly help: string;
  readonly unit: string;
}

/** Prometheus' staleness marker value. */
export const STALE_NAN_HI = 0x7ff00000;
export const STALE_NAN_LO = 0x00000002;

const scratch = new Float64Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** A Float64 holding the stale NaN; write it into typed arrays only (JS arithmetic may canonicalize it). */
export function staleNaN(): number {
  scratchBits[0] = STALE_NAN_LO;
  scratchBits[1] = STALE_NAN_HI;
  return scratch[0];
}

/** True when values[i] holds the stale NaN (read from the array's bits; little-endian platforms). */
export function isStaleAt(values: Float64Array, i: number): boolean {
  const bits = new Uint32Array(values.buffer, values.byteOffset + i * 8, 2);
  return bits[1] === STALE_NAN_HI && bits[0] === STALE_NAN_LO;
}

/** Builds an anchored RegExp for a PromQL regex matcher. */
export function anchoredRegExp(source: string): RegExp {
  return new RegExp(`^(?:${source})$`, 's');
}

/** True when the label set satisfies the matcher (a missing label is the empty string, as in Prometheus). */
export function matches(labels: Labels, m: LabelMatcher, re?: RegExp): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return (re ?? anchoredRegExp(m.value)).test(v);
    case '!~':
      return !(re ?? anchoredRegExp(m.value)).test(v);
  }
}
