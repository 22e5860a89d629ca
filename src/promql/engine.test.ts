import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { staleNaN } from '../store/index.js';
import {
  createEngine,
  handleLabels,
  handleLabelValues,
  handleMetadata,
  handleQuery,
  handleQueryRange,
  handleSeries,
  MemorySeriesSource,
  PromqlError,
  parsePromql,
} from './index.js';

function source(): MemorySeriesSource {
  const src = new MemorySeriesSource();
  for (let i = 0; i <= 60; i++) {
    src.append({ __name__: 'req_total', job: 'a', code: '200' }, i * 15_000, i * 10);
    src.append({ __name__: 'req_total', job: 'b', code: '500' }, i * 15_000, i * 2);
  }
  src.append({ __name__: 'gauge', job: 'a' }, 0, 5);
  src.append({ __name__: 'gauge', job: 'a' }, 60_000, staleNaN());
  src.setMetadata('req_total', { type: 'counter', help: 'Requests.', unit: '' });
  return src;
}

describe('engine', () => {
  it('computes rate with extrapolation and sum by', () => {
    const e = createEngine(source());
    const d = e.instantQuery('sum by (job) (rate(req_total[1m]))', 600_000);
    expect(d.resultType).toBe('vector');
    if (d.resultType !== 'vector') return;
    const byJob = Object.fromEntries(d.result.map((r) => [r.metric.job, Number(r.value[1])]));
    expect(byJob.a).toBeCloseTo(10 / 15, 12);
    expect(byJob.b).toBeCloseTo(2 / 15, 12);
    expect(d.result[0].value[0]).toBe(600);
  });

  it('honours staleness markers and the lookback', () => {
    const e = createEngine(source());
    const at = (t: number) => e.instantQuery('gauge', t);
    expect(at(30_000)).toMatchObject({ resultType: 'vector', result: [{ value: [30, '5'] }] });
    expect(at(60_000)).toEqual({ resultType: 'vector', result: [] });
  });

  it('left-open range selectors in Prometheus 3 mode, closed in Prometheus 2 mode', () => {
    const src = source();
    const count = (mode: 'prometheus3' | 'prometheus2') => {
      const d = createEngine(src, { mode }).instantQuery('count_over_time(req_total{job="a"}[1m])', 600_000);
      return d.resultType === 'vector' ? d.result[0].value[1] : '';
    };
    expect(count('prometheus3')).toBe('4');
    expect(count('prometheus2')).toBe('5');
  });

  it('range queries return a matrix sorted by labels', () => {
    const d = createEngine(source()).rangeQuery('req_total * 2', 0, 60_000, 30_000);
    expect(d.resultType).toBe('matrix');
    if (d.resultType !== 'matrix') return;
    expect(d.result.map((r) => r.metric.job)).toEqual(['a', 'b']);
    expect(d.result[0].values).toEqual([
      [0, '0'],
      [30, '40'],
      [60, '80'],
    ]);
  });

  it('refuses too many steps and too many samples with a clear error', () => {
    const e = createEngine(source(), { maxSamples: 100 });
    expect(() => e.rangeQuery('req_total', 0, 1e12, 1000)).toThrow(
      /exceeded maximum resolution of 11,000 points/,
    );
    expect(() => e.instantQuery('sum_over_time(req_total[1h])', 900_000)).toThrow(/too many samples/);
  });

  it('names unsupported constructs', () => {
    const e = createEngine(source());
    expect(() => e.instantQuery('histogram_count(x)', 0)).toThrow(
      /unsupported in qobs PromQL: function histogram_count/,
    );
    expect(() => e.instantQuery('limitk(1, x)', 0)).toThrow(/aggregation limitk/);
  });
});

