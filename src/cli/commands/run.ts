// `qobs run`: runs an OpenQASM file on a device through the Observer (JSON log lines, metrics, spans).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type Circuit, parseQasmFile } from '../../circuit/index.js';
import { CostTracker, type Priced } from '../../cost/index.js';
import {
  type Device,
  getDevice,
  type JobRecord,
  type LocalDevice,
  type Provider,
  RemoteDevice,
} from '../../devices/index.js';
import { QobsConfigError } from '../../errors.js';
import { hellingerFidelity, probabilities } from '../../sim/index.js';
import { type Fidelity, Observer, type RunResult } from '../../telemetry/index.js';
import { providerFor, type ProviderSpec } from '../monitor.js';
import { EXIT, ExitError, positiveInt, printJson } from '../util.js';

interface RunCliOptions {
  device?: string;
  shots?: string;
  repeat?: string;
  seed?: string;
  metricsOut?: string;
  json?: boolean;
  maxUsd?: string;
  secondsPerJob?: string;
  endpoint?: string;
  pollMs?: string;
}

const REMOTE = ['ibm', 'braket', 'ionq'] as const;

const DEFAULT_SHOTS = 1024;
/** Exact ideal distributions are computed up to this width; wider circuits get no Hellinger figure. */
const MAX_EXACT_QUBITS = 20;

/**
 * The exact ideal distribution over classical bitstrings (highest clbit first), when every measurement is
 * terminal and nothing is conditional or reset; undefined otherwise (then no Hellinger fidelity is recorded).
 */
export function idealDistribution(circuit: Circuit): Record<string, number> | undefined {
  if (circuit.numQubits > MAX_EXACT_QUBITS || circuit.numClbits === 0) return undefined;
  const measured = new Set<number>();
  const unitary = circuit.copyEmpty();
  const measures: Array<[number, number]> = [];
  for (const inst of circuit.instructions) {
    if (inst.condition || inst.name === 'reset') return undefined;
    if (inst.name === 'measure') {
      measured.add(inst.qubits[0]);
      measures.push([inst.qubits[0], inst.clbits[0]]);
      continue;
    }
    if (inst.name === 'barrier') continue;
    if (inst.qubits.some((q) => measured.has(q))) return undefined; // a gate after a measurement: not terminal
    unitary.instructions.push(inst);
  }
  const probs = probabilities(unitary);
  const out: Record<string, number> = {};
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    if (p < 1e-15) continue;
    const bits = new Array<string>(circuit.numClbits).fill('0');
    for (const [q, c] of measures) bits[circuit.numClbits - 1 - c] = (i >> q) & 1 ? '1' : '0';
    const key = bits.join('');
    out[key] = (out[key] ?? 0) + p;
  }
  return out;
}

/** Fidelity of a local job: Hellinger against the exact ideal distribution and, on noisy devices, ESP. */
function localFidelity(device: LocalDevice, ideal: Record<string, number> | undefined) {
  return (job: JobRecord, circuit: Circuit): Fidelity[] => {
    const out: Fidelity[] = [];
    if (ideal && job.counts) out.push({ value: hellingerFidelity(job.counts, ideal), method: 'hellinger' });
    const esp = device.prepare(circuit, { shots: job.shots }).esp;
    if (esp !== undefined) out.push({ value: esp, method: 'esp' });
    return out;
  };
}

/** The adapter of a remote provider; `endpoint` replaces its API URL (and IBM's IAM and Braket's S3 with it). */
function remoteProvider(
  name: (typeof REMOTE)[number],
  endpoint: string | undefined,
  pollMs: number | undefined,
): Provider {
  const at: Record<(typeof REMOTE)[number], Partial<ProviderSpec>> = endpoint
    ? {
        ibm: { baseUrl: `${endpoint}/api/v1`, iamUrl: endpoint },
        braket: { endpoint, s3Endpoint: endpoint },
        ionq: { baseUrl: `${endpoint}/v0.3` },
      }
    : { ibm: {}, braket: {}, ionq: {} };
  return providerFor({ name, ...at[name], ...(pollMs === undefined ? {} : { pollMs }) });
}

