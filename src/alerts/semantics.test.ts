// Evaluator semantics beyond the default pack, checked against promtool minute by minute: keep_firing_for,
// flapping inputs, templated labels, an alert on a recording rule's output, several series per alert.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createEngine, MemorySeriesSource } from '../promql/index.js';
import { describeWithPrograms } from '../testing/system.js';
import { promtoolTest, runScenario, type Scenario } from './pack.scenarios.js';
import { formatRuleFile, parseRuleFile } from './rules.js';

const RULES = parseRuleFile(`
groups:
  - name: semantics
    interval: 1m
    rules:
      - record: job:errors:rate5m
        expr: sum by (job) (rate(errors_total[5m]))
      - alert: Flapping
        expr: flappy > 0
        for: 2m
        keep_firing_for: 3m
        labels:
          severity: '{{ if gt $value 5.0 }}critical{{ else }}warning{{ end }}'
          level: 'level-{{ $value }}'
        annotations:
          summary: '{{ $labels.instance }} at {{ $value | humanize }}'
      - alert: ErrorsFromRecording
        expr: job:errors:rate5m > 0.05
        for: 1m
        annotations:
          summary: '{{ $labels.job }}: {{ printf "%.4f" $value }} errors/s'
`);

const SCENARIOS: Scenario[] = [
  {
    name: 'Flapping',
    kind: 'alert',
    evalMinutes: [0, 40],
    series: [
      {
        series: 'flappy{instance="a"}',
        values: '0 1 1 1 0 1 0 0 0 0 0 0 7 7 7 7 0 0 0 0 0 0 0 1 1 1 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0',
      },
      { series: 'flappy{instance="b"}', values: '0x5 3x10 0x24' },
    ],
  },
  {
    name: 'ErrorsFromRecording',
    kind: 'alert',
    evalMinutes: [0, 40],
    series: [
      { series: 'errors_total{job="trainer",instance="1"}', values: '0x5 0+6x10 60x24' },
      { series: 'errors_total{job="trainer",instance="2"}', values: '0+1x40' },
      { series: 'errors_total{job="sampler",instance="1"}', values: '0+1x40' },
    ],
  },
];

describeWithPrograms('evaluator semantics against promtool', ['promtool'], () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'qobs-sem-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rulesFile = path.join(dir, 'rules.yml');
  writeFileSync(rulesFile, formatRuleFile(RULES));

  for (const s of SCENARIOS) {
    it(`agrees with promtool on ${s.name}`, () => {
      // Recording rules must run too: the alert reads their output.
      const result = runScenario(
        s,
        RULES,
        new MemorySeriesSource(),
        (src) => createEngine(src, { mode: 'prometheus2' }),
        { allRules: true },
      );
      const firing = [...result.alerts.values()].filter((a) => a.length > 0).length;
      expect(firing).toBeGreaterThan(3);
      const file = path.join(dir, `${s.name}.test.yml`);
      writeFileSync(file, promtoolTest(s, result, rulesFile));
      const r = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).toContain('SUCCESS');
    });
  }
});
