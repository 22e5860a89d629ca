// Builds the dashboard bundle into a fresh temporary folder for a browser suite.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Runs scripts/build-ui.mjs into a new temporary folder and returns it; throws with esbuild's output on failure. */
export function buildUiIntoTemp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qobs-ui-'));
  const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build-ui.mjs'), '--out', dir], {
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`ui build failed: ${build.stderr}`);
  return dir;
}
