// The ingest module's public face: OTLP/HTTP decoding, Prometheus text exposition, scraping and push.
export type { OtlpResponse, OtlpStats, Signal } from './otlp.js';
export {
  decodeContentEncoding,
  decodeOtlp,
  encodeResponse,
  ingestOtlp,
  ingestOtlpQueued,
  mediaKind,
  OtlpIngestQueue,
  newOtlpStats,
  OtlpRequestError,
} from './otlp.js';
export { encodeLogsProto, encodeMetricsProto, encodeTracesProto } from './otlp-encode.js';
export { decodeLogsProto, decodeMetricsProto, decodeTracesProto } from './otlp-proto.js';
export type { MetricIn, ResourceMetricsIn } from './model.js';
export { emptyMetric } from './model.js';
export { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './otlp-json.js';
export {
  convertMetrics,
  prometheusLabelName,
  prometheusMetricName,
  redactResourceMetrics,
} from './prom-names.js';
export type { ParsedExposition, ParsedSample } from './promtext.js';
export { escapeHelp, ExpositionParseError, formatSample, formatValue, parseExposition } from './promtext.js';
export type { PushResponse } from './push.js';
export { handlePush, parseGroupingPath } from './push.js';
export type { ScrapeStats, ScrapeTarget, TextRegistry } from './scrape.js';
export { Scraper } from './scrape.js';
export { MalformedPayloadError } from './wire.js';
