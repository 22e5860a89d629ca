// Benchmark `circuit`: OpenQASM parse + analyze throughput on the largest QASMBench files, side by side with the
// quantum-circuit npm package (importQASM, then getDepth) on the same files in the same run.
// `npm run bench -- circuit [--quick]`; the last stdout line is one JSON object.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import QuantumCircuit from 'quantum-circuit';
import { analyze, parseQasm } from '../src/circuit/index.js';

const quick = process.argv.includes('--quick');
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const qasmbench = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'qasmbench');

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Seconds of the fastest of at least `reps` runs, repeated until `minSeconds` have passed: on a shared machine the
 * fastest run is the one least disturbed by other processes, and more runs give it more chances.
 */
function best(reps: number, fn: () => void, minSeconds = 0): number {
  let b = Number.POSITIVE_INFINITY;
  const start = performance.now();
  for (let r = 0; r < reps || (performance.now() - start) / 1000 < minSeconds; r++) {
    const t0 = performance.now();
    fn();
    b = Math.min(b, (performance.now() - t0) / 1000);
  }
  return b;
}

/** CPU seconds (user + system) of this process per run of fn, averaged over `reps` runs. */
function cpuPerRun(reps: number, fn: () => void): number {
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6 / reps;
}

interface Bench {
  name: string;
  source: string;
  bytes: number;
  /** Operations qobs reads from the file (gates, measurements, resets, barriers): the unit of both throughputs. */
  gates: number;
}

// The largest files of the suite. quantum-circuit needs about a minute for bwt_n21 (112,830 operations) alone,
// so --quick leaves that one file out, for both engines.
const all: Bench[] = [];
for (const size of ['small', 'medium']) {
  for (const dir of readdirSync(path.join(qasmbench, size))) {
    for (const f of readdirSync(path.join(qasmbench, size, dir))) {
      if (!f.endsWith('.qasm')) continue;
      const file = path.join(qasmbench, size, dir, f);
      const bytes = statSync(file).size;
      if (bytes === 0) continue;
      const source = readFileSync(file, 'utf8');
      all.push({ name: f, source, bytes, gates: parseQasm(source).instructions.length });
    }
  }
}
all.sort((a, b) => b.gates - a.gates);
const files = (quick ? all.filter((b) => b.gates < 50_000) : all).slice(0, quick ? 4 : 6);
const totalGates = files.reduce((s, b) => s + b.gates, 0);

log(
  `circuit benchmark${quick ? ' (--quick)' : ''}: ${files.length} largest QASMBench files, ${totalGates} operations`,
);
log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown'} x${os.cpus().length}, load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);

// qobs: warm up, then the best of several passes over all files.
const reps = quick ? 5 : 15;
for (let i = 0; i < 3; i++) for (const b of files) analyze(parseQasm(b.source));
const minSeconds = quick ? 0.5 : 2;
const perFile = files.map((b) => {
  const parseS = best(
    reps,
    () => {
      parseQasm(b.source);
    },
    minSeconds,
  );
  const circuit = parseQasm(b.source);
  const analyzeS = best(
    reps,
    () => {
      analyze(circuit);
    },
    minSeconds,
  );
  const bothS = best(
    reps,
    () => {
      analyze(parseQasm(b.source));
    },
    minSeconds,
  );
  return { ...b, parseS, analyzeS, bothS, depth: analyze(circuit).depth };
});
const qobsSeconds = perFile.reduce((s, f) => s + f.bothS, 0);
// CPU time as a second view: on a machine shared with other jobs, wall time also counts time spent descheduled
const qobsCpuSeconds = cpuPerRun(reps, () => {
  for (const b of files) analyze(parseQasm(b.source));
});
const parseSeconds = perFile.reduce((s, f) => s + f.parseS, 0);
const analyzeSeconds = perFile.reduce((s, f) => s + f.analyzeS, 0);
const gatesPerSecond = totalGates / qobsSeconds;

// quantum-circuit: importQASM then getDepth, one timed pass per file after a warm-up on a small circuit.
const warm = new QuantumCircuit();
warm.importQASM('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0],q[1];\n', () => {});
warm.getDepth();
// quantum-circuit runs about a thousand times slower: under --quick it stops starting new files after 20 s (the
// smallest first), and the comparison uses only the files it finished, for both engines.
const qcBudgetSeconds = quick ? 20 : Number.POSITIVE_INFINITY;
const qcStart = performance.now();
const qcPerFile: Array<
  { name: string; seconds: number; cpuSeconds: number; depth: number; errors: number } | undefined
