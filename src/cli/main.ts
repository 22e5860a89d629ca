#!/usr/bin/env node
// Entry point of the `qobs` command.
import { run } from './program.js';

run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`qobs: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
