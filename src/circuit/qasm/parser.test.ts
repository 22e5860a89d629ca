import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalExpr } from '../expr.js';
import { MAX_QUBITS } from '../ir.js';
import { type QasmError, QasmSemanticError, QasmSyntaxError, QasmUnsupportedError } from './errors.js';
import { parseQasmFile } from './file.js';
import { detectVersion, parseQasm, parseQasm2, parseQasm3 } from './parser.js';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures');
const H2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n';
const H3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n';

function ops(src: string): string[] {
  return parseQasm(src).instructions.map((i) => {
    const ps = i.params.length
      ? `(${i.params.map((p) => Number(evalExpr(p, { theta: 0.5 }).toFixed(6))).join(',')})`
      : '';
    const cond = i.condition ? `if[${i.condition.clbits.join(',')}]==${i.condition.value} ` : '';
    const mods =
      i.modifiers
        ?.map((m) =>
          m.kind === 'ctrl' ? `${m.negated ? 'neg' : ''}ctrl${m.count}@` : m.kind === 'inv' ? 'inv@' : `pow@`,
        )
        .join('') ?? '';
    const cs = i.clbits.length ? `->${i.clbits.join(',')}` : '';
    return `${cond}${mods}${i.name}${ps} ${i.qubits.join(',')}${cs}`;
  });
}

function expectError<T extends QasmError>(
  src: string,
  cls: new (...args: never[]) => T,
  line: number,
  column: number,
  re?: RegExp,
): T {
  try {
    parseQasm(src, { filename: 'x.qasm' });
  } catch (err) {
    expect(err).toBeInstanceOf(cls);
    const e = err as T;
    expect([e.line, e.column], e.message).toEqual([line, column]);
    expect(e.message.startsWith(`x.qasm:${line}:${column}: `)).toBe(true);
    if (re) expect(e.message).toMatch(re);
    return e;
  }
  throw new Error(`expected ${cls.name}`);
}

