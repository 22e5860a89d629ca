// The dashboard's only way to the server: JSON over fetch, Prometheus' query API and the workbench's APIs.

/** The endpoint answered 404: the feature is not served by this workbench (yet). */
export class NotAvailableError extends Error {
  readonly path: string;
  constructor(path: string) {
    super(`${path} is not available in this workbench`);
    this.path = path;
  }
}

/** Any other failed request, with the server's message when it gave one. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const TOKEN_KEY = 'qobs.token';

/** The bearer token this tab uses (a workbench listening beyond loopback requires one), if any. */
export function authToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Keeps a token for this tab only (sessionStorage: gone when the tab closes). */
export function setAuthToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

function headers(extra: Record<string, string>): Record<string, string> {
  const t = authToken();
  return t ? { ...extra, authorization: `Bearer ${t}` } : extra;
}

/** Fired on window when the workbench answers 401, so the shell can ask for a token. */
export const AUTH_REQUIRED_EVENT = 'qobs:auth-required';

function check401(res: Response): void {
  if (res.status === 401) {
    window.dispatchEvent(new Event(AUTH_REQUIRED_EVENT));
    throw new ApiError(401, 'This workbench requires a token: enter it at the top of the page.');
  }
}

/** GET a JSON document; 404 → NotAvailableError, other failures → ApiError. */
export async function getJson<T>(
  path: string,
  params: Record<string, string | number | undefined> = {},
): Promise<T> {
  const res = await fetch(path + query(params), { headers: headers({ accept: 'application/json' }) });
  check401(res);
  if (res.status === 404) throw new NotAvailableError(path);
  return readJson<T>(res);
}

/** POST (or another method) a JSON body. */
export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(
      body === undefined
        ? { accept: 'application/json' }
        : { 'content-type': 'application/json', accept: 'application/json' },
    ),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  check401(res);
  if (res.status === 404) throw new NotAvailableError(path);
  return readJson<T>(res);
}

async function readJson<T>(res: Response): Promise<T> {
  const text = await res.text();
  // Alertmanager answers some writes (DELETE of a silence) with an empty 200.
  if (res.ok && text.trim() === '') return {} as T;
  let doc: unknown;
  try {
    doc = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(res.status, `${res.url}: HTTP ${res.status}, not JSON`);
  }
  if (!res.ok) {
    const d = (doc ?? {}) as { error?: unknown; message?: unknown };
    const msg =
      typeof d.error === 'string'
        ? d.error
        : typeof d.message === 'string'
          ? d.message
          : `HTTP ${res.status}`;
    throw new ApiError(res.status, msg);
  }
  return doc as T;
}

/** One series of a range query: labels and [seconds, "value"] pairs, as Prometheus returns them. */
export interface MatrixSeries {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

/** One sample of an instant query. */
export interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

interface PromEnvelope<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}

/** `/api/v1/query_range`: the matrix for an expression over [startMs, endMs] at `stepSeconds`. */
export async function queryRange(
  expr: string,
  startMs: number,
  endMs: number,
  stepSeconds: number,
): Promise<MatrixSeries[]> {
  const doc = await getJson<PromEnvelope<{ resultType: string; result: MatrixSeries[] }>>(
    '/api/v1/query_range',
    {
      query: expr,
      start: startMs / 1000,
      end: endMs / 1000,
      step: stepSeconds,
    },
  );
  if (doc.status !== 'success') throw new ApiError(200, doc.error ?? 'query failed');
  return doc.data.result;
}

/** `/api/v1/query`: an instant vector at `timeMs` (a scalar comes back as one unlabelled sample). */
export async function queryInstant(expr: string, timeMs: number): Promise<VectorSample[]> {
  const doc = await getJson<PromEnvelope<{ resultType: string; result: unknown }>>('/api/v1/query', {
    query: expr,
    time: timeMs / 1000,
  });
  if (doc.status !== 'success') throw new ApiError(200, doc.error ?? 'query failed');
  const { resultType, result } = doc.data;
  if (resultType === 'scalar' || resultType === 'string') {
    return [{ metric: {}, value: result as [number, string] }];
  }
  if (resultType === 'matrix') {
    // A range selector typed into Explore: show each series' last sample.
    return (result as MatrixSeries[]).map((s) => ({
      metric: s.metric,
      value: s.values[s.values.length - 1],
    }));
  }
  return result as VectorSample[];
}

/** `/api/v1/label/__name__/values`: metric names, for completion. */
export async function metricNames(): Promise<string[]> {
  const doc = await getJson<PromEnvelope<string[]>>('/api/v1/label/__name__/values');
  return doc.data ?? [];
}
