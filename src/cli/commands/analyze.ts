// `qobs analyze FILE`: the circuit's size, depth, gate counts and SupermarQ features, optionally in a basis.
import type { Command } from 'commander';
import { analyze, type CircuitAnalysis, decompose, parseQasmFile, QasmError } from '../../circuit/index.js';
import { EXIT, ExitError, printJson } from '../util.js';

interface AnalyzeOptions {
  basis?: string;
  json?: boolean;
}

/** The `--json` shape of one analysis (snake_case keys, fixed by the command's contract). */
export function analysisJson(a: CircuitAnalysis): Record<string, unknown> {
  const s = a.supermarq;
  return {
    qubits: a.numQubits,
    clbits: a.numClbits,
    width: a.width,
    depth: a.depth,
    size: a.size,
    ops: a.countOps,
    two_qubit_gates: a.twoQubitGates,
    measurements: a.measurements,
    gates_by_arity: a.gatesByArity,
    supermarq: {
      communication: s.communication,
      critical_depth: s.criticalDepth,
      entanglement: s.entanglement,
      liveness: s.liveness,
      measurement: s.measurement,
      parallelism: s.parallelism,
    },
  };
}

/** Human-readable lines of one analysis. */
export function analysisText(a: CircuitAnalysis): string {
  const s = a.supermarq;
  const ops = Object.entries(a.countOps)
    .map(([n, k]) => `${n}=${k}`)
    .join(' ');
  const f = (x: number) => x.toFixed(4);
  return [
    `qubits ${a.numQubits}  clbits ${a.numClbits}  depth ${a.depth}  size ${a.size}  two-qubit gates ${a.twoQubitGates}  measurements ${a.measurements}`,
    `ops ${ops || '(none)'}`,
    `supermarq communication ${f(s.communication)}  critical_depth ${f(s.criticalDepth)}  entanglement ${f(s.entanglement)}  liveness ${f(s.liveness)}  measurement ${f(s.measurement)}  parallelism ${f(s.parallelism)}`,
  ].join('\n');
}

/** Parses a --basis list such as `cx,u3`. */
export function parseBasis(raw: string): string[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new ExitError(EXIT.input, `qobs: --basis must list gate names, got '${raw}'`);
  return names;
}

function action(file: string, opts: AnalyzeOptions): void {
  let circuit: ReturnType<typeof parseQasmFile>;
  try {
    circuit = parseQasmFile(file);
  } catch (err) {
    if (err instanceof QasmError) throw new ExitError(EXIT.input, err.message);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES')
      throw new ExitError(EXIT.input, `${file}: cannot read: ${(err as Error).message}`);
    throw err;
  }
  const basis = opts.basis !== undefined ? parseBasis(opts.basis) : undefined;
  const a = analyze(basis ? decompose(circuit, basis) : circuit);
  if (opts.json) printJson({ file, basis: basis ?? null, ...analysisJson(a) });
  else process.stdout.write(`${file}${basis ? ` (basis ${basis.join(',')})` : ''}\n${analysisText(a)}\n`);
}

export function register(program: Command): void {
  program
    .command('analyze')
    .description('Analyze an OpenQASM 2 or 3 file: qubits, depth, gate counts, SupermarQ features')
    .argument('<file>', 'OpenQASM file')
    .option('--basis <gates>', 'decompose into these gates first, e.g. cx,u3 or cx,id,rz,sx,x')
    .option('--json', 'print one JSON object')
    .action((file: string, opts: AnalyzeOptions) => action(file, opts));
}
