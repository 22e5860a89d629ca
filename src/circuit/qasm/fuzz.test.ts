import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QasmError } from './errors.js';
import { parseQasm, parseQasm2, parseQasm3 } from './parser.js';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures');

// Real files up to 20 kB, to mutate (the large ones would only slow the fuzzing down).
const corpus: string[] = [];
for (const size of ['small', 'medium']) {
  const base = path.join(FIXTURES, 'qasmbench', size);
  for (const name of readdirSync(base))
    for (const f of readdirSync(path.join(base, name))) {
      const file = path.join(base, name, f);
      if (f.endsWith('.qasm') && statSync(file).size < 20_000 && statSync(file).size > 0)
        corpus.push(readFileSync(file, 'utf8'));
    }
}
corpus.push(
  'OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float theta;\nqubit[3] q;\nbit[3] c;\ngate g(a) x, y { ctrl @ rz(a) x, y; gphase(a); }\nfor int i in [0:1] { g(theta) q[i], q[i+1]; }\nif (c[0]) x q[2]; else { inv @ s q[1]; }\nc = measure q;\n',
);

const TOKENS = [
  'OPENQASM 2.0;',
  'OPENQASM 3;',
  'include "qelib1.inc";',
  'include "stdgates.inc";',
  'qreg q[3];',
  'creg c[3];',
  'qubit[2] r;',
  'bit[2] b;',
  'gate',
  'opaque',
  'measure',
  '->',
  '=',
  'if',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  ';',
  ',',
  'q',
  'c',
  'r',
  'b',
  'x',
  'cx',
  'ccx',
  'u3',
  'rz',
  'pi',
  '-',
  '+',
  '*',
  '/',
  '^',
  '**',
  'sin',
  '1',
  '0',
  '2.5e3',
  '==',
  'for',
  'in',
  'int',
  ':',
  'ctrl',
  '@',
  'negctrl',
  'inv',
  'pow',
  'gphase',
  'input',
  'float',
  'const',
  'else',
  '//',
  '/*',
  '*/',
  '"',
  '#pragma',
  '\n',
  ' ',
  'π',
  '\u0000',
];

/** Runs one input: it must parse or throw a QasmError, and finish within 100 ms. */
function check(src: string, parse: (s: string) => unknown): void {
  let best = Number.POSITIVE_INFINITY;
  // The machine is shared: a slow run is retried, and the input fails only if its fastest of 3 runs is slow.
  for (let attempt = 0; attempt < 3 && best >= 100; attempt++) {
    const t0 = performance.now();
    try {
      parse(src);
    } catch (err) {
      if (!(err instanceof QasmError))
        throw new Error(`non-QASM error ${String(err)} for input ${JSON.stringify(src.slice(0, 300))}`);
      expect(err.line).toBeGreaterThanOrEqual(1);
      expect(err.column).toBeGreaterThanOrEqual(1);
    }
    best = Math.min(best, performance.now() - t0);
  }
  if (best >= 100) throw new Error(`input took ${best.toFixed(1)} ms: ${JSON.stringify(src.slice(0, 300))}`);
}

const mutation = fc.record({
  file: fc.nat(),
  edits: fc.array(
    fc.record({
      at: fc.nat(),
      len: fc.integer({ min: 0, max: 8 }),
      insert: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...TOKENS)),
    }),
    {
      minLength: 1,
      maxLength: 5,
    },
  ),
});

function mutate(m: { file: number; edits: Array<{ at: number; len: number; insert: string }> }): string {
  let s = corpus[m.file % corpus.length];
  for (const e of m.edits) {
    const at = e.at % (s.length + 1);
    s = s.slice(0, at) + e.insert + s.slice(at + e.len);
  }
  return s;
}

describe('parser fuzzing', () => {
  it('random strings raise only QasmError subclasses, quickly', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        check(s, parseQasm);
        check(`OPENQASM 2.0;\n${s}`, parseQasm2);
        check(`OPENQASM 3.0;\n${s}`, parseQasm3);
      }),
      { numRuns: 1500 },
    );
  });

  it('random token sequences raise only QasmError subclasses, quickly', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), (toks) => {
        const s = toks.join(' ');
        check(s, parseQasm);
        check(s, parseQasm2);
        check(s, parseQasm3);
      }),
      { numRuns: 2500 },
    );
  });

  it('mutated real files raise only QasmError subclasses, quickly', () => {
    expect(corpus.length).toBeGreaterThan(50);
    fc.assert(
      fc.property(mutation, (m) => {
        const s = mutate(m);
        check(s, parseQasm);
        check(s, parseQasm3);
      }),
      { numRuns: 800 },
    );
  });
});
