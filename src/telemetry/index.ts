// The telemetry module's public face: the Observer, its conventions, the secret redactor and the metrics server.
export { circuitId, circuitInfo } from './analysis.js';
export type { CircuitFigures, CircuitInfo } from './analysis.js';
export {
  algorithmPerformanceSchema,
  circuitExecutionSchema,
  costEventSchema,
  errorEventSchema,
  hardwareEventSchema,
  logLineSchema,
  securityEventSchema,
} from './log-schema.js';
export type { LogLine } from './log-schema.js';
export { lineOptions, redactingPinoOptions } from './logs.js';
export type { LogLevel, LogsOptions, RedactConfig } from './logs.js';
export { CONTENT_TYPE, METRIC, prometheusText, QuantumMetrics } from './metrics.js';
export type { MetricsOptions } from './metrics.js';
export { calibrationErrorRates, Observer } from './observer.js';
export { otlpLogStream } from './otlp-logs.js';
export type { OtlpLogStreamOptions } from './otlp-logs.js';
export type {
  AlgorithmMeta,
  AlgorithmScope,
  CostFigure,
  CostOf,
  EpochResult,
  ExecutionRecord,
  Fidelity,
  FidelityOf,
  MonitorMeta,
  ObserverOptions,
  QuantumSpanMetrics,
  RunOptions,
  RunResult,
  TrainingMeta,
  TrainingScope,
} from './observer.js';
export { REDACTED, redactSecrets, redactText } from './redact.js';
export type { Finding, RedactOptions, SecretType } from './redact.js';
export { ATTR, BUCKETS, EVENT_TYPES, EXECUTION_STATUS, SPAN } from './semconv.js';
export type { EventType, ExecutionStatus, FidelityMethod } from './semconv.js';
export { startMetricsServer } from './server.js';
export type { MetricsServer } from './server.js';
export type { TracesOptions } from './traces.js';
