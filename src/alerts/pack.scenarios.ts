// Scenarios for the default rule pack: input series in promtool's notation, fed to the qobs evaluator and,
// with the alerts it produced, written as a promtool unit test. One per alerting rule, and some for the
// recording rules.
import { stringify } from 'yaml';
import type { RuleSample } from './evaluator.js';
import { RuleEvaluator } from './evaluator.js';
import type { RuleFile } from './rules.js';

export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

export interface Scenario {
  /** The alert (or recorded series) the scenario is about. */
  readonly name: string;
  readonly kind: 'alert' | 'record';
  readonly series: readonly InputSeries[];
  /** Evaluation times in minutes after the start of the input series. */
  readonly evalMinutes: readonly number[];
}

export const EXTERNAL_URL = 'http://127.0.0.1:8000';
const MINUTE = 60_000;

const S = (
  name: string,
  kind: Scenario['kind'],
  evalMinutes: number[],
  ...series: [string, string][]
): Scenario => ({
  name,
  kind,
  evalMinutes,
  series: series.map(([s, v]) => ({ series: s, values: v })),
});

const SUCCESS_SERIES: [string, string][] = [
  ['quantum_circuit_executions_total{provider="ibm",device="ibm_torino",status="success"}', '0+10x60'],
  ['quantum_circuit_executions_total{provider="ibm",device="ibm_torino",status="error"}', '0x20 3+3x40'],
  ['quantum_circuit_executions_total{provider="ionq",device="forte-1",status="success"}', '0+10x60'],
];
const LATENCY_SERIES: [string, string][] = [
  ...['0.1', '0.5', '1'].map((le): [string, string] => [
    `quantum_circuit_execution_seconds_bucket{provider="ibm",device="ibm_torino",le="${le}"}`,
    '0x60',
  ]),
  ...['5', '10', '30', '60'].map((le): [string, string] => [
    `quantum_circuit_execution_seconds_bucket{provider="ibm",device="ibm_torino",le="${le}"}`,
    '0+10x30 300x30',
  ]),
  ...['300', '+Inf'].map((le): [string, string] => [
    `quantum_circuit_execution_seconds_bucket{provider="ibm",device="ibm_torino",le="${le}"}`,
    '0+10x60',
  ]),
];
const COST_SERIES: [string, string][] = [
  ['quantum_cost_total{provider="ibm",cost_type="shots"}', '0+0.5x420 210+5x60'],
  ['quantum_cost_total{provider="ibm",cost_type="tasks"}', '0+0.1x480'],
  ['quantum_cost_total{provider="ionq",cost_type="shots"}', '0+0.5x480'],
];

