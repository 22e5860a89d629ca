// The store's public face.
export * from './series.js';
export { migrate, MigrationError } from './migrate.js';
export type {
  Attributes,
  AttrValue,
  IngestBatch,
  IngestResult,
  LogIn,
  SampleIn,
  ScopeInfo,
  SeriesSlot,
  SpanEventIn,
  SpanIn,
  SpanLinkIn,
} from './records.js';
export type {
  LogOut,
  LogQuery,
  SpanOut,
  StoreOptions,
  StoreStats,
  TraceQuery,
  TraceSummary,
} from './store.js';
export { StoreCorruptError } from './damage.js';
export { labelsKey, Store, StoreError } from './store.js';
export * from './alerts.js';
