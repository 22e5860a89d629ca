// The core schema of the workbench database (namespace 'core'); append-only, see migrate.ts.

export const CORE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE series (id INTEGER PRIMARY KEY, labels TEXT NOT NULL, key TEXT NOT NULL UNIQUE);
  CREATE TABLE series_labels (name TEXT NOT NULL, value TEXT NOT NULL, series_id INTEGER NOT NULL,
    PRIMARY KEY (name, value, series_id)) WITHOUT ROWID;
  CREATE TABLE chunks (id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL, min_t INTEGER NOT NULL,
    max_t INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
  CREATE UNIQUE INDEX chunks_by_series ON chunks (series_id, min_t, max_t);
  CREATE INDEX chunks_by_max_t ON chunks (max_t);
  CREATE TABLE sample_wal (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
  CREATE TABLE metric_metadata (name TEXT PRIMARY KEY, type TEXT NOT NULL, help TEXT NOT NULL, unit TEXT NOT NULL);
  CREATE TABLE spans (
    trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT NOT NULL, name TEXT NOT NULL,
    kind INTEGER NOT NULL, service TEXT NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
    duration_ns INTEGER NOT NULL, status_code INTEGER NOT NULL, status_message TEXT NOT NULL,
    trace_state TEXT NOT NULL, flags INTEGER NOT NULL, attributes TEXT NOT NULL, events TEXT NOT NULL,
    links TEXT NOT NULL, resource TEXT NOT NULL, scope TEXT NOT NULL,
    PRIMARY KEY (trace_id, span_id));
  CREATE INDEX spans_by_start ON spans (start_ns);
  CREATE INDEX spans_by_service ON spans (service, start_ns);
  CREATE TABLE logs (
    id INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL, observed_ns INTEGER NOT NULL,
    severity_number INTEGER NOT NULL, severity_text TEXT NOT NULL, level TEXT NOT NULL, body TEXT NOT NULL,
    attributes TEXT NOT NULL, resource TEXT NOT NULL, scope TEXT NOT NULL, service TEXT NOT NULL,
    event_type TEXT NOT NULL, event_name TEXT NOT NULL, trace_id TEXT NOT NULL, span_id TEXT NOT NULL,
    flags INTEGER NOT NULL);
  CREATE INDEX logs_by_time ON logs (time_ns);
  CREATE INDEX logs_by_trace ON logs (trace_id) WHERE trace_id != '';
  CREATE VIRTUAL TABLE logs_fts USING fts5(body, attributes, content='logs', content_rowid='id');
  CREATE TABLE push_groups (group_key TEXT PRIMARY KEY, series_keys TEXT NOT NULL);
  CREATE TABLE calibrations (id INTEGER PRIMARY KEY, provider TEXT NOT NULL, device TEXT NOT NULL,
    taken_at_ms INTEGER NOT NULL, snapshot TEXT NOT NULL, UNIQUE (provider, device, taken_at_ms));
  CREATE TABLE jobs (id TEXT PRIMARY KEY, provider TEXT NOT NULL, device TEXT NOT NULL, status TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL, calibration_id INTEGER, details TEXT NOT NULL);
  CREATE INDEX jobs_by_created ON jobs (created_at_ms);
  `,
];
