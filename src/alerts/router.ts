// The router, Alertmanager's behaviour: route tree with continue, grouping and its timers, inhibition,
// silences, deduplication against a persistent notification log, and queueing into the durable outbox.
import { createHash, randomUUID } from 'node:crypto';
import type { AlertStore, Silence, SilenceMatcher } from '../store/index.js';
import { QobsConfigError } from '../errors.js';
import type { InhibitRule, Receiver, Route, RouterConfig } from './config.js';
import { fingerprint, type LabelSet, type Matcher, matchersMatch, newMatcher } from './labels.js';
import { buildNotification, groupKeyOf, isResolved, type RouterAlert } from './notification.js';

/** An alert as posted to the router (Alertmanager API v2 shape, times in epoch ms; 0 or absent = unset). */
export interface PostableAlert {
  readonly labels: LabelSet;
  readonly annotations?: LabelSet;
  readonly startsAtMs?: number;
  readonly endsAtMs?: number;
  readonly generatorURL?: string;
}

/** An alert as the router reports it (`qobs alerts list`, the API). */
export interface AlertStatus extends RouterAlert {
  readonly state: 'active' | 'suppressed' | 'resolved';
  readonly silencedBy: string[];
  readonly inhibitedBy: string[];
  readonly receivers: string[];
}

interface Group {
  readonly key: string;
  readonly route: Route;
  readonly receiver: Receiver;
  readonly labels: LabelSet;
  readonly alerts: Map<string, RouterAlert>;
  nextFlushAtMs: number;
  hasFlushed: boolean;
}

export interface RouterOptions {
  /** Where users see alerts; goes into every payload as externalURL. */
  readonly externalURL?: string;
  /** Maximum undelivered outbox rows; beyond it the oldest pending is dropped and counted. */
  readonly maxPendingNotifications?: number;
  /** Maximum alerts held; new alerts beyond it are dropped and counted. */
  readonly maxAlerts?: number;
}

/** Counters of what the router did, for /metrics. */
export interface RouterStats {
  received: number;
  droppedAlerts: number;
  notificationsQueued: number;
  notificationsDropped: number;
}

export function toSilenceMatchers(ms: readonly Matcher[]): SilenceMatcher[] {
  return ms.map((m) => ({
    name: m.name,
    value: m.value,
    isRegex: m.type === '=~' || m.type === '!~',
    isEqual: m.type === '=' || m.type === '=~',
  }));
}

