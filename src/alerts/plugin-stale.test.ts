// The alerting plugin ends the ALERTS series of a resolved alert with a stale marker, so an instant query stops
// returning it at once instead of for the five minutes of lookback.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createEngine } from '../promql/index.js';
import { isStaleAt } from '../store/index.js';
import { memoryAlertsHost } from './memory-host.case.js';
import { alertsPlugin } from './plugin.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('writes a stale marker for ALERTS when the alert resolves', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'qobs-alerts-stale-'));
  writeFileSync(
    path.join(dir, 'rules.yml'),
    `groups:
  - name: fast
    interval: 1s
    rules:
      - alert: Down
        expr: up == 0
`,
  );
  const { host, src, written, stop } = memoryAlertsHost(path.join(dir, 'qobs.db'));
  alertsPlugin({ ruleFiles: [path.join(dir, 'rules.yml')], tickMs: 100 }).setup(host);
  const up = (v: number) => src.append({ __name__: 'up', job: 'qpu' }, Date.now(), v);
  const alerts = () => written.filter((s) => s.labels.__name__ === 'ALERTS');
  const until = async (what: string, ok: () => boolean) => {
    const start = Date.now();
    while (!ok()) {
      if (Date.now() - start > 20_000) throw new Error(`no ${what} within 20 s`);
      up(what === 'firing ALERTS' ? 0 : 1);
      await sleep(100);
    }
  };
  try {
    await until('firing ALERTS', () => alerts().some((s) => s.labels.alertstate === 'firing' && s.v === 1));
    await until('stale marker', () => alerts().some((s) => Number.isNaN(s.v)));
    const marker = alerts().find((s) => Number.isNaN(s.v))!;
    expect(marker.labels).toMatchObject({ __name__: 'ALERTS', alertname: 'Down', alertstate: 'firing' });
    expect(isStaleAt(Float64Array.of(marker.v), 0)).toBe(true);
    const engine = createEngine(src, { mode: 'prometheus3' });
    // Just before the marker the alert is there; just after, it is gone (not five minutes later).
    expect(engine.instantQuery('ALERTS', marker.t - 1)).toMatchObject({ resultType: 'vector', result: [{}] });
    expect(engine.instantQuery('ALERTS', marker.t + 1)).toEqual({ resultType: 'vector', result: [] });
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
