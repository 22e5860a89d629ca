// Canary circuits (the hardware-health checker): GHZ on the device's best chain and mirror circuits, run on a
// schedule; Hellinger fidelity against the ideal distribution, compared with the calibration's ESP.
import { Circuit } from '../circuit/index.js';
import { CostTracker, espOnCalibration, type Priced, type Usage } from '../cost/index.js';
import { type Calibration, type Device, type JobRecord, LocalDevice } from '../devices/index.js';
import { QobsConfigError } from '../errors.js';
import { hellingerFidelity, Rng } from '../sim/index.js';
import type { Observer } from '../telemetry/index.js';

/** A chain of `length` connected qubits with the lowest summed two-qubit and readout error. */
export function bestChain(cal: Calibration, length: number): number[] {
  const readout = new Map(cal.qubits.map((q) => [q.qubit, q.readoutError ?? 0]));
  const edge = new Map<string, number>();
  for (const g of cal.gates)
    if (g.qubits.length === 2 && g.error !== undefined) {
      const k = [...g.qubits].sort((a, b) => a - b).join(',');
      edge.set(k, Math.min(edge.get(k) ?? 1, g.error));
    }
  const pairs = cal.couplingMap ?? [];
  if (pairs.length === 0) {
    // All-to-all: the qubits with the lowest readout error, in any order.
    return [...Array(cal.numQubits).keys()]
      .sort((a, b) => (readout.get(a) ?? 0) - (readout.get(b) ?? 0))
      .slice(0, length);
  }
  const adj = new Map<number, Set<number>>();
  for (const [a, b] of pairs) {
    if (!adj.has(a)) adj.set(a, new Set());
    if (!adj.has(b)) adj.set(b, new Set());
    adj.get(a)!.add(b);
    adj.get(b)!.add(a);
  }
  const cost = (a: number, b: number) => edge.get(a < b ? `${a},${b}` : `${b},${a}`) ?? 0.5;
  let best: number[] = [];
  let bestCost = Number.POSITIVE_INFINITY;
  // Depth-first over simple paths; bounded by `length` (canaries are a few qubits) and the sparse coupling graph.
  const path: number[] = [];
  const onPath = new Set<number>();
  const walk = (q: number, c: number) => {
    if (c >= bestCost) return;
    if (path.length === length) {
      best = [...path];
      bestCost = c;
      return;
    }
    for (const n of adj.get(q) ?? []) {
      if (onPath.has(n)) continue;
      path.push(n);
      onPath.add(n);
      walk(n, c + cost(q, n) + (readout.get(n) ?? 0));
      path.pop();
      onPath.delete(n);
    }
  };
  for (const start of adj.keys()) {
    path.push(start);
    onPath.add(start);
    walk(start, readout.get(start) ?? 0);
    path.pop();
    onPath.delete(start);
  }
  return best.length === length ? best : [];
}

/** An n-qubit GHZ state, measured: ideally half 0…0 and half 1…1. */
export function ghzCircuit(n: number): Circuit {
  const c = new Circuit(n, n, `canary_ghz_${n}`);
  c.h(0);
  for (let i = 1; i < n; i++) c.cx(i - 1, i);
  for (let i = 0; i < n; i++) c.measure(i, i);
  return c;
}

/**
 * A mirror circuit: `layers` random layers (single-qubit rotations and a CX ladder), then their inverse, so the
 * ideal outcome is all zeros with certainty.
 */
export function mirrorCircuit(n: number, layers: number, seed: number): Circuit {
  const rng = new Rng(seed);
  const c = new Circuit(n, n, `canary_mirror_${n}x${layers}`);
  const forward: Array<() => void> = [];
  const backward: Array<() => void> = [];
  for (let l = 0; l < layers; l++) {
    for (let q = 0; q < n; q++) {
      const a = (rng.next() * 2 - 1) * Math.PI;
      const b = (rng.next() * 2 - 1) * Math.PI;
      forward.push(() => c.rz(a, q).sx(q).rz(b, q));
      backward.push(() => c.rz(-b, q).sxdg(q).rz(-a, q));
    }
    const offset = l % 2;
    for (let q = offset; q + 1 < n; q += 2) {
      forward.push(() => c.cx(q, q + 1));
      backward.push(() => c.cx(q, q + 1));
    }
  }
  for (const f of forward) f();
  for (const b of backward.reverse()) b();
  for (let q = 0; q < n; q++) c.measure(q, q);
  return c;
}

