// Fuzzing of the configuration files the workbench reads: qobs.yaml, alert rule files and the alert routing file
// (Alertmanager format). Generated documents built from the real keys with hostile values, and raw text, either
// load or are refused with the module's typed error naming the field; nothing else is thrown.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRouterConfig, parseRuleFile, RouterConfigError, RuleFileError } from '../alerts/index.js';
import { loadConfig } from '../config/index.js';
import { QobsError } from '../errors.js';

/** Fixed so CI repeats itself; QOBS_FUZZ_SEED=random explores, a number replays. */
const SEED =
  process.env.QOBS_FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env.QOBS_FUZZ_SEED ?? 20_261_129);
const dir = mkdtempSync(path.join(tmpdir(), 'qobs-config-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    Number.POSITIVE_INFINITY,
    Number.NaN,
    2 ** 53,
    '',
    '5m',
    '-5m',
    '1GiB',
    '10QB',
    '0.0.0.0',
    '::1',
    '$' + '{HOME}', // an environment reference, which the loader must not expand
    '../../etc/passwd',
    null,
    true,
    '__proto__',
    'x'.repeat(10_000),
  ),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
);
const tree = (keys: readonly string[]) =>
  fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      value,
      fc.array(tie('node'), { maxLength: 3 }),
      fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 6 })), tie('node'), {
        maxKeys: 5,
      }),
    ),
  })).node;

const CONFIG_KEYS = [
  'data_dir',
  'server',
  'host',
  'port',
  'token',
  'otlp',
  'max_body_bytes',
  'max_decoded_bytes',
  'max_inflight_requests',
  'storage',
  'retention',
  'max_size',
  'durability',
  'chunk_samples',
  'scrape',
  'interval',
  'timeout',
  'targets',
  'limits',
  'max_series_per_metric',
  'max_label_value_length',
  'cost',
  'catalogue',
  'budgets',
  'forward',
  'endpoint',
  'headers',
  'providers',
  'name',
  'devices',
];
const RULE_KEYS = [
  'groups',
  'name',
  'interval',
  'limit',
  'rules',
  'alert',
  'record',
  'expr',
  'for',
  'keep_firing_for',
  'labels',
  'annotations',
];
const ROUTE_KEYS = [
  'global',
  'route',
  'receiver',
  'group_by',
  'group_wait',
  'group_interval',
  'repeat_interval',
  'routes',
  'matchers',
  'continue',
  'receivers',
  'name',
  'webhook_configs',
  'slack_configs',
  'pagerduty_configs',
  'email_configs',
  'url',
  'send_resolved',
  'inhibit_rules',
  'source_matchers',
  'target_matchers',
  'equal',
];

/** YAML of a generated tree, sometimes cut or corrupted to raw text. */
const yamlOf = (keys: readonly string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: tree(keys).map((t) => stringify(t)) },
    { weight: 1, arbitrary: fc.tuple(tree(keys), fc.nat()).map(([t, n]) => stringify(t).slice(0, n)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('a: &x [*x]', '{{{', ': :', 'a: !!binary xx', '- - - -\n  a', '\t\u0000'),
    },
  );

describe('configuration files under fuzzing', () => {
  it('qobs.yaml: a generated file loads or is refused with a QobsError, 800 cases', () => {
    let refused = 0;
    fc.assert(
      fc.property(yamlOf(CONFIG_KEYS), (text) => {
        const file = path.join(dir, 'qobs.yaml');
        writeFileSync(file, text);
        try {
          loadConfig(file, {}, {});
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(QobsError);
          refused++;
        }
      }),
      { numRuns: 800, seed: SEED },
    );
    expect(refused).toBeGreaterThan(0);
  });

  it('alert rule files: parsed or refused with RuleFileError, 800 cases', () => {
    fc.assert(
      fc.property(yamlOf(RULE_KEYS), (text) => {
        try {
          parseRuleFile(text, 'fuzz.rules.yml');
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(RuleFileError);
        }
      }),
      { numRuns: 800, seed: SEED },
    );
  });

  it('alert routing files: parsed or refused with RouterConfigError, 800 cases', () => {
    fc.assert(
      fc.property(yamlOf(ROUTE_KEYS), (text) => {
        try {
          parseRouterConfig(text, 'fuzz.yml');
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(RouterConfigError);
        }
      }),
      { numRuns: 800, seed: SEED },
    );
  });

  it('alert rule files: an unresolved alias is a RuleFileError', () => {
    expect(() => parseRuleFile('groups: *missing', 'x.rules.yml')).toThrow(RuleFileError);
  });

  it('alert routing files: an unresolved alias is a RouterConfigError', () => {
    expect(() => parseRouterConfig('route: *missing', 'alertmanager.yml')).toThrow(RouterConfigError);
  });
});
