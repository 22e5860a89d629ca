// A reader and runner of the Prometheus project's PromQL test-script format (load / eval / clear), used to check
// the engine against Prometheus' own test files.
import type { LabelMatcher, Labels, SeriesSamples, SeriesSource } from '../store/index.js';
import { matches, staleNaN } from '../store/index.js';
import { createEngine, type EngineOptions, type QueryData } from './engine.js';
import { PromqlError } from './errors.js';
import type { Mode } from './functions.js';
import { formatLabels } from './format.js';
import { MemorySeriesSource } from './memory-source.js';
import { parseDurationMs, parseNumber, unquoteString } from './parser.js';

/** Outcome of one eval block. */
export interface BlockResult {
  readonly line: number;
  readonly expr: string;
  readonly status: 'passed' | 'failed' | 'unsupported';
  readonly detail?: string;
}

/** Per-file tally of eval blocks. */
export interface ScriptResult {
  readonly passed: number;
  readonly failed: number;
  readonly unsupported: number;
  readonly blocks: BlockResult[];
}

/** One value of a series in the expanding notation: a number, a missing sample, a stale marker or a histogram. */
type SeqValue =
  | { kind: 'value'; v: number }
  | { kind: 'omitted' }
  | { kind: 'stale' }
  | { kind: 'histogram' };

/** Thrown for a script construct outside the engine's subset (a block using it counts as unsupported). */
class OutOfSubset extends Error {}

const NUM = String.raw`[+-]?(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[Ii]nf|NaN)`;
const SEQ_RE = new RegExp(`^(${NUM})(?:([+-])(${NUM.slice(5)}))?x(\\d+)$`);

