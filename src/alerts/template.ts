// Prometheus alert templating: the subset of Go text/template that rule labels and annotations use
// ({{ $labels.device }}, {{ $value | humanize }}, printf, if/else), with Prometheus' functions.
import { QobsError } from '../errors.js';
import { formatValue, goG, goSprintf } from './gofmt.js';

/** A template that does not parse, or fails while running; `position` is the offset in the source. */
export class TemplateError extends QobsError {
  readonly position: number;
  constructor(message: string, position: number) {
    super('template_invalid', message);
    this.position = position;
  }
}

/** What an alert template sees: Prometheus binds $labels, $value, $externalLabels and $externalURL. */
export interface TemplateData {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly externalLabels?: Readonly<Record<string, string>>;
  readonly externalURL?: string;
}

type Value = string | number | boolean | Readonly<Record<string, string>> | null;

type Operand =
  | { t: 'lit'; v: Value }
  | { t: 'var'; name: string; fields: string[] }
  | { t: 'dot'; fields: string[] }
  | { t: 'fn'; name: string }
  | { t: 'pipe'; pipe: Pipeline };
type Command = Operand[];
interface Pipeline {
  cmds: Command[];
  pos: number;
}
type Node =
  | { t: 'text'; s: string }
  | { t: 'out'; pipe: Pipeline }
  | { t: 'if'; branches: { cond: Pipeline; body: Node[] }[]; otherwise: Node[] };

const FUNCS = new Set([
  'humanize',
  'humanize1024',
  'humanizeDuration',
  'humanizePercentage',
  'humanizeTimestamp',
  'printf',
  'title',
  'toUpper',
  'toLower',
  'reReplaceAll',
  'match',
  'safeHtml',
  'stripPort',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'and',
  'or',
  'not',
  'len',
  'index',
  'print',
  'urlquery',
]);

interface Action {
  body: string;
  pos: number;
}

function tokenize(src: string): (string | Action)[] {
  const out: (string | Action)[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) out.push(text);
      break;
    }
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    if (text) out.push(text);
    const close = findClose(src, start);
    if (close < 0) throw new TemplateError(`unclosed action at offset ${open}`, open);
    let end = close;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) {
      end = close - 1;
      trimNext = true;
    }
    out.push({ body: src.slice(start, end).trim(), pos: open });
    i = close + 2;
  }
  return out;
}

function findClose(src: string, from: number): number {
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === '"') {
      i++;
      while (i < src.length && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
    } else if (c === '`') {
      i = src.indexOf('`', i + 1);
      if (i < 0) return -1;
    } else if (c === '}' && src[i + 1] === '}') {
      return i;
    }
    i++;
  }
  return -1;
}

class PipeParser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly pos: number,
  ) {}

  private fail(msg: string): never {
    throw new TemplateError(`template: ${msg} at offset ${this.pos}`, this.pos);
  }
  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  parse(): Pipeline {
    const p = this.pipeline();
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected '${this.s.slice(this.i)}'`);
    return p;
  }
  private pipeline(): Pipeline {
    const cmds: Command[] = [];
    for (;;) {
      cmds.push(this.command());
      this.ws();
      if (this.s[this.i] === '|') {
        this.i++;
        continue;
      }
      break;
    }
    return { cmds, pos: this.pos };
  }
  private command(): Command {
    const ops: Operand[] = [];
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === undefined || c === '|' || c === ')') break;
      ops.push(this.operand());
    }
    if (ops.length === 0) this.fail('empty command');
    return ops;
  }
  private fields(): string[] {
    const f: string[] = [];
    while (this.s[this.i] === '.' && /[A-Za-z_]/.test(this.s[this.i + 1] ?? '')) {
      this.i++;
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))!;
      f.push(m[0]);
      this.i += m[0].length;
    }
    return f;
  }
  private operand(): Operand {
    const rest = this.s.slice(this.i);
    const c = rest[0];
    if (c === '(') {
      this.i++;
      const pipe = this.pipeline();
      this.ws();
      if (this.s[this.i] !== ')') this.fail("missing ')'");
      this.i++;
      return { t: 'pipe', pipe };
    }
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(rest);
      if (!m) this.fail('unterminated string');
      this.i += m[0].length;
      return { t: 'lit', v: JSON.parse(m[0]) as string };
    }
    if (c === '`') {
      const end = rest.indexOf('`', 1);
      if (end < 0) this.fail('unterminated raw string');
      this.i += end + 1;
      return { t: 'lit', v: rest.slice(1, end) };
    }
    if (c === '$') {
      const m = /^\$[A-Za-z0-9_]*/.exec(rest)!;
      this.i += m[0].length;
      return { t: 'var', name: m[0], fields: this.fields() };
    }
    if (c === '.') {
      if (!/[A-Za-z_]/.test(rest[1] ?? '')) {
        this.i++;
        return { t: 'dot', fields: [] };
      }
      return { t: 'dot', fields: this.fields() };
    }
    const num = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/.exec(rest);
    if (num) {
      this.i += num[0].length;
      return { t: 'lit', v: Number(num[0]) };
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (id) {
      this.i += id[0].length;
      if (id[0] === 'true' || id[0] === 'false') return { t: 'lit', v: id[0] === 'true' };
      if (id[0] === 'nil') return { t: 'lit', v: null };
      if (!FUNCS.has(id[0])) this.fail(`function "${id[0]}" not defined`);
      return { t: 'fn', name: id[0] };
    }
    this.fail(`unexpected '${c}'`);
  }
}

