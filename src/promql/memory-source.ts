// An in-memory SeriesSource: the reference store for PromQL tests, the test-script runner and other modules' tests.
import {
  anchoredRegExp,
  type LabelMatcher,
  type Labels,
  type MetricMetadata,
  matches,
  type SeriesSamples,
  type SeriesSource,
} from '../store/index.js';

interface MemorySeries {
  labels: Labels;
  timestamps: number[];
  /** Values live in a Float64Array so that stale NaN bits survive; grown by doubling. */
  values: Float64Array;
  sorted: boolean;
}

/** Canonical key of a label set (sorted names), used to find a series by its labels. */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  let key = '';
  for (const n of names) key += `${n}\u0000${labels[n]}\u0001`;
  return key;
}

function compileMatchers(matchers: readonly LabelMatcher[]): Array<[LabelMatcher, RegExp | undefined]> {
  return matchers.map((m) => [m, m.op === '=~' || m.op === '!~' ? anchoredRegExp(m.value) : undefined]);
}

/** Binary search: first index i with arr[i] >= t. */
function lowerBound(arr: ArrayLike<number>, t: number, lo = 0, hi = arr.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Binary search: first index i with arr[i] > t. */
function upperBound(arr: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A SeriesSource held in memory. `append` adds samples (any order; a sample at an existing timestamp replaces it).
 * @example
 * const src = new MemorySeriesSource();
 * src.append({ __name__: 'up', job: 'a' }, 1000, 1);
 */
export class MemorySeriesSource implements SeriesSource {
  private readonly byKey = new Map<string, MemorySeries>();
  private readonly metadata = new Map<string, MetricMetadata>();

  /** Adds one sample; `value` may be the stale NaN (pass it as read from a Float64Array to keep its bits). */
  append(labels: Labels, timestampMs: number, value: number): void {
    const key = labelsKey(labels);
    let s = this.byKey.get(key);
    if (!s) {
      s = { labels: { ...labels }, timestamps: [], values: new Float64Array(8), sorted: true };
      this.byKey.set(key, s);
    }
    const n = s.timestamps.length;
    if (n > 0 && timestampMs <= s.timestamps[n - 1]) s.sorted = false;
    if (n === s.values.length) {
      const grown = new Float64Array(n * 2);
      grown.set(s.values);
      s.values = grown;
    }
    s.timestamps.push(timestampMs);
    s.values[n] = value;
  }

  /** Records a metric's metadata for /api/v1/metadata. */
  setMetadata(metric: string, meta: MetricMetadata): void {
    this.metadata.set(metric, meta);
  }

  /** Metadata by metric name. */
  getMetadata(): ReadonlyMap<string, MetricMetadata> {
    return this.metadata;
  }

  /** Removes every series. */
  clear(): void {
    this.byKey.clear();
    this.metadata.clear();
  }

  /** Number of stored samples. */
  sampleCount(): number {
    let n = 0;
    for (const s of this.byKey.values()) n += s.timestamps.length;
    return n;
  }

  private sortSeries(s: MemorySeries): void {
    if (s.sorted) return;
    const n = s.timestamps.length;
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => s.timestamps[a] - s.timestamps[b] || a - b,
    );
    const ts: number[] = [];
    const vs = new Float64Array(Math.max(8, n));
    let m = 0;
    for (const i of order) {
      // A later append at the same timestamp wins (it sorts after the earlier one).
      if (m > 0 && ts[m - 1] === s.timestamps[i]) {
        vs[m - 1] = s.values[i];
        continue;
      }
      ts.push(s.timestamps[i]);
      vs[m++] = s.values[i];
    }
    s.timestamps = ts;
    s.values = vs;
    s.sorted = true;
  }

  private *matching(matchers: readonly LabelMatcher[]): Generator<MemorySeries> {
    const compiled = compileMatchers(matchers);
    for (const s of this.byKey.values()) {
      if (compiled.every(([m, re]) => matches(s.labels, m, re))) yield s;
    }
  }

  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): SeriesSamples[] {
    const out: SeriesSamples[] = [];
    for (const s of this.matching(matchers)) {
      this.sortSeries(s);
      const lo = lowerBound(s.timestamps, startMs);
      const hi = upperBound(s.timestamps, endMs);
      if (hi <= lo) continue;
      out.push({
        labels: s.labels,
        timestamps: Float64Array.from(s.timestamps.slice(lo, hi)),
        values: s.values.slice(lo, hi),
      });
    }
    return out;
  }

  series(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Labels[] {
    return this.select(matchers, startMs, endMs).map((s) => s.labels);
  }

  private inRange(s: MemorySeries, startMs?: number, endMs?: number): boolean {
    if (startMs === undefined && endMs === undefined) return s.timestamps.length > 0;
    this.sortSeries(s);
    const lo = lowerBound(s.timestamps, startMs ?? Number.NEGATIVE_INFINITY);
    return lo < s.timestamps.length && s.timestamps[lo] <= (endMs ?? Number.POSITIVE_INFINITY);
  }

  labelNames(matchers?: readonly LabelMatcher[], startMs?: number, endMs?: number): string[] {
    const names = new Set<string>();
    for (const s of this.matching(matchers ?? [])) {
      if (!this.inRange(s, startMs, endMs)) continue;
      for (const n of Object.keys(s.labels)) names.add(n);
    }
    return [...names].sort();
  }

  labelValues(name: string, matchers?: readonly LabelMatcher[], startMs?: number, endMs?: number): string[] {
    const values = new Set<string>();
    for (const s of this.matching(matchers ?? [])) {
      if (!this.inRange(s, startMs, endMs)) continue;
      const v = s.labels[name];
      if (v !== undefined && v !== '') values.add(v);
    }
    return [...values].sort();
  }
}
