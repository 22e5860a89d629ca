// Prometheus duration strings ("1h30m", "5m", "0s") parsed to and formatted from milliseconds.
import { QobsConfigError } from '../errors.js';

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];
const UNIT_NAMES = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];

/** Parses a Prometheus duration ("90s", "1h30m"); `field` names the configuration key in the error. */
export function parseDurationMs(text: string, field: string): number {
  if (text === '0') return 0;
  const m = DURATION_RE.exec(text);
  if (!m || text === '')
    throw new QobsConfigError(field, `not a valid duration: '${text}' (use e.g. 30s, 5m, 1h30m)`);
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * UNIT_MS[i];
  return ms;
}

/** Formats milliseconds as Prometheus does ("1h30m", "0s"). */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (let i = 0; i < UNIT_MS.length; i++) {
    const n = Math.floor(rest / UNIT_MS[i]);
    if (n > 0) {
      out += `${n}${UNIT_NAMES[i]}`;
      rest -= n * UNIT_MS[i];
    }
  }
  return out;
}
