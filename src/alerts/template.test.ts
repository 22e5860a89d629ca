import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { describeWithPrograms } from '../testing/system.js';
import { goG } from './gofmt.js';
import { expandTemplate, parseTemplate, TemplateError } from './template.js';

const data = (value: number, labels: Record<string, string> = { device: 'ibm_torino', provider: 'ibm' }) => ({
  labels,
  value,
  externalURL: 'http://qobs.local',
});

describe('alert templates', () => {
  it('expands labels, value and external URL; a missing label is empty', () => {
    expect(
      expandTemplate(
        '{{ $labels.provider }}.{{ $labels.device }} = {{ $value }} ({{ $labels.nope }})',
        data(0.5),
      ),
    ).toBe('ibm.ibm_torino = 0.5 ()');
    expect(expandTemplate('{{ .Labels.device }} {{ $externalURL }}/x', data(1))).toBe(
      'ibm_torino http://qobs.local/x',
    );
    expect(expandTemplate('no actions', data(1))).toBe('no actions');
  });

  it('formats values with Prometheus functions as Go prints them', () => {
    const cases: [string, number, string][] = [
      ['{{ $value | humanize }}', 1234567, '1.235M'],
      ['{{ $value | humanize }}', 0.00123, '1.23m'],
      ['{{ $value | humanize }}', 0, '0'],
      ['{{ $value | humanize }}', 1000, '1k'],
      ['{{ $value | humanize1024 }}', 2048, '2ki'],
      ['{{ $value | humanizePercentage }}', 0.0123, '1.23%'],
      ['{{ $value | humanizeDuration }}', 3661, '1h 1m 1s'],
      ['{{ $value | humanizeDuration }}', 90061, '1d 1h 1m 1s'],
      ['{{ $value | humanizeDuration }}', 0.05, '50ms'],
      ['{{ $value }}', 1e6, '1e+06'],
      ['{{ $value }}', 123456, '123456'],
      ['{{ $value }}', 1e-5, '1e-05'],
      ['{{ printf "%.2f" $value }}', Math.PI, '3.14'],
      ['{{ humanize $value }}', 2500, '2.5k'],
    ];
    for (const [t, v, want] of cases) expect(expandTemplate(t, data(v)), `${t} with ${v}`).toBe(want);
  });

  it('supports if/else, comparisons and trim markers', () => {
    const t = '{{ if gt $value 0.5 -}} high {{- else -}} low {{- end }}';
    expect(expandTemplate(t, data(0.9))).toBe('high');
    expect(expandTemplate(t, data(0.1))).toBe('low');
    expect(expandTemplate('{{ if eq $labels.provider "ibm" }}IBM{{ end }}', data(1))).toBe('IBM');
    expect(expandTemplate('{{ $labels.device | toUpper }}', data(1))).toBe('IBM_TORINO');
  });

  it('rejects templates that do not parse, with the offset', () => {
    for (const bad of [
      '{{ $value ',
      '{{ if $value }}x',
      '{{ nosuchfunc $value }}',
      '{{ end }}',
      '{{ range $labels }}{{ end }}',
    ]) {
      expect(() => parseTemplate(bad), bad).toThrow(TemplateError);
    }
  });

  it('prints any float as Go does: shortest digits that read back to the same number', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(Number(goG(v))).toBe(v);
      }),
    );
  });
});

describeWithPrograms('alert templates against Prometheus (promtool)', ['promtool'], () => {
  it('renders humanize, humanizePercentage, humanizeDuration, printf and $value exactly as Prometheus does', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qobs-tpl-'));
    try {
      const annotations = {
        h: '{{ $value | humanize }}',
        k: '{{ $value | humanize1024 }}',
        p: '{{ $value | humanizePercentage }}',
        d: '{{ $value | humanizeDuration }}',
        v: '{{ $value }}',
        f: '{{ printf "%.3f" $value }}',
        g: '{{ printf "%g" $value }}',
        e: '{{ printf "%.2e" $value }}',
      };
      // Values across magnitudes and signs, drawn reproducibly.
      const values = fc.sample(
        fc.oneof(
          fc.double({ min: -1e12, max: 1e12, noNaN: true }),
          fc.double({ min: -1, max: 1, noNaN: true }),
          fc.integer({ min: -100000, max: 1000000 }),
          fc.constantFrom(0, 1, 1000, 1024, 0.001, 59.999, 86400, 123456789, 1e-9),
        ),
        { numRuns: 120, seed: 42 },
      );
      writeFileSync(
        path.join(dir, 'rules.yml'),
        stringify({ groups: [{ name: 'fmt', rules: [{ alert: 'Fmt', expr: 'fmt_value', annotations }] }] }),
      );
      const test = {
        rule_files: ['rules.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: values.map((v, i) => ({ series: `fmt_value{i="${i}"}`, values: `${v}x2` })),
            alert_rule_test: [
              {
                eval_time: '1m',
                alertname: 'Fmt',
                exp_alerts: values.map((v, i) => ({
                  exp_labels: { i: String(i) },
                  exp_annotations: Object.fromEntries(
                    Object.entries(annotations).map(([k, t]) => [
                      k,
                      expandTemplate(t, { labels: { i: String(i) }, value: v }),
                    ]),
                  ),
                })),
              },
            ],
          },
        ],
      };
      writeFileSync(path.join(dir, 'test.yml'), stringify(test));
      const r = spawnSync('promtool', ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
