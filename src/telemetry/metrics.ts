// The Observer's Prometheus metrics: the twelve of DESIGN.md §3 plus qobs' own, in a registry of its own.
import { Counter, Gauge, Histogram, type LabelValues, Registry, type RegistryContentType } from 'prom-client';
import { BUCKETS } from './semconv.js';

/** Options of the metrics signal. */
export interface MetricsOptions {
  /**
   * A prom-client registry to register into. Exemplars need an OpenMetrics registry
   * (`new Registry(Registry.OPENMETRICS_CONTENT_TYPE)`); with a Prometheus-type one they are off.
   */
  readonly registry?: Registry<RegistryContentType>;
}

/** Metric names (the twelve of the specification first, then qobs' own; all in docs/metrics.md). */
export const METRIC = {
  executions: 'quantum_circuit_executions_total',
  executionSeconds: 'quantum_circuit_execution_seconds',
  queueSeconds: 'quantum_circuit_queue_seconds',
  depth: 'quantum_circuit_depth',
  gates: 'quantum_circuit_gates',
  fidelity: 'quantum_circuit_fidelity',
  noiseLevel: 'quantum_hardware_noise_level',
  cost: 'quantum_cost_total',
  deviceStatus: 'quantum_device_status',
  deviceQueueLength: 'quantum_device_queue_length',
  calibrationAgeHours: 'quantum_device_calibration_age_hours',
  errorRate: 'quantum_device_error_rate',
  shots: 'quantum_circuit_shots_total',
  twoQubitGates: 'quantum_circuit_two_qubit_gates',
  fidelityEstimate: 'quantum_circuit_fidelity_estimate',
  esp: 'quantum_circuit_estimated_success_probability',
  tasks: 'quantum_tasks',
  securityEvents: 'quantum_security_events_total',
  dropped: 'qobs_telemetry_dropped_total',
} as const;

/** The metric instruments of one Observer. */
export class QuantumMetrics {
  readonly registry: Registry<RegistryContentType>;
  readonly exemplars: boolean;
  readonly executions: Counter<'provider' | 'device' | 'status'>;
  readonly executionSeconds: Histogram<'provider' | 'device'>;
  readonly queueSeconds: Histogram<'provider' | 'device'>;
  readonly depth: Histogram<'provider'>;
  readonly gates: Histogram<'provider'>;
  readonly fidelity: Gauge<'provider' | 'device' | 'circuit_type'>;
  readonly noiseLevel: Gauge<'provider' | 'device'>;
  readonly cost: Counter<'provider' | 'cost_type'>;
  readonly deviceStatus: Gauge<'provider' | 'device'>;
  readonly deviceQueueLength: Gauge<'provider' | 'device'>;
  readonly calibrationAgeHours: Gauge<'provider' | 'device'>;
  readonly errorRate: Gauge<'provider' | 'device' | 'error_type'>;
  readonly shots: Counter<'provider' | 'device'>;
  readonly twoQubitGates: Histogram<'provider'>;
  readonly fidelityEstimate: Gauge<'provider' | 'device' | 'circuit_type' | 'method'>;
  readonly esp: Gauge<'provider' | 'device' | 'circuit_type'>;
  readonly tasks: Gauge<'provider' | 'device' | 'status'>;
  readonly securityEvents: Counter<'security_event_type' | 'service'>;
  readonly dropped: Counter<'signal' | 'reason'>;

