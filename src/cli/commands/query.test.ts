import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../program.js';

const dir = mkdtempSync(path.join(tmpdir(), 'qobs-query-'));
const data = path.join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

describe('qobs import and qobs query', () => {
  it('imports OpenMetrics with timestamps and answers instant and range queries', async () => {
    const lines = ['# HELP jobs_total Jobs run.', '# TYPE jobs_total counter'];
    for (let i = 0; i <= 20; i++) {
      lines.push(`jobs_total{device="fake_toronto"} ${i * 6} ${1000 + i * 15}`);
      lines.push(`jobs_total{device="statevector"} ${i * 3} ${1000 + i * 15}.000`);
    }
    lines.push('# EOF');
    const file = path.join(dir, 'in.om');
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(await run(['node', 'qobs', 'import', file, '--data', data, '--json'])).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ samples: 42, accepted: 42, series: 2, format: 'openmetrics' });

    out = '';
    const code = await run([
      'node',
      'qobs',
      'query',
      'sum(rate(jobs_total[1m]))',
      '--time',
      '1300',
      '--data',
      data,
      '--json',
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const d = JSON.parse(out);
    expect(d.resultType).toBe('vector');
    expect(Number(d.result[0].value[1])).toBeCloseTo(9 / 15, 12);

    out = '';
    await run([
      'node',
      'qobs',
      'query',
      'jobs_total{device="statevector"}',
      '--start',
      '1000',
      '--end',
      '1300',
      '--step',
      '150',
      '--data',
      data,
      '--json',
    ]);
    expect(JSON.parse(out)).toEqual({
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'jobs_total', device: 'statevector' },
          values: [
            [1000, '0'],
            [1150, '30'],
            [1300, '60'],
          ],
        },
      ],
    });
  });

  it('prints Prometheus parse errors and refuses samples without timestamps', async () => {
    expect(await run(['node', 'qobs', 'query', 'sum(', '--data', data])).toBe(2);
    expect(err).toContain('bad_data: invalid parameter "query": 1:5: parse error: unexpected end of input');
    const file = path.join(dir, 'nots.prom');
    writeFileSync(file, 'up{job="a"} 1\n');
    err = '';
    expect(await run(['node', 'qobs', 'import', file, '--data', data])).toBe(2);
    expect(err).toContain('line 1: sample has no timestamp');
  });
});
