// Overview: the eight panels of the specification, in a grid; until a workload reports, a guide to sending it.
import { OVERVIEW_PANELS } from '../../../dashboards/index.js';
import { getJson, metricNames } from '../api.js';
import type { PageDef } from '../context.js';
import { h, replace } from '../dom.js';
import { panelView } from '../panel.js';

interface Status {
  otlp: { http: string; grpc: string | null };
}

/** A URL the server gave as bound; an any-address bind is reached at the host the page came from. */
function reachable(url: string): string {
  const u = new URL(url);
  if (u.hostname === '0.0.0.0' || u.hostname === '[::]') u.hostname = window.location.hostname;
  return u.origin;
}

function firstRunGuide(status: Status): HTMLElement {
  const http = reachable(status.otlp.http);
  const grpc = status.otlp.grpc ? reachable(status.otlp.grpc) : undefined;
  return h(
    'section',
    { class: 'notice first-run', 'data-testid': 'first-run', role: 'note' },
    h('h3', null, 'No quantum workload has reported yet'),
    h(
      'p',
      null,
      'Point OpenTelemetry at this workbench: traces, metrics and logs, from any language, with the span and metric names of docs/semconv.md.',
    ),
    h(
      'ul',
      null,
      h(
        'li',
        null,
        'OTLP/HTTP ',
        h('code', null, http),
        ': ',
        h('code', null, `OTEL_EXPORTER_OTLP_ENDPOINT=${http} node train.js`),
      ),
      grpc
        ? h(
            'li',
            null,
            'OTLP/gRPC ',
            h('code', null, grpc),
            ': ',
            h(
              'code',
              null,
              `OTEL_EXPORTER_OTLP_ENDPOINT=${grpc} OTEL_EXPORTER_OTLP_INSECURE=true python train.py`,
            ),
          )
        : null,
      h(
        'li',
        null,
        'A TypeScript workload: the ',
        h('code', null, 'Observer'),
        ' of the qobs package sends them itself.',
      ),
      h('li', null, 'To look around first: ', h('code', null, 'qobs up --demo'), ' runs demo workloads.'),
    ),
  );
}

export const overviewPage: PageDef = {
  id: 'overview',
  title: 'Overview',
  mount(root) {
    const views = OVERVIEW_PANELS.map(panelView);
    const guide = h('div', { 'data-testid': 'first-run-slot' });
    let reported = false;
    root.append(guide, h('div', { class: 'grid' }, ...views.map((v) => v.el)));
    const checkGuide = async () => {
      if (reported) return;
      try {
        const names = await metricNames();
        if (names.some((n) => n.startsWith('quantum_'))) {
          reported = true;
          replace(guide);
          return;
        }
        replace(guide, firstRunGuide(await getJson<Status>('/api/status')));
      } catch {
        // The guide is a courtesy: without it the panels still say what they lack.
      }
    };
    return {
      async refresh(ctx) {
        await Promise.all([checkGuide(), ...views.map((v) => v.update(ctx.range))]);
      },
      dispose() {
        for (const v of views) v.dispose();
      },
    };
  },
};