describe('OpenQASM 2 parser', () => {
  it('reads registers, gates, measure, reset, barrier and flat indices across registers', () => {
    const c = parseQasm(
      `${H2}qreg a[2];\nqreg b[3];\ncreg c[2];\nh a[1];\ncx a[0], b[2];\nbarrier a, b[0];\nreset b[1];\nmeasure b[2] -> c[1];\n`,
    );
    expect(c.numQubits).toBe(5);
    expect(c.numClbits).toBe(2);
    expect(c.qregs.map((r) => [r.name, r.offset, r.size])).toEqual([
      ['a', 0, 2],
      ['b', 2, 3],
    ]);
    expect(
      ops(
        `${H2}qreg a[2];\nqreg b[3];\ncreg c[2];\nh a[1];\ncx a[0], b[2];\nbarrier a, b[0];\nreset b[1];\nmeasure b[2] -> c[1];\n`,
      ),
    ).toEqual(['h 1', 'cx 0,4', 'barrier 0,1,2', 'reset 3', 'measure 4->1']);
  });

  it('broadcasts over registers', () => {
    expect(
      ops(`${H2}qreg q[3];\nqreg r[3];\ncreg c[3];\nh q;\ncx q, r;\ncx q[0], r;\nmeasure q -> c;\nreset r;`),
    ).toEqual([
      'h 0',
      'h 1',
      'h 2',
      'cx 0,3',
      'cx 1,4',
      'cx 2,5',
      'cx 0,3',
      'cx 0,4',
      'cx 0,5',
      'measure 0->0',
      'measure 1->1',
      'measure 2->2',
      'reset 3',
      'reset 4',
      'reset 5',
    ]);
  });

  it('evaluates parameter expressions with pi, operators, precedence and functions', () => {
    const c = parseQasm(
      `${H2}qreg q[1];\nu3(pi/2, -pi^2, 2*3-4/2) q[0];\nrz(sin(pi/2) + cos(0) * exp(0) - ln(1) + sqrt(4) + tan(0)) q[0];\nrx(-(1+2)*3) q[0];\nrz(2^3^2) q[0];\nrz(-2^2) q[0];\nrz(1.5e-1) q[0];\nrz(.5) q[0];`,
    );
    expect(c.instructions.map((i) => i.params)).toEqual([
      [Math.PI / 2, -(Math.PI ** 2), 4],
      [1 + 1 - 0 + 2 + 0],
      [-9],
      [2 ** 9],
      [-4],
      [0.15],
      [0.5],
    ]);
  });

  it('maps U and CX to u and cx, and knows every qelib1.inc gate', () => {
    expect(ops(`OPENQASM 2.0;\nqreg q[2];\nU(0.1,0.2,0.3) q[0];\nCX q[0],q[1];`)).toEqual([
      'u(0.1,0.2,0.3) 0',
      'cx 0,1',
    ]);
    const c = parseQasm(
      `${H2}qreg q[5];\nu0(1) q[0]; csx q[0],q[1]; c3sqrtx q[0],q[1],q[2],q[3]; c4x q[0],q[1],q[2],q[3],q[4]; rc3x q[0],q[1],q[2],q[3]; sxdg q[0]; cu(1,2,3,4) q[0],q[1];`,
    );
    expect(c.instructions.map((i) => i.name)).toEqual(['u0', 'csx', 'c3sqrtx', 'c4x', 'rc3x', 'sxdg', 'cu']);
  });

  it('keeps gate definitions and calls to them as one op under their own name', () => {
    const c = parseQasm(
      `${H2}gate maj(t) a, b, c { cx c, b; cx c, a; ccx a, b, c; rz(t/2) a; }\nopaque mystery(x) a;\nqreg q[3];\nmaj(pi) q[0], q[1], q[2];\nmystery(1) q[2];`,
    );
    expect(c.instructions.map((i) => i.name)).toEqual(['maj', 'mystery']);
    const def = c.definitions.get('maj')!;
    expect(def.params).toEqual(['t']);
    expect(def.numQubits).toBe(3);
    expect(def.body!.map((i) => `${i.name} ${i.qubits.join(',')}`)).toEqual([
      'cx 2,1',
      'cx 2,0',
      'ccx 0,1,2',
      'rz 0',
    ]);
    expect(evalExpr(def.body![3].params[0], { t: 1 })).toBe(0.5);
    expect(c.definitions.get('mystery')!.body).toBeNull();
  });

  it('attaches if (c == n) to the conditioned operation', () => {
    expect(
      ops(
        `${H2}qreg q[2];\ncreg c[2];\ncreg d[1];\nif (c == 2) x q[1];\nif(d==1) measure q[0] -> c[0];\nif (c==1) h q;`,
      ),
    ).toEqual(['if[0,1]==2 x 1', 'if[2]==1 measure 0->0', 'if[0,1]==1 h 0', 'if[0,1]==1 h 1']);
  });

  it('skips comments anywhere and accepts a file without the header', () => {
    expect(ops(`// c\n${H2}/* block\n comment */ qreg q[1]; // tail\nx /* in */ q[0];`)).toEqual(['x 0']);
    expect(detectVersion('// x\ninclude "qelib1.inc";\nqreg q[1];')).toBe(2);
    expect(ops('include "qelib1.inc";\nqreg q[1];\nx q[0];')).toEqual(['x 0']);
  });

  it('rejects undeclared registers, bad arity, bad indices and duplicates with positions', () => {
    expectError(
      `${H2}qreg q[2];\ncreg c[2];\nmeasure q[0] -> d[0];`,
      QasmSemanticError,
      5,
      17,
      /'d' is not declared/,
    );
    expectError(`${H2}qreg q[2];\nx r[0];`, QasmSemanticError, 4, 3, /'r' is not declared/);
    expectError(`${H2}qreg q[2];\ncx q[0];`, QasmSemanticError, 4, 1, /acts on 2 qubit/);
    expectError(`${H2}qreg q[2];\nrz q[0];`, QasmSemanticError, 4, 1, /takes 1 parameter/);
    expectError(`${H2}qreg q[2];\nx q[2];`, QasmSemanticError, 4, 3, /out of range/);
    expectError(`${H2}qreg q[2];\ncx q[1], q[1];`, QasmSemanticError, 4, 1, /same qubit twice/);
    expectError(`${H2}qreg q[2];\nqreg q[1];`, QasmSemanticError, 4, 6, /already declared/);
    expectError(`${H2}qreg q[2];\nfoo q[0];`, QasmSemanticError, 4, 1, /unknown gate 'foo'/);
    expectError(`OPENQASM 2.0;\nqreg q[2];\nh q[0];`, QasmSemanticError, 3, 1, /qelib1/);
    expectError(`${H2}qreg q[2];\nqreg r[3];\ncx q, r;`, QasmSemanticError, 5, 1, /different sizes/);
    expectError(`${H2}qreg q[2];\ncreg c[3];\nmeasure q -> c;`, QasmSemanticError, 5, 1, /sizes must match/);
    expectError(
      `${H2}qreg q[2];\nif (q == 1) x q[0];`,
      QasmSemanticError,
      4,
      5,
      /not a declared classical register/,
    );
    expectError(`${H2}gate g a { x b; }`, QasmSemanticError, 3, 14, /not a qubit argument/);
    expectError(
      `${H2}gate g a { measure a -> c[0]; }`,
      QasmSemanticError,
      3,
      12,
      /not allowed in a gate body/,
    );
    expectError(`${H2}gate x a { }`, QasmSemanticError, 3, 6, /already defined/);
    expectError(`${H2}qreg q[1];\nrz(theta) q[0];`, QasmSemanticError, 4, 4, /unknown identifier 'theta'/);
  });

  it('rejects malformed text with syntax errors and positions', () => {
    expectError(`${H2}qreg q[2]\nh q[0];`, QasmSyntaxError, 4, 1, /expected ';'/);
    expectError(`${H2}qreg q[2];\nh q[0]`, QasmSyntaxError, 4, 7, /end of input/);
    expectError(`${H2}qreg q[2];\nrz(1 +) q[0];`, QasmSyntaxError, 4, 7, /expected an expression/);
    expectError(`${H2}qreg q[2];\n/* open`, QasmSyntaxError, 4, 1, /unterminated block comment/);
    expectError(`${H2}qreg q[2];\nh q[0]; $`, QasmSyntaxError, 4, 9, /unexpected '\$'/);
    expectError(`${H2}qreg q[2];\nh q[0]; \u0001`, QasmSyntaxError, 4, 9, /unexpected character/);
    expectError(`OPENQASM 2.0;\ninclude "qelib1.inc;\n`, QasmSyntaxError, 2, 9, /unterminated string/);
    expectError(`${H2}qreg q[2];\nOPENQASM 2.0;`, QasmSyntaxError, 4, 1, /first statement/);
  });

  it('refuses includes other than qelib1.inc, naming the construct', () => {
    const e = expectError(`OPENQASM 2.0;\ninclude "mylib.inc";`, QasmUnsupportedError, 2, 1);
    expect(e.construct).toBe('include "mylib.inc"');
  });

  it('guards against huge registers and deep nesting without running out of memory or stack', () => {
    expectError(`${H2}qreg q[100000000];`, QasmSemanticError, 3, 6, new RegExp(`at most ${MAX_QUBITS}`));
    const deep = `${H2}qreg q[1];\nrz(${'('.repeat(100000)}1${')'.repeat(100000)}) q[0];`;
    expectError(deep, QasmSemanticError, 4, 68, /nested deeper than/);
    const unary = `${H2}qreg q[1];\nrz(${'- '.repeat(100000)}1) q[0];`;
    expect(() => parseQasm(unary)).toThrow(/nested deeper than/);
    const chain = `${H2}gate g(t) a { rz(${Array.from({ length: 10000 }, () => 't').join('+')}) a; }`;
    expect(() => parseQasm(chain)).toThrow(/longer than/);
  });

  it('the parseQasm2 entry point refuses an OpenQASM 3 header', () => {
    expect(() => parseQasm2('OPENQASM 3.0;')).toThrow(QasmSemanticError);
  });
});

