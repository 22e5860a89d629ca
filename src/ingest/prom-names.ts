// OTLP metrics to Prometheus series, following the OpenTelemetry-to-Prometheus compatibility specification:
// name and label sanitising, unit suffixes, `_total` for monotonic sums, histograms to `_bucket/_sum/_count`,
// resource attributes to `target_info`, and `job`/`instance` from service.name/service.instance.id.
import type { Labels, MetricMetadata, SampleIn, SeriesSlot } from '../store/index.js';
import { labelsKey, staleNaN } from '../store/index.js';
import { type Finding, redactSecrets, redactText } from '../telemetry/index.js';
export type { SampleIn };
import type {
  Attributes,
  AttrValue,
  HistogramPointIn,
  MetricIn,
  NumberPointIn,
  ResourceMetricsIn,
  SummaryPointIn,
} from './model.js';
import { FLAG_NO_RECORDED_VALUE, TEMPORALITY_CUMULATIVE, TEMPORALITY_DELTA } from './model.js';
import { type EncodedKey, encodedKey, pointAttributes, pointKey, sameRawKey } from './otlp-proto.js';

const UNIT_WORDS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

const PER_UNIT_WORDS: Record<string, string> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

/** The Prometheus name of an OTLP metric (UnderscoreEscapingWithSuffixes). */
export function prometheusMetricName(
  name: string,
  unit: string,
  kind: 'counter' | 'gauge' | 'other',
): string {
  // Split on anything that is not a letter, digit or colon, drop empty pieces, join with one underscore.
  const tokens = name.split(/[^a-zA-Z0-9:]+/).filter((t) => t !== '');
  const unitNoBraces = unit.replace(/\{[^}]*\}/g, '').trim();
  const [main, per] = unitNoBraces.split('/', 2).map((u) => (u ?? '').trim());
  if (main) {
    const word = UNIT_WORDS[main] ?? (main === '1' ? '' : main);
    for (const w of sanitizeTokens(word)) if (!tokens.includes(w)) tokens.push(w);
  }
  if (per) {
    const word = PER_UNIT_WORDS[per] ?? per;
    const ws = sanitizeTokens(word);
    if (ws.length > 0 && !tokens.includes('per')) {
      tokens.push('per');
      for (const w of ws) tokens.push(w);
    }
  }
  if (kind === 'counter') {
    const i = tokens.indexOf('total');
    if (i >= 0) tokens.splice(i, 1);
    tokens.push('total');
  }
  if (kind === 'gauge' && unitNoBraces === '1' && !tokens.includes('ratio')) tokens.push('ratio');
  let out = tokens.join('_');
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

function sanitizeTokens(s: string): string[] {
  return s.split(/[^a-zA-Z0-9:]+/).filter((t) => t !== '');
}

const labelCache = new Map<string, string>();

/** A Prometheus label name for an OTLP attribute key: invalid characters to `_`, `key_` before a digit. */
export function prometheusLabelName(key: string): string {
  const hit = labelCache.get(key);
  if (hit !== undefined) return hit;
  let out = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(out)) out = `key_${out}`;
  else if (/^_[^_]/.test(out)) out = `key${out}`;
  if (labelCache.size < 10_000) labelCache.set(key, out);
  return out;
}

