import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register } from './export-stack.js';

let out = '';
afterEach(() => vi.restoreAllMocks());

async function qobs(...args: string[]): Promise<void> {
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const program = new Command('qobs').exitOverride();
  register(program);
  await program.parseAsync(['node', 'qobs', ...args]);
}

describe('qobs export grafana / stack', () => {
  it('grafana --out writes four dashboards and the provisioning files with the given URLs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qobs-grafana-'));
    try {
      await qobs(
        'export',
        'grafana',
        '--out',
        dir,
        '--prometheus-url',
        'http://prom.internal:9090',
        '--json',
      );
      const files = (JSON.parse(out) as { files: string[] }).files.map((f) => path.relative(dir, f));
      expect(files.filter((f) => f.startsWith('dashboards/'))).toHaveLength(4);
      const ds = readFileSync(path.join(dir, 'provisioning/datasources/qobs.yml'), 'utf8');
      expect(ds).toContain('url: http://prom.internal:9090');
      expect(
        JSON.parse(readFileSync(path.join(dir, 'dashboards/qobs-overview.json'), 'utf8')).panels,
      ).toHaveLength(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stack --out writes the whole folder; a bad scrape interval is refused', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qobs-stack-cli-'));
    try {
      await qobs('export', 'stack', '--out', dir, '--targets', '127.0.0.1:9464', '--scrape-interval', '5');
      expect(readFileSync(path.join(dir, 'prometheus.yml'), 'utf8')).toContain("targets: ['127.0.0.1:9464']");
      expect(existsSync(path.join(dir, 'rules/quantum.rules.yml'))).toBe(true);
      await expect(qobs('export', 'stack', '--out', dir, '--scrape-interval', '0.5')).rejects.toThrow(
        /scrape-interval/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
