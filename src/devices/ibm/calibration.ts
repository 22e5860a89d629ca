// Reads IBM backend properties (`props_*.json`) and configuration (`conf_*.json`) into the normalized Calibration.
import { QobsError } from '../../errors.js';
import type { Calibration, GateCalibration, QubitCalibration } from '../types.js';

/** One problem found in a calibration document, with the JSON path of the bad field. */
export interface CalibrationIssue {
  readonly path: string;
  readonly message: string;
}

/** A calibration document that does not have IBM's shape; `issues` lists every problem with its path. */
export class CalibrationFormatError extends QobsError {
  readonly issues: readonly CalibrationIssue[];
  constructor(source: string, issues: readonly CalibrationIssue[]) {
    const shown = issues.slice(0, 10).map((i) => `${i.path}: ${i.message}`);
    const more = issues.length > 10 ? ` (and ${issues.length - 10} more)` : '';
    super('calibration_invalid', `invalid ${source}: ${shown.join('; ')}${more}`);
    this.issues = issues;
  }
}

// Multipliers to seconds and to hertz. IBM writes `us`; `µs` appears in some exports.
const TIME_UNITS: Readonly<Record<string, number>> = {
  s: 1,
  ms: 1e-3,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ns: 1e-9,
};
const FREQ_UNITS: Readonly<Record<string, number>> = { Hz: 1, kHz: 1e3, MHz: 1e6, GHz: 1e9 };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Issues {
  readonly list: CalibrationIssue[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

function num(v: unknown, path: string, issues: Issues): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  issues.add(path, `expected a finite number, got ${JSON.stringify(v)}`);
  return undefined;
}

function probability(v: unknown, path: string, issues: Issues): number | undefined {
  const n = num(v, path, issues);
  if (n === undefined) return undefined;
  if (n < 0 || n > 1) {
    issues.add(path, `expected a probability in [0, 1], got ${n}`);
    return undefined;
  }
  return n;
}

function scaled(
  v: unknown,
  unit: unknown,
  table: Readonly<Record<string, number>>,
  path: string,
  issues: Issues,
): number | undefined {
  const n = num(v, `${path}.value`, issues);
  if (n === undefined) return undefined;
  const factor = typeof unit === 'string' ? table[unit] : undefined;
  if (factor === undefined) {
    issues.add(
      `${path}.unit`,
      `unknown unit ${JSON.stringify(unit)}; expected one of ${Object.keys(table).join(', ')}`,
    );
    return undefined;
  }
  return n * factor;
}

function isoDate(v: unknown, path: string, issues: Issues): string | undefined {
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  issues.add(path, `expected an ISO 8601 date, got ${JSON.stringify(v)}`);
  return undefined;
}

function readQubit(raw: unknown, q: number, issues: Issues): QubitCalibration {
  const path = `properties.qubits[${q}]`;
  const out: { -readonly [K in keyof QubitCalibration]: QubitCalibration[K] } = { qubit: q };
  if (!Array.isArray(raw)) {
    issues.add(path, 'expected an array of {name, unit, value}');
    return out;
  }
  raw.forEach((p, i) => {
    const ppath = `${path}[${i}]`;
    if (!isObj(p) || typeof p.name !== 'string') {
      issues.add(ppath, 'expected an object with a string `name`');
      return;
    }
    switch (p.name) {
      case 'T1':
        out.t1Seconds = scaled(p.value, p.unit, TIME_UNITS, ppath, issues);
        break;
      case 'T2':
        out.t2Seconds = scaled(p.value, p.unit, TIME_UNITS, ppath, issues);
        break;
      case 'frequency':
        out.frequencyHz = scaled(p.value, p.unit, FREQ_UNITS, ppath, issues);
        break;
      case 'readout_error':
        out.readoutError = probability(p.value, `${ppath}.value`, issues);
        break;
      case 'prob_meas0_prep1':
        out.probMeas0Prep1 = probability(p.value, `${ppath}.value`, issues);
        break;
      case 'prob_meas1_prep0':
        out.probMeas1Prep0 = probability(p.value, `${ppath}.value`, issues);
        break;
      case 'readout_length':
        out.readoutLengthSeconds = scaled(p.value, p.unit, TIME_UNITS, ppath, issues);
        break;
      case 'operational':
        out.operational = p.value === true || p.value === 1;
        break;
      default:
        // anharmonicity and vendor extras are not part of the normalized model.
        break;
    }
  });
  // IBM always sends readout_error; derive it only when a snapshot has the two conditional errors alone.
  if (out.readoutError === undefined && out.probMeas0Prep1 !== undefined && out.probMeas1Prep0 !== undefined)
    out.readoutError = (out.probMeas0Prep1 + out.probMeas1Prep0) / 2;
  return out;
}

function readGate(raw: unknown, i: number, numQubits: number, issues: Issues): GateCalibration | undefined {
  const path = `properties.gates[${i}]`;
  if (!isObj(raw)) {
    issues.add(path, 'expected an object');
    return undefined;
  }
  let ok = true;
  if (typeof raw.gate !== 'string' || raw.gate === '') {
    issues.add(`${path}.gate`, `expected a gate name, got ${JSON.stringify(raw.gate)}`);
    ok = false;
  }
  const qubits: number[] = [];
  if (!Array.isArray(raw.qubits) || raw.qubits.length === 0) {
    issues.add(`${path}.qubits`, 'expected a non-empty array of qubit indices');
    ok = false;
  } else {
    raw.qubits.forEach((q, k) => {
      if (!Number.isInteger(q) || (q as number) < 0 || (q as number) >= numQubits) {
        issues.add(
          `${path}.qubits[${k}]`,
          `expected a qubit index in 0..${numQubits - 1}, got ${JSON.stringify(q)}`,
        );
        ok = false;
      } else qubits.push(q as number);
    });
  }
  let error: number | undefined;
  let lengthSeconds: number | undefined;
  if (raw.parameters !== undefined && !Array.isArray(raw.parameters)) {
    issues.add(`${path}.parameters`, 'expected an array');
  } else {
    ((raw.parameters as unknown[] | undefined) ?? []).forEach((p, k) => {
      const ppath = `${path}.parameters[${k}]`;
      if (!isObj(p) || typeof p.name !== 'string') {
        issues.add(ppath, 'expected an object with a string `name`');
        return;
      }
      if (p.name === 'gate_error') error = probability(p.value, `${ppath}.value`, issues);
      else if (p.name === 'gate_length') lengthSeconds = scaled(p.value, p.unit, TIME_UNITS, ppath, issues);
    });
  }
  if (!ok) return undefined;
  const gate: { -readonly [K in keyof GateCalibration]: GateCalibration[K] } = {
    gate: raw.gate as string,
    qubits,
  };
  if (error !== undefined) gate.error = error;
  if (lengthSeconds !== undefined) gate.lengthSeconds = lengthSeconds;
  return gate;
}

function readCoupling(v: unknown, numQubits: number, issues: Issues): Array<[number, number]> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    issues.add('configuration.coupling_map', 'expected an array of [control, target] pairs');
    return undefined;
  }
  const out: Array<[number, number]> = [];
  v.forEach((pair, i) => {
    const ok =
      Array.isArray(pair) &&
      pair.length === 2 &&
      pair.every((q) => Number.isInteger(q) && q >= 0 && q < numQubits) &&
      pair[0] !== pair[1];
    if (ok) out.push([pair[0], pair[1]]);
    else
      issues.add(
        `configuration.coupling_map[${i}]`,
        `expected two distinct qubit indices in 0..${numQubits - 1}, got ${JSON.stringify(pair)}`,
      );
  });
  return out;
}