function fromSilenceMatchers(ms: readonly SilenceMatcher[]): Matcher[] {
  return ms.map((m) =>
    newMatcher(m.name, m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=', m.value),
  );
}

/** Routes an alert: the matching routes, depth first, honouring `continue` (Alertmanager's Route.Match). */
export function matchRoutes(route: Route, labels: LabelSet): Route[] {
  if (!matchersMatch(route.matchers, labels)) return [];
  const all: Route[] = [];
  for (const child of route.routes) {
    const m = matchRoutes(child, labels);
    all.push(...m);
    if (m.length > 0 && !child.continue) break;
  }
  if (all.length === 0) all.push(route);
  return all;
}

function isSubset(sub: Iterable<string>, of: ReadonlySet<string>): boolean {
  for (const x of sub) if (!of.has(x)) return false;
  return true;
}

/** Groups, mutes, deduplicates and queues notifications; drive it with `flushDue(nowMs)`. */
export class Router {
  private config: RouterConfig;
  private readonly store: AlertStore;
  private readonly alerts = new Map<string, RouterAlert>();
  private readonly groups = new Map<string, Group>();
  private silenceCache: { ms: Matcher[]; s: Silence }[] | undefined;
  private sourceCache: { nowMs: number; byRule: Map<number, Map<string, RouterAlert[]>> } | undefined;
  private readonly opts: Required<RouterOptions>;
  readonly stats: RouterStats = {
    received: 0,
    droppedAlerts: 0,
    notificationsQueued: 0,
    notificationsDropped: 0,
  };

  constructor(config: RouterConfig, store: AlertStore, opts: RouterOptions = {}) {
    this.config = config;
    this.store = store;
    this.opts = {
      externalURL: opts.externalURL ?? 'http://127.0.0.1:8000',
      maxPendingNotifications: opts.maxPendingNotifications ?? 10_000,
      maxAlerts: opts.maxAlerts ?? 50_000,
    };
  }

  /** Swaps in a new configuration; groups are rebuilt from the held alerts (the notification log keeps dedup). */
  reload(config: RouterConfig, nowMs: number): void {
    this.config = config;
    this.groups.clear();
    for (const a of this.alerts.values()) this.insert(a, nowMs);
  }

  /** Receives alerts, as Alertmanager's POST /api/v2/alerts does. */
  putAlerts(alerts: readonly PostableAlert[], nowMs: number): void {
    this.sourceCache = undefined;
    for (const p of alerts) {
      this.stats.received++;
      const labels = { ...p.labels };
      const fp = fingerprint(labels);
      let startsAtMs = p.startsAtMs || 0;
      let endsAtMs = p.endsAtMs || 0;
      if (!startsAtMs) startsAtMs = endsAtMs || nowMs;
      // No end given: the alert fires until resolve_timeout passes without an update.
      if (!endsAtMs) endsAtMs = nowMs + this.config.resolveTimeoutMs;
      const prev = this.alerts.get(fp);
      if (!prev && this.alerts.size >= this.opts.maxAlerts) {
        this.stats.droppedAlerts++;
        continue;
      }
      // Merge with a still-active alert of the same labels: it keeps its start (Alertmanager's Alert.Merge).
      if (prev && !isResolved(prev, nowMs) && prev.startsAtMs < startsAtMs) startsAtMs = prev.startsAtMs;
      const a: RouterAlert = {
        labels,
        annotations: { ...(p.annotations ?? {}) },
        startsAtMs,
        endsAtMs,
        generatorURL: p.generatorURL ?? '',
        updatedAtMs: nowMs,
        fingerprint: fp,
      };
      this.alerts.set(fp, a);
      this.insert(a, nowMs);
    }
  }

  private insert(a: RouterAlert, nowMs: number): void {
    for (const route of matchRoutes(this.config.route, a.labels)) {
      const groupLabels: Record<string, string> = {};
      if (route.groupBy === 'all') Object.assign(groupLabels, a.labels);
      else
        for (const l of route.groupBy)
          if (a.labels[l] !== undefined && a.labels[l] !== '') groupLabels[l] = a.labels[l];
      const key = groupKeyOf(route.key, groupLabels);
      let g = this.groups.get(key);
      if (!g) {
        const receiver = this.config.receivers.get(route.receiver)!;
        g = {
          key,
          route,
          receiver,
          labels: groupLabels,
          alerts: new Map(),
          nextFlushAtMs: nowMs + route.groupWaitMs,
          hasFlushed: false,
        };
        this.groups.set(key, g);
      }
      g.alerts.set(a.fingerprint, a);
      // An alert older than group_wait is flushed at once (Alertmanager does the same).
      if (!g.hasFlushed && a.startsAtMs + route.groupWaitMs < nowMs)
        g.nextFlushAtMs = Math.min(g.nextFlushAtMs, nowMs);
    }
  }

  /** The earliest time a group is due, for a scheduler; Infinity when none. */
  nextFlushAtMs(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const g of this.groups.values()) t = Math.min(t, g.nextFlushAtMs);
    return t;
  }

  private activeSilences(nowMs: number): { ms: Matcher[]; s: Silence }[] {
    if (!this.silenceCache)
      this.silenceCache = this.store.silences().map((s) => ({ s, ms: fromSilenceMatchers(s.matchers) }));
    return this.silenceCache.filter(({ s }) => s.startsAtMs <= nowMs && nowMs < s.endsAtMs);
  }

  /** Silences that mute these labels now. */
  silencedBy(labels: LabelSet, nowMs: number): string[] {
    return this.activeSilences(nowMs)
      .filter(({ ms }) => matchersMatch(ms, labels))
      .map(({ s }) => s.id);
  }

  /** Firing alerts that inhibit these labels now (Alertmanager's inhibitor). */
  inhibitedBy(labels: LabelSet, fp: string, nowMs: number): string[] {
    const out: string[] = [];
    this.config.inhibitRules.forEach((rule, i) => {
      if (!matchersMatch(rule.targetMatchers, labels)) return;
      for (const src of this.inhibitSources(i, nowMs).get(equalKey(rule, labels)) ?? []) {
        if (src.fingerprint !== fp) out.push(src.fingerprint);
      }
    });
    return out;
  }

  // Firing source alerts of each inhibit rule, indexed by their `equal` label values; built once per flush.
  private inhibitSources(i: number, nowMs: number): Map<string, RouterAlert[]> {
    if (!this.sourceCache || this.sourceCache.nowMs !== nowMs)
      this.sourceCache = { nowMs, byRule: new Map() };
    let m = this.sourceCache.byRule.get(i);
    if (!m) {
      m = new Map();
      const rule = this.config.inhibitRules[i];
      for (const src of this.alerts.values()) {
        if (isResolved(src, nowMs) || !matchersMatch(rule.sourceMatchers, src.labels)) continue;
        const k = equalKey(rule, src.labels);
        const list = m.get(k);
        if (list) list.push(src);
        else m.set(k, [src]);
      }
      this.sourceCache.byRule.set(i, m);
    }
    return m;
  }

  private muted(a: RouterAlert, nowMs: number): boolean {
    return (
      this.silencedBy(a.labels, nowMs).length > 0 ||
      this.inhibitedBy(a.labels, a.fingerprint, nowMs).length > 0
    );
  }

  /** Flushes every group that is due; returns the number of notifications queued. */
  flushDue(nowMs: number): number {
    this.silenceCache = undefined;
    let queued = 0;
    for (const g of [...this.groups.values()]) {
      // A flush further ahead than any interval means the clock stepped back: flush now (the notification log
      // decides whether anything is sent) instead of holding new alerts back by the size of the step.
      const clockStepped = g.nextFlushAtMs - nowMs > Math.max(g.route.groupWaitMs, g.route.groupIntervalMs);
      if (g.nextFlushAtMs > nowMs && !clockStepped) continue;
      queued += this.flush(g, nowMs);
      g.hasFlushed = true;
      g.nextFlushAtMs = nowMs + g.route.groupIntervalMs;
    }
    // Alertmanager garbage-collects resolved alerts; they no longer inhibit and no group holds them.
    for (const [fp, a] of this.alerts) {
      if (!isResolved(a, nowMs)) continue;
      let held = false;
      for (const g of this.groups.values()) if (g.alerts.get(fp) === a) held = true;
      if (!held) this.alerts.delete(fp);
    }
    return queued;
  }

  private flush(g: Group, nowMs: number): number {
    const snapshot = [...g.alerts.values()];
    const visible = snapshot.filter((a) => !this.muted(a, nowMs));
    const firing = new Set(visible.filter((a) => !isResolved(a, nowMs)).map((a) => a.fingerprint));
    const resolved = new Set(visible.filter((a) => isResolved(a, nowMs)).map((a) => a.fingerprint));
    const entry = this.store.nflog(g.key, g.receiver.name);
    const sendsResolved = g.receiver.integrations.some(
      (i) => (i.config as { sendResolved?: boolean }).sendResolved,
    );
    let needs: boolean;
    if (!entry) needs = firing.size > 0;
    else if (!isSubset(firing, new Set(entry.firing))) needs = true;
    else if (firing.size === 0) needs = entry.firing.length > 0;
    else if (sendsResolved && !isSubset(resolved, new Set(entry.resolved))) needs = true;
    else needs = entry.sentAtMs <= nowMs - g.route.repeatIntervalMs;

    let queued = 0;
    if (needs) {
      const deliveries: { dedupeKey: string; integration: string; payload: unknown }[] = [];
      const stateHash = createHash('sha256')
        .update(`${[...firing].sort().join(',')}|${[...resolved].sort().join(',')}|${nowMs}`)
        .digest('hex')
        .slice(0, 16);
      for (const integ of g.receiver.integrations) {
        const sendResolved = (integ.config as { sendResolved?: boolean }).sendResolved === true;
        const list = sendResolved ? visible : visible.filter((a) => firing.has(a.fingerprint));
        if (list.length === 0) continue;
        const payload = buildNotification({
          receiver: g.receiver.name,
          groupKey: g.key,
          groupLabels: g.labels,
          alerts: list,
          externalURL: this.opts.externalURL,
          nowMs,
        });
        deliveries.push({
          dedupeKey: `${g.key}\u0000${integ.id}\u0000${stateHash}`,
          integration: integ.id,
          payload,
        });
      }
      const r = this.store.recordNotification(
        g.key,
        g.receiver.name,
        { firing: [...firing].sort(), resolved: [...resolved].sort(), sentAtMs: nowMs },
        deliveries,
        nowMs,
        this.opts.maxPendingNotifications,
      );
      queued = r.queued;
      this.stats.notificationsQueued += r.queued;
      this.stats.notificationsDropped += r.dropped;
    }
    // Resolved alerts that were part of this flush leave the group (unless updated meanwhile).
    for (const a of snapshot)
      if (isResolved(a, nowMs) && g.alerts.get(a.fingerprint) === a) g.alerts.delete(a.fingerprint);
    if (g.alerts.size === 0) this.groups.delete(g.key);
    return queued;
  }

  /** Alerts held now, with their silencing, inhibition and receivers. */
  list(nowMs: number): AlertStatus[] {
    this.silenceCache = undefined;
    return [...this.alerts.values()].map((a) => {
      const silencedBy = this.silencedBy(a.labels, nowMs);
      const inhibitedBy = this.inhibitedBy(a.labels, a.fingerprint, nowMs);
      const state = isResolved(a, nowMs)
        ? 'resolved'
        : silencedBy.length || inhibitedBy.length
          ? 'suppressed'
          : 'active';
      return {
        ...a,
        state,
        silencedBy,
        inhibitedBy,
        receivers: matchRoutes(this.config.route, a.labels).map((r) => r.receiver),
      };
    });
  }

  /** Creates a silence; returns it. Throws QobsConfigError for an empty matcher list or bad times. */
  addSilence(
    s: {
      matchers: readonly Matcher[];
      startsAtMs: number;
      endsAtMs: number;
      createdBy: string;
      comment: string;
      id?: string;
    },
    nowMs: number,
  ): Silence {
    if (s.matchers.length === 0)
      throw new QobsConfigError('matchers', 'a silence needs at least one matcher');
    if (
      s.matchers.every((m) => (m.type === '=~' ? m.re!.test('') : m.type === '=' ? m.value === '' : true))
    ) {
      throw new QobsConfigError('matchers', 'at least one matcher must not match the empty string');
    }
    if (!(s.endsAtMs > s.startsAtMs)) throw new QobsConfigError('endsAt', 'must be after startsAt');
    if (s.endsAtMs <= nowMs) throw new QobsConfigError('endsAt', 'must be in the future');
    const silence: Silence = {
      id: s.id ?? randomUUID(),
      matchers: toSilenceMatchers(s.matchers),
      startsAtMs: s.startsAtMs,
      endsAtMs: s.endsAtMs,
      createdBy: s.createdBy,
      comment: s.comment,
      updatedAtMs: nowMs,
    };
    this.store.putSilence(silence);
    this.silenceCache = undefined;
    return silence;
  }

  /** Every stored silence. */
  silences(): Silence[] {
    return this.store.silences();
  }

  /** Ends a silence now; false when unknown or already expired. */
  expireSilence(id: string, nowMs: number): boolean {
    this.silenceCache = undefined;
    return this.store.expireSilence(id, nowMs);
  }
}

function equalKey(rule: InhibitRule, labels: LabelSet): string {
  return rule.equal.map((l) => labels[l] ?? '').join('\u0000');
}