describe('parser errors', () => {
  it('formats syntax errors as Prometheus does, with position', () => {
    const err = (q: string) => {
      try {
        parsePromql(q);
      } catch (e) {
        return e as PromqlError;
      }
      throw new Error('no error');
    };
    expect(err('sum(foo').message).toMatch(/^1:8: parse error: unexpected end of input/);
    expect(err('foo{a="b"} +').errorType).toBe('bad_data');
    expect(err('foo(bar)').message).toBe('1:1: parse error: unknown function with name "foo"');
    expect(err('rate(foo)').message).toMatch(
      /expected type range vector in call to function "rate", got instant vector/,
    );
    expect(err('1 > 2').message).toMatch(/comparisons between scalars must use BOOL modifier/);
    expect(err('{}').message).toMatch(/vector selector must contain at least one non-empty matcher/);
    expect(err('foo\n  + ]').message).toMatch(/^2:5: parse error/);
  });

  it('fuzz: the parser and evaluator either answer or throw a PromqlError, never anything else', () => {
    const src = source();
    const e = createEngine(src, { maxSamples: 100_000, timeoutMs: 2000 });
    const atoms = ['req_total', 'gauge', 'req_total{job="a"}', '1', '2.5', 'time()', 'vector(1)'];
    const ranges = ['req_total[1m]', 'gauge[5m]', 'req_total[2m:30s]'];
    const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom(...atoms),
        fc
          .tuple(
            fc.constantFrom(
              'rate',
              'increase',
              'delta',
              'avg_over_time',
              'max_over_time',
              'changes',
              'resets',
            ),
            fc.constantFrom(...ranges),
          )
          .map(([f, r]) => `${f}(${r})`),
        fc
          .tuple(
            tie('e'),
            fc.constantFrom('+', '-', '*', '/', '%', '^', '>', '==', 'and', 'or', 'unless', '> bool'),
            tie('e'),
          )
          .map(([a, op, b]) => `(${a}) ${op} (${b})`),
        fc
          .tuple(
            fc.constantFrom('sum', 'avg', 'max', 'count', 'stddev', 'group'),
            fc.constantFrom('', ' by (job)', ' without (code)'),
            tie('e'),
          )
          .map(([a, g, x]) => `${a}${g} (${x})`),
        fc
          .tuple(fc.constantFrom('abs', 'ceil', 'sort', 'absent', 'timestamp'), tie('e'))
          .map(([f, x]) => `${f}(${x})`),
      ),
    })).e;
    fc.assert(
      fc.property(fc.oneof(expr, fc.string({ maxLength: 40 })), fc.integer({ min: 0, max: 900 }), (q, t) => {
        try {
          e.instantQuery(q, t * 1000);
          e.rangeQuery(q, 0, t * 1000, 60_000);
        } catch (err) {
          expect(err).toBeInstanceOf(PromqlError);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('HTTP API handlers', () => {
  const src = source();
  const engine = createEngine(src);
  it('answers /api/v1/query with Prometheus envelope', () => {
    const r = handleQuery(engine, src, { query: 'req_total{job="a"}', time: '600' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: { __name__: 'req_total', job: 'a', code: '200' }, value: [600, '400'] }],
      },
    });
    const rfc = handleQuery(engine, src, { query: '1', time: '1970-01-01T00:10:00Z' });
    expect(rfc.body).toEqual({ status: 'success', data: { resultType: 'scalar', result: [600, '1'] } });
  });

  it('reports errors with errorType and the invalid parameter', () => {
    const r = handleQuery(engine, src, { query: 'sum(', time: '0' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: 'invalid parameter "query": 1:5: parse error: unexpected end of input',
    });
    const t = handleQuery(engine, src, { query: '1', time: 'yesterday' });
    expect(t.body).toMatchObject({
      errorType: 'bad_data',
      error: 'invalid parameter "time": cannot parse "yesterday" to a valid timestamp',
    });
    const x = handleQueryRange(engine, src, { query: 'req_total', start: '0', end: '100000000', step: '1' });
    expect(x.status).toBe(400);
    expect(x.body).toMatchObject({ errorType: 'bad_data' });
  });

  it('answers query_range with durations like 5m', () => {
    const r = handleQueryRange(engine, src, { query: 'sum(req_total)', start: '0', end: '600', step: '5m' });
    expect(r.body).toEqual({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: {},
            values: [
              [0, '0'],
              [300, '240'],
              [600, '480'],
            ],
          },
        ],
      },
    });
  });

  it('lists series, labels, label values and metadata', () => {
    expect(handleSeries(engine, src, { 'match[]': 'req_total' }).body).toMatchObject({
      status: 'success',
      data: [{ job: 'a' }, { job: 'b' }],
    });
    expect(handleSeries(engine, src, {}).body).toMatchObject({
      status: 'error',
      error: 'no match[] parameter provided',
    });
    expect(handleLabels(engine, src, {}).body).toEqual({
      status: 'success',
      data: ['__name__', 'code', 'job'],
    });
    expect(
      handleLabelValues(engine, src, { name: 'job', 'match[]': ['req_total{code=~"5.."}'] }).body,
    ).toEqual({ status: 'success', data: ['b'] });
    expect(handleMetadata(engine, src, {}).body).toEqual({
      status: 'success',
      data: { req_total: [{ type: 'counter', help: 'Requests.', unit: '' }] },
    });
  });
});
