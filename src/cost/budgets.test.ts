import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { defaultRulePackPath, loadRuleFile, RuleEvaluator } from '../alerts/index.js';
import { Circuit } from '../circuit/index.js';
import { createLocalDevice, type JobRecord } from '../devices/index.js';
import { createEngine, MemorySeriesSource } from '../promql/index.js';
import { logLineSchema, Observer } from '../telemetry/index.js';
import {
  BUDGET_METRIC,
  BUDGET_PERIOD_METRIC,
  BUDGET_REMAINING_METRIC,
  BudgetBook,
  type Catalogue,
  CostTracker,
  defaultCatalogue,
  parseBudgets,
} from './index.js';

const MINUTE = 60_000;

class Lines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const l of chunk.toString().split('\n')) if (l.trim()) this.lines.push(JSON.parse(l));
    done();
  }
}

/** The shipped catalogue plus the fake device priced like IQM Garnet, so that a local run spends money. */
function pricedFake(): Catalogue {
  const c = defaultCatalogue();
  const garnet = c.prices.find((p) => p.device === 'braket.iqm/garnet')!;
  return { ...c, version: 'test-burn-1', prices: [{ ...garnet, device: 'local.fake_lima' }, ...c.prices] };
}

function bell(): Circuit {
  return new Circuit(2, 2, 'bell').h(0).cx(0, 1).measure(0, 0).measure(1, 1);
}

