// The device router: picks a device by policy from live monitor data and fails over when the chosen one goes offline.
import { SpanKind } from '@opentelemetry/api';
import type { Circuit } from '../circuit/index.js';
import type { Device, DeviceStatus } from '../devices/index.js';
import { QobsConfigError } from '../errors.js';
import type { Observer } from '../telemetry/index.js';
import type { PriceBook } from './catalogue.js';
import { espOnCalibration } from './optimizer.js';

/** What the monitor last saw of one device. */
export interface DeviceSnapshot {
  readonly device: string;
  readonly status: DeviceStatus;
  readonly queueLength?: number;
  /** ESP of the routed circuit on the live calibration (1 for an ideal simulator). */
  readonly esp?: number;
  /** Price of one task of the routed shots. */
  readonly priceUsd?: number;
  readonly observedAtMs: number;
  /** Why the snapshot lacks a figure (price unconfirmed, calibration unreadable, ...). */
  readonly problems: readonly string[];
}

/** How to choose. Filters first (online, queue, ESP, price known), then the order. */
export interface RoutePolicy {
  /** `price` (default): cheapest, then shortest queue, then best ESP. `queue`: shortest queue first. `esp`: best ESP first. */
  readonly prefer?: 'price' | 'queue' | 'esp';
  readonly maxQueueLength?: number;
  readonly minEsp?: number;
  /** Devices without a confirmed price are skipped unless this is true. */
  readonly allowUnpriced?: boolean;
}

/** One routing decision, with the reasons for it and for every device passed over. */
export interface RouteDecision {
  /** The chosen device id; undefined when none qualifies. */
  readonly device?: string;
  readonly previous?: string;
  readonly failover: boolean;
  readonly trigger: 'initial' | 'monitor' | 'failover' | 'manual';
  readonly reasons: readonly string[];
  readonly candidates: readonly DeviceSnapshot[];
  readonly atMs: number;
}

/** Options of a device router. */
export interface DeviceRouterOptions {
  readonly devices: readonly Device[];
  readonly prices: PriceBook;
  readonly policy?: RoutePolicy;
  /** The circuit and shots routed (for ESP and price); without a circuit ESP is not computed. */
  readonly circuit?: Circuit;
  readonly shots?: number;
  /** How often the monitor polls every device (default 30 s). */
  readonly monitorIntervalMs?: number;
  /** Logs each decision as a `quantum_hardware_event` and traces it as a `quantum_route {prefer}` span. */
  readonly observer?: Observer;
  readonly onDecision?: (d: RouteDecision) => void;
  readonly clock?: () => number;
}

const fmt = (x: number | undefined, digits = 4) => (x === undefined ? '?' : x.toFixed(digits));

/**
 * Routes work to a device.
 * @example
 *   const router = new DeviceRouter({ devices, prices: new PriceBook(defaultCatalogue()), circuit, shots: 1000 });
 *   router.start();
 *   const device = router.device(); // follows failovers
 */
export class DeviceRouter {
  private readonly o: DeviceRouterOptions;
  private readonly policy: RoutePolicy;
  private readonly intervalMs: number;
  private readonly clock: () => number;
  private snapshots: DeviceSnapshot[] = [];
  private last: RouteDecision | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** ESP per device id, keyed by calibratedAt (a calibration does not change between polls). */
  private readonly espCache = new Map<string, { at: string; esp: number }>();
  /** Decisions kept in memory for inspection (at most 100; older ones dropped). */
  readonly history: RouteDecision[] = [];

  constructor(options: DeviceRouterOptions) {
    if (options.devices.length === 0)
      throw new QobsConfigError('devices', 'the router needs at least one device');
    this.o = options;
    this.policy = options.policy ?? {};
    this.intervalMs = options.monitorIntervalMs ?? 30_000;
    if (!(this.intervalMs > 0)) throw new QobsConfigError('monitorIntervalMs', 'must be positive');
    this.clock = options.clock ?? Date.now;
  }

