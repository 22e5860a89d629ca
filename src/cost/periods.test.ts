import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { budgetPeriod, periodAt, periodLabel } from './index.js';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const bounds = (kind: 'month' | 'week' | 'day', t: string) => {
  const b = periodAt({ kind }, Date.parse(t));
  return [iso(b.startMs), iso(b.endMs)];
};

describe('budget periods', () => {
  it('cuts calendar months, ISO weeks and UTC days at the right instants', () => {
    // End of February: 28 days in 2026, 29 in the leap year 2028.
    expect(bounds('month', '2026-02-28T23:59:59.999Z')).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
    expect(bounds('month', '2028-02-29T12:00:00Z')).toEqual([
      '2028-02-01T00:00:00.000Z',
      '2028-03-01T00:00:00.000Z',
    ]);
    // A cost at exactly a period's first instant belongs to the new period.
    expect(bounds('month', '2026-03-01T00:00:00.000Z')).toEqual([
      '2026-03-01T00:00:00.000Z',
      '2026-04-01T00:00:00.000Z',
    ]);
    // December into January.
    expect(bounds('month', '2026-12-31T23:59:59.999Z')).toEqual([
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
    expect(bounds('month', '2027-01-01T00:00:00.000Z')).toEqual([
      '2027-01-01T00:00:00.000Z',
      '2027-02-01T00:00:00.000Z',
    ]);
    // A week across a month (Tuesday 2026-03-31) and across a year (Thursday 2026-01-01: ISO week 1 of 2026).
    expect(bounds('week', '2026-03-31T10:00:00Z')).toEqual([
      '2026-03-30T00:00:00.000Z',
      '2026-04-06T00:00:00.000Z',
    ]);
    expect(bounds('week', '2026-04-05T23:59:59.999Z')).toEqual([
      '2026-03-30T00:00:00.000Z',
      '2026-04-06T00:00:00.000Z',
    ]);
    expect(bounds('week', '2026-04-06T00:00:00.000Z')).toEqual([
      '2026-04-06T00:00:00.000Z',
      '2026-04-13T00:00:00.000Z',
    ]);
    expect(bounds('week', '2026-01-01T00:00:00Z')).toEqual([
      '2025-12-29T00:00:00.000Z',
      '2026-01-05T00:00:00.000Z',
    ]);
    expect(bounds('day', '2028-02-29T23:59:59.999Z')).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2028-03-01T00:00:00.000Z',
    ]);
    // Fixed-length periods count from the epoch, or from an anchor.
    const thirty = periodAt({ kind: 'days', days: 30 }, Date.parse('2026-03-02T06:00:00Z'));
    expect(thirty.startMs % (30 * DAY)).toBe(0);
    expect(periodAt({ kind: 'days', days: 2 }, 5 * DAY + 7, DAY + 3)).toEqual({
      startMs: 5 * DAY + 3,
      endMs: 7 * DAY + 3,
    });
  });

  it('holds every instant in exactly one period, contiguous with the next (property)', () => {
    const t = fc.integer({ min: 0, max: Date.parse('2200-01-01T00:00:00Z') });
    fc.assert(
      fc.property(t, fc.constantFrom('month' as const, 'week' as const, 'day' as const), (tMs, kind) => {
        const p = periodAt({ kind }, tMs);
        expect(p.startMs).toBeLessThanOrEqual(tMs);
        expect(p.endMs).toBeGreaterThan(tMs);
        // The next period starts where this one ends, and the instant before the end is still in this one.
        expect(periodAt({ kind }, p.endMs).startMs).toBe(p.endMs);
        expect(periodAt({ kind }, p.endMs - 1)).toEqual(p);
        const start = new Date(p.startMs);
        expect(
          start.getUTCHours() + start.getUTCMinutes() + start.getUTCSeconds() + start.getUTCMilliseconds(),
        ).toBe(0);
        const days = (p.endMs - p.startMs) / DAY;
        if (kind === 'month') {
          expect(start.getUTCDate()).toBe(1);
          expect([28, 29, 30, 31]).toContain(days);
          expect(new Date(p.endMs - 1).getUTCMonth()).toBe(start.getUTCMonth());
        } else if (kind === 'week') {
          expect(start.getUTCDay()).toBe(1); // Monday
          expect(days).toBe(7);
        } else expect(days).toBe(1);
      }),
    );
  });

  it('defaults to a calendar month, and keeps period_days as fixed-length periods', () => {
    expect(budgetPeriod({})).toEqual({ kind: 'month' });
    expect(budgetPeriod({ period: 'week' })).toEqual({ kind: 'week' });
    expect(budgetPeriod({ periodDays: 30 })).toEqual({ kind: 'days', days: 30 });
    expect(periodLabel({ kind: 'days', days: 1 })).toBe('1 day');
    expect(periodLabel({ kind: 'days', days: 30 })).toBe('30 days');
    expect(periodLabel({ kind: 'month' })).toBe('month');
  });
});
