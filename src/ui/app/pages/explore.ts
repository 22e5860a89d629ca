// Explore: a PromQL box with metric-name completion, a graph and a table of the result.
import { metricNames, NotAvailableError, queryInstant, queryRange } from '../api.js';
import { linesFrom, timeSeriesChart } from '../charts.js';
import type { PageContext, PageDef } from '../context.js';
import { dataTable, errorBox, h, notAvailable, replace } from '../dom.js';
import { legendFor } from '../../../dashboards/index.js';
import { expandExpr } from '../time.js';

/** The identifier being typed at `pos`, with where it starts. */
export function wordAt(text: string, pos: number): { word: string; start: number } {
  let start = pos;
  while (start > 0 && /[a-zA-Z0-9_:]/.test(text[start - 1])) start--;
  return { word: text.slice(start, pos), start };
}

export const explorePage: PageDef = {
  id: 'explore',
  title: 'Explore',
  mount(root, mountCtx) {
    let ctx = mountCtx;
    let names: string[] = [];
    let active = -1;
    let disposeChart: (() => void) | undefined;
    const input = h('textarea', {
      id: 'promql',
      rows: 2,
      spellcheck: 'false',
      role: 'combobox',
      'aria-autocomplete': 'list',
      'aria-expanded': 'false',
      'aria-controls': 'completions',
      'aria-label': 'PromQL expression',
      placeholder: 'rate(quantum_circuit_executions_total[5m])  (Enter runs, Shift+Enter for a new line)',
    });
    input.value = mountCtx.params.get('q') ?? '';
    const list = h('ul', {
      id: 'completions',
      role: 'listbox',
      class: 'completions',
      hidden: true,
      'aria-label': 'Metric names',
    });
    const graph = h('div', { class: 'chart', 'data-testid': 'explore-graph' });
    const table = h('div', { class: 'results', 'data-testid': 'explore-table' });
    const run = h('button', { type: 'button' }, 'Run');
    root.append(
      h('div', { class: 'explore-box' }, h('label', { for: 'promql' }, 'PromQL'), input, list, run),
      h('h2', null, 'Graph'),
      graph,
      h('h2', null, 'Table'),
      table,
    );

    const close = () => {
      list.hidden = true;
      active = -1;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
    };
    const accept = (name: string) => {
      const { start } = wordAt(input.value, input.selectionStart);
      const end = input.selectionStart;
      input.value = input.value.slice(0, start) + name + input.value.slice(end);
      input.selectionStart = input.selectionEnd = start + name.length;
      close();
      input.focus();
    };
    const highlight = () => {
      Array.from(list.children).forEach((li, i) => {
        li.setAttribute('aria-selected', String(i === active));
      });
      if (active >= 0) input.setAttribute('aria-activedescendant', `completion-${active}`);
    };
    const suggest = () => {
      const { word } = wordAt(input.value, input.selectionStart);
      const hits = word.length >= 1 ? names.filter((n) => n.includes(word) && n !== word).slice(0, 12) : [];
      replace(
        list,
        hits.map((n, i) => {
          const li = h('li', { id: `completion-${i}`, role: 'option', 'aria-selected': 'false' }, n);
          li.addEventListener('mousedown', (ev) => {
            ev.preventDefault();
            accept(n);
          });
          return li;
        }),
      );
      list.hidden = hits.length === 0;
      input.setAttribute('aria-expanded', String(hits.length > 0));
      active = -1;
    };
    input.addEventListener('input', suggest);
    input.addEventListener('blur', () => setTimeout(close, 100));
    input.addEventListener('keydown', (ev) => {
      const open = !list.hidden && list.children.length > 0;
      if (open && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')) {
        ev.preventDefault();
        const n = list.children.length;
        active = ev.key === 'ArrowDown' ? (active + 1) % n : (active - 1 + n) % n;
        highlight();
      } else if (open && (ev.key === 'Tab' || ev.key === 'Enter') && active >= 0) {
        ev.preventDefault();
        accept(list.children[active].textContent ?? '');
      } else if (open && ev.key === 'Escape') {
        close();
      } else if (ev.key === 'Enter' && !ev.shiftKey) {
        ev.preventDefault();
        submit();
      }
    });
    run.addEventListener('click', () => submit());

    function submit(): void {
      close();
      ctx.navigate('explore', input.value.trim() ? { q: input.value.trim() } : {});
    }

    async function execute(c: PageContext): Promise<void> {
      const q = c.params.get('q');
      disposeChart?.();
      disposeChart = undefined;
      if (!q) {
        replace(graph, h('p', { class: 'muted' }, 'Type an expression and press Enter.'));
        replace(table);
        return;
      }
      const expr = expandExpr(q, c.range);
      try {
        const [matrix, vector] = await Promise.all([
          queryRange(expr, c.range.startMs, c.range.endMs, c.range.stepSeconds).catch(
            (err: unknown) => err as Error,
          ),
          queryInstant(expr, c.range.endMs),
        ]);
        replace(
          table,
          dataTable({
            caption: 'Result at the end of the range',
            rows: vector,
            empty: 'Empty result',
            columns: [
              { title: 'Series', cell: (s) => h('code', null, legendFor('', s.metric)) },
              { title: 'Value', cell: (s) => s.value[1], numeric: true },
            ],
          }),
        );
        if (matrix instanceof Error) {
          // An expression that is not a range-queryable vector (a range selector) still has its table.
          replace(graph, h('p', { class: 'muted' }, `No graph: ${matrix.message}`));
        } else if (matrix.length === 0) {
          replace(graph, h('p', { class: 'no-data' }, 'No data in this range'));
        } else {
          replace(graph);
          disposeChart = timeSeriesChart(
            graph,
            linesFrom(matrix, (s) => legendFor('', s.metric)),
            'short',
            [c.range.startMs / 1000, c.range.endMs / 1000],
            240,
          );
        }
      } catch (err) {
        replace(graph);
        replace(
          table,
          err instanceof NotAvailableError ? notAvailable('The PromQL API', err.path) : errorBox(err),
        );
      }
    }

    return {
      async refresh(c) {
        ctx = c;
        if (names.length === 0) names = await metricNames().catch(() => []);
        await execute(c);
      },
      dispose() {
        disposeChart?.();
      },
    };
  },
};
