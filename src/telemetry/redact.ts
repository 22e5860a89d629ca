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

interface TextRule {
  readonly type: SecretType;
  readonly re: RegExp;
  /** Replacement keeping the non-secret groups. */
  readonly replace: (match: string, ...groups: string[]) => string;
}

const keep1 = (_m: string, a: string) => `${a}${REDACTED}`;

// Order matters: the most specific rules run first, so a key is named by what it is.
const TEXT_RULES: readonly TextRule[] = [
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
    re: /((?:password|passwd|pwd|passphrase)["']?\s*[:=]\s*["']?)[^\s"',;&]{4,}/gi,
    replace: keep1,
  },
  {
    type: 'api_key',
    re: /((?:api[_-]?key|secret|access[_-]?token|refresh[_-]?token|client[_-]?secret)["']?\s*[:=]\s*["']?)[A-Za-z0-9_\-./+=]{16,}/gi,
    replace: keep1,
  },
];

// One cheap test first: text with none of these cannot hold a secret a rule would find.
const GATE = /authoriz|bearer|:\/\/|AKIA|ASIA|secret|ibm|qiskit|token|api[_-]?key|ionq|passw|pwd/i;

// Keys whose whole string value is a credential, whatever it looks like.
const SECRET_KEYS: ReadonlyArray<readonly [RegExp, SecretType]> = [
  [/^(proxy-)?authorization$/i, 'authorization_header'],
  [/^(aws_?)?secret_?access_?key$/i, 'aws_secret_access_key'],
  [/^(aws_?)?access_?key_?id$/i, 'aws_access_key_id'],
  [/^(ibm|qiskit)[a-z_]*(token|api_?key)$|^ibm_?cloud_?api_?key$/i, 'ibm_api_key'],
  [/^ionq[a-z_]*(key|token)$/i, 'ionq_api_key'],
  [/^(password|passwd|pwd|passphrase)$/i, 'password'],
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
export function redactSecrets<T>(value: T): { value: T; findings: Finding[] } {
  const findings: Finding[] = [];
  const out = walk(value, '', findings, 0, undefined) as T;
  return { value: out, findings };
}

/** Redacts one string; `path` names it in findings. */
export function redactText(text: string, path: string, findings: Finding[]): string {
  if (!GATE.test(text)) return text;
  let out = text;
  for (const rule of TEXT_RULES) {
    rule.re.lastIndex = 0;
    if (!rule.re.test(out)) continue;
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, rule.replace as (m: string, ...g: string[]) => string);
    findings.push({ type: rule.type, path });
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

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function walk(
  value: unknown,
  path: string,
  findings: Finding[],
  depth: number,
  seen: Set<object> | undefined,
): unknown {
  if (typeof value === 'string') return redactText(value, path, findings);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return value;
  const s = seen ?? new Set<object>();
  if (s.has(value)) return value;
  s.add(value);
  try {
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const v = walk(value[i], `${path}[${i}]`, findings, depth + 1, s);
        if (v !== value[i]) {
          copy ??= value.slice();
          copy[i] = v;
        }
      }
      return copy ?? value;
    }
    if (value instanceof Error) {
      // An Error's message and stack are not enumerable: copy them into a plain object when they need redaction.
      const before = findings.length;
      const message = redactText(value.message, join(path, 'message'), findings);
      const fromStack: Finding[] = [];
      const stack =
        value.stack === undefined ? undefined : redactText(value.stack, join(path, 'stack'), fromStack);
      // The stack's first line repeats the message: a secret found in both is one finding, not two.
      for (const f of fromStack)
        if (!findings.some((g, i) => i >= before && g.type === f.type)) findings.push(f);
      const rest = walkObject(value as unknown as Record<string, unknown>, path, findings, depth, s);
      if (findings.length === before) return value;
      const copy = Object.create(Object.getPrototypeOf(value)) as Error;
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
      if (value.name !== copy.name) copy.name = value.name;
      return copy;
    }
    if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof Map || value instanceof Set)
      return value;
    return walkObject(value as Record<string, unknown>, path, findings, depth, s);
  } finally {
    s.delete(value);
  }
}

function walkObject(
  obj: Record<string, unknown>,
  path: string,
  findings: Finding[],
  depth: number,
  seen: Set<object>,
): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    const p = join(path, key);
    let next: unknown;
    const kt = typeof v === 'string' && v.length > 0 && v !== REDACTED ? keyType(key) : undefined;
    if (kt) {
      findings.push({ type: kt, path: p });
      next = REDACTED;
    } else {
      next = walk(v, p, findings, depth + 1, seen);
    }
    if (next !== v) {
      copy ??= { ...obj };
      copy[key] = next;
    }
  }
  return copy ?? obj;
}
