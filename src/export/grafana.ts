// Grafana dashboards (classic JSON model) and provisioning files, built from the web dashboard's own panel table.
import { OVERVIEW_PANELS, type PanelSpec } from '../dashboards/index.js';

/** Grafana's classic dashboard schema version the exports are written for (Grafana 10.4 to 11.x). */
export const GRAFANA_SCHEMA_VERSION = 39;

/** The data source uids the dashboards reference; each is also a dashboard variable so another uid can be chosen. */
export const DATASOURCE_UID = {
  prometheus: 'qobs-prometheus',
  tempo: 'qobs-tempo',
  loki: 'qobs-loki',
} as const;

/** A Grafana dashboard in the classic JSON model (only the fields qobs writes). */
export interface GrafanaDashboard {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  version: number;
  editable: boolean;
  timezone: string;
  refresh: string;
  time: { from: string; to: string };
  templating: { list: Record<string, unknown>[] };
  annotations: { list: Record<string, unknown>[] };
  links: Record<string, unknown>[];
  panels: GrafanaPanel[];
}

/** A panel of the classic model. */
export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource: { type: string; uid: string };
  targets: Record<string, unknown>[];
  fieldConfig: { defaults: Record<string, unknown>; overrides: unknown[] };
  options: Record<string, unknown>;
  transformations?: Record<string, unknown>[];
}

/** Grafana's `${name}` variable reference (built so that it never reads as a JavaScript placeholder). */
function grafanaVar(name: string): string {
  return `$\{${name}}`;
}

const PROM = { type: 'prometheus', uid: grafanaVar('ds_prometheus') };
const TEMPO = { type: 'tempo', uid: grafanaVar('ds_tempo') };
const LOKI = { type: 'loki', uid: grafanaVar('ds_loki') };

/** Which panel type of today's Grafana draws each kind (`donut` is a piechart with pieType donut). */
const PANEL_TYPE: Record<PanelSpec['kind'], string> = {
  timeseries: 'timeseries',
  stat: 'stat',
  table: 'table',
  heatmap: 'heatmap',
  donut: 'piechart',
};

function dsVariable(name: string, type: string, uid: string, label: string): Record<string, unknown> {
  return {
    name,
    label,
    type: 'datasource',
    query: type,
    current: { text: uid, value: uid },
    hide: 0,
    refresh: 1,
  };
}

function queryVariable(name: string, query: string, label: string): Record<string, unknown> {
  return {
    name,
    label,
    type: 'query',
    datasource: PROM,
    definition: query,
    query: { query, refId: `${name}-var` },
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { text: ['All'], value: ['$__all'] },
    sort: 1,
    hide: 0,
  };
}

function templating(withDeviceVars: boolean): { list: Record<string, unknown>[] } {
  const list = [
    dsVariable('ds_prometheus', 'prometheus', DATASOURCE_UID.prometheus, 'Prometheus'),
    dsVariable('ds_tempo', 'tempo', DATASOURCE_UID.tempo, 'Traces'),
    dsVariable('ds_loki', 'loki', DATASOURCE_UID.loki, 'Logs'),
  ];
  if (withDeviceVars)
    list.push(
      queryVariable('provider', 'label_values(quantum_device_status, provider)', 'Provider'),
      queryVariable('device', 'label_values(quantum_device_status{provider=~"$provider"}, device)', 'Device'),
    );
  return { list };
}

function thresholds(spec: Pick<PanelSpec, 'thresholds'>): Record<string, unknown> {
  const steps = (spec.thresholds ?? [{ value: Number.NEGATIVE_INFINITY, color: 'green' as const }]).map(
    (t) => ({
      // Grafana writes the base step with value null.
      value: Number.isFinite(t.value) ? t.value : null,
      color: t.color,
    }),
  );
  return { mode: 'absolute', steps };
}

