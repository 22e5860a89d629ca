// Traces: search by service, attribute and duration; one trace as a waterfall with attributes and events.
import { NotAvailableError } from '../api.js';
import type { PageContext, PageDef } from '../context.js';
import { dataTable, errorBox, h, notAvailable, replace } from '../dom.js';
import { formatTime } from '../time.js';
import { getTrace, searchTraces, type SpanView } from '../workbench.js';

function ms(v: number | undefined): string {
  if (v === undefined) return '–';
  return v < 1
    ? `${(v * 1000).toFixed(0)} µs`
    : v < 1000
      ? `${v.toFixed(1)} ms`
      : `${(v / 1000).toFixed(2)} s`;
}

export const tracesPage: PageDef = {
  id: 'traces',
  title: 'Traces',
  mount(root, mountCtx) {
    const traceId = mountCtx.params.get('trace') ?? '';
    const service = h('input', {
      type: 'search',
      name: 'service',
      value: mountCtx.params.get('service') ?? '',
      placeholder: 'service',
    });
    const attr = h('input', {
      type: 'search',
      name: 'attr',
      value: mountCtx.params.get('attr') ?? '',
      placeholder: 'key=value',
    });
    const minDur = h('input', {
      type: 'number',
      name: 'min_duration_ms',
      min: 0,
      value: mountCtx.params.get('min_duration_ms') ?? '',
      placeholder: 'ms',
    });
    const results = h('div', { class: 'results' });
    const detail = h('div', { class: 'trace-detail', 'data-testid': 'trace-detail' });
    let ctx = mountCtx;
    const form = h(
      'form',
      { class: 'search', role: 'search' },
      h('label', null, 'Service ', service),
      h('label', null, 'Attribute ', attr),
      h('label', null, 'Min duration (ms) ', minDur),
      h('button', { type: 'submit' }, 'Search'),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const p: Record<string, string> = {};
      if (service.value) p.service = service.value;
      if (attr.value) p.attr = attr.value;
      if (minDur.value) p.min_duration_ms = minDur.value;
      ctx.navigate('traces', p);
    });
    if (traceId) root.append(detail);
    root.append(form, results);

    async function loadList(c: PageContext): Promise<void> {
      try {
        const traces = await searchTraces({
          service: c.params.get('service') ?? undefined,
          attr: c.params.get('attr') ?? undefined,
          minDurationMs: c.params.has('min_duration_ms')
            ? Number(c.params.get('min_duration_ms'))
            : undefined,
          startMs: c.range.startMs,
          endMs: c.range.endMs,
          limit: 200,
        });
        replace(
          results,
          dataTable({
            caption: 'Traces',
            testId: 'traces-table',
            rows: traces,
            empty: 'No traces in this range',
            onOpen: (t) => c.navigate('traces', { trace: t.traceId }),
            columns: [
              { title: 'Start', cell: (t) => (t.startMs !== undefined ? formatTime(t.startMs) : '–') },
              { title: 'Root span', cell: (t) => t.rootName },
              { title: 'Service', cell: (t) => t.service },
              { title: 'Spans', cell: (t) => t.spanCount ?? '–', numeric: true },
              { title: 'Duration', cell: (t) => ms(t.durationMs), numeric: true },
              {
                title: 'Status',
                cell: (t) => (t.error ? h('span', { class: 'badge level-red' }, 'Error') : 'OK'),
              },
              { title: 'Trace id', cell: (t) => h('code', null, t.traceId) },
            ],
          }),
        );
      } catch (err) {
        replace(
          results,
          err instanceof NotAvailableError ? notAvailable('Trace search', err.path) : errorBox(err),
        );
      }
    }

    async function loadTrace(c: PageContext): Promise<void> {
      try {
        const spans = await getTrace(traceId);
        replace(detail, waterfall(traceId, spans, c));
      } catch (err) {
        replace(
          detail,
          err instanceof NotAvailableError ? notAvailable(`Trace ${traceId}`, err.path) : errorBox(err),
        );
      }
    }

    return {
      async refresh(c) {
        ctx = c;
        // An open trace does not change with the range; load it once.
        if (traceId && !detail.hasChildNodes()) await loadTrace(c);
        await loadList(c);
      },
    };
  },
};

function depthOf(spans: readonly SpanView[]): Map<string, number> {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const depth = new Map<string, number>();
  const get = (s: SpanView, guard: number): number => {
    const known = depth.get(s.spanId);
    if (known !== undefined) return known;
    const parent = byId.get(s.parentSpanId);
    const d = parent && guard < 64 ? get(parent, guard + 1) + 1 : 0;
    depth.set(s.spanId, d);
    return d;
  };
  for (const s of spans) get(s, 0);
  return depth;
}

