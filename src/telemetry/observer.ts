// The Observer: the one entry point that records a quantum workload as metrics, logs and traces.
import type { Writable } from 'node:stream';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { Circuit } from '../circuit/index.js';
import type { Calibration, Device, DeviceStatus, JobRecord } from '../devices/index.js';
import { QobsConfigError } from '../errors.js';
import { type CircuitInfo, circuitInfo } from './analysis.js';
import { type LogLevel, type LogsOptions, QuantumLogger, type RedactConfig } from './logs.js';
import { type MetricsOptions, QuantumMetrics } from './metrics.js';
import { otlpLogStream } from './otlp-logs.js';
import { type MetricsServer, startMetricsServer } from './server.js';
import { type Finding, redactSecrets, redactText } from './redact.js';
import { ATTR, EXECUTION_STATUS, type ExecutionStatus, type FidelityMethod, SPAN } from './semconv.js';
import { createTracing, type Tracing, type TracesOptions } from './traces.js';

/** A fidelity figure always says how it was obtained. */
export interface Fidelity {
  readonly value: number;
  readonly method: FidelityMethod;
}

/** A priced cost, from a dated catalogue. */
export interface CostFigure {
  readonly amount: number;
  /** ISO 4217, e.g. USD. */
  readonly currency: string;
  /** `execution`, `shots`, `task`, `runtime_seconds`, ... */
  readonly costType: string;
  /** The price catalogue version that priced it. */
  readonly catalogueVersion: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Prices a finished job; undefined when it cannot be priced (then no cost is recorded). */
export type CostOf = (
  job: JobRecord,
  device: Device,
) => CostFigure | undefined | Promise<CostFigure | undefined>;
/**
 * Computes a job's fidelity by one or both methods; undefined or [] when neither applies (then none is recorded).
 * With both, `hellinger` is the recorded fidelity and `esp` the estimated success probability.
 */
export type FidelityOf = (
  job: JobRecord,
  circuit: Circuit,
  device: Device,
) => Fidelity | readonly Fidelity[] | undefined | Promise<Fidelity | readonly Fidelity[] | undefined>;

/** Configuration of an Observer. Every signal can be turned off; off costs nothing on the hot path. */
export interface ObserverOptions {
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** Default on (a registry of the Observer's own). */
  readonly metrics?: boolean | MetricsOptions;
  /** Default on, JSON lines to stdout. */
  readonly logs?: boolean | LogsOptions;
  /** Default on only when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. */
  readonly traces?: boolean | TracesOptions;
  /** Prices jobs run through `observer.run` (the cost module provides one). */
  readonly costOf?: CostOf;
  /** Computes the fidelity of jobs run through `observer.run` (e.g. Hellinger against the ideal simulator). */
  readonly fidelityOf?: FidelityOf;
  /**
   * Secret redaction of log lines and span attributes: on by default; `{ keys }` adds field names to treat as
   * secrets; `false` turns it off (only for destinations that may hold secrets).
   */
  readonly redact?: RedactConfig;
  /** How often `run` asks a device for status, queue length and calibration (ms; 0: every run). Default 30 s. */
  readonly deviceRefreshMs?: number;
  /** Builds the stream for `logs: { destination: 'otlp' }`. */
  readonly otlpLogStream?: () => Writable;
}

/** Options of `observer.run`. */
export interface RunOptions {
  readonly shots?: number;
  /** Span and log name of the circuit; default the circuit's name, else `circuit`. */
  readonly name?: string;
  /** Label of fidelity metrics, e.g. `bell`, `qaoa`, `vqc`; default `generic`. */
  readonly circuitType?: string;
  readonly seed?: number;
  readonly parameters?: Readonly<Record<string, number>>;
}

/** What `observer.run` returns: the final job record and what was recorded about it. */
export interface RunResult {
  readonly job: JobRecord;
  readonly status: ExecutionStatus;
  readonly circuitId: string;
  readonly executionSeconds: number | null;
  readonly queueSeconds: number | null;
  readonly fidelity?: Fidelity;
  readonly estimatedSuccessProbability?: number;
  readonly cost?: CostFigure;
  readonly traceId?: string;
}

/** One execution to record, however it ran (device job or the user's own function). */
export interface ExecutionRecord {
  readonly provider: string;
  readonly device: string;
  readonly circuitName: string;
  readonly circuitType?: string;
  readonly circuit?: Circuit;
  readonly shots: number;
  readonly status: ExecutionStatus;
  /** null when the provider does not expose the phase; undefined when not measured. */
  readonly executionSeconds?: number | null;
  readonly queueSeconds?: number | null;
  readonly jobId?: string;
  readonly calibratedAt?: string;
  readonly fidelity?: Fidelity;
  readonly estimatedSuccessProbability?: number;
  readonly cost?: CostFigure;
  readonly error?: unknown;
}

/** Metadata of `observer.monitor`. */
export interface MonitorMeta {
  readonly provider: string;
  readonly device: string;
  readonly name?: string;
  readonly circuitType?: string;
  readonly circuit?: Circuit;
  readonly shots?: number;
  /** Reads a fidelity from the function's result, when it has one. */
  readonly fidelity?: (result: unknown) => Fidelity | undefined;
}

/** Figures `addQuantumMetrics` knows how to put on a span. */
export interface QuantumSpanMetrics {
  readonly qubits?: number;
  readonly depth?: number;
  readonly gateCount?: number;
  readonly twoQubitGates?: number;
  readonly shots?: number;
  readonly fidelity?: number;
  readonly noiseLevel?: number;
  readonly gateError?: number;
  readonly readoutError?: number;
  readonly parameterCount?: number;
  readonly [attribute: string]: AttributeValue | undefined;
}

export interface AlgorithmMeta {
  readonly name: string;
  readonly type?: string;
  readonly problemType?: string;
  readonly problemSize?: number;
  readonly parameterCount?: number;
  readonly attributes?: Attributes;
}

/** Handed to a traced algorithm: opens child spans for its layers. */
export interface AlgorithmScope {
  readonly span: Span;
  layer<T>(index: number, type: string, fn: (span: Span) => T): T;
}

export interface TrainingMeta {
  readonly model: string;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly parameterCount?: number;
  readonly attributes?: Attributes;
}

/** What an epoch reports. */
export interface EpochResult {
  readonly loss?: number;
  readonly accuracy?: number;
}

/** Handed to a traced training run: one span per epoch. */
export interface TrainingScope {
  readonly span: Span;
  epoch<T extends EpochResult | undefined | PromiseLike<EpochResult | undefined>>(
    index: number,
    fn: (span: Span) => T,
  ): T;
}

const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

function endpointConfigured(): boolean {
  return Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

function errorParts(err: unknown): { type: string; message: string; stack?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { type: typeof code === 'string' ? code : err.name, message: err.message, stack: err.stack };
  }
  if (err && typeof err === 'object' && 'type' in err && 'message' in err)
    return {
      type: String((err as { type: unknown }).type),
      message: String((err as { message: unknown }).message),
    };
  return { type: 'Error', message: String(err) };
}

function secondsBetween(a: Date | null | undefined, b: Date | null | undefined): number | null {
  if (!a || !b) return null;
  const s = (b.getTime() - a.getTime()) / 1000;
  return Number.isFinite(s) && s >= 0 ? s : null;
}

function mean(xs: readonly (number | undefined)[]): number | undefined {
  let sum = 0;
  let n = 0;
  for (const x of xs) {
    if (x !== undefined && Number.isFinite(x)) {
      sum += x;
      n++;
    }
  }
  return n > 0 ? sum / n : undefined;
}

/** Mean error rates of a calibration by type; a type with no data is absent, never zero. */
export function calibrationErrorRates(cal: Calibration): Record<string, number> {
  const out: Record<string, number> = {};
  const readout = mean(cal.qubits.map((q) => q.readoutError));
  const oneQ = mean(cal.gates.filter((g) => g.qubits.length === 1 && g.gate !== 'id').map((g) => g.error));
  const twoQ = mean(cal.gates.filter((g) => g.qubits.length === 2).map((g) => g.error));
  if (readout !== undefined) out.readout_error = readout;
  if (oneQ !== undefined) out.gate_error = oneQ;
  if (twoQ !== undefined) out.two_qubit_gate_error = twoQ;
  return out;
}

/**
 * Records quantum workloads as Prometheus metrics, pino JSON logs and OpenTelemetry spans.
 * Every method works with nothing configured and never throws into the workload (except the workload's own errors).
 * @example
 *   const observer = new Observer({ serviceName: 'vqc', logs: { destination: 'run.log' } });
 *   const { job } = await observer.run(device, circuit, { shots: 1000, circuitType: 'vqc' });
 */
export class Observer {
  readonly serviceName: string;
  /** The metric instruments and registry; undefined when metrics are off. */
  readonly quantumMetrics: QuantumMetrics | undefined;
  /** The logger; undefined when logs are off. */
  readonly logger: QuantumLogger | undefined;
  /** The tracing; undefined when traces are off. */
  readonly tracing: Tracing | undefined;
  private readonly tracer: Tracer | undefined;
  private readonly costOf: CostOf | undefined;
  private readonly fidelityOf: FidelityOf | undefined;
  private readonly lastStatus = new Map<string, DeviceStatus>();
  private readonly lastCalibration = new Map<string, string>();
  private droppedCount = 0;
  private readonly deviceRefreshMs: number;
  private readonly deviceSeen = new Map<string, { atMs: number; calibration: Calibration | undefined }>();
  private readonly redactOn: boolean;
  private readonly redactKeys: readonly string[] | undefined;

