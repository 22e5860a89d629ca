#!/usr/bin/env node
// `npm run bench -- NAME [--quick]` runs bench/NAME.ts; its last line is one JSON object.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

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
const r = spawnSync('npx', ['tsx', `bench/${name}.ts`, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
