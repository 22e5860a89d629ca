import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, MemorySeriesSource } from '../promql/index.js';
import { describeWithPrograms } from '../testing/system.js';
import {
  promtoolTest,
  runScenario,
  SCENARIOS,
  type Scenario,
  type ScenarioResult,
} from './pack.scenarios.js';
import { formatRuleFile, loadRuleFile, type RuleFile } from './rules.js';

const PACK = path.resolve(__dirname, '..', '..', 'assets', 'rules', 'quantum.rules.yml');
const pack = loadRuleFile(PACK);

function onlyRule(name: string): RuleFile {
  return {
    groups: pack.groups
      .map((g) => ({
        ...g,
        rules: g.rules.filter((r) => (r.kind === 'alerting' ? r.alert : r.record) === name),
      }))
      .filter((g) => g.rules.length > 0),
  };
}

const cache = new Map<string, { scenario: Scenario; result: ScenarioResult }>();
function run(name: string) {
  let hit = cache.get(name);
  if (!hit) {
    const scenario = SCENARIOS.find((s) => s.name === name)!;
    const result = runScenario(scenario, pack, new MemorySeriesSource(), (src) =>
      createEngine(src, { mode: 'prometheus2' }),
    );
    hit = { scenario, result };
    cache.set(name, hit);
  }
  return hit;
}

describe('default rule pack', () => {
  it('has a scenario for every alerting and recording rule', () => {
    const names = pack.groups.flatMap((g) =>
      g.rules.map((r) => (r.kind === 'alerting' ? r.alert : r.record)),
    );
    expect(SCENARIOS.map((s) => s.name).sort()).toEqual([...names].sort());
  });

  it('gives every alert severity, summary, description, value and a runbook link', () => {
    for (const g of pack.groups)
      for (const r of g.rules) {
        if (r.kind !== 'alerting') continue;
        expect(['critical', 'warning']).toContain(r.labels.severity);
        expect(Object.keys(r.annotations).sort()).toEqual(['description', 'runbook_url', 'summary', 'value']);
        expect(r.annotations.runbook_url).toMatch(/\/docs\/alerts\.md#[a-z]+$/);
      }
  });

  for (const s of SCENARIOS.filter((x) => x.kind === 'alert')) {
    it(`scenario ${s.name}: the alert fires at some evaluation time and is quiet at another`, () => {
      const { result } = run(s.name);
      const counts = s.evalMinutes.map((m) => result.alerts.get(m)!.length);
      expect(Math.max(...counts)).toBeGreaterThan(0);
      expect(Math.min(...counts)).toBe(0);
    });
  }

  it('measures budget burn against each budget’s own period: the same spend alerts a monthly budget (or one without a period, as 30 days), not a weekly one', () => {
    const { scenario, result } = run('QuantumCostBudgetBurnFast');
    const budgets = new Set(
      scenario.evalMinutes.flatMap((m) => result.alerts.get(m)!.map((a) => a.labels.budget)),
    );
    expect([...budgets].sort()).toEqual(['legacy', 'research']);
  });
});

describeWithPrograms('default rule pack against promtool', ['promtool'], () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'qobs-pack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes promtool check rules', () => {
    const r = spawnSync('promtool', ['check', 'rules', PACK], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('SUCCESS: 16 rules found');
    expect(r.status).toBe(0);
  });

  for (const s of SCENARIOS) {
    it(`promtool test rules agrees with the qobs evaluator on ${s.name}`, () => {
      const { scenario, result } = run(s.name);
      // promtool gets the scenario's rule alone, written back by qobs' rule-file writer (no rule reads another's output).
      const base = path.join(dir, s.name.replace(/[^A-Za-z0-9]/g, '_'));
      writeFileSync(`${base}.rules.yml`, formatRuleFile(onlyRule(s.name)));
      const file = `${base}.test.yml`;
      writeFileSync(file, promtoolTest(scenario, result, `${base}.rules.yml`));
      const r = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).toContain('SUCCESS');
      expect(r.status).toBe(0);
    });
  }

  it('the comparison can fail: promtool rejects an expectation the evaluator did not produce', () => {
    const { scenario, result } = run('QuantumDeviceOffline');
    const shifted = new Map(
      [...result.alerts].map(([m, a]) => [m, m === 14 ? (result.alerts.get(16) ?? []) : a]),
    );
    const file = path.join(dir, 'tampered.test.yml');
    writeFileSync(file, promtoolTest(scenario, { ...result, alerts: shifted }, PACK));
    const r = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('FAILED');
  });
});