  /** An Observer with every signal off: instrumented code runs and records nothing. */
  static noop(serviceName = 'qobs'): Observer {
    return new Observer({ serviceName, metrics: false, logs: false, traces: false });
  }

  constructor(options: ObserverOptions) {
    if (!options || typeof options.serviceName !== 'string' || options.serviceName.length === 0)
      throw new QobsConfigError('serviceName', 'must be a non-empty string');
    this.serviceName = options.serviceName;
    this.redactOn = options.redact !== false;
    this.redactKeys = typeof options.redact === 'object' ? options.redact.keys : undefined;
    const version = options.serviceVersion ?? '0.1.0';
    this.costOf = options.costOf;
    const refresh = options.deviceRefreshMs ?? 30_000;
    if (!(Number.isFinite(refresh) && refresh >= 0))
      throw new QobsConfigError('deviceRefreshMs', `must be a non-negative number, got ${refresh}`);
    this.deviceRefreshMs = refresh;
    this.fidelityOf = options.fidelityOf;
    const m = options.metrics ?? true;
    this.quantumMetrics = m === false ? undefined : new QuantumMetrics(m === true ? {} : m);
    const l = options.logs ?? true;
    this.logger =
      l === false
        ? undefined
        : new QuantumLogger(
            options.serviceName,
            l === true ? {} : l,
            {
              onFinding: () =>
                this.quantumMetrics?.securityEvents.inc({
                  security_event_type: 'credential_exposure_detected',
                  service: options.serviceName,
                }),
              onDrop: (reason) => this.drop('logs', reason),
            },
            options.otlpLogStream ??
              (() =>
                otlpLogStream({
                  serviceName: options.serviceName,
                  serviceVersion: version,
                  onDrop: (reason) => this.drop('logs', reason),
                })),
            options.redact,
          );
    const t = options.traces ?? endpointConfigured();
    this.tracing =
      t === false
        ? undefined
        : createTracing(options.serviceName, version, t === true ? {} : t, (reason, n) =>
            this.drop('traces', reason, n),
          );
    this.tracer = this.tracing?.tracer;
    // Configuration work done once (STYLE.md 1): with every signal off, recording is an empty function.
    if (!this.quantumMetrics && !this.logger && !this.tracer) this.recordExecution = () => {};
  }

