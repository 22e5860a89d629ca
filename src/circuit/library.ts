// Decompositions of the multi-qubit built-in gates into cx and one-qubit gates, as OpenQASM 2 gate definitions.
//
// One table serves the decomposer (which inlines them) and the writer (which emits the ones an include file lacks).
// library.test.ts checks every definition against the gate's matrix up to global phase.
import { evalExpr } from './expr.js';
import { GATES, composeUnitary } from './gates.js';
import type { GateDefinition } from './ir.js';
import { parseQasm2 } from './qasm/parser.js';

/** Definition text per gate, OpenQASM 2 syntax, using only qelib1.inc gates (and each other, in this order). */
export const GATE_DEFINITIONS: Readonly<Record<string, string>> = {
  cy: 'gate cy a, b { sdg b; cx a, b; s b; }',
  cz: 'gate cz a, b { h b; cx a, b; h b; }',
  ch: 'gate ch a, b { h b; sdg b; cx a, b; h b; t b; cx a, b; t b; h b; s b; x b; s a; }',
  swap: 'gate swap a, b { cx a, b; cx b, a; cx a, b; }',
  crx: 'gate crx(theta) a, b { u1(pi/2) b; cx a, b; u3(-theta/2, 0, 0) b; cx a, b; u3(theta/2, -pi/2, 0) b; }',
  cry: 'gate cry(theta) a, b { ry(theta/2) b; cx a, b; ry(-theta/2) b; cx a, b; }',
  crz: 'gate crz(theta) a, b { rz(theta/2) b; cx a, b; rz(-theta/2) b; cx a, b; }',
  cp: 'gate cp(lambda) a, b { p(lambda/2) a; cx a, b; p(-lambda/2) b; cx a, b; p(lambda/2) b; }',
  cu1: 'gate cu1(lambda) a, b { p(lambda/2) a; cx a, b; p(-lambda/2) b; cx a, b; p(lambda/2) b; }',
  cu3:
    'gate cu3(theta, phi, lambda) c, t { p((lambda+phi)/2) c; p((lambda-phi)/2) t; cx c, t; ' +
    'u3(-theta/2, 0, -(phi+lambda)/2) t; cx c, t; u3(theta/2, phi, 0) t; }',
  cu:
    'gate cu(theta, phi, lambda, gamma) c, t { p(gamma) c; p((lambda+phi)/2) c; p((lambda-phi)/2) t; cx c, t; ' +
    'u3(-theta/2, 0, -(phi+lambda)/2) t; cx c, t; u3(theta/2, phi, 0) t; }',
  csx: 'gate csx a, b { h b; cp(pi/2) a, b; h b; }',
  rxx: 'gate rxx(theta) a, b { h a; h b; cx a, b; rz(theta) b; cx a, b; h a; h b; }',
  ryy: 'gate ryy(theta) a, b { rx(pi/2) a; rx(pi/2) b; cx a, b; rz(theta) b; cx a, b; rx(-pi/2) a; rx(-pi/2) b; }',
  rzz: 'gate rzz(theta) a, b { cx a, b; rz(theta) b; cx a, b; }',
  ecr: 'gate ecr a, b { cx a, b; x a; sdg a; sdg b; h b; sdg b; }',
  iswap: 'gate iswap a, b { s a; s b; h a; cx a, b; cx b, a; h b; }',
  ccx:
    'gate ccx a, b, c { h c; cx b, c; tdg c; cx a, c; t c; cx b, c; tdg c; cx a, c; t b; t c; h c; cx a, b; t a; ' +
    'tdg b; cx a, b; }',
  cswap: 'gate cswap a, b, c { cx c, b; ccx a, b, c; cx c, b; }',
  rccx: 'gate rccx a, b, c { h c; t c; cx b, c; tdg c; cx a, c; t c; cx b, c; tdg c; h c; }',
  rc3x:
    'gate rc3x a, b, c, d { h d; t d; cx c, d; tdg d; h d; cx a, d; t d; cx b, d; tdg d; cx a, d; t d; cx b, d; ' +
    'tdg d; h d; t d; cx c, d; tdg d; h d; }',
  c3x:
    'gate c3x a, b, c, d { h d; cp(-pi/4) a, d; h d; cx a, b; h d; cp(pi/4) b, d; h d; cx a, b; h d; ' +
    'cp(-pi/4) b, d; h d; cx b, c; h d; cp(pi/4) c, d; h d; cx a, c; h d; cp(-pi/4) c, d; h d; cx b, c; h d; ' +
    'cp(pi/4) c, d; h d; cx a, c; h d; cp(-pi/4) c, d; h d; }',
  c3sqrtx:
    'gate c3sqrtx a, b, c, d { h d; cp(pi/8) a, d; h d; cx a, b; h d; cp(-pi/8) b, d; h d; cx a, b; h d; ' +
    'cp(pi/8) b, d; h d; cx b, c; h d; cp(-pi/8) c, d; h d; cx a, c; h d; cp(pi/8) c, d; h d; cx b, c; h d; ' +
    'cp(-pi/8) c, d; h d; cx a, c; h d; cp(pi/8) c, d; h d; }',
  // qelib1.inc applies rc3x twice; the relative phases cancel only with its inverse (written out), as Qiskit does.
  c4x:
    'gate c4x a, b, c, d, e { h e; cp(pi/2) d, e; h e; rc3x a, b, c, d; h e; cp(-pi/2) d, e; h e; ' +
    'h d; t d; cx c, d; tdg d; h d; t d; cx b, d; tdg d; cx a, d; t d; cx b, d; tdg d; cx a, d; h d; t d; ' +
    'cx c, d; tdg d; h d; c3sqrtx a, b, c, e; }',
  sxdg: 'gate sxdg a { h a; sdg a; h a; }',
  u0: 'gate u0(gamma) a { }',
};

