// Alertmanager configuration (global, route tree, inhibit_rules, receivers) parsed into the router's model,
// and written back out for a real Alertmanager. Every issue is reported with its path.
import { readFileSync } from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { QobsError } from '../errors.js';
import { formatDurationMs, parseDurationMs } from './duration.js';
import {
  type Matcher,
  matchersString,
  matcherString,
  newMatcher,
  parseMatchers,
  sortMatchers,
} from './labels.js';
import {
  type ConfigIssue,
  NOTIFIERS,
  type NotifierFactory,
  type NotifierGlobals,
} from './notifiers/index.js';

/** An Alertmanager configuration that does not validate; lists every issue with its path. */
export class RouterConfigError extends QobsError {
  readonly issues: readonly ConfigIssue[];
  /** The first issue's path, the field to fix first. */
  readonly field: string;
  constructor(source: string, issues: ConfigIssue[]) {
    super('config_invalid', `${source}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.issues = issues;
    this.field = issues[0]?.path ?? '';
  }
}

/** One route of the tree, with inherited options resolved. */
export interface Route {
  readonly receiver: string;
  readonly matchers: readonly Matcher[];
  /** Label names to group by; `all` when group_by is ['...']. */
  readonly groupBy: readonly string[] | 'all';
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly continue: boolean;
  readonly routes: readonly Route[];
  /** Alertmanager's route key: the parent's key, '/', then this route's sorted matchers. */
  readonly key: string;
  /** What the file set on this route itself (for export). */
  readonly own: Record<string, unknown>;
}

export interface InhibitRule {
  readonly sourceMatchers: readonly Matcher[];
  readonly targetMatchers: readonly Matcher[];
  readonly equal: readonly string[];
}

/** One integration of a receiver: a notifier kind and its validated configuration. */
export interface IntegrationConfig {
  readonly factory: NotifierFactory<unknown>;
  readonly config: unknown;
  /** `<receiver>/<kind>[<index>]`, the outbox's integration id. */
  readonly id: string;
}

export interface Receiver {
  readonly name: string;
  readonly integrations: readonly IntegrationConfig[];
}

/** A validated Alertmanager configuration. */
export interface RouterConfig {
  readonly resolveTimeoutMs: number;
  readonly globals: NotifierGlobals;
  readonly route: Route;
  readonly inhibitRules: readonly InhibitRule[];
  readonly receivers: ReadonlyMap<string, Receiver>;
  /** The global section as written (for export). */
  readonly rawGlobal: Record<string, unknown>;
}

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const ROUTE_KEYS = [
  'receiver',
  'group_by',
  'group_wait',
  'group_interval',
  'repeat_interval',
  'matchers',
  'match',
  'match_re',
  'continue',
  'routes',
];
const GLOBAL_KEYS = [
  'resolve_timeout',
  'smtp_from',
  'smtp_smarthost',
  'smtp_hello',
  'smtp_auth_username',
  'smtp_auth_password',
  'smtp_require_tls',
  'slack_api_url',
  'pagerduty_url',
];

type Raw = Record<string, unknown>;
const isMap = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function dur(v: unknown, path: string, issues: ConfigIssue[], fallback: number): number {
  if (v === undefined || v === null) return fallback;
  try {
    return parseDurationMs(String(v), path);
  } catch {
    issues.push({ path, message: `not a valid duration: '${String(v)}'` });
    return fallback;
  }
}

function matcherList(raw: Raw, path: string, issues: ConfigIssue[], prefix = ''): Matcher[] {
  const out: Matcher[] = [];
  const match = raw[`${prefix}match`];
  if (match !== undefined) {
    if (!isMap(match))
      issues.push({ path: `${path}.${prefix}match`, message: 'must be a map of label values' });
    else for (const [k, v] of Object.entries(match)) out.push(newMatcher(k, '=', String(v)));
  }
  const matchRe = raw[`${prefix}match_re`];
  if (matchRe !== undefined) {
    if (!isMap(matchRe))
      issues.push({ path: `${path}.${prefix}match_re`, message: 'must be a map of regular expressions' });
    else
      for (const [k, v] of Object.entries(matchRe)) {
        try {
          out.push(newMatcher(k, '=~', String(v), `${path}.${prefix}match_re.${k}`));
        } catch (e) {
          issues.push({ path: `${path}.${prefix}match_re.${k}`, message: (e as Error).message });
        }
      }
  }
  const ms = raw[`${prefix}matchers`];
  if (ms !== undefined) {
    if (!Array.isArray(ms))
      issues.push({
        path: `${path}.${prefix}matchers`,
        message: 'must be a list of matchers like severity="critical"',
      });
    else
      ms.forEach((m, i) => {
        try {
          out.push(...parseMatchers(String(m), `${path}.${prefix}matchers[${i}]`));
        } catch (e) {
          issues.push({
            path: `${path}.${prefix}matchers[${i}]`,
            message: (e as Error).message.replace(/^[^:]*: /, ''),
          });
        }
      });
  }
  return out;
}

interface Inherited {
  receiver?: string;
  groupBy: readonly string[] | 'all';
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

function parseRoute(
  raw: unknown,
  path: string,
  parent: Inherited,
  parentKey: string | undefined,
  issues: ConfigIssue[],
): Route {
  const r: Raw = isMap(raw) ? raw : {};
  if (!isMap(raw)) issues.push({ path, message: 'must be a map' });
  for (const k of Object.keys(r))
    if (!ROUTE_KEYS.includes(k)) issues.push({ path: `${path}.${k}`, message: 'unknown field' });
  const matchers = sortMatchers(matcherList(r, path, issues));
  if (parentKey === undefined && matchers.length > 0)
    issues.push({ path, message: 'the root route must not have matchers' });
  if (parentKey === undefined && r.continue !== undefined)
    issues.push({ path: `${path}.continue`, message: 'the root route cannot have continue set' });
  let groupBy = parent.groupBy;
  if (r.group_by !== undefined) {
    if (!Array.isArray(r.group_by))
      issues.push({ path: `${path}.group_by`, message: 'must be a list of label names' });
    else if (r.group_by.includes('...')) {
      if (r.group_by.length > 1)
        issues.push({
          path: `${path}.group_by`,
          message: 'cannot have wildcard group_by (`...`) and other labels at the same time',
        });
      groupBy = 'all';
    } else {
      const seen = new Set<string>();
      r.group_by.forEach((l, i) => {
        if (typeof l !== 'string' || !LABEL_NAME_RE.test(l))
          issues.push({ path: `${path}.group_by[${i}]`, message: `invalid label name '${String(l)}'` });
        else if (seen.has(l))
          issues.push({ path: `${path}.group_by[${i}]`, message: `duplicated label '${l}'` });
        seen.add(String(l));
      });
      groupBy = r.group_by.map(String);
    }
  }
  const receiver = r.receiver === undefined ? parent.receiver : String(r.receiver);
  if (!receiver) issues.push({ path: `${path}.receiver`, message: 'the root route must name a receiver' });
  const groupIntervalMs = dur(r.group_interval, `${path}.group_interval`, issues, parent.groupIntervalMs);
  const repeatIntervalMs = dur(r.repeat_interval, `${path}.repeat_interval`, issues, parent.repeatIntervalMs);
  if (groupIntervalMs === 0)
    issues.push({ path: `${path}.group_interval`, message: 'must be greater than 0' });
  if (repeatIntervalMs === 0)
    issues.push({ path: `${path}.repeat_interval`, message: 'must be greater than 0' });
  const inherited: Inherited = {
    receiver,
    groupBy,
    groupWaitMs: dur(r.group_wait, `${path}.group_wait`, issues, parent.groupWaitMs),
    groupIntervalMs,
    repeatIntervalMs,
  };
  const key = parentKey === undefined ? matchersString(matchers) : `${parentKey}/${matchersString(matchers)}`;
  const children: Route[] = [];
  if (r.routes !== undefined) {
    if (!Array.isArray(r.routes))
      issues.push({ path: `${path}.routes`, message: 'must be a list of routes' });
    else
      r.routes.forEach((c, i) => {
        children.push(parseRoute(c, `${path}.routes[${i}]`, inherited, key, issues));
      });
  }
  const own: Raw = {};
  for (const k of ROUTE_KEYS)
    if (r[k] !== undefined && k !== 'routes' && k !== 'match' && k !== 'match_re' && k !== 'matchers')
      own[k] = r[k];
  if (matchers.length) own.matchers = matchers.map(matcherString);
  return {
    receiver: receiver ?? '',
    matchers,
    groupBy: inherited.groupBy,
    groupWaitMs: inherited.groupWaitMs,
    groupIntervalMs,
    repeatIntervalMs,
    continue: r.continue === true,
    routes: children,
    key,
    own,
  };
}

function collectReceivers(route: Route, out: { receiver: string; path: string }[], path: string): void {
  out.push({ receiver: route.receiver, path: `${path}.receiver` });
  route.routes.forEach((c, i) => {
    collectReceivers(c, out, `${path}.routes[${i}]`);
  });
}

/** Validates an Alertmanager configuration given as YAML text. */
export function parseRouterConfig(
  text: string,
  source = 'alertmanager.yml',
  opts: { httpTimeoutMs?: number } = {},
): RouterConfig {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new RouterConfigError(
      source,
      doc.errors.map((e) => ({
        path: `line ${e.linePos?.[0].line ?? '?'}`,
        message: e.message.split('\n')[0],
      })),
    );
  }
  let root: unknown;
  try {
    // An alias without its anchor, or one that expands past the alias limit, fails only here.
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new RouterConfigError(source, [{ path: '', message: (err as Error).message.split('\n')[0] }]);
  }
  const issues: ConfigIssue[] = [];
  if (!isMap(root))
    throw new RouterConfigError(source, [{ path: '', message: 'the configuration must be a map' }]);
  for (const k of Object.keys(root)) {
    if (k === 'templates')
      issues.push({ path: k, message: 'custom notification templates are not supported by qobs' });
    else if (!['global', 'route', 'inhibit_rules', 'receivers'].includes(k))
      issues.push({ path: k, message: 'unknown field' });
  }
  const g: Raw = isMap(root.global) ? root.global : {};
  if (root.global !== undefined && !isMap(root.global))
    issues.push({ path: 'global', message: 'must be a map' });
  for (const k of Object.keys(g))
    if (!GLOBAL_KEYS.includes(k))
      issues.push({ path: `global.${k}`, message: 'unknown or unsupported field' });
  const str = (k: string): string | undefined => (g[k] === undefined ? undefined : String(g[k]));
  const globals: NotifierGlobals = {
    slackApiUrl: str('slack_api_url'),
    pagerdutyUrl: str('pagerduty_url') ?? 'https://events.pagerduty.com/v2/enqueue',
    smtpFrom: str('smtp_from'),
    smtpSmarthost: str('smtp_smarthost'),
    smtpHello: str('smtp_hello') ?? 'localhost',
    smtpAuthUsername: str('smtp_auth_username'),
    smtpAuthPassword: str('smtp_auth_password'),
    smtpRequireTls: g.smtp_require_tls === undefined ? true : g.smtp_require_tls === true,
    httpTimeoutMs: opts.httpTimeoutMs ?? 10_000,
  };
  const resolveTimeoutMs = dur(g.resolve_timeout, 'global.resolve_timeout', issues, 5 * 60_000);

  const receivers = new Map<string, Receiver>();
  if (!Array.isArray(root.receivers) || root.receivers.length === 0) {
    issues.push({ path: 'receivers', message: 'at least one receiver is required' });
  } else {
    root.receivers.forEach((rr, i) => {
      const path = `receivers[${i}]`;
      if (!isMap(rr)) {
        issues.push({ path, message: 'must be a map' });
        return;
      }
      const name = typeof rr.name === 'string' ? rr.name : '';
      if (!name) issues.push({ path: `${path}.name`, message: 'missing name on receiver' });
      else if (receivers.has(name))
        issues.push({ path: `${path}.name`, message: `notification config name "${name}" is not unique` });
      const integrations: IntegrationConfig[] = [];
      for (const k of Object.keys(rr)) {
        if (k === 'name') continue;
        const f = NOTIFIERS.find((n) => n.configKey === k);
        if (!f) {
          issues.push({
            path: `${path}.${k}`,
            message: `unknown or unsupported receiver type (qobs supports ${NOTIFIERS.map((n) => n.configKey).join(', ')})`,
          });
          continue;
        }
        const list = rr[k];
        if (!Array.isArray(list)) {
          issues.push({ path: `${path}.${k}`, message: 'must be a list' });
          continue;
        }
        list.forEach((c, j) => {
          const cfg = f.parse(c, `${path}.${k}[${j}]`, globals, issues);
          if (cfg !== undefined)
            integrations.push({ factory: f, config: cfg, id: `${name}/${f.kind}[${j}]` });
        });
      }
      if (name) receivers.set(name, { name, integrations });
    });
  }

  const defaults: Inherited = {
    groupBy: [],
    groupWaitMs: 30_000,
    groupIntervalMs: 5 * 60_000,
    repeatIntervalMs: 4 * 3_600_000,
  };
  if (!isMap(root.route)) issues.push({ path: 'route', message: 'no routes provided' });
  const route = parseRoute(root.route ?? {}, 'route', defaults, undefined, issues);
  const used: { receiver: string; path: string }[] = [];
  collectReceivers(route, used, 'route');
  for (const u of used)
    if (u.receiver && !receivers.has(u.receiver))
      issues.push({ path: u.path, message: `undefined receiver "${u.receiver}" used in route` });

  const inhibitRules: InhibitRule[] = [];
  if (root.inhibit_rules !== undefined) {
    if (!Array.isArray(root.inhibit_rules)) issues.push({ path: 'inhibit_rules', message: 'must be a list' });
    else
      root.inhibit_rules.forEach((ir, i) => {
        const path = `inhibit_rules[${i}]`;
        if (!isMap(ir)) {
          issues.push({ path, message: 'must be a map' });
          return;
        }
        const allowed = [
          'source_matchers',
          'target_matchers',
          'source_match',
          'target_match',
          'source_match_re',
          'target_match_re',
          'equal',
        ];
        for (const k of Object.keys(ir))
          if (!allowed.includes(k)) issues.push({ path: `${path}.${k}`, message: 'unknown field' });
        const equal = ir.equal === undefined ? [] : Array.isArray(ir.equal) ? ir.equal.map(String) : [];
        if (ir.equal !== undefined && !Array.isArray(ir.equal))
          issues.push({ path: `${path}.equal`, message: 'must be a list of label names' });
        inhibitRules.push({
          sourceMatchers: sortMatchers(matcherList(ir, path, issues, 'source_')),
          targetMatchers: sortMatchers(matcherList(ir, path, issues, 'target_')),
          equal,
        });
      });
  }
  if (issues.length > 0) throw new RouterConfigError(source, issues);
  return { resolveTimeoutMs, globals, route, inhibitRules, receivers, rawGlobal: g };
}

/** Reads and validates an Alertmanager configuration file. */
export function loadRouterConfig(path: string, opts: { httpTimeoutMs?: number } = {}): RouterConfig {
  return parseRouterConfig(readFileSync(path, 'utf8'), path, opts);
}

function routeOut(r: Route): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r.own };
  if (r.routes.length) out.routes = r.routes.map(routeOut);
  return out;
}

/** Writes the configuration as an Alertmanager YAML file with the same routes and receivers. */
export function formatAlertmanagerConfig(c: RouterConfig): string {
  const global: Record<string, unknown> = {
    ...c.rawGlobal,
    resolve_timeout: formatDurationMs(c.resolveTimeoutMs),
  };
  const receivers = [...c.receivers.values()].map((r) => {
    const out: Record<string, unknown> = { name: r.name };
    for (const i of r.integrations) {
      const k = i.factory.configKey;
      const list = (out[k] as unknown[] | undefined) ?? [];
      list.push(i.factory.toAlertmanager(i.config));
      out[k] = list;
    }
    return out;
  });
  const doc: Record<string, unknown> = { global, route: routeOut(c.route) };
  if (c.inhibitRules.length) {
    doc.inhibit_rules = c.inhibitRules.map((ir) => ({
      source_matchers: ir.sourceMatchers.map(matcherString),
      target_matchers: ir.targetMatchers.map(matcherString),
      ...(ir.equal.length ? { equal: [...ir.equal] } : {}),
    }));
  }
  doc.receivers = receivers;
  return stringify(doc, { lineWidth: 0 });
}
