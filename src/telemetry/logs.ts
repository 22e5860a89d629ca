// Structured logs of the Observer: pino JSON lines, one per event, with secrets redacted before they are written.
import type { Writable } from 'node:stream';
import type { Span } from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { QobsConfigError } from '../errors.js';
import { type Finding, type RedactOptions, redactSecrets } from './redact.js';
import type { EventType } from './semconv.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** Options of the logs signal. */
export interface LogsOptions {
  /** `stdout` (default), a file path, `otlp` (OTLP/HTTP logs, endpoint from OTEL_* variables) or a stream. */
  readonly destination?: 'stdout' | 'otlp' | string | Writable | DestinationStream;
  readonly level?: LogLevel;
  /** Security events per minute at most (credential findings beyond it are counted as dropped). Default 60. */
  readonly securityEventsPerMinute?: number;
}

/** Redaction of log lines: on by default; `false` writes lines as given (only for trusted destinations). */
export type RedactConfig = boolean | { readonly keys?: readonly string[] };

/** Called for each finding (metrics) and for each security event dropped by the rate limit. */
export interface LogHooks {
  onFinding(finding: Finding): void;
  onDrop(reason: string): void;
}

/** Options that make a pino logger write the Observer's line shape (`timestamp`, `level` label, `service`, `message`). */
export function lineOptions(serviceName: string, level: LogLevel = 'info'): LoggerOptions {
  return {
    level,
    base: { service: serviceName },
    messageKey: 'message',
    timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/**
 * pino options that redact secrets in every call's arguments (merge object and message) before the line is
 * built: use them with your own pino logger. `onFindings` hears where secrets were found.
 * @example
 *   const log = pino({ ...redactingPinoOptions((f) => console.error(f)) });
 */
export function redactingPinoOptions(
  onFindings: (findings: Finding[]) => void,
): Pick<LoggerOptions, 'hooks'> {
  return {
    hooks: {
      logMethod(args, method) {
        const { value, findings } = redactSecrets(args);
        if (findings.length > 0) onFindings(findings);
        return method.apply(this, value as Parameters<typeof method>);
      },
    },
  };
}

/** A token bucket: at most `perMinute` events a minute, refilled continuously. */
class RateLimit {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly perMinute: number) {
    this.tokens = perMinute;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.last) * this.perMinute) / 60_000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Writes the six event types as JSON lines. */
export class QuantumLogger {
  readonly pino: Logger;
  private readonly limit: RateLimit;
  private readonly redact: boolean;
  private readonly redactOptions: RedactOptions;
  private readonly closeDestination: () => Promise<void>;

  constructor(
    serviceName: string,
    options: LogsOptions,
    private readonly hooks: LogHooks,
    otlpStream?: () => Writable,
    redact: RedactConfig = true,
  ) {
    this.redact = redact !== false;
    this.redactOptions = typeof redact === 'object' ? { keys: redact.keys } : {};
    const level = options.level ?? 'info';
    if (!LEVELS.includes(level))
      throw new QobsConfigError('logs.level', `must be one of ${LEVELS.join(', ')}, got '${level}'`);
    const perMinute = options.securityEventsPerMinute ?? 60;
    if (!(perMinute > 0))
      throw new QobsConfigError('logs.securityEventsPerMinute', `must be positive, got ${perMinute}`);
    this.limit = new RateLimit(perMinute);
    const dest = options.destination ?? 'stdout';
    let stream: DestinationStream | Writable;
    if (dest === 'stdout') stream = pino.destination({ dest: 1, sync: true });
    else if (dest === 'otlp') {
      if (!otlpStream) throw new QobsConfigError('logs.destination', 'otlp logs are not available here');
      stream = otlpStream();
    } else if (typeof dest === 'string') {
      if (dest.length === 0)
        throw new QobsConfigError('logs.destination', 'must be stdout, otlp, a file path or a stream');
      stream = pino.destination({ dest, sync: true, mkdir: true });
    } else stream = dest;
    this.pino = pino(lineOptions(serviceName, level), stream as DestinationStream);
    const owned = typeof dest === 'string'; // stdout, otlp or a path: opened here, so closed here
    this.closeDestination = async () => {
      if (!owned) return;
      const s = stream as NodeJS.EventEmitter & { flushSync?: () => void; end?: () => void };
      try {
        s.flushSync?.();
      } catch {
        // a destination that has not opened yet holds nothing to flush
      }
      if (dest === 'stdout' || !s.end) return;
      // sonic-boom's end() takes no callback: wait for 'close', at most a second.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        s.once('close', done);
        s.once('error', done);
        s.end!();
      });
    };
  }

  /** True when lines at `level` are written. */
  enabled(level: LogLevel): boolean {
    return this.pino.isLevelEnabled(level);
  }

  /**
   * Writes one event line: redacts secrets anywhere in it first, then adds the trace and span ids of `span`
   * (or of the active span). Each finding raises one rate-limited `quantum_security_event`.
   */
  event(
    eventType: EventType,
    level: LogLevel,
    message: string,
    fields: Record<string, unknown>,
    span?: Span,
  ): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const raw = { line: { event_type: eventType, ...fields } as Record<string, unknown>, message };
    const r = this.redact ? redactSecrets(raw, this.redactOptions) : { value: raw, findings: [] };
    const line = r.value.line;
    // Trace and span ids are ours (hex), added after the scan.
    const ctx = (span ?? trace.getActiveSpan())?.spanContext();
    if (ctx && ctx.traceId !== '00000000000000000000000000000000') {
      line.trace_id = ctx.traceId;
      line.span_id = ctx.spanId;
    }
    this.pino[level](line, r.value.message);
    if (r.findings.length > 0) this.reportFindings(r.findings, span);
  }

  /**
   * One security event per kind of secret found in a line: the same token in the message and in a field
   * (or in an error's message and stack) is one exposure, reported once with every path where it was.
   */
  private reportFindings(findings: readonly Finding[], span?: Span): void {
    const byType = new Map<string, string[]>();
    for (const f of findings) {
      const path = f.path.startsWith('line.') ? f.path.slice(5) : f.path;
      const paths = byType.get(f.type);
      if (paths) paths.push(path);
      else byType.set(f.type, [path]);
    }
    for (const [type, paths] of byType) this.credentialFound(type as Finding['type'], paths, span);
  }

  private credentialFound(type: Finding['type'], paths: string[], span?: Span): void {
    this.hooks.onFinding({ type, path: paths[0] });
    if (!this.limit.take()) {
      this.hooks.onDrop('security_event_rate_limited');
      return;
    }
    const line: Record<string, unknown> = {
      event_type: 'quantum_security_event',
      security_event_type: 'credential_exposure_detected',
      severity: 'high',
      security_details: { secret_type: type, field_path: paths[0], field_paths: paths, action: 'redacted' },
    };
    const ctx = (span ?? trace.getActiveSpan())?.spanContext();
    if (ctx && ctx.traceId !== '00000000000000000000000000000000') {
      line.trace_id = ctx.traceId;
      line.span_id = ctx.spanId;
    }
    // Built from finding types and paths only, so it holds no secret and is not scanned again.
    this.pino.warn(line, `credential redacted from telemetry at ${paths.join(', ')}`);
  }

  /** Flushes and closes a destination the Observer opened. */
  async close(): Promise<void> {
    await this.closeDestination();
  }
}
