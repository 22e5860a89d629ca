#!/usr/bin/env node
// `npm run bench -- NAME [--quick]` runs bench/NAME.ts; its last line is one JSON object.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';

const [name, ...rest] = process.argv.slice(2);
const available = readdirSync('bench')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [--quick]\navailable: ${available.join(', ')}`);
  process.exit(2);
}
if (!existsSync('dist')) {
  console.error('dist/ is missing: run npm run build first');
  process.exit(2);
}
// Benchmarks that load the compiled build (ingest) would measure old code from a stale dist/.
const newest = (dir, skip) => {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) t = Math.max(t, newest(p, skip));
    else if (!skip(p)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
};
const source = newest('src', (p) => !p.endsWith('.ts') || p.endsWith('.test.ts') || p.startsWith('src/ui/'));
if (newest('dist', (p) => !p.endsWith('.js')) < source) {
  console.error('dist/ is older than src/: run npm run build first');
  process.exit(2);
}
const r = spawnSync('npx', ['tsx', `bench/${name}.ts`, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
