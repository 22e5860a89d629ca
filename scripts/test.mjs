#!/usr/bin/env node
// Runs every test: installs the Debian packages the integration suites need where it can,
// then vitest. Suites whose system programs are missing are skipped and named at the end;
// with QOBS_REQUIRE_SYSTEM_TESTS=1 a skip is a failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const deps = spawnSync('bash', ['scripts/system-deps.sh'], { stdio: 'inherit' });
if (deps.status !== 0) {
  console.error('\n!!! Could not install the system packages (prometheus, prometheus-alertmanager,');
  console.error('!!! prometheus-pushgateway, chromium); suites that need them will be skipped.\n');
}

const skipFile = join(tmpdir(), `qobs-skipped-suites-${process.pid}.txt`);
rmSync(skipFile, { force: true });
const resultsFile = join(tmpdir(), `qobs-test-results-${process.pid}.json`);
rmSync(resultsFile, { force: true });
const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${resultsFile}`,
  ...process.argv.slice(2),
];
const run = spawnSync('npx', args, {
  stdio: 'inherit',
  env: { ...process.env, QOBS_SKIP_FILE: skipFile },
});

let skipped = [];
if (existsSync(skipFile)) {
  skipped = [...new Set(readFileSync(skipFile, 'utf8').split('\n').filter(Boolean))];
}
if (skipped.length > 0) {
  console.error('\n' + '!'.repeat(78));
  console.error('!!! SKIPPED suites (system programs missing):');
  for (const s of skipped) console.error(`!!!   ${s}`);
  console.error('!'.repeat(78) + '\n');
}
// One plain closing line that any CI reads: "tests: N passed, N failed, N skipped".
if (existsSync(resultsFile)) {
  const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
  const skippedTests = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skippedTests} skipped`);
}
const required = process.env.QOBS_REQUIRE_SYSTEM_TESTS === '1';
if (required && skipped.length > 0) {
  console.error('QOBS_REQUIRE_SYSTEM_TESTS=1: a skipped system suite is a failure.');
  process.exit(1);
}
process.exit(run.status ?? 1);
