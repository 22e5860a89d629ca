// The PromQL module's public face: the engine, the parser, errors, the Prometheus-shaped API handlers and an
// in-memory series source for tests.
export {
  type ApiBody,
  type ApiParams,
  type ApiResponse,
  errorResponse,
  handleLabels,
  handleLabelValues,
  handleMetadata,
  handleQuery,
  handleQueryRange,
  handleSeries,
  parseApiDuration,
  parseApiTime,
} from './api.js';
export type { Expr, ValueType } from './ast.js';
export { createEngine, type Engine, type EngineOptions, type PromPoint, type QueryData } from './engine.js';
export { PromqlError, type PromqlErrorType } from './errors.js';
export { formatValue } from './format.js';
export type { Mode } from './functions.js';
export { MemorySeriesSource } from './memory-source.js';
export { parseDurationMs, parsePromql } from './parser.js';
export { runTestScript, type ScriptResult } from './testscript.js';
