// Prometheus rule files: loading, validation (every issue with its path), and writing them back out.
import { readFileSync } from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { QobsError } from '../errors.js';
import { PromqlError, parsePromql } from '../promql/index.js';
import { parseDurationMs } from './duration.js';
import { parseTemplate, TemplateError } from './template.js';

/** One problem in a rule file: `path` is like `groups[0].rules[2].expr`. */
export interface RuleIssue {
  readonly path: string;
  readonly message: string;
}

/** A rule file that does not validate; carries every issue found, not only the first. */
export class RuleFileError extends QobsError {
  readonly issues: readonly RuleIssue[];
  readonly source: string;
  constructor(source: string, issues: RuleIssue[]) {
    super('rules_invalid', `${source}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.issues = issues;
    this.source = source;
  }
}

/** An alerting rule as written in the file, with its durations parsed. */
export interface AlertingRule {
  readonly kind: 'alerting';
  readonly alert: string;
  readonly expr: string;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** The original strings, kept so an export writes back what the user wrote. */
  readonly raw: { for?: string; keep_firing_for?: string };
}

/** A recording rule. */
export interface RecordingRule {
  readonly kind: 'recording';
  readonly record: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
}

export type Rule = AlertingRule | RecordingRule;

/** A rule group: evaluated together, in order, every `intervalMs`. */
export interface RuleGroup {
  readonly name: string;
  /** Undefined when the file gives none: the global evaluation interval applies. */
  readonly intervalMs?: number;
  readonly rawInterval?: string;
  readonly limit: number;
  readonly rules: readonly Rule[];
}

export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const GROUP_KEYS = new Set(['name', 'interval', 'limit', 'rules', 'query_offset']);
const RULE_KEYS = new Set(['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);

/**
 * Problems of a PromQL expression (empty when it parses and type-checks), from the engine's own parser, so a
 * rule that loads is one the embedded engine can evaluate.
 */
export function promqlSyntaxErrors(expr: string): string[] {
  try {
    parsePromql(expr, { mode: 'prometheus3' });
    return [];
  } catch (e) {
    if (e instanceof PromqlError) return [e.message];
    throw e;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(
  v: unknown,
  path: string,
  issues: RuleIssue[],
  checkTemplates: boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined || v === null) return out;
  if (!isRecord(v)) {
    issues.push({ path, message: 'must be a map of strings' });
    return out;
  }
  for (const [k, val] of Object.entries(v)) {
    if (!LABEL_NAME_RE.test(k)) issues.push({ path: `${path}.${k}`, message: `invalid label name '${k}'` });
    if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean') {
      issues.push({ path: `${path}.${k}`, message: 'must be a string' });
      continue;
    }
    const s = String(val);
    if (checkTemplates) {
      try {
        parseTemplate(s);
      } catch (e) {
        if (e instanceof TemplateError) issues.push({ path: `${path}.${k}`, message: e.message });
        else throw e;
      }
    }
    out[k] = s;
  }
  return out;
}

function duration(v: unknown, path: string, issues: RuleIssue[]): number | undefined {
  if (v === undefined || v === null) return undefined;
  try {
    return parseDurationMs(String(v), path);
  } catch {
    issues.push({ path, message: `not a valid duration: '${String(v)}'` });
    return undefined;
  }
}

/** Parses and validates a rule file's YAML text; throws RuleFileError listing every issue. */
export function parseRuleFile(text: string, source = 'rules'): RuleFile {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new RuleFileError(
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
    throw new RuleFileError(source, [{ path: '', message: (err as Error).message.split('\n')[0] }]);
  }
  const issues: RuleIssue[] = [];
  const groups: RuleGroup[] = [];
  if (root === null || root === undefined) return { groups };
  if (!isRecord(root))
    throw new RuleFileError(source, [{ path: '', message: 'a rule file is a map with a groups list' }]);
  for (const k of Object.keys(root)) if (k !== 'groups') issues.push({ path: k, message: 'unknown field' });
  const rawGroups = root.groups ?? [];
  if (!Array.isArray(rawGroups)) {
    throw new RuleFileError(source, [{ path: 'groups', message: 'must be a list' }]);
  }
  const names = new Set<string>();
  rawGroups.forEach((g, gi) => {
    const gp = `groups[${gi}]`;
    if (!isRecord(g)) {
      issues.push({ path: gp, message: 'must be a map' });
      return;
    }
    for (const k of Object.keys(g))
      if (!GROUP_KEYS.has(k)) issues.push({ path: `${gp}.${k}`, message: 'unknown field' });
    const name = typeof g.name === 'string' ? g.name : '';
    if (!name) issues.push({ path: `${gp}.name`, message: 'group name must not be empty' });
    else if (names.has(name))
      issues.push({ path: `${gp}.name`, message: `${name}: repeated in the same file` });
    names.add(name);
    const intervalMs = duration(g.interval, `${gp}.interval`, issues);
    if (intervalMs === 0) issues.push({ path: `${gp}.interval`, message: 'must be greater than 0' });
    const limit = g.limit === undefined ? 0 : Number(g.limit);
    if (!Number.isInteger(limit) || limit < 0)
      issues.push({ path: `${gp}.limit`, message: 'must be a non-negative integer' });
    const rules: Rule[] = [];
    const rawRules = g.rules ?? [];
    if (!Array.isArray(rawRules)) {
      issues.push({ path: `${gp}.rules`, message: 'must be a list' });
    } else {
      rawRules.forEach((r, ri) => {
        const rule = parseRule(r, `${gp}.rules[${ri}]`, issues);
        if (rule) rules.push(rule);
      });
    }
    groups.push({
      name,
      intervalMs,
      rawInterval: g.interval === undefined ? undefined : String(g.interval),
      limit,
      rules,
    });
  });
  if (issues.length > 0) throw new RuleFileError(source, issues);
  return { groups };
}

function parseRule(r: unknown, rp: string, issues: RuleIssue[]): Rule | undefined {
  if (!isRecord(r)) {
    issues.push({ path: rp, message: 'must be a map' });
    return undefined;
  }
  const before = issues.length;
  for (const k of Object.keys(r))
    if (!RULE_KEYS.has(k)) issues.push({ path: `${rp}.${k}`, message: 'unknown field' });
  const hasRecord = r.record !== undefined;
  const hasAlert = r.alert !== undefined;
  if (hasRecord === hasAlert) {
    issues.push({ path: rp, message: "one of 'record' or 'alert' must be set" });
  }
  const expr = r.expr === undefined || r.expr === null ? '' : String(r.expr);
  if (!expr) issues.push({ path: `${rp}.expr`, message: 'field expr must be set' });
  else for (const m of promqlSyntaxErrors(expr)) issues.push({ path: `${rp}.expr`, message: m });
  if (hasRecord) {
    const record = String(r.record);
    if (!METRIC_NAME_RE.test(record))
      issues.push({ path: `${rp}.record`, message: `invalid recording rule name: ${record}` });
    for (const k of ['for', 'keep_firing_for', 'annotations']) {
      if (r[k] !== undefined)
        issues.push({ path: `${rp}.${k}`, message: `invalid field '${k}' in recording rule` });
    }
    const labels = stringMap(r.labels, `${rp}.labels`, issues, false);
    if ('__name__' in labels)
      issues.push({ path: `${rp}.labels.__name__`, message: 'invalid label name: __name__' });
    if (issues.length > before) return undefined;
    return { kind: 'recording', record, expr, labels };
  }
  const alert = hasAlert ? String(r.alert) : '';
  if (hasAlert && !alert) issues.push({ path: `${rp}.alert`, message: 'alert name must not be empty' });
  const forMs = duration(r.for, `${rp}.for`, issues) ?? 0;
  const keepFiringForMs = duration(r.keep_firing_for, `${rp}.keep_firing_for`, issues) ?? 0;
  const labels = stringMap(r.labels, `${rp}.labels`, issues, true);
  const annotations = stringMap(r.annotations, `${rp}.annotations`, issues, true);
  if (issues.length > before) return undefined;
  return {
    kind: 'alerting',
    alert,
    expr,
    forMs,
    keepFiringForMs,
    labels,
    annotations,
    raw: {
      for: r.for === undefined ? undefined : String(r.for),
      keep_firing_for: r.keep_firing_for === undefined ? undefined : String(r.keep_firing_for),
    },
  };
}

/** Reads and validates a rule file from disk. */
export function loadRuleFile(path: string): RuleFile {
  return parseRuleFile(readFileSync(path, 'utf8'), path);
}

/** Writes rule groups back as a Prometheus rule file (YAML), as `promtool check rules` reads it. */
export function formatRuleFile(file: RuleFile): string {
  const groups = file.groups.map((g) => {
    const out: Record<string, unknown> = { name: g.name };
    if (g.rawInterval !== undefined) out.interval = g.rawInterval;
    if (g.limit > 0) out.limit = g.limit;
    out.rules = g.rules.map((r) => {
      if (r.kind === 'recording') {
        const o: Record<string, unknown> = { record: r.record, expr: r.expr };
        if (Object.keys(r.labels).length) o.labels = { ...r.labels };
        return o;
      }
      const o: Record<string, unknown> = { alert: r.alert, expr: r.expr };
      if (r.raw.for !== undefined) o.for = r.raw.for;
      if (r.raw.keep_firing_for !== undefined) o.keep_firing_for = r.raw.keep_firing_for;
      if (Object.keys(r.labels).length) o.labels = { ...r.labels };
      if (Object.keys(r.annotations).length) o.annotations = { ...r.annotations };
      return o;
    });
    return out;
  });
  return stringify({ groups }, { lineWidth: 0 });
}
