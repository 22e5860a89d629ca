// Budgets per project, provider and device: spend against each, remaining-budget gauges the alert pack reads, burn rates, warnings.
import { Gauge, type Registry, type RegistryContentType } from 'prom-client';
import { z } from 'zod';
import { QobsConfigError } from '../errors.js';
import type { Observer } from '../telemetry/index.js';
import { type BudgetPeriod, budgetPeriod, CALENDAR_PERIODS, periodAt, periodLabel } from './periods.js';

/** A budget: an amount per period for the spend matching its scope (unset scope fields match everything). */
export interface BudgetSpec {
  /** The `budget` label value; unique. */
  readonly name: string;
  readonly amountUsd: number;
  /**
   * Calendar period, UTC: `month` (from the 1st), `week` (ISO, from Monday) or `day`. The default when neither
   * this nor `periodDays` is set is `month`.
   */
  readonly period?: 'month' | 'week' | 'day';
  /** Fixed-length periods of this many days instead of a calendar period (give one of the two, not both). */
  readonly periodDays?: number;
  readonly project?: string;
  /** e.g. `braket`. */
  readonly provider?: string;
  /** `<provider>.<device>`. */
  readonly device?: string;
  /** Fractions of the budget whose crossing logs a warning (default 0.5, 0.8, 1). */
  readonly warnAt?: readonly number[];
}

const budgetSchema = z
  .object({
    name: z.string().min(1),
    amount_usd: z.number().finite().positive(),
    period: z.enum(CALENDAR_PERIODS, { message: `must be one of ${CALENDAR_PERIODS.join(', ')}` }).optional(),
    period_days: z.number().finite().positive().optional(),
    project: z.string().min(1).optional(),
    provider: z.string().min(1).optional(),
    device: z.string().min(1).optional(),
    warn_at: z.array(z.number().finite().positive()).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.period !== undefined && b.period_days !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['period'],
        message: `give period (${b.period}) or period_days (${b.period_days}), not both`,
      });
  });

/** `budgets[2].period`, the way qobs.yaml's other keys are named. */
const issuePath = (path: readonly PropertyKey[]): string =>
  `budgets${path.map((x) => (typeof x === 'number' ? `[${x}]` : `.${String(x)}`)).join('')}`;

/**
 * Validates budgets as written in configuration (a YAML list, snake_case fields: name, amount_usd, period,
 * period_days, project, provider, device, warn_at). Every issue is reported with its path (`budgets[2].period`).
 */
