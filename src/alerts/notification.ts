// The notification a router hands to a notifier: Alertmanager's template data, which is also its webhook
// payload (version 4), field for field.
import { compareAlertLabels, fingerprint, type LabelSet, labelSetString } from './labels.js';

/** One alert inside a notification, as Alertmanager's webhook payload carries it. */
export interface NotificationAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339 as Go prints it. */
  startsAt: string;
  /** Go's zero time, "0001-01-01T00:00:00Z", while the alert fires. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Alertmanager webhook payload, version 4. */
export interface Notification {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: NotificationAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

/** An alert as the router holds it. `endsAtMs` 0 means unknown (it fires until resolve_timeout passes). */
export interface RouterAlert {
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAtMs: number;
  readonly endsAtMs: number;
  readonly generatorURL: string;
  readonly updatedAtMs: number;
  readonly fingerprint: string;
}

export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** Formats epoch milliseconds as Go's time.Time JSON (RFC 3339 with trailing zeros of the fraction dropped). */
export function goTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

export function isResolved(a: RouterAlert, nowMs: number): boolean {
  return a.endsAtMs !== 0 && a.endsAtMs <= nowMs;
}

function common(maps: readonly LabelSet[]): Record<string, string> {
  if (maps.length === 0) return {};
  const out: Record<string, string> = { ...maps[0] };
  for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (m[k] !== out[k]) delete out[k];
  return out;
}

/** Builds the notification for a group's alerts, as Alertmanager's template.Data and webhook do. */
export function buildNotification(opts: {
  receiver: string;
  groupKey: string;
  groupLabels: LabelSet;
  alerts: readonly RouterAlert[];
  externalURL: string;
  nowMs: number;
  maxAlerts?: number;
}): Notification {
  const sorted = [...opts.alerts].sort((a, b) => compareAlertLabels(a.labels, b.labels));
  const alerts: NotificationAlert[] = sorted.map((a) => {
    const resolved = isResolved(a, opts.nowMs);
    return {
      status: resolved ? 'resolved' : 'firing',
      labels: { ...a.labels },
      annotations: { ...a.annotations },
      startsAt: goTime(a.startsAtMs),
      // Alertmanager hides an end time that has not been reached yet.
      endsAt: resolved ? goTime(a.endsAtMs) : GO_ZERO_TIME,
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint || fingerprint(a.labels),
    };
  });
  const data: Notification = {
    receiver: opts.receiver,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: { ...opts.groupLabels },
    commonLabels: common(sorted.map((a) => a.labels)),
    commonAnnotations: common(sorted.map((a) => a.annotations)),
    externalURL: opts.externalURL,
    version: '4',
    groupKey: opts.groupKey,
    truncatedAlerts: 0,
  };
  if (opts.maxAlerts && opts.maxAlerts > 0 && alerts.length > opts.maxAlerts) {
    data.truncatedAlerts = alerts.length - opts.maxAlerts;
    data.alerts = alerts.slice(0, opts.maxAlerts);
  }
  return data;
}

/** The group key Alertmanager gives a group: route key, then the group labels. */
export function groupKeyOf(routeKey: string, groupLabels: LabelSet): string {
  return `${routeKey}:${labelSetString(groupLabels)}`;
}
