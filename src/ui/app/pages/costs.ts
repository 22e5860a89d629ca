// Costs: by provider and cost type (PromQL on quantum_cost_total), by day, and by device with the budget
// burn-down from the cost tracker's API.
import type { PanelSpec } from '../../../dashboards/index.js';
import { NotAvailableError } from '../api.js';
import { timeSeriesChart } from '../charts.js';
import type { PageContext, PageDef } from '../context.js';
import { dataTable, errorBox, h, notAvailable, replace } from '../dom.js';
import { panelView } from '../panel.js';
import { getDoc, pick, toNumber, toText } from '../workbench.js';

const COST_PANELS: readonly PanelSpec[] = [
  {
    id: 'cost-provider-range',
    title: 'Cost by provider',
    description: 'Cost accrued over the selected range, by provider.',
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

function money(v: unknown, currency = 'USD'): string {
  const n = toNumber(v);
  return n === undefined ? '–' : `${n.toFixed(2)} ${currency}`;
}

type Row = Record<string, unknown>;
function rowsOf(v: unknown): Row[] {
  return Array.isArray(v) ? (v as Row[]) : [];
}

export const costsPage: PageDef = {
  id: 'costs',
  title: 'Costs',
  mount(root) {
    const views = COST_PANELS.map(panelView);
    const tracker = h('div', { class: 'results', 'data-testid': 'cost-tracker' });
    let disposeChart: (() => void) | undefined;
    root.append(
      h('div', { class: 'grid' }, ...views.map((v) => v.el)),
      h('h2', null, 'By device, by day, and budgets'),
      tracker,
    );

    async function loadTracker(ctx: PageContext): Promise<void> {
      disposeChart?.();
      disposeChart = undefined;
      try {
        const doc = await getDoc('/api/costs', { start: ctx.range.startMs, end: ctx.range.endMs });
        const currency = toText(doc.currency) || 'USD';
        const byDevice = rowsOf(pick(doc, 'byDevice', 'by_device'));
        const byDay = rowsOf(pick(doc, 'byDay', 'by_day'));
        const budgets = rowsOf(pick(doc, 'budgets'));
        const burnHost = h('div', { class: 'chart' });
        replace(
          tracker,
          doc.catalogueVersion || doc.catalogue_version
            ? h(
                'p',
                { class: 'muted' },
                `Priced with catalogue ${toText(pick(doc, 'catalogueVersion', 'catalogue_version'))}`,
              )
            : null,
          h('h3', null, 'By device'),
          dataTable({
            caption: 'Cost by device',
            rows: byDevice,
            columns: [
              { title: 'Device', cell: (r) => toText(pick(r, 'device', 'id')) },
              { title: 'Executions', cell: (r) => toText(pick(r, 'executions', 'jobs')), numeric: true },
              { title: 'Cost', cell: (r) => money(pick(r, 'amount', 'cost'), currency), numeric: true },
            ],
          }),
          h('h3', null, 'By day'),
          dataTable({
            caption: 'Cost by day',
            rows: byDay,
            columns: [
              { title: 'Day', cell: (r) => toText(pick(r, 'day', 'date')) },
              { title: 'Cost', cell: (r) => money(pick(r, 'amount', 'cost'), currency), numeric: true },
            ],
          }),
          h('h3', null, 'Budgets'),
          dataTable({
            caption: 'Budgets',
            rows: budgets,
            empty: 'No budget is configured',
            columns: [
              { title: 'Budget', cell: (r) => toText(pick(r, 'name', 'id')) },
              { title: 'Period', cell: (r) => toText(r.period) },
              { title: 'Limit', cell: (r) => money(pick(r, 'limit', 'amount'), currency), numeric: true },
              { title: 'Spent', cell: (r) => money(pick(r, 'spent'), currency), numeric: true },
              {
                title: 'Remaining',
                numeric: true,
                cell: (r) => {
                  const limit = toNumber(pick(r, 'limit', 'amount'));
                  const spent = toNumber(r.spent);
                  if (limit === undefined || spent === undefined) return '–';
                  const left = limit - spent;
                  return h(
                    'span',
                    { class: `badge level-${left < 0 ? 'red' : left < 0.2 * limit ? 'yellow' : 'green'}` },
                    `${left.toFixed(2)} ${currency}${left < 0 ? ' (over)' : ''}`,
                  );
                },
              },
            ],
          }),
          h('h3', null, 'Budget burn-down'),
          burnHost,
        );
        // Burn-down: each budget's remaining amount after each day's spend.
        const budget = budgets[0];
        const limit = budget ? toNumber(pick(budget, 'limit', 'amount')) : undefined;
        if (limit !== undefined && byDay.length > 0) {
          const days = byDay
            .map((d) => ({
              t: Date.parse(toText(pick(d, 'day', 'date'))) / 1000,
              v: toNumber(pick(d, 'amount', 'cost')) ?? 0,
            }))
            .filter((d) => Number.isFinite(d.t))
            .sort((a, b) => a.t - b.t);
          let left = limit;
          const ys = days.map((d) => (left -= d.v));
          const xs = days.map((d) => d.t);
          disposeChart = timeSeriesChart(
            burnHost,
            [{ name: `${toText(budget.name)} remaining`, xs, ys }],
            'short',
            [xs[0], xs[xs.length - 1] + 86400],
            160,
          );
        } else {
          burnHost.append(h('p', { class: 'no-data' }, 'A burn-down needs a budget and daily costs.'));
        }
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
        disposeChart?.();
      },
    };
  },
};
