// Real Alertmanager (Debian's prometheus-alertmanager) and qobs' router, given the same configuration and the
// same alert, post the same webhook payload; amtool accepts qobs' exported configuration.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlertStore } from '../store/index.js';
import { describeWithPrograms, listeningPort, stopProgram } from '../testing/system.js';
import { formatAlertmanagerConfig, parseRouterConfig } from './config.js';
import { OutboxWorker } from './outbox.js';
import { Router } from './router.js';

async function waitFor<T>(
  what: string,
  f: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The type of every leaf, so shapes can be compared where values legitimately differ. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

describeWithPrograms(
  'webhook payload against real Alertmanager',
  ['prometheus-alertmanager', 'amtool'],
  () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qobs-am-'));
    const posts: { source: 'am' | 'qobs'; body: Record<string, unknown> }[] = [];
    let hook: Server;
    let am: ChildProcess | undefined;
    let amPort = 0;
    let configYaml = '';
    const externalURL = 'http://127.0.0.1:9093';

    beforeAll(async () => {
      hook = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          posts.push({
            source: req.url === '/am' ? 'am' : 'qobs',
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          });
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
      const hookPort = (hook.address() as AddressInfo).port;
      const cfg = (url: string) => `
route:
  receiver: default
  group_by: [alertname, device]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 4h
  routes:
    - matchers: ['severity="critical"', 'provider=~"ibm|ionq"']
      receiver: oncall
receivers:
  - name: default
    webhook_configs:
      - url: ${url}
  - name: oncall
    webhook_configs:
      - url: ${url}
        send_resolved: true
`;
      configYaml = cfg(`http://127.0.0.1:${hookPort}/qobs`);
      writeFileSync(path.join(dir, 'am.yml'), cfg(`http://127.0.0.1:${hookPort}/am`));
      am = spawn(
        'prometheus-alertmanager',
        [
          `--config.file=${path.join(dir, 'am.yml')}`,
          `--storage.path=${path.join(dir, 'data')}`,
          // Port 0: Alertmanager chooses it and logs it. The external URL is only text in the payloads
          // (qobs' router is given the same), so it need not name that port.
          '--web.listen-address=127.0.0.1:0',
          `--web.external-url=${externalURL}`,
          '--cluster.listen-address=',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      amPort = await listeningPort(am);
      await waitFor('alertmanager ready', async () => {
        try {
          const r = await fetch(`http://127.0.0.1:${amPort}/-/ready`);
          return r.ok ? true : undefined;
        } catch {
          return undefined;
        }
      });
    });

    afterAll(async () => {
      await stopProgram(am);
      await new Promise<void>((r) => hook.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    });

    it('amtool check-config accepts the exported configuration', () => {
      const file = path.join(dir, 'export.yml');
      writeFileSync(file, formatAlertmanagerConfig(parseRouterConfig(configYaml)));
      const r = spawnSync('amtool', ['check-config', file], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).toContain('SUCCESS');
      expect(r.status).toBe(0);
    });

    it('posts the same firing and resolved payloads, field by field', async () => {
      const startsAt = new Date(Date.now() - 2000);
      startsAt.setMilliseconds(123);
      const alert = {
        labels: {
          alertname: 'QuantumDeviceOffline',
          severity: 'critical',
          provider: 'ibm',
          device: 'ibm_torino',
        },
        annotations: {
          summary: 'Device ibm.ibm_torino is offline',
          runbook_url: 'http://127.0.0.1:8000/docs/alerts.md#quantumdeviceoffline',
        },
        generatorURL: 'http://127.0.0.1:8000/graph?g0.expr=quantum_device_status+%3D%3D+0&g0.tab=1',
      };
      const send = (body: unknown) =>
        fetch(`http://127.0.0.1:${amPort}/api/v2/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await send([{ ...alert, startsAt: startsAt.toISOString() }])).status).toBe(200);
      const amFiring = await waitFor(
        'firing post from alertmanager',
        () => posts.find((p) => p.source === 'am')?.body,
      );

      const db = new Database(':memory:');
      const store = new AlertStore(db);
      const config = parseRouterConfig(configYaml);
      const router = new Router(config, store, { externalURL });
      const worker = new OutboxWorker(store, config);
      const t = Date.now();
      router.putAlerts([{ ...alert, startsAtMs: startsAt.getTime() }], t);
      // The alert started more than group_wait ago: the group flushes at once, as Alertmanager's does.
      expect(router.flushDue(t)).toBe(1);
      await worker.drain();
      const ours = await waitFor('firing post from qobs', () => posts.find((p) => p.source === 'qobs')?.body);

      const { receiver: _r, ...amRest } = amFiring;
      expect(amFiring.receiver).toBe('oncall');
      expect(ours.receiver).toBe('oncall');
      expect(shape(ours)).toEqual(shape(amFiring));
      expect(Object.keys(ours).sort()).toEqual(Object.keys(amFiring).sort());
      expect(ours).toEqual({ ...amRest, receiver: ours.receiver });
      expect((amFiring.alerts as unknown[]).length).toBe(1);

      // Resolve it: both send the resolution with the same end time.
      const endsAt = new Date(Date.now() - 500);
      endsAt.setMilliseconds(456);
      posts.length = 0;
      expect(
        (await send([{ ...alert, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString() }])).status,
      ).toBe(200);
      const amResolved = await waitFor(
        'resolved post from alertmanager',
        () => posts.find((p) => p.source === 'am' && p.body.status === 'resolved')?.body,
      );
      router.putAlerts(
        [{ ...alert, startsAtMs: startsAt.getTime(), endsAtMs: endsAt.getTime() }],
        Date.now(),
      );
      await waitFor('group_interval', () => (Date.now() >= t + 1000 ? true : undefined));
      expect(router.flushDue(Date.now())).toBe(1);
      await worker.drain();
      const oursResolved = await waitFor(
        'resolved post from qobs',
        () => posts.find((p) => p.source === 'qobs' && p.body.status === 'resolved')?.body,
      );
      expect(oursResolved).toEqual(amResolved);
      await worker.stop();
      db.close();
    });
  },
);
