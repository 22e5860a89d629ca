// The conformance suite every notifier runs (hono's common.case.test style): delivery of firing and resolved
// notifications in the provider's documented shape, clear configuration errors, and delivery through the
// durable outbox while the receiver is down, slow or failing, with nothing lost and nothing sent twice.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AlertStore } from '../../store/index.js';
import { parseRouterConfig, RouterConfigError } from '../config.js';
import { OutboxWorker } from '../outbox.js';
import { Router } from '../router.js';

/** A fault a fake receiver can simulate. */
export type Fault =
  | { kind: 'none' }
  | { kind: 'down' }
  | { kind: 'error'; times: number }
  | { kind: 'slow'; delayMs: number };

/** One delivery as the fake provider received it. */
export interface Delivery {
  /** Distinguishes notifications: two deliveries with the same identity are duplicates. */
  readonly identity: string;
  readonly status: 'firing' | 'resolved';
  /** Alert names and devices mentioned, to check the content reached the provider. */
  readonly text: string;
  readonly raw: unknown;
}

/** A local server answering as the provider does, with fault injection. */
export interface FakeReceiver {
  /** The notifier's configuration block pointing at this server (goes under `configKey`). */
  readonly config: Record<string, unknown>;
  readonly deliveries: Delivery[];
  /** Requests refused as the provider would (bad shape); must stay empty. */
  readonly rejected: string[];
  setFault(f: Fault): Promise<void>;
  close(): Promise<void>;
}

export interface NotifierHarness {
  readonly kind: string;
  readonly configKey: string;
  /** Whether the integration is configured to send resolved notifications in `config`. */
  readonly sendsResolved: boolean;
  start(): Promise<FakeReceiver>;
  /** Configuration blocks that must fail at load, with the field the error must name. */
  readonly invalid: readonly { block: Record<string, unknown>; field: string }[];
  /** Extra checks of a firing delivery's documented shape. */
  checkFiring(d: Delivery): void;
  checkResolved?(d: Delivery, firing: Delivery): void;
}

/** An HTTP server that answers through `handle` and can be made down, failing or slow. */
export class FakeHttpServer {
  private server: Server | undefined;
  port = 0;
  private fault: Fault = { kind: 'none' };
  private errorsLeft = 0;
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(private readonly handle: (req: IncomingMessage, body: string, res: ServerResponse) => void) {}

  async listen(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (this.fault.kind === 'error' && this.errorsLeft > 0) {
          this.errorsLeft--;
          res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
          return;
        }
        if (this.fault.kind === 'slow') {
          const t = setTimeout(() => this.handle(req, body, res), this.fault.delayMs);
          res.on('close', () => clearTimeout(t));
          return;
        }
        this.handle(req, body, res);
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async setFault(f: Fault): Promise<void> {
    const wasDown = this.fault.kind === 'down';
    this.fault = f;
    if (f.kind === 'error') this.errorsLeft = f.times;
    if (f.kind === 'down' && !wasDown) await this.stop();
    if (f.kind !== 'down' && wasDown) await this.listen(this.port);
  }

  private async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  }

  close(): Promise<void> {
    return this.stop();
  }
}

function routerYaml(h: NotifierHarness, config: Record<string, unknown>): string {
  return stringify({
    route: {
      receiver: 'team',
      group_by: ['alertname', 'device'],
      group_wait: '0s',
      group_interval: '100ms',
      repeat_interval: '4h',
    },
    receivers: [{ name: 'team', [h.configKey]: [config] }],
  });
}

const NAMES = ['QuantumDeviceOffline', 'QuantumQueueTooLong', 'QuantumCalibrationStale'];

function alertFor(i: number) {
  return {
    labels: {
      alertname: NAMES[i % NAMES.length],
      severity: 'critical',
      provider: 'ibm',
      device: `ibm_dev${i}`,
    },
    annotations: {
      summary: `Device ibm.ibm_dev${i} problem ${i}`,
      description: `ibm.ibm_dev${i} has reported value ${i}.`,
      value: String(i),
      runbook_url: `https://runbooks.example/qobs/${NAMES[i % NAMES.length]}`,
    },
    generatorURL: 'http://127.0.0.1:8000/graph?g0.expr=up&g0.tab=1',
  };
}