/** Splits the values part of a series line into tokens, keeping `{{...}}` histograms whole. */
function tokenize(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (/\s/.test(s[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && !/\s/.test(s[j])) {
      if (s.startsWith('{{', j)) {
        const close = s.indexOf('}}', j);
        j = close < 0 ? s.length : close + 2;
      } else j++;
    }
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

/** Expands the series notation (`1+2x3`, `_x2`, `stale`, `NaN`) into values. */
export function expandValues(text: string): SeqValue[] {
  const out: SeqValue[] = [];
  for (const tok of tokenize(text)) {
    if (tok.includes('{{')) {
      const m = /x(\d+)$/.exec(tok);
      const n = m && tok.endsWith(`}}x${m[1]}`) ? Number(m[1]) + 1 : 1;
      for (let i = 0; i < n; i++) out.push({ kind: 'histogram' });
      continue;
    }
    if (tok === '_') {
      out.push({ kind: 'omitted' });
      continue;
    }
    const blank = /^_x(\d+)$/.exec(tok);
    if (blank) {
      for (let i = 0; i < Number(blank[1]); i++) out.push({ kind: 'omitted' });
      continue;
    }
    if (tok === 'stale') {
      out.push({ kind: 'stale' });
      continue;
    }
    const seq = SEQ_RE.exec(tok);
    if (seq) {
      let k = parseNumber(seq[1]) as number;
      const inc = seq[2] ? (parseNumber(seq[2] + seq[3]) as number) : 0;
      const times = Number(seq[4]);
      for (let i = 0; i <= times; i++) {
        out.push({ kind: 'value', v: k });
        k += inc;
      }
      continue;
    }
    const v = parseNumber(tok);
    if (v === undefined) throw new Error(`bad series value "${tok}"`);
    out.push({ kind: 'value', v });
  }
  return out;
}

/** Parses `name{a="b"}` (metric name optional, names may be quoted); returns labels and the rest of the line. */
export function parseSeriesDesc(line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 0;
  const s = line.trim();
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(s);
  if (name) {
    labels.__name__ = name[0];
    i = name[0].length;
  }
  if (s[i] === '{') {
    i++;
    const str = String.raw`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\`[^\`]*\``;
    const pair = new RegExp(`\\s*(?:([a-zA-Z_][a-zA-Z0-9_]*)|(${str}))\\s*(?:=\\s*(${str}))?\\s*,?`, 'y');
    while (i < s.length && s[i] !== '}') {
      pair.lastIndex = i;
      const m = pair.exec(s);
      if (!m || m[0] === '') throw new Error(`bad series description: ${line}`);
      const ln = m[1] ?? unquoteString(m[2]);
      if (m[3] === undefined) labels.__name__ = ln;
      else labels[ln] = unquoteString(m[3]);
      i = pair.lastIndex;
      while (s[i] === ' ') i++;
    }
    i++;
  }
  return { labels, rest: s.slice(i) };
}

/** Parses a test-script time (`50m`, `0`, `1.5`, `20s500ms`) into milliseconds. */
function parseTime(t: string): number {
  const d = parseDurationMs(t);
  if (d !== undefined) return d;
  const n = Number(t);
  if (!Number.isNaN(n)) return Math.round(n * 1000);
  throw new Error(`bad time "${t}"`);
}

/** A source that refuses selections touching series the runner could not load (native histograms). */
class SubsetSource implements SeriesSource {
  constructor(
    readonly inner: MemorySeriesSource,
    readonly histograms: Labels[],
  ) {}

  private guard(matchers: readonly LabelMatcher[]): void {
    if (this.histograms.some((l) => matchers.every((m) => matches(l, m)))) {
      throw new OutOfSubset('native histogram samples');
    }
  }

  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): SeriesSamples[] {
    this.guard(matchers);
    return this.inner.select(matchers, startMs, endMs);
  }
  series(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Labels[] {
    return this.inner.series(matchers, startMs, endMs);
  }
  labelNames(matchers?: readonly LabelMatcher[], startMs?: number, endMs?: number): string[] {
    return this.inner.labelNames(matchers, startMs, endMs);
  }
  labelValues(name: string, matchers?: readonly LabelMatcher[], startMs?: number, endMs?: number): string[] {
    return this.inner.labelValues(name, matchers, startMs, endMs);
  }
}

function almostEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const diff = Math.abs(a - b);
  const minNormal = 2.2250738585072014e-308;
  if (a === 0 || b === 0 || diff < minNormal) return diff < 1e-6 * minNormal;
  return diff / (Math.abs(a) + Math.abs(b)) < 1e-6;
}

interface Expected {
  labels: Record<string, string>;
  values: SeqValue[];
}

interface EvalBlock {
  line: number;
  kind: 'instant' | 'range';
  atMs: number;
  startMs: number;
  endMs: number;
  stepMs: number;
  expr: string;
  fail: boolean;
  failMsg?: string;
  failRegex?: string;
  ordered: boolean;
  expected: Expected[];
  scalar?: number;
  string?: string;
  rangeVector?: { startMs: number; stepMs: number };
  nativeHistograms: boolean;
}

function valuesToString(vals: SeqValue[]): string {
  return vals.map((v) => (v.kind === 'value' ? String(v.v) : v.kind === 'omitted' ? '_' : v.kind)).join(' ');
}

/** Compares an engine result with the block's expectation; returns a failure description or undefined. */
function check(block: EvalBlock, data: QueryData): string | undefined {
  if (block.string !== undefined) {
    if (data.resultType !== 'string') return `expected string, got ${data.resultType}`;
    return data.result[1] === block.string
      ? undefined
      : `expected string ${JSON.stringify(block.string)}, got ${JSON.stringify(data.result[1])}`;
  }
  if (block.scalar !== undefined) {
    if (data.resultType !== 'scalar') return `expected scalar, got ${data.resultType}`;
    const got = parseNumber(data.result[1]) as number;
    return almostEqual(block.scalar, got) ? undefined : `expected scalar ${block.scalar}, got ${got}`;
  }
  if (data.resultType === 'scalar' || data.resultType === 'string') {
    return `expected ${block.expected.length} series, got ${data.resultType} ${data.result[1]}`;
  }
  type GotSeries = { labels: Record<string, string>; points: Map<number, number> };
  const got: GotSeries[] =
    data.resultType === 'vector'
      ? data.result.map((r) => ({
          labels: r.metric,
          points: new Map([[0, parseNumber(r.value[1]) as number]]),
        }))
      : data.result.map((r) => ({
          labels: r.metric,
          points: new Map(r.values.map(([t, v]) => [Math.round(t * 1000), parseNumber(v) as number])),
        }));
  if (block.kind === 'instant' && !block.rangeVector && data.resultType !== 'vector')
    return `expected vector, got ${data.resultType}`;
  if (got.length !== block.expected.length) {
    return `expected ${block.expected.length} series, got ${got.length}: ${got.map((g) => formatLabels(g.labels)).join(' ')}`;
  }
  const byKey = new Map(got.map((g, i) => [formatLabels(g.labels), i]));
  for (let e = 0; e < block.expected.length; e++) {
    const exp = block.expected[e];
    const key = formatLabels(exp.labels);
    const idx = byKey.get(key);
    if (idx === undefined) return `expected series ${key} not found; got ${[...byKey.keys()].join(' ')}`;
    if (block.ordered && idx !== e) return `series ${key} at position ${idx}, expected ${e}`;
    const g = got[idx];
    if (block.kind === 'instant' && !block.rangeVector) {
      const v = exp.values[0];
      if (v?.kind !== 'value') return `unsupported expectation for ${key}`;
      const gv = g.points.get(0) as number;
      if (!almostEqual(v.v, gv)) return `${key}: expected ${v.v}, got ${gv}`;
      continue;
    }
    const start = block.rangeVector ? block.rangeVector.startMs : block.startMs;
    const step = block.rangeVector ? block.rangeVector.stepMs : block.stepMs;
    const want = new Map<number, number>();
    exp.values.forEach((v, i) => {
      if (v.kind === 'value') want.set(start + i * step, v.v);
    });
    if (want.size !== g.points.size) {
      return `${key}: expected ${valuesToString(exp.values)}, got ${[...g.points].map(([t, v]) => `${v}@${t / 1000}`).join(' ')}`;
    }
    for (const [t, v] of want) {
      const gv = g.points.get(t);
      if (gv === undefined || !almostEqual(v, gv)) {
        return `${key}: expected ${valuesToString(exp.values)}, got ${[...g.points].map(([tt, vv]) => `${vv}@${tt / 1000}`).join(' ')}`;
      }
    }
  }
  return undefined;
}

/**
 * Runs a Prometheus PromQL test script against a fresh in-memory store and qobs' engine.
 * Blocks whose expectations or queries involve native histograms, or that the engine reports as unsupported,
 * are counted as out of subset.
 */
export function runTestScript(text: string, options: EngineOptions & { mode: Mode }): ScriptResult {
  const lines = text.split('\n');
  let store = new MemorySeriesSource();
  let histograms: Labels[] = [];
  const blocks: BlockResult[] = [];
  let i = 0;
  const isBody = (l: string | undefined) =>
    l !== undefined && l.trim() !== '' && /^\s/.test(l) && !l.trim().startsWith('#');
  while (i < lines.length) {
    const raw = lines[i];
    const line = raw.trim();
    i++;
    if (line === '' || line.startsWith('#')) continue;
    if (line === 'clear') {
      store = new MemorySeriesSource();
      histograms = [];
      continue;
    }
    const load = /^load(_with_nhcb)?\s+(\S+)$/.exec(line);
    if (load) {
      const intervalMs = parseTime(load[2]);
      while (i < lines.length && lines[i].trim() !== '' && !/^(load|eval|clear)/.test(lines[i])) {
        const l = lines[i++];
        if (l.trim().startsWith('#')) continue;
        let parsed: { labels: Record<string, string>; values: SeqValue[] };
        try {
          const { labels, rest } = parseSeriesDesc(l);
          parsed = { labels, values: expandValues(rest) };
        } catch {
          // A notation the runner does not read (start timestamps `@st`): its series are out of subset.
          const { labels } = parseSeriesDesc(l.replace(/@st\b.*$/, ''));
          histograms.push(labels);
          continue;
        }
        const { labels, values } = parsed;
        if (load[1] && labels.__name__?.endsWith('_bucket') && labels.le !== undefined) {
          // load_with_nhcb also stores each classic histogram as a native one under the base name.
          const { le: _le, ...rest } = labels;
          histograms.push({ ...rest, __name__: labels.__name__.slice(0, -'_bucket'.length) });
        }
        if (values.some((v) => v.kind === 'histogram')) {
          histograms.push(labels);
          continue;
        }
        values.forEach((v, k) => {
          if (v.kind === 'value') store.append(labels, k * intervalMs, v.v);
          else if (v.kind === 'stale') store.append(labels, k * intervalMs, staleNaN());
        });
      }
      continue;
    }
    const ev = /^eval(_fail|_ordered|_warn|_info)?\s+(instant|range)\s+(.*)$/.exec(line);
    if (!ev) throw new Error(`line ${i}: unknown command: ${line}`);
    const block: EvalBlock = {
      line: i,
      kind: ev[2] as 'instant' | 'range',
      atMs: 0,
      startMs: 0,
      endMs: 0,
      stepMs: 1,
      expr: '',
      fail: ev[1] === '_fail',
      ordered: ev[1] === '_ordered',
      expected: [],
      nativeHistograms: false,
    };
    if (block.kind === 'instant') {
      const m = /^at\s+(\S+)\s+(.*)$/.exec(ev[3]);
      if (!m) throw new Error(`line ${i}: bad eval: ${line}`);
      block.atMs = parseTime(m[1]);
      block.expr = m[2];
    } else {
      const m = /^from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.*)$/.exec(ev[3]);
      if (!m) throw new Error(`line ${i}: bad eval: ${line}`);
      block.startMs = parseTime(m[1]);
      block.endMs = parseTime(m[2]);
      block.stepMs = parseTime(m[3]);
      block.expr = m[4];
    }
    while (
      i < lines.length &&
      (isBody(lines[i]) || (lines[i].trim().startsWith('#') && isBody(lines[i + 1])))
    ) {
      const l = lines[i++].trim();
      if (l.startsWith('#')) continue;
      const exp = /^expect\s+(\S+)\s*(.*)$/.exec(l);
      if (exp) {
        const [, what, arg] = exp;
        if (what === 'fail') {
          block.fail = true;
          const msg = /^msg:\s*(.*)$/.exec(arg);
          const rx = /^regex:\s*(.*)$/.exec(arg);
          if (msg) block.failMsg = msg[1];
          if (rx) block.failRegex = rx[1];
        } else if (what === 'ordered') block.ordered = true;
        else if (what === 'string') block.string = unquoteString(arg.trim());
        else if (what === 'range') {
          const rv = /^vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(arg);
          if (rv) block.rangeVector = { startMs: parseTime(rv[1]), stepMs: parseTime(rv[3]) };
        }
        // warn / info / no_warn / no_info: qobs does not emit annotations; these expectations are not checked.
        continue;
      }
      if (/^[+-]?(\d|\.|Inf|NaN|inf|nan)/.test(l) && !l.includes('{')) {
        const v = parseNumber(l);
        if (v !== undefined) {
          block.scalar = v;
          continue;
        }
      }
      const { labels, rest } = parseSeriesDesc(l);
      const values = expandValues(rest);
      if (values.some((v) => v.kind === 'histogram')) block.nativeHistograms = true;
      block.expected.push({ labels, values });
    }
    blocks.push(runBlock(block, store, histograms, options));
  }
  const count = (s: BlockResult['status']) => blocks.filter((b) => b.status === s).length;
  return { passed: count('passed'), failed: count('failed'), unsupported: count('unsupported'), blocks };
}

function runBlock(
  block: EvalBlock,
  store: MemorySeriesSource,
  histograms: Labels[],
  options: EngineOptions,
): BlockResult {
  const base = { line: block.line, expr: block.expr };
  if (block.nativeHistograms) return { ...base, status: 'unsupported', detail: 'native histograms' };
  const engine = createEngine(new SubsetSource(store, histograms), options);
  let data: QueryData;
  try {
    data =
      block.kind === 'instant'
        ? engine.instantQuery(block.expr, block.atMs)
        : engine.rangeQuery(block.expr, block.startMs, block.endMs, block.stepMs);
  } catch (err) {
    if (err instanceof OutOfSubset) return { ...base, status: 'unsupported', detail: err.message };
    if (err instanceof PromqlError && err.unsupported)
      return { ...base, status: 'unsupported', detail: err.message };
    if (err instanceof PromqlError && block.fail) {
      if (
        block.failMsg !== undefined &&
        !err.message.endsWith(block.failMsg) &&
        err.message !== block.failMsg
      ) {
        return {
          ...base,
          status: 'failed',
          detail: `expected error "${block.failMsg}", got "${err.message}"`,
        };
      }
      if (block.failRegex !== undefined && !new RegExp(block.failRegex).test(err.message)) {
        return {
          ...base,
          status: 'failed',
          detail: `expected error matching ${block.failRegex}, got "${err.message}"`,
        };
      }
      return { ...base, status: 'passed' };
    }
    return { ...base, status: 'failed', detail: `error: ${(err as Error).message}` };
  }
  if (block.fail) return { ...base, status: 'failed', detail: 'expected an error, got a result' };
  const why = check(block, data);
  return why ? { ...base, status: 'failed', detail: why } : { ...base, status: 'passed' };
}
