// The conformance suite every Device adapter runs (local, ibm, braket, ionq): one contract, one set of tests.
import { describe, expect, it } from 'vitest';
import { Circuit } from '../circuit/index.js';
import { QueueLengthUnknownError } from './remote.js';
import type { Calibration, Device } from './types.js';

/** What the suite needs to know about an adapter under test. */
export interface ConformanceOptions {
  /** Shots for the Bell job (keep small for remote or slow devices). */
  readonly shots?: number;
  /** Skip submissions (monitor-only adapters, `canSubmit: false`). */
  readonly skipSubmit?: boolean;
  /** Timeout of the submit test in milliseconds (default 30 s). */
  readonly timeoutMs?: number;
}

/** Upper bounds of a plausible calibration, in seconds. */
export interface CalibrationLimits {
  /** T1, T2 and readout length. Superconducting qubits stay below 1 s; trapped ions reach minutes. */
  readonly maxCoherenceSeconds?: number;
  readonly maxGateSeconds?: number;
}

/**
 * Checks a calibration's internal consistency: indices in range, probabilities in [0, 1], times positive and
 * SI-sized (a microsecond value read as seconds fails the default bounds; looser bounds for trapped ions let
 * it pass, which is why each harness also checks one value exactly).
 */
export function expectValidCalibration(
  cal: Calibration,
  { maxCoherenceSeconds = 1, maxGateSeconds = 1e-3 }: CalibrationLimits = {},
): void {
  expect(cal.numQubits).toBeGreaterThan(0);
  expect(Number.isNaN(Date.parse(cal.calibratedAt))).toBe(false);
  expect(cal.basisGates.length).toBeGreaterThan(0);
  for (const [a, b] of cal.couplingMap ?? []) {
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThan(cal.numQubits);
    expect(a).not.toBe(b);
  }
  for (const q of cal.qubits) {
    expect(q.qubit).toBeGreaterThanOrEqual(0);
    expect(q.qubit).toBeLessThan(cal.numQubits);
    for (const t of [q.t1Seconds, q.t2Seconds, q.readoutLengthSeconds]) {
      if (t === undefined) continue;
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThan(maxCoherenceSeconds);
    }
    for (const p of [q.readoutError, q.probMeas0Prep1, q.probMeas1Prep0]) {
      if (p === undefined) continue;
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
    }
  }
  for (const g of cal.gates) {
    for (const q of g.qubits) {
      expect(q).toBeGreaterThanOrEqual(0);
      expect(q).toBeLessThan(cal.numQubits);
    }
    if (g.error !== undefined) {
      expect(g.error).toBeGreaterThanOrEqual(0);
      expect(g.error).toBeLessThanOrEqual(1);
    }
    if (g.lengthSeconds !== undefined) {
      expect(g.lengthSeconds).toBeGreaterThanOrEqual(0);
      expect(g.lengthSeconds).toBeLessThan(maxGateSeconds);
    }
  }
}

/**
 * Registers the Device conformance tests for one adapter.
 * @example
 *   runDeviceConformance('local.fake_lima', () => createLocalDevice('local.fake_lima'));
 */
export function runDeviceConformance(
  title: string,
  makeDevice: () => Device | Promise<Device>,
  options: ConformanceOptions = {},
): void {
  const shots = options.shots ?? 256;
  describe(`Device conformance: ${title}`, () => {
    it('is addressed as <provider>.<name> and reports status, queue length and calibration', async () => {
      const dev = await makeDevice();
      expect(dev.id).toBe(`${dev.provider}.${dev.name}`);
      expect(['local', 'ibm', 'braket', 'ionq']).toContain(dev.provider);
      expect(['online', 'offline', 'maintenance', 'unknown']).toContain(await dev.status());
      // A provider that publishes no queue length says so (unknown is not zero); any other answer is a count.
      const queued = await dev.queueLength().catch((e: unknown) => e);
      if (!(queued instanceof QueueLengthUnknownError))
        expect(Number.isInteger(queued) && (queued as number) >= 0).toBe(true);
      const cal = await dev.calibration();
      if (cal) {
        expectValidCalibration(cal);
        expect(cal.numQubits).toBe(dev.numQubits);
      }
    });

    if (options.skipSubmit) return;

    it(
      'runs a Bell circuit: completed, counts in Qiskit order summing to the shots, ordered timestamps',
      async () => {
        const dev = await makeDevice();
        const bell = new Circuit(2).h(0).cx(0, 1).measureAll();
        const job = await dev.submit(bell, { shots, seed: 1 });
        expect(job.id).toBeTruthy();
        const rec = await job.wait();
        expect(rec.status).toBe('completed');
        expect(rec.shots).toBe(shots);
        const counts = rec.counts!;
        expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(shots);
        for (const key of Object.keys(counts)) expect(key).toMatch(/^[01]{2}$/);
        // A Bell pair mostly agrees, on any device worth the name.
        expect((counts['00'] ?? 0) + (counts['11'] ?? 0)).toBeGreaterThan(shots * 0.6);
        const created = rec.createdAt.getTime();
        if (rec.startedAt) expect(rec.startedAt.getTime()).toBeGreaterThanOrEqual(created);
        if (rec.finishedAt)
          expect(rec.finishedAt.getTime()).toBeGreaterThanOrEqual(rec.startedAt?.getTime() ?? created);
        expect(job.record().status).toBe('completed');
      },
      options.timeoutMs ?? 30_000,
    );

    it('rejects invalid shots at submission', async () => {
      const dev = await makeDevice();
      const c = new Circuit(1).h(0).measureAll();
      for (const bad of [0, -1, 1.5]) await expect(dev.submit(c, { shots: bad })).rejects.toThrow(/shots/);
    });

    it('ends a job with too many qubits as failed with a typed error; wait() does not reject', async () => {
      const dev = await makeDevice();
      const wide = new Circuit(dev.numQubits + 1).h(0).measureAll();
      let rec: Awaited<ReturnType<Awaited<ReturnType<Device['submit']>>['wait']>> | undefined;
      try {
        rec = await (await dev.submit(wide, { shots: 10 })).wait();
      } catch (err) {
        // Refusing at submission is also conforming, with a message that says why.
        expect(String((err as Error).message)).toMatch(/qubit/);
        return;
      }
      expect(rec.status).toBe('failed');
      expect(rec.error?.type).toBeTruthy();
      expect(rec.error?.message).toMatch(/qubit|memory/);
    });
  });
}
