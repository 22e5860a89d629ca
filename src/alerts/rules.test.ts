import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from './duration.js';
import { formatRuleFile, loadRuleFile, parseRuleFile, RuleFileError } from './rules.js';

describe('rule files', () => {
  it('loads groups, alerting and recording rules with durations parsed', () => {
    const f = parseRuleFile(`
groups:
  - name: g
    interval: 30s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: Down
        expr: up == 0
        for: 5m
        keep_firing_for: 1m
        labels: { severity: critical }
        annotations: { summary: '{{ $labels.job }} down' }
`);
    expect(f.groups[0].intervalMs).toBe(30_000);
    const [rec, alert] = f.groups[0].rules;
    expect(rec).toMatchObject({ kind: 'recording', record: 'job:up:sum' });
    expect(alert).toMatchObject({
      kind: 'alerting',
      alert: 'Down',
      forMs: 300_000,
      keepFiringForMs: 60_000,
      labels: { severity: 'critical' },
    });
  });

  it('reports every issue with its path, not only the first', () => {
    let err: RuleFileError | undefined;
    try {
      parseRuleFile(`
groups:
  - name: g
    rules:
      - alert: A
        expr: rate(x[5m]
        for: 5 minutes
      - record: 'bad name'
        expr: up
        for: 1m
      - alert: B
        expr: up
        annotations: { s: '{{ $value | nosuch }}' }
        lables: {}
  - name: g
    rules: []
`);
    } catch (e) {
      err = e as RuleFileError;
    }
    expect(err).toBeInstanceOf(RuleFileError);
    const paths = err!.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'groups[0].rules[0].expr',
        'groups[0].rules[0].for',
        'groups[0].rules[1].record',
        'groups[0].rules[1].for',
        'groups[0].rules[2].annotations.s',
        'groups[0].rules[2].lables',
        'groups[1].name',
      ]),
    );
    expect(err!.code).toBe('rules_invalid');
  });

  it('writes back a file that reads the same (the default pack round-trips)', () => {
    const pack = loadRuleFile(path.resolve(__dirname, '..', '..', 'assets', 'rules', 'quantum.rules.yml'));
    const again = parseRuleFile(formatRuleFile(pack));
    expect(again).toEqual(pack);
  });

  it('parses and formats Prometheus durations', () => {
    expect(parseDurationMs('1h30m', 'f')).toBe(5_400_000);
    expect(parseDurationMs('0', 'f')).toBe(0);
    expect(parseDurationMs('1d', 'f')).toBe(86_400_000);
    expect(formatDurationMs(5_400_000)).toBe('1h30m');
    expect(() => parseDurationMs('1.5h', 'route.group_wait')).toThrow(/route\.group_wait/);
    for (const ms of [1, 999, 1000, 61_000, 3_600_000, 90_061_001])
      expect(parseDurationMs(formatDurationMs(ms), 'f')).toBe(ms);
  });
});
