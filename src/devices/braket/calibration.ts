// Reads Braket's device capabilities (standardized `oneQubitProperties` / `twoQubitProperties`) into a Calibration.
import { ProviderResponseError } from '../provider.js';
import type { Calibration, GateCalibration, QubitCalibration } from '../types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const fin = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Braket's time units (`S`, `MS`, `US`, `NS`) as seconds. */
const UNIT: Readonly<Record<string, number>> = { S: 1, MS: 1e-3, US: 1e-6, NS: 1e-9 };

function seconds(v: unknown): number | undefined {
  if (!isObj(v)) return undefined;
  const value = fin(v.value);
  const unit = typeof v.unit === 'string' ? UNIT[v.unit.toUpperCase()] : undefined;
  return value === undefined || unit === undefined ? undefined : value * unit;
}

function fidelityOf(list: unknown, type: (name: string) => boolean): number | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const f of list) {
    if (!isObj(f)) continue;
    const name = isObj(f.fidelityType) && typeof f.fidelityType.name === 'string' ? f.fidelityType.name : '';
    const v = fin(f.fidelity);
    if (v !== undefined && type(name)) return v;
  }
  return undefined;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Maps a GetDevice `deviceCapabilities` document to a Calibration: T1/T2 in seconds; readout error is
 * 1 − READOUT fidelity; the one-qubit gate error is 1 − the (simultaneous) randomized-benchmarking fidelity,
 * recorded as gate `rb`; each two-qubit gate fidelity becomes that gate's error on its pair.
 * The calibration time is `service.updatedAt`.
 */
export function readBraketCapabilities(caps: unknown, device: string): Calibration {
  if (!isObj(caps)) throw new ProviderResponseError('braket', 'deviceCapabilities: not an object');
  const std = isObj(caps.standardized) ? caps.standardized : undefined;
  const paradigm = isObj(caps.paradigm) ? caps.paradigm : {};
  const service = isObj(caps.service) ? caps.service : {};
  const updated = typeof service.updatedAt === 'string' ? Date.parse(service.updatedAt) : Number.NaN;
  if (Number.isNaN(updated))
    throw new ProviderResponseError('braket', 'deviceCapabilities: no service.updatedAt');
  const one = std && isObj(std.oneQubitProperties) ? std.oneQubitProperties : {};
  const two = std && isObj(std.twoQubitProperties) ? std.twoQubitProperties : {};
  let numQubits = fin(paradigm.qubitCount) ?? 0;
  const qubits: QubitCalibration[] = [];
  const gates: GateCalibration[] = [];
  for (const [key, p] of Object.entries(one)) {
    const q = Number(key);
    if (!Number.isInteger(q) || q < 0 || !isObj(p)) continue;
    numQubits = Math.max(numQubits, q + 1);
    const readout = fidelityOf(p.oneQubitFidelity, (n) => n === 'READOUT');
    const rb = fidelityOf(p.oneQubitFidelity, (n) => n.includes('RANDOMIZED_BENCHMARKING'));
    const t1 = seconds(p.T1);
    const t2 = seconds(p.T2);
    qubits.push({
      qubit: q,
      ...(t1 !== undefined ? { t1Seconds: t1 } : {}),
      ...(t2 !== undefined ? { t2Seconds: t2 } : {}),
      ...(readout !== undefined ? { readoutError: clamp01(1 - readout) } : {}),
    });
    if (rb !== undefined) gates.push({ gate: 'rb', qubits: [q], error: clamp01(1 - rb) });
  }
  const coupling: Array<[number, number]> = [];
  for (const [key, p] of Object.entries(two)) {
    const m = /^(\d+)-(\d+)$/.exec(key);
    if (!m || !isObj(p) || !Array.isArray(p.twoQubitGateFidelity)) continue;
    const a = Number(m[1]);
    const b = Number(m[2]);
    numQubits = Math.max(numQubits, a + 1, b + 1);
    coupling.push([a, b]);
    for (const f of p.twoQubitGateFidelity) {
      if (!isObj(f) || typeof f.gateName !== 'string') continue;
      const v = fin(f.fidelity);
      if (v !== undefined)
        gates.push({ gate: f.gateName.toLowerCase(), qubits: [a, b], error: clamp01(1 - v) });
    }
  }
  if (numQubits < 1) throw new ProviderResponseError('braket', 'deviceCapabilities: no qubit count');
  qubits.sort((x, y) => x.qubit - y.qubit);
  const native = Array.isArray(paradigm.nativeGateSet)
    ? paradigm.nativeGateSet.filter((g): g is string => typeof g === 'string').map((g) => g.toLowerCase())
    : [];
  const conn = isObj(paradigm.connectivity) ? paradigm.connectivity : {};
  const cal: { -readonly [K in keyof Calibration]: Calibration[K] } = {
    provider: 'braket',
    device,
    numQubits,
    basisGates: native.length > 0 ? native : [...new Set(gates.map((g) => g.gate))],
    calibratedAt: new Date(updated).toISOString(),
    qubits,
    gates,
    source: 'braket-standardized',
  };
  if (conn.fullyConnected !== true) {
    const graph = isObj(conn.connectivityGraph) ? conn.connectivityGraph : undefined;
    if (graph) {
      const pairs: Array<[number, number]> = [];
      for (const [from, tos] of Object.entries(graph))
        if (Array.isArray(tos))
          for (const to of tos) if (Number(from) !== Number(to)) pairs.push([Number(from), Number(to)]);
      cal.couplingMap = pairs.filter(
        ([a, b]) => Number.isInteger(a) && Number.isInteger(b) && a < numQubits && b < numQubits,
      );
    } else if (coupling.length > 0) cal.couplingMap = coupling;
  }
  return cal;
}
