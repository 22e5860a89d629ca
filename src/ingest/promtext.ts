// Prometheus text exposition format (0.0.4): parsing scraped and pushed bodies, writing /metrics.
import type { MetricMetadata } from '../store/index.js';
import { QobsError } from '../errors.js';

/** A body that is not valid Prometheus text exposition; `line` is 1-based. */
export class ExpositionParseError extends QobsError {
  readonly line: number;
  constructor(line: number, message: string) {
    super('exposition_invalid', `line ${line}: ${message}`);
    this.line = line;
  }
}

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds, when the line gave a timestamp. */
  timestampMs?: number;
}

export interface ParsedExposition {
  samples: ParsedSample[];
  /** Metadata by metric family name. */
  metadata: Map<string, MetricMetadata>;
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s: string, line: number): number {
  switch (s) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  const v = Number(s);
  if (s === '' || Number.isNaN(v)) throw new ExpositionParseError(line, `invalid value '${s}'`);
  return v;
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Parses a text exposition body; throws ExpositionParseError naming the first bad line. */
export function parseExposition(text: string): ParsedExposition {
  const out: ParsedExposition = { samples: [], metadata: new Map() };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const ln = i + 1;
    const line = lines[i].trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) continue; // other comments are allowed
      const [, kind, name, rest = ''] = m;
      if (!NAME_RE.test(name)) throw new ExpositionParseError(ln, `invalid metric name '${name}'`);
      const prev = out.metadata.get(name) ?? { type: 'unknown', help: '', unit: '' };
      if (kind === 'HELP') out.metadata.set(name, { ...prev, help: unescapeHelp(rest) });
      else {
        const t = rest.trim();
        if (!TYPES.has(t)) throw new ExpositionParseError(ln, `invalid type '${t}'`);
        out.metadata.set(name, {
          ...prev,
          type: t === 'untyped' ? 'unknown' : (t as MetricMetadata['type']),
        });
      }
      continue;
    }
    out.samples.push(parseSampleLine(line, ln));
  }
  return out;
}

function parseSampleLine(line: string, ln: number): ParsedSample {
  let pos = 0;
  while (pos < line.length && /[a-zA-Z0-9_:]/.test(line[pos])) pos++;
  const name = line.slice(0, pos);
  if (!NAME_RE.test(name))
    throw new ExpositionParseError(ln, `invalid metric name in '${line.slice(0, 60)}'`);
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ' || line[pos] === '\t') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const start = pos;
      while (pos < line.length && /[a-zA-Z0-9_]/.test(line[pos])) pos++;
      const lname = line.slice(start, pos);
      if (!LABEL_RE.test(lname))
        throw new ExpositionParseError(ln, `invalid label name at column ${start + 1}`);
      while (line[pos] === ' ') pos++;
      if (line[pos] !== '=' || line[pos + 1] !== '"')
        throw new ExpositionParseError(ln, `expected ="..." after label '${lname}'`);
      pos += 2;
      let value = '';
      for (;;) {
        if (pos >= line.length) throw new ExpositionParseError(ln, `unterminated value of label '${lname}'`);
        const c = line[pos++];
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos++];
          if (e === 'n') value += '\n';
          else if (e === '\\' || e === '"') value += e;
          else throw new ExpositionParseError(ln, `invalid escape '\\${e}' in label '${lname}'`);
        } else value += c;
      }
      if (lname in labels) throw new ExpositionParseError(ln, `duplicate label '${lname}'`);
      labels[lname] = value;
      while (line[pos] === ' ') pos++;
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}')
        throw new ExpositionParseError(ln, `expected ',' or '}' after label '${lname}'`);
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '')
    throw new ExpositionParseError(ln, `expected a value and an optional timestamp after '${name}'`);
  const sample: ParsedSample = { name, labels, value: parseValue(rest[0], ln) };
  if (rest.length === 2) {
    const ts = Number(rest[1]);
    if (!Number.isInteger(ts)) throw new ExpositionParseError(ln, `invalid timestamp '${rest[1]}'`);
    sample.timestampMs = ts;
  }
  return sample;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Formats a value as the exposition format writes it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** One exposition line for a sample; labels other than __name__ in the order given. */
export function formatSample(
  name: string,
  labels: Record<string, string>,
  value: number,
  timestampMs?: number,
): string {
  const parts: string[] = [];
  for (const k in labels) if (k !== '__name__') parts.push(`${k}="${escapeLabel(labels[k])}"`);
  const ls = parts.length > 0 ? `{${parts.join(',')}}` : '';
  return `${name}${ls} ${formatValue(value)}${timestampMs === undefined ? '' : ` ${timestampMs}`}`;
}

/** HELP text escaped for the exposition format. */
export function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