  /** True when at least one signal is on. */
  get enabled(): boolean {
    return Boolean(this.quantumMetrics || this.logger || this.tracer);
  }

  /** Telemetry dropped so far (also `qobs_telemetry_dropped_total` when metrics are on). */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Counts dropped telemetry; never throws. */
  drop(signal: 'metrics' | 'logs' | 'traces', reason: string, count = 1): void {
    this.droppedCount += count;
    try {
      this.quantumMetrics?.dropped.inc({ signal, reason }, count);
    } catch {
      // nowhere left to count it; the local counter above still has it
    }
  }

  // ---- spans -------------------------------------------------------------------------------------------

  /** Starts a span (a non-recording one when traces are off). End it yourself. */
  createSpan(
    name: string,
    options: { kind?: SpanKind; attributes?: Attributes; parent?: Context } = {},
  ): Span {
    if (!this.tracer) return NOOP_SPAN;
    try {
      return this.tracer.startSpan(
        name,
        {
          kind: options.kind ?? SpanKind.INTERNAL,
          attributes: options.attributes && this.redactAttributes(options.attributes),
        },
        options.parent,
      );
    } catch {
      this.drop('traces', 'internal_error');
      return NOOP_SPAN;
    }
  }

  /** Spans leave the process like log lines: string attribute values are redacted and the finding counted. */
  private redactAttributes(attributes: Attributes): Attributes {
    if (!this.redactOn) return attributes;
    const { value, findings } = redactSecrets(attributes, { keys: this.redactKeys });
    if (findings.length > 0)
      this.quantumMetrics?.securityEvents.inc(
        { security_event_type: 'credential_exposure_detected', service: this.serviceName },
        findings.length,
      );
    return value;
  }

  private redactString(value: string, path: string): string {
    if (!this.redactOn) return value;
    const findings: Finding[] = [];
    const out = redactText(value, path, findings);
    if (findings.length > 0)
      this.quantumMetrics?.securityEvents.inc(
        { security_event_type: 'credential_exposure_detected', service: this.serviceName },
        findings.length,
      );
    return out;
  }

  /** Puts circuit and device figures on a span under the quantum.* names; invalid values are dropped and counted. */
  addQuantumMetrics(span: Span, metrics: QuantumSpanMetrics): void {
    if (!span.isRecording()) return;
    for (const [key, value] of Object.entries(metrics)) {
      if (value === undefined) continue;
      const attr = SPAN_METRIC_KEYS[key] ?? key;
      if (typeof value === 'number' && !Number.isFinite(value)) {
        this.drop('traces', 'invalid_attribute');
        continue;
      }
      span.setAttribute(attr, typeof value === 'string' ? this.redactString(value, attr) : value);
    }
  }

  /** Runs `fn` in a span made current, ending it when `fn` returns or settles; records an exception and rethrows. */
  private inSpan<T>(span: Span, fn: (span: Span) => T, onError?: (err: unknown) => void): T {
    if (span === NOOP_SPAN) {
      if (!onError) return fn(span);
      try {
        const r = fn(span);
        if (isThenable(r))
          return (r as unknown as Promise<unknown>).then(undefined, (e) => {
            onError(e);
            throw e;
          }) as T;
        return r;
      } catch (e) {
        onError(e);
        throw e;
      }
    }
    const ctx = trace.setSpan(context.active(), span);
    let result: T;
    try {
      result = context.with(ctx, fn, undefined, span);
    } catch (err) {
      this.failSpan(span, err);
      onError?.(err);
      span.end();
      throw err;
    }
    if (isThenable(result)) {
      return (result as unknown as Promise<unknown>).then(
        (v) => {
          span.end();
          return v;
        },
        (err) => {
          this.failSpan(span, err);
          onError?.(err);
          span.end();
          throw err;
        },
      ) as T;
    }
    span.end();
    return result;
  }

  private failSpan(span: Span, err: unknown): void {
    try {
      const e = errorParts(err);
      // Spans leave the process too: an error's message and stack are redacted like a log line.
      const findings: Finding[] = [];
      const message = this.redactOn ? redactText(e.message, ATTR.errorMessage, findings) : e.message;
      const stack =
        e.stack === undefined || !this.redactOn
          ? e.stack
          : redactText(e.stack, 'exception.stacktrace', findings);
      if (findings.length > 0)
        this.quantumMetrics?.securityEvents.inc(
          { security_event_type: 'credential_exposure_detected', service: this.serviceName },
          findings.length,
        );
      span.recordException({ name: e.type, message, stack });
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      span.setAttribute(ATTR.errorType, e.type);
      span.setAttribute(ATTR.errorMessage, message);
      span.setAttribute(ATTR.executionSuccess, false);
    } catch {
      this.drop('traces', 'internal_error');
    }
  }

