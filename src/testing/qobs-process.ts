// The qobs command line as a child process, from the TypeScript sources through tsx, for tests that need a
// real process: exit codes, stderr without stack traces, SIGKILL, a file size limit (RLIMIT_FSIZE).
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stopProgram } from './system.js';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const children = new Set<ChildProcess>();

/** How to start one qobs process. */
export interface QobsProcessOptions {
  /** Added to the environment (QOBS_TOKEN and the OTLP endpoints are emptied unless given here). */
  readonly env?: Record<string, string>;
  /** With it, no file the process writes may grow past this many KiB (`ulimit -f`), as on a full disk. */
  readonly fileSizeLimitKiB?: number;
  /** The process is killed after this long (default 40 s). */
  readonly timeoutMs?: number;
}

/** Starts `qobs ARGS`; the process is tracked so `stopQobsProcesses` can end it. */
export function spawnQobs(args: readonly string[], opts: QobsProcessOptions = {}): ChildProcess {
  const node = [process.execPath, '--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), ...args];
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const child =
    opts.fileSizeLimitKiB === undefined
      ? spawn(node[0], node.slice(1), { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: env(opts) })
      : spawn('bash', ['-c', `ulimit -f ${opts.fileSizeLimitKiB} && exec ${node.map(quote).join(' ')}`], {
          cwd: repoRoot,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: env(opts),
        });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function env(opts: QobsProcessOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    QOBS_TOKEN: '',
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
    ...opts.env,
  };
}

/** Runs `qobs ARGS` to its end and returns its exit code and output. */
export function runQobs(
  args: readonly string[],
  opts: QobsProcessOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawnQobs(args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 40_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** A running `qobs up --json`: the process, its URLs (from its first stdout line) and its stderr so far. */
export interface RunningQobsUp {
  child: ChildProcess;
  url: string;
  otlpUrl: string;
  /** The OTLP/gRPC listener (any free port, as the others). */
  otlpGrpcUrl: string;
  stderr(): string;
}

/** Starts `qobs up` on `dataDir` with ports chosen by the system and waits for it to listen. */
export async function startQobsUp(
  dataDir: string,
  extraArgs: readonly string[] = [],
  opts: QobsProcessOptions = {},
): Promise<RunningQobsUp> {
  const child = spawnQobs(
    ['up', '--data', dataDir, '--port', '0', '--otlp-port', '0', '--json', ...extraArgs],
    opts,
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const timeoutMs = opts.timeoutMs ?? 40_000;
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`qobs up did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`qobs up exited with ${code}: ${stderr}`));
    });
  });
  const { url, otlpUrl, otlpGrpcUrl } = JSON.parse(line) as {
    url: string;
    otlpUrl: string;
    otlpGrpcUrl: string;
  };
  return { child, url, otlpUrl, otlpGrpcUrl, stderr: () => stderr };
}

/** Kills every qobs process a test started and waits for each to exit (call it in afterAll). */
export async function stopQobsProcesses(): Promise<void> {
  await Promise.all([...children].map((c) => stopProgram(c, 'SIGKILL')));
}
