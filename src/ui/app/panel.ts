// One dashboard panel: title, its PromQL one click away (with copy), and the drawing for its kind.
import { legendFor, type PanelSpec, thresholdFor } from '../../dashboards/index.js';
import { type MatrixSeries, queryInstant, queryRange, type VectorSample } from './api.js';
import { binSeries } from './bins.js';
import { donutCanvas, formatValue, heatmapCanvas, linesFrom, PALETTE, timeSeriesChart } from './charts.js';
import { type Child, dataTable, errorBox, h, replace } from './dom.js';
import { expandExpr, type ResolvedRange } from './time.js';

/** A mounted panel: `update` re-queries for a range and redraws. */
export interface PanelView {
  readonly el: HTMLElement;
  update(range: ResolvedRange): Promise<void>;
  dispose(): void;
}

/** Copies text to the clipboard; falls back to selecting it when the clipboard is refused. */
async function copyText(text: string, fallback: HTMLElement, status: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = 'Copied';
  } catch {
    const sel = window.getSelection();
    const r = document.createRange();
    r.selectNodeContents(fallback);
    sel?.removeAllRanges();
    sel?.addRange(r);
    status.textContent = 'Selected: press Ctrl+C to copy';
  }
}

/** The "PromQL" disclosure of a panel: each query's expression with a copy button. */
export function promqlBox(
  spec: PanelSpec,
  current: () => ResolvedRange | undefined,
): { button: HTMLButtonElement; box: HTMLElement } {
  const id = `promql-${spec.id}`;
  const box = h('div', { class: 'promql', id, hidden: true, 'data-testid': 'promql' });
  for (const q of spec.queries) {
    const pre = h('pre', { 'data-ref': q.refId }, q.expr);
    const status = h('span', { class: 'copy-status', 'aria-live': 'polite' });
    box.append(
      h(
        'div',
        { class: 'query' },
        pre,
        h(
          'button',
          { type: 'button', 'data-testid': 'copy', onclick: () => void copyText(q.expr, pre, status) },
          'Copy',
        ),
        h(
          'button',
          {
            type: 'button',
            title: 'With $__range and $__rate_interval replaced for the current range',
            onclick: () => {
              const r = current();
              void copyText(r ? expandExpr(q.expr, r) : q.expr, pre, status);
            },
          },
          'Copy expanded',
        ),
        status,
      ),
    );
  }
  const button = h(
    'button',
    {
      type: 'button',
      class: 'small',
      'aria-expanded': 'false',
      'aria-controls': id,
      'data-testid': 'promql-toggle',
    },
    'PromQL',
  );
  button.addEventListener('click', () => {
    box.hidden = !box.hidden;
    button.setAttribute('aria-expanded', String(!box.hidden));
  });
  return { button, box };
}

/** Mounts a panel for a spec. */
export function panelView(spec: PanelSpec): PanelView {
  let lastRange: ResolvedRange | undefined;
  let dispose: (() => void) | undefined;
  const { button, box } = promqlBox(spec, () => lastRange);
  const titleId = `title-${spec.id}`;
  const body = h('div', { class: `panel-body kind-${spec.kind}` });
  const el = h(
    'section',
    { class: 'panel', 'data-panel': spec.id, 'aria-labelledby': titleId },
    h('div', { class: 'panel-head' }, h('h2', { id: titleId, title: spec.description }, spec.title), button),
    box,
    body,
  );

  async function update(range: ResolvedRange): Promise<void> {
    lastRange = range;
    el.dataset.start = String(range.startMs);
    el.dataset.end = String(range.endMs);
    el.dataset.step = String(range.stepSeconds);
    try {
      const content = await render(spec, range);
      dispose?.();
      dispose = undefined;
      replace(body, content.node);
      if (content.after) dispose = content.after();
      el.dataset.loaded = 'true';
    } catch (err) {
      replace(body, errorBox(err));
      el.dataset.loaded = 'error';
    }
  }
  return { el, update, dispose: () => dispose?.() };
}

interface Rendered {
  node: Child;
  /** Runs once the node is in the document (charts need a measured width); returns a disposer. */
  after?: () => () => void;
}

async function render(spec: PanelSpec, range: ResolvedRange): Promise<Rendered> {
  const exprs = spec.queries.map((q) => expandExpr(q.expr, range));
  if (spec.kind === 'heatmap') {
    const series = await queryRange(exprs[0], range.startMs, range.endMs, range.stepSeconds);
    return renderHeatmap(spec, series);
  }
  if (spec.kind === 'timeseries') {
    const results = await Promise.all(
      exprs.map((e) => queryRange(e, range.startMs, range.endMs, range.stepSeconds)),
    );
    return renderTimeSeries(spec, results, range);
  }
  const results = await Promise.all(exprs.map((e) => queryInstant(e, range.endMs)));
  if (spec.kind === 'stat') return renderStat(spec, results[0]);
  if (spec.kind === 'donut') return renderDonut(spec, results[0]);
  return renderStateTable(spec, results[0]);
}

function noData(): Rendered {
  return { node: h('div', { class: 'no-data', 'data-testid': 'no-data' }, 'No data in this range') };
}