/** What one canary run measured. */
export interface CanaryResult {
  readonly device: string;
  readonly circuit: string;
  readonly kind: 'ghz' | 'mirror';
  readonly shots: number;
  /** Hellinger fidelity of the counts against the exact ideal distribution. */
  readonly hellinger?: number;
  /** ESP of the transpiled circuit under the calibration in force (noisy local devices). */
  readonly esp?: number;
  /** Physical qubits the circuit ran on, when the device says. */
  readonly physicalQubits?: readonly number[];
  readonly calibratedAt?: string;
  readonly status: 'completed' | 'failed' | 'skipped';
  readonly reason?: string;
}

/** Prices canary jobs: a CostTracker does (the catalogue in force). */
export interface CanaryPricing {
  estimate(deviceId: string, usage: Usage): Priced;
  price(job: JobRecord): Priced;
}

export interface CanaryOptions {
  readonly observer: Observer;
  /** Devices to check (default none: the caller passes local devices, or RemoteDevices with `allowRemote`). */
  readonly devices: readonly Device[];
  /** Run on non-local devices too. Default false: remote canaries cost money. */
  readonly allowRemote?: boolean;
  /** With `allowRemote`: shots a remote device may spend on canaries per UTC day. Required then. */
  readonly remoteShotsPerDay?: number;
  /**
   * With `allowRemote`: US dollars all remote canaries of this runner may cost per UTC day, priced with the
   * catalogue before each job (a job that would cross it is not started). Required then; 0 allows only free devices.
   */
  readonly remoteMaxUsdPerDay?: number;
  /** Prices remote jobs (default a CostTracker on the configured catalogue). */
  readonly pricing?: CanaryPricing;
  /**
   * Billable seconds one canary job is assumed to take on a device billed by time (IBM), until a canary job on
   * that device has reported its own. Without it such a device is not run: its cost cannot be known beforehand.
   */
  readonly remoteSecondsPerJob?: number;
  /** Clock (tests): the UTC day the caps count against. */
  readonly now?: () => Date;
  readonly shots?: number;
  readonly ghzQubits?: number;
  readonly mirrorQubits?: number;
  readonly mirrorLayers?: number;
  readonly seed?: number;
  /** Between rounds (default 1 hour). */
  readonly intervalMs?: number;
}

function idealGhz(n: number): Record<string, number> {
  return { ['0'.repeat(n)]: 0.5, ['1'.repeat(n)]: 0.5 };
}

/**
 * Runs canary circuits on devices, each round GHZ on the best chain and a mirror circuit; records
 * `quantum_circuit_fidelity{circuit_type="canary"}` (Hellinger) and the ESP next to it.
 */
export class CanaryRunner {
  private readonly shots: number;
  /** Shots spent per remote device on the current UTC day. */
  private readonly spent = new Map<string, { day: string; shots: number }>();
  /** Dollars spent (estimated until the job is priced) by all remote canaries on the current UTC day. */
  private usd = { day: '', amount: 0 };
  /** Billable seconds of the last canary job per device billed by time. */
  private readonly secondsPerJob = new Map<string, number>();
  private pricing: CanaryPricing | undefined;
  private timer: NodeJS.Timeout | undefined;
  private round = 0;

  constructor(private readonly options: CanaryOptions) {
    this.shots = options.shots ?? 1024;
    if (options.allowRemote && !(options.remoteShotsPerDay !== undefined && options.remoteShotsPerDay > 0))
      throw new QobsConfigError('remoteShotsPerDay', 'remote canaries need a positive daily shot cap');
    if (options.allowRemote && !(options.remoteMaxUsdPerDay !== undefined && options.remoteMaxUsdPerDay >= 0))
      throw new QobsConfigError(
        'remoteMaxUsdPerDay',
        'remote canaries need a daily cost cap in USD (0 or more)',
      );
    this.pricing = options.pricing;
  }

  /** Dollars remote canaries have cost today (UTC), estimates included for jobs still running. */
  spentUsdToday(): number {
    return this.usd.day === this.today() ? this.usd.amount : 0;
  }

  private today(): string {
    return (this.options.now?.() ?? new Date()).toISOString().slice(0, 10);
  }

