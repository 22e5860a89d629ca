#!/usr/bin/env node
// Bundles the web dashboard (src/ui/app) with esbuild into dist/ui/public: main.js, main.css, index.html.
// `node scripts/build-ui.mjs [--out DIR] [--dev]`; nothing is fetched at run time (no CDN).
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const outDir = outIdx >= 0 ? resolve(args[outIdx + 1]) : join(root, 'dist', 'ui', 'public');
const dev = args.includes('--dev');

mkdirSync(outDir, { recursive: true });
const result = await build({
  entryPoints: { main: join(root, 'src', 'ui', 'app', 'main.ts') },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  outdir: outDir,
  minify: !dev,
  sourcemap: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});
for (const f of ['index.html', 'favicon.svg'])
  copyFileSync(join(root, 'src', 'ui', 'app', f), join(outDir, f));
const bytes = Object.entries(result.metafile.outputs)
  .filter(([f]) => !f.endsWith('.map'))
  .map(([f, o]) => `${f.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} KiB`);
console.log(`ui bundle → ${outDir}: ${bytes.join(', ')}`);
