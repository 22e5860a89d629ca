// The alerting plugin of the workbench: loads rule files and the routing configuration, runs the evaluator
// on the embedded PromQL engine over the store, the router and the outbox worker, and mounts the API.
import { readFileSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { createEngine, type Mode } from '../promql/index.js';
import { AlertStore, type SeriesSource, staleNaN } from '../store/index.js';
import { mountAlertsApi } from './api.js';
import { parseRouterConfig } from './config.js';
import { RuleEvaluator } from './evaluator.js';
import { OutboxWorker } from './outbox.js';
import { DEFAULT_ROUTER_CONFIG, defaultRulePackPath } from './pack.js';
import { Router } from './router.js';
import { loadRuleFile, type RuleGroup } from './rules.js';

/** The part of the workbench the plugin uses (structurally the server's Workbench). */
export interface AlertsHost {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly store: SeriesSource & {
    readonly db: BetterSqlite3.Database;
    ingest(batch: { samples: { labels: Readonly<Record<string, string>>; t: number; v: number }[] }): unknown;
  };
  addTask(stop: () => void | Promise<void>): void;
}

export interface AlertsPluginOptions {
  /** Rule files to evaluate (default: the shipped quantum pack). */
  readonly ruleFiles?: readonly string[];
  /** Alertmanager-format routing configuration file (default: one receiver without integrations). */
  readonly routerConfigFile?: string;
  /** Interval of groups that set none. */
  readonly evaluationIntervalMs?: number;
  /** Link target of notifications and runbooks (default: the workbench URL). */
  readonly externalURL?: string;
  readonly mode?: Mode;
  /** How often due groups are flushed and the outbox drained. */
  readonly tickMs?: number;
}

/** The alerting counters in Prometheus text format, for the workbench's /metrics. */
export function alertsMetricsText(
  router: Router,
  worker: OutboxWorker,
  store: AlertStore,
  evaluator: RuleEvaluator,
): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  metric('qobs_alerts_received_total', 'counter', 'Alerts received by the router.', router.stats.received);
  metric(
    'qobs_alerts_dropped_total',
    'counter',
    'New alerts dropped because the router held its maximum.',
    router.stats.droppedAlerts,
  );
  metric(
    'qobs_alert_notifications_queued_total',
    'counter',
    'Notifications queued in the outbox.',
    router.stats.notificationsQueued,
  );
  metric(
    'qobs_alert_notifications_dropped_total',
    'counter',
    'Queued notifications dropped because the outbox was full.',
    router.stats.notificationsDropped,
  );
  metric('qobs_alert_notifications_sent_total', 'counter', 'Notifications delivered.', worker.stats.sent);
  metric(
    'qobs_alert_notification_failed_attempts_total',
    'counter',
    'Delivery attempts that failed (each is retried or given up).',
    worker.stats.failedAttempts,
  );
  metric(
    'qobs_alert_notifications_dead_total',
    'counter',
    'Notifications given up (permanent failure or too old).',
    worker.stats.dead,
  );
  metric(
    'qobs_alert_outbox_pending',
    'gauge',
    'Notifications queued and not yet delivered.',
    store.pendingCount(),
  );
  const failing = [...evaluator.health.values()].filter((h) => h.health === 'err').length;
  metric('qobs_alert_rules_failing', 'gauge', 'Rules whose last evaluation failed.', failing);
  return `${lines.join('\n')}\n`;
}

/** Builds the alerting plugin; configuration errors throw here, before the workbench listens. */
export function alertsPlugin(opts: AlertsPluginOptions = {}) {
  const groups: RuleGroup[] = (opts.ruleFiles ?? [defaultRulePackPath()]).flatMap((f) => [
    ...loadRuleFile(f).groups,
  ]);
  const routerText = opts.routerConfigFile
    ? readFileSync(opts.routerConfigFile, 'utf8')
    : DEFAULT_ROUTER_CONFIG;
  const routerConfig = parseRouterConfig(
    routerText,
    opts.routerConfigFile ?? 'default routing configuration',
  );
  return {
    name: 'alerts',
    setup(wb: AlertsHost) {
      const externalURL = opts.externalURL ?? wb.url;
      const store = new AlertStore(wb.store.db);
      const router = new Router(routerConfig, store, { externalURL });
      const worker = new OutboxWorker(store, routerConfig);
      const evaluator = new RuleEvaluator({
        engine: createEngine(wb.store, { mode: opts.mode ?? 'prometheus3' }),
        groups,
        store,
        defaultIntervalMs: opts.evaluationIntervalMs ?? 60_000,
        externalURL,
        // ALERTS of a resolved alert and series a recording rule stops producing end at once, as in Prometheus.
        staleValue: staleNaN(),
        append: (samples) => {
          wb.store.ingest({
            samples: samples.map((s) => ({ labels: s.labels, t: s.timestampMs, v: s.value })),
          });
        },
        notify: (alerts, now) => router.putAlerts(alerts, now),
      });
      mountAlertsApi(wb.app, { evaluator, router, groups });
      evaluator.start();
      const tick = setInterval(() => {
        try {
          router.flushDue(Date.now());
        } catch {
          // A failed flush is retried on the next tick; the notification log keeps it from doubling.
        }
      }, opts.tickMs ?? 1000);
      tick.unref();
      worker.start(opts.tickMs ?? 1000);
      wb.addTask(async () => {
        evaluator.stop();
        clearInterval(tick);
        await worker.stop();
      });
      return {
        evaluator,
        router,
        worker,
        store,
        metricsText: () => alertsMetricsText(router, worker, store, evaluator),
      };
    },
  };
}