  constructor(options: MetricsOptions = {}) {
    this.registry = options.registry ?? openMetricsRegistry();
    this.exemplars = this.registry.contentType === Registry.OPENMETRICS_CONTENT_TYPE;
    const registers = [this.registry];
    const pd = ['provider', 'device'] as const;
    this.executions = new Counter({
      name: METRIC.executions,
      help: 'Circuit executions by outcome (status: success, error, cancelled).',
      labelNames: [...pd, 'status'],
      registers,
    });
    this.executionSeconds = new Histogram({
      name: METRIC.executionSeconds,
      help: 'Time a circuit spent executing on the device, from the job timestamps, in seconds.',
      labelNames: pd,
      buckets: [...BUCKETS.executionSeconds],
      enableExemplars: this.exemplars,
      registers,
    });
    this.queueSeconds = new Histogram({
      name: METRIC.queueSeconds,
      help: 'Time a job waited in the provider queue before it started, in seconds.',
      labelNames: pd,
      buckets: [...BUCKETS.queueSeconds],
      registers,
    });
    this.depth = new Histogram({
      name: METRIC.depth,
      help: 'Depth of executed circuits (longest path of operations, barriers excluded).',
      labelNames: ['provider'],
      buckets: [...BUCKETS.depth],
      registers,
    });
    this.gates = new Histogram({
      name: METRIC.gates,
      help: 'Gate count of executed circuits (operations other than measure, reset and barrier).',
      labelNames: ['provider'],
      buckets: [...BUCKETS.gates],
      registers,
    });
    this.fidelity = new Gauge({
      name: METRIC.fidelity,
      help: 'Fidelity of the last execution (method in quantum_circuit_fidelity_estimate and in logs).',
      labelNames: [...pd, 'circuit_type'],
      registers,
    });
    this.noiseLevel = new Gauge({
      name: METRIC.noiseLevel,
      help: 'Mean two-qubit gate error of the device calibration in force (single-qubit when it has none).',
      labelNames: pd,
      registers,
    });
    this.cost = new Counter({
      name: METRIC.cost,
      help: 'Money spent, from a dated price catalogue, in the catalogue currency (USD).',
      labelNames: ['provider', 'cost_type'],
      registers,
    });
    this.deviceStatus = new Gauge({
      name: METRIC.deviceStatus,
      help: 'Device status: 1 online, 0 offline or in maintenance (absent when unknown).',
      labelNames: pd,
      registers,
    });
    this.deviceQueueLength = new Gauge({
      name: METRIC.deviceQueueLength,
      help: 'Jobs waiting in the device queue, as the provider reports it.',
      labelNames: pd,
      registers,
    });
    this.calibrationAgeHours = new Gauge({
      name: METRIC.calibrationAgeHours,
      help: 'Hours since the device calibration in force was made.',
      labelNames: pd,
      registers,
    });
    this.errorRate = new Gauge({
      name: METRIC.errorRate,
      help: 'Mean error rate of the device calibration in force, by type (readout_error, gate_error, two_qubit_gate_error, coherence_error).',
      labelNames: [...pd, 'error_type'],
      registers,
    });
    this.shots = new Counter({
      name: METRIC.shots,
      help: 'Shots executed.',
      labelNames: pd,
      registers,
    });
    this.twoQubitGates = new Histogram({
      name: METRIC.twoQubitGates,
      help: 'Two-qubit gate count of executed circuits.',
      labelNames: ['provider'],
      buckets: [...BUCKETS.twoQubitGates],
      registers,
    });
    this.fidelityEstimate = new Gauge({
      name: METRIC.fidelityEstimate,
      help: 'Fidelity of the last execution by method (hellinger: measured against ideal; esp: estimated success probability).',
      labelNames: [...pd, 'circuit_type', 'method'],
      registers,
    });
    this.esp = new Gauge({
      name: METRIC.esp,
      help: 'Estimated success probability of the last execution, from the calibration in force when it ran.',
      labelNames: [...pd, 'circuit_type'],
      registers,
    });
    this.tasks = new Gauge({
      name: METRIC.tasks,
      help: 'Jobs submitted through this process that have not finished, by status at submission (queued, running).',
      labelNames: [...pd, 'status'],
      registers,
    });
    this.securityEvents = new Counter({
      name: METRIC.securityEvents,
      help: 'Security events seen (credential_exposure_detected: a secret was redacted from telemetry).',
      labelNames: ['security_event_type', 'service'],
      registers,
    });
    this.dropped = new Counter({
      name: METRIC.dropped,
      help: 'Telemetry dropped instead of thrown into the workload, by signal and reason.',
      labelNames: ['signal', 'reason'],
      registers,
    });
  }

  /** Observes an execution time, with a trace-id exemplar when exemplars are on and a trace id is known. */
  observeExecution(
    labels: LabelValues<'provider' | 'device'>,
    seconds: number,
    traceId: string | undefined,
    spanId: string | undefined,
  ): void {
    if (this.exemplars) {
      // The exemplar's label names are not the metric's: prom-client's typing conflates them.
      const exemplarLabels = (
        traceId ? { trace_id: traceId, span_id: spanId ?? '' } : {}
      ) as LabelValues<'provider'>;
      this.executionSeconds.observe({ labels, value: seconds, exemplarLabels });
    } else {
      this.executionSeconds.observe(labels, seconds);
    }
  }

  /** OpenMetrics text (with exemplars) when `openMetrics`, else the Prometheus text format 0.0.4. */
  async exposition(openMetrics = false): Promise<string> {
    if (openMetrics && this.exemplars) return this.registry.metrics();
    return prometheusText(await this.registry.getMetricsAsJSON());
  }
}

function openMetricsRegistry(): Registry<RegistryContentType> {
  // prom-client's typings omit the constructor's content-type argument; setContentType says the same.
  const r = new Registry<RegistryContentType>();
  r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return r;
}

/** Content types of the two expositions. */
export const CONTENT_TYPE = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openMetrics: Registry.OPENMETRICS_CONTENT_TYPE,
} as const;

interface MetricJson {
  name: string;
  help: string;
  type: string;
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

/**
 * Renders the Prometheus text format ourselves: prom-client renders one registry in one format and strips
 * `_total` from counter names in place when it renders OpenMetrics, so the OpenMetrics registry cannot also
 * give the Prometheus text.
 */
export function prometheusText(metrics: readonly unknown[]): string {
  const out: string[] = [];
  for (const raw of metrics as MetricJson[]) {
    const name = raw.type === 'counter' ? `${raw.name.replace(/_total$/, '')}_total` : raw.name;
    out.push(`# HELP ${name} ${raw.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    out.push(`# TYPE ${name} ${raw.type}`);
    for (const v of raw.values) {
      const metricName = raw.type === 'counter' ? name : (v.metricName ?? name);
      const pairs = Object.entries(v.labels).map(([k, x]) => `${k}="${escapeLabel(String(x))}"`);
      out.push(`${metricName}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(v.value)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function escapeLabel(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}
