// `qobs simulate`: runs an OpenQASM file on a local device (ideal or noisy from a calibration snapshot).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { parseQasmFile } from '../../circuit/index.js';
import {
  deviceFromCalibration,
  getDevice,
  type LocalDevice,
  readIbmCalibration,
} from '../../devices/index.js';
import { QobsConfigError } from '../../errors.js';
import { hellingerFidelity, SimulatorInputError, simulate } from '../../sim/index.js';
import { EXIT, ExitError, printJson } from '../util.js';

interface SimulateCliOptions {
  shots?: string;
  seed?: string;
  device?: string;
  calibration?: string;
  configuration?: string;
  json?: boolean;
}

const DEFAULT_SHOTS = 1024;

function readJson(path: string, option: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new QobsConfigError(option, `cannot read '${path}': ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new QobsConfigError(option, `'${path}' is not JSON: ${(err as Error).message}`);
  }
}

/** Parses --shots strictly (0, negatives, fractions and text are errors naming the option); the device checks its maximum. */
function parseShots(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_SHOTS;
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(n)) throw new SimulatorInputError('--shots', `must be a number, got '${raw}'`);
  return n;
}

function parseSeed(raw: string | undefined): number {
  if (raw === undefined) return Math.floor(Math.random() * 2 ** 32);
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n >= 2 ** 32)
    throw new SimulatorInputError('--seed', `must be an integer in 0..4294967295, got '${raw}'`);
  return n;
}

function chooseDevice(opts: SimulateCliOptions): LocalDevice {
  if (opts.device !== undefined && opts.calibration !== undefined)
    throw new ExitError(EXIT.usage, 'qobs: use either --device or --calibration, not both');
  if (opts.configuration !== undefined && opts.calibration === undefined)
    throw new ExitError(EXIT.usage, 'qobs: --configuration needs --calibration');
  if (opts.calibration !== undefined) {
    const props = readJson(opts.calibration, '--calibration');
    const conf =
      opts.configuration !== undefined ? readJson(opts.configuration, '--configuration') : undefined;
    return deviceFromCalibration(readIbmCalibration(props, conf));
  }
  return getDevice(opts.device ?? 'local.statevector');
}

async function action(file: string, opts: SimulateCliOptions): Promise<void> {
  const shots = parseShots(opts.shots);
  const seed = parseSeed(opts.seed);
  const device = chooseDevice(opts);
  const circuit = parseQasmFile(file);
  // Every input check (shots against max_shots, gates, qubit count, memory) happens here, before any work.
  const prepared = device.prepare(circuit, { shots, seed });
  const start = performance.now();
  const job = await device.submit(circuit, { shots, seed });
  const record = await job.wait();
  const durationSeconds = (performance.now() - start) / 1000;
  if (record.status !== 'completed' || !record.counts) {
    const why = record.error ? `${record.error.type}: ${record.error.message}` : record.status;
    throw new ExitError(EXIT.failure, `qobs: job on ${device.id} ${record.status}: ${why}`);
  }
  const out: Record<string, unknown> = {
    device: device.id,
    shots,
    seed,
    counts: record.counts,
    duration_seconds: durationSeconds,
  };
  if (prepared.noise) {
    const ideal = simulate(circuit, { shots, seed, maxShots: Number.MAX_SAFE_INTEGER });
    out.hellinger_fidelity = hellingerFidelity(record.counts, ideal.counts);
    out.esp = prepared.esp;
    out.transpiled_depth = prepared.transpiled?.depth;
    out.transpiled_two_qubit_gates = prepared.transpiled?.twoQubitCount;
    out.swaps = prepared.transpiled?.swapCount;
    out.calibrated_at = record.calibratedAt;
  }
  if (opts.json) {
    printJson(out);
    return;
  }
  const lines = [
    `device            ${device.id}`,
    `shots             ${shots}`,
    `seed              ${seed}`,
    `duration          ${durationSeconds.toFixed(3)} s`,
  ];
  if (prepared.noise) {
    lines.push(`hellinger fidelity ${(out.hellinger_fidelity as number).toFixed(4)} (against an ideal run)`);
    lines.push(
      `esp               ${(prepared.esp ?? 0).toFixed(4)} (estimated from the calibration of ${record.calibratedAt})`,
    );
    lines.push(
      `transpiled        depth ${prepared.transpiled?.depth}, ${prepared.transpiled?.twoQubitCount} two-qubit gates, ${prepared.transpiled?.swapCount} swaps`,
    );
  }
  const sorted = Object.entries(record.counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  lines.push('counts (highest classical bit first):');
  for (const [k, v] of sorted.slice(0, 32)) lines.push(`  ${k || '(no clbits)'}  ${v}`);
  if (sorted.length > 32) lines.push(`  ... ${sorted.length - 32} more outcomes (use --json for all)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Registers `qobs simulate`. */
export function register(program: Command): void {
  program
    .command('simulate')
    .description(
      'Run an OpenQASM 2/3 file on a local device: ideal, a fake IBM device, or your own IBM calibration snapshot',
    )
    .argument('<file>', 'OpenQASM 2 or 3 file')
    .option('--shots <n>', `number of shots (default ${DEFAULT_SHOTS})`)
    .option('--seed <s>', 'seed; same seed, same counts (default: drawn and printed)')
    .option('--device <id>', 'local.statevector (default) or local.fake_<name>')
    .option(
      '--calibration <props.json>',
      "a noisy device from IBM backend properties (IBM's props_*.json format)",
    )
    .option(
      '--configuration <conf.json>',
      'IBM backend configuration for --calibration (basis, coupling map, max shots)',
    )
    .option('--json', 'print one JSON object')
    .action(action);
}
