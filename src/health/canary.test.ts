// Canary circuits on local devices: best chain, ideal distributions, fidelities recorded as canary.
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { jobs as ibmJobs, KEY, startIbm } from '../devices/ibm/fake.case.js';
import type { FakeApi } from '../devices/provider-conformance.case.js';
import {
  createLocalDevice,
  type Device,
  fakeCalibration,
  IbmProvider,
  RemoteDevice,
} from '../devices/index.js';
import { simulate } from '../sim/index.js';
import { Observer } from '../telemetry/index.js';
import { bestChain, CanaryRunner, ghzCircuit, mirrorCircuit } from './canary.js';

describe('canary circuits', () => {
  it('mirror circuits are the identity: the ideal outcome is all zeros', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = simulate(mirrorCircuit(4, 3, seed), { shots: 200, seed });
      expect(r.counts).toEqual({ '0000': 200 });
    }
  });

  it('GHZ ideally gives only all-zeros and all-ones', () => {
    const r = simulate(ghzCircuit(4), { shots: 400, seed: 2 });
    expect(Object.keys(r.counts).sort()).toEqual(['0000', '1111']);
  });

  it('best chain is a connected path with the lowest error of all paths (brute force on lima)', () => {
    const cal = fakeCalibration('lima');
    const chain = bestChain(cal, 3);
    expect(new Set(chain).size).toBe(3);
    const linked = (a: number, b: number) =>
      cal.couplingMap!.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
    expect(linked(chain[0], chain[1]) && linked(chain[1], chain[2])).toBe(true);
    const err = (a: number, b: number) =>
      Math.min(
        ...cal.gates
          .filter((g) => g.qubits.length === 2 && g.qubits.includes(a) && g.qubits.includes(b))
          .map((g) => g.error ?? 1),
      );
    const ro = (q: number) => cal.qubits[q].readoutError ?? 0;
    const cost = (p: number[]) => ro(p[0]) + err(p[0], p[1]) + ro(p[1]) + err(p[1], p[2]) + ro(p[2]);
    let best = Number.POSITIVE_INFINITY;
    for (let a = 0; a < 5; a++)
      for (let b = 0; b < 5; b++)
        for (let c = 0; c < 5; c++)
          if (a !== b && b !== c && a !== c && linked(a, b) && linked(b, c))
            best = Math.min(best, cost([a, b, c]));
    expect(cost(chain)).toBeCloseTo(best, 12);
  });

  it('runs on local devices, records canary fidelity (Hellinger) beside the ESP, and skips remote devices by default', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _e, cb) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        cb();
      },
    });
    const observer = new Observer({
      serviceName: 'canary-test',
      logs: { destination: stream },
      traces: false,
    });
    const ideal = createLocalDevice('local.statevector');
    const noisy = createLocalDevice('local.fake_lima');
    const remote: Device = {
      id: 'ionq.qpu.aria-1',
      provider: 'ionq',
      name: 'qpu.aria-1',
      numQubits: 25,
      canSubmit: true,
      status: async () => 'online',
      queueLength: async () => 0,
      calibration: async () => undefined,
      submit: () => Promise.reject(new Error('must not submit')),
    };
    const runner = new CanaryRunner({ observer, devices: [ideal, noisy, remote], shots: 2000, seed: 3 });
    const results = await runner.runOnce();
    const of = (dev: string, kind: string) => results.find((r) => r.device === dev && r.kind === kind)!;
    expect(of('local.statevector', 'ghz').hellinger).toBeGreaterThan(0.99);
    expect(of('local.statevector', 'mirror').hellinger).toBe(1);
    const ghz = of('local.fake_lima', 'ghz');
    expect(ghz.status).toBe('completed');
    expect(ghz.hellinger).toBeGreaterThan(0.5);
    expect(ghz.hellinger).toBeLessThan(0.999);
    expect(ghz.esp).toBeGreaterThan(0);
    expect(ghz.esp).toBeLessThan(1);
    expect(of('ionq.qpu.aria-1', 'ghz').status).toBe('skipped');
    const text = await observer.metrics();
    expect(text).toMatch(
      /quantum_circuit_fidelity\{provider="local",device="fake_lima",circuit_type="canary"\} 0\.\d+/,
    );
    expect(lines.some((l) => l.hardware_event_type === 'canary_result')).toBe(true);
  });

  it('remote canaries need an explicit daily shot cap', () => {
    const observer = new Observer({ serviceName: 'c', logs: false, traces: false });
    expect(() => new CanaryRunner({ observer, devices: [], allowRemote: true })).toThrow(/remoteShotsPerDay/);
  });
});