/**
 * A remote run costs money: the catalogue prices every run before the first is submitted, and nothing is
 * submitted when the total would exceed `--max-usd` or cannot be known beforehand.
 */
function checkBudget(
  tracker: CostTracker,
  deviceId: string,
  shots: number,
  repeat: number,
  opts: RunCliOptions,
): Priced {
  if (opts.maxUsd === undefined)
    throw new QobsConfigError(
      '--max-usd',
      `${deviceId} is a paid device: give the most this command may spend, e.g. --max-usd 5 (see qobs cost estimate)`,
    );
  const maxUsd = Number(opts.maxUsd);
  if (!Number.isFinite(maxUsd) || maxUsd < 0)
    throw new QobsConfigError('--max-usd', `must be a non-negative amount, got '${opts.maxUsd}'`);
  const durationSeconds = opts.secondsPerJob === undefined ? undefined : Number(opts.secondsPerJob);
  if (durationSeconds !== undefined && !(Number.isFinite(durationSeconds) && durationSeconds > 0))
    throw new QobsConfigError('--seconds-per-job', `must be a positive number, got '${opts.secondsPerJob}'`);
  let priced: Priced;
  try {
    priced = tracker.estimate(deviceId, { shots, tasks: repeat, durationSeconds });
  } catch (err) {
    throw new ExitError(
      EXIT.input,
      `qobs: cannot price ${repeat} run(s) on ${deviceId} beforehand, so --max-usd cannot be enforced: ${(err as Error).message}${
        durationSeconds === undefined ? ' (per-second billing needs --seconds-per-job)' : ''
      }`,
    );
  }
  if (priced.amountUsd > maxUsd)
    throw new ExitError(
      EXIT.input,
      `qobs: ${repeat} run(s) of ${shots} shots on ${deviceId} are estimated at ${priced.amountUsd.toFixed(4)} USD (catalogue ${priced.catalogueVersion}), above --max-usd ${maxUsd}; nothing was submitted`,
    );
  return priced;
}

