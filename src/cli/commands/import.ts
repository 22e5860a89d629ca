// `qobs import`: backfills a Prometheus text or OpenMetrics file whose samples carry timestamps (the input of
// `promtool tsdb create-blocks-from openmetrics`) into the store.
import { createReadStream, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { QobsError } from '../../errors.js';
import { type MetricMetadata, type SampleIn, Store } from '../../store/index.js';
import { EXIT, ExitError, printJson } from '../util.js';

/** A line of the input that cannot be imported; `line` is 1-based. */
export class ImportParseError extends QobsError {
  readonly line: number;
  constructor(line: number, message: string) {
    super('import_invalid', `line ${line}: ${message}`);
    this.line = line;
  }
}

/** One parsed sample line. */
export interface ImportedSample {
  labels: Record<string, string>;
  value: number;
  timestampMs: number;
}

const TYPES = new Set([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
  'untyped',
]);

function parseFloatToken(s: string, line: number): number {
  switch (s) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s))
    throw new ImportParseError(line, `invalid value '${s}'`);
  return Number(s);
}

/**
 * Parses one sample line: `name{a="b"} value timestamp [# exemplar]`. OpenMetrics timestamps are seconds,
 * Prometheus text timestamps milliseconds. A sample without a timestamp is refused: backfill needs them.
 */
export function parseSampleLine(text: string, line: number, openMetrics: boolean): ImportedSample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(text);
  if (!m) throw new ImportParseError(line, `invalid metric name in '${text.slice(0, 40)}'`);
  const labels: Record<string, string> = { __name__: m[1] };
  let i = m[1].length;
  if (text[i] === '{') {
    i++;
    for (;;) {
      while (text[i] === ' ' || text[i] === ',') i++;
      if (text[i] === '}') {
        i++;
        break;
      }
      const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
      if (!ln) throw new ImportParseError(line, 'invalid label name');
      i += ln[0].length;
      if (text[i] !== '=' || text[i + 1] !== '"')
        throw new ImportParseError(line, `expected ="..." after label ${ln[0]}`);
      i += 2;
      let v = '';
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          const c = text[i + 1];
          v += c === 'n' ? '\n' : c;
          i += 2;
        } else v += text[i++];
      }
      if (text[i] !== '"') throw new ImportParseError(line, 'unterminated label value');
      i++;
      labels[ln[0]] = v;
    }
  }
  const rest = text.slice(i).split(' # ')[0].trim().split(/\s+/);
  if (rest.length < 1 || rest[0] === '') throw new ImportParseError(line, 'missing value');
  const value = parseFloatToken(rest[0], line);
  if (rest.length < 2)
    throw new ImportParseError(line, 'sample has no timestamp; backfill needs one on every sample');
  const ts = Number(rest[1]);
  if (!Number.isFinite(ts)) throw new ImportParseError(line, `invalid timestamp '${rest[1]}'`);
  return { labels, value, timestampMs: openMetrics ? Math.round(ts * 1000) : Math.round(ts) };
}

/** True when the file ends with OpenMetrics' `# EOF` marker. */
function endsWithEof(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(64, size);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    return /# EOF\s*$/.test(buf.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

/** Outcome of an import. */
export interface ImportResult {
  samples: number;
  accepted: number;
  outOfOrder: number;
  duplicate: number;
  series: number;
  format: 'openmetrics' | 'prometheus';
}

/** Streams a file into the store in batches; returns the counts. */
export async function importFile(
  store: Store,
  file: string,
  format: 'auto' | 'openmetrics' | 'prometheus',
  batchSize = 50_000,
): Promise<ImportResult> {
  const openMetrics = format === 'openmetrics' || (format === 'auto' && endsWithEof(file));
  const result: ImportResult = {
    samples: 0,
    accepted: 0,
    outOfOrder: 0,
    duplicate: 0,
    series: 0,
    format: openMetrics ? 'openmetrics' : 'prometheus',
  };
  const metadata = new Map<string, MetricMetadata>();
  const seen = new Set<string>();
  let batch: SampleIn[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const r = store.ingest({ samples: batch });
    result.accepted += r.samplesAccepted;
    result.outOfOrder += r.samplesOutOfOrder;
    result.duplicate += r.samplesDuplicate;
    batch = [];
  };
  const rl = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let ln = 0;
  let eof = false;
  for await (const raw of rl) {
    ln++;
    const text = raw.trim();
    if (text === '') continue;
    if (eof) throw new ImportParseError(ln, 'content after # EOF');
    if (text.startsWith('#')) {
      if (text === '# EOF') {
        eof = true;
        continue;
      }
      const m = /^#\s+(HELP|TYPE|UNIT)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(text);
      if (!m) continue;
      const prev = metadata.get(m[2]) ?? { type: 'unknown', help: '', unit: '' };
      if (m[1] === 'HELP')
        metadata.set(m[2], {
          ...prev,
          help: (m[3] ?? '').replace(/\\(\\|n|")/g, (_, c: string) => (c === 'n' ? '\n' : c)),
        });
      else if (m[1] === 'UNIT') metadata.set(m[2], { ...prev, unit: m[3] ?? '' });
      else {
        const t = (m[3] ?? '').trim();
        if (!TYPES.has(t)) throw new ImportParseError(ln, `invalid type '${t}'`);
        metadata.set(m[2], { ...prev, type: (t === 'untyped' ? 'unknown' : t) as MetricMetadata['type'] });
      }
      continue;
    }
    const s = parseSampleLine(text, ln, openMetrics);
    result.samples++;
    const key = JSON.stringify(s.labels);
    if (!seen.has(key)) {
      seen.add(key);
      result.series++;
    }
    batch.push({ labels: s.labels, t: s.timestampMs, v: s.value });
    if (batch.length >= batchSize) flush();
  }
  flush();
  if (metadata.size > 0) store.ingest({ metadata });
  return result;
}

export function register(program: Command): void {
  program
    .command('import')
    .description('Backfill a Prometheus text or OpenMetrics file with timestamped samples into the store')
    .argument('<file>', 'file to import (OpenMetrics when it ends with # EOF, else Prometheus text)')
    .option('--data <dir>', 'data directory', '.qobs')
    .option(
      '--format <format>',
      'auto, openmetrics (timestamps in seconds) or prometheus (milliseconds)',
      'auto',
    )
    .option('--json', 'print one JSON object with the counts')
    .action(async (file: string, opts: { data: string; format: string; json?: boolean }) => {
      if (!['auto', 'openmetrics', 'prometheus'].includes(opts.format)) {
        throw new ExitError(
          EXIT.input,
          `qobs: --format must be auto, openmetrics or prometheus, got '${opts.format}'`,
        );
      }
      const store = Store.open({ dataDir: opts.data });
      let r: ImportResult;
      try {
        r = await importFile(store, file, opts.format as 'auto');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          throw new ExitError(EXIT.input, `qobs: no such file: ${file}`);
        throw err;
      } finally {
        store.close();
      }
      if (opts.json) printJson({ file, ...r });
      else {
        process.stdout.write(
          `imported ${r.accepted} of ${r.samples} samples in ${r.series} series (${r.format})` +
            (r.outOfOrder || r.duplicate
              ? `; refused ${r.outOfOrder} out of order, ${r.duplicate} duplicate`
              : '') +
            '\n',
        );
      }
    });
}