  /** The current decision. */
  decision(): RouteDecision | undefined {
    return this.last;
  }

  /** The chosen device, or undefined. */
  device(): Device | undefined {
    const id = this.last?.device;
    return id === undefined ? undefined : this.o.devices.find((d) => d.id === id);
  }

  private async snapshot(d: Device): Promise<DeviceSnapshot> {
    const problems: string[] = [];
    const status = await d.status().catch((e: Error) => {
      problems.push(`status: ${e.message}`);
      return 'unknown' as const;
    });
    const queueLength = await d.queueLength().catch((e: Error) => {
      problems.push(`queue: ${e.message}`);
      return undefined;
    });
    let esp: number | undefined;
    if (this.o.circuit) {
      try {
        const cal = await d.calibration();
        if (!cal) esp = 1;
        else {
          const hit = this.espCache.get(d.id);
          if (hit && hit.at === cal.calibratedAt) esp = hit.esp;
          else {
            esp = espOnCalibration(this.o.circuit, cal);
            this.espCache.set(d.id, { at: cal.calibratedAt, esp });
          }
        }
      } catch (e) {
        problems.push(`esp: ${(e as Error).message}`);
      }
    }
    let priceUsd: number | undefined;
    try {
      priceUsd = this.o.prices.price(d.id, { shots: this.o.shots ?? 1000 }).amountUsd;
    } catch (e) {
      problems.push(`price: ${(e as Error).message}`);
    }
    return { device: d.id, status, queueLength, esp, priceUsd, observedAtMs: this.clock(), problems };
  }

  /** Polls every device once (status, queue, calibration) and keeps the snapshots. */
  async refresh(): Promise<readonly DeviceSnapshot[]> {
    this.snapshots = await Promise.all(this.o.devices.map((d) => this.snapshot(d)));
    return this.snapshots;
  }

  private choose(trigger: RouteDecision['trigger']): RouteDecision {
    const p = this.policy;
    const reasons: string[] = [];
    const eligible: DeviceSnapshot[] = [];
    for (const s of this.snapshots) {
      const why =
        s.status !== 'online'
          ? `status ${s.status}`
          : p.maxQueueLength !== undefined && (s.queueLength ?? Number.POSITIVE_INFINITY) > p.maxQueueLength
            ? `queue ${s.queueLength ?? '?'} > ${p.maxQueueLength}`
            : p.minEsp !== undefined && (s.esp ?? -1) < p.minEsp
              ? `ESP ${fmt(s.esp)} < ${p.minEsp}`
              : s.priceUsd === undefined && !p.allowUnpriced
                ? 'no confirmed price'
                : undefined;
      if (why) reasons.push(`${s.device} skipped: ${why}`);
      else eligible.push(s);
    }
    const prefer = p.prefer ?? 'price';
    const price = (s: DeviceSnapshot) => s.priceUsd ?? Number.POSITIVE_INFINITY;
    const queue = (s: DeviceSnapshot) => s.queueLength ?? Number.POSITIVE_INFINITY;
    const esp = (s: DeviceSnapshot) => s.esp ?? 0;
    type Cmp = (a: DeviceSnapshot, b: DeviceSnapshot) => number;
    const order: Cmp[] = (
      {
        price: [(a, b) => price(a) - price(b), (a, b) => queue(a) - queue(b), (a, b) => esp(b) - esp(a)],
        queue: [(a, b) => queue(a) - queue(b), (a, b) => price(a) - price(b), (a, b) => esp(b) - esp(a)],
        esp: [(a, b) => esp(b) - esp(a), (a, b) => price(a) - price(b), (a, b) => queue(a) - queue(b)],
      } satisfies Record<string, Cmp[]>
    )[prefer];
    eligible.sort((a, b) => {
      for (const f of order) {
        const c = f(a, b);
        if (c !== 0 && !Number.isNaN(c)) return c;
      }
      return a.device.localeCompare(b.device);
    });
    const chosen = eligible[0];
    const previous = this.last?.device;
    if (chosen)
      reasons.unshift(
        `${chosen.device} chosen by ${prefer}: online, queue ${chosen.queueLength ?? '?'}, ESP ${fmt(chosen.esp)}, ${fmt(chosen.priceUsd, 6)} USD per task` +
          (eligible.length > 1
            ? `; next ${eligible[1].device} (${fmt(eligible[1].priceUsd, 6)} USD, queue ${eligible[1].queueLength ?? '?'}, ESP ${fmt(eligible[1].esp)})`
            : ''),
      );
    else reasons.unshift('no device qualifies');
    const failover = previous !== undefined && previous !== chosen?.device && trigger !== 'manual';
    return {
      device: chosen?.device,
      previous,
      failover,
      trigger: failover ? 'failover' : trigger,
      reasons,
      candidates: this.snapshots,
      atMs: this.clock(),
    };
  }