/** The scenarios; every alerting rule of the pack has one. */
export const SCENARIOS: readonly Scenario[] = [
  S(
    'QuantumDeviceOffline',
    'alert',
    [10, 14, 16, 20, 31, 33, 40],
    ['quantum_device_status{provider="ibm",device="ibm_torino"}', '1x10 0x20 1x10'],
    ['quantum_device_status{provider="ionq",device="forte-1"}', '1x45'],
  ),
  S(
    'QuantumQueueTooLong',
    'alert',
    [5, 10, 20, 21, 30, 50],
    ['quantum_device_queue_length{provider="ibm",device="ibm_kyiv"}', '50+10x20 250x30'],
  ),
  S(
    'QuantumCalibrationStale',
    'alert',
    [40, 60, 71, 80, 100],
    ['quantum_device_calibration_age_hours{provider="braket",device="ionq/forte-1"}', '20+0.1x100'],
    ['quantum_device_calibration_age_hours{provider="ibm",device="ibm_fez"}', '1+0.01x100'],
  ),
  S(
    'QuantumCalibrationDriftPredicted',
    'alert',
    [120, 170, 180, 240, 300],
    ['quantum_device_error_rate{provider="ibm",device="ibm_fez",error_type="gate_error"}', '0.01+0.0001x300'],
    ['quantum_device_error_rate{provider="ibm",device="ibm_fez",error_type="readout_error"}', '0.02x300'],
  ),
  S(
    'QuantumFidelityDrop',
    'alert',
    [420, 440, 446, 470, 480],
    ['quantum_circuit_fidelity{provider="ibm",device="ibm_torino",circuit_type="vqc"}', '0.95x420 0.80x60'],
    ['quantum_circuit_fidelity{provider="ibm",device="ibm_torino",circuit_type="qaoa"}', '0.9x480'],
  ),
  S(
    'QuantumErrorRateHigh',
    'alert',
    [15, 21, 30, 45],
    [
      'quantum_device_error_rate{provider="ibm",device="ibm_brisbane",error_type="readout_error"}',
      '0.03x10 0.08x30 0.03x10',
    ],
    ['quantum_device_error_rate{provider="ibm",device="ibm_brisbane",error_type="gate_error"}', '0.002x50'],
  ),
  S('QuantumCircuitSuccessRateLow', 'alert', [20, 25, 30, 40, 60], ...SUCCESS_SERIES),
  S('QuantumExecutionLatencyHigh', 'alert', [30, 40, 45, 55, 60], ...LATENCY_SERIES),
  S(
    'QuantumCostBudgetBurnFast',
    'alert',
    [60, 70, 80, 100, 125, 130, 180],
    ['quantum_cost_budget_usd{budget="research"}', '1000x200'],
    ['quantum_cost_budget_period_seconds{budget="research"}', '2592000x200'],
    ['quantum_cost_budget_remaining_usd{budget="research"}', '1000-0.1x60 993-1x59 933.9-0.1x60'],
    // The same spend against a weekly budget of the same amount is within its pace: no alert for it.
    ['quantum_cost_budget_usd{budget="lab"}', '1000x200'],
    ['quantum_cost_budget_period_seconds{budget="lab"}', '604800x200'],
    ['quantum_cost_budget_remaining_usd{budget="lab"}', '1000-0.1x60 993-1x59 933.9-0.1x60'],
    // An exporter without the period gauge (an older qobs): judged against a 30-day period.
    ['quantum_cost_budget_usd{budget="legacy"}', '1000x200'],
    ['quantum_cost_budget_remaining_usd{budget="legacy"}', '1000-0.1x60 993-1x59 933.9-0.1x60'],
  ),
  S(
    'QuantumCostBudgetBurnSlow',
    'alert',
    [360, 420, 440, 480, 500],
    ['quantum_cost_budget_usd{budget="ops"}', '500x500'],
    ['quantum_cost_budget_period_seconds{budget="ops"}', '2592000x500'],
    ['quantum_cost_budget_remaining_usd{budget="ops"}', '500-0.01x360 496.1-0.3x140'],
  ),
  S('QuantumCostSpike', 'alert', [420, 430, 440, 470], ...COST_SERIES),
  S(
    'QuantumCredentialExposure',
    'alert',
    [29, 30, 40, 46, 51, 60, 70],
    [
      'quantum_security_events_total{security_event_type="credential_exposure_detected",service="trainer"}',
      '_x30 1x20 2x40',
    ],
    ['quantum_security_events_total{security_event_type="auth_failure",service="trainer"}', '0+1x90'],
  ),
  S(
    'QobsTelemetryDropped',
    'alert',
    [15, 22, 30, 46, 50, 60],
    ['qobs_telemetry_dropped_total{signal="spans",reason="queue_full"}', '0x10 0+5x30 150x30'],
    ['qobs_telemetry_dropped_total{signal="logs",reason="queue_full"}', '0x70'],
  ),
  S('quantum:circuit_success_ratio:rate15m', 'record', [15, 30, 45, 60], ...SUCCESS_SERIES),
  S('quantum:circuit_execution_seconds:p95_10m', 'record', [20, 35, 50, 60], ...LATENCY_SERIES),
  S('quantum:cost:increase1h', 'record', [60, 420, 450, 480], ...COST_SERIES),
];

/** Expands promtool's series notation (`a+bxn`, `a-bxn`, `axn`, `_`, `_xn`), accumulating as Prometheus does. */
export function expandSeriesValues(text: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const tok of text.trim().split(/\s+/)) {
    if (tok === '_') {
      out.push(undefined);
      continue;
    }
    const blank = /^_x(\d+)$/.exec(tok);
    if (blank) {
      for (let i = 0; i < Number(blank[1]); i++) out.push(undefined);
      continue;
    }
    const m = /^([-+]?[\d.]+(?:e[-+]?\d+)?)(?:([-+])([\d.]+(?:e[-+]?\d+)?))?x(\d+)$/.exec(tok);
    if (m) {
      let k = Number(m[1]);
      const inc = m[2] ? Number(m[2] + m[3]) : 0;
      out.push(k);
      for (let i = 0; i < Number(m[4]); i++) {
        k += inc;
        out.push(k);
      }
      continue;
    }
    const v = Number(tok);
    if (Number.isNaN(v)) throw new Error(`bad series value '${tok}'`);
    out.push(v);
  }
  return out;
}

/** Parses `name{a="b",c="d"}`. */
export function parseSeriesLabels(s: string): Record<string, string> {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}$/.exec(s.trim());
  if (!m) throw new Error(`bad series '${s}'`);
  const labels: Record<string, string> = { __name__: m[1] };
  for (const part of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
    labels[part[1]] = JSON.parse(`"${part[2]}"`);
  return labels;
}

