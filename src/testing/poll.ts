// expect.poll's wait for tests that drive a browser or another process on a loaded machine.
import { afterAll, vi } from 'vitest';

/**
 * Gives every `expect.poll` in the calling test file (that names no timeout of its own) `timeoutMs` instead of
 * vitest's 1 s default, which a page rendering under load on a 2-core machine can overrun. A poll still fails
 * with its matcher's message once the time is up. Call it once at the top of the file.
 */
export function patientPolls(timeoutMs = 15_000, intervalMs = 100): void {
  vi.setConfig({ expect: { poll: { timeout: timeoutMs, interval: intervalMs } } });
  afterAll(() => vi.resetConfig());
}
