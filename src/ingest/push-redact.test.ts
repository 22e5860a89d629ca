// Secrets in a Pushgateway-style push: label values, grouping-key values and help texts are redacted before
// they become series, and the redaction is recorded as a security event.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../store/index.js';
import { handlePush } from './push.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function store(): Store {
  const dir = mkdtempSync(path.join(tmpdir(), 'qobs-push-redact-'));
  const s = Store.open({ dataDir: dir });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => s.close());
  return s;
}

const KEY = 'AKIAIOSFODNN7EXAMPLE';

describe('push redaction', () => {
  it('redacts label values, grouping values and help, keeps the series, and records the exposure', () => {
    const s = store();
    const body = [
      `# HELP batch_up connected with ${KEY}`,
      '# TYPE batch_up gauge',
      'batch_up{dsn="postgres://app:hunter2pass@db.example.com/q",region="eu"} 1',
      '',
    ].join('\n');
    const r = handlePush(s, 'PUT', `job/nightly/key/${KEY}`, body);
    expect(r.status).toBe(200);
    expect(r.secretsRedacted).toBe(3);
    const series = s.select([{ name: '__name__', op: '=', value: 'batch_up' }], 0, Date.now() + 1000);
    expect(series.map((x) => x.labels)).toEqual([
      {
        __name__: 'batch_up',
        dsn: 'postgres://app:[REDACTED]@db.example.com/q',
        region: 'eu',
        job: 'nightly',
        key: '[REDACTED]',
      },
    ]);
    const all = JSON.stringify([s.metadata(), series]);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain('hunter2pass');
    const events = s.searchLogs({ eventType: 'quantum_security_event' });
    expect(JSON.stringify(events)).toContain('credential_exposure_detected');
    // The group is known by its redacted key: a second push replaces the same group.
    expect(handlePush(s, 'PUT', `job/nightly/key/${KEY}`, 'batch_up{region="eu"} 2\n').status).toBe(200);
    const after = s.select([{ name: '__name__', op: '=', value: 'batch_up' }], 0, Date.now() + 1000);
    const old = after.find((x) => x.labels.dsn !== undefined);
    // Its last value is the staleness marker the replaced group's series get.
    expect(Number.isNaN(old?.values[old.values.length - 1])).toBe(true);
  });

  it('finds nothing in a clean push', () => {
    const s = store();
    const r = handlePush(s, 'PUT', 'job/nightly', 'batch_up{region="eu"} 1\n');
    expect(r.secretsRedacted).toBe(0);
    expect(s.searchLogs({ eventType: 'quantum_security_event' })).toEqual([]);
  });
});