describe('budgets', () => {
  it('charges only matching scopes, publishes both gauges with one label set, warns once per threshold', async () => {
    const sink = new Lines();
    const observer = new Observer({ serviceName: 't', logs: { destination: sink }, traces: false });
    let now = 0;
    const book = new BudgetBook(
      [
        { name: 'braket', amountUsd: 10, provider: 'braket' },
        { name: 'garnet', amountUsd: 100, device: 'braket.iqm/garnet' },
        { name: 'team-a', amountUsd: 50, project: 'a' },
      ],
      { observer, clock: () => now },
    );
    const tracker = new CostTracker({ budgets: book, project: 'a', observer });
    const job = (shots: number, device = 'iqm/garnet'): JobRecord => ({
      id: `j${shots}`,
      provider: 'braket',
      device,
      status: 'completed',
      shots,
      createdAt: new Date(0),
    });
    now = 10 * MINUTE;
    tracker.record(job(1000)); // 1.75
    now = 20 * MINUTE;
    tracker.record(job(100, 'ionq/forte-1')); // 8.30
    const s = Object.fromEntries(book.status().map((x) => [x.name, x]));
    expect(s.braket.spentUsd).toBeCloseTo(10.05, 9);
    expect(s.braket.remainingUsd).toBeCloseTo(-0.05, 9);
    expect(s.garnet.spentUsd).toBeCloseTo(1.75, 9);
    expect(s['team-a'].spentUsd).toBeCloseTo(10.05, 9);
    // 10.05 of 10 in the last hour of a calendar month (the default; January 1970 has 31 days): 1.005 per hour,
    // 747.72 times the pace that lasts the month.
    expect(s.braket.period).toBe('month');
    expect(s.braket.periodDays).toBe(31);
    expect(s.braket.burnRatePerHour1h).toBeCloseTo(1.005, 9);
    expect(s.braket.burnRateMultiple1h).toBeCloseTo(1.005 * 31 * 24, 6);
    const text = await observer.quantumMetrics!.registry.getMetricsAsJSON();
    const remaining = text.find((m) => m.name === BUDGET_REMAINING_METRIC)!;
    const budget = text.find((m) => m.name === BUDGET_METRIC)!;
    expect(remaining.values.map((v) => v.labels).sort()).toEqual(budget.values.map((v) => v.labels).sort());
    // The period's length, for the burn-rate alerts: January 1970 has 31 days.
    const period = text.find((m) => m.name === BUDGET_PERIOD_METRIC)!;
    expect(period.values.find((v) => v.labels.budget === 'braket')?.value).toBe(31 * 86_400);
    const warnings = sink.lines.filter((l) => l.cost_type === 'budget_warning');
    // braket crossed 0.5, 0.8 and 1 with the second job (one line each); team-a and garnet stayed below half.
    expect(warnings.map((w) => (w.cost_details as { threshold: number }).threshold)).toEqual([0.5, 0.8, 1]);
    expect(warnings.every((w) => w.level === 'warn')).toBe(true);
    for (const l of sink.lines) expect(logLineSchema.safeParse(l).success).toBe(true);
    // After the period ends (1970-02-01 00:00 UTC, exactly), spend starts again from zero.
    now = 31 * 24 * 60 * MINUTE - 1;
    expect(book.status().find((x) => x.name === 'braket')!.spentUsd).toBeCloseTo(10.05, 9);
    now = 31 * 24 * 60 * MINUTE;
    expect(book.status().find((x) => x.name === 'braket')!.spentUsd).toBe(0);
  });

  it('reads budgets from configuration, reporting every bad field with its path', () => {
    expect(parseBudgets([{ name: 'ops', amount_usd: 200, provider: 'ibm', warn_at: [0.9] }])).toEqual([
      {
        name: 'ops',
        amountUsd: 200,
        provider: 'ibm',
        warnAt: [0.9],
        period: undefined,
        periodDays: undefined,
        project: undefined,
        device: undefined,
      },
    ]);
    try {
      parseBudgets([
        { name: 'a', amount_usd: -1 },
        { amount_usd: 5, colour: 'red' },
      ]);
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('budgets[0].amount_usd');
      expect(msg).toContain('budgets[1].name');
      expect(msg).toContain('colour');
    }
  });

  it('rejects invalid budgets naming the field', () => {
    expect(() => new BudgetBook([{ name: 'x', amountUsd: 0 }])).toThrow(/budgets\[0\]\.amountUsd/);
    expect(
      () =>
        new BudgetBook([
          { name: 'x', amountUsd: 1 },
          { name: 'x', amountUsd: 2 },
        ]),
    ).toThrow(/duplicate/);
  });

  it('a budget burn in a simulated run fires QuantumCostBudgetBurnFast of the default pack, and it stops after', async () => {
    let simNow = 0;
    const sink = new Lines();
    const registry = new Registry();
    const budgets = new BudgetBook([{ name: 'research', amountUsd: 1000 }], {
      registry,
      clock: () => simNow,
    });
    const tracker = new CostTracker({ catalogues: [pricedFake()], budgets });
    const run = new Observer({
      serviceName: 'burn',
      logs: { destination: sink },
      traces: false,
      metrics: { registry },
      costOf: tracker.costOf,
    });
    const device = createLocalDevice('local.fake_lima');

    const pack = loadRuleFile(defaultRulePackPath());
    const groups = pack.groups
      .map((g) => ({
        ...g,
        rules: g.rules.filter((r) => r.kind === 'alerting' && r.alert === 'QuantumCostBudgetBurnFast'),
      }))
      .filter((g) => g.rules.length > 0);
    expect(groups).toHaveLength(1);
    const source = new MemorySeriesSource();
    const evaluator = new RuleEvaluator({
      engine: createEngine(source, { mode: 'prometheus2' }),
      groups,
      defaultIntervalMs: MINUTE,
      append: (samples) => {
        for (const s of samples) source.append(s.labels, s.timestampMs, s.value);
      },
    });
    const firingAt: number[] = [];
    for (let m = 0; m <= 120; m++) {
      simNow = m * MINUTE;
      // Minutes 60..100: a training loop sends one 1,000-shot task a minute (1.75 USD each at Garnet's prices).
      if (m >= 60 && m <= 100) {
        const r = await run.run(device, bell(), { shots: 1000, seed: m });
        expect(r.cost?.amount).toBeCloseTo(1.75, 9);
        expect(r.cost?.catalogueVersion).toBe('test-burn-1');
      }
      // Scrape the two gauges as Prometheus would, once a minute.
      for (const name of [BUDGET_METRIC, BUDGET_REMAINING_METRIC, BUDGET_PERIOD_METRIC]) {
        const metric = await registry.getSingleMetric(name)!.get();
        for (const v of metric.values)
          source.append({ __name__: name, ...v.labels } as Record<string, string>, simNow, v.value);
      }
      for (const g of groups) evaluator.evalGroup(g, simNow);
      if (evaluator.alerts().some((a) => a.state === 'firing' && a.labels.budget === 'research'))
        firingAt.push(m);
    }
    // 14.4 times the pace that lasts the month (January: 31 days), 1.94% of 1000 USD in an hour, is 19.35 USD:
    // crossed after 12 minutes of spending (12 × 1.75 = 21; 11 × 1.75 = 19.25).
    expect(firingAt[0]).toBeGreaterThanOrEqual(71);
    expect(firingAt[0]).toBeLessThanOrEqual(73);
    expect(firingAt).toContain(100);
    // The 5-minute window empties after the spending stops: the alert resolves by itself.
    expect(Math.max(...firingAt)).toBeLessThanOrEqual(106);
    expect(firingAt.every((m) => m >= 60)).toBe(true);
    const costTotal = (await registry.getMetricsAsJSON()).find((m) => m.name === 'quantum_cost_total')!;
    expect(
      costTotal.values.find((v) => v.labels.provider === 'local' && v.labels.cost_type === 'qpu_task')!.value,
    ).toBeCloseTo(41 * 1.75, 6);
    const events = sink.lines.filter(
      (l) => l.event_type === 'quantum_cost_event' && l.cost_type === 'qpu_task',
    );
    expect(events).toHaveLength(41);
    for (const l of events) expect(logLineSchema.safeParse(l).success).toBe(true);
    expect((events[0].cost_details as Record<string, unknown>).catalogue_version).toBe('test-burn-1');
    expect(budgets.status()[0].spentUsd).toBeCloseTo(71.75, 9);
  }, 60_000);
});

