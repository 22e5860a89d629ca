// The dashboard's time model: a range (relative like `now-1h` or absolute ms), its resolution to
// milliseconds, the query step, and the auto-refresh interval.

/** A range as the URL carries it: `now`, `now-<n><unit>` or milliseconds since the epoch. */
export interface TimeRange {
  readonly from: string;
  readonly to: string;
}

/** A resolved range in milliseconds and the step (seconds) range queries use. */
export interface ResolvedRange {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepSeconds: number;
}

export const DEFAULT_RANGE: TimeRange = { from: 'now-1h', to: 'now' };
export const DEFAULT_REFRESH = '30s';

/** The picker's presets, as (label, from). */
export const RANGE_PRESETS: readonly (readonly [string, string])[] = [
  ['Last 5 minutes', 'now-5m'],
  ['Last 15 minutes', 'now-15m'],
  ['Last 1 hour', 'now-1h'],
  ['Last 6 hours', 'now-6h'],
  ['Last 24 hours', 'now-24h'],
  ['Last 7 days', 'now-7d'],
  ['Last 30 days', 'now-30d'],
];

/** The auto-refresh choices; `off` disables it. */
export const REFRESH_CHOICES: readonly string[] = ['off', '5s', '10s', '30s', '1m', '5m'];

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `30s`, `5m`, `1h`, `7d`, `2w` into milliseconds; undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** Resolves one end of a range against `nowMs`; undefined when malformed. */
export function resolveTime(text: string, nowMs: number): number | undefined {
  const t = text.trim();
  if (t === 'now') return nowMs;
  if (t.startsWith('now-')) {
    const d = parseDurationMs(t.slice(4));
    return d === undefined ? undefined : nowMs - d;
  }
  if (/^\d{10,}$/.test(t)) return Number(t);
  return undefined;
}

/** Picks a step that gives about `points` samples over the range, at least one second, in whole seconds. */
export function stepFor(rangeMs: number, points = 240): number {
  return Math.max(1, Math.ceil(rangeMs / 1000 / points));
}

/** Resolves a range; a malformed or inverted one falls back to the default. */
export function resolveRange(range: TimeRange, nowMs: number): ResolvedRange {
  let startMs = resolveTime(range.from, nowMs);
  let endMs = resolveTime(range.to, nowMs);
  if (startMs === undefined || endMs === undefined || endMs <= startMs) {
    startMs = nowMs - 3_600_000;
    endMs = nowMs;
  }
  // Whole seconds, so a test can repeat the exact query the page made.
  startMs = Math.floor(startMs / 1000) * 1000;
  endMs = Math.floor(endMs / 1000) * 1000;
  return { startMs, endMs, stepSeconds: stepFor(endMs - startMs) };
}

/** Formats a PromQL duration from seconds (`3600s` → `1h`), as Grafana's `$__range` does. */
export function promDuration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s % 86400 === 0) return `${s / 86400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/** Substitutes Grafana's `$__range`, `$__interval` and `$__rate_interval` so one expression serves both dashboards. */
export function expandExpr(expr: string, r: ResolvedRange): string {
  const rangeS = (r.endMs - r.startMs) / 1000;
  // Grafana's $__rate_interval is max(4 × scrape interval (15 s), interval + scrape interval).
  const rate = Math.max(60, r.stepSeconds + 15);
  return expr
    .replaceAll('$__rate_interval', promDuration(rate))
    .replaceAll('$__range', promDuration(rangeS))
    .replaceAll('$__interval', promDuration(r.stepSeconds));
}

/** A short local label for a timestamp. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
