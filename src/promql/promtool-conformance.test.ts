// Conformance against real Prometheus: over 200 generated expressions evaluated by qobs (Prometheus 2 mode) and by
// `promtool test rules` (promql_expr_test) on the same input series, in one promtool run over one test file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeWithPrograms } from '../testing/system.js';
import { createEngine } from './engine.js';
import { formatLabels } from './format.js';
import { MemorySeriesSource } from './memory-source.js';
import { expandValues } from './testscript.js';

const INTERVAL_MS = 60_000;

/** Input series in promtool's notation; the same text is loaded into qobs' in-memory source. */
const SERIES: Array<[string, Record<string, string>, string]> = [
  [
    'req_total{job="api",code="200",instance="i1"}',
    { __name__: 'req_total', job: 'api', code: '200', instance: 'i1' },
    '0+7x30 3+5x30',
  ],
  [
    'req_total{job="api",code="500",instance="i1"}',
    { __name__: 'req_total', job: 'api', code: '500', instance: 'i1' },
    '0+1x20 _x5 21+2x35',
  ],
  [
    'req_total{job="api",code="200",instance="i2"}',
    { __name__: 'req_total', job: 'api', code: '200', instance: 'i2' },
    '10+13x60',
  ],
  [
    'req_total{job="web",code="200",instance="i3"}',
    { __name__: 'req_total', job: 'web', code: '200', instance: 'i3' },
    '5+3x15 0+4x45',
  ],
  [
    'temp{job="api",instance="i1"}',
    { __name__: 'temp', job: 'api', instance: 'i1' },
    '20 21.5 19 -3 22.25 25 24 23.5 18 17 30+0.5x50',
  ],
  [
    'temp{job="web",instance="i3"}',
    { __name__: 'temp', job: 'web', instance: 'i3' },
    '-5+1.25x40 stale 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21',
  ],
  [
    'queue{job="api",instance="i1"}',
    { __name__: 'queue', job: 'api', instance: 'i1' },
    '1 4 2 8 5 7 3 9 6 0 1 4 2 8 5 7 3 9 6 0 1 4 2 8 5 7 3 9 6 0 1 4 2 8 5 7 3 9 6 0 1 4 2 8 5 7 3 9 6 0 1 4 2 8 5 7 3 9 6 0 1',
  ],
  ['lat_bucket{job="api",le="0.1"}', { __name__: 'lat_bucket', job: 'api', le: '0.1' }, '0+3x60'],
  ['lat_bucket{job="api",le="0.5"}', { __name__: 'lat_bucket', job: 'api', le: '0.5' }, '0+8x60'],
  ['lat_bucket{job="api",le="1"}', { __name__: 'lat_bucket', job: 'api', le: '1' }, '0+11x60'],
  ['lat_bucket{job="api",le="+Inf"}', { __name__: 'lat_bucket', job: 'api', le: '+Inf' }, '0+12x60'],
  ['lat_bucket{job="web",le="0.1"}', { __name__: 'lat_bucket', job: 'web', le: '0.1' }, '0+1x60'],
  ['lat_bucket{job="web",le="0.5"}', { __name__: 'lat_bucket', job: 'web', le: '0.5' }, '0+5x60'],
  ['lat_bucket{job="web",le="1"}', { __name__: 'lat_bucket', job: 'web', le: '1' }, '0+5x60'],
  ['lat_bucket{job="web",le="+Inf"}', { __name__: 'lat_bucket', job: 'web', le: '+Inf' }, '0+9x60'],
  ['info{job="api",version="1.2"}', { __name__: 'info', job: 'api', version: '1.2' }, '1x60'],
  ['info{job="web",version="2.0"}', { __name__: 'info', job: 'web', version: '2.0' }, '1x60'],
];

