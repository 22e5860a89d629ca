import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../program.js';
import { captureOutput } from '../testing/capture.js';

const dir = mkdtempSync(path.join(tmpdir(), 'qobs-analyze-'));
function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}
const BELL = file(
  'bell.qasm',
  'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n',
);
const BAD = file('bad.qasm', 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncx q[0], r[1];\n');

const io = captureOutput();

describe('qobs analyze', () => {
  it('prints one JSON object with the contract keys', async () => {
    expect(await run(['node', 'qobs', 'analyze', BELL, '--json'])).toBe(0);
    const lines = io.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]);
    for (const k of [
      'qubits',
      'clbits',
      'depth',
      'size',
      'ops',
      'two_qubit_gates',
      'measurements',
      'supermarq',
    ])
      expect(j).toHaveProperty(k);
    expect(Object.keys(j.supermarq).sort()).toEqual([
      'communication',
      'critical_depth',
      'entanglement',
      'liveness',
      'measurement',
      'parallelism',
    ]);
    expect(j).toMatchObject({
      qubits: 2,
      clbits: 2,
      depth: 3,
      size: 4,
      ops: { h: 1, cx: 1, measure: 2 },
      two_qubit_gates: 1,
      measurements: 2,
    });
  });

  it('counts in a basis with --basis', async () => {
    expect(await run(['node', 'qobs', 'analyze', BELL, '--basis', 'cz,rz,sx,x', '--json'])).toBe(0);
    const j = JSON.parse(io.out);
    expect(j.basis).toEqual(['cz', 'rz', 'sx', 'x']);
    // h -> rz sx rz; cx -> h cz h with each h -> rz sx rz
    expect(j.ops).toEqual({ rz: 6, sx: 3, cz: 1, measure: 2 });
  });

  it('prints readable text without --json', async () => {
    expect(await run(['node', 'qobs', 'analyze', BELL])).toBe(0);
    expect(io.out).toContain('depth 3');
    expect(io.out).toContain('supermarq communication 1.0000');
  });

  it('reports an input error as FILE:LINE:COLUMN: message on stderr with exit code 2', async () => {
    expect(await run(['node', 'qobs', 'analyze', BAD, '--json'])).toBe(2);
    expect(io.out).toBe('');
    expect(io.err).toBe(`${BAD}:4:10: qubit register 'r' is not declared\n`);
  });

  it('exits 2 for a missing file and for a basis it cannot target', async () => {
    expect(await run(['node', 'qobs', 'analyze', path.join(dir, 'nope.qasm')])).toBe(2);
    expect(io.err).toContain('cannot read');
    expect(await run(['node', 'qobs', 'analyze', BELL, '--basis', 'iswap,u3'])).toBe(2);
  });
});

describe('qobs examples', () => {
  it('analyzes the bundled examples', async () => {
    expect(await run(['node', 'qobs', 'examples', '--json'])).toBe(0);
    const j = JSON.parse(io.out);
    expect(j.examples.map((e: { example: string }) => e.example)).toEqual([
      'bell.qasm',
      'ghz.qasm',
      'qft4.qasm',
    ]);
    const ghz = j.examples[1];
    expect(ghz).toMatchObject({ qubits: 5, depth: 6, two_qubit_gates: 4, ops: { h: 1, cx: 4, measure: 5 } });
  });
});
