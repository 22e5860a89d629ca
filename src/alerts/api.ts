// HTTP API of alerting on the workbench: Prometheus-shaped /api/v1/alerts and /api/v1/rules, and the
// Alertmanager v2 endpoints qobs implements (alerts in and out, silences), so amtool-style clients and
// Prometheus itself can talk to it.
import type { FastifyInstance } from 'fastify';
import type { RuleEvaluator } from './evaluator.js';
import { newMatcher } from './labels.js';
import { goTime } from './notification.js';
import type { Router } from './router.js';
import type { RuleGroup } from './rules.js';

/** What the API serves from. */
export interface AlertsApiDeps {
  readonly evaluator: RuleEvaluator;
  readonly router: Router;
  readonly groups: readonly RuleGroup[];
  readonly now?: () => number;
}

interface PostableSilence {
  id?: string;
  matchers?: { name?: string; value?: string; isRegex?: boolean; isEqual?: boolean }[];
  startsAt?: string;
  endsAt?: string;
  createdBy?: string;
  comment?: string;
}

interface PostedAlert {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** Mounts the alerting routes on a Fastify app. */
export function mountAlertsApi(app: FastifyInstance, deps: AlertsApiDeps): void {
  const now = deps.now ?? Date.now;

  app.get('/api/v1/alerts', async () => ({
    status: 'success',
    data: {
      alerts: deps.evaluator
        .alerts()
        .filter((a) => a.state !== 'inactive')
        .map((a) => ({
          labels: a.labels,
          annotations: a.annotations,
          state: a.state,
          activeAt: new Date(a.activeAtMs).toISOString(),
          value: fmtValue(a.value),
        })),
    },
  }));

  app.get('/api/v1/rules', async () => {
    const alerts = deps.evaluator.alerts();
    const health = [...deps.evaluator.health.values()];
    return {
      status: 'success',
      data: {
        groups: deps.groups.map((g) => ({
          name: g.name,
          interval: deps.evaluator.intervalMs(g) / 1000,
          rules: g.rules.map((r) => {
            const h = health.find(
              (x) => x.group === g.name && x.name === (r.kind === 'alerting' ? r.alert : r.record),
            );
            const common = {
              health: h?.health ?? 'unknown',
              lastError: h?.lastError ?? '',
              lastEvaluation:
                h?.lastEvaluationMs === undefined
                  ? '0001-01-01T00:00:00Z'
                  : new Date(h.lastEvaluationMs).toISOString(),
              labels: r.labels,
              query: r.expr,
            };
            if (r.kind === 'recording') return { name: r.record, type: 'recording', ...common };
            const mine = alerts.filter(
              (a) => a.group === g.name && a.rule === r.alert && a.state !== 'inactive',
            );
            return {
              name: r.alert,
              type: 'alerting',
              duration: r.forMs / 1000,
              keepFiringFor: r.keepFiringForMs / 1000,
              annotations: r.annotations,
              state: mine.some((a) => a.state === 'firing') ? 'firing' : mine.length ? 'pending' : 'inactive',
              alerts: mine.map((a) => ({
                labels: a.labels,
                annotations: a.annotations,
                state: a.state,
                activeAt: new Date(a.activeAtMs).toISOString(),
                value: fmtValue(a.value),
              })),
              ...common,
            };
          }),
        })),
      },
    };
  });

  app.get('/api/v2/alerts', async () =>
    deps.router.list(now()).map((a) => ({
      labels: a.labels,
      annotations: a.annotations,
      startsAt: goTime(a.startsAtMs),
      endsAt: goTime(a.endsAtMs),
      updatedAt: goTime(a.updatedAtMs),
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
      receivers: a.receivers.map((name) => ({ name })),
      status: {
        state: a.state === 'resolved' ? 'unprocessed' : a.state,
        silencedBy: a.silencedBy,
        inhibitedBy: a.inhibitedBy,
      },
    })),
  );

  app.post('/api/v2/alerts', async (req, reply) => {
    const body = req.body as PostedAlert[];
    if (!Array.isArray(body))
      return reply.code(400).send({ code: 400, message: 'body must be a list of alerts' });
    const bad = body.findIndex(
      (a) => !a || typeof a.labels !== 'object' || Object.keys(a.labels ?? {}).length === 0,
    );
    if (bad >= 0)
      return reply
        .code(400)
        .send({ code: 400, message: `alerts[${bad}].labels: at least one label is required` });
    deps.router.putAlerts(
      body.map((a) => ({
        labels: a.labels!,
        annotations: a.annotations,
        startsAtMs: a.startsAt ? Date.parse(a.startsAt) : undefined,
        endsAtMs: a.endsAt ? Date.parse(a.endsAt) : undefined,
        generatorURL: a.generatorURL,
      })),
      now(),
    );
    return reply.code(200).send();
  });

  app.get('/api/v2/silences', async () => {
    const t = now();
    return deps.router.silences().map((s) => ({
      id: s.id,
      matchers: s.matchers,
      startsAt: new Date(s.startsAtMs).toISOString(),
      endsAt: new Date(s.endsAtMs).toISOString(),
      updatedAt: new Date(s.updatedAtMs).toISOString(),
      createdBy: s.createdBy,
      comment: s.comment,
      status: { state: t < s.startsAtMs ? 'pending' : t < s.endsAtMs ? 'active' : 'expired' },
    }));
  });

  app.post('/api/v2/silences', async (req, reply) => {
    const b = (req.body ?? {}) as PostableSilence;
    const t = now();
    try {
      const matchers = (b.matchers ?? []).map((m, i) => {
        if (!m?.name) throw Object.assign(new Error(`matchers[${i}].name: required`), { status: 400 });
        const type = m.isRegex ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=';
        return newMatcher(m.name, type, m.value ?? '', `matchers[${i}].value`);
      });
      const startsAtMs = b.startsAt ? Date.parse(b.startsAt) : t;
      const endsAtMs = b.endsAt ? Date.parse(b.endsAt) : Number.NaN;
      if (Number.isNaN(startsAtMs))
        throw Object.assign(new Error('startsAt: not an RFC 3339 time'), { status: 400 });
      if (Number.isNaN(endsAtMs))
        throw Object.assign(new Error('endsAt: required, an RFC 3339 time'), { status: 400 });
      const s = deps.router.addSilence(
        { id: b.id, matchers, startsAtMs, endsAtMs, createdBy: b.createdBy ?? '', comment: b.comment ?? '' },
        t,
      );
      return { silenceID: s.id };
    } catch (e) {
      return reply.code(400).send({ code: 400, message: (e as Error).message });
    }
  });

  app.delete('/api/v2/silence/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!deps.router.expireSilence(id, now()))
      return reply.code(404).send({ code: 404, message: `silence ${id} not found or already expired` });
    return reply.code(200).send();
  });
}
