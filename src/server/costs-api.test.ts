import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BudgetSpec, defaultCatalogue } from '../cost/index.js';
import type { LogIn, SampleIn } from '../store/index.js';
import {
  type BudgetView,
  type CatalogueDoc,
  type CostsDoc,
  costCounterIncrease,
  costsApiPlugin,
  parseRange,
} from './costs-api.js';
import { startWorkbench, type Workbench } from './workbench.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// A range across a UTC midnight, so by-day has two days; "now" is its end.
const END = Date.parse('2026-03-02T06:00:00Z');
const START = Date.parse('2026-03-01T18:00:00Z');
const SCRAPE = 15_000;

interface Cost {
  t: number;
  provider: string;
  device: string;
  costType: string;
  amount: number;
  project?: string;
  instance: string;
}

/** Deterministic costs from 2026-02-28 to the end of the range, never in the 15 s before a range edge. */
function makeCosts(): Cost[] {
  const out: Cost[] = [];
  const kinds = [
    { provider: 'braket', device: 'iqm/garnet', costType: 'qpu_task', amount: 0.3 + 100 * 0.00145 },
    { provider: 'braket', device: 'ionq/forte-1', costType: 'qpu_task', amount: 0.3 + 10 * 0.08 },
    { provider: 'ibm', device: 'ibm_torino', costType: 'qpu_time', amount: 1.6 * 2.5 },
  ];
  let i = 0;
  for (let t = Date.parse('2026-02-28T00:00:07Z'); t < END - SCRAPE; t += 7 * 60_000 + 13_000, i++) {
    const k = kinds[i % kinds.length];
    // The second process (instance b) starts inside the range: its counter counts from zero.
    const instance = k.provider === 'ibm' && t > START + HOUR ? 'b' : 'a';
    out.push({ t, ...k, project: i % 4 === 0 ? 'vqc' : undefined, instance });
  }
  return out.filter((c) => Math.abs(c.t - START) > SCRAPE && Math.abs(c.t - END) > SCRAPE);
}

const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const resource = { 'service.name': 'costs-test' };
const scope = { name: 'qobs', version: '0.1.0' };

function costLog(c: Cost, extra: Record<string, unknown> = {}): LogIn {
  return {
    timeUnixNano: ns(c.t),
    observedTimeUnixNano: ns(c.t),
    severityNumber: 9,
    severityText: 'INFO',
    body: `${c.amount} USD`,
    attributes: {
      event_type: 'quantum_cost_event',
      provider: c.provider,
      device: c.device,
      cost_type: c.costType,
      amount: c.amount,
      currency: 'USD',
      cost_details: { catalogue_version: '2026-11-29.1', ...(c.project ? { project: c.project } : {}) },
      ...extra,
    } as LogIn['attributes'],
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
    resource,
    scope,
  };
}

/** The `quantum_circuit_execution` line the Observer writes for one run. */
function execLog(t: number, provider: string, device: string, shots: number, ok: boolean): LogIn {
  return {
    timeUnixNano: ns(t),
    observedTimeUnixNano: ns(t),
    severityNumber: ok ? 9 : 17,
    severityText: ok ? 'INFO' : 'ERROR',
    body: `circuit ghz_5 on ${provider}.${device}`,
    attributes: {
      event_type: 'quantum_circuit_execution',
      circuit_id: 'c1',
      provider,
      device,
      execution_details: { circuit_name: 'ghz_5', shots, status: ok ? 'success' : 'error' },
      quantum_metrics: {},
    } as LogIn['attributes'],
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
    resource,
    scope,
  };
}

/** The counter samples a scraper would have stored: each process's running total per provider and type. */
function counterSamples(costs: Cost[]): SampleIn[] {
  const samples: SampleIn[] = [];
  const totals = new Map<string, { labels: Record<string, string>; v: number }>();
  let next = 0;
  const sorted = [...costs].sort((a, b) => a.t - b.t);
  for (let t = Date.parse('2026-02-28T00:00:00Z'); t <= END + SCRAPE; t += SCRAPE) {
    while (next < sorted.length && sorted[next].t <= t) {
      const c = sorted[next++];
      const key = `${c.provider}/${c.costType}/${c.instance}`;
      const labels = {
        __name__: 'quantum_cost_total',
        provider: c.provider,
        cost_type: c.costType,
        job: 'train',
        instance: c.instance,
      };
      const s = totals.get(key) ?? { labels, v: 0 };
      s.v += c.amount;
      totals.set(key, s);
    }
    for (const s of totals.values()) samples.push({ labels: s.labels, t, v: s.v });
  }
  // A free local device's counter: sampled, never rising.
  for (let t = START - HOUR; t <= END; t += SCRAPE)
    samples.push({
      labels: {
        __name__: 'quantum_cost_total',
        provider: 'local',
        cost_type: 'local',
        job: 'demo',
        instance: 'a',
      },
      t,
      v: 0,
    });
  return samples;
}

