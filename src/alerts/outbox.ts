// Delivers queued notifications from the durable outbox: claims rows in a transaction, sends, marks them sent;
// failures are retried with exponential backoff and jitter until they succeed or age out.
import type { AlertStore, OutboxRow } from '../store/index.js';
import type { RouterConfig } from './config.js';
import type { Notification } from './notification.js';
import { NotifyError, type Notifier } from './notifiers/index.js';

export interface OutboxOptions {
  /** How long a claimed row is ours; after a crash it becomes due again when the lease ends. */
  readonly leaseMs?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A notification still undelivered this long after it was queued is given up (dead) and counted. */
  readonly maxAgeMs?: number;
  /** Rows claimed per drain. */
  readonly batch?: number;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** What the worker did, for /metrics and the tests. */
export interface OutboxStats {
  sent: number;
  failedAttempts: number;
  dead: number;
}

/**
 * Wall-clock milliseconds that never step: the wall time at the first call plus the monotonic time since.
 * Retry times are only compared with this clock, so a wall clock stepped back (NTP, a VM resumed) does not hold
 * a due notification back by the size of the step.
 */
export function steadyClock(): () => number {
  const base = Date.now() - performance.now();
  return () => base + performance.now();
}

/** Exponential backoff with jitter: half fixed, half random, capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Sends what the router queued. Call `drain()` on a timer, or `start()`. */
export class OutboxWorker {
  private readonly notifiers = new Map<string, Notifier>();
  private readonly o: Required<OutboxOptions>;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<number> | undefined;
  readonly stats: OutboxStats = { sent: 0, failedAttempts: 0, dead: 0 };

  constructor(
    private readonly store: AlertStore,
    config: RouterConfig,
    opts: OutboxOptions = {},
  ) {
    this.o = {
      leaseMs: opts.leaseMs ?? 60_000,
      baseDelayMs: opts.baseDelayMs ?? 1000,
      maxDelayMs: opts.maxDelayMs ?? 5 * 60_000,
      maxAgeMs: opts.maxAgeMs ?? 24 * 3_600_000,
      batch: opts.batch ?? 50,
      random: opts.random ?? Math.random,
      now: opts.now ?? steadyClock(),
    };
    this.setConfig(config);
  }

  /** Rebuilds the notifiers from a (re)loaded configuration. */
  setConfig(config: RouterConfig): void {
    for (const n of this.notifiers.values()) n.close?.();
    this.notifiers.clear();
    for (const r of config.receivers.values())
      for (const i of r.integrations) this.notifiers.set(i.id, i.factory.create(i.config, config.globals));
  }

  /** Sends every due row once; returns how many were delivered. Concurrent calls share one drain. */
  drain(): Promise<number> {
    if (!this.draining)
      this.draining = this.drainOnce(this.o.now()).finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async drainOnce(nowMs: number): Promise<number> {
    const rows = this.store.claimDue(nowMs, this.o.leaseMs, this.o.batch);
    // Rows of different integrations go out in parallel; the store hands out one row per integration at a time.
    const results = await Promise.all(rows.map((r) => this.deliver(r)));
    return results.filter(Boolean).length;
  }

  private async deliver(row: OutboxRow): Promise<boolean> {
    const n = this.notifiers.get(row.integration);
    const now = this.o.now;
    if (!n) {
      this.store.markDead(row.id, `integration ${row.integration} is no longer configured`);
      this.stats.dead++;
      return false;
    }
    try {
      await n.send(row.payload as Notification);
      this.store.markSent(row.id, now());
      this.stats.sent++;
      return true;
    } catch (e) {
      this.stats.failedAttempts++;
      const err =
        e instanceof NotifyError
          ? e
          : new NotifyError(String((e as Error)?.message ?? e), { retryable: true, cause: e });
      if (!err.retryable || now() - row.createdAtMs > this.o.maxAgeMs) {
        this.store.markDead(row.id, err.message);
        this.stats.dead++;
        return false;
      }
      const delay = Math.max(
        backoffMs(row.attempts, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random),
        err.retryAfterMs ?? 0,
      );
      this.store.markRetry(row.id, now() + delay, err.message);
      return false;
    }
  }

  /** Drains every `intervalMs` until stopped. */
  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.drain().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.draining;
    for (const n of this.notifiers.values()) n.close?.();
  }
}
