// The monitor's remote canaries: opted in per provider with both daily caps and a device list, else refused and logged.
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { jobs as ibmJobs, KEY, startIbm } from '../devices/ibm/fake.case.js';
import { IbmProvider } from '../devices/index.js';
import type { FakeApi } from '../devices/provider-conformance.case.js';
import { Observer } from '../telemetry/index.js';
import { startRemoteCanaries } from './monitor.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return {
    lines,
    observer: new Observer({ serviceName: 'monitor-test', logs: { destination: stream }, traces: false }),
  };
}

describe('startRemoteCanaries', () => {
  let api: FakeApi | undefined;
  afterAll(async () => {
    await api?.close();
  });

  it('refuses, and says which keys are missing, without both caps and a device list', () => {
    const { lines, observer } = capture();
    const tasks: Array<() => unknown> = [];
    const provider = new IbmProvider({ apiKey: 'unused-key-1234', baseUrl: 'http://127.0.0.1:9' });
    startRemoteCanaries({ addTask: (t) => tasks.push(t) }, observer, provider, {
      name: 'ibm',
      intervalMs: 60_000,
      canaryIntervalMs: 3_600_000,
      canaryShotsPerDay: 1000,
    });
    expect(tasks).toHaveLength(0);
    const refused = lines.find((l) => l.hardware_event_type === 'canary_refused');
    expect(JSON.stringify(refused)).toMatch(/canary_max_usd_per_day, devices in providers\.ibm/);
  });

  it('runs canary rounds on the listed remote devices under the caps, until the workbench stops', async () => {
    api = await startIbm();
    const { observer } = capture();
    const tasks: Array<() => unknown> = [];
    const provider = new IbmProvider({
      apiKey: KEY,
      baseUrl: `${api.url}/api/v1`,
      iamUrl: api.url,
      pollMs: 1,
      maxPollMs: 2,
    });
    const before = ibmJobs.created;
    startRemoteCanaries({ addTask: (t) => tasks.push(t) }, observer, provider, {
      name: 'ibm',
      intervalMs: 60_000,
      devices: ['ibmq_lima'],
      canaryIntervalMs: 3_600_000,
      canaryShotsPerDay: 2048,
      canaryMaxUsdPerDay: 20,
      canarySecondsPerJob: 2,
    });
    expect(tasks).toHaveLength(1);
    // Bounded in wall-clock time (generous for HTTP round trips on a loaded machine), not in a count of sleeps.
    const deadline = Date.now() + 20_000;
    while (ibmJobs.created - before < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(ibmJobs.created - before).toBe(2);
    for (const t of tasks) await t();
    const text = await observer.metrics();
    expect(text).toMatch(
      /quantum_circuit_executions_total\{provider="ibm",device="ibmq_lima",status="success"\} [12]/,
    );
  });
});