function orderTree(spans: readonly SpanView[]): SpanView[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, SpanView[]>();
  for (const s of spans) {
    const p = ids.has(s.parentSpanId) ? s.parentSpanId : '';
    children.set(p, [...(children.get(p) ?? []), s]);
  }
  const out: SpanView[] = [];
  const seen = new Set<string>();
  const walk = (p: string) => {
    for (const c of children.get(p) ?? []) {
      if (seen.has(c.spanId)) continue;
      seen.add(c.spanId);
      out.push(c);
      walk(c.spanId);
    }
  };
  walk('');
  return out;
}

function kv(attrs: Record<string, unknown>): HTMLElement {
  const entries = Object.entries(attrs).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return h('p', { class: 'muted' }, 'No attributes');
  return h(
    'dl',
    { class: 'kv' },
    entries.flatMap(([k, v]) => [
      h('dt', null, k),
      h('dd', null, typeof v === 'string' ? v : JSON.stringify(v)),
    ]),
  );
}

function waterfall(traceId: string, spans: SpanView[], ctx: PageContext): HTMLElement {
  if (spans.length === 0) return h('p', { class: 'muted' }, `Trace ${traceId} has no spans.`);
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const t1 = Math.max(...spans.map((s) => s.endMs));
  const total = Math.max(t1 - t0, 1e-6);
  const depth = depthOf(spans);
  const info = h('div', { class: 'span-info', 'data-testid': 'span-info', 'aria-live': 'polite' });
  const rows = orderTree(spans).map((s) => {
    const left = ((s.startMs - t0) / total) * 100;
    const width = Math.max(((s.endMs - s.startMs) / total) * 100, 0.3);
    const isError = s.statusCode === '2' || s.statusCode.toUpperCase().includes('ERROR');
    const bar = h('span', { class: `bar${isError ? ' error' : ''}` });
    // Geometry via CSSOM, which the Content-Security-Policy allows (no inline style attributes).
    bar.style.left = `${left}%`;
    bar.style.width = `${width}%`;
    const row = h(
      'li',
      { tabindex: 0, class: 'span-row', 'data-span': s.spanId },
      h(
        'span',
        { class: 'span-name' },
        '\u00a0'.repeat((depth.get(s.spanId) ?? 0) * 2),
        s.name,
        isError ? ' (error)' : '',
      ),
      h('span', { class: 'span-track' }, bar),
      h('span', { class: 'span-dur num' }, ms(s.endMs - s.startMs)),
    );
    const show = () => {
      if (row.parentElement)
        for (const r of Array.from(row.parentElement.children)) r.classList.remove('selected');
      row.classList.add('selected');
      replace(
        info,
        h('h3', null, s.name),
        h(
          'p',
          null,
          `Service ${s.service || '–'} · span ${s.spanId} · ${ms(s.endMs - s.startMs)}`,
          s.statusMessage ? ` · ${s.statusMessage}` : '',
        ),
        h('h4', null, 'Attributes'),
        kv(s.attributes),
        h('h4', null, 'Events'),
        s.events.length === 0
          ? h('p', { class: 'muted' }, 'No events')
          : h(
              'ul',
              { class: 'events' },
              s.events.map((e) =>
                h(
                  'li',
                  null,
                  h('strong', null, e.name),
                  e.timeMs !== undefined ? ` at +${ms(e.timeMs - t0)}` : '',
                  kv(e.attributes),
                ),
              ),
            ),
      );
    };
    row.addEventListener('click', show);
    row.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        show();
      } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        (
          (ev.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null
        )?.focus();
      }
    });
    return { row, show };
  });
  rows[0]?.show();
  return h(
    'section',
    { 'aria-label': `Trace ${traceId}` },
    h('h2', null, 'Trace ', h('code', null, traceId)),
    h(
      'p',
      null,
      `${spans.length} spans · ${ms(total)} · started ${formatTime(t0)} · `,
      h(
        'a',
        { href: ctx.href('logs', { trace_id: traceId }), 'data-testid': 'trace-logs' },
        'Logs of this trace',
      ),
      ' · ',
      h('a', { href: ctx.href('traces') }, 'Back to search'),
    ),
    h(
      'ol',
      { class: 'waterfall', 'aria-label': 'Spans' },
      rows.map((r) => r.row),
    ),
    info,
  );
}