> = files.map(() => undefined);
for (const i of files.map((_, k) => k).sort((a, b) => files[a].gates - files[b].gates)) {
  if ((performance.now() - qcStart) / 1000 > qcBudgetSeconds) break;
  const b = files[i];
  let depth = 0;
  let errors = 0;
  const c0 = process.cpuUsage();
  const s = best(1, () => {
    const qc = new QuantumCircuit();
    qc.importQASM(b.source, (errs: unknown[]) => {
      errors = errs?.length ?? 0;
    });
    depth = qc.getDepth();
  });
  const c = process.cpuUsage(c0);
  qcPerFile[i] = { name: b.name, seconds: s, cpuSeconds: (c.user + c.system) / 1e6, depth, errors };
}
const compared = files.map((_, i) => i).filter((i) => qcPerFile[i] !== undefined);
const comparedGates = compared.reduce((s, i) => s + files[i].gates, 0);
const qcSeconds = compared.reduce((s, i) => s + qcPerFile[i]!.seconds, 0);
const qcCpuSeconds = compared.reduce((s, i) => s + qcPerFile[i]!.cpuSeconds, 0);
const qobsComparedSeconds = compared.reduce((s, i) => s + perFile[i].bothS, 0);
const qcGatesPerSecond = comparedGates / qcSeconds;
const ratio = comparedGates / qobsComparedSeconds / qcGatesPerSecond;
const qcGatesPerCpuSecond = comparedGates / qcCpuSeconds;

log('');
log('| file | operations | qobs parse + analyze | qobs depth | quantum-circuit import + depth | its depth |');
log('|---|---|---|---|---|---|');
perFile.forEach((f, i) => {
  const q = qcPerFile[i];
  const theirs = q
    ? `${(q.seconds * 1000).toFixed(0)} ms | ${q.depth}${q.errors ? ` (${q.errors} errors)` : ''}`
    : 'not run (time budget) | -';
  log(`| ${f.name} | ${f.gates} | ${(f.bothS * 1000).toFixed(2)} ms | ${f.depth} | ${theirs} |`);
});
log('');
log(
  `qobs: ${(gatesPerSecond / 1e6).toFixed(2)} M operations/s parse + analyze (parse alone ${(totalGates / parseSeconds / 1e6).toFixed(2)} M/s, analyze alone ${(totalGates / analyzeSeconds / 1e6).toFixed(2)} M/s)`,
);
log(
  `quantum-circuit: ${qcGatesPerSecond.toFixed(0)} operations/s on ${compared.length} files; ratio ${ratio.toFixed(0)}x on those files`,
);
log(
  `per CPU second: qobs ${(totalGates / qobsCpuSeconds / 1e6).toFixed(2)} M, quantum-circuit ${qcGatesPerCpuSecond.toFixed(0)}, ratio ${(totalGates / qobsCpuSeconds / qcGatesPerCpuSecond).toFixed(0)}x`,
);
log(
  `targets: >= 2,000,000 operations/s ${gatesPerSecond >= 2e6 ? 'met' : 'NOT met'}; >= 200x quantum-circuit ${ratio >= 200 ? 'met' : 'NOT met'}`,
);

log(
  JSON.stringify({
    bench: 'circuit',
    quick,
    files: files.map((f) => f.name),
    operations: totalGates,
    gates_per_second: Math.round(gatesPerSecond),
    parse_gates_per_second: Math.round(totalGates / parseSeconds),
    analyze_gates_per_second: Math.round(totalGates / analyzeSeconds),
    quantum_circuit_gates_per_second: Math.round(qcGatesPerSecond),
    ratio_vs_quantum_circuit: Math.round(ratio * 10) / 10,
    gates_per_cpu_second: Math.round(totalGates / qobsCpuSeconds),
    quantum_circuit_gates_per_cpu_second: Math.round(qcGatesPerCpuSecond),
    quantum_circuit_files: compared.map((i) => files[i].name),
    load_average: os.loadavg()[0],
  }),
);