function parseNodes(tokens: (string | Action)[]): Node[] {
  let k = 0;
  const block = (stopAt: Set<string>): { nodes: Node[]; stop?: Action } => {
    const nodes: Node[] = [];
    while (k < tokens.length) {
      const tok = tokens[k++];
      if (typeof tok === 'string') {
        nodes.push({ t: 'text', s: tok });
        continue;
      }
      const body = tok.body;
      if (body.startsWith('/*')) {
        if (!body.endsWith('*/')) throw new TemplateError(`unclosed comment at offset ${tok.pos}`, tok.pos);
        continue;
      }
      const word = /^[a-z]+/.exec(body)?.[0] ?? '';
      if (word === 'end' || word === 'else') {
        if (!stopAt.has(word))
          throw new TemplateError(`unexpected {{${word}}} at offset ${tok.pos}`, tok.pos);
        return { nodes, stop: tok };
      }
      if (word === 'if') {
        const branches: { cond: Pipeline; body: Node[] }[] = [];
        let cond = new PipeParser(body.slice(2), tok.pos).parse();
        let otherwise: Node[] = [];
        for (;;) {
          const r = block(new Set(['end', 'else']));
          if (!r.stop)
            throw new TemplateError(`unexpected EOF: {{if}} at offset ${tok.pos} has no {{end}}`, tok.pos);
          branches.push({ cond, body: r.nodes });
          if (r.stop.body === 'end') break;
          const elseIf = /^else\s+if\s+(.*)$/s.exec(r.stop.body);
          if (elseIf) {
            cond = new PipeParser(elseIf[1], r.stop.pos).parse();
            continue;
          }
          const r2 = block(new Set(['end']));
          if (!r2.stop) throw new TemplateError(`unexpected EOF: {{else}} has no {{end}}`, r.stop.pos);
          otherwise = r2.nodes;
          break;
        }
        nodes.push({ t: 'if', branches, otherwise });
        continue;
      }
      if (['range', 'with', 'define', 'template', 'block'].includes(word)) {
        throw new TemplateError(
          `{{${word}}} is not supported in qobs alert templates (offset ${tok.pos})`,
          tok.pos,
        );
      }
      if (/^\$[A-Za-z0-9_]*\s*:?=/.test(body)) {
        throw new TemplateError(
          `variable assignment is not supported in qobs alert templates (offset ${tok.pos})`,
          tok.pos,
        );
      }
      nodes.push({ t: 'out', pipe: new PipeParser(body, tok.pos).parse() });
    }
    return { nodes };
  };
  const r = block(new Set());
  return r.nodes;
}

const cache = new Map<string, Node[]>();

/** Parses a template once (cached); throws TemplateError when it does not parse. */
export function parseTemplate(src: string): void {
  compile(src);
}

function compile(src: string): Node[] {
  let nodes = cache.get(src);
  if (!nodes) {
    nodes = parseNodes(tokenize(src));
    if (cache.size > 4096) cache.clear();
    cache.set(src, nodes);
  }
  return nodes;
}

