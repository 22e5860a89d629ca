// Number and label formatting as Prometheus' JSON API and test scripts print them.
import type { Labels } from '../store/index.js';

/** Formats a float as Go's strconv.FormatFloat(v, 'f', -1, 64) does (Prometheus' JSON sample values). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // Expand JS exponent notation into plain decimal digits, as 'f' formatting does.
  const neg = s.startsWith('-');
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = mant.replace('.', '');
  const intLen = (dot < 0 ? mant.length : dot) + exp;
  let out: string;
  if (intLen <= 0) out = `0.${'0'.repeat(-intLen)}${digits}`;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  return neg ? `-${out}` : out;
}

/** Sorted label names of a label set. */
export function sortedNames(labels: Labels): string[] {
  return Object.keys(labels).sort();
}

/** Prometheus' labels.Compare: by sorted (name, value) pairs. */
export function compareLabels(a: Labels, b: Labels): number {
  const an = sortedNames(a);
  const bn = sortedNames(b);
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    if (an[i] !== bn[i]) return an[i] < bn[i] ? -1 : 1;
    const av = a[an[i]];
    const bv = b[bn[i]];
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return an.length - bn.length;
}

/** Renders a label set as PromQL series notation: `name{a="b"}`. */
export function formatLabels(labels: Labels): string {
  const name = labels.__name__ ?? '';
  const parts = sortedNames(labels)
    .filter((n) => n !== '__name__')
    .map((n) => `${n}=${JSON.stringify(labels[n])}`);
  return `${name}{${parts.join(', ')}}`;
}
