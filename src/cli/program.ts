// The `qobs` command: builds the commander program from the registered commands.
import { Command, CommanderError } from 'commander';
import { QobsError } from '../errors.js';
import { registerAll } from './commands/index.js';
import { addExamples } from './help.js';
import { EXIT, ExitError } from './util.js';

/** Builds the program (exported for tests that drive the CLI in-process). */
export function buildProgram(): Command {
  const program = new Command('qobs')
    .description('Observability for quantum machine-learning workloads')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerAll(program);
  addExamples(program);
  return program;
}

/** Runs the CLI and returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof ExitError) {
      if (err.message) process.stderr.write(err.message.endsWith('\n') ? err.message : `${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof QobsError) {
      process.stderr.write(`qobs: ${err.message}\n`);
      return EXIT.input;
    }
    throw err;
  }
}
