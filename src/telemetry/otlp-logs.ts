// OTLP logs for the Observer: a stream that turns each JSON log line into an OpenTelemetry log record.
import { Writable } from 'node:stream';
import { context, TraceFlags, trace } from '@opentelemetry/api';
import { type AnyValueMap, SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, type LogRecordExporter, LoggerProvider } from '@opentelemetry/sdk-logs';

/** Longest line kept while waiting for its newline. */
const MAX_LINE_CHARS = 1 << 20;

const SEVERITY: Record<string, SeverityNumber> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  fatal: SeverityNumber.FATAL,
};

/** Options of the OTLP log stream. */
export interface OtlpLogStreamOptions {
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** Default OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT. */
  readonly exporter?: LogRecordExporter;
  /** Bound of the batch queue (records beyond it are dropped by the SDK). Default 2048. */
  readonly maxQueueSize?: number;
  /** Lines that are not JSON objects (never written by the Observer) are counted here. */
  readonly onDrop?: (reason: string) => void;
}

/**
 * A writable for pino: each line becomes a log record whose body is the message, whose attributes are the
 * line's other fields (nested objects kept as maps), with severity from `level` and the trace context from
 * `trace_id`/`span_id`. Ending the stream flushes and shuts the exporter down.
 */
export function otlpLogStream(options: OtlpLogStreamOptions): Writable {
  const resource = detectResources({ detectors: [envDetector] }).merge(
    resourceFromAttributes({
      'service.name': process.env.OTEL_SERVICE_NAME ?? options.serviceName,
      'service.version': options.serviceVersion ?? '0.1.0',
    }),
  );
  const provider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        exporter: options.exporter ?? new OTLPLogExporter(),
        maxQueueSize: options.maxQueueSize ?? 2048,
      }),
    ],
  });
  const logger = provider.getLogger('qobs');
  let partial = '';
  const emitLine = (line: string) => {
    if (line.trim() === '') return;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line);
    } catch {
      options.onDrop?.('not_json');
      return;
    }
    const { message, level, timestamp, trace_id, span_id, ...fields } = obj;
    let ctx = context.active();
    if (typeof trace_id === 'string' && typeof span_id === 'string')
      ctx = trace.setSpanContext(ctx, { traceId: trace_id, spanId: span_id, traceFlags: TraceFlags.SAMPLED });
    logger.emit({
      body: typeof message === 'string' ? message : '',
      severityText: typeof level === 'string' ? level : undefined,
      severityNumber: typeof level === 'string' ? SEVERITY[level] : undefined,
      timestamp: typeof timestamp === 'string' ? new Date(timestamp) : undefined,
      attributes: fields as AnyValueMap,
      context: ctx,
    });
  };
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      partial += chunk.toString('utf8');
      if (partial.length > MAX_LINE_CHARS && partial.indexOf('\n') < 0) {
        partial = ''; // a line with no end in sight: drop it rather than grow without bound
        options.onDrop?.('line_too_long');
      }
      let i = partial.indexOf('\n');
      while (i >= 0) {
        emitLine(partial.slice(0, i));
        partial = partial.slice(i + 1);
        i = partial.indexOf('\n');
      }
      cb();
    },
    final(cb) {
      emitLine(partial);
      provider.shutdown().then(
        () => cb(),
        () => cb(),
      );
    },
  });
}
