import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry, Gauge } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { isStaleAt, Store } from '../store/index.js';
import { Scraper } from './scrape.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function store(): Store {
  const dir = mkdtempSync(path.join(tmpdir(), 'qobs-scrape-'));
  const s = Store.open({ dataDir: dir });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => s.close());
  return s;
}

const latest = (s: Store, name: string) =>
  s
    .select([{ name: '__name__', op: '=', value: name }], 0, Date.now() + 1000)
    .map((x) => ({ labels: x.labels, v: x.values[x.values.length - 1] }));

describe('Scraper', () => {
  it('scrapes a target with job and instance, records up, and moves clashing labels to exported_*', async () => {
    let body =
      '# TYPE quantum_device_status gauge\nquantum_device_status{provider="ibm",device="ibm_torino",job="x"} 1\n';
    const server = http.createServer((_req, res) => res.end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const s = store();
    const scraper = new Scraper(s, [
      { job: 'devices', url: `http://127.0.0.1:${port}/metrics`, intervalMs: 60_000, timeoutMs: 15_000 },
    ]);
    await scraper.scrapeTarget({
      job: 'devices',
      url: `http://127.0.0.1:${port}/metrics`,
      intervalMs: 60_000,
      timeoutMs: 15_000,
    });
    expect(latest(s, 'quantum_device_status')).toEqual([
      {
        labels: {
          __name__: 'quantum_device_status',
          provider: 'ibm',
          device: 'ibm_torino',
          exported_job: 'x',
          job: 'devices',
          instance: `127.0.0.1:${port}`,
        },
        v: 1,
      },
    ]);
    expect(latest(s, 'up')[0].v).toBe(1);
    expect(latest(s, 'scrape_samples_scraped')[0].v).toBe(1);
    expect(s.metadata().quantum_device_status).toEqual([{ type: 'gauge', help: '', unit: '' }]);
    body = 'not { valid';
    await new Promise((r) => setTimeout(r, 5));
    await scraper.scrapeTarget({
      job: 'devices',
      url: `http://127.0.0.1:${port}/metrics`,
      intervalMs: 60_000,
      timeoutMs: 15_000,
    });
    expect(latest(s, 'up')[0].v).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    await scraper.scrapeTarget({
      job: 'gone',
      url: 'http://127.0.0.1:1/metrics',
      intervalMs: 60_000,
      timeoutMs: 500,
    });
    expect(scraper.stats.failures).toBe(2);
  });

  it('scrapes an in-process prom-client registry', async () => {
    const registry = new Registry();
    const g = new Gauge({
      name: 'quantum_device_queue_length',
      help: 'Jobs queued',
      labelNames: ['provider', 'device'],
      registers: [registry],
    });
    g.set({ provider: 'local', device: 'statevector' }, 3);
    const s = store();
    const scraper = new Scraper(s, [], [{ job: 'observer', registry, intervalMs: 60_000 }]);
    await scraper.scrapeRegistry('observer', registry);
    expect(latest(s, 'quantum_device_queue_length')).toEqual([
      {
        labels: {
          __name__: 'quantum_device_queue_length',
          provider: 'local',
          device: 'statevector',
          job: 'observer',
          instance: 'in-process',
        },
        v: 3,
      },
    ]);
    expect(s.metadata().quantum_device_queue_length[0]).toEqual({
      type: 'gauge',
      help: 'Jobs queued',
      unit: '',
    });
  });

  it('marks series stale when they leave a target, and all of them when the target fails', async () => {
    let body = 'a_metric{k="1"} 1\na_metric{k="2"} 2\nwith_time 5 1000\n';
    let status = 200;
    const server = http.createServer((_req, res) => {
      res.statusCode = status;
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const target = {
      job: 'j',
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
      intervalMs: 60_000,
      timeoutMs: 15_000,
    };
    const s = store();
    const scraper = new Scraper(s, [target]);
    const staleness = (k: string) => {
      const [x] = s.select(
        [
          { name: '__name__', op: '=', value: 'a_metric' },
          { name: 'k', op: '=', value: k },
        ],
        0,
        Date.now() + 1000,
      );
      return Array.from(x.values, (_, i) => isStaleAt(x.values, i));
    };
    await scraper.scrapeTarget(target);
    await new Promise((r) => setTimeout(r, 5));
    body = 'a_metric{k="1"} 3\n';
    await scraper.scrapeTarget(target);
    expect(staleness('1')).toEqual([false, false]);
    expect(staleness('2')).toEqual([false, true]);
    // A sample with its own timestamp is never marked (Prometheus leaves those alone).
    const [timed] = s.select([{ name: '__name__', op: '=', value: 'with_time' }], 0, Date.now() + 1000);
    expect(timed.values.length).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    status = 500;
    await scraper.scrapeTarget(target);
    expect(staleness('1')).toEqual([false, false, true]);
    expect(latest(s, 'up')[0].v).toBe(0);
  });
});
