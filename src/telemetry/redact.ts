// Secret redaction for telemetry: finds credentials by key name and in free text, anywhere in a value.

/** What kind of secret was found. */
export type SecretType =
  | 'authorization_header'
  | 'bearer_token'
  | 'aws_access_key_id'
  | 'aws_secret_access_key'
  | 'ibm_api_key'
  | 'ionq_api_key'
  | 'url_password'
  | 'password'
  | 'api_key';

/** One redaction: where (a field path such as `event_details.headers[0]`) and what kind; never the secret. */
export interface Finding {
  readonly type: SecretType;
  readonly path: string;
}

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

export interface TextRule {
  readonly type: SecretType;
  readonly re: RegExp;
  /** Replacement keeping the non-secret groups. */
  readonly replace: (match: string, ...groups: string[]) => string;
}

const keep1 = (_m: string, a: string) => `${a}${REDACTED}`;

// Order matters: the most specific rules run first, so a key is named by what it is.
/** The free-text rules (exported for the prefilter's differential test). */
export const TEXT_RULES: readonly TextRule[] = [
  // `Authorization: Bearer x`, `authorization=apiKey x`, `"Authorization": "Basic x"`: the whole credential.
  {
    type: 'authorization_header',
    re: /((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|apikey|token|digest|aws4-hmac-sha256)\s+)?[^\s"',;]+(?:[ \t]*[^\s"',;=]+=[^\s"',;]+(?:,\s*[^\s"',;=]+=[^\s"',;]+)*)?/gi,
    replace: keep1,
  },
  { type: 'bearer_token', re: /(\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*/gi, replace: keep1 },
  { type: 'url_password', re: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]+:)[^\s@/?#]+(?=@)/gi, replace: keep1 },
  { type: 'aws_access_key_id', re: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, replace: () => REDACTED },
  {
    type: 'aws_secret_access_key',
    re: /((?:aws_?secret_?access_?key|aws_?secret|secret_?access_?key)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/gi,
    replace: keep1,
  },
  {
    // IBM Quantum tokens (128 hex, or 44-char API keys) and IBM Cloud API keys (44 chars of [A-Za-z0-9_-]),
    // named by a nearby ibm/token/apikey key: alone, a 44-char string is too common to call a secret.
    type: 'ibm_api_key',
    re: /((?:ibm[a-z_.]*|qiskit[a-z_.]*|token|api[_-]?key)["']?\s*[:=(]\s*["']?)(?:[A-Za-z0-9_-]{44}|[a-f0-9]{128})(?![A-Za-z0-9_-])/gi,
    replace: keep1,
  },
  {
    // IonQ API keys: 32 alphanumerics near an ionq key (the header form is caught as authorization_header).
    type: 'ionq_api_key',
    re: /((?:ionq[a-z_]*)["']?\s*[:=]\s*["']?)[A-Za-z0-9]{32,64}(?![A-Za-z0-9])/gi,
    replace: keep1,
  },
  {
    type: 'password',
    // Not `pwd`: it is the shell's working directory (PWD=/home/...) far more often than a password.
    re: /((?:password|passwd|passphrase)["']?\s*[:=]\s*["']?)[^\s"',;&]{4,}/gi,
    replace: keep1,
  },
  {
    type: 'api_key',
    re: /((?:api[_-]?key|secret|access[_-]?token|refresh[_-]?token|client[_-]?secret)["']?\s*[:=]\s*["']?)[A-Za-z0-9_\-./+=]{16,}/gi,
    replace: keep1,
  },
];

// Every rule but two needs a separator (`:`, `=` or `(`) before the secret; this regex then says whether a
// key word that a rule needs is there, so ordinary text (device names with `ibm` or `ionq`) passes untouched.
const GATE =
  /authoriz|bearer\s|:\/\/[^\s:@/]*:|AKIA|ASIA|(?:secret|token|api[_-]?key|ionq|passw(?:or)?d|passphrase)[a-z_]*["']?\s*[:=(]/i;

/** Strings shorter than this hold no secret any rule finds (`a://b:cd@` and `AKIA...` are longer). */
const MIN_SECRET_TEXT = 8;

function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
}

/**
 * One pass over the characters decides, for nearly all telemetry text, that no rule can match, without a
 * regex: no separator, no token run long enough for a key (20 for AWS key ids, 44 for IBM keys), no space
 * that could follow `Bearer`. Saves most of the redaction cost on the hot path (measured in bench/telemetry).
 */
export function mayHoldSecret(text: string): boolean {
  if (text.length < MIN_SECRET_TEXT) return false;
  let run = 0;
  let maxRun = 0;
  let separator = false;
  let space = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isTokenChar(c)) {
      run++;
      if (run > maxRun) maxRun = run;
      continue;
    }
    run = 0;
    if (c === 58 || c === 61 || c === 40) separator = true;
    else if (c === 32 || c === 9 || c === 10 || c === 13) space = true;
  }
  if (maxRun >= 44) return true;
  if (separator && GATE.test(text)) return true;
  if (maxRun >= 20 && /AKIA|ASIA/.test(text)) return true;
  return space && /bearer\s/i.test(text);
}

// Keys whose whole string value is a credential, whatever it looks like.
const SECRET_KEYS: ReadonlyArray<readonly [RegExp, SecretType]> = [
  [/^(proxy-)?authorization$/i, 'authorization_header'],
  [/^(aws_?)?secret_?access_?key$/i, 'aws_secret_access_key'],
  [/^(aws_?)?access_?key_?id$/i, 'aws_access_key_id'],
  [/^(ibm|qiskit)[a-z_]*(token|api_?key)$|^ibm_?cloud_?api_?key$/i, 'ibm_api_key'],
  [/^ionq[a-z_]*(key|token)$/i, 'ionq_api_key'],
  [/^(password|passwd|passphrase|db_?password)$/i, 'password'],
  [
    /^(x-)?api[_-]?key$|^(access|refresh|id|auth|bearer)[_-]?token$|^token$|^client[_-]?secret$|^secret$/i,
    'api_key',
  ],
];

const MAX_DEPTH = 12;

/**
 * Returns `value` with every secret replaced by `[REDACTED]`, and where each was. Objects, arrays and Errors
 * (message, stack, own fields) are walked; the input is never modified, and is returned as is when clean.
 * @example
 *   redactSecrets({ msg: 'key AKIAIOSFODNN7EXAMPLE' }) // { value: { msg: 'key [REDACTED]' }, findings: [{ type: 'aws_access_key_id', path: 'msg' }] }
 */
export function redactSecrets<T>(value: T, options: RedactOptions = {}): { value: T; findings: Finding[] } {
  const findings: Finding[] = [];
  const extraKeys =
    options.keys && options.keys.length > 0 ? new Set(options.keys.map((k) => k.toLowerCase())) : undefined;
  const out = walk(value, { keys: [], ancestors: [], findings, extraKeys }) as T;
  return { value: out, findings };
}

/** Options of `redactSecrets`. */
export interface RedactOptions {
  /** More field names (case-insensitive, exact) whose string values are secrets, e.g. `x-internal-token`. */
  readonly keys?: readonly string[];
}

/** Redacts one string; `path` names it in findings. */
export function redactText(text: string, path: string, findings: Finding[]): string {
  return redactString(text, path, findings);
}

/** `path` is a string, or the walk's key stack (turned into a string only on a finding). */
function redactString(
  text: string,
  path: string | ReadonlyArray<string | number>,
  findings: Finding[],
): string {
  if (!mayHoldSecret(text)) return text;
  let out = text;
  let where: string | undefined;
  for (const rule of TEXT_RULES) {
    rule.re.lastIndex = 0;
    if (!rule.re.test(out)) continue;
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, rule.replace as (m: string, ...g: string[]) => string);
    where ??= typeof path === 'string' ? path : pathOf(path);
    findings.push({ type: rule.type, path: where });
  }
  return out;
}

// Field names repeat from line to line: remember each verdict (bounded, so arbitrary keys cannot grow it).
const keyCache = new Map<string, SecretType | null>();
const KEY_CACHE_MAX = 4096;

function keyType(key: string): SecretType | undefined {
  const cached = keyCache.get(key);
  if (cached !== undefined) return cached ?? undefined;
  let found: SecretType | null = null;
  for (const [re, type] of SECRET_KEYS) {
    if (re.test(key)) {
      found = type;
      break;
    }
  }
  if (keyCache.size < KEY_CACHE_MAX) keyCache.set(key, found);
  return found ?? undefined;
}

/** The walk's state: the key path (built into a string only when something is found) and the ancestors. */
interface Walk {
  readonly keys: Array<string | number>;
  readonly ancestors: object[];
  readonly findings: Finding[];
  readonly extraKeys: ReadonlySet<string> | undefined;
}

function pathOf(keys: ReadonlyArray<string | number>): string {
  let out = '';
  for (const k of keys) out = typeof k === 'number' ? `${out}[${k}]` : out ? `${out}.${k}` : k;
  return out;
}

function walk(value: unknown, w: Walk): unknown {
  if (typeof value === 'string') return redactString(value, w.keys, w.findings);
  if (value === null || typeof value !== 'object') return value;
  // Depth bound and cycle check in one small stack, with no allocation per object.
  if (w.ancestors.length >= MAX_DEPTH || w.ancestors.includes(value)) return value;
  if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof Map || value instanceof Set)
    return value;
  w.ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        w.keys.push(i);
        const v = walk(value[i], w);
        w.keys.pop();
        if (v !== value[i]) {
          copy ??= value.slice();
          copy[i] = v;
        }
      }
      return copy ?? value;
    }
    if (value instanceof Error) return walkError(value, w);
    return walkObject(value as Record<string, unknown>, w);
  } finally {
    w.ancestors.pop();
  }
}

function walkError(err: Error, w: Walk): Error {
  // An Error's message and stack are not enumerable: copy them into a new Error when they need redaction.
  const before = w.findings.length;
  w.keys.push('message');
  const message = redactString(err.message, w.keys, w.findings);
  w.keys.pop();
  const fromStack: Finding[] = [];
  w.keys.push('stack');
  const stack = err.stack === undefined ? undefined : redactString(err.stack, w.keys, fromStack);
  w.keys.pop();
  // The stack's first line repeats the message: a secret found in both is one finding, not two.
  for (const f of fromStack)
    if (!w.findings.some((g, i) => i >= before && g.type === f.type)) w.findings.push(f);
  const rest = walkObject(err as unknown as Record<string, unknown>, w);
  if (w.findings.length === before) return err;
  const copy = Object.create(Object.getPrototypeOf(err)) as Error;
  Object.assign(copy, rest);
  Object.defineProperty(copy, 'message', {
    value: message,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  Object.defineProperty(copy, 'stack', {
    value: stack,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  if (err.name !== copy.name) copy.name = err.name;
  return copy;
}

function walkObject(obj: Record<string, unknown>, w: Walk): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    const v = obj[key];
    w.keys.push(key);
    let next: unknown;
    const kt =
      typeof v === 'string' && v.length > 0 && v !== REDACTED
        ? (keyType(key) ?? (w.extraKeys?.has(key.toLowerCase()) ? 'api_key' : undefined))
        : undefined;
    if (kt) {
      w.findings.push({ type: kt, path: pathOf(w.keys) });
      next = REDACTED;
    } else {
      next = walk(v, w);
    }
    w.keys.pop();
    if (next !== v) {
      copy ??= { ...obj };
      copy[key] = next;
    }
  }
  return copy ?? obj;
}