async function action(file: string, opts: RunCliOptions): Promise<void> {
  const shots = positiveInt('--shots', opts.shots, DEFAULT_SHOTS);
  const repeat = positiveInt('--repeat', opts.repeat, 1);
  let seed: number | undefined;
  if (opts.seed !== undefined) {
    seed = Number(opts.seed);
    if (!Number.isInteger(seed) || seed < 0)
      throw new ExitError(EXIT.input, `qobs: --seed must be a non-negative integer, got '${opts.seed}'`);
  }
  const deviceId = opts.device ?? 'local.statevector';
  const providerName = deviceId.slice(0, deviceId.indexOf('.'));
  const circuit = parseQasmFile(file);
  const ideal = idealDistribution(circuit);
  let device: Device;
  let fidelityOf: ReturnType<typeof localFidelity>;
  let tracker: CostTracker | undefined;
  let estimate: Priced | undefined;
  if (deviceId.startsWith('local.')) {
    const local = getDevice(deviceId);
    device = local;
    fidelityOf = localFidelity(local, ideal);
  } else if ((REMOTE as readonly string[]).includes(providerName)) {
    tracker = new CostTracker();
    estimate = checkBudget(tracker, deviceId, shots, repeat, opts);
    device = await RemoteDevice.open(
      remoteProvider(
        providerName as (typeof REMOTE)[number],
        opts.endpoint?.replace(/\/+$/, ''),
        opts.pollMs === undefined ? undefined : positiveInt('--poll-ms', opts.pollMs, 2000),
      ),
      deviceId.slice(providerName.length + 1),
    );
    // Remote results get the Hellinger figure against the ideal distribution; ESP needs the transpiled circuit.
    fidelityOf = (job) =>
      ideal && job.counts ? [{ value: hellingerFidelity(job.counts, ideal), method: 'hellinger' }] : [];
  } else
    throw new QobsConfigError(
      '--device',
      `'${deviceId}' names no device: local.statevector, local.fake_<name>, or ibm.<backend>, braket.<provider>/<device>, ionq.<backend>`,
    );
  // With --json the one JSON object owns stdout, so the log lines go to stderr.
  const observer = new Observer({
    serviceName: 'qobs-run',
    logs: { destination: opts.json ? process.stderr : 'stdout' },
    fidelityOf,
    ...(tracker ? { costOf: tracker.costOf } : {}),
  });
  const results: RunResult[] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      results.push(
        await observer.run(device, circuit, {
          shots,
          seed: seed === undefined ? undefined : seed + i,
          name: circuit.name ?? file.replace(/^.*\//, '').replace(/\.qasm$/, ''),
        }),
      );
    }
  } finally {
    if (opts.metricsOut) writeFileSync(opts.metricsOut, await observer.metrics());
    await observer.shutdown();
  }
  const failed = results.filter((r) => r.status !== 'success').length;
  const summary = {
    file,
    device: device.id,
    shots,
    repeat,
    succeeded: results.length - failed,
    failed,
    runs: results.map((r) => ({
      job_id: r.job.id,
      status: r.status,
      execution_seconds: r.executionSeconds,
      queue_seconds: r.queueSeconds,
      fidelity: r.fidelity ?? null,
      estimated_success_probability: r.estimatedSuccessProbability ?? null,
      trace_id: r.traceId ?? null,
      error: r.job.error ?? null,
      cost_usd: r.cost?.amount ?? null,
    })),
    estimated_usd: estimate?.amountUsd ?? null,
    catalogue_version: estimate?.catalogueVersion ?? null,
    metrics_out: opts.metricsOut ?? null,
  };
  if (opts.json) printJson(summary);
  else {
    const lines = [
      `${summary.succeeded}/${repeat} runs of ${file} on ${device.id} succeeded (${shots} shots each)`,
    ];
    const f = results.find((r) => r.fidelity)?.fidelity;
    if (f) lines.push(`fidelity ${f.value.toFixed(4)} (${f.method}) on the first run`);
    if (opts.metricsOut) lines.push(`metrics written to ${opts.metricsOut}`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
  if (failed > 0) process.exitCode = EXIT.failure;
}

/** Registers `qobs run`. */
export function register(program: Command): void {
  program
    .command('run')
    .description(
      'Run an OpenQASM file on a device through the Observer: JSON log lines, metrics, spans (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set)',
    )
    .argument('<file>', 'OpenQASM 2 or 3 file')
    .option(
      '--device <id>',
      'local.statevector (default), local.fake_<name>, or a paid device: ibm.<backend>, braket.<provider>/<device>, ionq.<backend>',
    )
    .option(
      '--max-usd <amount>',
      'paid devices: the most all runs may cost, checked against the catalogue before submitting',
    )
    .option(
      '--seconds-per-job <s>',
      'paid devices billed per second (IBM): expected seconds of one run, for the estimate',
    )
    .option('--endpoint <url>', "paid devices: another URL for the provider's API (a private endpoint)")
    .option(
      '--poll-ms <ms>',
      "paid devices: first wait between polls of a job's status (default 2000, doubling to 60 s)",
    )
    .option('--shots <n>', `shots per run (default ${DEFAULT_SHOTS})`)
    .option('--repeat <k>', 'number of runs (default 1)')
    .option('--seed <s>', 'seed of the first run (run i uses seed + i)')
    .option('--metrics-out <path>', 'write the Prometheus exposition here at the end')
    .option('--json', 'print one JSON summary on stdout (log lines go to stderr)')
    .action(action);
}
