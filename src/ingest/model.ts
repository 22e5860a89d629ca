// The decoded shape of OTLP requests (from protobuf or JSON), before they become store rows and samples.

import type { Attributes, ScopeInfo } from '../store/index.js';

export type {
  Attributes,
  AttrValue,
  LogIn,
  ScopeInfo,
  SpanEventIn,
  SpanIn,
  SpanLinkIn,
} from '../store/index.js';

export const FLAG_NO_RECORDED_VALUE = 1;

export interface NumberPointIn {
  attributes: Attributes;
  timeMs: number;
  value: number;
  flags: number;
  /**
   * The attributes' encoded bytes (latin1), set by the protobuf decoder: a cheap cache key for the labels.
   * The lazy decoder leaves it unset and sets `raw` instead; `pointKey` builds it from there when needed.
   */
  attrKey?: string;
  /**
   * Set by `decodeMetricsProto(buf, { lazyAttributes: true })`: the body holding the attributes' encoded bytes
   * at [rawStart, rawEnd). While `lazy` is true they are not decoded yet (`attributes` is empty);
   * `pointAttributes` decodes them. The range stays set after that, as the point's key.
   */
  raw?: Buffer;
  /** A DataView over `raw`, for comparing the attributes' bytes four at a time. */
  rawView?: DataView;
  rawStart?: number;
  rawEnd?: number;
  lazy?: boolean;
}

export interface HistogramPointIn {
  attributes: Attributes;
  /** As NumberPointIn.attrKey. */
  attrKey?: string;
  timeMs: number;
  count: number;
  sum: number | undefined;
  bucketCounts: number[];
  explicitBounds: number[];
  flags: number;
}

export interface SummaryPointIn {
  attributes: Attributes;
  timeMs: number;
  count: number;
  sum: number;
  quantiles: Array<[quantile: number, value: number]>;
  flags: number;
}

export type MetricKind = 'none' | 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';

export const TEMPORALITY_DELTA = 1;
export const TEMPORALITY_CUMULATIVE = 2;

export interface MetricIn {
  name: string;
  description: string;
  unit: string;
  kind: MetricKind;
  monotonic: boolean;
  temporality: number;
  numberPoints: NumberPointIn[];
  histogramPoints: HistogramPointIn[];
  summaryPoints: SummaryPointIn[];
  /** Data points of kinds qobs cannot store (exponential histograms). */
  unsupportedPoints: number;
}

export interface ScopeMetricsIn {
  scope: ScopeInfo;
  metrics: MetricIn[];
}

export interface ResourceMetricsIn {
  resource: Attributes;
  scopeMetrics: ScopeMetricsIn[];
}

export function emptyMetric(): MetricIn {
  return {
    name: '',
    description: '',
    unit: '',
    kind: 'none',
    monotonic: false,
    temporality: 0,
    numberPoints: [],
    histogramPoints: [],
    summaryPoints: [],
    unsupportedPoints: 0,
  };
}

/**
 * Sets an attribute as an own property, also for the key `__proto__` (a plain assignment would change the
 * object's prototype and the attribute would be lost).
 */
export function setAttribute(into: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}