function renderTimeSeries(spec: PanelSpec, results: MatrixSeries[][], range: ResolvedRange): Rendered {
  const named = results.flatMap((series, qi) =>
    series.map((s) => ({ s, name: legendFor(spec.queries[qi].legend, s.metric) })),
  );
  if (named.length === 0) return noData();
  const lines = linesFrom(
    named.map((n) => n.s),
    (s) => named.find((n) => n.s === s)!.name,
  );
  const chartHost = h('div', { class: 'chart' });
  const legend = h(
    'table',
    { class: 'legend' },
    h(
      'thead',
      null,
      h('tr', null, h('th', { scope: 'col' }, 'Series'), h('th', { scope: 'col', class: 'num' }, 'Last')),
    ),
    h(
      'tbody',
      null,
      named.map(({ s, name }, i) => {
        const last = s.values[s.values.length - 1];
        return h(
          'tr',
          { 'data-series': name },
          h('td', null, h('span', { class: 'swatch', 'data-color': String(i % PALETTE.length) }), name),
          h(
            'td',
            { class: 'num', 'data-value': last ? last[1] : '' },
            last ? formatValue(Number(last[1]), spec.unit) : '–',
          ),
        );
      }),
    ),
  );
  return {
    node: [chartHost, legend],
    after: () =>
      timeSeriesChart(chartHost, lines, spec.unit, [range.startMs / 1000, range.endMs / 1000], 180),
  };
}

function renderStat(spec: PanelSpec, result: VectorSample[]): Rendered {
  if (result.length === 0 || !Number.isFinite(Number(result[0].value[1]))) return noData();
  const raw = result[0].value[1];
  const v = Number(raw);
  const t = spec.thresholds ? thresholdFor(spec.thresholds, v) : undefined;
  const scale = spec.thresholds
    ? h(
        'p',
        { class: 'scale' },
        spec.thresholds
          .slice(1)
          .map((th, i) => `${spec.thresholds![i].label} below ${formatValue(th.value, spec.unit)}`)
          .join(' · '),
      )
    : null;
  return {
    node: h(
      'div',
      { class: `stat ${t ? `level-${t.color}` : ''}` },
      h('span', { class: 'stat-value', 'data-value': raw }, formatValue(v, spec.unit)),
      t ? h('span', { class: 'stat-label', 'data-testid': 'threshold' }, t.label) : null,
      scale,
    ),
  };
}

function renderStateTable(spec: PanelSpec, result: VectorSample[]): Rendered {
  if (result.length === 0) return noData();
  const rows = [...result].sort((a, b) =>
    `${a.metric.provider}.${a.metric.device}`.localeCompare(`${b.metric.provider}.${b.metric.device}`),
  );
  return {
    node: dataTable({
      caption: spec.title,
      columns: [
        { title: 'Provider', cell: (r) => r.metric.provider ?? '' },
        { title: 'Device', cell: (r) => r.metric.device ?? '' },
        {
          title: 'Status',
          cell: (r) => {
            const raw = r.value[1];
            const t = spec.thresholds ? thresholdFor(spec.thresholds, Number(raw)) : undefined;
            const text = spec.valueText?.[raw] ?? t?.label ?? raw;
            return h('span', { class: `badge level-${t?.color ?? 'none'}`, 'data-value': raw }, text);
          },
        },
      ],
      rows,
    }),
  };
}

function renderDonut(spec: PanelSpec, result: VectorSample[]): Rendered {
  const items = result
    .map((r) => ({
      name: legendFor(spec.queries[0].legend, r.metric),
      raw: r.value[1],
      value: Number(r.value[1]),
    }))
    .filter((i) => Number.isFinite(i.value))
    .sort((a, b) => b.value - a.value);
  if (items.length === 0) return noData();
  const total = items.reduce((a, i) => a + Math.max(0, i.value), 0);
  const legend = h(
    'table',
    { class: 'legend' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, spec.queries[0].legend === '{{provider}}' ? 'Provider' : 'Series'),
        h('th', { scope: 'col', class: 'num' }, 'Cost'),
        h('th', { scope: 'col', class: 'num' }, 'Share'),
      ),
    ),
    h(
      'tbody',
      null,
      items.map((it, i) =>
        h(
          'tr',
          { 'data-series': it.name },
          h('td', null, h('span', { class: 'swatch', 'data-color': String(i % PALETTE.length) }), it.name),
          h('td', { class: 'num', 'data-value': it.raw }, formatValue(it.value, spec.unit)),
          h(
            'td',
            { class: 'num' },
            total > 0 ? `${((100 * Math.max(0, it.value)) / total).toFixed(1)} %` : '–',
          ),
        ),
      ),
    ),
  );
  return { node: h('div', { class: 'donut-wrap' }, donutCanvas(items, 150), legend) };
}

function renderHeatmap(spec: PanelSpec, series: MatrixSeries[]): Rendered {
  const data = binSeries(series, spec.bins ?? [1]);
  if (data.times.length === 0) return noData();
  const host = h('div', { class: 'chart' });
  const totals = data.counts.map((row) => row.reduce((a, b) => a + b, 0));
  const band = (i: number) =>
    i === 0
      ? `≤ ${data.bounds[0]}`
      : Number.isFinite(data.bounds[i])
        ? `${data.bounds[i - 1]} – ${data.bounds[i]}`
        : `> ${data.bounds[i - 1]}`;
  const legend = h(
    'table',
    { class: 'legend compact' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Fidelity band'),
        h('th', { scope: 'col', class: 'num' }, 'Readings in range'),
      ),
    ),
    h(
      'tbody',
      null,
      data.bounds.map((_, i) =>
        h(
          'tr',
          { 'data-series': band(i) },
          h('td', null, band(i)),
          h('td', { class: 'num', 'data-value': String(totals[i]) }, String(totals[i])),
        ),
      ),
    ),
  );
  return {
    node: [host, legend],
    after: () => {
      host.append(heatmapCanvas(data, Math.max(240, host.clientWidth || 480), 180));
      return () => {};
    },
  };
}
