// Costs: by provider and cost type (PromQL on quantum_cost_total), then the costs API: by provider, device and
// UTC day, every budget with its burn-down and projected exhaustion, what-if estimates, and the catalogue in use.
import type { PanelSpec } from '../../../dashboards/index.js';
import { NotAvailableError } from '../api.js';
import { type Line, timeSeriesChart } from '../charts.js';
import type { PageContext, PageDef } from '../context.js';
import { type Child, dataTable, errorBox, h, notAvailable, replace } from '../dom.js';
import { panelView } from '../panel.js';
import { getDoc, pick, toNumber, toText } from '../workbench.js';

const COST_PANELS: readonly PanelSpec[] = [
  {
    id: 'cost-provider-range',
    title: 'Cost by provider',
    description:
      'Cost accrued over the selected range, by provider (PromQL increase(), extrapolated to the range).',
    kind: 'donut',
    unit: 'currencyUSD',
    queries: [
      {
        refId: 'A',
        expr: 'sum by (provider) (increase(quantum_cost_total[$__range]))',
        legend: '{{provider}}',
        instant: true,
      },
    ],
  },
  {
    id: 'cost-type-range',
    title: 'Cost by type',
    description: 'Cost accrued over the selected range, by provider and cost type.',
    kind: 'donut',
    unit: 'currencyUSD',
    queries: [
      {
        refId: 'A',
        expr: 'sum by (provider, cost_type) (increase(quantum_cost_total[$__range]))',
        legend: '{{provider}} {{cost_type}}',
        instant: true,
      },
    ],
  },
  {
    id: 'cost-rate',
    title: 'Spend rate by provider',
    description: 'Dollars per hour, by provider.',
    kind: 'timeseries',
    unit: 'currencyUSD',
    queries: [
      {
        refId: 'A',
        expr: '3600 * sum by (provider) (rate(quantum_cost_total[$__rate_interval]))',
        legend: '{{provider}} $/h',
      },
    ],
  },
];

type Row = Record<string, unknown>;

function rowsOf(v: unknown): Row[] {
  return Array.isArray(v) ? (v as Row[]) : [];
}

function objOf(v: unknown): Row | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Row) : undefined;
}

function money(v: unknown, currency: string): string {
  const n = toNumber(v);
  return n === undefined ? '–' : `${n.toFixed(2)} ${currency}`;
}

/** Times on this page are in UTC, like its days and budget periods. */
function utc(ms: number): string {
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC` : '–';
}

function when(iso: unknown): string {
  return utc(Date.parse(toText(iso)));
}

function scopeText(b: Row): string {
  const s = objOf(b.scope) ?? {};
  const parts = ['project', 'provider', 'device']
    .filter((k) => typeof s[k] === 'string' && s[k] !== '')
    .map((k) => `${k} ${toText(s[k])}`);
  return parts.length ? parts.join(', ') : 'all spend';
}

/** What a budget's projection says, in words (never a colour alone). */
function projectionText(v: Row, periodEnd: unknown): string {
  const at = toText(v.projectedExhaustion);
  if (v.exhausted === true) return `exhausted ${when(at)}`;
  if (!at) return toNumber(v.burnRatePerDay) === undefined ? 'too little data' : 'no spend: not running out';
  return v.exhaustsBeforePeriodEnd === true
    ? `runs out ${when(at)}`
    : `lasts the period (ends ${when(periodEnd)})`;
}

function remainingBadge(limit: number | undefined, spent: number | undefined, currency: string): Child {
  if (limit === undefined || spent === undefined) return '–';
  const left = limit - spent;
  const level = left < 0 ? 'red' : left < 0.2 * limit ? 'yellow' : 'green';
  const words = left < 0 ? ' (over)' : left < 0.2 * limit ? ' (under 20% left)' : '';
  return h('span', { class: `badge level-${level}` }, `${left.toFixed(2)} ${currency}${words}`);
}

/** A line of a burn-down chart and what its legend says. */
interface BurnLine extends Line {
  readonly legend: string;
}

/**
 * Remaining budget over the period, as steps (spend lands at the end of each bucket), for the actual spend and the
 * what-if, each with its projection from now at the current burn rate up to exhaustion or the period's end.
 */
function burnLines(b: Row, limit: number, currency: string): BurnLine[] {
  const end = Date.parse(toText(b.periodEnd)) / 1000;
  const linesOf = (name: string, v: Row | undefined): BurnLine[] => {
    if (!v) return [];
    const pts = rowsOf(v.burnDown)
      .map((p) => ({ t: (toNumber(p.t) ?? Number.NaN) / 1000, s: toNumber(p.spent) ?? Number.NaN }))
      .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.s));
    if (pts.length === 0) return [];
    const xs: number[] = [];
    const ys: number[] = [];
    for (const [i, p] of pts.entries()) {
      // A step: flat until just before the bucket's end, then down (one x per value: the chart merges equal xs).
      if (i > 0 && p.s !== pts[i - 1].s && p.t - 1 > pts[i - 1].t) {
        xs.push(p.t - 1);
        ys.push(limit - pts[i - 1].s);
      }
      xs.push(p.t);
      ys.push(limit - p.s);
    }
    const last = pts[pts.length - 1];
    const left = limit - last.s;
    const lines: BurnLine[] = [{ name, xs, ys, legend: `${name}: ${money(left, currency)}` }];
    const rate = toNumber(v.burnRatePerDay);
    if (rate !== undefined && rate > 0 && v.exhausted !== true && Number.isFinite(end) && end > last.t) {
      const zeroAt = last.t + (left / rate) * 86_400;
      const stop = Math.min(end, zeroAt);
      const atStop = Math.max(0, left - (rate * (stop - last.t)) / 86_400);
      lines.push({
        name: `${name}, projected`,
        xs: [last.t, stop],
        ys: [left, atStop],
        legend:
          zeroAt <= end
            ? `${name}, projected: none left at ${utc(zeroAt * 1000)}`
            : `${name}, projected: ${money(atStop, currency)} left at the period's end`,
      });
    }
    return lines;
  };
  return [...linesOf('remaining', b), ...linesOf('what-if remaining', objOf(b.whatIf))];
}

