// The rule evaluator: runs rule groups on the PromQL engine as Prometheus does (pending, firing, resolved,
// `for`, `keep_firing_for`), writes recording-rule results and ALERTS / ALERTS_FOR_STATE back, keeps alert
// state in the store so a restart neither forgets nor re-notifies, and hands alerts to the router.
import type { AlertStore, StoredRuleAlert } from '../store/index.js';
import { fingerprint } from './labels.js';
import type { PostableAlert } from './router.js';
import type { AlertingRule, RecordingRule, RuleGroup } from './rules.js';
import { expandTemplate } from './template.js';

/** The slice of the PromQL engine the evaluator uses (src/promql's createEngine returns it). */
export interface InstantQueryEngine {
  instantQuery(expr: string, timeMs: number): unknown;
}

/** One sample written back (a recording-rule result, ALERTS, ALERTS_FOR_STATE, or a stale marker). */
export interface RuleSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly timestampMs: number;
  readonly value: number;
}

/** Appends samples to the store (or an in-memory source in tests). */
export type AppendSamples = (samples: readonly RuleSample[]) => void;

export interface EvaluatorOptions {
  readonly engine: InstantQueryEngine;
  readonly groups: readonly RuleGroup[];
  readonly append: AppendSamples;
  /** Interval of groups that give none (Prometheus' global evaluation_interval). */
  readonly defaultIntervalMs?: number;
  /** Where alert state persists across restarts; without it state lives in memory only. */
  readonly store?: AlertStore;
  /** Receives alerts to notify, as Prometheus sends them to Alertmanager. */
  readonly notify?: (alerts: PostableAlert[], nowMs: number) => void;
  readonly externalLabels?: Readonly<Record<string, string>>;
  readonly externalURL?: string;
  /** Minimum time between re-sends of a still-firing alert (Prometheus' --rules.alert.resend-delay). */
  readonly resendDelayMs?: number;
  /** Writes a stale NaN for series a rule stopped producing; the caller provides Prometheus' stale NaN. */
  readonly staleValue?: number;
}

/** An alert of a rule, as `qobs alerts list` and the API report it. */
export interface ActiveAlert {
  readonly rule: string;
  readonly group: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: 'pending' | 'firing' | 'inactive';
  readonly value: number;
  readonly activeAtMs: number;
  readonly firedAtMs?: number;
  readonly resolvedAtMs?: number;
}

/** Health of one rule after its last evaluation. */
export interface RuleHealth {
  readonly group: string;
  readonly name: string;
  health: 'unknown' | 'ok' | 'err';
  lastError?: string;
  lastEvaluationMs?: number;
}

interface MutableAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  value: number;
  activeAtMs: number;
  firedAtMs?: number;
  resolvedAtMs?: number;
  keepFiringSinceMs?: number;
  lastSentAtMs?: number;
  validUntilMs?: number;
}

interface VecSample {
  metric: Record<string, string>;
  value: number;
}

/** How long Prometheus keeps reporting a resolved alert (notifier resolvedRetention). */
const RESOLVED_RETENTION_MS = 15 * 60_000;

class RuleEvalError extends Error {}

function toVector(data: unknown, timeMs: number): VecSample[] {
  const d = data as { resultType?: string; result?: unknown };
  if (d?.resultType === 'vector') {
    return (d.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
      metric: s.metric,
      value: parseValue(s.value[1]),
    }));
  }
  if (d?.resultType === 'scalar') {
    const v = d.result as [number, string];
    return [{ metric: {}, value: parseValue(v[1]) }];
  }
  throw new RuleEvalError(
    `rule result at ${timeMs} is a ${d?.resultType ?? 'unknown'}, not an instant vector`,
  );
}

function parseValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(s);
}

function labelsKey(l: Readonly<Record<string, string>>): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}\u0000${l[k]}`)
    .join('\u0001');
}

/** Prometheus' generator URL for an expression. */
export function generatorURL(externalURL: string, expr: string): string {
  // Go's url.QueryEscape: spaces as '+', and !'()* escaped too (encodeURIComponent leaves them).
  const q = encodeURIComponent(expr)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${externalURL.replace(/\/$/, '')}/graph?g0.expr=${q}&g0.tab=1`;
}

/** Evaluates rule groups; call `evalGroup` yourself (tests) or `start()` for real time. */
export class RuleEvaluator {
  private readonly o: EvaluatorOptions;
  private readonly active = new Map<string, Map<string, MutableAlert>>();
  private readonly lastOutput = new Map<string, Map<string, Record<string, string>>>();
  private readonly timers: NodeJS.Timeout[] = [];
  readonly health = new Map<string, RuleHealth>();