  private logError(err: unknown, ctx: Record<string, unknown>, span?: Span): void {
    if (!this.logger) return;
    try {
      const e = errorParts(err);
      this.logger.event(
        'quantum_error',
        'error',
        `${e.type}: ${e.message}`,
        {
          error_type: e.type,
          error_message: e.message,
          context: ctx,
          exception:
            err instanceof Error ? { type: err.name, message: err.message, stack: err.stack } : undefined,
        },
        span,
      );
    } catch {
      this.drop('logs', 'internal_error');
    }
  }

  /** Traces `fn` (sync or async) as `quantum_circuit {name}`; a throw is recorded and a `quantum_error` logged. */
  traceCircuit<T>(name: string, fn: (span: Span) => T, attributes: Attributes = {}): T {
    const span = this.createSpan(`${SPAN.circuit} ${name}`, {
      kind: SpanKind.CLIENT,
      attributes: { [ATTR.circuitName]: name, ...attributes },
    });
    return this.inSpan(span, fn, (err) => this.logError(err, { circuit_name: name }, span));
  }

  /** Traces an algorithm (sync or async) as `quantum_algorithm {name}`, with `scope.layer` child spans. */
  traceAlgorithm<T>(meta: AlgorithmMeta, fn: (scope: AlgorithmScope) => T): T {
    const attrs: Attributes = { [ATTR.algorithmName]: meta.name, ...meta.attributes };
    if (meta.type !== undefined) attrs[ATTR.algorithmType] = meta.type;
    if (meta.problemType !== undefined) attrs[ATTR.problemType] = meta.problemType;
    if (meta.problemSize !== undefined) attrs[ATTR.problemSize] = meta.problemSize;
    if (meta.parameterCount !== undefined) attrs[ATTR.parameterCount] = meta.parameterCount;
    const span = this.createSpan(`${SPAN.algorithm} ${meta.name}`, { attributes: attrs });
    const scope: AlgorithmScope = {
      span,
      layer: (index, type, layerFn) => {
        const child = this.createSpan(`${SPAN.layer} ${index}`, {
          attributes: { [ATTR.layerIndex]: index, [ATTR.layerType]: type, [ATTR.algorithmName]: meta.name },
        });
        return this.inSpan(child, layerFn);
      },
    };
    return this.inSpan(
      span,
      () => fn(scope),
      (err) => this.logError(err, { algorithm_name: meta.name }, span),
    );
  }

  /** Traces a training run as `quantum_training {model}`, one `quantum_training_epoch {i}` span per `scope.epoch`. */
  traceTraining<T>(meta: TrainingMeta, fn: (scope: TrainingScope) => T): T {
    const attrs: Attributes = { [ATTR.modelName]: meta.model, ...meta.attributes };
    if (meta.epochs !== undefined) attrs[ATTR.trainingEpochs] = meta.epochs;
    if (meta.batchSize !== undefined) attrs[ATTR.trainingBatchSize] = meta.batchSize;
    if (meta.parameterCount !== undefined) attrs[ATTR.parameterCount] = meta.parameterCount;
    const span = this.createSpan(`${SPAN.training} ${meta.model}`, { attributes: attrs });
    let last: EpochResult | undefined;
    const finish = (r: EpochResult | undefined) => {
      if (!r || !span.isRecording()) return;
      if (r.loss !== undefined && Number.isFinite(r.loss)) span.setAttribute(ATTR.trainingFinalLoss, r.loss);
      if (r.accuracy !== undefined && Number.isFinite(r.accuracy))
        span.setAttribute(ATTR.trainingAccuracy, r.accuracy);
    };
    const scope: TrainingScope = {
      span,
      epoch: (index, epochFn) => {
        const child = this.createSpan(`${SPAN.epoch} ${index}`, {
          attributes: { [ATTR.trainingEpoch]: index, [ATTR.modelName]: meta.model },
        });
        const record = (r: EpochResult | undefined) => {
          last = r ?? last;
          if (!r || !child.isRecording()) return;
          if (r.loss !== undefined && Number.isFinite(r.loss)) child.setAttribute(ATTR.epochLoss, r.loss);
          if (r.accuracy !== undefined && Number.isFinite(r.accuracy))
            child.setAttribute(ATTR.epochAccuracy, r.accuracy);
        };
        return this.inSpan(child, (s) => {
          const r = epochFn(s);
          if (isThenable(r))
            return (r as unknown as Promise<EpochResult | undefined>).then((v) => {
              record(v);
              return v;
            });
          record(r as EpochResult | undefined);
          return r;
        }) as ReturnType<typeof epochFn>;
      },
    };
    return this.inSpan(
      span,
      () => {
        const r = fn(scope);
        if (isThenable(r))
          return (r as unknown as Promise<unknown>).then((v) => {
            finish(last);
            return v;
          }) as T;
        finish(last);
        return r;
      },
      (err) => this.logError(err, { model: meta.model }, span),
    );
  }

  // ---- executions --------------------------------------------------------------------------------------

  /**
   * Records one execution as metrics, a `quantum_circuit_execution` log line (plus `quantum_error` on failure
   * and `quantum_cost_event` when a cost is known) and a span (`span` if given, else a new one ended here).
   * Never throws.
   */
  recordExecution(rec: ExecutionRecord, span?: Span): void {
    try {
      this.recordExecutionUnsafe(rec, span);
    } catch {
      this.drop('metrics', 'internal_error');
    }
  }