/** Expands a template with an alert's labels and value, as Prometheus does (missing labels print as empty). */
export function expandTemplate(src: string, data: TemplateData): string {
  if (!src.includes('{{')) return src;
  const nodes = compile(src);
  const vars: Record<string, Value> = {
    $labels: data.labels,
    $value: data.value,
    $externalLabels: data.externalLabels ?? {},
    $externalURL: data.externalURL ?? '',
  };
  const dot: Record<string, Value> = {
    Labels: data.labels,
    Value: data.value,
    ExternalLabels: data.externalLabels ?? {},
    ExternalURL: data.externalURL ?? '',
  };
  vars.$ = dot as unknown as Value;
  let out = '';
  const run = (ns: Node[]): void => {
    for (const n of ns) {
      if (n.t === 'text') out += n.s;
      else if (n.t === 'out') out += formatValue(evalPipe(n.pipe, vars, dot));
      else {
        const hit = n.branches.find((b) => truthy(evalPipe(b.cond, vars, dot)));
        run(hit ? hit.body : n.otherwise);
      }
    }
  };
  run(nodes);
  return out;
}

function field(v: Value, fields: string[], pos: number): Value {
  let cur: Value = v;
  for (const f of fields) {
    if (cur === null || typeof cur !== 'object') {
      throw new TemplateError(`template: can't evaluate field ${f} at offset ${pos}`, pos);
    }
    // missingkey=zero, as Prometheus sets it: an absent label is the empty string.
    cur = (cur as Record<string, string>)[f] ?? '';
  }
  return cur;
}

function truthy(v: Value): boolean {
  if (v === null || v === false || v === 0 || v === '') return false;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function evalPipe(p: Pipeline, vars: Record<string, Value>, dot: Record<string, Value>): Value {
  let prev: Value | undefined;
  for (const cmd of p.cmds) prev = evalCmd(cmd, prev, vars, dot, p.pos);
  return prev ?? null;
}

function evalOperand(
  o: Operand,
  vars: Record<string, Value>,
  dot: Record<string, Value>,
  pos: number,
): Value {
  switch (o.t) {
    case 'lit':
      return o.v;
    case 'var': {
      if (!(o.name in vars))
        throw new TemplateError(`template: undefined variable "${o.name}" at offset ${pos}`, pos);
      return field(vars[o.name], o.fields, pos);
    }
    case 'dot':
      return o.fields.length === 0
        ? (dot as unknown as Value)
        : field(dot as unknown as Value, o.fields, pos);
    case 'pipe':
      return evalPipe(o.pipe, vars, dot);
    case 'fn':
      return callFn(o.name, [], pos);
  }
}

function evalCmd(
  cmd: Command,
  piped: Value | undefined,
  vars: Record<string, Value>,
  dot: Record<string, Value>,
  pos: number,
): Value {
  const head = cmd[0];
  if (head.t !== 'fn') {
    if (cmd.length > 1 || piped !== undefined)
      throw new TemplateError(`template: can't give argument to non-function at offset ${pos}`, pos);
    return evalOperand(head, vars, dot, pos);
  }
  const args = cmd.slice(1).map((o) => evalOperand(o, vars, dot, pos));
  if (piped !== undefined) args.push(piped);
  return callFn(head.name, args, pos);
}

function num(v: Value, fn: string, pos: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
    if (/^[+-]?(inf|nan)$/i.test(v)) return Number(v.replace(/inf/i, 'Infinity').replace(/nan/i, 'NaN'));
  }
  throw new TemplateError(
    `template: ${fn}: cannot convert ${formatValue(v)} to a number at offset ${pos}`,
    pos,
  );
}

function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return goG(v, 4);
  let x = v;
  let prefix = '';
  if (Math.abs(x) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(x) < 1000) break;
      prefix = p;
      x /= 1000;
    }
    return goG(x, 4) + prefix;
  }
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(x) >= 1) break;
    prefix = p;
    x *= 1000;
  }
  return goG(x, 4) + prefix;
}

function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return goG(v, 4);
  let x = v;
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(x) < 1024) break;
    prefix = p;
    x /= 1024;
  }
  return goG(x, 4) + prefix;
}

