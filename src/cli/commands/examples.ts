// `qobs examples`: analyzes the bundled example circuits in assets/examples.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { analyze, parseQasmFile } from '../../circuit/index.js';
import { printJson } from '../util.js';
import { analysisJson, analysisText } from './analyze.js';

/** assets/examples, found from this file both in src/ (tsx) and in dist/ (built). */
export function examplesDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'assets', 'examples');
}

function action(opts: { json?: boolean }): void {
  const dir = examplesDir();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.qasm'))
    .sort();
  const results = files.map((f) => ({ example: f, analysis: analyze(parseQasmFile(path.join(dir, f))) }));
  if (opts.json) {
    printJson({ examples: results.map((r) => ({ example: r.example, ...analysisJson(r.analysis) })) });
    return;
  }
  for (const r of results) process.stdout.write(`${r.example}\n${analysisText(r.analysis)}\n\n`);
}

export function register(program: Command): void {
  program
    .command('examples')
    .description('Analyze the bundled example circuits (Bell, GHZ, QFT) and print the results')
    .option('--json', 'print one JSON object')
    .action((opts: { json?: boolean }) => action(opts));
}
