import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Circuit } from '../circuit/index.js';
import { createLocalDevice, type LocalDevice } from '../devices/index.js';
import { logLineSchema, Observer } from '../telemetry/index.js';
import { type Catalogue, defaultCatalogue, DeviceRouter, type RouteDecision, PriceBook } from './index.js';

class Lines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const l of chunk.toString().split('\n')) if (l.trim()) this.lines.push(JSON.parse(l));
    done();
  }
}

// Test prices (not published figures): toronto cheapest, then lima, then fez.
const c = defaultCatalogue();
const mk = (device: string, perShot: number) => ({
  device,
  model: 'task_shot' as const,
  perTaskUsd: 0.3,
  perShotUsd: perShot,
  source: 'test',
  readOn: '2026-11-29',
});
const catalogue: Catalogue = {
  ...c,
  version: 'test-route',
  prices: [
    mk('local.fake_toronto', 0.001),
    mk('local.fake_lima', 0.002),
    mk('local.fake_fez', 0.01),
    ...c.prices,
  ],
};
const bell = new Circuit(2, 2, 'bell').h(0).cx(0, 1).measure(0, 0).measure(1, 1);

function setup(monitorIntervalMs: number) {
  const sink = new Lines();
  const exporter = new InMemorySpanExporter();
  const observer = new Observer({
    serviceName: 'router',
    logs: { destination: sink, level: 'info' },
    traces: { exporter, processor: 'simple', registerGlobal: false },
  });
  const devices = ['local.fake_toronto', 'local.fake_lima', 'local.fake_fez'].map((id) =>
    createLocalDevice(id),
  ) as LocalDevice[];
  const decisions: RouteDecision[] = [];
  const router = new DeviceRouter({
    devices,
    prices: new PriceBook(catalogue),
    circuit: bell,
    shots: 1000,
    monitorIntervalMs,
    observer,
    onDecision: (d) => decisions.push(d),
  });
  return { sink, exporter, devices, router, decisions };
}

let stop: (() => void) | undefined;
afterEach(() => {
  stop?.();
  vi.useRealTimers();
});

describe('device router', () => {
  it('chooses by policy and explains the choice and every device passed over', async () => {
    const { router, devices, sink, exporter } = setup(1000);
    const d = await router.route();
    expect(d.device).toBe('local.fake_toronto');
    expect(d.reasons[0]).toMatch(
      /^local\.fake_toronto chosen by price: online, queue 0, ESP 0\.\d+, 1\.300000 USD per task; next local\.fake_lima/,
    );
    devices[0].setStatus('maintenance');
    const e = await router.route();
    expect(e.device).toBe('local.fake_lima');
    expect(e.reasons).toContain('local.fake_toronto skipped: status maintenance');
    const lines = sink.lines.filter((l) => l.event_type === 'quantum_hardware_event');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(logLineSchema.safeParse(l).success).toBe(true);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['quantum_route price', 'quantum_route price']);
    expect(spans[1].attributes['quantum.device']).toBe('fake_lima');
    expect(spans[1].attributes['qobs.route.reasons']).toContain(
      'local.fake_toronto skipped: status maintenance',
    );
    // The log line is in the span's trace.
    expect(lines[1].trace_id).toBe(spans[1].spanContext().traceId);
  });

  it('applies the ESP floor and the queue limit', async () => {
    const { devices } = setup(1000);
    const router = new DeviceRouter({
      devices,
      prices: new PriceBook(catalogue),
      circuit: bell,
      policy: { prefer: 'esp', minEsp: 0.5, maxQueueLength: 10 },
    });
    const d = await router.route();
    const best = [...d.candidates].sort((a, b) => b.esp! - a.esp!)[0];
    expect(d.device).toBe(best.device);
    const none = new DeviceRouter({
      devices,
      prices: new PriceBook(catalogue),
      circuit: bell,
      policy: { minEsp: 1.01 },
    });
    const n = await none.route();
    expect(n.device).toBeUndefined();
    expect(n.reasons[0]).toBe('no device qualifies');
  });

  it('one monitor tick after the chosen device goes offline is enough to fail over', async () => {
    const { router, devices, sink, exporter } = setup(1000);
    await router.route('initial');
    devices[0].setStatus('offline');
    const d = await router.tick();
    expect(d).toMatchObject({
      device: 'local.fake_lima',
      previous: 'local.fake_toronto',
      failover: true,
      trigger: 'failover',
    });
    const line = sink.lines.at(-1)!;
    expect(line).toMatchObject({ hardware_event_type: 'route_failover', level: 'warn' });
    expect(String(line.message)).toContain('failed over from local.fake_toronto to local.fake_lima');
    expect(exporter.getFinishedSpans().at(-1)!.attributes['qobs.route.failover']).toBe(true);
  });

  it('on its own timer, fails over within one monitor interval of the device going offline', async () => {
    // The interval timer and the clock are faked, so a loaded machine that runs the timer late cannot fail
    // the test; the device polls (setImmediate) and the wait below stay real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const intervalMs = 250;
    const { router, devices, decisions } = setup(intervalMs);
    stop = () => router.stop();
    await router.start();
    expect(router.device()?.id).toBe('local.fake_toronto');
    const offAt = Date.now();
    devices[0].setStatus('offline');
    await vi.advanceTimersByTimeAsync(intervalMs - 1);
    expect(decisions.some((d) => d.failover)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    // The tick started by the timer is asynchronous; wait for its decision (bounded, real time).
    const deadline = performance.now() + 10_000;
    while (!decisions.some((d) => d.failover) && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const f = decisions.find((d) => d.failover);
    expect(f, 'no failover decision within 10 s of the tick').toBeDefined();
    expect(router.device()?.id).toBe('local.fake_lima');
    expect(f!.atMs - offAt).toBeLessThanOrEqual(intervalMs);
  });
});
