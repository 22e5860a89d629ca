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
  // 2: spans grouped by trace, resource and scope per batch (see spans.ts); existing rows are moved into groups,
  // and the `spans` view keeps the one-row-per-span shape for SQL readers.
  `
  CREATE TABLE span_groups (
    id INTEGER PRIMARY KEY, trace_id BLOB NOT NULL, service TEXT NOT NULL, start_ns INTEGER NOT NULL,
    last_start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, max_duration_ns INTEGER NOT NULL, n INTEGER NOT NULL,
    span_ids TEXT NOT NULL, resource TEXT NOT NULL, scope TEXT NOT NULL, spans TEXT NOT NULL);
  INSERT INTO span_groups (trace_id, service, start_ns, last_start_ns, end_ns, max_duration_ns, n, span_ids,
    resource, scope, spans)
  SELECT COALESCE(unhex(trace_id), CAST(trace_id AS BLOB)), service, MIN(start_ns), MAX(start_ns), MAX(end_ns),
    MAX(duration_ns), COUNT(*), group_concat(span_id, ''), resource, scope,
    json_group_array(json_array(span_id, parent_span_id, name, kind, CAST(start_ns AS TEXT), CAST(end_ns AS TEXT),
      status_code, status_message, trace_state, flags, json(attributes), json(events), json(links)))
  FROM (SELECT * FROM spans ORDER BY trace_id, span_id) GROUP BY trace_id, service, resource, scope;
  DROP TABLE spans;
  CREATE INDEX span_groups_by_trace ON span_groups (trace_id);
  CREATE INDEX span_groups_by_start ON span_groups (last_start_ns);
  CREATE INDEX span_groups_by_service ON span_groups (service, last_start_ns);
  CREATE VIEW spans AS SELECT lower(hex(g.trace_id)) AS trace_id, s.value ->> 0 AS span_id,
    s.value ->> 1 AS parent_span_id, s.value ->> 2 AS name, s.value ->> 3 AS kind, g.service AS service,
    CAST(s.value ->> 4 AS INTEGER) AS start_ns, CAST(s.value ->> 5 AS INTEGER) AS end_ns,
    MAX(CAST(s.value ->> 5 AS INTEGER) - CAST(s.value ->> 4 AS INTEGER), 0) AS duration_ns,
    s.value ->> 6 AS status_code, s.value ->> 7 AS status_message, s.value ->> 8 AS trace_state,
    s.value ->> 9 AS flags, s.value -> 10 AS attributes, s.value -> 11 AS events, s.value -> 12 AS links,
    g.resource AS resource, g.scope AS scope
  FROM span_groups g, json_each(g.spans) s;
  `,
  // 3: logs by event type and time, for the views that read one kind of event over a range (costs, executions).
  `
  CREATE INDEX logs_by_event_time ON logs (event_type, time_ns);
  `,
];