describe('remote canaries (IBM fake API)', () => {
  let api: FakeApi | undefined;
  afterAll(async () => {
    await api?.close();
  });
  const lima = async () => {
    api ??= await startIbm();
    const provider = new IbmProvider({
      apiKey: KEY,
      baseUrl: `${api.url}/api/v1`,
      iamUrl: api.url,
      pollMs: 1,
      maxPollMs: 2,
    });
    return RemoteDevice.open(provider, 'ibmq_lima');
  };
  const capture = () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _e, cb) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        cb();
      },
    });
    return {
      lines,
      observer: new Observer({ serviceName: 'canary-remote', logs: { destination: stream }, traces: false }),
    };
  };

  it('runs on a remote device under the daily shot cap, priced with the catalogue, and logs the refusal', async () => {
    const dev = await lima();
    const { lines, observer } = capture();
    let now = new Date('2026-11-29T10:00:00Z');
    const runner = new CanaryRunner({
      observer,
      devices: [dev],
      allowRemote: true,
      remoteShotsPerDay: 3000,
      remoteMaxUsdPerDay: 100,
      remoteSecondsPerJob: 2,
      shots: 1000,
      now: () => now,
    });
    const first = await runner.runOnce();
    expect(first.map((r) => r.status)).toEqual(['completed', 'completed']);
    const ghz = first[0];
    expect(ghz.hellinger).toBeGreaterThan(0.95);
    expect(ghz.esp).toBeGreaterThan(0);
    expect(ghz.esp).toBeLessThan(1);
    // Each fake job reports 1 s of usage; IBM is billed 1.60 USD a second in the bundled catalogue.
    expect(runner.spentUsdToday()).toBeCloseTo(3.2, 9);
    const second = await runner.runOnce();
    expect(second[0].status).toBe('completed');
    expect(second[1].status).toBe('skipped');
    expect(second[1].reason).toMatch(/daily shot cap: 3000 \+ 1000 shots would exceed 3000/);
    expect(lines.some((l) => l.hardware_event_type === 'canary_refused')).toBe(true);
    const text = await observer.metrics();
    expect(text).toMatch(
      /quantum_circuit_fidelity\{provider="ibm",device="ibmq_lima",circuit_type="canary"\} (?:0\.9\d*|1)$/m,
    );
    // A new UTC day starts the caps again.
    now = new Date('2026-11-30T00:00:01Z');
    expect(runner.spentUsdToday()).toBe(0);
    expect((await runner.runOnce()).map((r) => r.status)).toEqual(['completed', 'completed']);
  });

  it('does not start a job that would cross the daily cost cap, nor one it cannot price', async () => {
    const dev = await lima();
    const before = ibmJobs.created;
    const { observer } = capture();
    const capped = new CanaryRunner({
      observer,
      devices: [dev],
      allowRemote: true,
      remoteShotsPerDay: 10_000,
      remoteMaxUsdPerDay: 2,
      remoteSecondsPerJob: 2,
      shots: 100,
    });
    const r = await capped.runOnce();
    expect(r.map((x) => x.status)).toEqual(['skipped', 'skipped']);
    expect(r[0].reason).toMatch(/daily cost cap: 0\.0000 \+ 3\.2000 USD would exceed 2 USD/);
    // IBM bills by the second: with no duration known, the cost cannot be known beforehand.
    const unknown = new CanaryRunner({
      observer,
      devices: [dev],
      allowRemote: true,
      remoteShotsPerDay: 10_000,
      remoteMaxUsdPerDay: 50,
      shots: 100,
    });
    const u = await unknown.runOnce();
    expect(u[0].status).toBe('skipped');
    expect(u[0].reason).toMatch(/cannot price a canary on ibm\.ibmq_lima beforehand/);
    expect(ibmJobs.created).toBe(before);
  });

  it('a refused credential fails the canary and never reaches the logs', async () => {
    api ??= await startIbm();
    const wrong = 'wrong-ibm-key-5ab1c9e7d3f0';
    const provider = new IbmProvider({
      apiKey: wrong,
      baseUrl: `${api.url}/api/v1`,
      iamUrl: api.url,
      maxAttempts: 1,
    });
    const { lines, observer } = capture();
    const runner = new CanaryRunner({
      observer,
      devices: [new RemoteDevice(provider, 'ibmq_lima', 5)],
      allowRemote: true,
      remoteShotsPerDay: 10_000,
      remoteMaxUsdPerDay: 50,
      remoteSecondsPerJob: 2,
      shots: 100,
    });
    const r = await runner.runOnce();
    expect(r.map((x) => x.status)).toEqual(['failed', 'failed']);
    expect(r[0].reason).toMatch(/IAM refused the API key/);
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(lines)).not.toContain(wrong);
  });

  it('refuses a device whose prices are not published (IonQ direct) without submitting', async () => {
    const { observer } = capture();
    const ionq: Device = {
      id: 'ionq.qpu.aria-1',
      provider: 'ionq',
      name: 'qpu.aria-1',
      numQubits: 25,
      canSubmit: true,
      status: async () => 'online',
      queueLength: async () => 0,
      calibration: async () => undefined,
      submit: () => Promise.reject(new Error('must not submit')),
    };
    const runner = new CanaryRunner({
      observer,
      devices: [ionq],
      allowRemote: true,
      remoteShotsPerDay: 1000,
      remoteMaxUsdPerDay: 10,
      shots: 100,
    });
    const r = await runner.runOnce();
    expect(r.every((x) => x.status === 'skipped' && /cannot price/.test(x.reason ?? ''))).toBe(true);
  });

  it('remote canaries need a daily cost cap too', () => {
    const observer = new Observer({ serviceName: 'c', logs: false, traces: false });
    expect(
      () => new CanaryRunner({ observer, devices: [], allowRemote: true, remoteShotsPerDay: 10 }),
    ).toThrow(/remoteMaxUsdPerDay/);
  });
});