function options(spec: PanelSpec): Record<string, unknown> {
  const legend = { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] };
  switch (spec.kind) {
    case 'timeseries':
      return { legend, tooltip: { mode: 'multi', sort: 'desc' } };
    case 'stat':
      return {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'background',
        graphMode: 'none',
        textMode: 'auto',
        orientation: 'auto',
        justifyMode: 'auto',
      };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
    case 'heatmap':
      return {
        calculate: true,
        // Fidelity bands of the web dashboard's heatmap, as Grafana's explicit-size buckets from 0 to 1.
        calculation: { yBuckets: { mode: 'size', value: '0.05', scale: { type: 'linear' } } },
        color: { mode: 'scheme', scheme: 'Oranges', steps: 64, fill: 'dark-orange', scale: 'exponential' },
        cellGap: 1,
        yAxis: { axisPlacement: 'left', unit: 'percentunit', min: 0, max: 1 },
        legend: { show: true },
        tooltip: { mode: 'single', yHistogram: false },
        rowsFrame: { layout: 'auto' },
      };
    case 'donut':
      return {
        pieType: 'donut',
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        displayLabels: ['name', 'percent'],
        legend: { ...legend, placement: 'right', values: ['value', 'percent'] },
        tooltip: { mode: 'single', sort: 'none' },
      };
  }
}

function fieldDefaults(spec: PanelSpec): Record<string, unknown> {
  const d: Record<string, unknown> = { unit: spec.unit, thresholds: thresholds(spec), mappings: [] };
  if (spec.kind === 'timeseries')
    d.custom = { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false };
  if (spec.kind === 'stat') d.color = { mode: 'thresholds' };
  if (spec.valueText) {
    const colorOf = (v: number) =>
      spec.thresholds && [...spec.thresholds].reverse().find((t) => v >= t.value)?.color;
    const opts: Record<string, unknown> = {};
    Object.entries(spec.valueText).forEach(([value, text], index) => {
      opts[value] = { text, color: colorOf(Number(value)), index };
    });
    d.mappings = [{ type: 'value', options: opts }];
    d.custom = { align: 'auto', cellOptions: { type: 'color-background' }, inspect: false };
    d.color = { mode: 'thresholds' };
  }
  return d;
}

/** Converts one panel of the shared table into a Grafana panel; the PromQL is carried over unchanged. */
export function panelFromSpec(spec: PanelSpec, id: number, gridPos: GrafanaPanel['gridPos']): GrafanaPanel {
  const panel: GrafanaPanel = {
    id,
    type: PANEL_TYPE[spec.kind],
    title: spec.title,
    description: spec.description,
    gridPos,
    datasource: PROM,
    targets: spec.queries.map((q) => ({
      refId: q.refId,
      datasource: PROM,
      expr: q.expr,
      legendFormat: q.legend || '__auto',
      instant: q.instant === true,
      range: q.instant !== true,
      ...(spec.kind === 'table' ? { format: 'table' } : {}),
      ...(spec.kind === 'heatmap' ? { format: 'time_series' } : {}),
    })),
    fieldConfig: { defaults: fieldDefaults(spec), overrides: [] },
    options: options(spec),
  };
  if (spec.kind === 'table')
    panel.transformations = [
      { id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'Status' } } },
    ];
  return panel;
}

/** Lays panels out two to a row (12 of Grafana's 24 columns each, 8 rows high). */
function layout(specs: readonly PanelSpec[], firstId = 1): GrafanaPanel[] {
  return specs.map((s, i) =>
    panelFromSpec(s, firstId + i, { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 }),
  );
}

function dashboard(
  uid: string,
  title: string,
  panels: GrafanaPanel[],
  deviceVars: boolean,
): GrafanaDashboard {
  return {
    uid,
    title,
    tags: ['qobs', 'quantum'],
    schemaVersion: GRAFANA_SCHEMA_VERSION,
    version: 1,
    editable: true,
    timezone: 'browser',
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: templating(deviceVars),
    annotations: {
      list: [
        {
          name: 'Annotations & Alerts',
          builtIn: 1,
          type: 'dashboard',
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
        },
      ],
    },
    links: [
      {
        title: 'qobs',
        type: 'dashboards',
        tags: ['qobs'],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
      },
    ],
    panels,
  };
}

