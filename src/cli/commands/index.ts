// Registers every `qobs` subcommand. Each command lives in its own file and exports `register`.
import type { Command } from 'commander';

type Register = (program: Command) => void;

const registrations: Register[] = [];

export function registerAll(program: Command): void {
  for (const r of registrations) r(program);
}
