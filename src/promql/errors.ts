// PromQL errors: Prometheus' error types and its "line:col: parse error: ..." message format.
import { QobsError } from '../errors.js';

/** Prometheus' API error types that the engine produces. */
export type PromqlErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled';

/** A PromQL error as Prometheus reports it; `position` (0-based offset) is set for parse errors. */
export class PromqlError extends QobsError {
  readonly errorType: PromqlErrorType;
  readonly position?: { start: number; end: number };
  /** Set when the query uses a construct outside qobs' PromQL subset (named in the message). */
  readonly unsupported: boolean;
  constructor(
    errorType: PromqlErrorType,
    message: string,
    opts: { position?: { start: number; end: number }; unsupported?: boolean; code?: string } = {},
  ) {
    super(opts.code ?? `promql_${errorType}`, message);
    this.errorType = errorType;
    this.position = opts.position;
    this.unsupported = opts.unsupported ?? false;
  }
}

/** Formats a parse error exactly as Prometheus does: `1:5: parse error: <message>`. */
export function parseError(query: string, start: number, end: number, message: string): PromqlError {
  let line = 1;
  let lastBreak = -1;
  for (let i = 0; i < start && i < query.length; i++) {
    if (query[i] === '\n') {
      line++;
      lastBreak = i;
    }
  }
  const col = start - lastBreak;
  return new PromqlError('bad_data', `${line}:${col}: parse error: ${message}`, {
    position: { start, end },
    code: 'promql_parse',
  });
}

/** The error for a construct outside the supported subset; the message names the construct. */
export function unsupported(construct: string): PromqlError {
  return new PromqlError('bad_data', `unsupported in qobs PromQL: ${construct}`, {
    unsupported: true,
    code: 'promql_unsupported',
  });
}