const DEV = '{provider=~"$provider", device=~"$device"}';

/** Panels of the Devices dashboard: status, queue, calibration age, error rates and noise, per device. */
export const DEVICE_PANELS: readonly PanelSpec[] = [
  {
    id: 'device-status',
    title: 'Device status',
    description: 'Last reported status of each selected device: 1 Online, 0 Offline.',
    kind: 'table',
    unit: 'short',
    queries: [
      {
        refId: 'A',
        expr: `max by (provider, device) (quantum_device_status${DEV})`,
        legend: '',
        instant: true,
      },
    ],
    thresholds: [
      { value: Number.NEGATIVE_INFINITY, color: 'red', label: 'Offline' },
      { value: 1, color: 'green', label: 'Online' },
    ],
    valueText: { '0': 'Offline', '1': 'Online' },
  },
  {
    id: 'queue',
    title: 'Queue length',
    description: 'Jobs waiting in each selected device queue.',
    kind: 'timeseries',
    unit: 'short',
    queries: [
      {
        refId: 'A',
        expr: `max by (provider, device) (quantum_device_queue_length${DEV})`,
        legend: '{{provider}}.{{device}}',
      },
    ],
  },
  {
    id: 'calibration-age',
    title: 'Calibration age',
    description:
      'Hours since the calibration in force was taken; yellow past 12 h, red past 24 h (the alert threshold).',
    kind: 'timeseries',
    unit: 'h',
    queries: [
      {
        refId: 'A',
        expr: `max by (provider, device) (quantum_device_calibration_age_hours${DEV})`,
        legend: '{{provider}}.{{device}}',
      },
    ],
    thresholds: [
      { value: Number.NEGATIVE_INFINITY, color: 'green', label: 'Fresh' },
      { value: 12, color: 'yellow', label: 'Ageing' },
      { value: 24, color: 'red', label: 'Stale' },
    ],
  },
  {
    id: 'error-rates',
    title: 'Error rates',
    description: 'Calibration error rates by device and error type.',
    kind: 'timeseries',
    unit: 'percentunit',
    queries: [
      {
        refId: 'A',
        expr: `max by (provider, device, error_type) (quantum_device_error_rate${DEV})`,
        legend: '{{provider}}.{{device}} {{error_type}}',
      },
    ],
  },
  {
    id: 'noise',
    title: 'Hardware noise level',
    description: 'Noise level derived from the calibration in force.',
    kind: 'timeseries',
    unit: 'percentunit',
    queries: [
      {
        refId: 'A',
        expr: `max by (provider, device) (quantum_hardware_noise_level${DEV})`,
        legend: '{{provider}}.{{device}}',
      },
    ],
  },
  {
    id: 'executions',
    title: 'Executions by status',
    description: 'Circuit executions per second on the selected devices, by outcome.',
    kind: 'timeseries',
    unit: 'ops',
    queries: [
      {
        refId: 'A',
        expr: `sum by (provider, device, status) (rate(quantum_circuit_executions_total${DEV}[$__rate_interval]))`,
        legend: '{{provider}}.{{device}} {{status}}',
      },
    ],
  },
];

/** Panels of the Costs dashboard. */
export const COST_PANELS: readonly PanelSpec[] = [
  {
    id: 'cost-range',
    title: 'Cost over the range',
    description: 'Total cost accrued over the selected range, all providers.',
    kind: 'stat',
    unit: 'currencyUSD',
    queries: [
      { refId: 'A', expr: 'sum(increase(quantum_cost_total[$__range]))', legend: 'cost', instant: true },
    ],
  },
  {
    id: 'cost-by-provider',
    title: 'Cost by provider',
    description: 'Cost accrued over the selected range, by provider.',
    kind: 'donut',
    unit: 'currencyUSD',
    queries: [
      {
        refId: 'A',
        expr: 'sum by (provider) (increase(quantum_cost_total[$__range]))',
        legend: '{{provider}}',
        instant: true,
      },
    ],
  },
  {
    id: 'cost-rate',
    title: 'Spend rate by cost type',
    description: 'Spend per hour, by provider and cost type.',
    kind: 'timeseries',
    unit: 'currencyUSD',
    queries: [
      {
        refId: 'A',
        expr: '3600 * sum by (provider, cost_type) (rate(quantum_cost_total[$__rate_interval]))',
        legend: '{{provider}} {{cost_type}}',
      },
    ],
  },
  {
    id: 'shots',
    title: 'Shots per second',
    description: 'Shots sent to each device: what per-shot prices multiply.',
    kind: 'timeseries',
    unit: 'short',
    queries: [
      {
        refId: 'A',
        expr: 'sum by (provider, device) (rate(quantum_circuit_shots_total[$__rate_interval]))',
        legend: '{{provider}}.{{device}}',
      },
    ],
  },
];