  /** Runs one round on every device. */
  async runOnce(): Promise<CanaryResult[]> {
    const out: CanaryResult[] = [];
    this.round++;
    for (const dev of this.options.devices) out.push(...(await this.runDevice(dev)));
    return out;
  }

  /** Runs rounds every `intervalMs` until stop(). */
  start(): void {
    const every = this.options.intervalMs ?? 3_600_000;
    const tick = () => {
      this.runOnce()
        .catch((err) => this.options.observer.error(err, { context: 'canary' }))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, every).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Reserves a remote job's shots and estimated cost under the day's caps, or says why not. Local devices are
   * free and always allowed. The estimate is the catalogue's price of `shots` shots in one task (and, on a device
   * billed by time, the seconds its last canary job took, else `remoteSecondsPerJob`).
   */
  private reserve(
    dev: Device,
    shots: number,
  ): { ok: true; estimateUsd: number } | { ok: false; reason: string } {
    if (dev.provider === 'local') return { ok: true, estimateUsd: 0 };
    if (!this.options.allowRemote) return { ok: false, reason: 'remote canaries are off (allowRemote)' };
    const day = this.today();
    const s = this.spent.get(dev.id);
    const used = s?.day === day ? s.shots : 0;
    const cap = this.options.remoteShotsPerDay ?? 0;
    if (used + shots > cap)
      return {
        ok: false,
        reason: `daily shot cap: ${used} + ${shots} shots would exceed ${cap} on ${dev.id}`,
      };
    let estimate: Priced;
    try {
      this.pricing ??= new CostTracker();
      const seconds = this.secondsPerJob.get(dev.id) ?? this.options.remoteSecondsPerJob;
      estimate = this.pricing.estimate(dev.id, {
        shots,
        tasks: 1,
        ...(seconds !== undefined ? { durationSeconds: seconds } : {}),
      });
    } catch (err) {
      return {
        ok: false,
        reason: `cannot price a canary on ${dev.id} beforehand: ${(err as Error).message}`,
      };
    }
    if (this.usd.day !== day) this.usd = { day, amount: 0 };
    const maxUsd = this.options.remoteMaxUsdPerDay ?? 0;
    if (this.usd.amount + estimate.amountUsd > maxUsd)
      return {
        ok: false,
        reason: `daily cost cap: ${this.usd.amount.toFixed(4)} + ${estimate.amountUsd.toFixed(4)} USD would exceed ${maxUsd} USD (catalogue ${estimate.catalogueVersion})`,
      };
    this.spent.set(dev.id, { day, shots: used + shots });
    this.usd.amount += estimate.amountUsd;
    return { ok: true, estimateUsd: estimate.amountUsd };
  }

  /** Replaces a remote job's estimate with its price once it finished (provider-reported usage). */
  private settle(dev: Device, job: JobRecord, estimateUsd: number): Priced | undefined {
    if (dev.provider === 'local' || !this.pricing) return undefined;
    if (job.billableSeconds !== undefined) this.secondsPerJob.set(dev.id, job.billableSeconds);
    try {
      const actual = this.pricing.price(job);
      if (this.usd.day === this.today()) this.usd.amount += actual.amountUsd - estimateUsd;
      return actual;
    } catch {
      return undefined; // the estimate stays counted: the cap errs on the side of spending less
    }
  }

  private async runDevice(dev: Device): Promise<CanaryResult[]> {
    const cal = await dev.calibration().catch(() => undefined);
    const ghzN = Math.min(this.options.ghzQubits ?? 4, dev.numQubits);
    const mirN = Math.min(this.options.mirrorQubits ?? 3, dev.numQubits);
    const chain = cal ? bestChain(cal, ghzN) : [];
    const circuits: Array<{ kind: 'ghz' | 'mirror'; circuit: Circuit; ideal: Record<string, number> }> = [
      { kind: 'ghz', circuit: ghzCircuit(ghzN), ideal: idealGhz(ghzN) },
      {
        kind: 'mirror',
        circuit: mirrorCircuit(mirN, this.options.mirrorLayers ?? 2, (this.options.seed ?? 1) + this.round),
        ideal: { ['0'.repeat(mirN)]: 1 },
      },
    ];
    const out: CanaryResult[] = [];
    for (const { kind, circuit, ideal } of circuits) {
      const base = { device: dev.id, circuit: circuit.name ?? kind, kind, shots: this.shots } as const;
      const budget = this.reserve(dev, this.shots);
      if (!budget.ok) {
        // A refusal is logged where remote canaries were asked for; with them off, skipping is the default.
        if (this.options.allowRemote)
          this.options.observer.hardwareEvent(dev.provider, dev.name, 'canary_refused', {
            circuit: base.circuit,
            shots: this.shots,
            reason: budget.reason,
          });
        out.push({ ...base, status: 'skipped', reason: budget.reason });
        continue;
      }
      out.push(await this.runCircuit(dev, circuit, ideal, base, cal, chain, budget.estimateUsd));
    }
    return out;
  }