function legendList(lines: readonly BurnLine[]): HTMLElement {
  return h(
    'ul',
    { class: 'inline-legend' },
    lines.map((l, i) => h('li', null, h('span', { class: 'swatch', 'data-color': String(i) }), l.legend)),
  );
}

export const costsPage: PageDef = {
  id: 'costs',
  title: 'Costs',
  mount(root) {
    const views = COST_PANELS.map(panelView);
    const tracker = h('div', { class: 'results', 'data-testid': 'cost-tracker' });
    let disposeCharts: Array<() => void> = [];
    root.append(
      h('div', { class: 'grid' }, ...views.map((v) => v.el)),
      h('h2', null, 'Spend by provider, device and day; budgets'),
      tracker,
    );

    async function catalogueSection(ctx: PageContext, estimateDevice: string): Promise<Child[]> {
      // The catalogue is optional for the page: without it there is no price list and no estimate picker.
      let cat: Row;
      try {
        cat = await getDoc('/api/costs/catalogue');
      } catch {
        return [];
      }
      const prices = rowsOf(cat.prices);
      const currency = toText(cat.currency) || 'USD';
      const choices = prices.filter((p) => p.model === 'task_shot' && p.confirmed === true);
      const select = h(
        'select',
        {
          'aria-label': 'Price local runs as',
          'data-testid': 'estimate-device',
          onchange: (ev: Event) =>
            ctx.navigate('costs', { estimate: (ev.target as HTMLSelectElement).value || 'none' }),
        },
        h('option', { value: 'none' }, 'no estimate'),
        ...choices.map((p) => h('option', { value: toText(p.device) }, toText(p.device))),
      );
      select.value = estimateDevice || 'none';
      const fee = (v: unknown, unit: string) => (toNumber(v) === undefined ? '' : `${toNumber(v)} ${unit}`);
      return [
        h(
          'p',
          null,
          h('label', null, 'Price the local runs in this range as ', select),
          h('span', { class: 'muted' }, ' (a what-if, shown apart from the real spend)'),
        ),
        h(
          'details',
          { 'data-testid': 'catalogue' },
          h(
            'summary',
            null,
            `Prices in use: catalogue ${toText(cat.version)}, effective ${toText(cat.effectiveFrom)}`,
          ),
          dataTable({
            caption: `Price catalogue ${toText(cat.version)}`,
            rows: prices,
            columns: [
              { title: 'Device', cell: (p) => toText(p.device) },
              { title: 'Model', cell: (p) => toText(p.model) },
              {
                title: `Fees (${currency})`,
                cell: (p) =>
                  [
                    fee(p.perTaskUsd, '/task'),
                    fee(p.perShotUsd, '/shot'),
                    fee(p.perMinuteUsd, '/min'),
                    fee(p.perSecondUsd, '/s'),
                  ]
                    .filter(Boolean)
                    .join(' + ') || (p.model === 'free' ? 'free' : 'unset'),
              },
              { title: 'Confirmed', cell: (p) => (p.confirmed === true ? 'yes' : 'no: not priced') },
              { title: 'Source', cell: (p) => `${toText(p.source)} (read ${toText(p.readOn)})` },
            ],
          }),
        ),
      ];
    }

    async function loadTracker(ctx: PageContext): Promise<void> {
      for (const d of disposeCharts) d();
      disposeCharts = [];
      const estimateParam = ctx.params.get('estimate') ?? undefined;
      try {
        const doc = await getDoc('/api/costs', {
          start: ctx.range.startMs,
          end: ctx.range.endMs,
          estimateAs: estimateParam,
        });
        const currency = toText(doc.currency) || 'USD';
        const byProvider = rowsOf(pick(doc, 'byProvider', 'by_provider'));
        const byDevice = rowsOf(pick(doc, 'byDevice', 'by_device'));
        const byDay = rowsOf(pick(doc, 'byDay', 'by_day'));
        const budgets = rowsOf(doc.budgets);
        const estimate = objOf(doc.estimate);
        const events = objOf(doc.events);
        const total = toNumber(doc.total);
        const eventsTotal = toNumber(events?.total);
        const estByDay = new Map(rowsOf(estimate?.byDay).map((d) => [toText(d.day), toNumber(d.amount)]));
        const versions = rowsOf(events?.catalogueVersions).map(toText).filter(Boolean);
        const catalogue = await catalogueSection(ctx, estimateParam ?? toText(estimate?.device));
        const burnSections: HTMLElement[] = [];
        const charts: Array<[HTMLElement, Line[], [number, number]]> = [];
        for (const [i, b] of budgets.entries()) {
          const limit = toNumber(b.limit);
          const host = h('div', { class: 'chart' });
          const section = h(
            'section',
            { id: `budget-${i}`, tabindex: -1, 'data-testid': 'burn-down' },
            h('h3', null, `Burn-down: ${toText(b.name)}`),
          );
          const lines = limit === undefined ? [] : burnLines(b, limit, currency);
          const start = Date.parse(toText(b.periodStart)) / 1000;
          const end = Date.parse(toText(b.periodEnd)) / 1000;
          if (lines.length > 0 && Number.isFinite(start) && Number.isFinite(end)) {
            section.append(host, legendList(lines));
            charts.push([host, lines, [start, end]]);
          } else section.append(h('p', { class: 'no-data' }, 'No burn-down for this budget.'));
          burnSections.push(section);
        }
        const hasWhatIf = budgets.some((b) => objOf(b.whatIf));
        replace(
          tracker,
          h(
            'p',
            { class: 'muted', 'data-testid': 'catalogue-version' },
            `Priced with catalogue ${toText(pick(doc, 'catalogueVersion', 'catalogue_version'))}`,
            versions.length ? `; the cost events in this range name ${versions.join(', ')}` : '',
            '.',
          ),
          catalogue,
          h(
            'p',
            { 'data-testid': 'cost-total' },
            h('strong', null, `Total in range: ${money(total, currency)}`),
            h('span', { class: 'muted' }, ' (the exact rise of quantum_cost_total, without extrapolation)'),
          ),
          total !== undefined &&
            eventsTotal !== undefined &&
            Math.abs(total - eventsTotal) > 0.005 + 0.005 * total
            ? h(
                'div',
                { class: 'notice', role: 'status' },
                `The cost events in this range sum to ${money(eventsTotal, currency)}, the metric to ${money(total, currency)}: `,
                'events still in transit, a scrape not yet taken at the range’s end, or events lost on the way.',
              )
            : null,
          h('h3', null, 'By provider'),
          dataTable({
            caption: 'Cost by provider and cost type',
            testId: 'cost-by-provider',
            rows: byProvider,
            empty: 'No quantum_cost_total samples in this range',
            columns: [
              { title: 'Provider', cell: (r) => toText(r.provider) },
              { title: 'Cost type', cell: (r) => toText(pick(r, 'costType', 'cost_type')) },
              { title: 'Cost', cell: (r) => money(r.amount, currency), numeric: true },
            ],
          }),
          h('h3', null, 'By device'),
          h(
            'p',
            { class: 'muted' },
            'From the cost events (the metric has no device label); open a row for the device.',
          ),
          dataTable({
            caption: 'Cost by device',
            testId: 'cost-by-device',
            rows: byDevice,
            empty: 'No executions or cost events in this range',
            onOpen: (r) => ctx.navigate('devices', { device: toText(r.device) }),
            columns: [
              { title: 'Device', cell: (r) => toText(pick(r, 'device', 'id')) },
              { title: 'Executions', cell: (r) => toText(pick(r, 'executions', 'jobs')), numeric: true },
              { title: 'Cost events', cell: (r) => toText(r.costEvents), numeric: true },
              { title: 'Cost', cell: (r) => money(pick(r, 'amount', 'cost'), currency), numeric: true },
            ],
          }),
          h('h3', null, 'By day (UTC)'),
          dataTable({
            caption: 'Cost by UTC day',
            testId: 'cost-by-day',
            rows: byDay,
            columns: [
              { title: 'Day', cell: (r) => toText(pick(r, 'day', 'date')) },
              { title: 'Cost', cell: (r) => money(pick(r, 'amount', 'cost'), currency), numeric: true },
              ...(estimate
                ? [
                    {
                      title: `What-if on ${toText(estimate.device)}`,
                      cell: (r: Row) => money(estByDay.get(toText(r.day)), currency),
                      numeric: true,
                    },
                  ]
                : []),
            ],
          }),
          estimate
            ? h(
                'section',
                { 'data-testid': 'cost-estimate' },
                h('h3', null, `What-if: local runs priced as ${toText(estimate.device)}`),
                h('p', { class: 'notice', role: 'note' }, toText(estimate.note)),
                h(
                  'p',
                  null,
                  `${toText(estimate.executions)} local runs would have cost ${money(estimate.total, currency)}`,
                  toNumber(estimate.unpricedExecutions)
                    ? ` (${toText(estimate.unpricedExecutions)} runs without a shot count were left out)`
                    : '',
                  '.',
                ),
                dataTable({
                  caption: 'What-if cost by local device',
                  rows: rowsOf(estimate.byDevice),
                  empty: 'No local runs in this range',
                  columns: [
                    { title: 'Ran on', cell: (r) => toText(r.device) },
                    { title: 'Executions', cell: (r) => toText(r.executions), numeric: true },
                    { title: 'Would have cost', cell: (r) => money(r.amount, currency), numeric: true },
                  ],
                }),
              )
            : null,
          h(
            'section',
            { 'data-testid': 'budgets' },
            h('h3', null, 'Budgets'),
            doc.budgetsNote ? h('p', { class: 'notice', role: 'note' }, toText(doc.budgetsNote)) : null,
            h(
              'p',
              { class: 'muted' },
              'Spend in each budget’s current period (calendar months, ISO weeks and days in UTC; a period of N days counts from 1970-01-01); the projection follows the last 24 hours’ burn rate, or the rate since spending began in the period. Open a row for its burn-down.',
            ),
            dataTable({
              caption: 'Budgets',
              testId: 'budgets-table',
              rows: budgets,
              empty: 'No budget is configured (cost.budgets in qobs.yaml)',
              onOpen: (r) => document.getElementById(`budget-${budgets.indexOf(r)}`)?.focus(),
              columns: [
                { title: 'Budget', cell: (r) => toText(pick(r, 'name', 'id')) },
                { title: 'Scope', cell: scopeText },
                {
                  title: 'Period',
                  cell: (r) => `${toText(r.period)} from ${when(r.periodStart)}`,
                },
                { title: 'Limit', cell: (r) => money(pick(r, 'limit', 'amount'), currency), numeric: true },
                { title: 'Spent', cell: (r) => money(r.spent, currency), numeric: true },
                {
                  title: 'Remaining',
                  numeric: true,
                  cell: (r) =>
                    remainingBadge(toNumber(pick(r, 'limit', 'amount')), toNumber(r.spent), currency),
                },
                {
                  title: 'Burn rate',
                  numeric: true,
                  // With the multiple of the pace that spends the limit exactly by the period's end.
                  cell: (r) => {
                    if (toNumber(r.burnRatePerDay) === undefined) return '–';
                    const m = toNumber(r.burnRateMultiple);
                    const pace = m === undefined ? '' : ` (${m < 10 ? m.toFixed(1) : Math.round(m)}× pace)`;
                    return `${money(r.burnRatePerDay, currency)}/day${pace}`;
                  },
                },
                { title: 'Projection', cell: (r) => projectionText(r, r.periodEnd) },
                ...(hasWhatIf
                  ? [
                      {
                        title: 'What-if spent',
                        numeric: true,
                        cell: (r: Row) => {
                          const w = objOf(r.whatIf);
                          return w ? money(w.spent, currency) : '–';
                        },
                      },
                      {
                        title: 'What-if projection',
                        cell: (r: Row) => {
                          const w = objOf(r.whatIf);
                          return w ? projectionText(w, r.periodEnd) : '–';
                        },
                      },
                    ]
                  : []),
              ],
            }),
            ...burnSections,
          ),
        );
        for (const [host, lines, range] of charts)
          disposeCharts.push(timeSeriesChart(host, lines, 'currencyUSD', range, 160));
      } catch (err) {
        replace(
          tracker,
          err instanceof NotAvailableError
            ? notAvailable('The cost tracker (by device, by day, budgets)', err.path)
            : errorBox(err),
        );
      }
    }

    return {
      async refresh(ctx) {
        await Promise.all([...views.map((v) => v.update(ctx.range)), loadTracker(ctx)]);
      },
      dispose() {
        for (const v of views) v.dispose();
        for (const d of disposeCharts) d();
      },
    };
  },
};