/** Prometheus panels of the Training dashboard (traces and logs panels are added beside them). */
export const TRAINING_PANELS: readonly PanelSpec[] = [
  {
    id: 'fidelity',
    title: 'Fidelity by circuit type',
    description: 'Last fidelity reading per device and circuit type (method in the log line and span).',
    kind: 'timeseries',
    unit: 'percentunit',
    queries: [
      {
        refId: 'A',
        expr: 'max by (provider, device, circuit_type) (quantum_circuit_fidelity)',
        legend: '{{provider}}.{{device}} {{circuit_type}}',
      },
    ],
  },
  {
    id: 'esp',
    title: 'Estimated success probability',
    description: 'ESP from the calibration in force when each job ran.',
    kind: 'timeseries',
    unit: 'percentunit',
    queries: [
      {
        refId: 'A',
        expr: 'max by (provider, device) (quantum_circuit_estimated_success_probability)',
        legend: '{{provider}}.{{device}}',
      },
    ],
  },
  {
    id: 'depth',
    title: 'Circuit depth p95',
    description: '95th percentile of the depth of the circuits run (from the histogram).',
    kind: 'timeseries',
    unit: 'short',
    queries: [
      {
        refId: 'A',
        expr: 'histogram_quantile(0.95, sum by (le, provider) (rate(quantum_circuit_depth_bucket[$__rate_interval])))',
        legend: '{{provider}}',
      },
    ],
  },
  {
    id: 'batch-jobs',
    title: 'Batch jobs: seconds since last push',
    description:
      'Batch jobs (training runs) that push to the Pushgateway: age of their last successful push.',
    kind: 'stat',
    unit: 's',
    queries: [
      { refId: 'A', expr: 'time() - max by (job) (push_time_seconds)', legend: '{{job}}', instant: true },
    ],
  },
];

function tracesPanel(id: number, y: number): GrafanaPanel {
  return {
    id,
    type: 'table',
    title: 'Training traces',
    description: 'quantum_training spans from Tempo (or Jaeger); each links to its logs in Loki.',
    gridPos: { h: 8, w: 12, x: 0, y },
    datasource: TEMPO,
    targets: [
      {
        refId: 'A',
        datasource: TEMPO,
        queryType: 'traceql',
        query: '{ name =~ "quantum_training.*" }',
        limit: 20,
      },
    ],
    fieldConfig: { defaults: { custom: { align: 'auto', inspect: false } }, overrides: [] },
    options: { showHeader: true },
  };
}

function logsPanel(id: number, y: number): GrafanaPanel {
  return {
    id,
    type: 'logs',
    title: 'Quantum errors and cost events',
    description: 'qobs log lines of event_type quantum_error and quantum_cost_event, from Loki.',
    gridPos: { h: 8, w: 12, x: 12, y },
    datasource: LOKI,
    targets: [
      {
        refId: 'A',
        datasource: LOKI,
        expr: '{service_name=~".+"} | json | event_type=~"quantum_error|quantum_cost_event"',
        queryType: 'range',
      },
    ],
    fieldConfig: { defaults: {}, overrides: [] },
    options: { showTime: true, wrapLogMessage: true, sortOrder: 'Descending', enableLogDetails: true },
  };
}