  private recordExecutionUnsafe(input: ExecutionRecord, given?: Span): void {
    const rec = this.checkedTimes(input);
    const info: CircuitInfo | undefined = rec.circuit ? circuitInfo(rec.circuit) : undefined;
    const fig = info?.figures;
    const own = given === undefined;
    const span = given ?? this.createSpan(`${SPAN.circuit} ${rec.circuitName}`, { kind: SpanKind.CLIENT });
    const recording = span.isRecording();
    const ctx = recording ? span.spanContext() : undefined;
    const ok = rec.status === EXECUTION_STATUS.success;
    const m = this.quantumMetrics;
    if (m) {
      const pd = { provider: rec.provider, device: rec.device };
      m.executions.inc({ provider: rec.provider, device: rec.device, status: rec.status });
      if (rec.shots > 0 && ok) m.shots.inc(pd, rec.shots);
      if (typeof rec.executionSeconds === 'number')
        m.observeExecution(pd, rec.executionSeconds, ctx?.traceId, ctx?.spanId);
      if (typeof rec.queueSeconds === 'number') m.queueSeconds.observe(pd, rec.queueSeconds);
      if (fig) {
        const p = { provider: rec.provider };
        m.depth.observe(p, fig.depth);
        if (info.gateCount !== undefined) m.gates.observe(p, info.gateCount);
        m.twoQubitGates.observe(p, fig.twoQubitGates);
      }
      const ct =
        rec.fidelity || rec.estimatedSuccessProbability !== undefined
          ? { ...pd, circuit_type: rec.circuitType ?? 'generic' }
          : pd;
      if (rec.fidelity) {
        m.fidelity.set(ct, rec.fidelity.value);
        m.fidelityEstimate.set({ ...ct, method: rec.fidelity.method }, rec.fidelity.value);
      }
      if (rec.estimatedSuccessProbability !== undefined) {
        m.esp.set(ct, rec.estimatedSuccessProbability);
        m.fidelityEstimate.set({ ...ct, method: 'esp' }, rec.estimatedSuccessProbability);
      }
      if (rec.cost) m.cost.inc({ provider: rec.provider, cost_type: rec.cost.costType }, rec.cost.amount);
    }
    if (recording) {
      const a: Attributes = {
        [ATTR.circuitName]: rec.circuitName,
        [ATTR.provider]: rec.provider,
        [ATTR.device]: rec.device,
        [ATTR.shots]: rec.shots,
        [ATTR.executionSuccess]: ok,
      };
      if (rec.circuitType) a[ATTR.circuitType] = rec.circuitType;
      if (fig) {
        a[ATTR.qubits] = fig.numQubits;
        a[ATTR.circuitDepth] = fig.depth;
        if (info.gateCount !== undefined) a[ATTR.circuitGateCount] = info.gateCount;
        a[ATTR.circuitTwoQubitGates] = fig.twoQubitGates;
      }
      if (typeof rec.executionSeconds === 'number') a[ATTR.executionTime] = rec.executionSeconds;
      if (typeof rec.queueSeconds === 'number') a[ATTR.executionQueueTime] = rec.queueSeconds;
      if (rec.jobId) a[ATTR.jobId] = rec.jobId;
      if (rec.fidelity) {
        a[ATTR.fidelity] = rec.fidelity.value;
        a[ATTR.fidelityMethod] = rec.fidelity.method;
      }
      if (rec.cost) a[ATTR.executionCost] = rec.cost.amount;
      span.setAttributes(a);
      if (!ok) {
        if (rec.error !== undefined) this.failSpan(span, rec.error);
        else span.setStatus({ code: SpanStatusCode.ERROR, message: rec.status });
      }
      if (own) span.end();
    }
    const log = this.logger;
    if (log) {
      const qm: Record<string, unknown> = {};
      if (fig) {
        qm.qubits = fig.numQubits;
        qm.depth = fig.depth;
        if (info.gateCount !== undefined) qm.gate_count = info.gateCount;
        qm.two_qubit_gates = fig.twoQubitGates;
        qm.measurements = fig.measurements;
      }
      if (rec.fidelity) qm.fidelity = { value: rec.fidelity.value, method: rec.fidelity.method };
      if (rec.estimatedSuccessProbability !== undefined)
        qm.estimated_success_probability = rec.estimatedSuccessProbability;
      const details: Record<string, unknown> = {
        circuit_name: rec.circuitName,
        shots: rec.shots,
        status: rec.status,
        execution_time_seconds: rec.executionSeconds ?? null,
        queue_time_seconds: rec.queueSeconds ?? null,
      };
      if (rec.circuitType) details.circuit_type = rec.circuitType;
      if (rec.jobId) details.job_id = rec.jobId;
      if (rec.calibratedAt) details.calibrated_at = rec.calibratedAt;
      log.event(
        'quantum_circuit_execution',
        ok ? 'info' : 'error',
        `circuit ${rec.circuitName} ${rec.status} on ${rec.provider}.${rec.device}`,
        {
          circuit_id: info?.id ?? 'unknown',
          provider: rec.provider,
          device: rec.device,
          execution_details: details,
          quantum_metrics: qm,
        },
        span,
      );
      if (!ok)
        this.logError(
          rec.error ?? { type: rec.status, message: `execution ${rec.status}` },
          {
            circuit_id: info?.id ?? 'unknown',
            circuit_name: rec.circuitName,
            provider: rec.provider,
            device: rec.device,
            job_id: rec.jobId,
          },
          span,
        );
      if (rec.cost) this.costEvent(rec.provider, rec.cost, rec.device, span);
    }
  }

