// Runs the Prometheus project's own PromQL test scripts (v3.14 in the default mode, v2.42 in the Prometheus 2
// mode) and prints, per file, the eval blocks passed, failed and out of subset.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTestScript, type ScriptResult } from './testscript.js';

const fixtures = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'promql-tests');

/**
 * Failures known today, per file, each explained in docs/promql.md. The suite fails when a file fails more
 * blocks than listed here, so a regression cannot pass unnoticed.
 */
const KNOWN_FAILURES: Record<string, Record<string, number>> = {
  'v2.42': {},
  'v3.14': {
    'name_label_dropping.test': 8,
    'type_and_unit.test': 1,
  },
};

for (const [dir, mode] of [
  ['v3.14', 'prometheus3'],
  ['v2.42', 'prometheus2'],
] as const) {
  describe(`Prometheus ${dir} PromQL test files (${mode} mode)`, () => {
    const files = readdirSync(path.join(fixtures, dir))
      .filter((f) => f.endsWith('.test'))
      .sort();
    const rows: string[] = [];
    for (const file of files) {
      it(file, () => {
        const r: ScriptResult = runTestScript(readFileSync(path.join(fixtures, dir, file), 'utf8'), { mode });
        rows.push(`${dir}/${file}: passed ${r.passed}, failed ${r.failed}, out of subset ${r.unsupported}`);
        const failures = r.blocks
          .filter((b) => b.status === 'failed')
          .map((b) => `line ${b.line}: ${b.expr} -> ${b.detail}`);
        expect(r.passed + r.failed + r.unsupported).toBe(r.blocks.length);
        expect(failures.length, failures.join('\n')).toBeLessThanOrEqual(KNOWN_FAILURES[dir][file] ?? 0);
      });
    }
    it('prints the per-file table', () => {
      console.log(`\nPromQL test files ${dir} (${mode}):\n${rows.join('\n')}`);
      expect(rows.length).toBe(files.length);
    });
  });
}
