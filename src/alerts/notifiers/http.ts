// JSON over HTTP for the notifiers, classifying failures as retryable (network, timeout, 429, 5xx) or not.
import { NotifyError } from './types.js';

const USER_AGENT = 'qobs-alerts/0.1';

/** Response of a successful POST: status and body text. */
export interface PostResult {
  readonly status: number;
  readonly body: string;
}

function retryAfterMs(h: string | null): number | undefined {
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return s * 1000;
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/** POSTs JSON; resolves on 2xx, throws NotifyError otherwise. */
export async function postJson(
  url: string,
  body: unknown,
  opts: { timeoutMs: number; headers?: Record<string, string>; signal?: AbortSignal; what: string },
): Promise<PostResult> {
  const signals = [AbortSignal.timeout(opts.timeoutMs)];
  if (opts.signal) signals.push(opts.signal);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...opts.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any(signals),
    });
  } catch (e) {
    const err = e as Error;
    const why =
      err.name === 'TimeoutError'
        ? `timed out after ${opts.timeoutMs} ms`
        : ((err.cause as Error)?.message ?? err.message);
    throw new NotifyError(`${opts.what}: ${why}`, { retryable: true, cause: e });
  }
  const text = await res.text().catch(() => '');
  if (res.status >= 200 && res.status < 300) return { status: res.status, body: text };
  const retryable = res.status === 429 || res.status >= 500;
  throw new NotifyError(`${opts.what}: HTTP ${res.status}: ${text.slice(0, 200)}`, {
    retryable,
    status: res.status,
    retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
  });
}

/** Checks an http(s) URL, pushing an issue naming `path` when it is not one. */
export function checkUrl(
  v: unknown,
  path: string,
  issues: { path: string; message: string }[],
): string | undefined {
  if (typeof v !== 'string' || v === '') {
    issues.push({ path, message: 'required: an http or https URL' });
    return undefined;
  }
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    issues.push({ path, message: `not a valid URL: '${v}'` });
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    issues.push({ path, message: `unsupported scheme '${u.protocol.slice(0, -1)}' (http or https)` });
    return undefined;
  }
  return v;
}
