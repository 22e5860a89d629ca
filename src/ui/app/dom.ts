// DOM building for the dashboard: every string becomes a text node, so data can never turn into markup.

/** A child of `h()`: strings and numbers become text nodes; null/undefined/false are skipped. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/**
 * Creates an element. Attributes starting with `on` are event listeners; every other value is set
 * with setAttribute (never innerHTML), and children strings become text nodes.
 * @example h('button', { onclick: () => go(), 'aria-label': 'Refresh' }, 'Refresh')
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

/** Appends children to a node (text for strings). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (c instanceof Node) parent.appendChild(c);
    else parent.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces all children of a node. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

/** A table whose rows can be focused and opened with Enter (or a click). */
export function dataTable<T>(opts: {
  caption: string;
  columns: readonly { title: string; cell: (row: T) => Child; numeric?: boolean }[];
  rows: readonly T[];
  onOpen?: (row: T) => void;
  empty?: string;
  testId?: string;
}): HTMLTableElement {
  const head = h(
    'tr',
    null,
    ...opts.columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : null }, c.title)),
  );
  const body = h('tbody');
  if (opts.rows.length === 0) {
    body.append(
      h('tr', null, h('td', { colspan: opts.columns.length, class: 'empty' }, opts.empty ?? 'No data')),
    );
  }
  for (const row of opts.rows) {
    const tr = h(
      'tr',
      null,
      ...opts.columns.map((c) => h('td', { class: c.numeric ? 'num' : null }, c.cell(row))),
    );
    if (opts.onOpen) {
      const open = opts.onOpen;
      tr.tabIndex = 0;
      tr.classList.add('clickable');
      tr.addEventListener('click', () => open(row));
      tr.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          open(row);
        } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
          ev.preventDefault();
          const next = (
            ev.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling
          ) as HTMLElement | null;
          next?.focus();
        }
      });
    }
    body.append(tr);
  }
  return h(
    'table',
    { class: 'data', 'data-testid': opts.testId ?? null },
    h('caption', { class: 'sr-only' }, opts.caption),
    h('thead', null, head),
    body,
  );
}

/** A notice for an API that this workbench does not serve (404): says so, shows no made-up data. */
export function notAvailable(what: string, path: string): HTMLElement {
  return h(
    'div',
    { class: 'notice', role: 'status', 'data-testid': 'not-available' },
    h('strong', null, `${what} is not available in this workbench yet.`),
    ' The server answered 404 for ',
    h('code', null, path),
    '.',
  );
}

/** A visible error box (the page keeps working; the next refresh tries again). */
export function errorBox(err: unknown): HTMLElement {
  const msg = err instanceof Error ? err.message : String(err);
  return h('div', { class: 'error', role: 'alert' }, msg);
}