describe('calendar budget periods', () => {
  it('reads period and period_days, and names the key of a bad one', () => {
    const [a, b, c] = parseBudgets([
      { name: 'a', amount_usd: 500 },
      { name: 'b', amount_usd: 100, period: 'week' },
      { name: 'c', amount_usd: 10, period_days: 7 },
    ]);
    expect([a.period, a.periodDays]).toEqual([undefined, undefined]);
    expect([b.period, b.periodDays]).toEqual(['week', undefined]);
    expect([c.period, c.periodDays]).toEqual([undefined, 7]);
    const fieldOf = (raw: unknown) => {
      try {
        parseBudgets(raw);
      } catch (e) {
        return (e as { field: string }).field;
      }
      return undefined;
    };
    const ok = { name: 'ok', amount_usd: 1 };
    expect(fieldOf([ok, ok, { name: 'x', amount_usd: 1, period: 'fortnight' }])).toBe('budgets[2].period');
    expect(fieldOf([ok, ok, { name: 'x', amount_usd: 1, period: 'month', period_days: 30 }])).toBe(
      'budgets[2].period',
    );
    expect(fieldOf([{ name: 'x', amount_usd: 1, period_days: 0 }])).toBe('budgets[0].period_days');
    expect(() => new BudgetBook([{ name: 'x', amountUsd: 1, period: 'month', periodDays: 3 }])).toThrow(
      /budgets\[0\]\.period/,
    );
  });

  it('resets on the calendar: a spend at 00:00:00.000 on the 1st is the new month, and the pace follows its length', () => {
    let now = Date.parse('2026-02-28T23:00:00Z');
    const book = new BudgetBook(
      [
        { name: 'month', amountUsd: 672 },
        { name: 'week', amountUsd: 70, period: 'week' },
        { name: 'thirty', amountUsd: 300, periodDays: 30 },
      ],
      { clock: () => now },
    );
    const spend = (t: string, amountUsd: number) => {
      now = Date.parse(t);
      book.apply({ amountUsd, provider: 'ibm', device: 'ibm.ibm_torino' });
    };
    const status = (name: string) => book.status().find((s) => s.name === name)!;
    spend('2026-02-28T23:30:00Z', 1);
    spend('2026-02-28T23:59:59.999Z', 2);
    expect(status('month')).toMatchObject({
      spentUsd: 3,
      periodStart: '2026-02-01T00:00:00.000Z',
      periodEnd: '2026-03-01T00:00:00.000Z',
      periodDays: 28,
    });
    // 3 USD in the last hour of February: 3/672 per hour against a pace of 1/672 per hour (28 days).
    expect(status('month').burnRateMultiple1h).toBeCloseTo(3, 9);
    // The ISO week that holds Saturday 2026-02-28 runs from Monday 2026-02-23 into March.
    expect(status('week')).toMatchObject({
      spentUsd: 3,
      periodStart: '2026-02-23T00:00:00.000Z',
      periodDays: 7,
    });
    // Fixed-length periods count from when the book started, as before.
    expect(status('thirty').periodStart).toBe('2026-02-28T23:00:00.000Z');
    spend('2026-03-01T00:00:00.000Z', 4);
    expect(status('month')).toMatchObject({
      spentUsd: 4,
      periodStart: '2026-03-01T00:00:00.000Z',
      periodDays: 31,
    });
    expect(status('week').spentUsd).toBe(7);
    expect(status('thirty').spentUsd).toBe(7);
    // The same 3 USD in the last hour of a 31-day March is a smaller multiple of its pace: 3 × 744 / 672.
    spend('2026-03-31T23:30:00Z', 1);
    spend('2026-03-31T23:59:59.999Z', 2);
    expect(status('month').burnRateMultiple1h).toBeCloseTo((3 * 744) / 672, 9);
    expect(status('month').periodEnd).toBe('2026-04-01T00:00:00.000Z');
    // Across a year's end: December's spend is gone on 1 January.
    spend('2026-12-31T23:59:59.999Z', 5);
    expect(status('month')).toMatchObject({ spentUsd: 5, periodStart: '2026-12-01T00:00:00.000Z' });
    now = Date.parse('2027-01-01T00:00:00Z');
    expect(status('month')).toMatchObject({ spentUsd: 0, periodStart: '2027-01-01T00:00:00.000Z' });
  });
});
