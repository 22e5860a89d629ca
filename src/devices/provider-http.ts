// Calls to providers' APIs: timeouts, retries (429 after Retry-After, 5xx and timeouts with exponential
// backoff), status codes mapped to typed ProviderErrors, and credentials scrubbed from every message.
import type { ProviderName } from './types.js';
import {
  ProviderAuthError,
  type ProviderError,
  ProviderForbiddenError,
  ProviderNotFoundError,
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from './provider.js';

/** Retry and timeout settings shared by every adapter. */
export interface RetryOptions {
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts in all, the first included (default 3). */
  readonly maxAttempts?: number;
  /** First backoff delay; doubled each retry, with full jitter (default 500 ms). */
  readonly backoffMs?: number;
  /** Longest wait between attempts, Retry-After included (default 30 s). */
  readonly maxDelayMs?: number;
  /** Waits (tests pass a recording one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Replaces every occurrence of each secret in `text` with `[REDACTED]`. */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[REDACTED]');
  return out;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date); undefined when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, (t - nowMs) / 1000);
}

/** Whether an error is worth another attempt. */
function retryable(err: unknown): boolean {
  return (
    err instanceof ProviderRateLimitError ||
    err instanceof ProviderUnavailableError ||
    err instanceof ProviderTimeoutError
  );
}

/**
 * Runs `attempt` up to `maxAttempts` times: after a 429 it waits the Retry-After (capped), after a 5xx,
 * connection failure or timeout it waits an exponential backoff with full jitter. Other errors pass at once.
 */
export async function withRetries<T>(
  options: RetryOptions,
  attempt: () => Promise<T>,
  retryIf: (err: unknown) => boolean = retryable,
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? defaultSleep;
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= maxAttempts || !retryIf(err)) throw err;
      let delayMs: number;
      if (err instanceof ProviderRateLimitError && err.retryAfterSeconds !== undefined)
        delayMs = err.retryAfterSeconds * 1000;
      else delayMs = Math.random() * backoffMs * 2 ** (i - 1);
      await sleep(Math.min(maxDelayMs, delayMs));
    }
  }
}

/** Maps an HTTP error status to the typed error (the provider's own message, scrubbed, kept). */
export function errorForStatus(
  provider: ProviderName,
  status: number,
  what: string,
  detail: string,
  retryAfter?: string | null,
): ProviderError {
  const msg = `${what}: HTTP ${status}${detail ? ` (${detail})` : ''}`;
  if (status === 401) return new ProviderAuthError(provider, msg);
  if (status === 403) return new ProviderForbiddenError(provider, msg);
  if (status === 404) return new ProviderNotFoundError(provider, msg);
  if (status === 429) return new ProviderRateLimitError(provider, msg, parseRetryAfter(retryAfter));
  if (status >= 500) return new ProviderUnavailableError(provider, msg, status);
  return new ProviderResponseError(provider, msg, status);
}

/** A JSON-over-HTTPS client for one provider. */
export class JsonHttpClient {
  constructor(
    private readonly provider: ProviderName,
    private readonly baseUrl: string,
    private readonly headers: () => Promise<Record<string, string>>,
    private readonly secrets: () => readonly (string | undefined)[],
    private readonly options: RetryOptions = {},
  ) {}

  /**
   * GET or POST `path` (relative to the base URL) and parse the JSON answer, with retries. A request that is
   * not `idempotent` (creating a job) is retried only after a 429, which the provider refused before doing
   * anything: after a timeout or 5xx the job may exist, and a second attempt could run (and bill) it twice.
   */
  request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    { idempotent = true }: { idempotent?: boolean } = {},
  ): Promise<unknown> {
    return withRetries(
      this.options,
      () => this.once(method, path, body),
      idempotent ? retryable : (err) => err instanceof ProviderRateLimitError,
    );
  }

  private async once(method: string, path: string, body?: unknown): Promise<unknown> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const what = `${method} ${path.split('?')[0]}`;
    const headers: Record<string, string> = { accept: 'application/json', ...(await this.headers()) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new ProviderTimeoutError(this.provider, timeoutMs, what);
      // The cause can hold the URL and headers; keep only its message, scrubbed.
      const detail = scrub(String((err as Error)?.cause ?? err), this.secrets());
      throw new ProviderUnavailableError(this.provider, `${what}: connection failed (${detail})`);
    }
    if (!res.ok) {
      const detail = scrub(text.slice(0, 200).replace(/\s+/g, ' ').trim(), this.secrets());
      throw errorForStatus(this.provider, res.status, what, detail, res.headers.get('retry-after'));
    }
    if (text === '' && res.status === 204) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new ProviderResponseError(this.provider, `${what}: answer is not JSON`, res.status);
    }
  }
}
