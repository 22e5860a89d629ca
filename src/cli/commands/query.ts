// `qobs query`: evaluates PromQL against a data directory (directly) or a running workbench (`--url`).
import type { Command } from 'commander';
import {
  type ApiResponse,
  createEngine,
  handleQuery,
  handleQueryRange,
  parseApiDuration,
  parseApiTime,
  PromqlError,
  type QueryData,
} from '../../promql/index.js';
import { Store } from '../../store/index.js';
import { EXIT, ExitError, printJson } from '../util.js';

interface QueryOptions {
  time?: string;
  start?: string;
  end?: string;
  step?: string;
  data: string;
  url?: string;
  mode?: string;
  json?: boolean;
}

/** Reads a CLI time: `now`, `now-1h`, unix seconds or RFC 3339; returns milliseconds. */
function cliTime(raw: string, name: string, nowMs: number): number {
  const rel = /^now(?:([+-])(.+))?$/.exec(raw.trim());
  if (rel) return rel[1] ? nowMs + (rel[1] === '-' ? -1 : 1) * parseApiDuration(rel[2], name) : nowMs;
  return parseApiTime(raw, name);
}

function formatMetric(m: Record<string, string>): string {
  const name = m.__name__ ?? '';
  const rest = Object.keys(m)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`);
  return `${name}{${rest.join(', ')}}`;
}

/** Human-readable rendering of a query result. */
function render(data: QueryData): string {
  switch (data.resultType) {
    case 'scalar':
    case 'string':
      return `${data.result[1]} @${data.result[0]}\n`;
    case 'vector':
      if (data.result.length === 0) return 'empty result\n';
      return data.result.map((r) => `${formatMetric(r.metric)} => ${r.value[1]} @${r.value[0]}\n`).join('');
    case 'matrix':
      if (data.result.length === 0) return 'empty result\n';
      return data.result
        .map((r) => `${formatMetric(r.metric)} =>\n${r.values.map(([t, v]) => `  ${v} @${t}\n`).join('')}`)
        .join('');
  }
}

async function viaUrl(url: string, params: Record<string, string>, range: boolean): Promise<ApiResponse> {
  const u = new URL(range ? 'api/v1/query_range' : 'api/v1/query', url.endsWith('/') ? url : `${url}/`);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (process.env.QOBS_TOKEN) headers.authorization = `Bearer ${process.env.QOBS_TOKEN}`;
  let res: Response;
  try {
    res = await fetch(u, {
      method: 'POST',
      headers,
      body: new URLSearchParams(params),
      signal: AbortSignal.timeout(130_000),
    });
  } catch (err) {
    throw new ExitError(EXIT.failure, `qobs: cannot reach ${u.origin}: ${(err as Error).message}`);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    throw new ExitError(EXIT.failure, `qobs: ${u.href} answered ${res.status} with a body that is not JSON`);
  }
}

export function register(program: Command): void {
  program
    .command('query')
    .description('Evaluate a PromQL expression against a data directory or a running workbench')
    .argument('<expr>', 'PromQL expression')
    .option('--time <t>', 'evaluation time: unix seconds, RFC 3339, now or now-1h (default now)')
    .option('--start <t>', 'range query start (with --end and --step)')
    .option('--end <t>', 'range query end')
    .option('--step <d>', 'range query step: seconds or a duration like 30s, 5m')
    .option('--data <dir>', 'data directory to read', '.qobs')
    .option('--url <url>', 'query a running workbench (or Prometheus) at this base URL instead')
    .option('--mode <mode>', 'PromQL semantics: prometheus3 or prometheus2', 'prometheus3')
    .option('--json', 'print the data object of the Prometheus API response')
    .action(async (expr: string, opts: QueryOptions) => {
      const nowMs = Date.now();
      const range = opts.start !== undefined || opts.end !== undefined || opts.step !== undefined;
      if (range && (opts.start === undefined || opts.end === undefined || opts.step === undefined)) {
        throw new ExitError(EXIT.input, 'qobs: a range query needs --start, --end and --step together');
      }
      if (range && opts.time !== undefined)
        throw new ExitError(EXIT.input, 'qobs: --time and --start/--end/--step exclude each other');
      if (opts.mode !== 'prometheus3' && opts.mode !== 'prometheus2') {
        throw new ExitError(
          EXIT.input,
          `qobs: --mode must be prometheus3 or prometheus2, got '${opts.mode}'`,
        );
      }
      let params: Record<string, string>;
      try {
        params = range
          ? {
              query: expr,
              start: String(cliTime(opts.start as string, 'start', nowMs) / 1000),
              end: String(cliTime(opts.end as string, 'end', nowMs) / 1000),
              step: String(parseApiDuration(opts.step as string, 'step') / 1000),
            }
          : { query: expr, time: String(cliTime(opts.time ?? 'now', 'time', nowMs) / 1000) };
      } catch (err) {
        if (err instanceof PromqlError) throw new ExitError(EXIT.input, `qobs: ${err.message}`);
        throw err;
      }
      let res: ApiResponse;
      if (opts.url) res = await viaUrl(opts.url, params, range);
      else {
        const store = Store.open({ dataDir: opts.data });
        try {
          const engine = createEngine(store, { mode: opts.mode });
          res = range ? handleQueryRange(engine, store, params) : handleQuery(engine, store, params);
        } finally {
          store.close();
        }
      }
      if (res.body.status !== 'success') {
        const code = res.body.errorType === 'bad_data' ? EXIT.input : EXIT.failure;
        throw new ExitError(code, `qobs: ${res.body.errorType}: ${res.body.error}`);
      }
      const data = res.body.data as QueryData;
      if (opts.json) printJson(data);
      else process.stdout.write(render(data));
    });
}
