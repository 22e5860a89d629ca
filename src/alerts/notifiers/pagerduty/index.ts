// The PagerDuty notifier: Events API v2 trigger and resolve, one dedup key per alert group.
import { createHash } from 'node:crypto';
import { checkUrl, postJson } from '../http.js';
import { block, compact, optBool, optString } from '../config.js';
import type { Notification } from '../../notification.js';
import type { ConfigIssue, Notifier, NotifierFactory, NotifierGlobals } from '../types.js';
import { NotifyError } from '../types.js';

const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const SEVERITY_TEMPLATE =
  '{{ if (and .CommonLabels.severity (match "^(critical|error|warning|info)$" .CommonLabels.severity)) }}{{ .CommonLabels.severity }}{{ else }}error{{ end }}';

/** A PagerDuty receiver: Alertmanager's `pagerduty_configs` entry (Events API v2 only). */
export interface PagerDutyConfig {
  readonly routingKey: string;
  readonly url: string;
  readonly client: string;
  /** A fixed severity, or undefined to take each group's `severity` label (falling back to `error`). */
  readonly severity?: string;
  readonly sendResolved: boolean;
  readonly timeoutMs: number;
}

/** The dedup key of a group: stable across retries and restarts, as Alertmanager's (SHA-256 of the group key). */
export function pagerDutyDedupKey(groupKey: string): string {
  return createHash('sha256').update(groupKey).digest('hex');
}

/** Renders the Events API v2 event for a notification. */
export function pagerDutyEvent(
  n: Notification,
  cfg: Pick<PagerDutyConfig, 'routingKey' | 'client' | 'severity'>,
): Record<string, unknown> {
  const action = n.status === 'firing' ? 'trigger' : 'resolve';
  const event: Record<string, unknown> = {
    routing_key: cfg.routingKey,
    event_action: action,
    dedup_key: pagerDutyDedupKey(n.groupKey),
  };
  if (action === 'resolve') return event;
  const firing = n.alerts.filter((a) => a.status === 'firing');
  const name = n.commonLabels.alertname ?? Object.values(n.groupLabels).join(' ');
  const summary = `[FIRING:${firing.length}] ${name}${n.commonAnnotations.summary ? `: ${n.commonAnnotations.summary}` : ''}`;
  const labelSeverity = n.commonLabels.severity;
  const severity =
    cfg.severity ?? (labelSeverity && SEVERITIES.includes(labelSeverity) ? labelSeverity : 'error');
  const dev =
    n.commonLabels.provider && n.commonLabels.device
      ? `${n.commonLabels.provider}.${n.commonLabels.device}`
      : undefined;
  event.payload = compact({
    // PagerDuty truncates summaries at 1024 characters; do it ourselves so the cut is visible.
    summary: summary.length > 1024 ? `${summary.slice(0, 1023)}…` : summary,
    source: dev ?? cfg.client,
    severity,
    timestamp: firing[0]?.startsAt,
    component: dev,
    group: n.commonLabels.provider,
    class: n.commonLabels.alertname,
    custom_details: {
      num_firing: firing.length,
      num_resolved: n.alerts.length - firing.length,
      firing: firing.map((a) => ({ labels: a.labels, annotations: a.annotations, startsAt: a.startsAt })),
    },
  });
  event.client = cfg.client;
  if (n.externalURL) event.client_url = n.externalURL;
  const runbooks = [...new Set(firing.map((a) => a.annotations.runbook_url).filter((u): u is string => !!u))];
  if (runbooks.length) event.links = runbooks.map((href) => ({ href, text: 'Runbook' }));
  return event;
}

class PagerDutyNotifier implements Notifier {
  readonly kind = 'pagerduty';
  readonly sendResolved: boolean;
  constructor(private readonly config: PagerDutyConfig) {
    this.sendResolved = config.sendResolved;
  }
  async send(n: Notification, signal?: AbortSignal): Promise<void> {
    const res = await postJson(this.config.url, pagerDutyEvent(n, this.config), {
      timeoutMs: this.config.timeoutMs,
      signal,
      what: 'pagerduty',
    });
    let body: { status?: string } = {};
    try {
      body = JSON.parse(res.body) as { status?: string };
    } catch {
      throw new NotifyError(`pagerduty: response is not JSON: '${res.body.slice(0, 100)}'`, {
        retryable: false,
        status: res.status,
      });
    }
    if (body.status !== 'success')
      throw new NotifyError(`pagerduty: status '${body.status}'`, { retryable: false, status: res.status });
  }
}

/** Factory of PagerDuty notifiers. */
export const pagerduty: NotifierFactory<PagerDutyConfig> = {
  kind: 'pagerduty',
  configKey: 'pagerduty_configs',
  parse(
    raw: unknown,
    path: string,
    globals: NotifierGlobals,
    issues: ConfigIssue[],
  ): PagerDutyConfig | undefined {
    const before = issues.length;
    const r = block(
      raw,
      path,
      ['routing_key', 'url', 'client', 'severity', 'send_resolved', 'service_key'],
      issues,
    );
    if (!r) return undefined;
    if (r.service_key !== undefined)
      issues.push({
        path: `${path}.service_key`,
        message: 'Events API v1 is not supported; use routing_key (v2)',
      });
    const routingKey = optString(r, 'routing_key', path, issues);
    if (!routingKey)
      issues.push({ path: `${path}.routing_key`, message: 'required: the Events API v2 integration key' });
    const url = checkUrl(r.url ?? globals.pagerdutyUrl, `${path}.url`, issues);
    const client = optString(r, 'client', path, issues) ?? 'qobs';
    const severity = optString(r, 'severity', path, issues);
    if (severity !== undefined && !SEVERITIES.includes(severity)) {
      issues.push({ path: `${path}.severity`, message: `must be one of ${SEVERITIES.join(', ')}` });
    }
    const sendResolved = optBool(r, 'send_resolved', path, issues, true);
    if (issues.length > before || !url || !routingKey) return undefined;
    return { routingKey, url, client, severity, sendResolved, timeoutMs: globals.httpTimeoutMs };
  },
  create: (c) => new PagerDutyNotifier(c),
  toAlertmanager: (c) =>
    compact({
      routing_key: c.routingKey,
      url: c.url,
      client: c.client,
      // Without a fixed severity qobs takes the group's severity label; the same rule in Alertmanager's templating.
      severity: c.severity ?? SEVERITY_TEMPLATE,
      send_resolved: c.sendResolved,
    }),
};