export function parseBudgets(raw: unknown): BudgetSpec[] {
  const r = z.array(budgetSchema).safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`);
    throw new QobsConfigError(issuePath(r.error.issues[0].path), `invalid budgets (${issues.join('; ')})`);
  }
  return r.data.map((b) => ({
    name: b.name,
    amountUsd: b.amount_usd,
    period: b.period,
    periodDays: b.period_days,
    project: b.project,
    provider: b.provider,
    device: b.device,
    warnAt: b.warn_at,
  }));
}

/** What a budget book needs to know of one cost. */
export interface SpendEvent {
  readonly amountUsd: number;
  readonly provider: string;
  /** `<provider>.<device>`. */
  readonly device: string;
  readonly project?: string;
}

/** A budget's state now. */
export interface BudgetStatus {
  readonly name: string;
  readonly amountUsd: number;
  readonly spentUsd: number;
  readonly remainingUsd: number;
  readonly periodStart: string;
  readonly periodEnd: string;
  /** `month`, `week`, `day` or `N days`. */
  readonly period: string;
  /** Length of the current period in days (28 to 31 for a month). */
  readonly periodDays: number;
  /** Fraction of the budget spent per hour over the last hour. */
  readonly burnRatePerHour1h: number;
  /** The burn rate over the last hour relative to the rate that lasts exactly the current period (1 = on pace). */
  readonly burnRateMultiple1h: number;
  /** Hours until the budget is gone at the last hour's pace; null when nothing was spent in it. */
  readonly hoursToExhaustion: number | null;
}

/** Options of a budget book. */
export interface BudgetBookOptions {
  /** Registers `quantum_cost_budget_usd{budget}` and `quantum_cost_budget_remaining_usd{budget}` here. */
  readonly registry?: Registry<RegistryContentType>;
  /** Warnings go out as `quantum_cost_event` lines at level warn (cost_type `budget_warning`). */
  readonly observer?: Observer;
  /** Milliseconds since the epoch; injectable for simulated runs. */
  readonly clock?: () => number;
  /** Start of the first fixed-length (`periodDays`) period (default: now); calendar periods follow the calendar. */
  readonly periodStartMs?: number;
  /** Spend points kept per budget for burn rates (default 10,000; older ones are dropped and counted). */
  readonly maxHistory?: number;
}

interface BudgetState {
  readonly spec: BudgetSpec;
  readonly period: BudgetPeriod;
  /** Where fixed-length periods are counted from. */
  readonly anchorMs: number;
  periodStartMs: number;
  periodEndMs: number;
  spentUsd: number;
  warned: Set<number>;
  /** Cumulative spend after each event in this period: [timeMs, spentUsd]. */
  history: Array<[number, number]>;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const BUDGET_METRIC = 'quantum_cost_budget_usd';
export const BUDGET_REMAINING_METRIC = 'quantum_cost_budget_remaining_usd';
export const BUDGET_PERIOD_METRIC = 'quantum_cost_budget_period_seconds';

function gauge(registry: Registry<RegistryContentType>, name: string, help: string): Gauge<'budget'> {
  // Two books on one registry share the instrument rather than failing on a duplicate name.
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<'budget'>;
  return new Gauge({ name, help, labelNames: ['budget'], registers: [registry] });
}

/**
 * Tracks spend against budgets.
 * @example
 *   const book = new BudgetBook([{ name: 'research', amountUsd: 500, provider: 'braket' }], { registry });
 *   book.apply({ amountUsd: 1.75, provider: 'braket', device: 'braket.iqm/garnet' });
 */
export class BudgetBook {
  private readonly states = new Map<string, BudgetState>();
  private readonly clock: () => number;
  private readonly observer: Observer | undefined;
  private readonly maxHistory: number;
  private readonly budgetGauge: Gauge<'budget'> | undefined;
  private readonly remainingGauge: Gauge<'budget'> | undefined;
  private readonly periodGauge: Gauge<'budget'> | undefined;
  /** History points dropped because a budget's history was full. */
  droppedHistory = 0;

  constructor(specs: readonly BudgetSpec[], options: BudgetBookOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.observer = options.observer;
    this.maxHistory = Math.max(2, options.maxHistory ?? 10_000);
    const registry = options.registry ?? options.observer?.quantumMetrics?.registry;
    if (registry) {
      this.budgetGauge = gauge(registry, BUDGET_METRIC, 'Budget of the current period, in USD.');
      this.remainingGauge = gauge(
        registry,
        BUDGET_REMAINING_METRIC,
        'What is left of the budget of the current period, in USD.',
      );
      this.periodGauge = gauge(
        registry,
        BUDGET_PERIOD_METRIC,
        'Length of the budget’s current period, in seconds (a calendar month is 28 to 31 days).',
      );
    }
    const start = options.periodStartMs ?? this.clock();
    specs.forEach((s, i) => {
      if (!s.name) throw new QobsConfigError(`budgets[${i}].name`, 'must not be empty');
      if (this.states.has(s.name))
        throw new QobsConfigError(`budgets[${i}].name`, `duplicate budget '${s.name}'`);
      if (!(s.amountUsd > 0) || !Number.isFinite(s.amountUsd))
        throw new QobsConfigError(`budgets[${i}].amountUsd`, `must be a positive number, got ${s.amountUsd}`);
      if (s.periodDays !== undefined && !(s.periodDays > 0 && Number.isFinite(s.periodDays)))
        throw new QobsConfigError(`budgets[${i}].periodDays`, `must be positive, got ${s.periodDays}`);
      if (s.period !== undefined && !(CALENDAR_PERIODS as readonly string[]).includes(s.period))
        throw new QobsConfigError(`budgets[${i}].period`, `must be one of ${CALENDAR_PERIODS.join(', ')}`);
      if (s.period !== undefined && s.periodDays !== undefined)
        throw new QobsConfigError(`budgets[${i}].period`, 'give period or periodDays, not both');
      const period = budgetPeriod(s);
      const bounds = periodAt(period, start, start);
      this.states.set(s.name, {
        spec: s,
        period,
        anchorMs: start,
        periodStartMs: bounds.startMs,
        periodEndMs: bounds.endMs,
        spentUsd: 0,
        warned: new Set(),
        history: [[bounds.startMs, 0]],
      });
      this.publish(this.states.get(s.name)!);
    });
  }

  /** Names of the budgets. */
  names(): string[] {
    return [...this.states.keys()];
  }

  private matches(spec: BudgetSpec, e: SpendEvent): boolean {
    if (spec.project !== undefined && spec.project !== e.project) return false;
    if (spec.provider !== undefined && spec.provider !== e.provider) return false;
    if (spec.device !== undefined && spec.device.toLowerCase() !== e.device.toLowerCase()) return false;
    return true;
  }

  /** Starts a new period when the current one is over (spend resets). */
  private roll(st: BudgetState, now: number): void {
    if (now < st.periodEndMs) return;
    const next = periodAt(st.period, now, st.anchorMs);
    st.periodStartMs = next.startMs;
    st.periodEndMs = next.endMs;
    st.spentUsd = 0;
    st.warned.clear();
    st.history = [[st.periodStartMs, 0]];
    // The gauges follow at once, also for a budget the event that rolled it does not match.
    this.publish(st);
  }

  private publish(st: BudgetState): void {
    const labels = { budget: st.spec.name };
    this.budgetGauge?.set(labels, st.spec.amountUsd);
    this.remainingGauge?.set(labels, st.spec.amountUsd - st.spentUsd);
    this.periodGauge?.set(labels, (st.periodEndMs - st.periodStartMs) / 1000);
  }

  /** Charges a cost to every budget whose scope matches it. Never throws (it runs inside the workload). */
  apply(e: SpendEvent): void {
    try {
      if (!(e.amountUsd >= 0)) return;
      const now = this.clock();
      for (const st of this.states.values()) {
        this.roll(st, now);
        if (!this.matches(st.spec, e)) continue;
        st.spentUsd += e.amountUsd;
        if (st.history.length >= this.maxHistory) {
          st.history.splice(1, 1); // keep the period's opening point
          this.droppedHistory++;
        }
        st.history.push([now, st.spentUsd]);
        this.publish(st);
        this.warn(st);
      }
    } catch {
      this.observer?.drop('metrics', 'internal_error');
    }
  }

  private warn(st: BudgetState): void {
    const spentFraction = st.spentUsd / st.spec.amountUsd;
    for (const f of st.spec.warnAt ?? [0.5, 0.8, 1]) {
      if (spentFraction < f || st.warned.has(f)) continue;
      st.warned.add(f);
      this.observer?.logger?.event(
        'quantum_cost_event',
        'warn',
        `budget ${st.spec.name}: ${Math.round(spentFraction * 100)}% spent (${st.spentUsd.toFixed(2)} of ${st.spec.amountUsd} USD)`,
        {
          provider: st.spec.provider ?? 'all',
          device: st.spec.device,
          cost_type: 'budget_warning',
          amount: st.spentUsd,
          currency: 'USD',
          cost_details: {
            budget: st.spec.name,
            threshold: f,
            budget_usd: st.spec.amountUsd,
            remaining_usd: st.spec.amountUsd - st.spentUsd,
          },
        },
      );
    }
  }

  /** Spend of `name` in the last `windowMs`, from its history (within the current period). */
  spentWithin(name: string, windowMs: number): number {
    const st = this.state(name);
    const now = this.clock();
    this.roll(st, now);
    const from = now - windowMs;
    // The spend total just before the window opened: the last point at or before `from`.
    let before = 0;
    for (const [t, s] of st.history) {
      if (t <= from) before = s;
      else break;
    }
    return st.spentUsd - before;
  }

  /** Fraction of the budget spent per hour over the last `windowMs`. */
  burnRatePerHour(name: string, windowMs = HOUR_MS): number {
    const st = this.state(name);
    return this.spentWithin(name, windowMs) / st.spec.amountUsd / (windowMs / HOUR_MS);
  }

  private state(name: string): BudgetState {
    const st = this.states.get(name);
    if (!st) throw new QobsConfigError('budget', `no budget named '${name}'`);
    return st;
  }

  /** Every budget's state. */
  status(): BudgetStatus[] {
    return [...this.states.values()].map((st) => {
      this.roll(st, this.clock());
      const rate = this.burnRatePerHour(st.spec.name);
      // The pace that spends the budget over this period's real length (a month is 28 to 31 days).
      const periodMs = st.periodEndMs - st.periodStartMs;
      const sustainable = HOUR_MS / periodMs;
      const remaining = st.spec.amountUsd - st.spentUsd;
      return {
        name: st.spec.name,
        amountUsd: st.spec.amountUsd,
        spentUsd: st.spentUsd,
        remainingUsd: remaining,
        periodStart: new Date(st.periodStartMs).toISOString(),
        periodEnd: new Date(st.periodEndMs).toISOString(),
        period: periodLabel(st.period),
        periodDays: periodMs / DAY_MS,
        burnRatePerHour1h: rate,
        burnRateMultiple1h: rate / sustainable,
        hoursToExhaustion: rate > 0 ? Math.max(0, remaining / st.spec.amountUsd / rate) : null,
      };
    });
  }
}
