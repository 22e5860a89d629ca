// Logs: search by text, level and event type, and a live tail; a line with a trace opens it.
import { NotAvailableError } from '../api.js';
import type { PageContext, PageDef } from '../context.js';
import { dataTable, errorBox, h, notAvailable, replace } from '../dom.js';
import { formatTime } from '../time.js';
import { type LogView, searchLogs, tailLogs } from '../workbench.js';

const LEVELS = ['', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const EVENT_TYPES = [
  '',
  'quantum_circuit_execution',
  'quantum_hardware_event',
  'quantum_algorithm_performance',
  'quantum_cost_event',
  'quantum_error',
  'quantum_security_event',
];
const TAIL_EVERY_MS = 2000;
const MAX_LINES = 500;

function select(name: string, label: string, options: readonly string[], value: string): HTMLSelectElement {
  const s = h('select', { name, 'aria-label': label });
  for (const o of options) s.append(h('option', { value: o }, o || `any ${label.toLowerCase()}`));
  s.value = value;
  return s;
}

export const logsPage: PageDef = {
  id: 'logs',
  title: 'Logs',
  mount(root, mountCtx) {
    const p = mountCtx.params;
    const q = h('input', {
      type: 'search',
      name: 'q',
      value: p.get('q') ?? '',
      placeholder: 'text',
      'aria-label': 'Text',
    });
    const level = select('level', 'Level', LEVELS, p.get('level') ?? '');
    const eventType = select('event_type', 'Event type', EVENT_TYPES, p.get('event_type') ?? '');
    const traceId = p.get('trace_id') ?? '';
    const live = h('input', { type: 'checkbox', name: 'live', checked: p.get('live') !== '0' });
    const results = h('div', { class: 'results', 'data-testid': 'logs' });
    let ctx = mountCtx;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let disposed = false;
    const form = h(
      'form',
      { class: 'search', role: 'search' },
      h('label', null, 'Text ', q),
      h('label', null, 'Level ', level),
      h('label', null, 'Event type ', eventType),
      h('label', null, live, ' Live tail'),
      h('button', { type: 'submit' }, 'Search'),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const np: Record<string, string> = {};
      if (q.value) np.q = q.value;
      if (level.value) np.level = level.value;
      if (eventType.value) np.event_type = eventType.value;
      if (traceId) np.trace_id = traceId;
      if (!live.checked) np.live = '0';
      ctx.navigate('logs', np);
    });
    live.addEventListener('change', () => schedule());
    if (traceId) {
      root.append(
        h(
          'p',
          null,
          'Logs of trace ',
          h('code', null, traceId),
          ' · ',
          h('a', { href: ctx.href('traces', { trace: traceId }) }, 'Open the trace'),
          ' · ',
          h('a', { href: ctx.href('logs') }, 'All logs'),
        ),
      );
    }
    root.append(form, results);

    function render(lines: LogView[], c: PageContext): void {
      replace(
        results,
        dataTable({
          caption: 'Log lines',
          testId: 'logs-table',
          rows: lines.slice(0, MAX_LINES),
          empty: 'No log lines match',
          onOpen: (l) => {
            if (l.traceId) c.navigate('traces', { trace: l.traceId });
          },
          columns: [
            { title: 'Time', cell: (l) => (l.timeMs !== undefined ? formatTime(l.timeMs) : '–') },
            { title: 'Level', cell: (l) => h('span', { class: `badge lvl-${l.level}` }, l.level || '–') },
            { title: 'Event type', cell: (l) => l.eventType },
            { title: 'Service', cell: (l) => l.service },
            { title: 'Message', cell: (l) => h('span', { class: 'log-message' }, l.message) },
            { title: 'Trace', cell: (l) => (l.traceId ? h('code', null, l.traceId.slice(0, 16)) : '–') },
          ],
        }),
      );
    }

    let lines: LogView[] = [];
    let closeTail: (() => void) | undefined;
    let tailBroken = false;
    let renderTimer: ReturnType<typeof setTimeout> | undefined;
    const filters = () => ({
      q: ctx.params.get('q') ?? undefined,
      level: ctx.params.get('level') ?? undefined,
      eventType: ctx.params.get('event_type') ?? undefined,
      traceId: traceId || undefined,
    });
    const following = () => !disposed && live.checked && ctx.timeRange.to === 'now';

    async function load(c: PageContext): Promise<void> {
      try {
        lines = await searchLogs({
          ...filters(),
          startMs: c.range.startMs,
          // A live tail reads up to the present moment, not the range's end when the refresh began.
          endMs: following() ? Date.now() : c.range.endMs,
          limit: MAX_LINES,
        });
        render(lines, c);
      } catch (err) {
        replace(
          results,
          err instanceof NotAvailableError ? notAvailable('Log search', err.path) : errorBox(err),
        );
      }
    }

    /** Live tail: the server's event stream when it has one, else a search every two seconds. */
    function schedule(): void {
      clearTimeout(timer);
      if (!following()) {
        closeTail?.();
        closeTail = undefined;
        return;
      }
      if (!tailBroken) {
        closeTail ??= tailLogs(
          filters(),
          (l) => {
            if (lines.some((x) => x.key === l.key)) return;
            lines = [l, ...lines].slice(0, MAX_LINES);
            // Batch bursts into one redraw.
            renderTimer ??= setTimeout(() => {
              renderTimer = undefined;
              render(lines, ctx);
            }, 200);
          },
          () => {
            tailBroken = true;
            closeTail = undefined;
            schedule();
          },
        );
        return;
      }
      timer = setTimeout(async () => {
        await load({
          ...ctx,
          range: { ...ctx.range, startMs: Date.now() - (ctx.range.endMs - ctx.range.startMs) },
        });
        schedule();
      }, TAIL_EVERY_MS);
    }

    return {
      async refresh(c) {
        ctx = c;
        await load(c);
        schedule();
      },
      dispose() {
        disposed = true;
        clearTimeout(timer);
        clearTimeout(renderTimer);
        closeTail?.();
      },
    };
  },
};
