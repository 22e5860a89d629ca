// Small validators for notifier configuration blocks: each pushes an issue naming the field and moves on.
import type { ConfigIssue } from './types.js';

export type Raw = Record<string, unknown>;

/** Checks that `raw` is a map holding only `allowed` keys. */
export function block(
  raw: unknown,
  path: string,
  allowed: readonly string[],
  issues: ConfigIssue[],
): Raw | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    issues.push({ path, message: 'must be a map' });
    return undefined;
  }
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k)) issues.push({ path: `${path}.${k}`, message: 'unknown field' });
  }
  return raw as Raw;
}

export function optString(r: Raw, key: string, path: string, issues: ConfigIssue[]): string | undefined {
  const v = r[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    issues.push({ path: `${path}.${key}`, message: 'must be a string' });
    return undefined;
  }
  return v;
}

export function optBool(
  r: Raw,
  key: string,
  path: string,
  issues: ConfigIssue[],
  fallback: boolean,
): boolean {
  const v = r[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') {
    issues.push({ path: `${path}.${key}`, message: 'must be true or false' });
    return fallback;
  }
  return v;
}

export function optInt(r: Raw, key: string, path: string, issues: ConfigIssue[], fallback: number): number {
  const v = r[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    issues.push({ path: `${path}.${key}`, message: 'must be a non-negative integer' });
    return fallback;
  }
  return v;
}

export function optStringMap(
  r: Raw,
  key: string,
  path: string,
  issues: ConfigIssue[],
): Record<string, string> {
  const v = r[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    issues.push({ path: `${path}.${key}`, message: 'must be a map of strings' });
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') issues.push({ path: `${path}.${key}.${k}`, message: 'must be a string' });
    else out[k] = x;
  }
  return out;
}

/** Drops undefined values so exported YAML holds only what is set. */
export function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