let parsed: Map<string, GateDefinition> | undefined;

/** The definitions above, parsed once (bodies keep symbolic parameters). */
export function libraryDefinitions(): ReadonlyMap<string, GateDefinition> {
  if (parsed) return parsed;
  // Parsed under private names so they do not collide with qelib1.inc's built-ins of the same name.
  const src = `OPENQASM 2.0;\ninclude "qelib1.inc";\n${Object.values(GATE_DEFINITIONS)
    .map((t) => t.replace(/^gate (\w+)/, 'gate __lib_$1'))
    .join('\n')}\n`;
  const c = parseQasm2(src, { filename: '<gate library>' });
  parsed = new Map();
  for (const [name, def] of c.definitions) {
    const real = name.slice('__lib_'.length);
    parsed.set(real, { ...def, name: real });
  }
  return parsed;
}

let phases: Map<string, number> | undefined;

/**
 * The global phase by which a definition above differs from the gate's exact matrix (0 for most; ecr differs by a
 * constant). OpenQASM 3 writers add it as `gphase` so that `ctrl @` of the defined gate stays exact.
 */
export function definitionPhase(name: string): number {
  if (!phases) phases = computePhases();
  return phases.get(name) ?? 0;
}

function computePhases(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, def] of libraryDefinitions()) {
    const spec = GATES.get(name);
    if (!spec || !def.body) continue;
    const samples = [
      [0.3, -1.1, 2.2, 0.7],
      [1.9, 0.4, -0.8, -2.5],
    ].map((ps) => phaseOffset(spec.matrix(ps.slice(0, spec.numParams)), defMatrix(def, ps)));
    // every definition in the table differs by a constant phase (library.test.ts checks it)
    if (Math.abs(samples[0] - samples[1]) < 1e-9 && Math.abs(samples[0]) > 1e-12) out.set(name, samples[0]);
  }
  return out;
}

function defMatrix(def: GateDefinition, params: readonly number[]): Float64Array {
  const env: Record<string, number> = {};
  def.params.forEach((p, i) => {
    env[p] = params[i];
  });
  const steps: Array<{ matrix: Float64Array; qubits: readonly number[] }> = [];
  for (const b of def.body!) {
    const ps = b.params.map((p) => evalExpr(p, env));
    // bodies may call other library gates (cswap calls ccx): their exact matrices, as a QASM reader would use
    steps.push({ matrix: GATES.get(b.name)!.matrix(ps), qubits: b.qubits });
  }
  return composeUnitary(def.numQubits, steps);
}

/** arg(a / b) at the largest entry of b. */
function phaseOffset(a: Float64Array, b: Float64Array): number {
  let k = 0;
  let best = -1;
  for (let i = 0; i < b.length; i += 2) {
    const m = Math.hypot(b[i], b[i + 1]);
    if (m > best + 1e-12) {
      best = m;
      k = i;
    }
  }
  return Math.atan2(a[k + 1] * b[k] - a[k] * b[k + 1], a[k] * b[k] + a[k + 1] * b[k + 1]);
}