/** An attribute value as a label value: strings as they are, everything else as JSON. */
export function labelValue(v: AttrValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function addAttrs(into: Record<string, string>, attrs: Attributes): void {
  for (const k in attrs) {
    const name = prometheusLabelName(k);
    const v = labelValue(attrs[k]);
    // Keys that collide after sanitising are joined with ';' as the spec says.
    const prev = into[name];
    into[name] = prev === undefined || name === '__name__' ? v : `${prev};${v}`;
  }
}

/** `job` and `instance` as the compatibility spec derives them from the resource. */
export function jobAndInstance(res: Attributes): { job?: string; instance?: string } {
  const name = res['service.name'];
  const ns = res['service.namespace'];
  const inst = res['service.instance.id'];
  const out: { job?: string; instance?: string } = {};
  if (name !== undefined && name !== null)
    out.job = ns ? `${labelValue(ns)}/${labelValue(name)}` : labelValue(name);
  if (inst !== undefined && inst !== null) out.instance = labelValue(inst);
  return out;
}

const PROMOTED = new Set(['service.name', 'service.namespace', 'service.instance.id']);

export interface ConvertedMetrics {
  samples: SampleIn[];
  metadata: Map<string, MetricMetadata>;
  /** Data points that could not be stored, with the reasons (for OTLP partialSuccess). */
  rejected: number;
  reasons: string[];
  /** Strings with invalid UTF-8 in attributes decoded here (lazily decoded points; see decodeMetricsProto). */
  invalidUtf8: number;
  /**
   * Secrets redacted from label values (attributes of points whose series was not cached yet, resources,
   * scopes) and help texts; a cached series was redacted when it was built and is not counted again.
   */
  secretsRedacted: number;
}

/** `attrs` with secrets redacted (redactSecrets: by key name and in the text), counted in `out`. */
function redactAttrs(attrs: Attributes, out: ConvertedMetrics): Attributes {
  const r = redactSecrets(attrs);
  if (r.findings.length === 0) return attrs;
  out.secretsRedacted += r.findings.length;
  return r.value;
}

function redactString(text: string, path: string, out: ConvertedMetrics): string {
  const findings: Finding[] = [];
  const v = redactText(text, path, findings);
  out.secretsRedacted += findings.length;
  return v;
}

/**
 * Redacts secrets in decoded OTLP metrics in place, by the rules convertMetrics applies to what it stores
 * (resources and point attributes by key name and in the text, scope names and versions and descriptions in
 * the text); returns the number of findings. For a copy that leaves the workbench (forwarding), where every
 * point is checked, not only those of new series.
 */
export function redactResourceMetrics(rms: ResourceMetricsIn[]): number {
  const out = { secretsRedacted: 0 } as ConvertedMetrics;
  for (const rm of rms) {
    rm.resource = redactAttrs(rm.resource, out);
    for (const sm of rm.scopeMetrics) {
      sm.scope = {
        ...sm.scope,
        name: redactString(sm.scope.name, 'scope.name', out),
        version: redactString(sm.scope.version, 'scope.version', out),
      };
      for (const m of sm.metrics) {
        m.description = redactString(m.description, 'description', out);
        for (const pts of [m.numberPoints, m.histogramPoints, m.summaryPoints] as Array<
          Array<{ attributes: Attributes; attrKey?: string }>
        >)
          for (const p of pts) {
            const before = out.secretsRedacted;
            p.attributes = redactAttrs(p.attributes, out);
            // The encoded key no longer matches the attributes.
            if (out.secretsRedacted > before) p.attrKey = undefined;
          }
      }
    }
  }
  return out.secretsRedacted;
}

function formatBound(b: number): string {
  if (b === Number.POSITIVE_INFINITY) return '+Inf';
  if (b === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(b);
}

/** Converts decoded OTLP metrics to Prometheus samples and metadata. */
export function convertMetrics(resourceMetrics: ResourceMetricsIn[]): ConvertedMetrics {
  const out: ConvertedMetrics = {
    samples: [],
    metadata: new Map(),
    rejected: 0,
    reasons: [],
    invalidUtf8: 0,
    secretsRedacted: 0,
  };
  const stale = staleNaN();
  for (const rm of resourceMetrics) {
    const base: Record<string, string> = {};
    // Once a resource and scope a request, not a sample: what becomes job, instance, otel_scope_* and
    // target_info labels (and the label cache's context key) is redacted before it is used.
    const resource = redactAttrs(rm.resource, out);
    const ji = jobAndInstance(resource);
    let latestMs = 0;
    for (const sm of rm.scopeMetrics) {
      const scopeLabels: Record<string, string> = { ...base };
      if (sm.scope.name) scopeLabels.otel_scope_name = redactString(sm.scope.name, 'scope.name', out);
      if (sm.scope.version)
        scopeLabels.otel_scope_version = redactString(sm.scope.version, 'scope.version', out);
      for (const m of sm.metrics) {
        const t = convertMetric(m, scopeLabels, ji, out, stale);
        if (t > latestMs) latestMs = t;
      }
    }
    // target_info carries the resource attributes that did not become job/instance.
    const info: Record<string, string> = {};
    for (const k in resource) if (!PROMOTED.has(k)) addAttrs(info, { [k]: resource[k] });
    if (Object.keys(info).length > 0 && latestMs > 0 && (ji.job || ji.instance)) {
      const labels: Record<string, string> = { ...info, __name__: 'target_info' };
      if (ji.job) labels.job = ji.job;
      if (ji.instance) labels.instance = ji.instance;
      out.samples.push({ labels, t: latestMs, v: 1 });
      out.metadata.set('target_info', { type: 'gauge', help: 'Target metadata', unit: '' });
    }
  }
  return out;
}

/**
 * Label sets by (metric, resource, scope) and then by encoded attributes: a batch from the same exporter
 * repeats its series, and this skips decoding their attributes (see `lazyAttributes`) and building, sanitising
 * and sorting their labels again. Two levels, so a sample costs one lookup by its attributes' bytes instead
 * of hashing a long joined key. Bounded by LABEL_CACHE_MAX label sets; cleared when full.
 */
const labelCacheBySeries = new Map<string, Map<string, CachedSeries>>();
let labelCacheSize = 0;
const LABEL_CACHE_MAX = 200_000;

/** A cached label set; it is also the store's SeriesSlot for it (see SampleIn.slot). */
interface CachedSeries extends SeriesSlot {
  labels: Labels;
  key: string;
  /** The encoded attributes it was cached by, as a string and as bytes. */
  attrKey?: string;
  attrBytes?: EncodedKey;
}

/**
 * Per metric, the series of earlier requests in point order, by the attributes of their first point: an
 * exporter sends its series in the same order every time, so point i is checked against entry i by comparing
 * its encoded attributes in place before any map lookup (which needs them as a string, and hashes it). Several
 * exporters sharing a resource keep apart by their first point. Bounded: MAX_ORDERS orders a metric (cleared
 * when full), MAX_ORDERED points an order.
 */
const orderBySeries = new WeakMap<Map<string, CachedSeries>, Map<string, CachedSeries[]>>();
const MAX_ORDERS = 64;
const MAX_ORDERED = 100_000;

function pointOrder(cache: Map<string, CachedSeries>, first: string | undefined): CachedSeries[] | undefined {
  if (first === undefined) return undefined;
  let orders = orderBySeries.get(cache);
  if (orders === undefined) {
    orders = new Map();
    orderBySeries.set(cache, orders);
  }
  let order = orders.get(first);
  if (order === undefined) {
    if (orders.size >= MAX_ORDERS) orders.clear();
    order = [];
    orders.set(first, order);
  }
  return order;
}

function seriesCache(prefix: string): Map<string, CachedSeries> {
  let m = labelCacheBySeries.get(prefix);
  if (!m) {
    // Metrics without points still add a map: bound their number too.
    if (labelCacheBySeries.size >= LABEL_CACHE_MAX) {
      labelCacheBySeries.clear();
      labelCacheSize = 0;
    }
    m = new Map();
    labelCacheBySeries.set(prefix, m);
  }
  return m;
}

function convertMetric(
  m: MetricIn,
  scopeLabels: Record<string, string>,
  ji: { job?: string; instance?: string },
  out: ConvertedMetrics,
  stale: number,
): number {
  let latest = 0;
  const context = `${JSON.stringify(scopeLabels)}\u0001${ji.job ?? ''}\u0001${ji.instance ?? ''}\u0001`;
  // Only a new series (a label-cache miss) comes here, so a known series pays nothing for redaction, and the
  // cache holds the redacted label set only: it cannot hand out the secret later.
  // A histogram or summary point builds several series from the same attributes: redact (and count) them once.
  let lastAttrs: Attributes | undefined;
  let lastRedacted: Attributes = {};
  const build = (name: string, attrs: Attributes, extra?: [string, string]): Record<string, string> => {
    const l: Record<string, string> = { ...scopeLabels };
    if (attrs !== lastAttrs) {
      lastAttrs = attrs;
      lastRedacted = redactAttrs(attrs, out);
    }
    addAttrs(l, lastRedacted);
    if (ji.job) l.job = ji.job;
    if (ji.instance) l.instance = ji.instance;
    if (extra) l[extra[0]] = extra[1];
    l.__name__ = name;
    return l;
  };
  const series = (
    name: string,
    p: NumberPointIn | HistogramPointIn | SummaryPointIn,
    extra?: [string, string],
    cache?: Map<string, CachedSeries>,
  ): CachedSeries => {
    const attrKey = pointKey(p as NumberPointIn);
    if (attrKey === undefined) {
      const labels = build(name, p.attributes, extra);
      return { labels, key: labelsKey(labels) };
    }
    const inner = cache ?? seriesCache(`${name}\u0001${context}${extra ? `\u0001${extra[1]}` : ''}`);
    let hit = inner.get(attrKey);
    if (!hit) {
      const labels = build(name, pointAttributes(p as NumberPointIn, out), extra);
      hit = { labels, key: labelsKey(labels), attrKey, attrBytes: encodedKey(attrKey) };
      if (labelCacheSize >= LABEL_CACHE_MAX) {
        labelCacheBySeries.clear();
        labelCacheSize = 0;
      }
      // The inner map may have just been dropped with the rest: put it back.
      seriesCache(`${name}\u0001${context}${extra ? `\u0001${extra[1]}` : ''}`).set(attrKey, hit);
      labelCacheSize++;
    }
    return hit;
  };
  const push = (s: { labels: Labels; key: string }, t: number, v: number, delta: boolean) => {
    if (delta) out.samples.push({ labels: s.labels, key: s.key, t, v, delta: true });
    else out.samples.push({ labels: s.labels, key: s.key, t, v });
  };
  const reject = (n: number, why: string) => {
    if (n === 0) return;
    out.rejected += n;
    if (out.reasons.length < 5) out.reasons.push(why);
  };
  switch (m.kind) {
    case 'gauge':
    case 'sum': {
      const counter = m.kind === 'sum' && m.monotonic;
      // Monotonic delta sums become counters, each point added to the series' value before (by the store,
      // which knows it, also across restarts); other delta sums are dropped, as the compatibility rules say.
      const delta = m.kind === 'sum' && m.temporality === TEMPORALITY_DELTA;
      if (m.kind === 'sum' && !delta && m.temporality !== TEMPORALITY_CUMULATIVE) {
        reject(m.numberPoints.length, `${m.name}: aggregation temporality unspecified`);
        return 0;
      }
      if (delta && !counter) {
        reject(
          m.numberPoints.length,
          `${m.name}: a non-monotonic sum with delta temporality has no Prometheus form; export it cumulative`,
        );
        return 0;
      }
      const name = prometheusMetricName(m.name, m.unit, counter ? 'counter' : 'gauge');
      out.metadata.set(name, {
        type: counter ? 'counter' : 'gauge',
        help: redactString(m.description, 'description', out),
        unit: m.unit,
      });
      const cache = seriesCache(`${name}\u0001${context}`);
      const samples = out.samples;
      const points = m.numberPoints;
      const order = points.length > 0 ? pointOrder(cache, pointKey(points[0])) : undefined;
      for (let i = 0; i < points.length; i++) {
        const p = points[i];
        const v = p.flags & FLAG_NO_RECORDED_VALUE ? stale : p.value;
        // The hot path, inlined: the series at this position last time, else one lookup by the attributes' bytes.
        let hit: CachedSeries;
        const raw = p.raw !== undefined;
        if (order === undefined || (!raw && p.attrKey === undefined)) hit = series(name, p, undefined, cache);
        else {
          const prev = order[i];
          if (
            prev !== undefined &&
            (raw ? sameRawKey(p, prev.attrBytes as EncodedKey) : prev.attrKey === p.attrKey)
          )
            hit = prev;
          else {
            hit = cache.get(pointKey(p) as string) ?? series(name, p, undefined, cache);
            if (i < MAX_ORDERED) order[i] = hit;
          }
        }
        if (delta) samples.push({ labels: hit.labels, key: hit.key, t: p.timeMs, v, slot: hit, delta });
        else samples.push({ labels: hit.labels, key: hit.key, t: p.timeMs, v, slot: hit });
        if (p.timeMs > latest) latest = p.timeMs;
      }
      return latest;
    }
    case 'histogram': {
      // Delta histograms are aggregated into cumulative ones: every bucket, the sum and the count as above.
      const delta = m.temporality === TEMPORALITY_DELTA;
      if (!delta && m.temporality !== TEMPORALITY_CUMULATIVE) {
        reject(m.histogramPoints.length, `${m.name}: aggregation temporality unspecified`);
        return 0;
      }
      const name = prometheusMetricName(m.name, m.unit, 'other');
      out.metadata.set(name, {
        type: 'histogram',
        help: redactString(m.description, 'description', out),
        unit: m.unit,
      });
      for (const p of m.histogramPoints) {
        if (p.bucketCounts.length !== 0 && p.bucketCounts.length !== p.explicitBounds.length + 1) {
          reject(1, `${m.name}: bucket_counts must have one more entry than explicit_bounds`);
          continue;
        }
        const none = (p.flags & FLAG_NO_RECORDED_VALUE) !== 0;
        let cum = 0;
        for (let i = 0; i < p.explicitBounds.length; i++) {
          cum += p.bucketCounts[i] ?? 0;
          push(
            series(`${name}_bucket`, p, ['le', formatBound(p.explicitBounds[i])]),
            p.timeMs,
            none ? stale : cum,
            delta,
          );
        }
        push(series(`${name}_bucket`, p, ['le', '+Inf']), p.timeMs, none ? stale : p.count, delta);
        if (p.sum !== undefined) push(series(`${name}_sum`, p), p.timeMs, none ? stale : p.sum, delta);
        push(series(`${name}_count`, p), p.timeMs, none ? stale : p.count, delta);
        if (p.timeMs > latest) latest = p.timeMs;
      }
      return latest;
    }
    case 'summary': {
      const name = prometheusMetricName(m.name, m.unit, 'other');
      out.metadata.set(name, {
        type: 'summary',
        help: redactString(m.description, 'description', out),
        unit: m.unit,
      });
      for (const p of m.summaryPoints) {
        const none = (p.flags & FLAG_NO_RECORDED_VALUE) !== 0;
        for (const [q, v] of p.quantiles)
          push(series(name, p, ['quantile', String(q)]), p.timeMs, none ? stale : v, false);
        push(series(`${name}_sum`, p), p.timeMs, none ? stale : p.sum, false);
        push(series(`${name}_count`, p), p.timeMs, none ? stale : p.count, false);
        if (p.timeMs > latest) latest = p.timeMs;
      }
      return latest;
    }
    case 'exponential_histogram':
      reject(
        m.unsupportedPoints,
        `${m.name}: exponential histograms are not stored (no native histogram support)`,
      );
      return 0;
    default:
      return 0;
  }
}