const BUDGETS: BudgetSpec[] = [
  { name: 'braket-daily', amountUsd: 40, periodDays: 1, provider: 'braket' },
  { name: 'garnet', amountUsd: 25, device: 'braket.iqm/garnet' },
  { name: 'vqc', amountUsd: 1000, project: 'vqc' },
  { name: 'tiny', amountUsd: 1, periodDays: 1, provider: 'ibm' },
];

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const inRange = (t: number, a: number, b: number) => t > a && t <= b;

describe('costs API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qobs-costs-api-'));
  const costs = makeCosts();
  // Local runs for the what-if estimate: shots vary, every fifth fails (a failed QPU task is not charged).
  const local = Array.from({ length: 40 }, (_, i) => ({
    t: START + 30 * 60_000 + i * 11 * 60_000,
    device: i % 2 ? 'statevector' : 'fake_toronto',
    shots: 100 * (1 + (i % 3)),
    ok: i % 5 !== 4,
  }));
  let wb: Workbench;
  beforeAll(async () => {
    wb = await startWorkbench(
      { dataDir: dir, port: 0, otlpPort: 0, selfScrapeIntervalMs: 0, scrapeTargets: [] },
      {
        plugins: [
          costsApiPlugin({
            catalogue: defaultCatalogue(),
            budgets: BUDGETS,
            clock: () => END,
            estimateAs: 'braket.iqm/garnet',
          }),
        ],
        log: () => {},
      },
    );
    const logs = costs.map((c) => costLog(c));
    for (const c of costs) logs.push(execLog(c.t - 100, c.provider, c.device, 100, true));
    for (const r of local) logs.push(execLog(r.t, 'local', r.device, r.shots, r.ok));
    // A budget warning repeats a running total: it must not be added again.
    logs.push(
      costLog(
        {
          t: END - HOUR,
          provider: 'braket',
          device: 'braket.iqm/garnet',
          costType: 'budget_warning',
          amount: 999,
          instance: 'a',
        },
        { cost_details: { budget: 'garnet', threshold: 0.5 } },
      ),
    );
    wb.store.ingest({ samples: counterSamples(costs), logs });
  });
  afterAll(async () => {
    await wb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function get(
    qs: string,
  ): Promise<{ status: number; body: CostsDoc & { error?: string; field?: string } }> {
    const res = await fetch(`${wb.url}/api/costs${qs}`);
    return { status: res.status, body: (await res.json()) as CostsDoc & { error?: string; field?: string } };
  }

  it('totals by provider, device and day agree with each other and with the costs recorded in the range', async () => {
    const { status, body } = await get(`?start=${START}&end=${END}`);
    expect(status).toBe(200);
    const inside = costs.filter((c) => inRange(c.t, START, END));
    expect(inside.length).toBeGreaterThan(50);
    const expected = sum(inside.map((c) => c.amount));
    expect(body.total).toBeCloseTo(expected, 9);
    expect(body.events.total).toBeCloseTo(expected, 9);
    expect(body.events.count).toBe(inside.length);
    expect(body.events.catalogueVersions).toEqual(['2026-11-29.1']);
    expect(body.currency).toBe('USD');
    expect(body.catalogueVersion).toBe(defaultCatalogue().version);
    // By provider and cost type, from the metric; the free local counter is listed at zero.
    for (const provider of ['braket', 'ibm']) {
      const got = sum(body.byProvider.filter((r) => r.provider === provider).map((r) => r.amount));
      expect(got).toBeCloseTo(sum(inside.filter((c) => c.provider === provider).map((c) => c.amount)), 9);
    }
    expect(body.byProvider.find((r) => r.provider === 'local')).toEqual({
      provider: 'local',
      costType: 'local',
      amount: 0,
    });
    // By device, from the events (the metric has no device label), with executions from the execution log lines.
    for (const d of ['braket.iqm/garnet', 'braket.ionq/forte-1', 'ibm.ibm_torino']) {
      const mine = inside.filter((c) => `${c.provider}.${c.device}` === d);
      const row = body.byDevice.find((r) => r.device === d)!;
      expect(row.amount).toBeCloseTo(sum(mine.map((c) => c.amount)), 9);
      expect(row.costEvents).toBe(mine.length);
      expect(row.executions).toBe(
        costs.filter((c) => `${c.provider}.${c.device}` === d && inRange(c.t - 100, START, END)).length,
      );
    }
    expect(body.byDevice.find((r) => r.device === 'local.statevector')).toMatchObject({
      amount: 0,
      executions: 20,
    });
    expect(sum(body.byDevice.map((r) => r.amount))).toBeCloseTo(body.total, 9);
    // By UTC day: the range crosses midnight.
    expect(body.byDay.map((d) => d.day)).toEqual(['2026-03-01', '2026-03-02']);
    const midnight = Date.parse('2026-03-02T00:00:00Z');
    expect(body.byDay[0].amount).toBeCloseTo(
      sum(inside.filter((c) => c.t <= midnight).map((c) => c.amount)),
      9,
    );
    expect(body.byDay[1].amount).toBeCloseTo(
      sum(inside.filter((c) => c.t > midnight).map((c) => c.amount)),
      9,
    );
  });

  it('reports every budget over its current period with a burn-down and a projection', async () => {
    const { body } = await get(`?start=${START}&end=${END}`);
    const budgets = body.budgets as BudgetView[];
    expect(budgets.map((b) => b.name)).toEqual(BUDGETS.map((b) => b.name));
    for (const spec of BUDGETS) {
      const b = budgets.find((x) => x.name === spec.name)!;
      // 1-day budgets count days from the epoch; the others default to the calendar month (March 2026).
      const from = spec.periodDays === 1 ? Math.floor(END / DAY) * DAY : Date.parse('2026-03-01T00:00:00Z');
      const to = spec.periodDays === 1 ? from + DAY : Date.parse('2026-04-01T00:00:00Z');
      const spent = sum(
        costs
          .filter((c) => c.t >= from && c.t <= END)
          .filter((c) => !spec.provider || c.provider === spec.provider)
          .filter((c) => !spec.device || `${c.provider}.${c.device}` === spec.device)
          .filter((c) => !spec.project || c.project === spec.project)
          .map((c) => c.amount),
      );
      expect(b.limit).toBe(spec.amountUsd);
      expect(b.spent, spec.name).toBeCloseTo(spent, 9);
      expect(b.remaining).toBeCloseTo(spec.amountUsd - spent, 9);
      expect(Date.parse(b.periodStart)).toBe(from);
      expect(Date.parse(b.periodEnd)).toBe(to);
      expect(b.period).toBe(spec.periodDays === 1 ? '1 day' : 'month');
      expect(b.periodDays).toBe(spec.periodDays === 1 ? 1 : 31);
      expect(b.sustainablePerDay).toBeCloseTo(spec.amountUsd / b.periodDays, 9);
      expect(b.burnRateMultiple).toBeCloseTo(b.burnRatePerDay! / (spec.amountUsd / b.periodDays), 6);
      // The burn-down rises from zero at the period's start to the spend now, never falling.
      expect(b.burnDown[0]).toEqual({ t: from, spent: 0 });
      expect(b.burnDown[b.burnDown.length - 1].t).toBe(END);
      expect(b.burnDown[b.burnDown.length - 1].spent).toBeCloseTo(spent, 9);
      for (let i = 1; i < b.burnDown.length; i++) {
        expect(b.burnDown[i].t).toBeGreaterThan(b.burnDown[i - 1].t);
        expect(b.burnDown[i].spent).toBeGreaterThanOrEqual(b.burnDown[i - 1].spent);
      }
      expect(b.burnRatePerDay).toBeGreaterThan(0);
      if (b.remaining > 0) {
        const projected = Date.parse(b.projectedExhaustion!);
        expect(projected).toBeCloseTo(END + (b.remaining / b.burnRatePerDay!) * DAY, -1);
        expect(b.exhausted).toBe(false);
      }
    }
    // 'tiny' (1 USD a day on IBM) ran out in the first IBM cost after midnight.
    const tiny = budgets.find((b) => b.name === 'tiny')!;
    expect(tiny.exhausted).toBe(true);
    const firstIbm = costs.find((c) => c.provider === 'ibm' && c.t > Date.parse('2026-03-02T00:00:00Z'))!;
    expect(Math.abs(Date.parse(tiny.projectedExhaustion!) - firstIbm.t)).toBeLessThanOrEqual(3 * 60_000);
    // braket-daily: the burn rate is the spend since spending began today (the first Braket cost after midnight).
    const daily = budgets.find((b) => b.name === 'braket-daily')!;
    const firstBraket = costs.find(
      (c) => c.provider === 'braket' && c.t > Date.parse('2026-03-02T00:00:00Z'),
    )!;
    expect(daily.burnRatePerDay).toBeCloseTo((daily.spent / (END - firstBraket.t)) * DAY, 6);
    // garnet (this month): spending began more than 24 hours ago, so the rate is the last day's spend.
    const garnet = budgets.find((b) => b.name === 'garnet')!;
    const lastDay = sum(
      costs.filter((c) => c.device === 'iqm/garnet' && inRange(c.t, END - DAY, END)).map((c) => c.amount),
    );
    expect(Math.abs(garnet.burnRatePerDay! - lastDay)).toBeLessThanOrEqual(2 * (0.3 + 100 * 0.00145) + 1e-9);
  });

  it('prices local runs as the estimate device, apart from the real spend', async () => {
    const { body } = await get(`?start=${START}&end=${END}`);
    const perRun = (r: (typeof local)[number]) => (r.ok ? 0.3 + r.shots * 0.00145 : 0);
    expect(body.estimate!.device).toBe('braket.iqm/garnet');
    expect(body.estimate!.note).toMatch(/nothing here was billed/);
    expect(body.estimate!.executions).toBe(local.length);
    expect(body.estimate!.total).toBeCloseTo(sum(local.map(perRun)), 9);
    for (const device of ['statevector', 'fake_toronto'])
      expect(body.estimate!.byDevice.find((r) => r.device === `local.${device}`)!.amount).toBeCloseTo(
        sum(local.filter((r) => r.device === device).map(perRun)),
        9,
      );
    expect(sum(body.estimate!.byDay.map((d) => d.amount))).toBeCloseTo(body.estimate!.total, 9);
    // The real total is untouched; a budget whose scope takes garnet gets a what-if next to its real spend.
    const garnet = (body.budgets as BudgetView[]).find((b) => b.name === 'garnet')!;
    const today = local.filter((r) => r.t >= Date.parse('2026-03-01T00:00:00Z'));
    expect(garnet.whatIf!.spent).toBeCloseTo(garnet.spent + sum(today.map(perRun)), 9);
    expect((body.budgets as BudgetView[]).find((b) => b.name === 'tiny')!.whatIf).toBeUndefined();
    const other = await get(`?start=${START}&end=${END}&estimateAs=braket.rigetti/ankaa-3`);
    expect(other.body.estimate!.total).toBeCloseTo(
      sum(local.map((r) => (r.ok ? 0.3 + r.shots * 0.0009 : 0))),
      9,
    );
    expect((await get(`?start=${START}&end=${END}&estimateAs=none`)).body.estimate).toBeUndefined();
  });

  it('sums a range of whole days the same way, and a late line in one of them on the next request', async () => {
    const from = Date.parse('2026-02-27T12:00:00Z');
    const expectRange = async (extra: number, extraRuns: number) => {
      const { body } = await get(`?start=${from}&end=${END}`);
      const inside = costs.filter((c) => inRange(c.t, from, END));
      expect(body.events.total).toBeCloseTo(sum(inside.map((c) => c.amount)) + extra, 9);
      expect(body.events.count).toBe(inside.length + (extra ? 1 : 0));
      expect(body.total).toBeCloseTo(sum(inside.map((c) => c.amount)), 9);
      const garnet = body.byDevice.find((r) => r.device === 'braket.iqm/garnet')!;
      const mine = inside.filter((c) => c.device === 'iqm/garnet');
      expect(garnet.amount).toBeCloseTo(sum(mine.map((c) => c.amount)) + extra, 9);
      expect(garnet.executions).toBe(mine.length + extraRuns);
      expect(body.byDevice.find((r) => r.device === 'local.statevector')!.executions).toBe(20);
      expect(body.byDay.map((d) => d.day)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    };
    await expectRange(0, 0);
    await expectRange(0, 0); // from the day sums this time
    const late = Date.parse('2026-03-01T10:00:00Z');
    wb.store.ingest({
      logs: [
        costLog({
          t: late,
          provider: 'braket',
          device: 'iqm/garnet',
          costType: 'qpu_task',
          amount: 3.25,
          instance: 'c',
        }),
        execLog(late, 'braket', 'iqm/garnet', 100, true),
      ],
    });
    await expectRange(3.25, 1);
  });

  it('adds cost events stored after a first answer to the budgets, late timestamps included', async () => {
    const before = (await get(`?start=${START}&end=${END}`)).body.budgets as BudgetView[];
    const spentOf = (bs: BudgetView[], name: string) => bs.find((b) => b.name === name)!.spent;
    // One arriving now about an hour ago, one about a run this morning that arrives late.
    for (const t of [END - HOUR + 1234, Date.parse('2026-03-02T01:00:00Z')])
      wb.store.ingest({
        logs: [
          costLog({
            t,
            provider: 'braket',
            device: 'iqm/garnet',
            costType: 'qpu_task',
            amount: 2.5,
            instance: 'c',
          }),
          execLog(t, 'local', 'statevector', 1000, true),
        ],
      });
    const after = (await get(`?start=${START}&end=${END}`)).body.budgets as BudgetView[];
    expect(spentOf(after, 'braket-daily')).toBeCloseTo(spentOf(before, 'braket-daily') + 5, 9);
    expect(spentOf(after, 'garnet')).toBeCloseTo(spentOf(before, 'garnet') + 5, 9);
    expect(spentOf(after, 'tiny')).toBe(spentOf(before, 'tiny'));
    const garnetWhatIf = (bs: BudgetView[]) => bs.find((b) => b.name === 'garnet')!.whatIf!.spent;
    expect(garnetWhatIf(after)).toBeCloseTo(garnetWhatIf(before) + 5 + 2 * (0.3 + 1000 * 0.00145), 9);
  });

  it('refuses a bad range or estimate device with 400 and the reason', async () => {
    for (const [qs, field] of [
      ['?start=abc', 'start'],
      [`?start=${END}&end=${START}`, 'start'],
      [`?start=0&end=${END}`, 'start'],
      ['?end=-5', 'end'],
      ['?start=1&start=2', 'start'],
      [`?start=${START}&end=${END}&estimateAs=braket.amazon/sv1`, 'estimateAs'],
      [`?start=${START}&end=${END}&estimateAs=nowhere.x`, 'estimateAs'],
    ] as const) {
      const { status, body } = await get(qs);
      expect(status, qs).toBe(400);
      expect(body.field, qs).toBe(field);
      expect(body.error).toMatch(new RegExp(`^${field}: `));
    }
    expect(
      (await get(`?start=${new Date(START).toISOString()}&end=${new Date(END).toISOString()}`)).status,
    ).toBe(200);
  });

  it('exposes on /metrics how often its in-memory sums outgrew their maximum', async () => {
    const text = await (await fetch(`${wb.url}/metrics`)).text();
    expect(text).toContain('# TYPE qobs_costs_api_cache_resets_total counter');
    expect(text).toContain('qobs_costs_api_cache_resets_total{sums="budget_period"} 0');
    expect(text).toContain('qobs_costs_api_cache_resets_total{sums="day"} 0');
  });

  it('serves the catalogue in use with its version, sources and which prices are confirmed', async () => {
    const res = await fetch(`${wb.url}/api/costs/catalogue`);
    const doc = (await res.json()) as CatalogueDoc;
    expect(doc.version).toBe(defaultCatalogue().version);
    const garnet = doc.prices.find((p) => p.device === 'braket.iqm/garnet')!;
    expect(garnet).toMatchObject({
      model: 'task_shot',
      perTaskUsd: 0.3,
      perShotUsd: 0.00145,
      confirmed: true,
    });
    expect(garnet.source).toMatch(/^https:\/\//);
    expect(doc.prices.find((p) => p.device === 'braket.amazon/sv1')!.confirmed).toBe(false);
  });
});

describe('costs API budgets over calendar periods', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qobs-costs-calendar-'));
  let now = 0;
  let wb: Workbench;
  const specs: BudgetSpec[] = [
    { name: 'monthly', amountUsd: 2800 },
    { name: 'weekly', amountUsd: 700, period: 'week', provider: 'braket' },
    { name: 'daily', amountUsd: 100, period: 'day' },
    { name: 'thirty', amountUsd: 3000, periodDays: 30 },
  ];
  // One 1 USD cost every hour on the hour from 2026-01-25 to 2026-04-10 (alternating providers), plus costs at
  // exactly the month boundaries' first instant and last millisecond.
  const costs: Cost[] = [];
  for (let t = Date.parse('2026-01-25T00:00:00Z'); t < Date.parse('2026-04-10T00:00:00Z'); t += HOUR)
    costs.push({
      t,
      provider: (t / HOUR) % 2 ? 'braket' : 'ibm',
      device: (t / HOUR) % 2 ? 'iqm/garnet' : 'ibm_torino',
      costType: 'qpu_task',
      amount: 1,
      instance: 'a',
    });
  for (const [t, amount] of [
    ['2026-02-28T23:59:59.999Z', 7],
    ['2026-03-01T00:00:00.000Z', 11],
    ['2026-03-31T23:59:59.999Z', 13],
  ] as const)
    costs.push({
      t: Date.parse(t),
      provider: 'braket',
      device: 'iqm/garnet',
      costType: 'qpu_task',
      amount,
      instance: 'a',
    });

  costs.sort((a, b) => a.t - b.t);

  beforeAll(async () => {
    wb = await startWorkbench(
      {
        dataDir: dir,
        port: 0,
        otlpPort: 0,
        selfScrapeIntervalMs: 0,
        scrapeTargets: [],
        retentionMs: 400 * DAY,
      },
      {
        plugins: [costsApiPlugin({ catalogue: defaultCatalogue(), budgets: specs, clock: () => now })],
        log: () => {},
      },
    );
  });
  afterAll(async () => {
    await wb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let stored = 0;
  /** Moves the clock to `iso`, storing the costs that happened by then (none from the future), and asks. */
  async function budgetsAt(iso: string): Promise<Record<string, BudgetView>> {
    now = Date.parse(iso);
    const due = costs.filter((c) => c.t <= now).slice(stored);
    stored += due.length;
    if (due.length) wb.store.ingest({ logs: due.map((c) => costLog(c)) });
    const res = await fetch(`${wb.url}/api/costs?start=${now - HOUR}&end=${now}`);
    const doc = (await res.json()) as CostsDoc;
    return Object.fromEntries((doc.budgets as BudgetView[]).map((b) => [b.name, b]));
  }
  /** Spend in [from, now], summed from the seeded costs (not from the API's periods). */
  const spentIn = (from: string, provider?: string) =>
    sum(
      costs
        .filter((c) => c.t >= Date.parse(from) && c.t <= now && (!provider || c.provider === provider))
        .map((c) => c.amount),
    );
  let feb: BudgetView;

  it('moves from December to January, with the spend of each read from its own month', async () => {
    const dec = (await budgetsAt('2025-12-31T23:59:59.999Z')).monthly;
    expect(dec).toMatchObject({
      periodStart: '2025-12-01T00:00:00.000Z',
      periodEnd: '2026-01-01T00:00:00.000Z',
      periodDays: 31,
      spent: 0,
    });
    const jan = (await budgetsAt('2026-01-31T23:00:00Z')).monthly;
    expect(jan).toMatchObject({ periodStart: '2026-01-01T00:00:00.000Z', periodDays: 31 });
    expect(jan.spent).toBe(spentIn('2026-01-01T00:00:00Z'));
    expect(jan.spent).toBe(6 * 24 + 24);
  });

  it('follows the calendar: end of February, the 1st at 00:00:00.000, a week across months', async () => {
    feb = (await budgetsAt('2026-02-27T00:00:00Z')).monthly;
    let b = await budgetsAt('2026-02-28T23:59:59.999Z');
    expect(b.monthly).toMatchObject({
      period: 'month',
      periodKind: 'month',
      periodStart: '2026-02-01T00:00:00.000Z',
      periodEnd: '2026-03-01T00:00:00.000Z',
      periodDays: 28,
    });
    expect(b.monthly.spent).toBeCloseTo(spentIn('2026-02-01T00:00:00Z'), 9);
    // The last millisecond of February counts in February.
    expect(b.monthly.spent).toBe(28 * 24 + 7);
    expect(b.daily.spent).toBe(24 + 7);
    // The ISO week from Monday 2026-02-23 runs into March; only Braket counts.
    expect(b.weekly).toMatchObject({
      periodStart: '2026-02-23T00:00:00.000Z',
      periodEnd: '2026-03-02T00:00:00.000Z',
    });
    expect(b.weekly.spent).toBeCloseTo(spentIn('2026-02-23T00:00:00Z', 'braket'), 9);
    // Fixed-length periods still count from 1970-01-01.
    expect(Date.parse(b.thirty.periodStart) % (30 * DAY)).toBe(0);
    expect(b.thirty.period).toBe('30 days');

    // At exactly 00:00:00.000 on 1 March the new month holds the cost of that instant, and nothing of February.
    b = await budgetsAt('2026-03-01T00:00:00.000Z');
    expect(b.monthly).toMatchObject({
      periodStart: '2026-03-01T00:00:00.000Z',
      periodDays: 31,
      spent: 1 + 11,
    });
    expect(b.daily.spent).toBe(12);
    expect(b.weekly.periodStart).toBe('2026-02-23T00:00:00.000Z');
    expect(b.weekly.spent).toBeCloseTo(spentIn('2026-02-23T00:00:00Z', 'braket'), 9);
    expect(b.monthly.burnDown[0]).toEqual({ t: Date.parse('2026-03-01T00:00:00Z'), spent: 0 });
  });

  it('measures the burn rate against the pace of the real month: 28 days in February, 31 in March', async () => {
    // The same spend (1 USD an hour) in both months: 24 or 25 costs in the last 24 hours, to within the
    // burn-down's bucket (84 minutes in February, 93 in March).
    const mar = (await budgetsAt('2026-03-20T00:00:00Z')).monthly;
    for (const m of [feb, mar]) {
      expect(m.burnRatePerDay).toBeGreaterThanOrEqual(24 - 1e-9);
      expect(m.burnRatePerDay).toBeLessThanOrEqual(25 + 1e-9);
    }
    expect(feb.sustainablePerDay).toBeCloseTo(2800 / 28, 9);
    expect(mar.sustainablePerDay).toBeCloseTo(2800 / 31, 9);
    // Relative to the pace that spends 2,800 USD in exactly the month's days.
    expect(feb.burnRateMultiple).toBeCloseTo((feb.burnRatePerDay! * 28) / 2800, 9);
    expect(mar.burnRateMultiple).toBeCloseTo((mar.burnRatePerDay! * 31) / 2800, 9);
    // The projection: when the rest of the budget runs out at that rate.
    expect(mar.spent).toBeCloseTo(spentIn('2026-03-01T00:00:00Z'), 9);
    expect(Date.parse(mar.projectedExhaustion!)).toBeCloseTo(
      now + ((2800 - mar.spent) / mar.burnRatePerDay!) * DAY,
      -1,
    );
    expect(mar.exhaustsBeforePeriodEnd).toBe(false);
  });

  it('reads a week that starts in March and ends in April', async () => {
    const b = await budgetsAt('2026-04-02T12:00:00Z');
    expect(b.weekly).toMatchObject({
      periodStart: '2026-03-30T00:00:00.000Z',
      periodEnd: '2026-04-06T00:00:00.000Z',
    });
    expect(b.weekly.spent).toBeCloseTo(spentIn('2026-03-30T00:00:00Z', 'braket'), 9);
    expect(b.monthly.spent).toBeCloseTo(spentIn('2026-04-01T00:00:00Z'), 9);
    expect(b.monthly.periodDays).toBe(30);
  });
});

describe('costs API per-day sums kept in the store', () => {
  const NOW = Date.parse('2026-05-20T15:30:00Z');
  const base = { provider: 'braket', device: 'iqm/garnet', costType: 'qpu_task', instance: 'a' };
  const open = (dir: string) =>
    startWorkbench(
      {
        dataDir: dir,
        port: 0,
        otlpPort: 0,
        selfScrapeIntervalMs: 0,
        scrapeTargets: [],
        retentionMs: 10 * DAY,
      },
      {
        plugins: [
          costsApiPlugin({
            catalogue: defaultCatalogue(),
            clock: () => NOW,
            budgets: [{ name: 'may', amountUsd: 1e6 }],
          }),
        ],
        log: () => {},
      },
    );
  const doc = async (wb: Workbench, days = 30) => {
    const res = await fetch(`${wb.url}/api/costs?start=${NOW - days * DAY}&end=${NOW}`);
    return (await res.json()) as CostsDoc;
  };
  const events = async (wb: Workbench) => (await doc(wb)).events;
  const MAY = [Date.parse('2026-05-01T00:00:00Z'), Date.parse('2026-06-01T00:00:00Z')];
  /** The month budget's spend, summed from the costs (a period counts all of its stored costs, [start, end)). */
  const inMay = (cs: Cost[]) => sum(cs.filter((c) => c.t >= MAY[0] && c.t < MAY[1]).map((c) => c.amount));
  const metric = async (wb: Workbench, name: string) => {
    const text = await (await fetch(`${wb.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{sums="day"}`));
    return Number(line?.split(' ').pop());
  };

  it('stays exact through late lines in any order, background sums and restarts (property)', async () => {
    // Each run: costs in random order and batches, some far older than lines already summed; after every batch
    // the 30-day figures equal the sums of what was stored, whether the background or the request summed it.
    const cost = fc.record({
      dayBack: fc.integer({ min: 0, max: 25 }),
      msOfDay: fc.integer({ min: 0, max: DAY - 1 }),
      cents: fc.integer({ min: 0, max: 5000 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cost, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 4 }),
        async (batches) => {
          const dir = mkdtempSync(join(tmpdir(), 'qobs-costs-days-'));
          let wb = await open(dir);
          const stored: Cost[] = [];
          const all: Cost[] = [];
          try {
            for (const [i, batch] of batches.entries()) {
              const cs = batch.map((c) => ({
                ...base,
                t: Math.floor(NOW / DAY) * DAY - c.dayBack * DAY + c.msOfDay,
                amount: c.cents / 100,
              }));
              const now = cs.filter((c) => c.t <= NOW && c.t > NOW - 30 * DAY);
              wb.store.ingest({ logs: cs.map((c) => costLog(c)) });
              stored.push(...now);
              all.push(...cs);
              // Every other batch lets the background sum it first; a restart in the middle keeps the sums.
              if (i % 2) await new Promise((r) => setTimeout(r, 150));
              if (i === 1) {
                await wb.close();
                wb = await open(dir);
              }
              const d = await doc(wb);
              expect(d.events.count).toBe(stored.length);
              expect(d.events.total).toBeCloseTo(sum(stored.map((c) => c.amount)), 6);
              // The month's budget, read first from the slot tables, then by log id.
              expect((d.budgets as BudgetView[])[0].spent).toBeCloseTo(inMay(all), 6);
            }
          } finally {
            await wb.close();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 60_000);

  it('shows no exhaustion date when the burn rate would take the budget past the latest date a Date holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qobs-costs-far-'));
    const wb = await open(dir);
    try {
      // 0.001 USD in the last 12 hours against 1,000,000 USD: 5 × 10^8 days away, after the year 275760.
      wb.store.ingest({ logs: [costLog({ ...base, t: NOW - 12 * HOUR, amount: 0.001 })] });
      const may = ((await doc(wb)).budgets as BudgetView[])[0];
      expect(may.burnRatePerDay).toBeGreaterThan(0);
      expect(may.projectedExhaustion).toBeNull();
      expect(may.exhaustsBeforePeriodEnd).toBe(false);
    } finally {
      await wb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rebuilds once, not on every request, when deletions leave no line at all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qobs-costs-empty-'));
    const wb = await open(dir);
    try {
      wb.store.ingest({ logs: [costLog({ ...base, t: NOW - 15 * DAY, amount: 3 })] });
      expect((await events(wb)).total).toBeCloseTo(3, 9);
      wb.store.enforceRetention(NOW);
      for (let i = 0; i < 3; i++) expect((await events(wb)).count).toBe(0);
      expect(await metric(wb, 'qobs_costs_api_cache_resets_total')).toBe(1);
      // And the next line is counted from a clean start.
      wb.store.ingest({ logs: [costLog({ ...base, t: NOW - HOUR, amount: 4 })] });
      expect((await events(wb)).total).toBeCloseTo(4, 9);
      expect(((await doc(wb)).budgets as BudgetView[])[0].spent).toBeCloseTo(4, 9);
    } finally {
      await wb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads directly the days retention cut into, keeps budgets counting what was spent, and rebuilds when a deleted newest line leaves its id to a new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qobs-costs-retention-'));
    let wb = await open(dir);
    try {
      const costs: Cost[] = [];
      for (let t = NOW - 20 * DAY + 1234; t <= NOW; t += 3 * HOUR)
        costs.push({ ...base, t, amount: 1 + (t % 7) });
      wb.store.ingest({ logs: costs.map((c) => costLog(c)) });
      expect((await events(wb)).total).toBeCloseTo(sum(costs.map((c) => c.amount)), 6);
      expect(await metric(wb, 'qobs_costs_api_day_sums_lag_lines')).toBe(0);
      // Retention deletes everything older than 10 days, cutting into a day of the month's budget period.
      const cut = NOW - 10 * DAY;
      wb.store.enforceRetention(NOW);
      const kept = costs.filter((c) => c.t >= cut);
      expect(kept.length).toBeLessThan(costs.length);
      let e = await events(wb);
      expect(e.count).toBe(kept.length);
      expect(e.total).toBeCloseTo(sum(kept.map((c) => c.amount)), 6);
      expect(await metric(wb, 'qobs_costs_api_cache_resets_total')).toBe(0);
      // After a restart the month's budget is read from the slot tables, which kept the costs of the deleted
      // lines: the budget counts what was spent in May, not only what is still stored (the tables above do).
      await wb.close();
      wb = await open(dir);
      let may = ((await doc(wb)).budgets as BudgetView[])[0];
      expect(inMay(costs)).toBeGreaterThan(inMay(kept));
      expect(may.spent).toBeCloseTo(inMay(costs), 6);
      expect(may.burnDown[may.burnDown.length - 1].spent).toBeCloseTo(may.spent, 9);
      // A late line from 15 days ago is the newest line when the sums are brought up to date; retention then
      // deletes it, and the next line takes its id: the sums notice, rebuild, and count that line once.
      const late = { ...base, t: NOW - 15 * DAY, amount: 100 };
      wb.store.ingest({ logs: [costLog(late)] });
      expect((await events(wb)).total).toBeCloseTo(sum(kept.map((c) => c.amount)) + 100, 6);
      wb.store.enforceRetention(NOW);
      const next = { ...base, t: NOW - HOUR, amount: 2.5 };
      wb.store.ingest({ logs: [costLog(next)] });
      e = await events(wb);
      expect(e.count).toBe(kept.length + 1);
      expect(e.total).toBeCloseTo(sum(kept.map((c) => c.amount)) + 2.5, 6);
      expect(await metric(wb, 'qobs_costs_api_cache_resets_total')).toBe(1);
      // The budget's in-memory sums were brought up to the deleted line too: they start over, so the new line
      // is counted and the deleted one is not, without waiting for a restart.
      may = ((await doc(wb)).budgets as BudgetView[])[0];
      expect(may.spent).toBeCloseTo(inMay([...kept, next]), 6);
      const text = await (await fetch(`${wb.url}/metrics`)).text();
      expect(
        Number(/qobs_costs_api_cache_resets_total\{sums="budget_period"\} (\d+)/.exec(text)![1]),
      ).toBeGreaterThan(0);
      await wb.close();
      wb = await open(dir);
      may = ((await doc(wb)).budgets as BudgetView[])[0];
      expect(may.spent).toBeCloseTo(inMay([...kept, next]), 6);
    } finally {
      await wb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('costCounterIncrease', () => {
  it('counts a counter born in the range from zero, but not one whose history retention may have deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qobs-costs-counter-'));
    const wb = await startWorkbench({
      dataDir: dir,
      port: 0,
      otlpPort: 0,
      selfScrapeIntervalMs: 0,
      scrapeTargets: [],
    });
    try {
      const t0 = Date.parse('2026-03-01T12:00:00Z');
      const labels = { __name__: 'quantum_cost_total', provider: 'ibm', cost_type: 'qpu_time' };
      wb.store.ingest({
        samples: [
          { labels, t: t0, v: 100 },
          { labels, t: t0 + 15_000, v: 101.5 },
        ],
      });
      const [from, to] = [t0 - 2 * HOUR, t0 + 60_000];
      expect(costCounterIncrease(wb.store, from, to, t0 - DAY).total).toBeCloseTo(101.5, 9);
      expect(costCounterIncrease(wb.store, from, to, t0 - 10 * 60_000).total).toBeCloseTo(1.5, 9);
      // With a baseline inside the range's lookback, the horizon does not matter.
      expect(costCounterIncrease(wb.store, t0 + 1, to, t0 - 10 * 60_000).total).toBeCloseTo(1.5, 9);
    } finally {
      await wb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseRange', () => {
  it('accepts any ordered range up to 366 days and refuses the rest, naming the field', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: -1e10, max: 4e10 }), (start, span) => {
        const q = { start: String(start), end: String(start + span) };
        const ok = span > 0 && span <= 366 * DAY;
        try {
          expect(parseRange(q, 0)).toEqual({ startMs: start, endMs: start + span });
          return ok;
        } catch (err) {
          return !ok && (err as { field?: string }).field === (start + span < 0 ? 'end' : 'start');
        }
      }),
    );
  });
});
