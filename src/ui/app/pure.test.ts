// The dashboard's pure parts: time ranges and steps, Grafana variables, legends, thresholds, binning,
// formatting, silence matchers, completion words and timestamp reading.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { legendFor, OVERVIEW_PANELS, thresholdFor } from '../../dashboards/index.js';
import { binSeries } from './bins.js';
import { formatValue } from './format.js';
import { parseMatchers } from './pages/alerts.js';
import { wordAt } from './pages/explore.js';
import { expandExpr, parseDurationMs, promDuration, resolveRange, resolveTime, stepFor } from './time.js';
import { attrsOf, toMs } from './workbench.js';

describe('time', () => {
  it('parses durations and relative times', () => {
    expect(parseDurationMs('30s')).toBe(30_000);
    expect(parseDurationMs('5m')).toBe(300_000);
    expect(parseDurationMs('7d')).toBe(7 * 86_400_000);
    expect(parseDurationMs('5x')).toBeUndefined();
    expect(parseDurationMs('')).toBeUndefined();
    expect(resolveTime('now-1h', 10_000_000)).toBe(10_000_000 - 3_600_000);
    expect(resolveTime('now', 5)).toBe(5);
    expect(resolveTime('1700000000000', 0)).toBe(1_700_000_000_000);
    expect(resolveTime('yesterday', 0)).toBeUndefined();
  });

  it('resolves a range to whole seconds with about 240 points, and falls back on a bad one', () => {
    const now = 1_700_000_000_123;
    const r = resolveRange({ from: 'now-1h', to: 'now' }, now);
    expect(r.endMs).toBe(1_700_000_000_000);
    expect(r.endMs - r.startMs).toBe(3_600_000);
    expect(r.stepSeconds).toBe(15);
    expect(
      resolveRange({ from: 'now', to: 'now-1h' }, now).endMs -
        resolveRange({ from: 'now', to: 'now-1h' }, now).startMs,
    ).toBe(3_600_000);
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 90 * 86_400_000 }), (rangeMs) => {
        const step = stepFor(rangeMs);
        expect(Number.isInteger(step)).toBe(true);
        expect(step).toBeGreaterThanOrEqual(1);
        expect(rangeMs / 1000 / step).toBeLessThanOrEqual(240);
      }),
    );
  });

  it('writes durations as PromQL reads them', () => {
    expect(promDuration(3600)).toBe('1h');
    expect(promDuration(86400 * 7)).toBe('7d');
    expect(promDuration(90)).toBe('90s');
    expect(promDuration(120)).toBe('2m');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (s) => {
        expect(parseDurationMs(promDuration(s))).toBe(s * 1000);
      }),
    );
  });

  it('substitutes $__range, $__interval and $__rate_interval as Grafana does', () => {
    const r = { startMs: 0, endMs: 3_600_000, stepSeconds: 15 };
    expect(expandExpr('increase(x[$__range])', r)).toBe('increase(x[1h])');
    expect(expandExpr('rate(x[$__rate_interval]) + y[$__interval]', r)).toBe('rate(x[1m]) + y[15s]');
    expect(expandExpr('rate(x[$__rate_interval])', { startMs: 0, endMs: 86_400_000, stepSeconds: 360 })).toBe(
      'rate(x[375s])',
    );
  });
});

describe('panels', () => {
  it('are the eight panels of the specification, with its titles', () => {
    expect(OVERVIEW_PANELS.map((p) => p.title)).toEqual([
      'Quantum Circuit Execution Rate',
      'Circuit Success Rate',
      'Average Circuit Execution Time',
      'Quantum Device Status',
      'Queue Length by Device',
      'Circuit Fidelity Distribution',
      'Quantum Cost by Provider',
      'Error Rates by Device',
    ]);
    expect(new Set(OVERVIEW_PANELS.map((p) => p.id)).size).toBe(8);
    // Only the fixed metric names of DESIGN.md §3.
    const names = OVERVIEW_PANELS.flatMap((p) =>
      p.queries.flatMap((q) => q.expr.match(/quantum_[a-z_]+/g) ?? []),
    );
    const fixed =
      /^quantum_(circuit_executions_total|circuit_execution_seconds_(sum|count|bucket)|circuit_fidelity|device_status|device_queue_length|cost_total|device_error_rate)$/;
    for (const n of names) expect(n).toMatch(fixed);
  });

  it('colours the success rate red below 90, yellow below 95, green from 95, with a word for each', () => {
    const t = OVERVIEW_PANELS.find((p) => p.id === 'success-rate')!.thresholds!;
    expect(thresholdFor(t, 89.99)).toMatchObject({ color: 'red', label: 'Critical' });
    expect(thresholdFor(t, 90)).toMatchObject({ color: 'yellow', label: 'Warning' });
    expect(thresholdFor(t, 94.99)).toMatchObject({ color: 'yellow' });
    expect(thresholdFor(t, 95)).toMatchObject({ color: 'green', label: 'Healthy' });
    const s = OVERVIEW_PANELS.find((p) => p.id === 'device-status')!;
    expect(thresholdFor(s.thresholds!, 0)?.label).toBe('Offline');
    expect(thresholdFor(s.thresholds!, 1)?.label).toBe('Online');
  });

  it('fills legends from labels', () => {
    expect(legendFor('{{provider}}.{{device}}', { provider: 'ibm', device: 'ibm_torino' })).toBe(
      'ibm.ibm_torino',
    );
    expect(legendFor('{{ missing }}x', {})).toBe('x');
    expect(legendFor('', { __name__: 'up', job: 'a' })).toBe('{job="a"}');
  });
});