  private async runCircuit(
    dev: Device,
    circuit: Circuit,
    ideal: Record<string, number>,
    base: { device: string; circuit: string; kind: 'ghz' | 'mirror'; shots: number },
    cal: Calibration | undefined,
    chain: number[],
    estimateUsd = 0,
  ): Promise<CanaryResult> {
    const observer = this.options.observer;
    const seed = (this.options.seed ?? 1) * 7919 + this.round;
    let esp: number | undefined;
    let physicalQubits: readonly number[] | undefined;
    if (dev instanceof LocalDevice) {
      const prepared = dev.prepare(circuit, { shots: this.shots, seed });
      esp = prepared.esp;
      physicalQubits = prepared.physicalQubits;
    } else if (cal) {
      // A remote device: the ESP of the circuit as it would be laid out on the calibration in force.
      try {
        esp = espOnCalibration(circuit, cal, seed);
      } catch {
        esp = undefined;
      }
    }
    const started = Date.now();
    try {
      const job = await (await dev.submit(circuit, { shots: this.shots, seed })).wait();
      const priced = this.settle(dev, job, estimateUsd);
      const cost = priced
        ? {
            cost: {
              amount: priced.amountUsd,
              currency: priced.currency,
              costType: priced.costType,
              catalogueVersion: priced.catalogueVersion,
            },
          }
        : {};
      if (job.status !== 'completed' || !job.counts) {
        observer.recordExecution({
          provider: dev.provider,
          device: dev.name,
          circuitName: base.circuit,
          circuitType: 'canary',
          circuit,
          shots: this.shots,
          status: job.status === 'cancelled' ? 'cancelled' : 'error',
          jobId: job.id,
          error: job.error,
          ...cost,
        });
        return { ...base, status: 'failed', reason: job.error?.message ?? job.status };
      }
      const hellinger = hellingerFidelity(job.counts, ideal);
      observer.recordExecution({
        provider: dev.provider,
        device: dev.name,
        circuitName: base.circuit,
        circuitType: 'canary',
        circuit,
        shots: this.shots,
        status: 'success',
        executionSeconds:
          job.startedAt && job.finishedAt
            ? (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000
            : null,
        queueSeconds: job.startedAt ? (job.startedAt.getTime() - job.createdAt.getTime()) / 1000 : null,
        jobId: job.id,
        ...((job.calibratedAt ?? cal?.calibratedAt)
          ? { calibratedAt: job.calibratedAt ?? cal?.calibratedAt }
          : {}),
        fidelity: { value: hellinger, method: 'hellinger' },
        ...(esp !== undefined ? { estimatedSuccessProbability: esp } : {}),
        ...cost,
      });
      observer.hardwareEvent(dev.provider, dev.name, 'canary_result', {
        circuit: base.circuit,
        hellinger_fidelity: hellinger,
        esp: esp ?? null,
        // Well below the ESP means the device is worse than its calibration says.
        hellinger_minus_esp: esp !== undefined ? hellinger - esp : null,
        best_chain: chain,
        physical_qubits: physicalQubits ?? null,
        duration_ms: Date.now() - started,
      });
      return {
        ...base,
        status: 'completed',
        hellinger,
        ...(esp !== undefined ? { esp } : {}),
        ...(physicalQubits ? { physicalQubits } : {}),
        ...(cal ? { calibratedAt: cal.calibratedAt } : {}),
      };
    } catch (err) {
      observer.error(err, {
        provider: dev.provider,
        device: dev.name,
        context: 'canary',
        circuit: base.circuit,
      });
      return { ...base, status: 'failed', reason: err instanceof Error ? err.message : String(err) };
    }
  }
}
