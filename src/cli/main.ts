#!/usr/bin/env node
// Entry point of the `qobs` command.
import { run } from './program.js';

// Output piped into a reader that stops early (`qobs ... | head`) is not an error of ours.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });

run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`qobs: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