  /** The record with times that are not finite non-negative seconds turned into unknown (null), and counted. */
  private checkedTimes(rec: ExecutionRecord): ExecutionRecord {
    const bad = (x: number | null | undefined) => typeof x === 'number' && !(Number.isFinite(x) && x >= 0);
    if (!bad(rec.executionSeconds) && !bad(rec.queueSeconds)) return rec;
    this.drop('metrics', 'invalid_value');
    return {
      ...rec,
      executionSeconds: bad(rec.executionSeconds) ? null : rec.executionSeconds,
      queueSeconds: bad(rec.queueSeconds) ? null : rec.queueSeconds,
    };
  }

  /** Logs a `quantum_cost_event` (and counts `quantum_cost_total` when called directly). */
  recordCost(provider: string, cost: CostFigure, device?: string): void {
    try {
      this.quantumMetrics?.cost.inc({ provider, cost_type: cost.costType }, cost.amount);
      this.costEvent(provider, cost, device);
    } catch {
      this.drop('metrics', 'internal_error');
    }
  }

  private costEvent(provider: string, cost: CostFigure, device?: string, span?: Span): void {
    this.logger?.event(
      'quantum_cost_event',
      'info',
      `${cost.amount} ${cost.currency} (${cost.costType}) on ${provider}${device ? `.${device}` : ''}`,
      {
        provider,
        device,
        cost_type: cost.costType,
        amount: cost.amount,
        currency: cost.currency,
        cost_details: { catalogue_version: cost.catalogueVersion, ...cost.details },
      },
      span,
    );
  }

