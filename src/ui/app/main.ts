// The dashboard shell: navigation, time-range picker, auto-refresh, and hash routing between pages.
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { AUTH_REQUIRED_EVENT, setAuthToken } from './api.js';
import type { PageContext, PageDef, PageInstance } from './context.js';
import { errorBox, h, replace } from './dom.js';
import { alertsPage } from './pages/alerts.js';
import { costsPage } from './pages/costs.js';
import { devicesPage } from './pages/devices.js';
import { executionsPage } from './pages/executions.js';
import { explorePage } from './pages/explore.js';
import { logsPage } from './pages/logs.js';
import { overviewPage } from './pages/overview.js';
import { tracesPage } from './pages/traces.js';
import {
  DEFAULT_RANGE,
  DEFAULT_REFRESH,
  formatTime,
  parseDurationMs,
  RANGE_PRESETS,
  REFRESH_CHOICES,
  resolveRange,
  type TimeRange,
} from './time.js';

const PAGES: readonly PageDef[] = [
  overviewPage,
  devicesPage,
  executionsPage,
  tracesPage,
  logsPage,
  alertsPage,
  costsPage,
  explorePage,
];
const GLOBAL_PARAMS = ['from', 'to', 'refresh'];

interface Route {
  page: PageDef;
  range: TimeRange;
  refresh: string;
  params: URLSearchParams;
}

function parseHash(): Route {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs = ''] = raw.split('?', 2);
  const all = new URLSearchParams(qs);
  const page = PAGES.find((p) => p.id === path) ?? PAGES[0];
  const range = { from: all.get('from') ?? DEFAULT_RANGE.from, to: all.get('to') ?? DEFAULT_RANGE.to };
  const refresh = all.get('refresh') ?? DEFAULT_REFRESH;
  const params = new URLSearchParams();
  for (const [k, v] of all) if (!GLOBAL_PARAMS.includes(k)) params.set(k, v);
  return { page, range, refresh, params };
}

function buildHash(
  page: string,
  range: TimeRange,
  refresh: string,
  params: Record<string, string> = {},
): string {
  const q = new URLSearchParams();
  if (range.from !== DEFAULT_RANGE.from || range.to !== DEFAULT_RANGE.to) {
    q.set('from', range.from);
    q.set('to', range.to);
  }
  if (refresh !== DEFAULT_REFRESH) q.set('refresh', refresh);
  for (const [k, v] of Object.entries(params)) q.set(k, v);
  const s = q.toString();
  return `#/${page}${s ? `?${s}` : ''}`;
}

