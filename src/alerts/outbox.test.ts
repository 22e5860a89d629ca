import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertStore } from '../store/index.js';
import { parseRouterConfig } from './config.js';
import { NotifyError, type Notifier } from './notifiers/index.js';
import { backoffMs, OutboxWorker } from './outbox.js';

const CONFIG = parseRouterConfig(
  "route: { receiver: r }\nreceivers: [{ name: r, webhook_configs: [{ url: 'http://127.0.0.1:1/' }] }]",
);

function setup(send: (payload: unknown) => Promise<void>, now: { t: number }, maxPending = 100) {
  const store = new AlertStore(new Database(':memory:'));
  const worker = new OutboxWorker(store, CONFIG, {
    now: () => now.t,
    baseDelayMs: 1000,
    maxDelayMs: 60_000,
    leaseMs: 30_000,
    random: () => 0.5,
  });
  const fake: Notifier = { kind: 'webhook', sendResolved: true, send: (n) => send(n) };
  (worker as unknown as { notifiers: Map<string, Notifier> }).notifiers.set('r/webhook[0]', fake);
  const queue = (i: number) =>
    store.recordNotification(
      `g${i}`,
      'r',
      { firing: [String(i)], resolved: [], sentAtMs: now.t },
      [{ dedupeKey: `k${i}`, integration: 'r/webhook[0]', payload: { i } }],
      now.t,
      maxPending,
    );
  return { store, worker, queue };
}

describe('outbox', () => {
  it('backs off exponentially with jitter, capped', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const d = backoffMs(attempt, 1000, 300_000, () => r);
          const full = Math.min(300_000, 1000 * 2 ** (attempt - 1));
          expect(d).toBeGreaterThanOrEqual(Math.floor(full / 2));
          expect(d).toBeLessThanOrEqual(full);
        },
      ),
    );
  });

  it('retries a retryable failure later, keeps order, and gives up a permanent one', async () => {
    const now = { t: 1_000_000 };
    const sent: unknown[] = [];
    let fail: 'retry' | 'permanent' | undefined = 'retry';
    const { store, worker, queue } = setup(async (p) => {
      if (fail === 'retry') throw new NotifyError('HTTP 503', { retryable: true, status: 503 });
      if (fail === 'permanent' && (p as { i: number }).i === 2)
        throw new NotifyError('HTTP 400', { retryable: false, status: 400 });
      sent.push(p);
    }, now);
    queue(1);
    queue(2);
    queue(3);
    expect(await worker.drain()).toBe(0);
    const row = store.outbox()[0];
    expect(row.state).toBe('pending');
    expect(row.nextAttemptAtMs).toBe(now.t + 750);
    // Not due yet, and row 2 waits behind row 1.
    expect(await worker.drain()).toBe(0);
    expect(store.outbox().map((r) => r.attempts)).toEqual([1, 0, 0]);
    now.t += 750;
    fail = 'permanent';
    expect(await worker.drain()).toBe(1);
    expect(await worker.drain()).toBe(0);
    expect(await worker.drain()).toBe(1);
    expect(sent).toEqual([{ i: 1 }, { i: 3 }]);
    expect(store.outbox().map((r) => r.state)).toEqual(['sent', 'dead', 'sent']);
    expect(worker.stats).toEqual({ sent: 2, failedAttempts: 2, dead: 1 });
  });

  it('reclaims a row whose sender died once its lease ends, and never resends a sent one', async () => {
    const now = { t: 0 };
    const sent: unknown[] = [];
    const { store, worker, queue } = setup(async (p) => {
      sent.push(p);
    }, now);
    queue(1);
    // A worker claimed it and died before sending.
    store.claimDue(now.t, 30_000, 10);
    expect(await worker.drain()).toBe(0);
    now.t += 30_000;
    expect(await worker.drain()).toBe(1);
    now.t += 1_000_000;
    expect(await worker.drain()).toBe(0);
    expect(sent).toEqual([{ i: 1 }]);
    // The same notification queued again (same dedupe key) is not added.
    expect(queue(1).queued).toBe(0);
  });

  it('holds a bounded number of undelivered rows, dropping the oldest and counting it', () => {
    const now = { t: 0 };
    const { store, queue } = setup(async () => undefined, now, 3);
    const dropped = [1, 2, 3, 4, 5].map((i) => queue(i).dropped);
    expect(dropped).toEqual([0, 0, 0, 1, 1]);
    expect(store.pendingCount()).toBe(3);
    expect(store.outbox().map((r) => r.state)).toEqual(['dead', 'dead', 'pending', 'pending', 'pending']);
  });
});
