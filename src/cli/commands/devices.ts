// `qobs devices`: status, queue, calibration age and best qubits of every device of the configured providers.
import type { Command } from 'commander';
import {
  BraketProvider,
  type Calibration,
  IbmProvider,
  IonqProvider,
  LocalProvider,
  type Provider,
  ProviderError,
} from '../../devices/index.js';
import { DeviceMonitor, type DeviceState } from '../../health/index.js';
import { Observer } from '../../telemetry/index.js';
import { EXIT, ExitError, printJson } from '../util.js';

const PROVIDERS = ['local', 'ibm', 'braket', 'ionq'] as const;
type Name = (typeof PROVIDERS)[number];

/** The environment variable whose presence turns a remote provider on. */
const CREDENTIAL_VARS: Readonly<Record<Exclude<Name, 'local'>, string>> = {
  ibm: 'QISKIT_IBM_TOKEN or IBM_QUANTUM_TOKEN',
  braket: 'AWS_ACCESS_KEY_ID (or AWS_PROFILE)',
  ionq: 'IONQ_API_KEY',
};

function configured(name: Name, env: NodeJS.ProcessEnv): boolean {
  if (name === 'local') return true;
  if (name === 'ibm') return Boolean(env.QISKIT_IBM_TOKEN || env.IBM_QUANTUM_TOKEN);
  if (name === 'ionq') return Boolean(env.IONQ_API_KEY);
  return Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE);
}

/** The provider adapters for `names`; base URLs may be overridden (proxies, tests) by QOBS_* variables. */
function makeProvider(name: Name, env: NodeJS.ProcessEnv, timeoutMs: number): Provider {
  const retry = { timeoutMs, maxAttempts: 2, backoffMs: 500 };
  if (name === 'local') return new LocalProvider();
  if (name === 'ibm')
    return new IbmProvider({
      ...retry,
      ...(env.QOBS_IBM_URL ? { baseUrl: env.QOBS_IBM_URL } : {}),
      ...(env.QOBS_IBM_IAM_URL ? { iamUrl: env.QOBS_IBM_IAM_URL } : {}),
    });
  if (name === 'ionq')
    return new IonqProvider({ ...retry, ...(env.QOBS_IONQ_URL ? { baseUrl: env.QOBS_IONQ_URL } : {}) });
  return new BraketProvider({
    ...retry,
    ...(env.QOBS_BRAKET_ENDPOINT ? { endpoint: env.QOBS_BRAKET_ENDPOINT } : {}),
  });
}

/** The `count` qubits with the lowest readout error plus mean single-qubit gate error. */
export function bestQubits(cal: Calibration | undefined, count = 5): number[] {
  if (!cal) return [];
  const gate = new Map<number, number[]>();
  for (const g of cal.gates)
    if (g.qubits.length === 1 && g.error !== undefined && g.error > 0) {
      const l = gate.get(g.qubits[0]) ?? [];
      l.push(g.error);
      gate.set(g.qubits[0], l);
    }
  const score = (q: number) => {
    const ro = cal.qubits.find((x) => x.qubit === q)?.readoutError ?? 1;
    const l = gate.get(q);
    return ro + (l ? l.reduce((a, b) => a + b, 0) / l.length : 0);
  };
  return cal.qubits
    .filter((q) => q.operational !== false && q.readoutError !== undefined)
    .map((q) => q.qubit)
    .sort((a, b) => score(a) - score(b))
    .slice(0, count);
}

interface DevicesCliOptions {
  provider?: string;
  json?: boolean;
  timeoutMs?: string;
}

function row(d: DeviceState) {
  return {
    id: d.id,
    provider: d.provider,
    name: d.name,
    status: d.status,
    num_qubits: d.numQubits ?? null,
    queue_length: d.queueLength ?? null,
    calibration_age_hours:
      d.calibrationAgeHours === undefined ? null : Math.round(d.calibrationAgeHours * 100) / 100,
    calibrated_at: d.calibration?.calibratedAt ?? null,
    best_qubits: bestQubits(d.calibration),
  };
}

async function devicesCommand(opts: DevicesCliOptions): Promise<void> {
  const env = process.env;
  let names: Name[];
  if (opts.provider !== undefined) {
    if (!(PROVIDERS as readonly string[]).includes(opts.provider))
      throw new ExitError(
        EXIT.input,
        `qobs: --provider must be one of ${PROVIDERS.join(', ')}, got '${opts.provider}'`,
      );
    const name = opts.provider as Name;
    if (!configured(name, env))
      throw new ExitError(
        EXIT.input,
        `qobs: provider '${name}' has no credentials: set ${CREDENTIAL_VARS[name as Exclude<Name, 'local'>]}`,
      );
    names = [name];
  } else names = PROVIDERS.filter((n) => configured(n, env));
  const timeoutMs = opts.timeoutMs === undefined ? 15_000 : Number(opts.timeoutMs);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    throw new ExitError(EXIT.input, `qobs: --timeout-ms must be a positive integer, got '${opts.timeoutMs}'`);
  const observer = new Observer({ serviceName: 'qobs-devices', logs: false, traces: false });
  const monitor = new DeviceMonitor({
    observer,
    providers: names.map((n) => ({ provider: makeProvider(n, env, timeoutMs), maxRequestsPerSecond: 20 })),
  });
  const results = await monitor.pollAll();
  const errors = results
    .filter((r) => !r.ok)
    .map((r) => ({
      provider: r.provider,
      code: r.error instanceof ProviderError ? r.error.code : 'error',
      message: r.error instanceof Error ? r.error.message : String(r.error),
    }));
  const devices = monitor.devices().map(row);
  if (opts.json) printJson({ devices, errors });
  else {
    const lines = [['DEVICE', 'STATUS', 'QUBITS', 'QUEUE', 'CAL AGE (h)', 'BEST QUBITS']];
    for (const d of devices)
      lines.push([
        d.id,
        d.status,
        String(d.num_qubits ?? '-'),
        d.queue_length === null ? '-' : String(d.queue_length),
        d.calibration_age_hours === null ? '-' : d.calibration_age_hours.toFixed(1),
        d.best_qubits.join(',') || '-',
      ]);
    const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
    process.stdout.write(
      `${lines
        .map((l) =>
          l
            .map((c, i) => c.padEnd(widths[i]))
            .join('  ')
            .trimEnd(),
        )
        .join('\n')}\n`,
    );
    for (const e of errors) process.stderr.write(`qobs: ${e.message}\n`);
  }
  // Devices were listed but a provider could not be read: a failure, with what could be shown.
  if (errors.length > 0) process.exitCode = EXIT.failure;
}

export function register(program: Command): void {
  program
    .command('devices')
    .description('Status, queue, calibration age and best qubits of the devices of every configured provider')
    .option('--provider <name>', `only this provider (${PROVIDERS.join(', ')})`)
    .option('--timeout-ms <ms>', 'per-request timeout for remote providers (default 15000)')
    .option('--json', 'print one JSON object: {devices: [...], errors: [...]}')
    .action((opts: DevicesCliOptions) => devicesCommand(opts));
}
