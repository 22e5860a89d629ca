// The Slack notifier: an incoming-webhook message naming severity, device, value and the runbook link.
import { checkUrl, postJson } from '../http.js';
import { block, compact, optBool, optString } from '../config.js';
import type { Notification, NotificationAlert } from '../../notification.js';
import type { ConfigIssue, Notifier, NotifierFactory, NotifierGlobals } from '../types.js';
import { NotifyError } from '../types.js';

/** A Slack receiver: Alertmanager's `slack_configs` entry (api_url is the incoming webhook URL). */
export interface SlackConfig {
  readonly apiUrl: string;
  readonly channel?: string;
  readonly username?: string;
  readonly sendResolved: boolean;
  readonly timeoutMs: number;
}

// Slack caps a section's text at 3000 characters and a message at 50 blocks.
const MAX_SECTION_CHARS = 3000;
const MAX_ALERT_BLOCKS = 20;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function device(a: NotificationAlert): string | undefined {
  const { provider, device } = a.labels;
  if (provider && device) return `${provider}.${device}`;
  return device || undefined;
}

function alertText(a: NotificationAlert): string {
  const lines: string[] = [];
  const icon = a.status === 'resolved' ? ':white_check_mark:' : ':rotating_light:';
  const title = a.annotations.summary || a.labels.alertname || 'alert';
  lines.push(`${icon} *${esc(title)}*`);
  const facts: string[] = [];
  if (a.labels.severity) facts.push(`*Severity:* ${esc(a.labels.severity)}`);
  const dev = device(a);
  if (dev) facts.push(`*Device:* \`${esc(dev)}\``);
  if (a.annotations.value) facts.push(`*Value:* ${esc(a.annotations.value)}`);
  if (facts.length) lines.push(facts.join('   '));
  if (a.annotations.description) lines.push(esc(a.annotations.description));
  const links: string[] = [];
  if (a.annotations.runbook_url) links.push(`<${a.annotations.runbook_url}|Runbook>`);
  if (a.generatorURL) links.push(`<${a.generatorURL}|Source>`);
  if (links.length) lines.push(links.join(' · '));
  const text = lines.join('\n');
  return text.length > MAX_SECTION_CHARS ? `${text.slice(0, MAX_SECTION_CHARS - 1)}…` : text;
}

/** Renders the Slack message for a notification (exported for tests and previews). */
export function slackMessage(
  n: Notification,
  cfg: Pick<SlackConfig, 'channel' | 'username'>,
): Record<string, unknown> {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const name = n.commonLabels.alertname ?? n.groupLabels.alertname ?? Object.values(n.groupLabels).join(' ');
  const head = `[${n.status.toUpperCase()}${n.status === 'firing' ? `:${firing}` : ''}] ${name}`;
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: head.slice(0, 150) } },
  ];
  for (const a of n.alerts.slice(0, MAX_ALERT_BLOCKS))
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: alertText(a) } });
  if (n.alerts.length > MAX_ALERT_BLOCKS) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `and ${n.alerts.length - MAX_ALERT_BLOCKS} more` }],
    });
  }
  return compact({
    channel: cfg.channel,
    username: cfg.username,
    // `text` is the notification fallback Slack shows where blocks cannot be rendered.
    text: `${head}${n.commonAnnotations.summary ? `: ${n.commonAnnotations.summary}` : ''}`,
    blocks,
  });
}

class SlackNotifier implements Notifier {
  readonly kind = 'slack';
  readonly sendResolved: boolean;
  constructor(private readonly config: SlackConfig) {
    this.sendResolved = config.sendResolved;
  }
  async send(n: Notification, signal?: AbortSignal): Promise<void> {
    const res = await postJson(this.config.apiUrl, slackMessage(n, this.config), {
      timeoutMs: this.config.timeoutMs,
      signal,
      what: 'slack',
    });
    // Incoming webhooks answer 200 with the body "ok"; anything else is an error they report in the body.
    if (res.body.trim() !== 'ok')
      throw new NotifyError(`slack: unexpected response '${res.body.slice(0, 100)}'`, {
        retryable: false,
        status: res.status,
      });
  }
}

/** Factory of Slack notifiers. */
export const slack: NotifierFactory<SlackConfig> = {
  kind: 'slack',
  configKey: 'slack_configs',
  parse(
    raw: unknown,
    path: string,
    globals: NotifierGlobals,
    issues: ConfigIssue[],
  ): SlackConfig | undefined {
    const before = issues.length;
    const r = block(raw, path, ['api_url', 'channel', 'username', 'send_resolved'], issues);
    if (!r) return undefined;
    const apiUrl = checkUrl(r.api_url ?? globals.slackApiUrl, `${path}.api_url`, issues);
    const channel = optString(r, 'channel', path, issues);
    const username = optString(r, 'username', path, issues);
    const sendResolved = optBool(r, 'send_resolved', path, issues, false);
    if (issues.length > before || !apiUrl) return undefined;
    return { apiUrl, channel, username, sendResolved, timeoutMs: globals.httpTimeoutMs };
  },
  create: (c) => new SlackNotifier(c),
  toAlertmanager: (c) =>
    compact({ api_url: c.apiUrl, channel: c.channel, username: c.username, send_resolved: c.sendResolved }),
};
