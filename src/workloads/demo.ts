// The demo scenario behind `npm start`: the classifier and QAOA run for real on the local simulator and fake
// IBM devices through the Observer, while canary circuits tick, a calibration drifts and a device goes offline
// and comes back, so that every dashboard panel fills and alerts fire and resolve.
import { Circuit } from '../circuit/index.js';
import type { Calibration, LocalDevice } from '../devices/index.js';
import { createLocalDevice } from '../devices/index.js';
import type { Observer } from '../telemetry/index.js';
import { runQaoa } from './qaoa.js';
import { trainVqc } from './vqc.js';

/** What the demo tells its caller as it goes (progress lines, a terminal's progress bar). */
export interface DemoEvent {
  readonly atSeconds: number;
  readonly kind: 'start' | 'epoch' | 'qaoa' | 'fault' | 'recovery' | 'canary' | 'done';
  readonly message: string;
  /** Fraction of the current long step done, for progress bars. */
  readonly progress?: number;
}

export interface DemoOptions {
  readonly observer: Observer;
  /** Called with each device calibration the polls see (the workbench keeps their history). */
  readonly onCalibration?: (calibration: Calibration) => void;
  /** Stops the demo (Ctrl-C). */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: DemoEvent) => void;
  /** Seconds after start when the drift and the outage begin and end (defaults 10, 15, 35). */
  readonly schedule?: { readonly driftAt?: number; readonly outageAt?: number; readonly recoverAt?: number };
  /** Seconds between canary rounds and hardware polls (default 2). */
  readonly tickSeconds?: number;
  /** Run the workloads once and stop (tests); default: repeat until the signal aborts. */
  readonly once?: boolean;
  readonly seed?: number;
}

/** The devices the demo uses, created fresh so its faults never touch the process-wide shared ones. */
export interface DemoDevices {
  readonly statevector: LocalDevice;
  readonly toronto: LocalDevice;
  readonly manila: LocalDevice;
  readonly lima: LocalDevice;
}

export function demoDevices(): DemoDevices {
  return {
    statevector: createLocalDevice('local.statevector'),
    toronto: createLocalDevice('local.fake_toronto'),
    manila: createLocalDevice('local.fake_manila'),
    lima: createLocalDevice('local.fake_lima'),
  };
}

/**
 * The published snapshots date from years ago; the demo re-dates each one to a few hours before it starts
 * (its data unchanged), so calibration age reads as in live operation and the drift is a fresh recalibration.
 */
function redated(cal: Calibration, ageHours: number, now: number): Calibration {
  return { ...cal, calibratedAt: new Date(now - ageHours * 3600_000).toISOString() };
}

/** A drifted calibration: readout errors tripled, gate errors doubled, T1 and T2 halved (capped at 0.5). */
export function drifted(cal: Calibration, now: number): Calibration {
  const cap = (p: number | undefined, k: number) => (p === undefined ? undefined : Math.min(0.5, p * k));
  return {
    ...cal,
    calibratedAt: new Date(now).toISOString(),
    qubits: cal.qubits.map((q) => ({
      ...q,
      readoutError: cap(q.readoutError, 3),
      probMeas0Prep1: cap(q.probMeas0Prep1, 3),
      probMeas1Prep0: cap(q.probMeas1Prep0, 3),
      t1Seconds: q.t1Seconds === undefined ? undefined : q.t1Seconds / 2,
      t2Seconds: q.t2Seconds === undefined ? undefined : q.t2Seconds / 2,
    })),
    gates: cal.gates.map((g) => ({ ...g, error: cap(g.error, 2) })),
  };
}