/** What the qobs evaluator produced for a scenario. */
export interface ScenarioResult {
  /** Firing alerts of the scenario's alert at every minute up to the last evaluation time. */
  readonly alerts: Map<number, { labels: Record<string, string>; annotations: Record<string, string> }[]>;
  /** Recorded samples of the scenario's series at each evaluation minute. */
  readonly samples: Map<number, { labels: Record<string, string>; value: number }[]>;
}

/** The slice of a series store the scenario runner needs: add a sample. */
export interface AppendTarget {
  append(labels: Record<string, string>, timestampMs: number, value: number): void;
}

/**
 * Feeds a scenario's series to the evaluator and runs every group of the pack each minute, as promtool does.
 * `makeEngine` receives the filled source.
 */
export function runScenario<T extends AppendTarget>(
  scenario: Scenario,
  pack: RuleFile,
  source: T,
  makeEngine: (source: T) => { instantQuery(expr: string, timeMs: number): unknown },
  opts: { allRules?: boolean } = {},
): ScenarioResult {
  for (const s of scenario.series) {
    const labels = parseSeriesLabels(s.series);
    expandSeriesValues(s.values).forEach((v, i) => {
      if (v !== undefined) source.append(labels, i * MINUTE, v);
    });
  }
  const recorded: RuleSample[] = [];
  // Only the scenario's rule runs: no rule of the pack reads another's output, so the others cannot change it.
  const groups = opts.allRules
    ? [...pack.groups]
    : pack.groups
        .map((g) => ({
          ...g,
          rules: g.rules.filter((r) => (r.kind === 'alerting' ? r.alert : r.record) === scenario.name),
        }))
        .filter((g) => g.rules.length > 0);
  const evaluator = new RuleEvaluator({
    engine: makeEngine(source),
    groups,
    defaultIntervalMs: MINUTE,
    externalURL: EXTERNAL_URL,
    append: (samples) => {
      for (const s of samples) {
        source.append(s.labels, s.timestampMs, s.value);
        recorded.push(s);
      }
    },
  });
  const alerts: ScenarioResult['alerts'] = new Map();
  const samples: ScenarioResult['samples'] = new Map();
  const last = Math.max(...scenario.evalMinutes);
  const want = new Set(scenario.evalMinutes);
  for (let m = 0; m <= last; m++) {
    for (const g of groups) evaluator.evalGroup(g, m * MINUTE);
    for (const [key, h] of evaluator.health)
      if (h.health === 'err') throw new Error(`rule ${key} failed at ${m}m: ${h.lastError}`);
    // Alerts are compared at every minute, so promtool checks exactly when each alert starts and stops firing.
    alerts.set(
      m,
      evaluator
        .alerts()
        .filter((a) => a.rule === scenario.name && a.state === 'firing')
        .map((a) => ({ labels: a.labels, annotations: a.annotations })),
    );
    if (!want.has(m)) continue;
    samples.set(
      m,
      recorded
        .filter((s) => s.timestampMs === m * MINUTE && s.labels.__name__ === scenario.name)
        .map((s) => ({ labels: { ...s.labels }, value: s.value })),
    );
  }
  return { alerts, samples };
}

function seriesSelector(labels: Record<string, string>): string {
  const { __name__, ...rest } = labels;
  const parts = Object.keys(rest)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rest[k])}`);
  return `${__name__ ?? ''}{${parts.join(', ')}}`;
}

/** Writes the promtool unit test asserting exactly what the qobs evaluator produced. */
export function promtoolTest(scenario: Scenario, result: ScenarioResult, ruleFile: string): string {
  const test: Record<string, unknown> = {
    interval: '1m',
    external_url: EXTERNAL_URL,
    name: scenario.name,
    input_series: scenario.series.map((s) => ({ series: s.series, values: s.values })),
  };
  if (scenario.kind === 'alert') {
    test.alert_rule_test = [...result.alerts.keys()].map((m) => ({
      eval_time: `${m}m`,
      alertname: scenario.name,
      exp_alerts: (result.alerts.get(m) ?? []).map((a) => {
        const { alertname: _drop, ...labels } = a.labels;
        return { exp_labels: labels, exp_annotations: a.annotations };
      }),
    }));
  } else {
    test.promql_expr_test = scenario.evalMinutes.map((m) => ({
      expr: scenario.name,
      eval_time: `${m}m`,
      exp_samples: (result.samples.get(m) ?? []).map((s) => ({
        labels: seriesSelector(s.labels),
        value: s.value,
      })),
    }));
  }
  return stringify({ rule_files: [ruleFile], evaluation_interval: '1m', tests: [test] }, { lineWidth: 0 });
}
