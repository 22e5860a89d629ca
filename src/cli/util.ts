// Shared helpers of the CLI commands: exit codes, JSON output.

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** A runtime failure (a server down, a job failed). */
  failure: 1,
  /** Bad input: a file that does not parse, an invalid argument value. */
  input: 2,
  /** Commander usage errors (unknown option, missing argument). */
  usage: 64,
} as const;

/** Thrown by a command to end with a given exit code and message on stderr. */
export class ExitError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Prints one JSON object on stdout (the `--json` contract: exactly one object). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Parses a positive integer option or throws ExitError naming the option. */
export function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new ExitError(EXIT.input, `qobs: ${name} must be a positive integer, got '${raw}'`);
  return n;
}
