// Captures what the CLI writes to stdout and stderr in tests that drive `run()` in process.
import { afterEach, beforeEach, vi } from 'vitest';

/** Output captured since the current test began (a test may clear it between steps). */
export interface Captured {
  out: string;
  err: string;
}

/** Installs beforeEach/afterEach hooks that capture stdout and stderr and reset the exit code. */
export function captureOutput(): Captured {
  const io = { out: '', err: '' };
  beforeEach(() => {
    io.out = '';
    io.err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      io.out += String(s);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      io.err += String(s);
      return true;
    });
    process.exitCode = undefined;
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });
  return io;
}