  /** Polls and decides now; logs and traces the decision. */
  async route(trigger: RouteDecision['trigger'] = 'manual'): Promise<RouteDecision> {
    await this.refresh();
    return this.commit(this.choose(trigger));
  }

  private commit(d: RouteDecision): RouteDecision {
    this.last = d;
    this.history.push(d);
    if (this.history.length > 100) this.history.shift();
    this.explain(d);
    try {
      this.o.onDecision?.(d);
    } catch {
      // a listener's failure is not the router's
    }
    return d;
  }

  /** One log line and one span per decision, both carrying the reasons. Never throws. */
  private explain(d: RouteDecision): void {
    const obs = this.o.observer;
    if (!obs) return;
    try {
      const [provider, ...rest] = (d.device ?? d.previous ?? 'none.none').split('.');
      const name = rest.join('.');
      const span = obs.createSpan(`quantum_route ${this.policy.prefer ?? 'price'}`, {
        kind: SpanKind.INTERNAL,
        attributes: {
          'quantum.provider': provider,
          'quantum.device': name,
          'qobs.route.trigger': d.trigger,
          'qobs.route.failover': d.failover,
          'qobs.route.previous': d.previous ?? '',
          'qobs.route.reasons': [...d.reasons],
        },
      });
      obs.logger?.event(
        'quantum_hardware_event',
        d.failover || !d.device ? 'warn' : 'info',
        d.failover
          ? `router failed over from ${d.previous} to ${d.device ?? 'nothing'}: ${d.reasons[0]}`
          : `router chose ${d.device ?? 'nothing'}: ${d.reasons[0]}`,
        {
          provider,
          device: name,
          hardware_event_type: d.failover ? 'route_failover' : 'route_decision',
          event_details: {
            chosen: d.device ?? null,
            previous: d.previous ?? null,
            trigger: d.trigger,
            reasons: d.reasons,
            candidates: d.candidates.map((c) => ({
              device: c.device,
              status: c.status,
              queue_length: c.queueLength ?? null,
              esp: c.esp ?? null,
              price_usd: c.priceUsd ?? null,
            })),
          },
        },
        span,
      );
      span.end();
    } catch {
      obs.drop('logs', 'internal_error');
    }
  }

  /** One monitor tick: poll; re-decide when the chosen device is no longer usable, or when a better one appears. */
  async tick(): Promise<RouteDecision | undefined> {
    if (this.polling) return undefined; // a slow poll is not stacked on itself
    this.polling = true;
    try {
      await this.refresh();
      const next = this.choose(this.last ? 'monitor' : 'initial');
      if (!this.last || next.device !== this.last.device) return this.commit(next);
      return undefined;
    } finally {
      this.polling = false;
    }
  }

  /** Decides once, then polls every `monitorIntervalMs` until `stop()`. */
  async start(): Promise<RouteDecision> {
    const first = await this.route('initial');
    this.timer ??= setInterval(() => {
      this.tick().catch(() => this.o.observer?.drop('logs', 'internal_error'));
    }, this.intervalMs);
    this.timer.unref?.();
    return first;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
