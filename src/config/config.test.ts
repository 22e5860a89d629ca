import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigValidationError, loadConfig, parseConfig } from './config.js';

describe('workbench configuration', () => {
  it('has loopback defaults', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      otlpPort: 4318,
      dataDir: '.qobs',
      durability: 'process',
    });
  });

  it('parses durations and sizes', () => {
    const c = parseConfig({
      storage: { retention: '30d', max_size: '512MiB' },
      scrape: { targets: [{ job: 'a', url: 'http://x:9/metrics', interval: '5s' }] },
    });
    expect(c.retentionMs).toBe(30 * 86_400_000);
    expect(c.maxSizeBytes).toBe(512 * 1024 * 1024);
    expect(c.scrapeTargets).toEqual([
      { job: 'a', url: 'http://x:9/metrics', intervalMs: 5000, timeoutMs: 10_000 },
    ]);
  });

  it('reports every error with its key', () => {
    try {
      parseConfig({
        server: { port: 'eighty' },
        storage: { retention: '3 weeks' },
        scrape: { targets: [{ job: 'a', url: 'nope' }] },
        extra: 1,
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigValidationError);
      const fields = (e as ConfigValidationError).issues.map((i) => i.field).sort();
      expect(fields).toEqual(['extra', 'scrape.targets[0].url', 'server.port', 'storage.retention']);
      expect((e as Error).message).toContain('server.port');
    }
  });

  it('reads limits and budgets, naming the key of a bad budget', () => {
    const c = parseConfig({
      limits: { max_series_per_metric: 50 },
      cost: { catalogue: 'prices.yaml', budgets: [{ name: 'lab', amount_usd: 200, provider: 'braket' }] },
    });
    expect(c.maxSeriesPerMetric).toBe(50);
    expect(c.maxLabelValueLength).toBe(2048);
    expect(c.costCatalogueFile).toBe('prices.yaml');
    expect(c.budgets).toEqual([expect.objectContaining({ name: 'lab', amountUsd: 200, provider: 'braket' })]);
    expect(parseConfig({}).budgets).toEqual([]);
    try {
      parseConfig({ cost: { budgets: [{ name: 'lab', amount_usd: -1 }] } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigValidationError);
      expect((e as ConfigValidationError).issues[0].field).toBe('cost.budgets[0].amount_usd');
    }
  });

  it('reads the remote canary opt-in and Braket output location', () => {
    const c = parseConfig({
      providers: {
        braket: {
          devices: ['ionq/forte-1'],
          canary_interval: '6h',
          canary_shots_per_day: 2000,
          canary_max_usd_per_day: 25,
          output_s3_bucket: 'amazon-braket-lab',
        },
        ibm: { canary_seconds_per_job: 4 },
      },
    });
    expect(c.providers.find((p) => p.name === 'braket')).toMatchObject({
      canaryIntervalMs: 6 * 3_600_000,
      canaryShotsPerDay: 2000,
      canaryMaxUsdPerDay: 25,
      outputS3Bucket: 'amazon-braket-lab',
    });
    expect(c.providers.find((p) => p.name === 'ibm')).toEqual(
      expect.objectContaining({ canarySecondsPerJob: 4 }),
    );
    expect(c.providers.find((p) => p.name === 'ibm')).not.toHaveProperty('canaryShotsPerDay');
    expect(() => parseConfig({ providers: { ionq: { canary_shots_per_day: 0 } } })).toThrow(
      /providers\.ionq\.canary_shots_per_day/,
    );
    expect(() => parseConfig({ providers: { local: { output_s3_bucket: 'x' } } })).toThrow(
      /output_s3_bucket/,
    );
  });

  it('reads the OTLP/gRPC port: a port, off, or unset (the default chosen at start)', () => {
    expect(parseConfig({}).otlpGrpcPort).toBeUndefined();
    expect(parseConfig({ otlp: { grpc_port: 4417 } }).otlpGrpcPort).toBe(4417);
    expect(parseConfig({ otlp: { grpc_port: 'off' } }).otlpGrpcPort).toBe(false);
    expect(parseConfig({ otlp: { grpc_port: false } }).otlpGrpcPort).toBe(false);
    expect(() => parseConfig({ otlp: { grpc_port: 70000 } })).toThrow(/otlp\.grpc_port/);
    expect(loadConfig(undefined, {}, { QOBS_OTLP_GRPC_PORT: 'off' }).otlpGrpcPort).toBe(false);
    expect(loadConfig(undefined, {}, { QOBS_OTLP_GRPC_PORT: '4400' }).otlpGrpcPort).toBe(4400);
    expect(loadConfig(undefined, { otlpGrpcPort: 0 }, { QOBS_OTLP_GRPC_PORT: '4400' }).otlpGrpcPort).toBe(0);
  });

  it('applies the file, then the environment, then the overrides', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qobs-cfg-'));
    const file = path.join(dir, 'qobs.yaml');
    writeFileSync(file, 'server:\n  port: 9000\n  host: 127.0.0.1\notlp:\n  port: 9001\n');
    expect(loadConfig(file, {}, {})).toMatchObject({ port: 9000, otlpPort: 9001 });
    expect(loadConfig(file, {}, { QOBS_PORT: '9100', QOBS_TOKEN: 't' })).toMatchObject({
      port: 9100,
      token: 't',
    });
    expect(loadConfig(file, { port: 9200 }, { QOBS_PORT: '9100' })).toMatchObject({ port: 9200 });
    expect(() => loadConfig(file, {}, { QOBS_PORT: 'x' })).toThrow(/QOBS_PORT/);
    writeFileSync(file, 'server: [1,\n');
    expect(() => loadConfig(file, {}, {})).toThrow(/not valid YAML/);
  });
});