describe('binSeries', () => {
  it('counts every finite sample once, in the band whose bound it does not exceed', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.double({ min: 0, max: 1.2, noNaN: true })), {
            maxLength: 30,
          }),
          { maxLength: 5 },
        ),
        (raw) => {
          const series = raw.map((vals, i) => ({
            metric: { i: String(i) },
            values: [...new Map(vals.map(([t, v]) => [t, v])).entries()].map(
              ([t, v]) => [t, String(v)] as [number, string],
            ),
          }));
          const bins = [0.5, 0.9, 1];
          const data = binSeries(series, bins);
          const total = data.counts.flat().reduce((a, b) => a + b, 0);
          expect(total).toBe(series.reduce((a, s) => a + s.values.length, 0));
          for (const s of series)
            for (const [t, v] of s.values) {
              const b = [0.5, 0.9, 1, Number.POSITIVE_INFINITY].findIndex((x) => Number(v) <= x);
              expect(data.counts[b][data.times.indexOf(t)]).toBeGreaterThan(0);
            }
        },
      ),
    );
  });
});

describe('formatValue', () => {
  it('writes values in their unit', () => {
    expect(formatValue(96.5, 'percent')).toBe('96.5 %');
    expect(formatValue(0.0123, 'percentunit')).toBe('1.23 %');
    expect(formatValue(0.25, 's')).toBe('250 ms');
    expect(formatValue(2.5, 's')).toBe('2.5 s');
    expect(formatValue(12.5, 'currencyUSD')).toBe('$12.50');
    expect(formatValue(0.5, 'ops')).toBe('0.5/s');
    expect(formatValue(Number.NaN, 'short')).toBe('NaN');
    expect(formatValue(Number.POSITIVE_INFINITY, 'short')).toBe('+Inf');
  });
});

describe('parseMatchers', () => {
  it('reads Alertmanager matchers and rejects malformed ones', () => {
    expect(parseMatchers('alertname="HighErrorRate", device=~"ibm_.*", env!=prod')).toEqual([
      { name: 'alertname', value: 'HighErrorRate', isRegex: false, isEqual: true },
      { name: 'device', value: 'ibm_.*', isRegex: true, isEqual: true },
      { name: 'env', value: 'prod', isRegex: false, isEqual: false },
    ]);
    expect(() => parseMatchers('')).toThrow(/at least one/);
    expect(() => parseMatchers('1bad=x')).toThrow(/not name=value/);
  });
});

describe('wordAt', () => {
  it('finds the identifier before the cursor', () => {
    expect(wordAt('rate(quantum_dev', 16)).toEqual({ word: 'quantum_dev', start: 5 });
    expect(wordAt('sum(', 4)).toEqual({ word: '', start: 4 });
  });
});

describe('workbench reading', () => {
  it('reads timestamps in ns, µs, ms, s and ISO', () => {
    expect(toMs('1700000000000000000')).toBe(1_700_000_000_000);
    expect(toMs(1_700_000_000_000_000)).toBe(1_700_000_000_000);
    expect(toMs(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(toMs(1_700_000_000)).toBe(1_700_000_000_000);
    expect(toMs('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    expect(toMs('not a time')).toBeUndefined();
  });
  it('flattens OTLP key/value attribute lists', () => {
    expect(
      attrsOf([
        { key: 'a', value: { stringValue: 'x' } },
        { key: 'b', value: { intValue: 3 } },
      ]),
    ).toEqual({ a: 'x', b: 3 });
    expect(attrsOf({ a: 1 })).toEqual({ a: 1 });
  });
});
