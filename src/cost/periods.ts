// Budget periods: calendar months, ISO weeks and UTC days, or a fixed number of days, and their bounds at a time.
import type { BudgetSpec } from './budgets.js';

const DAY_MS = 86_400_000;

/** How a budget's periods are cut: a calendar unit (UTC) or a fixed length in days. */
export type BudgetPeriod =
  | { readonly kind: 'month' | 'week' | 'day' }
  | { readonly kind: 'days'; readonly days: number };

/** The calendar units a budget's `period` may name. */
export const CALENDAR_PERIODS = ['month', 'week', 'day'] as const;

/**
 * The period of a budget: `periodDays` when set (fixed-length periods, as before calendar periods existed),
 * else `period`, else a calendar month.
 */
export function budgetPeriod(spec: Pick<BudgetSpec, 'period' | 'periodDays'>): BudgetPeriod {
  if (spec.periodDays !== undefined) return { kind: 'days', days: spec.periodDays };
  return { kind: spec.period ?? 'month' };
}

/** One period: [startMs, endMs), in milliseconds since the epoch. */
export interface PeriodBounds {
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * The period holding `tMs` (half-open: a cost at exactly a period's start belongs to it). Calendar periods are
 * UTC: a month from the 1st at 00:00, an ISO week from Monday 00:00, a day from 00:00. Fixed-length periods are
 * counted from `anchorMs` (default the epoch, so that every restart agrees on them).
 */
export function periodAt(p: BudgetPeriod, tMs: number, anchorMs = 0): PeriodBounds {
  switch (p.kind) {
    case 'month': {
      const d = new Date(tMs);
      const y = d.getUTCFullYear();
      const m = d.getUTCMonth();
      return { startMs: Date.UTC(y, m, 1), endMs: Date.UTC(y, m + 1, 1) };
    }
    case 'week': {
      const day = Math.floor(tMs / DAY_MS);
      // 1970-01-01 was a Thursday: three days after a Monday.
      const sinceMonday = (((day + 3) % 7) + 7) % 7;
      const startMs = (day - sinceMonday) * DAY_MS;
      return { startMs, endMs: startMs + 7 * DAY_MS };
    }
    case 'day': {
      const startMs = Math.floor(tMs / DAY_MS) * DAY_MS;
      return { startMs, endMs: startMs + DAY_MS };
    }
    case 'days': {
      const lengthMs = p.days * DAY_MS;
      const startMs = anchorMs + Math.floor((tMs - anchorMs) / lengthMs) * lengthMs;
      return { startMs, endMs: startMs + lengthMs };
    }
  }
}

/** How a period reads: `month`, `week`, `day`, or `30 days`. */
export function periodLabel(p: BudgetPeriod): string {
  if (p.kind !== 'days') return p.kind;
  return `${p.days} day${p.days === 1 ? '' : 's'}`;
}