  /**
   * Runs `circuit` on `device` and records everything: circuit figures, queue and execution time from the job's
   * timestamps, outcome, fidelity (with its method) and cost when hooks provide them, and the device's state.
   * A failed job is returned (status `error`), not thrown; a submission that throws is recorded and rethrown.
   */
  async run(device: Device, circuit: Circuit, options: RunOptions = {}): Promise<RunResult> {
    const shots = options.shots ?? 1024;
    const name = options.name ?? circuit.name ?? 'circuit';
    const info = circuitInfo(circuit);
    const span = this.createSpan(`${SPAN.circuit} ${name}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR.circuitName]: name,
        [ATTR.provider]: device.provider,
        [ATTR.device]: device.name,
        [ATTR.shots]: shots,
      },
    });
    const base = {
      provider: device.provider,
      device: device.name,
      circuitName: name,
      circuitType: options.circuitType,
      circuit,
      shots,
    };
    const calibration = await this.observeDeviceThrottled(device, span);
    let job: JobRecord;
    const tasks = this.quantumMetrics?.tasks;
    let taskLabels: Record<string, string> | undefined;
    try {
      const ctx = trace.setSpan(context.active(), span);
      const handle = await context.with(ctx, () =>
        device.submit(circuit, { shots, seed: options.seed, parameters: options.parameters }),
      );
      if (tasks) {
        const st = handle.record().status;
        if (st === 'queued' || st === 'running') {
          taskLabels = { provider: device.provider, device: device.name, status: st };
          tasks.inc(taskLabels);
        }
      }
      job = await handle.wait();
    } catch (err) {
      if (taskLabels) tasks?.dec(taskLabels);
      this.recordExecution({ ...base, status: EXECUTION_STATUS.error, error: err }, span);
      span.end();
      throw err;
    }
    if (taskLabels) tasks?.dec(taskLabels);
    const status: ExecutionStatus =
      job.status === 'completed'
        ? EXECUTION_STATUS.success
        : job.status === 'cancelled'
          ? EXECUTION_STATUS.cancelled
          : EXECUTION_STATUS.error;
    const executionSeconds = secondsBetween(job.startedAt, job.finishedAt);
    const queueSeconds = secondsBetween(job.createdAt, job.startedAt);
    let fidelity: Fidelity | undefined;
    let esp: number | undefined;
    let cost: CostFigure | undefined;
    if (status === EXECUTION_STATUS.success && this.fidelityOf) {
      try {
        const got = await this.fidelityOf(job, circuit, device);
        const all = (got === undefined ? [] : Array.isArray(got) ? got : [got]) as Fidelity[];
        const valid = all.filter(
          (f) => f.value >= 0 && f.value <= 1 && (f.method === 'hellinger' || f.method === 'esp'),
        );
        if (valid.length < all.length) this.drop('metrics', 'invalid_fidelity', all.length - valid.length);
        fidelity = valid.find((f) => f.method === 'hellinger') ?? valid.find((f) => f.method === 'esp');
        esp = valid.find((f) => f.method === 'esp')?.value;
      } catch {
        this.drop('metrics', 'fidelity_hook_failed');
      }
    }
    if (this.costOf) {
      try {
        cost = await this.costOf(job, device);
        if (cost && !(cost.amount >= 0)) {
          cost = undefined;
          this.drop('metrics', 'invalid_cost');
        }
      } catch {
        this.drop('metrics', 'cost_hook_failed');
      }
    }
    this.recordExecution(
      {
        ...base,
        status,
        executionSeconds,
        queueSeconds,
        jobId: job.id,
        calibratedAt: job.calibratedAt ?? calibration?.calibratedAt,
        fidelity,
        estimatedSuccessProbability: esp,
        cost,
        error: job.error,
      },
      span,
    );
    const traceId = span.isRecording() ? span.spanContext().traceId : undefined;
    span.end();
    return {
      job,
      status,
      circuitId: info.id,
      executionSeconds,
      queueSeconds,
      fidelity,
      estimatedSuccessProbability: esp,
      cost,
      traceId,
    };
  }

  /**
   * Monitors the user's own execution function (sync or async): times it, traces it as `quantum_circuit {name}`,
   * and records success or the thrown error (rethrown).
   */
  monitor<T>(fn: () => T, meta: MonitorMeta): T {
    const name = meta.name ?? meta.circuit?.name ?? 'circuit';
    const base = {
      provider: meta.provider,
      device: meta.device,
      circuitName: name,
      circuitType: meta.circuitType,
      circuit: meta.circuit,
      shots: meta.shots ?? 0,
    };
    const span = this.createSpan(`${SPAN.circuit} ${name}`, { kind: SpanKind.CLIENT });
    const started = performance.now();
    const done = (result: unknown) => {
      let fidelity: Fidelity | undefined;
      try {
        fidelity = meta.fidelity?.(result);
      } catch {
        this.drop('metrics', 'fidelity_hook_failed');
      }
      this.recordExecution(
        {
          ...base,
          status: EXECUTION_STATUS.success,
          executionSeconds: (performance.now() - started) / 1000,
          fidelity,
        },
        span,
      );
    };
    const failed = (err: unknown) =>
      this.recordExecution(
        {
          ...base,
          status: EXECUTION_STATUS.error,
          executionSeconds: (performance.now() - started) / 1000,
          error: err,
        },
        span,
      );
    // Failure is recorded (span status, metric, quantum_error) by recordExecution; inSpan only ends the span.
    const ctx = span.isRecording() ? trace.setSpan(context.active(), span) : context.active();
    let r: T;
    try {
      r = context.with(ctx, fn);
    } catch (err) {
      failed(err);
      span.end();
      throw err;
    }
    if (isThenable(r)) {
      return (r as unknown as Promise<unknown>).then(
        (v) => {
          done(v);
          span.end();
          return v;
        },
        (err) => {
          failed(err);
          span.end();
          throw err;
        },
      ) as T;
    }
    done(r);
    span.end();
    return r;
  }

  // ---- hardware ----------------------------------------------------------------------------------------

  /** Sets `quantum_device_status` (1 online, 0 offline or maintenance; removed when unknown); logs a change. */
  setDeviceStatus(provider: string, device: string, status: DeviceStatus): void {
    try {
      const labels = { provider, device };
      const g = this.quantumMetrics?.deviceStatus;
      if (status === 'unknown') g?.remove(labels);
      else g?.set(labels, status === 'online' ? 1 : 0);
      const key = `${provider}.${device}`;
      const before = this.lastStatus.get(key);
      this.lastStatus.set(key, status);
      if (before !== undefined && before !== status)
        this.hardwareEvent(provider, device, 'status_change', { from: before, to: status });
    } catch {
      this.drop('metrics', 'internal_error');
    }
  }

  /** Sets `quantum_device_queue_length`. */
  setQueueLength(provider: string, device: string, jobs: number): void {
    if (!Number.isFinite(jobs) || jobs < 0) {
      this.drop('metrics', 'invalid_value');
      return;
    }
    this.quantumMetrics?.deviceQueueLength.set({ provider, device }, jobs);
  }

  /** Sets `quantum_device_calibration_age_hours`. */
  setCalibrationAge(provider: string, device: string, hours: number): void {
    if (!Number.isFinite(hours)) {
      this.drop('metrics', 'invalid_value');
      return;
    }
    this.quantumMetrics?.calibrationAgeHours.set({ provider, device }, hours);
  }

  /** Sets `quantum_device_error_rate{error_type}`. */
  setErrorRate(provider: string, device: string, errorType: string, rate: number): void {
    if (!Number.isFinite(rate) || rate < 0) {
      this.drop('metrics', 'invalid_value');
      return;
    }
    this.quantumMetrics?.errorRate.set({ provider, device, error_type: errorType }, rate);
  }

  /** Sets `quantum_hardware_noise_level`. */
  setNoiseLevel(provider: string, device: string, level: number): void {
    if (!Number.isFinite(level) || level < 0) {
      this.drop('metrics', 'invalid_value');
      return;
    }
    this.quantumMetrics?.noiseLevel.set({ provider, device }, level);
  }

  /**
   * Records a calibration snapshot: its age, mean error rates by type and noise level (mean two-qubit gate
   * error, else single-qubit); logs `calibration_updated` when it differs from the last one seen.
   */
  recordCalibration(cal: Calibration, now: Date = new Date()): void {
    try {
      const { provider, device } = cal;
      const at = Date.parse(cal.calibratedAt);
      if (Number.isFinite(at)) this.setCalibrationAge(provider, device, (now.getTime() - at) / 3_600_000);
      const rates = calibrationErrorRates(cal);
      for (const [type, rate] of Object.entries(rates)) this.setErrorRate(provider, device, type, rate);
      const noise = rates.two_qubit_gate_error ?? rates.gate_error;
      if (noise !== undefined) this.setNoiseLevel(provider, device, noise);
      const key = `${provider}.${device}`;
      const before = this.lastCalibration.get(key);
      this.lastCalibration.set(key, cal.calibratedAt);
      if (before !== undefined && before !== cal.calibratedAt)
        this.hardwareEvent(provider, device, 'calibration_updated', {
          from: before,
          to: cal.calibratedAt,
          ...rates,
        });
    } catch {
      this.drop('metrics', 'internal_error');
    }
  }

  /** Logs a `quantum_hardware_event`. */
  hardwareEvent(provider: string, device: string, type: string, details: Record<string, unknown>): void {
    try {
      this.logger?.event('quantum_hardware_event', 'info', `${provider}.${device}: ${type}`, {
        provider,
        device,
        hardware_event_type: type,
        event_details: details,
      });
    } catch {
      this.drop('logs', 'internal_error');
    }
  }

  /** Logs a `quantum_algorithm_performance` event. */
  algorithmPerformance(
    algorithmName: string,
    performanceMetrics: Record<string, unknown>,
    options: { quantumAdvantage?: boolean; classicalComparison?: Record<string, unknown> } = {},
  ): void {
    try {
      this.logger?.event('quantum_algorithm_performance', 'info', `algorithm ${algorithmName} performance`, {
        algorithm_name: algorithmName,
        performance_metrics: performanceMetrics,
        quantum_advantage: options.quantumAdvantage ?? null,
        classical_comparison: options.classicalComparison ?? null,
      });
    } catch {
      this.drop('logs', 'internal_error');
    }
  }

  /** Logs a `quantum_error` for an error the workload handled itself. */
  error(err: unknown, ctx: Record<string, unknown> = {}): void {
    this.logError(err, ctx);
  }

  /**
   * `observeDevice` at most once per `deviceRefreshMs` per device: a remote provider is asked three questions
   * per refresh, not per run. Between refreshes the last calibration is reused (and its figures on the span).
   */
  private async observeDeviceThrottled(device: Device, span: Span): Promise<Calibration | undefined> {
    const last = this.deviceSeen.get(device.id);
    const now = Date.now();
    if (last && now - last.atMs < this.deviceRefreshMs) {
      if (last.calibration) this.calibrationAttributes(span, last.calibration);
      return last.calibration;
    }
    const calibration = await this.observeDevice(device, span);
    if (this.deviceSeen.size >= 1024 && !this.deviceSeen.has(device.id)) this.deviceSeen.clear(); // bounded
    this.deviceSeen.set(device.id, { atMs: now, calibration });
    return calibration;
  }

  /** Asks the device for its status, queue length and calibration and records them; never throws. */
  async observeDevice(device: Device, span: Span = NOOP_SPAN): Promise<Calibration | undefined> {
    if (!this.enabled) return undefined;
    const [status, queue, cal] = await Promise.allSettled([
      device.status(),
      device.queueLength(),
      device.calibration(),
    ]);
    if (status.status === 'fulfilled') this.setDeviceStatus(device.provider, device.name, status.value);
    else this.setDeviceStatus(device.provider, device.name, 'unknown');
    if (queue.status === 'fulfilled') this.setQueueLength(device.provider, device.name, queue.value);
    if (cal.status !== 'fulfilled' || !cal.value) return undefined;
    this.recordCalibration(cal.value);
    this.calibrationAttributes(span, cal.value);
    return cal.value;
  }

  private calibrationAttributes(span: Span, cal: Calibration): void {
    if (!span.isRecording()) return;
    const rates = calibrationErrorRates(cal);
    const attrs: Attributes = {};
    if (rates.gate_error !== undefined) attrs[ATTR.gateError] = rates.gate_error;
    if (rates.readout_error !== undefined) attrs[ATTR.readoutError] = rates.readout_error;
    const noise = rates.two_qubit_gate_error ?? rates.gate_error;
    if (noise !== undefined) attrs[ATTR.noiseLevel] = noise;
    span.setAttributes(attrs);
  }

  // ---- output ------------------------------------------------------------------------------------------

  /** The metrics exposition: Prometheus text 0.0.4, or OpenMetrics (with exemplars) when `openMetrics`. */
  async metrics(options: { openMetrics?: boolean } = {}): Promise<string> {
    if (!this.quantumMetrics) return '';
    return this.quantumMetrics.exposition(options.openMetrics ?? false);
  }

  /** Serves this Observer's metrics on `GET /metrics` (127.0.0.1 unless `host` says otherwise). */
  startMetricsServer(options: { port: number; host?: string }): Promise<MetricsServer> {
    return startMetricsServer(this, options);
  }

  /** Logs at `level` are written (false when logs are off). */
  logsEnabled(level: LogLevel = 'info'): boolean {
    return this.logger?.enabled(level) ?? false;
  }

  /** Exports pending spans. */
  async flush(): Promise<void> {
    await this.tracing?.forceFlush().catch(() => this.drop('traces', 'export_failed'));
  }

  /** Flushes and closes every signal. */
  async shutdown(): Promise<void> {
    await this.tracing?.shutdown().catch(() => this.drop('traces', 'export_failed'));
    await this.logger?.close();
  }
}

const SPAN_METRIC_KEYS: Record<string, string> = {
  qubits: ATTR.qubits,
  depth: ATTR.circuitDepth,
  gateCount: ATTR.circuitGateCount,
  twoQubitGates: ATTR.circuitTwoQubitGates,
  shots: ATTR.shots,
  fidelity: ATTR.fidelity,
  noiseLevel: ATTR.noiseLevel,
  gateError: ATTR.gateError,
  readoutError: ATTR.readoutError,
  parameterCount: ATTR.parameterCount,
};