function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return goG(v, 4);
  if (v === 0) return `${goG(v, 4)}s`;
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    const a = Math.abs(v);
    const d = Math.trunc(a);
    const seconds = d % 60;
    const minutes = Math.trunc(d / 60) % 60;
    const hours = Math.trunc(d / 3600) % 24;
    const days = Math.trunc(d / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${goG(a, 4)}s`;
  }
  let x = v;
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(x) >= 1) break;
    prefix = p;
    x *= 1000;
  }
  return `${goG(x, 4)}${prefix}s`;
}

function humanizeTimestamp(v: number): string {
  if (!Number.isFinite(v)) return goG(v, 4);
  // Go prints time.Time as "2006-01-02 15:04:05.999999999 -0700 MST" in UTC.
  const d = new Date(v * 1000);
  const iso = d.toISOString();
  let frac = iso.slice(20, 23).replace(/0+$/, '');
  frac = frac ? `.${frac}` : '';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac} +0000 UTC`;
}

function compare(a: Value, b: Value, pos: number): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError(`template: incompatible types for comparison at offset ${pos}`, pos);
}

function callFn(name: string, args: Value[], pos: number): Value {
  const need = (n: number) => {
    if (args.length !== n)
      throw new TemplateError(
        `template: wrong number of args for ${name}: want ${n} got ${args.length} at offset ${pos}`,
        pos,
      );
  };
  switch (name) {
    case 'humanize':
      need(1);
      return humanize(num(args[0], name, pos));
    case 'humanize1024':
      need(1);
      return humanize1024(num(args[0], name, pos));
    case 'humanizeDuration':
      need(1);
      return humanizeDuration(num(args[0], name, pos));
    case 'humanizePercentage':
      need(1);
      return `${goG(num(args[0], name, pos) * 100, 4)}%`;
    case 'humanizeTimestamp':
      need(1);
      return humanizeTimestamp(num(args[0], name, pos));
    case 'printf':
      if (args.length < 1 || typeof args[0] !== 'string')
        throw new TemplateError(`template: printf needs a format string at offset ${pos}`, pos);
      return goSprintf(args[0], args.slice(1));
    case 'print':
      return args.map(formatValue).join('');
    case 'title':
      need(1);
      return formatValue(args[0]).replace(
        /(^|[^\p{L}\p{N}_'])(\p{L})/gu,
        (_m, a: string, b: string) => a + b.toUpperCase(),
      );
    case 'toUpper':
      need(1);
      return formatValue(args[0]).toUpperCase();
    case 'toLower':
      need(1);
      return formatValue(args[0]).toLowerCase();
    case 'safeHtml':
      need(1);
      return formatValue(args[0]);
    case 'urlquery':
      return encodeURIComponent(args.map(formatValue).join('')).replace(/%20/g, '+');
    case 'stripPort': {
      need(1);
      const s = formatValue(args[0]);
      const m = /^\[?(.*?)\]?:\d+$/.exec(s);
      return m ? m[1] : s;
    }
    case 'reReplaceAll':
      need(3);
      return formatValue(args[2]).replace(
        new RegExp(formatValue(args[0]), 'g'),
        formatValue(args[1]).replace(/\$\{?(\d+)\}?/g, '$$$1'),
      );
    case 'match':
      need(2);
      return new RegExp(formatValue(args[0])).test(formatValue(args[1]));
    case 'eq':
      return args.slice(1).some((b) => compare(args[0], b, pos) === 0);
    case 'ne':
      need(2);
      return compare(args[0], args[1], pos) !== 0;
    case 'lt':
      need(2);
      return compare(args[0], args[1], pos) < 0;
    case 'le':
      need(2);
      return compare(args[0], args[1], pos) <= 0;
    case 'gt':
      need(2);
      return compare(args[0], args[1], pos) > 0;
    case 'ge':
      need(2);
      return compare(args[0], args[1], pos) >= 0;
    case 'and': {
      for (const a of args) if (!truthy(a)) return a;
      return args[args.length - 1] ?? null;
    }
    case 'or': {
      for (const a of args) if (truthy(a)) return a;
      return args[args.length - 1] ?? null;
    }
    case 'not':
      need(1);
      return !truthy(args[0]);
    case 'len': {
      need(1);
      const a = args[0];
      if (typeof a === 'string') return a.length;
      if (a && typeof a === 'object') return Object.keys(a).length;
      throw new TemplateError(`template: len of ${formatValue(a)} at offset ${pos}`, pos);
    }
    case 'index': {
      need(2);
      const m = args[0];
      if (!m || typeof m !== 'object')
        throw new TemplateError(`template: index of non-map at offset ${pos}`, pos);
      return (m as Record<string, string>)[formatValue(args[1])] ?? '';
    }
  }
  throw new TemplateError(`template: function "${name}" not defined at offset ${pos}`, pos);
}