function ghz(n: number): Circuit {
  const c = new Circuit(n, 0, `ghz_${n}`);
  c.h(0);
  for (let q = 1; q < n; q++) c.cx(q - 1, q);
  return c.measureAll();
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Runs the demo until `signal` aborts (or once through with `once`). Never throws for a failed job. */
export async function runDemo(options: DemoOptions, devices: DemoDevices = demoDevices()): Promise<void> {
  const { observer, signal } = options;
  const t0 = Date.now();
  const at = () => (Date.now() - t0) / 1000;
  const emit = (kind: DemoEvent['kind'], message: string, progress?: number) =>
    options.onEvent?.({ atSeconds: at(), kind, message, progress });
  const schedule = { driftAt: 10, outageAt: 15, recoverAt: 35, ...options.schedule };
  const tickMs = (options.tickSeconds ?? 2) * 1000;
  const noisy = [devices.toronto, devices.manila, devices.lima];
  const originals = new Map<LocalDevice, Calibration>();
  for (const [i, d] of noisy.entries()) {
    const cal = (await d.calibration())!;
    const fresh = redated(cal, 2 + 3 * i, t0);
    originals.set(d, fresh);
    d.setCalibration(fresh);
  }
  emit('start', `demo started on ${[devices.statevector, ...noisy].map((d) => d.id).join(', ')}`);

  // The faults, each timed from the one before, so every phase lasts its planned time even when the
  // CPU-bound workloads delay the timers.
  let recovered = false;
  const timers = new Set<NodeJS.Timeout>();
  const after = (seconds: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!signal?.aborted) fn();
    }, seconds * 1000);
    timers.add(t);
  };
  const recover = () => {
    recovered = true;
    devices.manila.setStatus('online');
    devices.toronto.setCalibration(redated(originals.get(devices.toronto)!, 0, Date.now()));
    observer.hardwareEvent('local', devices.manila.name, 'device_online', { reason: 'outage over' });
    observer.hardwareEvent('local', devices.toronto.name, 'calibration_completed', {
      reason: 'recalibrated',
    });
    emit('recovery', `${devices.manila.id} back online; ${devices.toronto.id} recalibrated`);
  };
  const outage = () => {
    devices.manila.setStatus('offline');
    observer.hardwareEvent('local', devices.manila.name, 'device_offline', { reason: 'injected outage' });
    // A provider error that echoes the request's credentials: the Observer redacts it before it is written.
    observer.error(
      new Error('upstream rejected job: Authorization: Bearer qobs-demo-Tk3yN0tR3al0nlyF0rRedaction'),
      {
        device: devices.manila.id,
      },
    );
    emit('fault', `${devices.manila.id}: offline (injected outage)`);
    after(Math.max(0, schedule.recoverAt - schedule.outageAt), recover);
  };
  const drift = () => {
    devices.toronto.setCalibration(drifted(originals.get(devices.toronto)!, Date.now()));
    observer.hardwareEvent('local', devices.toronto.name, 'calibration_completed', {
      reason: 'recalibration with degraded readout and gate errors (injected drift)',
    });
    emit('fault', `${devices.toronto.id}: calibration drifted (readout x3, gate errors x2, T1/T2 halved)`);
    after(Math.max(0, schedule.outageAt - schedule.driftAt), outage);
  };
  after(schedule.driftAt, drift);

  // Background: hardware polls and canary circuits on every device, every tick.
  const all = [devices.statevector, ...noisy];
  const polls = (async () => {
    while (!signal?.aborted && !(options.once && recovered)) {
      for (const d of all) {
        const cal = await observer.observeDevice(d);
        if (cal) options.onCalibration?.(cal);
      }
      await sleep(tickMs, signal);
    }
  })();
  const canaries = (async () => {
    let round = 0;
    while (!signal?.aborted && !(options.once && recovered)) {
      for (const d of all) {
        // An offline device refuses the job: the failure is recorded as such (status, error log), as in real use.
        await observer
          .run(d, ghz(d === devices.lima ? 3 : 5), { shots: 1000, circuitType: 'canary', seed: round })
          .catch(() => undefined);
      }
      round++;
      await sleep(tickMs, signal);
    }
  })();
  const background = Promise.all([polls, canaries]).finally(() => {
    for (const t of timers) clearTimeout(t);
  });
  // With `once`, the state after recovery is polled before the demo returns.
  const finalPoll = async () => {
    if (options.once) for (const d of all) await observer.observeDevice(d);
  };

  // Foreground: the workloads, repeated.
  let pass = 0;
  do {
    const seed = (options.seed ?? 7) + pass;
    await trainVqc({
      seed,
      epochs: 8,
      observer,
      device: devices.manila,
      shots: 256,
      signal,
      onEpoch: (e) =>
        emit(
          'epoch',
          `vqc_iris epoch ${e.epoch + 1}/8: loss ${e.loss.toFixed(3)}, test accuracy ${(100 * e.testAccuracy).toFixed(1)}%`,
          (e.epoch + 1) / 8,
        ),
    });
    for (const nodes of [6, 8, 10]) {
      if (signal?.aborted) break;
      const r = await runQaoa({
        nodes,
        maxDepth: 2,
        seed: seed + nodes,
        observer,
        device: devices.toronto,
        shots: 1024,
      });
      emit(
        'qaoa',
        `qaoa_maxcut n=${nodes}: approximation ratio ${r.approximationRatio.toFixed(3)} (optimum ${r.optimum})`,
      );
    }
    pass++;
  } while (!signal?.aborted && !options.once);
  await background;
  await finalPoll();
  emit('done', 'demo finished');
}
