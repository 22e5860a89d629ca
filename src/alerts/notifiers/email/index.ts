// The email notifier: SMTP through nodemailer, one message with an HTML and a plain-text part.
import nodemailer, { type Transporter } from 'nodemailer';
import { block, compact, optBool, optString, optStringMap } from '../config.js';
import type { Notification, NotificationAlert } from '../../notification.js';
import type { ConfigIssue, Notifier, NotifierFactory, NotifierGlobals } from '../types.js';
import { NotifyError } from '../types.js';

/** An email receiver: Alertmanager's `email_configs` entry. */
export interface EmailConfig {
  readonly to: string;
  readonly from: string;
  readonly smarthost: { host: string; port: number };
  readonly hello: string;
  readonly authUsername?: string;
  readonly authPassword?: string;
  readonly requireTls: boolean;
  readonly headers: Record<string, string>;
  readonly sendResolved: boolean;
  readonly timeoutMs: number;
}

function escHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Subject line, Alertmanager style: `[FIRING:2] alertname (group label values)`. */
export function emailSubject(n: Notification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const values = Object.keys(n.groupLabels)
    .sort()
    .filter((k) => k !== 'alertname')
    .map((k) => n.groupLabels[k]);
  const name = n.groupLabels.alertname ?? n.commonLabels.alertname ?? '';
  return `[${n.status.toUpperCase()}${n.status === 'firing' ? `:${firing}` : ''}] ${name}${values.length ? ` (${values.join(' ')})` : ''}`.trim();
}

