// Tracing of the Observer: an OpenTelemetry Node tracer provider exporting OTLP/HTTP protobuf, set by OTEL_* variables.
import { context, TraceFlags, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { QobsConfigError } from '../errors.js';

/** Options of the traces signal. */
export interface TracesOptions {
  /** `otlp` (default: OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT) or any SpanExporter. */
  readonly exporter?: 'otlp' | SpanExporter;
  /** `batch` (default; sized by OTEL_BSP_* or `maxQueueSize`) or `simple` (export each span when it ends: tests). */
  readonly processor?: 'batch' | 'simple';
  /** Bound of the batch processor's queue; spans beyond it are dropped by the SDK. */
  readonly maxQueueSize?: number;
  /** Register as the global tracer provider (context manager and propagator too). Default true. */
  readonly registerGlobal?: boolean;
  readonly serviceVersion?: string;
  /** `deployment.environment`; default OTEL_RESOURCE_ATTRIBUTES' value, else NODE_ENV, else `development`. */
  readonly environment?: string;
}

/** The tracing of one Observer. */
export interface Tracing {
  readonly tracer: Tracer;
  readonly provider: NodeTracerProvider;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** A SpanExporter that counts the spans of failed exports, so a lost span is a number, not silence. */
class CountingExporter implements SpanExporter {
  /** Called when the batch processor takes spans out of its queue to export them. */
  onExportStart: (count: number) => void = () => {};
  constructor(
    private readonly inner: SpanExporter,
    private readonly onDrop: (count: number) => void,
  ) {}
  export(spans: ReadableSpan[], done: (result: { code: ExportResultCode; error?: Error }) => void): void {
    this.onExportStart(spans.length);
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.onDrop(spans.length);
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * Wraps the SDK's BatchSpanProcessor to count the spans it drops when its queue is full (the SDK only logs
 * them): it mirrors the queue's length (sampled spans ended, minus those taken out for export) against the
 * same bound.
 */
class QueueCountingProcessor implements SpanProcessor {
  private queued = 0;
  constructor(
    private readonly inner: SpanProcessor,
    exporter: CountingExporter,
    private readonly maxQueueSize: number,
    private readonly onQueueFull: () => void,
  ) {
    exporter.onExportStart = (n) => {
      this.queued = Math.max(0, this.queued - n);
    };
  }
  onStart(
    span: Parameters<SpanProcessor['onStart']>[0],
    parent: Parameters<SpanProcessor['onStart']>[1],
  ): void {
    this.inner.onStart(span, parent);
  }
  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) {
      if (this.queued >= this.maxQueueSize) this.onQueueFull();
      else this.queued++;
    }
    this.inner.onEnd(span);
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

let contextManagerInstalled = false;

/** Installs an AsyncLocalStorage context manager once per process, unless one is there already. */
function ensureContextManager(): void {
  if (contextManagerInstalled) return;
  contextManagerInstalled = true;
  // setGlobalContextManager refuses (returns false) when the application installed its own: keep theirs.
  const mgr = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(mgr)) mgr.disable();
}

/** Builds the provider; throws QobsConfigError on invalid options. */
export function createTracing(
  serviceName: string,
  serviceVersion: string,
  options: TracesOptions,
  onDrop: (reason: 'export_failed' | 'queue_full', count: number) => void,
): Tracing {
  if (
    options.maxQueueSize !== undefined &&
    !(Number.isInteger(options.maxQueueSize) && options.maxQueueSize > 0)
  )
    throw new QobsConfigError(
      'traces.maxQueueSize',
      `must be a positive integer, got ${options.maxQueueSize}`,
    );
  if (options.processor !== undefined && options.processor !== 'batch' && options.processor !== 'simple')
    throw new QobsConfigError(
      'traces.processor',
      `must be batch or simple, got '${String(options.processor)}'`,
    );
  const fromEnv = detectResources({ detectors: [envDetector] });
  const envAttrs = fromEnv.attributes;
  const environment =
    options.environment ??
    (typeof envAttrs['deployment.environment'] === 'string'
      ? envAttrs['deployment.environment']
      : undefined) ??
    process.env.NODE_ENV ??
    'development';
  const resource = fromEnv.merge(
    resourceFromAttributes({
      'service.name': process.env.OTEL_SERVICE_NAME ?? serviceName,
      'service.version': options.serviceVersion ?? serviceVersion,
      'deployment.environment': environment,
    }),
  );
  const exporter = new CountingExporter(
    options.exporter === undefined || options.exporter === 'otlp'
      ? new OTLPTraceExporter()
      : options.exporter,
    (n) => onDrop('export_failed', n),
  );
  const envQueue = Number(process.env.OTEL_BSP_MAX_QUEUE_SIZE);
  const maxQueueSize = options.maxQueueSize ?? (Number.isInteger(envQueue) && envQueue > 0 ? envQueue : 2048);
  const processor: SpanProcessor =
    options.processor === 'simple'
      ? new SimpleSpanProcessor(exporter)
      : new QueueCountingProcessor(
          new BatchSpanProcessor(exporter, { maxQueueSize }),
          exporter,
          maxQueueSize,
          () => onDrop('queue_full', 1),
        );
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  if (options.registerGlobal ?? true) provider.register();
  else ensureContextManager(); // parent-child spans need a context manager even without a global provider
  return {
    tracer: provider.getTracer('qobs', serviceVersion),
    provider,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
