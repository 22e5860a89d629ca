// The webhook notifier: POSTs Alertmanager's webhook payload (version 4) unchanged.
import { checkUrl, postJson } from '../http.js';
import { block, compact, optBool, optInt } from '../config.js';
import type { Notification } from '../../notification.js';
import type { ConfigIssue, Notifier, NotifierFactory, NotifierGlobals } from '../types.js';

/** A webhook receiver: Alertmanager's `webhook_configs` entry. */
export interface WebhookConfig {
  readonly url: string;
  readonly sendResolved: boolean;
  readonly maxAlerts: number;
  readonly timeoutMs: number;
}

class WebhookNotifier implements Notifier {
  readonly kind = 'webhook';
  readonly sendResolved: boolean;
  constructor(private readonly config: WebhookConfig) {
    this.sendResolved = config.sendResolved;
  }
  async send(n: Notification, signal?: AbortSignal): Promise<void> {
    let body = n;
    if (this.config.maxAlerts > 0 && n.alerts.length > this.config.maxAlerts) {
      body = {
        ...n,
        alerts: n.alerts.slice(0, this.config.maxAlerts),
        truncatedAlerts: n.truncatedAlerts + n.alerts.length - this.config.maxAlerts,
      };
    }
    await postJson(this.config.url, body, {
      timeoutMs: this.config.timeoutMs,
      signal,
      what: `webhook ${new URL(this.config.url).host}`,
    });
  }
}

/** Factory of webhook notifiers. */
export const webhook: NotifierFactory<WebhookConfig> = {
  kind: 'webhook',
  configKey: 'webhook_configs',
  parse(
    raw: unknown,
    path: string,
    globals: NotifierGlobals,
    issues: ConfigIssue[],
  ): WebhookConfig | undefined {
    const before = issues.length;
    const r = block(raw, path, ['url', 'send_resolved', 'max_alerts', 'http_config'], issues);
    if (!r) return undefined;
    const url = checkUrl(r.url, `${path}.url`, issues);
    const sendResolved = optBool(r, 'send_resolved', path, issues, true);
    const maxAlerts = optInt(r, 'max_alerts', path, issues, 0);
    if (r.http_config !== undefined)
      issues.push({ path: `${path}.http_config`, message: 'not supported by qobs yet' });
    if (issues.length > before || !url) return undefined;
    return { url, sendResolved, maxAlerts, timeoutMs: globals.httpTimeoutMs };
  },
  create: (c) => new WebhookNotifier(c),
  toAlertmanager: (c) =>
    compact({ url: c.url, send_resolved: c.sendResolved, max_alerts: c.maxAlerts || undefined }),
};