class Shell {
  private route = parseHash();
  private instance: PageInstance | undefined;
  private mountedKey = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshCount = 0;
  private shellError: HTMLElement | undefined;
  private generation = 0;
  private readonly nav = h('nav', { 'aria-label': 'Pages' });
  private readonly main = h('main', { id: 'main', tabindex: -1 });
  private readonly status = h('span', {
    class: 'status',
    'data-testid': 'last-refresh',
    'aria-live': 'polite',
  });
  private readonly rangeSelect = h('select', {
    id: 'range',
    'aria-label': 'Time range',
    'data-testid': 'range',
  });
  // A form, so Enter in either field applies the range.
  private readonly customBox = h('form', {
    class: 'custom-range',
    hidden: true,
    'aria-label': 'Custom time range',
  });
  private readonly fromInput = h('input', { type: 'datetime-local', step: 1, 'aria-label': 'From' });
  private readonly toInput = h('input', { type: 'datetime-local', step: 1, 'aria-label': 'To' });
  private readonly tokenInput = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    'aria-label': 'Token',
  });
  private readonly tokenForm = h(
    'form',
    { class: 'notice token-form', hidden: true, 'aria-label': 'Workbench token' },
    'This workbench requires a token (printed by qobs up, or set in its configuration). ',
    this.tokenInput,
    h('button', { type: 'submit' }, 'Use token'),
  );
  private readonly refreshSelect = h('select', {
    id: 'refresh',
    'aria-label': 'Auto-refresh',
    'data-testid': 'refresh',
  });

  start(): void {
    for (const [label, from] of RANGE_PRESETS) this.rangeSelect.append(h('option', { value: from }, label));
    this.rangeSelect.append(h('option', { value: 'custom' }, 'Custom range…'));
    for (const r of REFRESH_CHOICES)
      this.refreshSelect.append(h('option', { value: r }, r === 'off' ? 'Auto-refresh off' : `Every ${r}`));
    this.rangeSelect.addEventListener('change', () => this.onRangeChange());
    this.refreshSelect.addEventListener('change', () =>
      this.go(this.route.page.id, this.route.range, this.refreshSelect.value),
    );
    this.customBox.append(this.fromInput, ' to ', this.toInput, h('button', { type: 'submit' }, 'Apply'));
    this.customBox.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.applyCustom();
    });
    const refreshNow = h(
      'button',
      { type: 'button', 'data-testid': 'refresh-now', onclick: () => void this.refresh() },
      'Refresh',
    );
    const header = h(
      'header',
      null,
      h(
        'a',
        {
          class: 'skip',
          href: '#main',
          onclick: (e: Event) => {
            e.preventDefault();
            this.main.focus();
          },
        },
        'Skip to content',
      ),
      h('span', { class: 'brand' }, 'qobs'),
      this.nav,
      h(
        'div',
        { class: 'controls' },
        h('label', { for: 'range', class: 'sr-only' }, 'Time range'),
        this.rangeSelect,
        this.customBox,
        this.refreshSelect,
        refreshNow,
        this.status,
      ),
    );
    replace(document.body, header, this.tokenForm, this.main);
    window.addEventListener(AUTH_REQUIRED_EVENT, () => {
      if (!this.tokenForm.hidden) return;
      this.tokenForm.hidden = false;
      this.tokenInput.focus();
    });
    this.tokenForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!this.tokenInput.value.trim()) return;
      setAuthToken(this.tokenInput.value.trim());
      this.tokenInput.value = '';
      this.tokenForm.hidden = true;
      void this.refresh();
    });
    window.addEventListener('hashchange', () => this.onRoute());
    this.onRoute();
  }

  private context(): PageContext {
    const r = this.route;
    return {
      range: resolveRange(r.range, Date.now()),
      timeRange: r.range,
      params: r.params,
      navigate: (page, params) => {
        location.hash = buildHash(page, r.range, r.refresh, params);
      },
      href: (page, params) => buildHash(page, r.range, r.refresh, params),
    };
  }

  private go(page: string, range: TimeRange, refresh: string): void {
    location.hash = buildHash(page, range, refresh, Object.fromEntries(this.route.params));
  }

  private onRangeChange(): void {
    const v = this.rangeSelect.value;
    if (v === 'custom') {
      this.customBox.hidden = false;
      const r = resolveRange(this.route.range, Date.now());
      this.fromInput.value = toLocalInput(r.startMs);
      this.toInput.value = toLocalInput(r.endMs);
      this.fromInput.focus();
      return;
    }
    this.customBox.hidden = true;
    this.go(this.route.page.id, { from: v, to: 'now' }, this.route.refresh);
  }

  private applyCustom(): void {
    const from = new Date(this.fromInput.value).getTime();
    const to = new Date(this.toInput.value).getTime();
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
      this.status.textContent = 'Custom range: "To" must be after "From"';
      return;
    }
    this.go(this.route.page.id, { from: String(from), to: String(to) }, this.route.refresh);
  }

  private onRoute(): void {
    this.route = parseHash();
    const r = this.route;
    const preset = RANGE_PRESETS.find(([, from]) => from === r.range.from && r.range.to === 'now');
    this.rangeSelect.value = preset ? preset[1] : 'custom';
    this.customBox.hidden = !!preset;
    if (!preset) {
      const res = resolveRange(r.range, Date.now());
      this.fromInput.value = toLocalInput(res.startMs);
      this.toInput.value = toLocalInput(res.endMs);
    }
    this.refreshSelect.value = REFRESH_CHOICES.includes(r.refresh) ? r.refresh : DEFAULT_REFRESH;
    replace(
      this.nav,
      ...PAGES.map((p) =>
        h(
          'a',
          { href: buildHash(p.id, r.range, r.refresh), 'aria-current': p.id === r.page.id ? 'page' : null },
          p.title,
        ),
      ),
    );
    document.title = `${r.page.title} · qobs`;
    // Remount only when the page or its own parameters change; a range change just refreshes.
    const key = `${r.page.id}?${r.params.toString()}`;
    if (key !== this.mountedKey) {
      this.instance?.dispose?.();
      this.mountedKey = key;
      replace(this.main, h('h1', null, r.page.title));
      const root = h('div', { class: 'page', 'data-page': r.page.id });
      this.main.append(root);
      this.instance = r.page.mount(root, this.context());
    }
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    clearTimeout(this.timer);
    const gen = ++this.generation;
    document.body.dataset.state = 'loading';
    try {
      await this.instance?.refresh(this.context());
      if (gen !== this.generation) return;
      this.refreshCount++;
      // The first complete render, for the `ui` benchmark (read with performance.getEntriesByName).
      if (this.refreshCount === 1) performance.mark('qobs:first-render');
      this.status.textContent = `Updated ${formatTime(Date.now())}`;
      this.shellError?.remove();
    } catch (err) {
      if (gen !== this.generation) return;
      // One box for the latest failure, replaced on the next; the next refresh tries again.
      this.shellError?.remove();
      this.shellError = errorBox(err);
      this.main.append(this.shellError);
    } finally {
      if (gen === this.generation) {
        document.body.dataset.state = 'ready';
        document.body.dataset.refreshCount = String(this.refreshCount);
        const every = parseDurationMs(this.route.refresh);
        if (every) this.timer = setTimeout(() => void this.refresh(), every);
      }
    }
  }
}

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

new Shell().start();