function textAlert(a: NotificationAlert): string {
  const lines = [`- ${a.status.toUpperCase()}: ${a.annotations.summary ?? a.labels.alertname ?? ''}`];
  if (a.annotations.description) lines.push(`  ${a.annotations.description}`);
  lines.push(
    `  Labels: ${Object.entries(a.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
  lines.push(`  Since: ${a.startsAt}${a.status === 'resolved' ? `  Resolved: ${a.endsAt}` : ''}`);
  if (a.annotations.runbook_url) lines.push(`  Runbook: ${a.annotations.runbook_url}`);
  if (a.generatorURL) lines.push(`  Source: ${a.generatorURL}`);
  return lines.join('\n');
}

function htmlAlert(a: NotificationAlert): string {
  const color = a.status === 'firing' ? '#d73a49' : '#28a745';
  const rows = Object.entries(a.labels)
    .map(([k, v]) => `<tr><td style="color:#666">${escHtml(k)}</td><td>${escHtml(v)}</td></tr>`)
    .join('');
  const links = [
    a.annotations.runbook_url ? `<a href="${escHtml(a.annotations.runbook_url)}">Runbook</a>` : '',
    a.generatorURL ? `<a href="${escHtml(a.generatorURL)}">Source</a>` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  return `<div style="border-left:4px solid ${color};padding:4px 12px;margin:12px 0">
<h3 style="margin:0">${escHtml(a.status.toUpperCase())}: ${escHtml(a.annotations.summary ?? a.labels.alertname ?? '')}</h3>
${a.annotations.description ? `<p>${escHtml(a.annotations.description)}</p>` : ''}
<table>${rows}</table>
<p style="color:#666">Since ${escHtml(a.startsAt)}${a.status === 'resolved' ? `, resolved ${escHtml(a.endsAt)}` : ''}</p>
${links ? `<p>${links}</p>` : ''}</div>`;
}

/** Renders subject, text and HTML bodies for a notification. */
export function emailBodies(n: Notification): { subject: string; text: string; html: string } {
  const subject = emailSubject(n);
  const text = [subject, '', ...n.alerts.map(textAlert), '', n.externalURL ? `Alerts: ${n.externalURL}` : '']
    .join('\n')
    .trim();
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<h2>${escHtml(subject)}</h2>
${n.alerts.map(htmlAlert).join('\n')}
${n.externalURL ? `<p><a href="${escHtml(n.externalURL)}">Open qobs</a></p>` : ''}
</body></html>`;
  return { subject, text, html };
}

class EmailNotifier implements Notifier {
  readonly kind = 'email';
  readonly sendResolved: boolean;
  private readonly transport: Transporter;
  constructor(private readonly config: EmailConfig) {
    this.sendResolved = config.sendResolved;
    this.transport = nodemailer.createTransport({
      host: config.smarthost.host,
      port: config.smarthost.port,
      secure: config.smarthost.port === 465,
      requireTLS: config.requireTls && config.smarthost.port !== 465,
      ignoreTLS: !config.requireTls,
      name: config.hello,
      auth: config.authUsername ? { user: config.authUsername, pass: config.authPassword ?? '' } : undefined,
      connectionTimeout: config.timeoutMs,
      greetingTimeout: config.timeoutMs,
      socketTimeout: config.timeoutMs,
    });
  }
  async send(n: Notification): Promise<void> {
    const { subject, text, html } = emailBodies(n);
    try {
      await this.transport.sendMail({
        from: this.config.from,
        to: this.config.to,
        subject,
        text,
        html,
        headers: this.config.headers,
      });
    } catch (e) {
      const err = e as Error & { responseCode?: number; code?: string };
      // SMTP 5xx replies are permanent failures; 4xx replies and connection problems are worth retrying.
      const retryable = err.responseCode === undefined || err.responseCode < 500;
      throw new NotifyError(`email: ${err.message}`, { retryable, status: err.responseCode, cause: e });
    }
  }
  close(): void {
    this.transport.close();
  }
}

function smarthost(
  v: string | undefined,
  path: string,
  issues: ConfigIssue[],
): { host: string; port: number } | undefined {
  if (!v) {
    issues.push({ path, message: 'required (here or as global.smtp_smarthost): host:port' });
    return undefined;
  }
  const m = /^(.+):(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port < 1 || port > 65535) {
    issues.push({ path, message: `must be host:port, got '${v}'` });
    return undefined;
  }
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** Factory of email notifiers. */
export const email: NotifierFactory<EmailConfig> = {
  kind: 'email',
  configKey: 'email_configs',
  parse(
    raw: unknown,
    path: string,
    globals: NotifierGlobals,
    issues: ConfigIssue[],
  ): EmailConfig | undefined {
    const before = issues.length;
    const r = block(
      raw,
      path,
      [
        'to',
        'from',
        'smarthost',
        'hello',
        'auth_username',
        'auth_password',
        'require_tls',
        'headers',
        'send_resolved',
      ],
      issues,
    );
    if (!r) return undefined;
    const to = optString(r, 'to', path, issues);
    if (!to) issues.push({ path: `${path}.to`, message: 'required: the recipient address' });
    const from = optString(r, 'from', path, issues) ?? globals.smtpFrom;
    if (!from) issues.push({ path: `${path}.from`, message: 'required (here or as global.smtp_from)' });
    const host = smarthost(
      optString(r, 'smarthost', path, issues) ?? globals.smtpSmarthost,
      `${path}.smarthost`,
      issues,
    );
    const cfg = {
      hello: optString(r, 'hello', path, issues) ?? globals.smtpHello,
      authUsername: optString(r, 'auth_username', path, issues) ?? globals.smtpAuthUsername,
      authPassword: optString(r, 'auth_password', path, issues) ?? globals.smtpAuthPassword,
      requireTls: optBool(r, 'require_tls', path, issues, globals.smtpRequireTls),
      headers: optStringMap(r, 'headers', path, issues),
      sendResolved: optBool(r, 'send_resolved', path, issues, false),
    };
    if (issues.length > before || !to || !from || !host) return undefined;
    return { to, from, smarthost: host, ...cfg, timeoutMs: globals.httpTimeoutMs };
  },
  create: (c) => new EmailNotifier(c),
  toAlertmanager: (c) =>
    compact({
      to: c.to,
      from: c.from,
      smarthost: `${c.smarthost.host}:${c.smarthost.port}`,
      hello: c.hello,
      auth_username: c.authUsername,
      auth_password: c.authPassword,
      require_tls: c.requireTls,
      headers: Object.keys(c.headers).length ? c.headers : undefined,
      send_resolved: c.sendResolved,
    }),
};
