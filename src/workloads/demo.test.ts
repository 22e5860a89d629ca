import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { localJobFidelity } from '../devices/index.js';
import { Observer } from '../telemetry/index.js';
import { type DemoEvent, demoDevices, drifted, runDemo } from './demo.js';

describe('demo scenario', () => {
  it('runs the workloads on real devices, injects drift and an outage, recovers, and redacts the leaked token', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    const observer = new Observer({
      serviceName: 'qobs-demo-test',
      logs: { destination: sink },
      traces: false,
      fidelityOf: localJobFidelity,
    });
    const events: DemoEvent[] = [];
    const devices = demoDevices();
    await runDemo(
      {
        observer,
        once: true,
        tickSeconds: 0.2,
        schedule: { driftAt: 0.2, outageAt: 0.5, recoverAt: 4 },
        onEvent: (e) => events.push(e),
      },
      devices,
    );
    await observer.flush();
    const text = await observer.metrics();
    const kinds = new Set(events.map((e) => e.kind));
    for (const k of ['start', 'epoch', 'qaoa', 'fault', 'recovery', 'done'] as const)
      expect(kinds.has(k), k).toBe(true);
    // The outage made manila refuse jobs: failures were recorded for it, and it is online again at the end.
    expect(text).toMatch(
      /quantum_circuit_executions_total\{provider="local",device="fake_manila",status="error"\} [1-9]/,
    );
    expect(text).toMatch(/quantum_device_status\{provider="local",device="fake_manila"\} 1/);
    expect(text).toMatch(
      /quantum_circuit_fidelity\{provider="local",device="fake_toronto",circuit_type="canary"\} 0\.\d+/,
    );
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const types = new Set(parsed.map((l) => l.event_type));
    for (const t of [
      'quantum_circuit_execution',
      'quantum_hardware_event',
      'quantum_algorithm_performance',
      'quantum_error',
      'quantum_security_event',
    ])
      expect(types.has(t), t).toBe(true);
    expect(lines.join('\n')).not.toContain('Tk3yN0tR3al0nlyF0rRedaction');
    await observer.shutdown();
  }, 180_000);

  it('drift raises readout and gate errors and lowers T1, capped at 0.5', () => {
    const cal = {
      provider: 'local' as const,
      device: 'x',
      numQubits: 1,
      basisGates: ['x'],
      calibratedAt: '2020-01-01T00:00:00Z',
      qubits: [{ qubit: 0, readoutError: 0.2, probMeas0Prep1: 0.01, t1Seconds: 1e-4 }],
      gates: [{ gate: 'x', qubits: [0], error: 0.3 }],
      source: 'test',
    };
    const d = drifted(cal, Date.parse('2026-01-01T00:00:00Z'));
    expect(d.qubits[0].readoutError).toBe(0.5);
    expect(d.qubits[0].probMeas0Prep1).toBeCloseTo(0.03, 12);
    expect(d.qubits[0].t1Seconds).toBe(5e-5);
    expect(d.gates[0].error).toBe(0.5);
    expect(d.calibratedAt).toBe('2026-01-01T00:00:00.000Z');
  });
});
