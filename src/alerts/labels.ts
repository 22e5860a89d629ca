// Label sets as Alertmanager handles them: fingerprints, ordering, matchers and their text form.
import { QobsConfigError } from '../errors.js';

export type LabelSet = Readonly<Record<string, string>>;

const encoder = new TextEncoder();
const TWO_32 = 4294967296;

/**
 * Prometheus' label-set fingerprint (FNV-1a 64 over sorted name, 0xff, value, 0xff) as 16 hex digits.
 * The 64-bit product is done in two 32-bit halves: FNV's prime is 2^40 + 0x1b3, so h * prime is
 * h * 0x1b3 plus the low word shifted into the high one (about 10 times faster than BigInt).
 */
export function fingerprint(labels: LabelSet): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const mix = (b: number) => {
    lo = (lo ^ b) >>> 0;
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / TWO_32);
    hi = (Math.imul(hi, 0x1b3) + ((lo << 8) >>> 0) + carry) >>> 0;
    lo = loMul >>> 0;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const part of [name, labels[name]]) {
      for (const b of encoder.encode(part)) mix(b);
      mix(0xff);
    }
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** model.LabelSet.String(): `{a="1", b="2"}`. */
export function labelSetString(labels: LabelSet): string {
  const parts = Object.keys(labels).map((k) => `${k}=${JSON.stringify(labels[k])}`);
  parts.sort();
  return `{${parts.join(', ')}}`;
}

/** model.LabelSet.Before: the order Alertmanager sorts alerts in within a notification. */
export function labelSetBefore(a: LabelSet, b: LabelSet): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return ka.length < kb.length;
  const names = [...new Set([...ka, ...kb])].sort();
  for (const n of names) {
    if (!(n in a)) return true;
    if (!(n in b)) return false;
    if (a[n] < b[n]) return true;
    if (a[n] > b[n]) return false;
  }
  return false;
}

/** Alertmanager's alert order: by job, then instance, then the whole label set. */
export function compareAlertLabels(a: LabelSet, b: LabelSet): number {
  for (const k of ['job', 'instance']) {
    const x = a[k];
    const y = b[k];
    if (x !== undefined && y !== undefined && x !== y) return x < y ? -1 : 1;
    if (x !== undefined && y === undefined) return -1;
    if (x === undefined && y !== undefined) return 1;
  }
  if (labelSetBefore(a, b)) return -1;
  if (labelSetBefore(b, a)) return 1;
  return 0;
}

export type MatcherType = '=' | '!=' | '=~' | '!~';

/** An Alertmanager label matcher. */
export interface Matcher {
  readonly name: string;
  readonly type: MatcherType;
  readonly value: string;
  readonly re?: RegExp;
}

/** Builds a matcher, compiling an anchored regular expression for =~ and !~. */
export function newMatcher(name: string, type: MatcherType, value: string, field = 'matcher'): Matcher {
  if (type === '=~' || type === '!~') {
    try {
      return { name, type, value, re: new RegExp(`^(?:${value})$`, 's') };
    } catch (e) {
      throw new QobsConfigError(field, `invalid regular expression '${value}': ${(e as Error).message}`);
    }
  }
  return { name, type, value };
}

export function matcherMatches(m: Matcher, labels: LabelSet): boolean {
  const v = labels[m.name] ?? '';
  switch (m.type) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return m.re!.test(v);
    case '!~':
      return !m.re!.test(v);
  }
}

export function matchersMatch(ms: readonly Matcher[], labels: LabelSet): boolean {
  for (const m of ms) if (!matcherMatches(m, labels)) return false;
  return true;
}

const MATCHER_RE =
  /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^,"'}\s][^,}]*?))\s*$/;

/** Parses one matcher, `name="value"`, `name=~"re"` or unquoted `name=value`. */
export function parseMatcher(text: string, field = 'matcher'): Matcher {
  const m = MATCHER_RE.exec(text);
  if (!m) throw new QobsConfigError(field, `bad matcher format: ${text}`);
  const value =
    m[3] !== undefined ? (JSON.parse(`"${m[3]}"`) as string) : m[4] !== undefined ? m[4] : m[5].trim();
  return newMatcher(m[1], m[2] as MatcherType, value, field);
}

/** Parses a matcher list, `{a="b", c=~"d"}` or `a="b", c=~"d"`. */
export function parseMatchers(text: string, field = 'matchers'): Matcher[] {
  let s = text.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  const parts: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      cur += c;
      if (c === '\\') cur += s[++i] ?? '';
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) parts.push(cur);
  return parts.map((p) => parseMatcher(p, field));
}

/** A matcher's text, as Alertmanager prints it in route keys: name, operator, quoted value. */
export function matcherString(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}

/** Sorts matchers as Alertmanager's labels.Matchers does (name, value, type). */
export function sortMatchers(ms: Matcher[]): Matcher[] {
  const order: MatcherType[] = ['=', '!=', '=~', '!~'];
  return ms.sort((a, b) => {
    if (a.name !== b.name) return a.name < b.name ? -1 : 1;
    if (a.value !== b.value) return a.value < b.value ? -1 : 1;
    return order.indexOf(a.type) - order.indexOf(b.type);
  });
}

/** `{a="b",c=~"d"}`, Alertmanager's Matchers.String(). */
export function matchersString(ms: readonly Matcher[]): string {
  return `{${ms.map(matcherString).join(',')}}`;
}