/**
 * Maps an IBM `BackendProperties` document (and optionally its `BackendConfiguration`) to a Calibration.
 * T1/T2 and lengths become seconds, frequencies hertz. Without `conf`, the basis gates are the gates the
 * properties calibrate and the coupling map is the two-qubit gates' qubit pairs.
 * @throws CalibrationFormatError listing every malformed field by its path.
 */
export function readIbmCalibration(props: unknown, conf?: unknown): Calibration {
  const issues = new Issues();
  if (!isObj(props))
    throw new CalibrationFormatError('IBM properties', [
      { path: 'properties', message: 'expected a JSON object' },
    ]);
  if (conf !== undefined && !isObj(conf))
    throw new CalibrationFormatError('IBM configuration', [
      { path: 'configuration', message: 'expected a JSON object' },
    ]);

  const name =
    typeof props.backend_name === 'string' && props.backend_name !== '' ? props.backend_name : undefined;
  if (!name)
    issues.add(
      'properties.backend_name',
      `expected a non-empty string, got ${JSON.stringify(props.backend_name)}`,
    );
  if (conf && conf.backend_name !== undefined && conf.backend_name !== props.backend_name)
    issues.add(
      'configuration.backend_name',
      `is ${JSON.stringify(conf.backend_name)} but the properties are of ${JSON.stringify(props.backend_name)}`,
    );
  const calibratedAt = isoDate(props.last_update_date, 'properties.last_update_date', issues);

  const rawQubits = Array.isArray(props.qubits) ? props.qubits : undefined;
  if (!rawQubits) issues.add('properties.qubits', 'expected an array with one entry per qubit');
  let numQubits = rawQubits?.length ?? 0;
  if (conf?.n_qubits !== undefined) {
    if (!Number.isInteger(conf.n_qubits) || (conf.n_qubits as number) < 1)
      issues.add(
        'configuration.n_qubits',
        `expected a positive integer, got ${JSON.stringify(conf.n_qubits)}`,
      );
    else {
      if (rawQubits && conf.n_qubits !== rawQubits.length)
        issues.add(
          'configuration.n_qubits',
          `is ${conf.n_qubits} but the properties describe ${rawQubits.length} qubits`,
        );
      numQubits = conf.n_qubits as number;
    }
  }
  const qubits = (rawQubits ?? []).map((q, i) => readQubit(q, i, issues));

  const gates: GateCalibration[] = [];
  if (!Array.isArray(props.gates)) issues.add('properties.gates', 'expected an array');
  else
    props.gates.forEach((g, i) => {
      const gate = readGate(g, i, numQubits, issues);
      if (gate) gates.push(gate);
    });

  let basisGates: string[];
  if (conf?.basis_gates !== undefined) {
    if (!Array.isArray(conf.basis_gates) || !conf.basis_gates.every((g) => typeof g === 'string')) {
      issues.add('configuration.basis_gates', 'expected an array of gate names');
      basisGates = [];
    } else basisGates = [...(conf.basis_gates as string[])];
  } else basisGates = [...new Set(gates.map((g) => g.gate))];

  let couplingMap = readCoupling(conf?.coupling_map, numQubits, issues);
  if (!conf || conf.coupling_map === undefined) {
    const pairs = new Map<string, [number, number]>();
    for (const g of gates)
      if (g.qubits.length === 2) pairs.set(g.qubits.join(','), [g.qubits[0], g.qubits[1]]);
    couplingMap = numQubits > 1 ? [...pairs.values()] : undefined;
  }

  let maxShots: number | undefined;
  if (conf?.max_shots !== undefined) {
    if (!Number.isInteger(conf.max_shots) || (conf.max_shots as number) < 1)
      issues.add(
        'configuration.max_shots',
        `expected a positive integer, got ${JSON.stringify(conf.max_shots)}`,
      );
    else maxShots = conf.max_shots as number;
  }

  if (issues.list.length > 0)
    throw new CalibrationFormatError(conf ? 'IBM calibration' : 'IBM properties', issues.list);
  const cal: { -readonly [K in keyof Calibration]: Calibration[K] } = {
    provider: 'ibm',
    device: name!,
    numQubits,
    basisGates,
    calibratedAt: calibratedAt!,
    qubits,
    gates,
    source: conf ? 'ibm-properties+configuration' : 'ibm-properties',
  };
  if (couplingMap) cal.couplingMap = couplingMap;
  if (maxShots !== undefined) cal.maxShots = maxShots;
  return cal;
}
