// Gate for integration suites that drive real system programs (promtool, alertmanager, chromium).
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { describe, it } from 'vitest';

/** Path of a program on PATH (or an absolute path that exists), else undefined. */
export function findProgram(name: string): string | undefined {
  if (name.startsWith('/')) return existsSync(name) ? name : undefined;
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
}

/**
 * describe() that runs only when every program is present. When one is missing the suite is
 * skipped and named in the skip file that `npm test` prints; with QOBS_REQUIRE_SYSTEM_TESTS=1
 * it fails instead.
 */
export function describeWithPrograms(title: string, programs: string[], body: () => void): void {
  const missing = programs.filter((p) => !findProgram(p));
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const why = `${title}: missing ${missing.join(', ')}`;
  if (process.env.QOBS_REQUIRE_SYSTEM_TESTS === '1') {
    describe(title, () => {
      it('has its system programs', () => {
        throw new Error(`required system suite cannot run: ${why}`);
      });
    });
    return;
  }
  if (process.env.QOBS_SKIP_FILE) appendFileSync(process.env.QOBS_SKIP_FILE, why + '\n');
  console.warn(`SKIPPED ${why}`);
  describe.skip(title, body);
}

/**
 * Stops a child program and resolves once it has exited (SIGKILL after `timeoutMs`), so a test removes the
 * program's data folder only after the program stopped writing into it.
 */
export async function stopProgram(
  child: import('node:child_process').ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 5000,
): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