describe('OpenQASM 3 parser', () => {
  it('reads qubit/bit declarations, measure assignments and old-style registers', () => {
    expect(
      ops(
        `${H3}qubit[2] q;\nqubit a;\nbit[2] c;\nbit b;\nqreg r[1];\nh q[0];\nc[0] = measure q[0];\nc = measure q;\nb = measure a;\nmeasure r[0] -> c[1];\nbit[1] m = measure r;`,
      ),
    ).toEqual([
      'h 0',
      'measure 0->0',
      'measure 0->0',
      'measure 1->1',
      'measure 2->2',
      'measure 3->1',
      'measure 3->3',
    ]);
  });

  it('applies ctrl, negctrl, inv and pow modifiers to the right qubits', () => {
    const c = parseQasm(
      `${H3}qubit[4] q;\nctrl @ x q[0], q[1];\nnegctrl(2) @ h q[0], q[1], q[2];\ninv @ pow(2) @ s q[3];\nctrl @ gphase(pi) q[2];\ngphase(0.5);`,
    );
    expect(c.instructions.map((i) => [i.name, i.qubits, i.modifiers ?? []])).toEqual([
      ['x', [0, 1], [{ kind: 'ctrl', count: 1, negated: false }]],
      ['h', [0, 1, 2], [{ kind: 'ctrl', count: 2, negated: true }]],
      ['s', [3], [{ kind: 'inv' }, { kind: 'pow', exponent: 2 }]],
      ['gphase', [2], [{ kind: 'ctrl', count: 1, negated: false }]],
      ['gphase', [], []],
    ]);
    expect(c.instructions[3].params).toEqual([Math.PI]);
  });

  it('keeps input parameters symbolic and lists them in order', () => {
    const c = parseQasm(
      `${H3}input float[64] theta;\ninput angle phi;\nqubit q;\nrx(theta * 2) q;\nrz(phi + pi) q;`,
    );
    expect(c.inputs).toEqual(['theta', 'phi']);
    expect(evalExpr(c.instructions[0].params[0], { theta: 0.25 })).toBe(0.5);
    expect(evalExpr(c.instructions[1].params[0], { phi: 1 })).toBeCloseTo(1 + Math.PI, 15);
  });

  it('unrolls for loops over ranges, steps and sets, with the variable in indices and angles', () => {
    expect(
      ops(
        `${H3}qubit[4] q;\nfor int i in [0:2] { cx q[i], q[i+1]; }\nfor uint i in [3:-2:0] rz(i) q[i];\nfor i in {1, 3} { x q[i]; }\nfor int i in [1:0] { x q[9]; }\nconst int n = 2;\nfor int j in [0:n-1] h q[j];`,
      ),
    ).toEqual(['cx 0,1', 'cx 1,2', 'cx 2,3', 'rz(3) 3', 'rz(1) 1', 'x 1', 'x 3', 'h 0', 'h 1']);
  });

  it('conditions statements on bits and registers, with else on a single bit', () => {
    expect(
      ops(
        `${H3}qubit[2] q;\nbit[2] c;\nif (c[1]) x q[0];\nif (c == 3) { h q[0]; z q[1]; }\nif (!c[0]) x q[1]; else { y q[1]; }\nif (c[0] == 0) x q[0];`,
      ),
    ).toEqual([
      'if[1]==1 x 0',
      'if[0,1]==3 h 0',
      'if[0,1]==3 z 1',
      'if[0]==0 x 1',
      'if[0]==1 y 1',
      'if[0]==0 x 0',
    ]);
  });

  it('indexes with slices, negative indices and index sets', () => {
    expect(ops(`${H3}qubit[5] q;\nh q[1:3];\nx q[-1];\nz q[{0, 2}];\ny q[0:2:4];`)).toEqual([
      'h 1',
      'h 2',
      'h 3',
      'x 4',
      'z 0',
      'z 2',
      'y 0',
      'y 2',
      'y 4',
    ]);
  });

  it('reads gate definitions with modifiers and gphase in the body', () => {
    const c = parseQasm(
      `${H3}gate cphi(t) a, b { ctrl @ p(t) a, b; gphase(t/2); }\nqubit[2] q;\ncphi(0.5) q[0], q[1];\npow(2) @ cphi(0.1) q[1], q[0];`,
    );
    expect(c.definitions.get('cphi')!.body!.map((i) => i.name)).toEqual(['p', 'gphase']);
    expect(
      ops(`${H3}gate cphi(t) a, b { ctrl @ p(t) a, b; }\nqubit[2] q;\npow(2) @ cphi(0.1) q[1], q[0];`),
    ).toEqual(['pow@cphi(0.1) 1,0']);
  });

  it('ignores pragmas and annotations, maps stdgates aliases', () => {
    expect(
      ops(
        `${H3}#pragma foo bar\nqubit[2] q;\n@bind x\nphase(1) q[0];\ncphase(1) q[0], q[1];\nCX q[0], q[1];\nU(1, 2, 3) q[0];`,
      ),
    ).toEqual(['p(1) 0', 'cp(1) 0,1', 'cx 0,1', 'u(1,2,3) 0']);
  });

  it('fails on constructs outside the subset with QasmUnsupportedError naming them', () => {
    const cases: Array<[string, string]> = [
      ['qubit q; while (true) { x q; }', "'while'"],
      ['def f() {}', "'def'"],
      ['qubit q; delay[100ns] q;', "'delay'"],
      ['int x = 3;', "'int'"],
      ['bit b; b = 1;', 'classical assignment'],
      ['qubit[2] q; bit[2] c; if (c[0]) { if (c[1]) x q[0]; }', 'nested if'],
      ['qubit[2] q; bit[2] c; if (c == 1) x q[0]; else x q[1];', 'else on a multi-bit condition'],
      ['qubit[2] q; bit[2] c; if (c[0] && c[1]) x q[0];', 'compound if condition'],
      ['qubit q; bit c; if (c) { c = measure q; }', 'measurement into a bit of the enclosing if condition'],
      ['include "other.inc";', 'include "other.inc"'],
      ['qubit q; measure q;', 'measure without a target bit'],
      ['output float x;', "'output'"],
    ];
    for (const [body, construct] of cases) {
      try {
        parseQasm3(`${H3}${body}`);
        throw new Error(`no error for ${body}`);
      } catch (err) {
        expect(err, body).toBeInstanceOf(QasmUnsupportedError);
        expect((err as QasmUnsupportedError).construct, body).toBe(construct);
      }
    }
  });

  it('refuses loops that would unroll past the instruction limit, before unrolling them', () => {
    expect(() => parseQasm3(`${H3}qubit q;\nfor int i in [0:100000000] x q;`)).toThrow(/too long/);
  });

  it('rejects semantic errors with positions', () => {
    expectError(`${H3}qubit[2] q;\nctrl @ x q[0];`, QasmSemanticError, 4, 8, /acts on 2 qubit/);
    expectError(`${H3}qubit[2] q;\nfor int i in [0:2] x q[i];`, QasmSemanticError, 4, 22, /out of range/);
    expectError(`${H3}qubit[2] q;\nh q[1.5];`, QasmSemanticError, 4, 5, /expected an integer/);
  });
});

