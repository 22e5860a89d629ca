// What every remote submission shares: checks made before any request, OpenQASM 3 for a provider, results in
// the project's bit order (highest classical bit first, as Qiskit prints counts) and a polled job handle.
import { type Circuit, decompose, flatten } from '../circuit/index.js';
import { QobsError } from '../errors.js';
import { defaultSleep } from './provider-http.js';
import {
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from './provider.js';
import type { JobHandle, JobRecord, ProviderName, SubmitOptions } from './types.js';

/** A circuit or options that cannot be sent, found before any request; `field` names what is wrong. */
export class SubmissionError extends QobsError {
  readonly provider: ProviderName;
  readonly field: string;
  constructor(provider: ProviderName, field: string, message: string) {
    super('submission_invalid', `${provider}: ${field}: ${message}`);
    this.provider = provider;
    this.field = field;
  }
}

/**
 * Checks shots and the circuit and binds its parameters, before any request: positive integer shots (at most
 * `maxShots`), every parameter given, at least one measurement, no classically conditioned gates (the emitted
 * programs do not carry them), at most `numQubits` qubits when known.
 */
export function checkSubmission(
  provider: ProviderName,
  circuit: Circuit,
  options: SubmitOptions,
  limits: { numQubits?: number; maxShots?: number } = {},
): Circuit {
  const shots = options.shots;
  if (typeof shots !== 'number' || !Number.isInteger(shots) || shots < 1)
    throw new SubmissionError(provider, 'shots', `must be a positive integer, got ${String(shots)}`);
  if (limits.maxShots !== undefined && shots > limits.maxShots)
    throw new SubmissionError(
      provider,
      'shots',
      `${shots} is above the device's maximum of ${limits.maxShots}`,
    );
  const missing = circuit.inputs.filter((s) => options.parameters?.[s] === undefined);
  if (missing.length > 0)
    throw new SubmissionError(provider, 'parameters', `no value for ${missing.join(', ')}`);
  const bound = circuit.inputs.length > 0 ? circuit.bind(options.parameters ?? {}) : circuit;
  if (!bound.instructions.some((i) => i.name === 'measure'))
    throw new SubmissionError(provider, 'circuit', 'it measures nothing, so a job would return no counts');
  if (bound.instructions.some((i) => i.condition))
    throw new SubmissionError(
      provider,
      'circuit',
      'classically conditioned gates are not sent to remote devices',
    );
  if (limits.numQubits !== undefined && bound.numQubits > limits.numQubits)
    throw new SubmissionError(
      provider,
      'circuit',
      `it has ${bound.numQubits} qubits; the device has ${limits.numQubits}`,
    );
  return bound;
}

/** How to spell a program for one provider. */
export interface Qasm3Dialect {
  /** `q[3]` or `$3`. */
  readonly qubit: (q: number) => string;
  /** The provider's name of a gate (Braket: cx is `cnot`). */
  readonly gate?: (name: string) => string;
  /** Declare `qubit[n] q;` (virtual qubits); false for physical `$n` qubits. */
  readonly declareQubits: boolean;
  readonly include: boolean;
}

/**
 * OpenQASM 3 text of a circuit whose gates are all named, parameter-free-of-symbols library gates (after
 * transpile or decompose). Angles are written with full double precision; every classical register is declared.
 */
export function emitQasm3(provider: ProviderName, circuit: Circuit, dialect: Qasm3Dialect): string {
  const out = ['OPENQASM 3.0;'];
  if (dialect.include) out.push('include "stdgates.inc";');
  if (dialect.declareQubits) out.push(`qubit[${circuit.numQubits}] q;`);
  const clbit: string[] = [];
  for (const r of circuit.cregs) {
    out.push(`bit[${r.size}] ${r.name};`);
    for (let i = 0; i < r.size; i++) clbit[r.offset + i] = `${r.name}[${i}]`;
  }
  const name = dialect.gate ?? ((n: string) => n);
  for (const inst of circuit.instructions) {
    const qs = inst.qubits.map(dialect.qubit);
    if (inst.name === 'measure') {
      out.push(`${clbit[inst.clbits[0]]} = measure ${qs[0]};`);
      continue;
    }
    if (inst.name === 'barrier') {
      out.push(`barrier ${qs.join(', ')};`);
      continue;
    }
    if (inst.name === 'reset') {
      out.push(`reset ${qs[0]};`);
      continue;
    }
    if (inst.name === 'delay') continue; // timing is the provider's scheduler's business
    if (inst.modifiers?.length || inst.matrix)
      throw new SubmissionError(provider, 'circuit', `gate ${inst.name} was not decomposed`);
    const params = inst.params.map((p) => {
      if (typeof p !== 'number')
        throw new SubmissionError(provider, 'circuit', `gate ${inst.name} has an unbound parameter`);
      return String(p); // shortest text that reads back to the same double
    });
    out.push(`${name(inst.name)}${params.length ? `(${params.join(', ')})` : ''} ${qs.join(', ')};`);
  }
  return `${out.join('\n')}\n`;
}

/** Decomposes a circuit into `basis`, turning a failure into a SubmissionError naming the circuit. */
export function decomposeFor(provider: ProviderName, circuit: Circuit, basis: readonly string[]): Circuit {
  try {
    return decompose(flatten(circuit), basis);
  } catch (err) {
    throw new SubmissionError(
      provider,
      'circuit',
      `cannot be expressed in [${basis.join(', ')}]: ${(err as Error).message}`,
    );
  }
}

/** Clbit -> the qubit last measured into it. */
export function clbitSources(circuit: Circuit): Map<number, number> {
  const m = new Map<number, number>();
  for (const inst of circuit.instructions) if (inst.name === 'measure') m.set(inst.clbits[0], inst.qubits[0]);
  return m;
}

/** The project's key for one shot: clbit c is character numClbits-1-c; a clbit nothing measured reads 0. */
export function keyOfClbits(numClbits: number, bit: (clbit: number) => number): string {
  let s = '';
  for (let c = numClbits - 1; c >= 0; c--) s += bit(c) ? '1' : '0';
  return s;
}

/**
 * Counts from per-register samples, as IBM's SamplerV2 returns them: one hex string per shot and register,
 * whose bit i is the register's bit i (`0x1` on a 2-bit register `c` is c[0] = 1, printed `01`).
 */
export function countsFromRegisterSamples(
  provider: ProviderName,
  circuit: Circuit,
  samples: Readonly<Record<string, readonly string[]>>,
): Record<string, number> {
  const regs = circuit.cregs.map((r) => {
    const s = samples[r.name];
    if (!Array.isArray(s))
      throw new ProviderResponseError(provider, `results: no samples for classical register '${r.name}'`);
    return { r, values: s.map((h) => hexValue(provider, h)) };
  });
  const shots = regs[0]?.values.length ?? 0;
  if (regs.some((x) => x.values.length !== shots))
    throw new ProviderResponseError(provider, 'results: registers hold different numbers of shots');
  const bits = new Uint8Array(circuit.numClbits);
  const counts: Record<string, number> = {};
  for (let i = 0; i < shots; i++) {
    for (const { r, values } of regs)
      for (let j = 0; j < r.size; j++) bits[r.offset + j] = Number((values[i] >> BigInt(j)) & 1n);
    const key = keyOfClbits(circuit.numClbits, (c) => bits[c]);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function hexValue(provider: ProviderName, h: string): bigint {
  if (typeof h !== 'string' || !/^0x[0-9a-fA-F]+$/.test(h))
    throw new ProviderResponseError(provider, `results: sample ${JSON.stringify(h)} is not a hex string`);
  return BigInt(h);
}

/**
 * Counts from per-qubit shots, as Braket returns them: row i holds shot i, column k the value of
 * `measuredQubits[k]`. Each clbit takes the value of the qubit the circuit measured into it.
 */
export function countsFromQubitShots(
  provider: ProviderName,
  circuit: Circuit,
  measuredQubits: readonly number[],
  rows: ReadonlyArray<readonly number[]>,
): Record<string, number> {
  const column = new Map(measuredQubits.map((q, k) => [q, k]));
  const sources = clbitSources(circuit);
  for (const q of sources.values())
    if (!column.has(q)) throw new ProviderResponseError(provider, `results: qubit ${q} was not measured`);
  const counts: Record<string, number> = {};
  for (const row of rows) {
    if (!Array.isArray(row) || row.length !== measuredQubits.length)
      throw new ProviderResponseError(provider, 'results: a shot does not have one value per measured qubit');
    const key = keyOfClbits(circuit.numClbits, (c) => {
      const q = sources.get(c);
      return q === undefined ? 0 : row[column.get(q)!];
    });
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Whole counts from outcome probabilities (largest remainder, so they sum to `shots`): what a provider that
 * returns probabilities (IonQ, Braket's `measurementProbabilities`) measured, to within one shot per outcome.
 */
export function countsFromProbabilities(
  probabilities: ReadonlyMap<string, number>,
  shots: number,
): Record<string, number> {
  const entries = [...probabilities].filter(([, p]) => p > 0);
  const total = entries.reduce((a, [, p]) => a + p, 0);
  if (!(total > 0)) return {};
  const exact = entries.map(([k, p]) => ({ k, x: (p / total) * shots }));
  const out = exact.map((e) => ({ k: e.k, n: Math.floor(e.x), r: e.x - Math.floor(e.x) }));
  let left = shots - out.reduce((a, e) => a + e.n, 0);
  for (const e of [...out].sort((a, b) => b.r - a.r || (a.k < b.k ? -1 : 1))) {
    if (left <= 0) break;
    e.n++;
    left--;
  }
  const counts: Record<string, number> = {};
  for (const e of out) if (e.n > 0) counts[e.k] = (counts[e.k] ?? 0) + e.n;
  return counts;
}

/** Merges the probabilities of outcomes that give the same key (qubits measured into no clbit collapse). */
export function keyedProbabilities(
  entries: Iterable<readonly [(q: number) => number, number]>,
  circuit: Circuit,
): Map<string, number> {
  const sources = clbitSources(circuit);
  const out = new Map<string, number>();
  for (const [qubitValue, p] of entries) {
    const key = keyOfClbits(circuit.numClbits, (c) => {
      const q = sources.get(c);
      return q === undefined ? 0 : qubitValue(q);
    });
    out.set(key, (out.get(key) ?? 0) + p);
  }
  return out;
}

/** How a submitted job is polled. */
export interface PollOptions {
  /** First wait between polls (default 2 s); doubled after each poll up to `maxPollMs`. */
  readonly pollMs?: number;
  /** Longest wait between polls (default 60 s). */
  readonly maxPollMs?: number;
  /** wait() gives up with a ProviderTimeoutError after this long (default 24 hours: queues are long). */
  readonly waitTimeoutMs?: number;
  /**
   * Polls in a row that may fail (provider unavailable, timed out or rate limited, after the request's own
   * retries) before wait() rejects (default 5): a job outlives a provider's bad minute.
   */
  readonly maxPollFailures?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/**
 * A JobHandle that polls `fetch` (status, and results once completed) with exponential backoff. Concurrent
 * wait() calls share one polling loop; wait() resolves with the final record, failed or not, and rejects only
 * after `maxPollFailures` transient failures in a row, or at once for any other error.
 */
export function polledJob(
  provider: ProviderName,
  initial: JobRecord,
  fetch: () => Promise<JobRecord>,
  cancel: () => Promise<void>,
  options: PollOptions = {},
): JobHandle {
  const pollMs = options.pollMs ?? 2000;
  const maxPollMs = options.maxPollMs ?? 60_000;
  const waitTimeoutMs = options.waitTimeoutMs ?? 86_400_000;
  const sleep = options.sleep ?? defaultSleep;
  const maxPollFailures = options.maxPollFailures ?? 5;
  let last = initial;
  let waiting: Promise<JobRecord> | undefined;
  const loop = async (): Promise<JobRecord> => {
    const startedMs = Date.now();
    let delayMs = pollMs;
    let failures = 0;
    while (!FINAL.has(last.status)) {
      if (Date.now() - startedMs > waitTimeoutMs)
        throw new ProviderTimeoutError(provider, waitTimeoutMs, `job ${initial.id} did not finish`);
      await sleep(delayMs);
      delayMs = Math.min(maxPollMs, delayMs * 2);
      try {
        last = await fetch();
        failures = 0;
      } catch (err) {
        const transient =
          err instanceof ProviderUnavailableError ||
          err instanceof ProviderTimeoutError ||
          err instanceof ProviderRateLimitError;
        if (!transient || ++failures >= maxPollFailures) throw err;
      }
    }
    return last;
  };
  return {
    id: initial.id,
    record: () => last,
    wait: () => {
      waiting ??= loop().finally(() => {
        waiting = undefined;
      });
      return waiting;
    },
    cancel: async () => {
      await cancel();
    },
  };
}
