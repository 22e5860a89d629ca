import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlertStore } from '../../store/index.js';
import { findProgram } from '../../testing/system.js';
import { run } from '../program.js';

const dir = mkdtempSync(path.join(tmpdir(), 'qobs-alerts-cli-'));
const data = path.join(dir, 'data');
let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  process.exitCode = undefined;
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qobs = (...args: string[]) => run(['node', 'qobs', ...args]);

describe('qobs alerts', () => {
  it('lists alerts, silences them and expires the silence', async () => {
    mkdirSync(data, { recursive: true });
    const db = new Database(path.join(data, 'qobs.db'));
    const store = new AlertStore(db);
    const labels = {
      alertname: 'QuantumDeviceOffline',
      provider: 'ibm',
      device: 'ibm_torino',
      severity: 'critical',
    };
    store.saveRuleAlerts(
      new Map([
        [
          'g/0/QuantumDeviceOffline',
          [
            {
              ruleKey: 'g/0/QuantumDeviceOffline',
              fingerprint: 'f1',
              labels,
              annotations: { summary: 'Device ibm.ibm_torino is offline' },
              state: 'firing' as const,
              value: 0,
              activeAtMs: Date.now() - 600_000,
              firedAtMs: Date.now() - 300_000,
            },
          ],
        ],
      ]),
    );
    db.close();

    expect(await qobs('alerts', 'list', '--data', data)).toBe(0);
    expect(out).toContain(
      'firing   QuantumDeviceOffline {provider="ibm", device="ibm_torino", severity="critical"}',
    );
    expect(out).toContain('Device ibm.ibm_torino is offline');

    out = '';
    expect(
      await qobs(
        'alerts',
        'silence',
        'alertname=QuantumDeviceOffline',
        'device=~"ibm_.*"',
        '--duration',
        '2h',
        '--comment',
        'maintenance',
        '--data',
        data,
        '--json',
      ),
    ).toBe(0);
    const silence = JSON.parse(out) as { id: string; status: string; endsAt: string; startsAt: string };
    expect(silence.status).toBe('active');
    expect(Date.parse(silence.endsAt) - Date.parse(silence.startsAt)).toBe(7_200_000);

    out = '';
    expect(await qobs('alerts', 'list', '--data', data, '--json')).toBe(0);
    const listed = JSON.parse(out) as { alerts: { silencedBy: string[] }[]; silences: { id: string }[] };
    expect(listed.alerts[0].silencedBy).toEqual([silence.id]);
    expect(listed.silences.map((s) => s.id)).toEqual([silence.id]);

    out = '';
    expect(await qobs('alerts', 'expire', silence.id, '--data', data)).toBe(0);
    expect(out).toBe(`expired ${silence.id}\n`);
    out = '';
    await qobs('alerts', 'list', '--data', data, '--json');
    expect((JSON.parse(out) as { alerts: { silencedBy: string[] }[] }).alerts[0].silencedBy).toEqual([]);

    expect(await qobs('alerts', 'expire', 'nope', '--data', data)).toBe(2);
    expect(err).toContain('no silence with id nope');
    expect(await qobs('alerts', 'silence', 'device=~".*"', '--data', data)).toBe(2);
    expect(err).toContain('must not match the empty string');
    expect(await qobs('alerts', 'list', '--data', path.join(dir, 'missing'))).toBe(2);
  });

  it('checks rule files and routing configurations, naming every issue', async () => {
    const bad = path.join(dir, 'bad.rules.yml');
    writeFileSync(
      bad,
      'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m]\n        for: soon\n',
    );
    expect(await qobs('alerts', 'check', bad, '--json')).toBe(2);
    const r = JSON.parse(out) as { ok: boolean; files: { issues: { path: string }[] }[] };
    expect(r.ok).toBe(false);
    expect(r.files[0].issues.map((i) => i.path)).toEqual([
      'groups[0].rules[0].expr',
      'groups[0].rules[0].for',
    ]);

    const cfg = path.join(dir, 'am.yml');
    writeFileSync(
      cfg,
      'route: { receiver: x }\nreceivers: [{ name: x, slack_configs: [{ api_url: "nope" }] }]\n',
    );
    out = '';
    expect(await qobs('alerts', 'check-config', cfg)).toBe(2);
    expect(out).toContain("receivers[0].slack_configs[0].api_url: not a valid URL: 'nope'");
  });
});

describe('qobs export', () => {
  it('exports the default rule pack and an Alertmanager configuration that promtool and amtool accept', async () => {
    const outDir = path.join(dir, 'export');
    expect(await qobs('export', 'rules', '--out', outDir, '--json')).toBe(0);
    const files = (JSON.parse(out) as { files: { file: string; rules: number }[] }).files;
    expect(files).toEqual([{ file: path.join(outDir, 'quantum.rules.yml'), groups: 2, rules: 16 }]);

    const cfg = path.join(dir, 'routing.yml');
    writeFileSync(
      cfg,
      `route:
  receiver: team
  group_by: [alertname, device]
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
inhibit_rules:
  - source_matchers: ['alertname="QuantumDeviceOffline"']
    target_matchers: ['alertname="QuantumQueueTooLong"']
    equal: [provider, device]
receivers:
  - name: team
    slack_configs: [{ api_url: 'https://hooks.slack.com/services/T0/B0/X', channel: '#quantum' }]
    email_configs: [{ to: 'oncall@example.org', from: 'qobs@example.org', smarthost: 'smtp.example.org:587' }]
  - name: pager
    pagerduty_configs: [{ routing_key: 'R0123456789abcdef0123456789abcde' }]
    webhook_configs: [{ url: 'http://127.0.0.1:9000/hook' }]
`,
    );
    const amFile = path.join(dir, 'export', 'alertmanager.yml');
    out = '';
    expect(await qobs('export', 'alertmanager', '--config', cfg, '--out', amFile)).toBe(0);
    const text = readFileSync(amFile, 'utf8');
    expect(text).toContain('slack_configs');
    expect(text).toContain('pagerduty_configs');

    if (findProgram('promtool')) {
      const r = spawnSync('promtool', ['check', 'rules', files[0].file], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    }
    if (findProgram('amtool')) {
      const r = spawnSync('amtool', ['check-config', amFile], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('2 receivers');
    }

    writeFileSync(cfg, 'route: { receiver: nobody }\nreceivers: [{ name: x }]\n');
    expect(await qobs('export', 'alertmanager', '--config', cfg)).toBe(2);
    expect(err).toContain('route.receiver: undefined receiver "nobody" used in route');
  });
});