interface Published {
  qubits: number;
  gates?: number;
  twoQubit?: number;
  depth?: number;
}

/** Published metrics of a QASMBench benchmark, from its README. */
function readPublished(dir: string): Published | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'README.md'), 'utf8');
  } catch {
    return undefined; // gcm_n13 and sat_n7 ship without a README
  }
  const get = (label: string) => {
    const m = text.match(new RegExp(`${label}\\s*:\\s*([0-9.]+)`));
    return m ? Number(m[1]) : undefined;
  };
  return {
    qubits: get('Qubit Count')!,
    gates: get('Gate Count'),
    twoQubit: get('Dual Gate Count'),
    depth: get('Circuit Depth'),
  };
}

describe('QASMBench fixtures', () => {
  const benches: Array<{ dir: string; file: string }> = [];
  for (const size of ['small', 'medium']) {
    const base = path.join(FIXTURES, 'qasmbench', size);
    for (const name of readdirSync(base)) {
      for (const f of readdirSync(path.join(base, name)))
        if (f.endsWith('.qasm')) benches.push({ dir: path.join(base, name), file: f });
    }
  }

  it('finds the fixtures', () => {
    expect(benches.length).toBeGreaterThan(100);
  });

  it('parses every file, and the qubit count equals the published Qubit Count', () => {
    let checked = 0;
    for (const { dir, file } of benches) {
      const src = readFileSync(path.join(dir, file), 'utf8');
      if (src.trim() === '') continue; // bwt_n21_transpiled.qasm is an empty file in the suite
      const c = parseQasm(src, { filename: file });
      const published = readPublished(dir);
      if (!published) continue;
      expect(c.numQubits, file).toBe(published.qubits);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('rejects the four invalid benchmarks, naming file, line and column of the undeclared register', () => {
    const base = path.join(FIXTURES, 'qasmbench-invalid');
    let n = 0;
    for (const name of readdirSync(base)) {
      if (!name.includes('_n')) continue;
      for (const f of readdirSync(path.join(base, name)).filter((x) => x.endsWith('.qasm'))) {
        const file = path.join(base, name, f);
        const lines = readFileSync(file, 'utf8').split('\n');
        const line = lines.findIndex((l) => /^measure q\[/.test(l)) + 1;
        try {
          parseQasmFile(file);
          throw new Error(`${f} parsed`);
        } catch (err) {
          expect(err, f).toBeInstanceOf(QasmSemanticError);
          const e = err as QasmSemanticError;
          expect(e.filename).toBe(file);
          expect([e.line, e.column]).toEqual([line, 9]);
          expect(e.message).toBe(`${file}:${line}:9: qubit register 'q' is not declared`);
        }
        n++;
      }
    }
    expect(n).toBe(8);
  });
});