  constructor(opts: EvaluatorOptions) {
    this.o = opts;
    for (const g of opts.groups)
      g.rules.forEach((r, i) => {
        const key = this.ruleKey(g, i);
        this.health.set(key, {
          group: g.name,
          name: r.kind === 'alerting' ? r.alert : r.record,
          health: 'unknown',
        });
        if (r.kind === 'alerting') this.active.set(key, new Map());
      });
    if (opts.store) {
      for (const s of opts.store.loadRuleAlerts()) {
        const m = this.active.get(s.ruleKey);
        if (!m) continue;
        m.set(s.fingerprint, { ...s, labels: { ...s.labels }, annotations: { ...s.annotations } });
      }
    }
  }

  private ruleKey(g: RuleGroup, i: number): string {
    const r = g.rules[i];
    return `${g.name}/${i}/${r.kind === 'alerting' ? r.alert : r.record}`;
  }

  intervalMs(g: RuleGroup): number {
    return g.intervalMs ?? this.o.defaultIntervalMs ?? 60_000;
  }

  /** Evaluates every rule of one group at `tsMs`, in order, then persists and notifies. */
  evalGroup(group: RuleGroup, tsMs: number): void {
    const changed = new Map<string, StoredRuleAlert[]>();
    const toSend: PostableAlert[] = [];
    group.rules.forEach((rule, i) => {
      const key = this.ruleKey(group, i);
      const h = this.health.get(key)!;
      h.lastEvaluationMs = tsMs;
      try {
        if (rule.kind === 'recording') this.evalRecording(key, rule, tsMs);
        else {
          this.evalAlerting(key, group, rule, tsMs);
          toSend.push(...this.alertsToSend(key, group, rule, tsMs));
          changed.set(key, this.snapshot(key));
        }
        h.health = 'ok';
        h.lastError = undefined;
      } catch (e) {
        h.health = 'err';
        h.lastError = (e as Error).message;
      }
    });
    this.o.store?.saveRuleAlerts(changed);
    if (toSend.length && this.o.notify) this.o.notify(toSend, tsMs);
  }

  private writeWithStale(key: string, samples: RuleSample[], tsMs: number): void {
    const now = new Map(samples.map((s) => [labelsKey(s.labels), s.labels as Record<string, string>]));
    const prev = this.lastOutput.get(key);
    const out = [...samples];
    if (prev && this.o.staleValue !== undefined) {
      for (const [k, labels] of prev)
        if (!now.has(k)) out.push({ labels, timestampMs: tsMs, value: this.o.staleValue });
    }
    this.lastOutput.set(key, now);
    if (out.length) this.o.append(out);
  }

  private evalRecording(key: string, rule: RecordingRule, tsMs: number): void {
    const vec = toVector(this.o.engine.instantQuery(rule.expr, tsMs), tsMs);
    const seen = new Set<string>();
    const samples: RuleSample[] = vec.map((s) => {
      const labels = { ...s.metric, ...rule.labels, __name__: rule.record };
      const k = labelsKey(labels);
      if (seen.has(k))
        throw new RuleEvalError('vector contains metrics with the same labelset after applying rule labels');
      seen.add(k);
      return { labels, timestampMs: tsMs, value: s.value };
    });
    this.writeWithStale(key, samples, tsMs);
  }

