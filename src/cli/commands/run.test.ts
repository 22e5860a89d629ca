import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Circuit } from '../../circuit/index.js';
import { logLineSchema } from '../../telemetry/index.js';
import { runQobs } from '../../testing/qobs-process.js';
import { run as runCli } from '../program.js';
import { idealDistribution } from './run.js';

const dir = mkdtempSync(path.join(tmpdir(), 'qobs-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BELL = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
measure q -> c;
`;

const qobs = (args: string[], env: Record<string, string> = {}) => runQobs(args, { env, timeoutMs: 50_000 });

describe('idealDistribution', () => {
  it('maps measured qubits to classical bits, highest clbit first', () => {
    const c = new Circuit(3, 3).x(0).h(2);
    c.measure(0, 2).measure(2, 0);
    const d = idealDistribution(c)!;
    expect(Object.keys(d).sort()).toEqual(['100', '101']);
    expect(d['100']).toBeCloseTo(0.5, 12);
    expect(d['101']).toBeCloseTo(0.5, 12);
  });

  it('gives none when a measurement is not terminal or a gate is conditional', () => {
    const mid = new Circuit(1, 1).h(0).measure(0, 0).h(0);
    expect(idealDistribution(mid)).toBeUndefined();
    const noClbits = new Circuit(1).h(0);
    expect(idealDistribution(noClbits)).toBeUndefined();
  });
});

describe('qobs run', () => {
  const file = path.join(dir, 'bell.qasm');
  writeFileSync(file, BELL);

  it('--json: one JSON summary on stdout, schema-valid log lines on stderr, metrics written', async () => {
    const out = path.join(dir, 'metrics.prom');
    const r = await qobs([
      'run',
      file,
      '--device',
      'local.fake_toronto',
      '--shots',
      '300',
      '--repeat',
      '2',
      '--seed',
      '5',
      '--metrics-out',
      out,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]);
    expect(summary).toMatchObject({
      device: 'local.fake_toronto',
      shots: 300,
      repeat: 2,
      succeeded: 2,
      failed: 0,
    });
    for (const run of summary.runs) {
      expect(run.status).toBe('success');
      expect(run.fidelity.method).toBe('hellinger');
      expect(run.fidelity.value).toBeGreaterThan(0.8);
      expect(run.estimated_success_probability).toBeGreaterThan(0);
    }
    const logs = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(logs.filter((l) => l.event_type === 'quantum_circuit_execution')).toHaveLength(2);
    for (const l of logs) expect(logLineSchema.safeParse(l).success).toBe(true);
    const metrics = readFileSync(out, 'utf8');
    expect(metrics).toContain(
      'quantum_circuit_executions_total{provider="local",device="fake_toronto",status="success"} 2',
    );
    expect(metrics).toContain('quantum_circuit_shots_total{provider="local",device="fake_toronto"} 600');
  });

  it('sends spans to the OTLP endpoint of the environment (OTLP/HTTP protobuf)', async () => {
    const bodies: Array<{ url: string; type: string; body: Buffer }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        bodies.push({
          url: req.url ?? '',
          type: String(req.headers['content-type']),
          body: Buffer.concat(chunks),
        });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const r = await qobs(['run', file, '--shots', '50'], {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      });
      expect(r.code).toBe(0);
      // Without --json, stdout holds only the JSON log lines.
      for (const l of r.stdout.trim().split('\n'))
        expect(logLineSchema.safeParse(JSON.parse(l)).success).toBe(true);
      const traces = bodies.filter((b) => b.url === '/v1/traces');
      expect(traces.length).toBeGreaterThan(0);
      expect(traces[0].type).toBe('application/x-protobuf');
      const all = Buffer.concat(traces.map((t) => t.body)).toString('latin1');
      expect(all).toContain('quantum_circuit bell');
      expect(all).toContain('quantum.provider');
      expect(all).toContain('qobs-run');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('rejects a paid device without --max-usd, an unknown device and bad numbers with a clear message (in process)', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
    try {
      expect(await runCli(['node', 'qobs', 'run', file, '--device', 'ibm.ibm_torino'])).toBe(2);
      expect(errors.join('')).toContain('--max-usd');
      errors.length = 0;
      expect(await runCli(['node', 'qobs', 'run', file, '--device', 'rigetti.ankaa'])).toBe(2);
      expect(errors.join('')).toContain('--device');
      errors.length = 0;
      expect(await runCli(['node', 'qobs', 'run', file, '--shots', 'many'])).toBe(2);
      expect(errors.join('')).toContain('--shots');
    } finally {
      spy.mockRestore();
    }
  });
});
