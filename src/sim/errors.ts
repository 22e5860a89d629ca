// Typed errors of the simulator: memory, bad input, unsupported instructions.
import { QobsError } from '../errors.js';

/** The state vector would not fit: says how many bytes it needs and the limit in force. */
export class SimulatorMemoryError extends QobsError {
  readonly numQubits: number;
  readonly requiredBytes: number;
  readonly limitBytes: number;
  constructor(numQubits: number, requiredBytes: number, limitBytes: number) {
    super(
      'sim_memory',
      `a state vector of ${numQubits} qubits needs ${formatBytes(requiredBytes)} (${requiredBytes} bytes); ` +
        `the limit is ${formatBytes(limitBytes)} (${limitBytes} bytes)`,
    );
    this.numQubits = numQubits;
    this.requiredBytes = requiredBytes;
    this.limitBytes = limitBytes;
  }
}

/** Invalid input to the simulator (shots, observables, parameters); `field` names what was wrong. */
export class SimulatorInputError extends QobsError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('sim_input', `${field}: ${message}`);
    this.field = field;
  }
}

/** An instruction the simulator cannot run (unknown gate, opaque gate, modifier without `flatten`). */
export class UnsupportedInstructionError extends QobsError {
  readonly instruction: string;
  constructor(instruction: string, message: string) {
    super('sim_unsupported', message);
    this.instruction = instruction;
  }
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}