  private evalAlerting(key: string, group: RuleGroup, rule: AlertingRule, tsMs: number): void {
    const vec = toVector(this.o.engine.instantQuery(rule.expr, tsMs), tsMs);
    const active = this.active.get(key)!;
    const results = new Map<
      string,
      { labels: Record<string, string>; annotations: Record<string, string>; value: number }
    >();
    for (const s of vec) {
      const data = {
        labels: s.metric,
        value: s.value,
        externalLabels: this.o.externalLabels,
        externalURL: this.o.externalURL,
      };
      const labels: Record<string, string> = { ...s.metric };
      delete labels.__name__;
      for (const [k, t] of Object.entries(rule.labels)) {
        const v = expandTemplate(t, data);
        if (v === '') delete labels[k];
        else labels[k] = v;
      }
      labels.alertname = rule.alert;
      const annotations: Record<string, string> = {};
      for (const [k, t] of Object.entries(rule.annotations)) annotations[k] = expandTemplate(t, data);
      const fp = fingerprint(labels);
      if (results.has(fp))
        throw new RuleEvalError('vector contains metrics with the same labelset after applying alert labels');
      results.set(fp, { labels, annotations, value: s.value });
    }
    if (group.limit > 0 && results.size > group.limit) {
      active.clear();
      throw new RuleEvalError(`exceeded limit of ${group.limit} with ${results.size} alerts`);
    }
    for (const [fp, r] of results) {
      const a = active.get(fp);
      if (a && a.state !== 'inactive') {
        a.value = r.value;
        a.annotations = r.annotations;
        // The clock stepped back past the start of the pending period: count `for` again from now, or the
        // alert would stay pending for the size of the step.
        if (a.state === 'pending' && a.activeAtMs > tsMs) a.activeAtMs = tsMs;
        continue;
      }
      active.set(fp, {
        fingerprint: fp,
        labels: r.labels,
        annotations: r.annotations,
        state: 'pending',
        value: r.value,
        activeAtMs: tsMs,
      });
    }
    const samples: RuleSample[] = [];
    for (const [fp, a] of active) {
      if (!results.has(fp)) {
        let keepFiring = false;
        if (a.state === 'firing' && rule.keepFiringForMs > 0) {
          if (a.keepFiringSinceMs === undefined || a.keepFiringSinceMs > tsMs) a.keepFiringSinceMs = tsMs;
          if (tsMs - a.keepFiringSinceMs < rule.keepFiringForMs) keepFiring = true;
        }
        if (
          a.state === 'pending' ||
          (a.resolvedAtMs !== undefined && tsMs - a.resolvedAtMs > RESOLVED_RETENTION_MS)
        ) {
          active.delete(fp);
        }
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAtMs = tsMs;
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSinceMs = undefined;
      }
      if (a.state === 'pending' && tsMs - a.activeAtMs >= rule.forMs) {
        a.state = 'firing';
        a.firedAtMs = tsMs;
      }
      samples.push({
        labels: { ...a.labels, __name__: 'ALERTS', alertstate: a.state },
        timestampMs: tsMs,
        value: 1,
      });
      samples.push({
        labels: { ...a.labels, __name__: 'ALERTS_FOR_STATE' },
        timestampMs: tsMs,
        value: a.activeAtMs / 1000,
      });
    }
    this.writeWithStale(key, samples, tsMs);
  }

  private alertsToSend(key: string, group: RuleGroup, rule: AlertingRule, tsMs: number): PostableAlert[] {
    const out: PostableAlert[] = [];
    const resend = this.o.resendDelayMs ?? 60_000;
    const validFor = 4 * Math.max(this.intervalMs(group), resend);
    for (const a of this.active.get(key)!.values()) {
      if (a.state === 'pending') continue;
      const needs =
        (a.resolvedAtMs !== undefined && a.resolvedAtMs > (a.lastSentAtMs ?? -1)) ||
        (a.lastSentAtMs ?? -Infinity) + resend < tsMs ||
        // Last sent "in the future": the clock stepped back; resend so the alert's endsAt is renewed.
        (a.lastSentAtMs ?? -Infinity) > tsMs;
      if (!needs) continue;
      a.lastSentAtMs = tsMs;
      a.validUntilMs = tsMs + validFor;
      out.push({
        labels: { ...this.o.externalLabels, ...a.labels },
        annotations: a.annotations,
        startsAtMs: a.firedAtMs ?? a.activeAtMs,
        endsAtMs: a.state === 'inactive' ? a.resolvedAtMs : a.validUntilMs,
        generatorURL: generatorURL(this.o.externalURL ?? 'http://127.0.0.1:8000', rule.expr),
      });
    }
    return out;
  }

  private snapshot(key: string): StoredRuleAlert[] {
    return [...this.active.get(key)!.values()].map((a) => ({ ruleKey: key, ...a }));
  }

  /** Alerts of every alerting rule (pending, firing, and resolved ones still reported). */
  alerts(): ActiveAlert[] {
    const out: ActiveAlert[] = [];
    for (const g of this.o.groups)
      g.rules.forEach((r, i) => {
        if (r.kind !== 'alerting') return;
        for (const a of this.active.get(this.ruleKey(g, i))!.values()) {
          out.push({
            rule: r.alert,
            group: g.name,
            labels: a.labels,
            annotations: a.annotations,
            state: a.state,
            value: a.value,
            activeAtMs: a.activeAtMs,
            firedAtMs: a.firedAtMs,
            resolvedAtMs: a.resolvedAtMs,
          });
        }
      });
    return out;
  }

  /** Runs every group at its interval, aligned to multiples of the interval, until `stop()`. */
  start(now: () => number = Date.now): void {
    for (const g of this.o.groups) {
      const every = this.intervalMs(g);
      const tick = () => {
        const t = now();
        try {
          this.evalGroup(g, t - (t % every));
        } catch {
          // evalGroup records failures per rule; anything else must not stop the schedule.
        }
        const next = setTimeout(tick, every - (now() % every));
        next.unref();
        this.timers[idx] = next;
      };
      const idx = this.timers.length;
      const first = setTimeout(tick, every - (now() % every));
      first.unref();
      this.timers.push(first);
    }
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
  }
}

export { fingerprint as alertFingerprint };