/** The four qobs dashboards, by file name. */
export function grafanaDashboards(): Record<string, GrafanaDashboard> {
  const training = layout(TRAINING_PANELS);
  const y = Math.ceil(TRAINING_PANELS.length / 2) * 8;
  training.push(tracesPanel(training.length + 1, y), logsPanel(training.length + 2, y));
  return {
    'qobs-overview.json': dashboard('qobs-overview', 'qobs / Overview', layout(OVERVIEW_PANELS), false),
    'qobs-devices.json': dashboard('qobs-devices', 'qobs / Devices', layout(DEVICE_PANELS), true),
    'qobs-costs.json': dashboard('qobs-costs', 'qobs / Costs', layout(COST_PANELS), false),
    'qobs-training.json': dashboard('qobs-training', 'qobs / Training', training, false),
  };
}

/** Options of the provisioning files. */
export interface ProvisioningOptions {
  prometheusUrl?: string;
  tempoUrl?: string;
  lokiUrl?: string;
  /** Where Grafana finds the dashboard JSON files. */
  dashboardsPath?: string;
}

/** Grafana provisioning: `datasources/qobs.yml` and `dashboards/qobs.yml`, YAML text by relative path. */
export function grafanaProvisioning(o: ProvisioningOptions = {}): Record<string, string> {
  const prom = o.prometheusUrl ?? 'http://prometheus:9090';
  const tempo = o.tempoUrl ?? 'http://tempo:3200';
  const loki = o.lokiUrl ?? 'http://loki:3100';
  const datasources = `# qobs data sources. Trace-to-logs: a span opens its Loki lines by trace id (qobs writes trace_id on every
# log line written inside a span); logs link back to the trace by the same field.
apiVersion: 1
datasources:
  - name: Prometheus
    uid: ${DATASOURCE_UID.prometheus}
    type: prometheus
    access: proxy
    url: ${prom}
    isDefault: true
    jsonData:
      httpMethod: POST
      exemplarTraceIdDestinations:
        - name: trace_id
          datasourceUid: ${DATASOURCE_UID.tempo}
  - name: Tempo
    uid: ${DATASOURCE_UID.tempo}
    type: tempo
    access: proxy
    url: ${tempo}
    jsonData:
      tracesToLogsV2:
        datasourceUid: ${DATASOURCE_UID.loki}
        spanStartTimeShift: '-5m'
        spanEndTimeShift: '5m'
        filterByTraceID: true
        customQuery: true
        query: '{service_name="\${__span.tags["service.name"]}"} | json | trace_id="\${__span.traceId}"'
      tracesToMetrics:
        datasourceUid: ${DATASOURCE_UID.prometheus}
      serviceMap:
        datasourceUid: ${DATASOURCE_UID.prometheus}
      nodeGraph:
        enabled: true
  - name: Loki
    uid: ${DATASOURCE_UID.loki}
    type: loki
    access: proxy
    url: ${loki}
    jsonData:
      derivedFields:
        - name: TraceID
          matcherType: regex
          matcherRegex: '"trace_id":"(\\w+)"'
          url: '\${__value.raw}'
          datasourceUid: ${DATASOURCE_UID.tempo}
`;
  const dashboards = `apiVersion: 1
providers:
  - name: qobs
    folder: qobs
    type: file
    disableDeletion: false
    allowUiUpdates: true
    updateIntervalSeconds: 60
    options:
      path: ${o.dashboardsPath ?? '/var/lib/grafana/dashboards/qobs'}
`;
  return { 'datasources/qobs.yml': datasources, 'dashboards/qobs.yml': dashboards };
}

/** Every Prometheus expression of a dashboard, with the panel it belongs to. */
export function prometheusQueries(
  d: GrafanaDashboard,
): { panel: string; refId: string; expr: string; instant: boolean }[] {
  const out: { panel: string; refId: string; expr: string; instant: boolean }[] = [];
  for (const p of d.panels)
    for (const t of p.targets)
      if ((t.datasource as { type: string }).type === 'prometheus')
        out.push({
          panel: p.title,
          refId: String(t.refId),
          expr: String(t.expr),
          instant: t.instant === true,
        });
  return out;
}
