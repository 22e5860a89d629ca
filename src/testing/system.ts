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

/**
 * The port a Prometheus-family program (prometheus, prometheus-alertmanager, prometheus-pushgateway) started
 * with `--web.listen-address=127.0.0.1:0` listens on, read from its `msg="Listening on"` log line. Letting the
 * program choose its port avoids reserving one, freeing it and passing it on: in that window a test running in
 * parallel can take it. The child's stderr must be piped; it is read until the line is seen (and stays flowing).
 */
export function listeningPort(
  child: import('node:child_process').ChildProcess,
  timeoutMs = 30_000,
): Promise<number> {
  const stderr = child.stderr;
  if (!stderr) return Promise.reject(new Error('listeningPort needs the program’s stderr piped'));
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (err: Error | undefined, port?: number) => {
      clearTimeout(timer);
      stderr.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(port!);
    };
    const onData = (b: Buffer) => {
      if (text.length < 64_000) text += b.toString();
      const m = /msg="Listening on".*?address=\S*:(\d+)/.exec(text);
      if (m) finish(undefined, Number(m[1]));
    };
    const onExit = (code: number | null) =>
      finish(new Error(`${child.spawnfile} exited (${code}) before listening: ${text.slice(-2000)}`));
    const timer = setTimeout(
      () =>
        finish(new Error(`${child.spawnfile} did not listen within ${timeoutMs} ms: ${text.slice(-2000)}`)),
      timeoutMs,
    );
    stderr.on('data', onData);
    child.once('exit', onExit);
  });
}
