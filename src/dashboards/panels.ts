// The Overview's eight panels: titles, kinds and PromQL, in one table that the web dashboard and the
// Grafana export both read, so the two dashboards always show the same queries.
// Expressions may use Grafana's `$__range`, `$__interval` and `$__rate_interval`; the web dashboard
// substitutes them the way Grafana does.

/** How a panel draws its result. */
export type PanelKind = 'timeseries' | 'stat' | 'table' | 'heatmap' | 'donut';

/** One query of a panel; `legend` uses Grafana's `{{label}}` templating. */
export interface PanelQuery {
  readonly refId: string;
  readonly expr: string;
  readonly legend: string;
  /** Evaluated at the end of the range only (tables, stats, donuts). */
  readonly instant?: boolean;
}

/** A colour threshold: the value is at least `value` → `color`, named by `label` so colour is never alone. */
export interface Threshold {
  readonly value: number;
  readonly color: 'red' | 'yellow' | 'green';
  readonly label: string;
}

/** One Overview panel. */
export interface PanelSpec {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly kind: PanelKind;
  /** Grafana unit id (`ops`, `percent`, `s`, `short`, `currencyUSD`, `percentunit`). */
  readonly unit: string;
  readonly queries: readonly PanelQuery[];
  /** Ascending by value; the first applies below the second's value. */
  readonly thresholds?: readonly Threshold[];
  /** For `heatmap` panels: ascending upper bounds of the value bands (a last band catches values above). */
  readonly bins?: readonly number[];
  /** For `table` panels showing a 0/1 state: the text for each value. */
  readonly valueText?: Readonly<Record<string, string>>;
}

/** The eight panels of the Overview, in display order (titles as the specification names them). */
export const OVERVIEW_PANELS: readonly PanelSpec[] = [
  {
    id: 'execution-rate',
    title: 'Quantum Circuit Execution Rate',
    description: 'Circuit executions per second, by device.',
    kind: 'timeseries',
    unit: 'ops',
    queries: [
      {
        refId: 'A',
        expr: 'sum by (provider, device) (rate(quantum_circuit_executions_total[$__rate_interval]))',
        legend: '{{provider}}.{{device}}',
      },
    ],
  },
  {
    id: 'success-rate',
    title: 'Circuit Success Rate',
    description:
      'Share of executions with status="success" over the selected range; red below 90 %, yellow below 95 %.',
    kind: 'stat',
    unit: 'percent',
    queries: [
      {
        refId: 'A',
        expr:
          '100 * sum(increase(quantum_circuit_executions_total{status="success"}[$__range]))' +
          ' / sum(increase(quantum_circuit_executions_total[$__range]))',
        legend: 'success rate',
        instant: true,
      },
    ],
    thresholds: [
      { value: Number.NEGATIVE_INFINITY, color: 'red', label: 'Critical' },
      { value: 90, color: 'yellow', label: 'Warning' },
      { value: 95, color: 'green', label: 'Healthy' },
    ],
  },
  {
    id: 'execution-time',
    title: 'Average Circuit Execution Time',
    description: 'Mean and p50, p95, p99 of circuit execution time (from the histogram), all devices.',
    kind: 'timeseries',
    unit: 's',
    queries: [
      {
        refId: 'A',
        expr:
          'sum(rate(quantum_circuit_execution_seconds_sum[$__rate_interval]))' +
          ' / sum(rate(quantum_circuit_execution_seconds_count[$__rate_interval]))',
        legend: 'mean',
      },
      {
        refId: 'B',
        expr: 'histogram_quantile(0.5, sum by (le) (rate(quantum_circuit_execution_seconds_bucket[$__rate_interval])))',
        legend: 'p50',
      },
      {
        refId: 'C',
        expr: 'histogram_quantile(0.95, sum by (le) (rate(quantum_circuit_execution_seconds_bucket[$__rate_interval])))',
        legend: 'p95',
      },
      {
        refId: 'D',
        expr: 'histogram_quantile(0.99, sum by (le) (rate(quantum_circuit_execution_seconds_bucket[$__rate_interval])))',
        legend: 'p99',
      },
    ],
  },
  {
    id: 'device-status',
    title: 'Quantum Device Status',
    description: 'Last reported status of each device: 1 Online, 0 Offline.',
    kind: 'table',
    unit: 'short',
    queries: [
      { refId: 'A', expr: 'max by (provider, device) (quantum_device_status)', legend: '', instant: true },
    ],
    thresholds: [
      { value: Number.NEGATIVE_INFINITY, color: 'red', label: 'Offline' },
      { value: 1, color: 'green', label: 'Online' },
    ],
    valueText: { '0': 'Offline', '1': 'Online' },
  },
  {
    id: 'queue-length',
    title: 'Queue Length by Device',
    description: 'Jobs waiting in each device queue.',
    kind: 'timeseries',
    unit: 'short',
    queries: [
      {
        refId: 'A',
        expr: 'max by (provider, device) (quantum_device_queue_length)',
        legend: '{{provider}}.{{device}}',
      },
    ],
  },
  {
    id: 'fidelity-distribution',
    title: 'Circuit Fidelity Distribution',
    description:
      'How many fidelity readings (gauge quantum_circuit_fidelity, every device and circuit type) fall in each band, per time step.',
    kind: 'heatmap',
    unit: 'short',
    queries: [
      { refId: 'A', expr: 'quantum_circuit_fidelity', legend: '{{provider}}.{{device}} {{circuit_type}}' },
    ],
    // Upper bounds of the fidelity bands, as Grafana's heatmap "calculate from data" buckets.
    bins: [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1],
  },
  {
    id: 'cost-by-provider',
    title: 'Quantum Cost by Provider',
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
    id: 'error-rates',
    title: 'Error Rates by Device',
    description: 'Calibration error rates by device and error type.',
    kind: 'timeseries',
    unit: 'percentunit',
    queries: [
      {
        refId: 'A',
        expr: 'max by (provider, device, error_type) (quantum_device_error_rate)',
        legend: '{{provider}}.{{device}} {{error_type}}',
      },
    ],
  },
];

/** Applies Grafana's `{{label}}` legend template to a label set; an empty template lists the labels. */
export function legendFor(template: string, labels: Readonly<Record<string, string>>): string {
  if (!template) {
    const parts = Object.entries(labels)
      .filter(([k]) => k !== '__name__')
      .map(([k, v]) => `${k}="${v}"`);
    return `{${parts.join(', ')}}`;
  }
  return template.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}

/** The threshold a value falls in (the last whose value it reaches). */
export function thresholdFor(thresholds: readonly Threshold[], value: number): Threshold | undefined {
  let hit: Threshold | undefined;
  for (const t of thresholds) if (value >= t.value) hit = t;
  return hit;
}