/** Runs the shared suite for one notifier. */
export function runNotifierConformance(h: NotifierHarness): void {
  describe(`notifier conformance: ${h.kind}`, () => {
    let fake: FakeReceiver;
    beforeAll(async () => {
      fake = await h.start();
    });
    afterAll(async () => {
      await fake.close();
    });

    function setup(dbPath = ':memory:', opts: { baseDelayMs?: number } = {}) {
      const db = new Database(dbPath);
      const store = new AlertStore(db);
      const config = parseRouterConfig(routerYaml(h, fake.config), 'test', { httpTimeoutMs: 15_000 });
      const router = new Router(config, store, { externalURL: 'http://127.0.0.1:8000' });
      const worker = new OutboxWorker(store, config, {
        baseDelayMs: opts.baseDelayMs ?? 20,
        maxDelayMs: 200,
        leaseMs: 5000,
      });
      return { db, store, router, worker };
    }

    async function drainUntil(worker: OutboxWorker, store: AlertStore, deadlineMs = 15_000): Promise<void> {
      const end = Date.now() + deadlineMs;
      while (store.pendingCount() > 0 && Date.now() < end) {
        await worker.drain();
        await new Promise((r) => setTimeout(r, 10));
      }
    }

    it('delivers a firing notification in the shape the provider documents', async () => {
      fake.deliveries.length = 0;
      const { router, worker, store, db } = setup();
      const t = Date.now();
      router.putAlerts([alertFor(0)], t);
      expect(router.flushDue(t)).toBe(1);
      await drainUntil(worker, store);
      await worker.stop();
      db.close();
      expect(fake.rejected).toEqual([]);
      expect(fake.deliveries).toHaveLength(1);
      const d = fake.deliveries[0];
      expect(d.status).toBe('firing');
      expect(d.text).toContain('ibm_dev0');
      h.checkFiring(d);
    });

    it('delivers the resolution when the alert ends (if configured to)', async () => {
      fake.deliveries.length = 0;
      const { router, worker, store, db } = setup();
      const t = Date.now();
      const a = alertFor(1);
      router.putAlerts([a], t);
      router.flushDue(t);
      await drainUntil(worker, store);
      router.putAlerts([{ ...a, startsAtMs: t, endsAtMs: t + 50 }], t + 60);
      router.flushDue(t + 110);
      await drainUntil(worker, store);
      await worker.stop();
      db.close();
      expect(fake.rejected).toEqual([]);
      const statuses = fake.deliveries.map((d) => d.status);
      expect(statuses).toEqual(h.sendsResolved ? ['firing', 'resolved'] : ['firing']);
      if (h.sendsResolved) h.checkResolved?.(fake.deliveries[1], fake.deliveries[0]);
    });

    it('rejects an invalid configuration at load, naming the field', () => {
      for (const bad of h.invalid) {
        let err: unknown;
        try {
          parseRouterConfig(routerYaml(h, bad.block), 'test');
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(RouterConfigError);
        expect((err as RouterConfigError).issues.map((i) => i.path)).toContain(
          `receivers[0].${h.configKey}[0].${bad.field}`,
        );
      }
    });

    for (const fault of [
      { kind: 'down' } as Fault,
      { kind: 'error', times: 4 } as Fault,
      { kind: 'slow', delayMs: 300 } as Fault,
    ]) {
      it(`delivers every notification exactly once after the receiver is ${fault.kind === 'error' ? 'answering 500' : fault.kind}`, async () => {
        fake.deliveries.length = 0;
        const { router, worker, store, db } = setup();
        await fake.setFault(fault);
        const t = Date.now();
        // Three groups fire; one of them then resolves: 3 or 4 notifications, in order per integration.
        router.putAlerts([alertFor(3), alertFor(4), alertFor(5)], t);
        router.flushDue(t);
        router.putAlerts([{ ...alertFor(4), startsAtMs: t, endsAtMs: t + 1 }], t + 2);
        router.flushDue(t + 110);
        const expected = h.sendsResolved ? 4 : 3;
        // While down or failing, attempts fail and are rescheduled; nothing is lost.
        for (let i = 0; i < 5; i++) {
          await worker.drain();
          await new Promise((r) => setTimeout(r, 30));
        }
        if (fault.kind !== 'slow') {
          expect(store.pendingCount()).toBeGreaterThan(0);
          expect(worker.stats.failedAttempts).toBeGreaterThan(0);
        }
        await fake.setFault({ kind: 'none' });
        await drainUntil(worker, store);
        await worker.stop();
        expect(store.pendingCount()).toBe(0);
        expect(worker.stats.dead).toBe(0);
        db.close();
        expect(fake.rejected).toEqual([]);
        const ids = fake.deliveries.map((d) => d.identity);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toHaveLength(expected);
        // The resolution of alert 4 never overtakes its trigger.
        const dev4 = fake.deliveries.filter((d) => d.text.includes('ibm_dev4')).map((d) => d.status);
        expect(dev4).toEqual(h.sendsResolved ? ['firing', 'resolved'] : ['firing']);
      });
    }

    it('survives a restart: queued notifications go out once, sent ones never again', async () => {
      fake.deliveries.length = 0;
      const dir = await import('node:fs').then((fs) =>
        fs.mkdtempSync(`${(process.env.TMPDIR ?? '/tmp').replace(/\/$/, '')}/qobs-outbox-`),
      );
      const file = `${dir}/qobs.db`;
      const first = setup(file);
      const t = Date.now();
      first.router.putAlerts([alertFor(6), alertFor(7)], t);
      first.router.flushDue(t);
      // Crash before anything is sent: the process stops with the rows queued.
      await first.worker.stop();
      first.db.close();
      const second = setup(file);
      // The same alerts arrive again after the restart: the notification log prevents a second notification.
      second.router.putAlerts([alertFor(6), alertFor(7)], t + 10);
      expect(second.router.flushDue(t + 10)).toBe(0);
      await drainUntil(second.worker, second.store);
      await second.worker.stop();
      second.db.close();
      const third = setup(file);
      await third.worker.drain();
      await third.worker.stop();
      third.db.close();
      (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
      expect(fake.deliveries.map((d) => d.status)).toEqual(['firing', 'firing']);
      expect(new Set(fake.deliveries.map((d) => d.identity)).size).toBe(2);
    });
  });
}