/** Generated expressions: templates crossed with selectors, ranges and modifiers. */
function expressions(): string[] {
  const out: string[] = [];
  const sels = [
    'req_total',
    'req_total{job="api"}',
    'req_total{code=~"2.."}',
    'req_total{instance!="i1"}',
    'temp',
    'queue',
  ];
  const ranges = ['1m', '2m', '5m', '10m'];
  for (const f of ['rate', 'irate', 'increase', 'delta', 'idelta', 'resets', 'changes', 'deriv']) {
    for (const s of sels.slice(0, 4)) out.push(`${f}(${s}[${ranges[out.length % 4]}])`);
    out.push(`${f}(temp[5m])`, `${f}(queue[3m])`);
  }
  for (const f of [
    'avg_over_time',
    'min_over_time',
    'max_over_time',
    'sum_over_time',
    'count_over_time',
    'last_over_time',
    'stddev_over_time',
    'stdvar_over_time',
    'present_over_time',
  ]) {
    for (const s of ['temp', 'queue', 'req_total{job="web"}'])
      out.push(`${f}(${s}[${ranges[out.length % 4]}])`);
  }
  out.push(
    'quantile_over_time(0.5, queue[10m])',
    'quantile_over_time(0.9, temp[5m])',
    'quantile_over_time(0, temp[5m])',
  );
  out.push(
    'predict_linear(req_total[10m], 3600)',
    'predict_linear(temp[5m], 60)',
    'holt_winters(temp[10m], 0.5, 0.3)',
    'holt_winters(queue[10m], 0.1, 0.9)',
  );
  for (const a of ['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'group']) {
    out.push(
      `${a}(req_total)`,
      `${a} by (job) (req_total)`,
      `${a} without (instance) (rate(req_total[5m]))`,
      `${a} by (job, code) (temp)`,
    );
  }
  out.push(
    'topk(2, req_total)',
    'bottomk(1, temp)',
    'topk by (job) (1, rate(req_total[5m]))',
    'bottomk without (instance) (1, req_total)',
  );
  out.push(
    'quantile(0.5, req_total)',
    'quantile by (job) (0.9, rate(req_total[5m]))',
    'count_values("value", queue)',
    'count_values by (job) ("v", info)',
  );
  for (const q of ['0.5', '0.9', '0.99', '0']) {
    out.push(
      `histogram_quantile(${q}, rate(lat_bucket[5m]))`,
      `histogram_quantile(${q}, sum by (le) (rate(lat_bucket[5m])))`,
    );
  }
  out.push('histogram_quantile(0.5, lat_bucket)');
  const bin = ['+', '-', '*', '/', '%', '^'];
  for (const op of bin) {
    out.push(
      `req_total ${op} 3`,
      `2 ${op} temp`,
      `temp ${op} on(job, instance) queue`,
      `rate(req_total[5m]) ${op} ignoring(code) group_left rate(req_total{code="200"}[5m])`,
    );
  }
  for (const op of ['==', '!=', '>', '<', '>=', '<=']) {
    out.push(`queue ${op} 4`, `queue ${op} bool 4`, `temp ${op} on(job, instance) queue`, `5 ${op} bool 3`);
  }
  out.push(
    'req_total and on(job) info',
    'req_total unless on(job, instance) temp',
    'temp or queue',
    'req_total and req_total{code="500"}',
  );
  out.push(
    'req_total * on(job) group_left(version) info',
    'info * on(job) group_right(version) req_total',
    'sum by (job) (rate(req_total[5m])) / on(job) group_left count by (job) (req_total)',
  );
  for (const f of ['abs', 'ceil', 'floor', 'round', 'sqrt', 'exp', 'ln', 'log2', 'log10', 'sgn'])
    out.push(`${f}(temp)`);
  out.push(
    'round(temp, 0.5)',
    'clamp(temp, 0, 20)',
    'clamp_min(temp, 10)',
    'clamp_max(queue, 5)',
    'clamp(temp, 5, 1)',
  );
  out.push(
    'time()',
    'vector(time())',
    'scalar(sum(queue))',
    'scalar(req_total)',
    'timestamp(temp)',
    'timestamp(rate(req_total[5m]))',
  );
  out.push(
    'absent(nope{job="x"})',
    'absent(temp)',
    'absent_over_time(nope[5m])',
    'absent_over_time(temp[1m])',
  );
  out.push(
    'label_replace(temp, "host", "$1-x", "instance", "i(.*)")',
    'label_replace(req_total, "code", "", "code", "2.*")',
    'label_join(temp, "id", ":", "job", "instance")',
  );
  out.push(
    'sort(queue)',
    'sort_desc(req_total)',
    '-temp',
    '-(-queue)',
    'day_of_month()',
    'hour(vector(3600 * 5))',
    'minute(temp)',
    'year()',
    'month()',
    'day_of_week()',
    'days_in_month()',
    'day_of_year()',
  );
  for (const s of [
    'max_over_time(rate(req_total[2m])[10m:1m])',
    'avg_over_time(temp[5m:30s])',
    'sum_over_time(queue[7m:2m])',
    'rate(req_total[10m:1m])',
    'min_over_time(sum(temp)[6m:1m])',
    'max_over_time(deriv(temp[3m])[5m:1m])',
  ])
    out.push(s);
  for (const s of [
    'req_total offset 5m',
    'rate(req_total[5m] offset 3m)',
    'temp @ 600',
    'sum_over_time(temp[5m] @ 900)',
    'queue offset -2m',
    'rate(req_total[5m] @ 1200 offset 1m)',
  ])
    out.push(s);
  out.push(
    'temp{job=~"a.*"}',
    'req_total{job!~"api|x"}',
    '{__name__=~"temp|queue", job="api"}',
    'count({__name__=~".+"}) by (__name__)',
  );
  return out;
}

const EVAL_TIMES_MIN = [17, 33, 52];

function yamlValue(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (v === Number.POSITIVE_INFINITY) return '.inf';
  if (v === Number.NEGATIVE_INFINITY) return '-.inf';
  return String(v);
}

function parseSamples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  if (text.trim() === 'nil') return m;
  for (const x of text.matchAll(/(\{[^}]*\}) (\S+?)(?:,|$)/g))
    m.set(
      x[1],
      x[2] === 'NaN'
        ? Number.NaN
        : Number(x[2].replace(/^\+?Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity')),
    );
  return m;
}

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** Go's labels.String(): `{a="b", c="d"}` sorted by name. */
function goLabels(metric: Record<string, string>): string {
  return `{${Object.keys(metric)
    .sort()
    .map((n) => `${n}=${JSON.stringify(metric[n])}`)
    .join(', ')}}`;
}

describeWithPrograms('PromQL conformance with promtool test rules (Prometheus 2 mode)', ['promtool'], () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'qobs-promtool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('agrees with promtool on every generated expression', () => {
    const src = new MemorySeriesSource();
    for (const [, labels, values] of SERIES) {
      expandValues(values).forEach((v, i) => {
        // promtool loads input samples only up to the group's latest eval_time.
        if (i * INTERVAL_MS > Math.max(...EVAL_TIMES_MIN) * 60_000) return;
        if (v.kind === 'value') src.append(labels, i * INTERVAL_MS, v.v);
        else if (v.kind === 'stale')
          src.append(labels, i * INTERVAL_MS, new Float64Array(new Uint32Array([2, 0x7ff00000]).buffer)[0]);
      });
    }
    const engine = createEngine(src, { mode: 'prometheus2' });
    const exprs = expressions();
    expect(exprs.length).toBeGreaterThanOrEqual(200);
    console.log(`promtool conformance: ${exprs.length} expressions`);
    const ours = new Map<string, Map<string, number>>();
    const cases: string[] = [];
    exprs.forEach((expr, i) => {
      const tMin = EVAL_TIMES_MIN[i % EVAL_TIMES_MIN.length];
      const d = engine.instantQuery(expr, tMin * 60_000);
      const samples: Array<[Record<string, string>, number]> =
        d.resultType === 'vector'
          ? d.result.map((r) => [
              r.metric,
              Number(r.value[1].replace(/^\+?Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity')),
            ])
          : d.resultType === 'scalar'
            ? [[{}, Number(d.result[1].replace(/^\+?Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity'))]]
            : [];
      ours.set(`${expr}@${tMin}m`, new Map(samples.map(([l, v]) => [goLabels(l), v])));
      const exp = samples.map(
        ([l, v]) =>
          `          - labels: '${formatLabels(l).replace(/'/g, "''")}'\n            value: ${yamlValue(v)}`,
      );
      cases.push(
        `      - expr: '${expr.replace(/'/g, "''")}'\n        eval_time: ${tMin}m\n${exp.length ? `        exp_samples:\n${exp.join('\n')}` : '        exp_samples: []'}`,
      );
    });
    const input = SERIES.map(([s, , v]) => `      - series: '${s}'\n        values: '${v}'`).join('\n');
    const file = path.join(dir, 'conformance.yml');
    writeFileSync(
      file,
      `rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n${input}\n    promql_expr_test:\n${cases.join('\n')}\n`,
    );
    const r = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8', timeout: 120_000 });
    const output = `${r.stdout}\n${r.stderr}`;
    // promtool compares floats exactly; collect its mismatches and accept those equal within 1e-9 relative.
    const mismatches: string[] = [];
    const re = /expr: "((?:[^"\\]|\\.)*)", time: (\S+),\n\s+exp: (.*)\n\s+got: (.*)/g;
    let failures = 0;
    for (const m of output.matchAll(re)) {
      failures++;
      const expr = JSON.parse(`"${m[1]}"`) as string;
      const got = parseSamples(m[4]);
      const mine = ours.get(`${expr}@${m[2]}`);
      if (!mine) {
        mismatches.push(`${expr} @ ${m[2]}: not ours`);
        continue;
      }
      const same =
        mine.size === got.size && [...mine].every(([k, v]) => got.has(k) && close(v, got.get(k) as number));
      if (!same)
        mismatches.push(
          `${expr} @ ${m[2]}\n  qobs:     ${[...mine].map(([k, v]) => `${k} ${v}`).join(', ')}\n  promtool: ${m[4]}`,
        );
    }
    if (r.status !== 0) expect(failures, output.slice(0, 2000)).toBeGreaterThan(0);
    expect(mismatches, mismatches.join('\n')).toEqual([]);
  });
});
