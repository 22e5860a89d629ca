// Alerts: firing and pending alerts, and silences (create, expire).
import { NotAvailableError } from '../api.js';
import type { PageDef } from '../context.js';
import { dataTable, errorBox, h, notAvailable, replace } from '../dom.js';
import { formatTime, parseDurationMs } from '../time.js';
import { type AlertView, createSilence, expireSilence, listAlerts, listSilences } from '../workbench.js';

/** Parses `name=value, name=~regex, name!=value` into Alertmanager matchers; throws on a malformed one. */
export function parseMatchers(
  text: string,
): { name: string; value: string; isRegex: boolean; isEqual: boolean }[] {
  const out: { name: string; value: string; isRegex: boolean; isEqual: boolean }[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?$/.exec(part);
    if (!m) throw new Error(`Matcher "${part}" is not name=value, name!=value, name=~regex or name!~regex`);
    out.push({ name: m[1], value: m[3], isRegex: m[2].includes('~'), isEqual: !m[2].startsWith('!') });
  }
  if (out.length === 0) throw new Error('A silence needs at least one matcher');
  return out;
}

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
}

export const alertsPage: PageDef = {
  id: 'alerts',
  title: 'Alerts',
  mount(root) {
    const alertsBox = h('div', { class: 'results', 'data-testid': 'alerts' });
    const silencesBox = h('div', { class: 'results', 'data-testid': 'silences' });
    const matchers = h('input', {
      type: 'text',
      name: 'matchers',
      size: 50,
      placeholder: 'alertname="HighErrorRate", device="ibm_torino"',
      required: true,
    });
    const duration = h('input', { type: 'text', name: 'duration', value: '2h', size: 6, required: true });
    const createdBy = h('input', { type: 'text', name: 'created_by', value: 'dashboard', required: true });
    const comment = h('input', {
      type: 'text',
      name: 'comment',
      size: 30,
      placeholder: 'why',
      required: true,
    });
    const formStatus = h('span', { class: 'form-status', role: 'status' });
    const form = h(
      'form',
      { class: 'search silence-form', 'aria-label': 'New silence', 'data-testid': 'silence-form' },
      h('label', null, 'Matchers ', matchers),
      h('label', null, 'Duration ', duration),
      h('label', null, 'Created by ', createdBy),
      h('label', null, 'Comment ', comment),
      h('button', { type: 'submit' }, 'Create silence'),
      formStatus,
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const ms = parseDurationMs(duration.value);
        if (!ms) throw new Error('Duration must look like 30m, 2h or 1d');
        const now = Date.now();
        const id = await createSilence({
          matchers: parseMatchers(matchers.value),
          startsMs: now,
          endsMs: now + ms,
          createdBy: createdBy.value,
          comment: comment.value,
        });
        formStatus.textContent = `Silence ${id} created`;
        await load();
      } catch (err) {
        formStatus.textContent =
          err instanceof NotAvailableError
            ? 'Silences are not available in this workbench yet.'
            : `Not created: ${err instanceof Error ? err.message : String(err)}`;
      }
    });
    root.append(h('h2', null, 'Firing and pending'), alertsBox, h('h2', null, 'Silences'), form, silencesBox);

    function silenceFor(a: AlertView): void {
      // The router's labels are the rule's; matching them all silences exactly this alert.
      matchers.value = Object.entries(a.labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(', ');
      matchers.focus();
    }

    async function loadAlerts(): Promise<void> {
      try {
        const alerts = (await listAlerts()).filter(
          (a) => a.state === 'firing' || a.state === 'pending' || a.state === 'active',
        );
        alerts.sort((a, b) =>
          a.state === b.state ? a.name.localeCompare(b.name) : a.state === 'firing' ? -1 : 1,
        );
        replace(
          alertsBox,
          dataTable({
            caption: 'Alerts',
            testId: 'alerts-table',
            rows: alerts,
            empty: 'No alert is firing or pending',
            columns: [
              {
                title: 'State',
                cell: (a) => [
                  h(
                    'span',
                    { class: `badge level-${a.state === 'pending' ? 'yellow' : 'red'}` },
                    a.state === 'pending' ? 'Pending' : 'Firing',
                  ),
                  a.silencedBy.length > 0
                    ? h(
                        'span',
                        {
                          class: 'badge silenced',
                          'data-testid': 'silenced',
                          title: `Silenced by ${a.silencedBy.join(', ')}`,
                        },
                        'Silenced',
                      )
                    : null,
                ],
              },
              { title: 'Alert', cell: (a) => a.name },
              { title: 'Labels', cell: (a) => h('code', null, labelsText(a.labels)) },
              { title: 'Summary', cell: (a) => a.annotations.summary ?? a.annotations.description ?? '' },
              { title: 'Since', cell: (a) => (a.sinceMs !== undefined ? formatTime(a.sinceMs) : '–') },
              {
                title: 'Value',
                numeric: true,
                // Rounded for reading; the exact value is in the tooltip.
                cell: (a) =>
                  h(
                    'span',
                    { title: a.value },
                    Number.isFinite(Number(a.value)) && a.value !== ''
                      ? String(Number(Number(a.value).toPrecision(4)))
                      : a.value,
                  ),
              },
              {
                title: '',
                cell: (a) =>
                  h('button', { type: 'button', class: 'small', onclick: () => silenceFor(a) }, 'Silence…'),
              },
            ],
          }),
        );
      } catch (err) {
        replace(
          alertsBox,
          err instanceof NotAvailableError ? notAvailable('Alerts', err.path) : errorBox(err),
        );
      }
    }

    async function loadSilences(): Promise<void> {
      try {
        const silences = (await listSilences()).filter((s) => s.state !== 'expired');
        replace(
          silencesBox,
          dataTable({
            caption: 'Silences',
            testId: 'silences-table',
            rows: silences,
            empty: 'No active silence',
            columns: [
              {
                title: 'Matchers',
                cell: (s) =>
                  h(
                    'code',
                    null,
                    s.matchers
                      .map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}"${m.value}"`)
                      .join(', '),
                  ),
              },
              { title: 'State', cell: (s) => s.state || '–' },
              { title: 'Until', cell: (s) => (s.endsMs !== undefined ? formatTime(s.endsMs) : '–') },
              { title: 'Created by', cell: (s) => s.createdBy },
              { title: 'Comment', cell: (s) => s.comment },
              {
                title: '',
                cell: (s) =>
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'small',
                      'data-testid': 'expire',
                      onclick: async () => {
                        try {
                          await expireSilence(s.id);
                          formStatus.textContent = `Silence ${s.id} expired`;
                        } catch (err) {
                          formStatus.textContent = `Not expired: ${err instanceof Error ? err.message : String(err)}`;
                        }
                        await load();
                      },
                    },
                    'Expire',
                  ),
              },
            ],
          }),
        );
        form.hidden = false;
      } catch (err) {
        form.hidden = err instanceof NotAvailableError;
        replace(
          silencesBox,
          err instanceof NotAvailableError ? notAvailable('Silences', err.path) : errorBox(err),
        );
      }
    }

    async function load(): Promise<void> {
      await Promise.all([loadAlerts(), loadSilences()]);
    }

    return {
      async refresh() {
        await load();
      },
    };
  },
};
