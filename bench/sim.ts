// Benchmark `sim`: the state-vector kernel against the memory-bandwidth limit, against the quantum-circuit
// and jsqubits npm packages on the same circuits, and noisy shots per second on fake_toronto.
// `npm run bench -- sim [--quick]`; the last stdout line is one JSON object.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { jsqubits } from 'jsqubits';
import QuantumCircuit from 'quantum-circuit';
import { Circuit } from '../src/circuit/index.js';
import {
  type NoiseModel,
  allocState,
  apply1,
  compile,
  evolve,
  initZero,
  probabilitiesInto,
  simulate,
} from '../src/sim/index.js';

const quick = process.argv.includes('--quick');
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures');

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Seconds of the fastest of `reps` runs of fn (the least disturbed by other processes on a shared machine). */
function best(reps: number, fn: () => void): number {
  let b = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    b = Math.min(b, (performance.now() - t0) / 1000);
  }
  return b;
}

// ---------------------------------------------------------------------------------------------------------
// (a) One single-qubit gate pass against a plain read+write pass over the same Float64Array.

/** The reference: every double read, scaled and written back, in a plain loop. */
function readWritePass(a: Float64Array, s: number): void {
  for (let i = 0; i < a.length; i++) a[i] *= s;
}

function gatePass(sizes: number[], minReps: number) {
  const u = new Float64Array([0.6, 0.1, -0.2, 0.77, 0.3, 0.5, 0.8, -0.1]);
  const rows: Array<{
    qubits: number;
    gate_seconds: number;
    readwrite_seconds: number;
    memcpy_seconds: number;
    ratio_vs_memcpy: number;
    ratio_vs_readwrite_loop: number;
  }> = [];
  for (const n of sizes) {
    const state = initZero(allocState(n));
    for (let i = 0; i < state.length; i++) state[i] = 1 / Math.sqrt(state.length);
    const copy = new Float64Array(state.length);
    const targets = [...new Set([0, 1, n >> 1, n - 1])];
    // Warm up both paths so the JIT has compiled them before timing.
    for (const q of targets) apply1(state, n, q, u);
    readWritePass(state, 1);
    // Interleaved rounds, so the gate and the baselines see the same load from other processes; the best
    // time of each over the rounds is kept.
    // Many short rounds for small states: on a loaded machine the best of a few is still disturbed.
    const reps = Math.max(minReps, 2 ** ((quick ? 24 : 26) - n));
    const perQubit = targets.map(() => Number.POSITIVE_INFINITY);
    let rw = Number.POSITIVE_INFINITY;
    let memcpy = Number.POSITIVE_INFINITY;
    for (let r = 0; r < reps; r++) {
      targets.forEach((q, i) => {
        perQubit[i] = Math.min(
          perQubit[i],
          best(1, () => apply1(state, n, q, u)),
        );
      });
      rw = Math.min(
        rw,
        best(1, () => readWritePass(state, 1.0000001)),
      );
      memcpy = Math.min(
        memcpy,
        best(1, () => copy.set(state)),
      );
    }
    const gate = perQubit.reduce((a, b) => a + b, 0) / perQubit.length;
    // The limit is the faster of the two: native memcpy (TypedArray.set) moves the same bytes a pass does.
    const limit = Math.min(rw, memcpy);
    rows.push({
      qubits: n,
      gate_seconds: gate,
      readwrite_seconds: rw,
      memcpy_seconds: memcpy,
      ratio_vs_memcpy: gate / limit,
      ratio_vs_readwrite_loop: gate / rw,
    });
    const gbps = (2 * state.byteLength) / gate / 1e9;
    log(
      `gate pass n=${n}: ${(gate * 1e3).toFixed(1)} ms (mean over qubits ${targets.join(',')}; ` +
        `${gbps.toFixed(1)} GB/s read+write), plain read+write ${(rw * 1e3).toFixed(1)} ms, ` +
        `memcpy ${(memcpy * 1e3).toFixed(1)} ms; ratio ${(gate / limit).toFixed(2)}x the faster of the two`,
    );
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------
// (a2) Both cores: the same single-qubit pass split over two worker threads on a SharedArrayBuffer.

// A self-contained copy of the pass over pair indices [from, to), run inside each worker.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const state = new Float64Array(workerData.buffer);
const flags = new Int32Array(workerData.flags);
const id = workerData.id;
parentPort.on('message', ({ n, q, m, from, to }) => {
  const [m00r, m00i, m01r, m01i, m10r, m10i, m11r, m11i] = m;
  const low = (1 << q) - 1;
  const half = 2 << q;
  for (let k = from; k < to; k++) {
    const i = 2 * (((k >> q) << (q + 1)) | (k & low));
    const j = i + half;
    const ar = state[i], ai = state[i + 1], br = state[j], bi = state[j + 1];
    state[i] = m00r * ar - m00i * ai + m01r * br - m01i * bi;
    state[i + 1] = m00r * ai + m00i * ar + m01r * bi + m01i * br;
    state[j] = m10r * ar - m10i * ai + m11r * br - m11i * bi;
    state[j + 1] = m10r * ai + m10i * ar + m11r * bi + m11i * br;
  }
  Atomics.store(flags, id, 1);
  Atomics.notify(flags, id);
});
`;

async function threads(sizes: number[], reps: number) {
  const { Worker } = await import('node:worker_threads');
  const u = [0.6, 0.1, -0.2, 0.77, 0.3, 0.5, 0.8, -0.1];
  const rows: Array<{
    qubits: number;
    one_thread_seconds: number;
    two_workers_seconds: number;
    speedup: number;
  }> = [];
  for (const n of sizes) {
    const buffer = new SharedArrayBuffer(16 * 2 ** n);
    const flags = new SharedArrayBuffer(8);
    const state = new Float64Array(buffer);
    state.fill(1 / Math.sqrt(state.length));
    const fl = new Int32Array(flags);
    const workers = [0, 1].map(
      (id) => new Worker(WORKER_SOURCE, { eval: true, workerData: { buffer, flags, id } }),
    );
    const pairs = 2 ** (n - 1);
    const targets = [...new Set([0, 1, n >> 1, n - 1])];
    const parallel = (q: number) => {
      fl[0] = 0;
      fl[1] = 0;
      workers[0].postMessage({ n, q, m: u, from: 0, to: pairs / 2 });
      workers[1].postMessage({ n, q, m: u, from: pairs / 2, to: pairs });
      Atomics.wait(fl, 0, 0);
      Atomics.wait(fl, 1, 0);
    };
    for (const q of targets) parallel(q); // warm-up
    const mat = new Float64Array(u);
    for (const q of targets) apply1(state, n, q, mat);
    const one =
      targets.map((q) => best(reps, () => apply1(state, n, q, mat))).reduce((a, b) => a + b, 0) /
      targets.length;
    const two = targets.map((q) => best(reps, () => parallel(q))).reduce((a, b) => a + b, 0) / targets.length;
    for (const w of workers) await w.terminate();
    rows.push({ qubits: n, one_thread_seconds: one, two_workers_seconds: two, speedup: one / two });
    log(
      `two worker threads n=${n}: ${(two * 1e3).toFixed(1)} ms vs one thread ${(one * 1e3).toFixed(1)} ms = ${(one / two).toFixed(2)}x`,
    );
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------
// (b) The same circuits on qobs, quantum-circuit and jsqubits.

type G = { name: 'ry' | 'rz' | 'h' | 'cx' | 'cp' | 'swap'; qubits: number[]; angle?: number };

/** A seeded xorshift for reproducible random circuits. */
function lcg(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** A dense product state (ry layer) followed by the QFT (Qiskit's: H, controlled phases, final swaps). */
function qftGates(n: number): G[] {
  const rnd = lcg(1000 + n);
  const gs: G[] = [];
  for (let q = 0; q < n; q++) gs.push({ name: 'ry', qubits: [q], angle: 0.3 + 2 * rnd() });
  for (let j = n - 1; j >= 0; j--) {
    gs.push({ name: 'h', qubits: [j] });
    for (let k = j - 1; k >= 0; k--) gs.push({ name: 'cp', qubits: [k, j], angle: Math.PI / 2 ** (j - k) });
  }
  for (let q = 0; q < n >> 1; q++) gs.push({ name: 'swap', qubits: [q, n - 1 - q] });
  return gs;
}

/** An ry layer, then layers of random ry and rz on every qubit and a brickwork of cx: dense and unstructured. */
function randomGates(n: number, layers: number): G[] {
  const rnd = lcg(2000 + n);
  const gs: G[] = [];
  // The same dense product-state prep as the QFT circuits: n ry gates first.
  for (let q = 0; q < n; q++) gs.push({ name: 'ry', qubits: [q], angle: 0.3 + 2 * rnd() });
  for (let l = 0; l < layers; l++) {
    for (let q = 0; q < n; q++) {
      gs.push({ name: 'ry', qubits: [q], angle: 2 * Math.PI * rnd() });
      gs.push({ name: 'rz', qubits: [q], angle: 2 * Math.PI * rnd() });
    }
    for (let q = l % 2; q + 1 < n; q += 2) gs.push({ name: 'cx', qubits: [q, q + 1] });
  }
  return gs;
}

function toCircuit(n: number, gs: G[]): Circuit {
  const c = new Circuit(n);
  for (const g of gs) c.gate(g.name, g.qubits, g.angle === undefined ? [] : [g.angle]);
  return c;
}

function runQobs(n: number, gs: G[]): Float64Array {
  return evolve(compile(toCircuit(n, gs)), n);
}

type QcInstance = {
  appendGate(name: string, wires: number | number[], options?: unknown): void;
  run(): void;
  state: Record<string, { re: number; im: number }>;
};

function runQuantumCircuit(n: number, gs: G[]): QcInstance {
  const qc = new (QuantumCircuit as unknown as new (n: number) => QcInstance)(n);
  for (const g of gs) {
    switch (g.name) {
      case 'ry':
        qc.appendGate('ry', g.qubits[0], { params: { theta: g.angle } });
        break;
      case 'rz':
        qc.appendGate('rz', g.qubits[0], { params: { phi: g.angle } });
        break;
      case 'h':
        qc.appendGate('h', g.qubits[0]);
        break;
      case 'cx':
        qc.appendGate('cx', g.qubits);
        break;
      case 'cp':
        qc.appendGate('cu1', g.qubits, { params: { lambda: g.angle } });
        break;
      case 'swap':
        qc.appendGate('swap', g.qubits);
        break;
    }
  }
  qc.run();
  return qc;
}

type JsqState = {
  rotateY(t: number, a: number): JsqState;
  rotateZ(t: number, a: number): JsqState;
  hadamard(t: number): JsqState;
  cnot(c: number, t: number): JsqState;
  controlledR(c: number, t: number, a: number): JsqState;
  swap(a: number, b: number): JsqState;
  amplitude(i: number): { real: number; imaginary: number };
};

function runJsqubits(n: number, gs: G[]): JsqState {
  let s = (jsqubits as unknown as (bits: string) => JsqState)(`|${'0'.repeat(n)}>`);
  for (const g of gs) {
    const [a, b] = g.qubits;
    switch (g.name) {
      case 'ry':
        s = s.rotateY(a, g.angle!);
        break;
      case 'rz':
        s = s.rotateZ(a, g.angle!);
        break;
      case 'h':
        s = s.hadamard(a);
        break;
      case 'cx':
        s = s.cnot(a, b);
        break;
      case 'cp':
        s = s.controlledR(a, b, g.angle!);
        break;
      case 'swap':
        s = s.swap(a, b);
        break;
    }
  }
  return s;
}

/** Largest |p_a - p_b| over basis states, trying the peer's bit order as is and reversed. */
function probabilityGap(n: number, ours: Float64Array, peer: (i: number) => number): number {
  const p = probabilitiesInto(ours, new Float64Array(1 << n));
  const rev = (i: number) => {
    let r = 0;
    for (let q = 0; q < n; q++) if ((i >> q) & 1) r |= 1 << (n - 1 - q);
    return r;
  };
  let same = 0;
  let reversed = 0;
  for (let i = 0; i < p.length; i++) {
    same = Math.max(same, Math.abs(p[i] - peer(i)));
    reversed = Math.max(reversed, Math.abs(p[rev(i)] - peer(i)));
  }
  return Math.min(same, reversed);
}

/**
 * Seconds a peer takes for the whole circuit of `total` gates whose first `prep` gates are the ry layer that
 * makes the state dense. quantum-circuit and jsqubits store amplitudes sparsely, so that layer is cheap and
 * every later gate costs about the same. The prep layer is timed, then prefixes with m more gates (m doubling)
 * until the extra gates take a quarter of `budgetSeconds` or the circuit is complete; an incomplete run is
 * extrapolated as t(prep) + (t(prep + m) − t(prep)) · (total − prep) / m.
 */
function timePeer(total: number, prep: number, budgetSeconds: number, run: (k: number) => void) {
  const time = (k: number) => {
    const t0 = performance.now();
    run(k);
    return (performance.now() - t0) / 1000;
  };
  const tPrep = time(prep);
  let m = Math.min(total - prep, 4);
  for (;;) {
    const s = time(prep + m);
    if (prep + m === total) return { seconds: s, gatesRun: total, extrapolated: false };
    if (s - tPrep >= budgetSeconds / 4) {
      const perGate = Math.max(0, s - tPrep) / m;
      return { seconds: tPrep + perGate * (total - prep), gatesRun: prep + m, extrapolated: true };
    }
    m = Math.min(total - prep, 2 * m);
  }
}

function peers(sizes: number[], layers: number, budgetSeconds: number) {
  // Check on a small instance that the three simulators compute the same distributions.
  const check = 6;
  const agree: Record<string, number> = {};
  for (const [kind, gs] of [
    ['qft', qftGates(check)],
    ['random', randomGates(check, 3)],
  ] as const) {
    const ours = runQobs(check, gs);
    const qc = runQuantumCircuit(check, gs);
    const jq = runJsqubits(check, gs);
    agree[`quantum-circuit ${kind}`] = probabilityGap(check, ours, (i) => {
      const a = qc.state[String(i)];
      return a ? a.re * a.re + a.im * a.im : 0;
    });
    agree[`jsqubits ${kind}`] = probabilityGap(check, ours, (i) => {
      const a = jq.amplitude(i);
      return a.real * a.real + a.imaginary * a.imaginary;
    });
  }
  for (const [k, v] of Object.entries(agree))
    log(`agreement ${k} (6 qubits): max |Δp| = ${v.toExponential(2)}`);

  const rows: Array<Record<string, number | string | boolean>> = [];
  for (const n of sizes) {
    for (const [kind, gs] of [
      ['qft', qftGates(n)],
      ['random', randomGates(n, layers)],
    ] as const) {
      runQobs(n, gs); // warm-up
      const ours = best(3, () => runQobs(n, gs));
      const qc = timePeer(gs.length, n, budgetSeconds, (k) => runQuantumCircuit(n, gs.slice(0, k)));
      const jq = timePeer(gs.length, n, budgetSeconds, (k) => runJsqubits(n, gs.slice(0, k)));
      const row = {
        circuit: `${kind}-${n}`,
        gates: gs.length,
        qobs_seconds: ours,
        quantum_circuit_seconds: qc.seconds,
        quantum_circuit_extrapolated_from_gates: qc.extrapolated ? qc.gatesRun : 0,
        jsqubits_seconds: jq.seconds,
        jsqubits_extrapolated_from_gates: jq.extrapolated ? jq.gatesRun : 0,
        speedup_vs_quantum_circuit: qc.seconds / ours,
        speedup_vs_jsqubits: jq.seconds / ours,
      };
      rows.push(row);
      const note = (x: { extrapolated: boolean; gatesRun: number }) =>
        x.extrapolated ? ` (extrapolated from the first ${x.gatesRun} of ${gs.length} gates)` : '';
      log(
        `${row.circuit} (${gs.length} gates): qobs ${(ours * 1e3).toFixed(1)} ms; ` +
          `quantum-circuit ${qc.seconds.toFixed(2)} s${note(qc)} = ${row.speedup_vs_quantum_circuit.toFixed(0)}x; ` +
          `jsqubits ${jq.seconds.toFixed(2)} s${note(jq)} = ${row.speedup_vs_jsqubits.toFixed(0)}x`,
      );
    }
  }
  return { rows, agree };
}

// ---------------------------------------------------------------------------------------------------------
// (c) Noisy shots per second on fake_toronto.

/** A NoiseModel for toronto's `physical` qubits, through the devices module when it loads, else from the JSON. */
async function torontoNoise(physical: number[]): Promise<{ model: NoiseModel; source: string }> {
  const propsPath = path.join(fixtures, 'devices', 'ibm', 'toronto', 'props_toronto.json');
  const confPath = path.join(fixtures, 'devices', 'ibm', 'toronto', 'conf_toronto.json');
  const props = JSON.parse(readFileSync(propsPath, 'utf8'));
  const conf = JSON.parse(readFileSync(confPath, 'utf8'));
  try {
    const devices = await import('../src/devices/index.js');
    const cal = devices.readIbmCalibration(props, conf);
    return {
      model: devices.noiseModelFromCalibration(cal, physical),
      source: 'devices.noiseModelFromCalibration',
    };
  } catch (err) {
    log(`devices module unavailable (${(err as Error).message}); building the noise model from the JSON`);
  }
  const unit: Record<string, number> = { us: 1e-6, ns: 1e-9, ms: 1e-3, s: 1 };
  type P = { name: string; unit: string; value: number };
  const qubits = physical.map((p) => {
    const get = (name: string) => (props.qubits[p] as P[]).find((e) => e.name === name);
    const t = (name: string) => {
      const e = get(name);
      return e ? e.value * unit[e.unit] : undefined;
    };
    return {
      t1Seconds: t('T1'),
      t2Seconds: t('T2'),
      probMeas0Prep1: get('prob_meas0_prep1')?.value,
      probMeas1Prep0: get('prob_meas1_prep0')?.value,
    };
  });
  const gates = new Map<string, { error?: number; lengthSeconds?: number }>();
  for (const g of props.gates as Array<{ gate: string; qubits: number[]; parameters: P[] }>) {
    const local = g.qubits.map((q) => physical.indexOf(q));
    if (local.some((q) => q < 0)) continue;
    const e = g.parameters.find((p) => p.name === 'gate_error');
    const l = g.parameters.find((p) => p.name === 'gate_length');
    gates.set(`${g.gate}:${local.join('_')}`, {
      error: e?.value,
      lengthSeconds: l ? l.value * unit[l.unit] : undefined,
    });
  }
  return { model: { qubits, gates }, source: 'bench (props JSON)' };
}

/** A layered circuit in toronto's basis (rz, sx, cx) on a chain of `n` local qubits, measured. */
function basisCircuit(n: number, layers: number): Circuit {
  const rnd = lcg(3000 + n);
  const c = new Circuit(n);
  for (let l = 0; l < layers; l++) {
    for (let q = 0; q < n; q++)
      c.rz(2 * Math.PI * rnd(), q)
        .sx(q)
        .rz(2 * Math.PI * rnd(), q);
    for (let q = l % 2; q + 1 < n; q += 2) c.cx(q, q + 1);
  }
  return c.measureAll();
}

async function noisyShots(shotBudgetSeconds: number) {
  // Coupled chains of toronto (coupling map of conf_toronto.json).
  const chains: Record<number, number[]> = {
    5: [0, 1, 2, 3, 5],
    12: [0, 1, 2, 3, 5, 8, 11, 14, 13, 12, 10, 7],
  };
  const rows: Array<Record<string, number | string>> = [];
  for (const [nStr, chain] of Object.entries(chains)) {
    const n = Number(nStr);
    const { model, source } = await torontoNoise(chain);
    const c = basisCircuit(n, 4);
    simulate(c, { shots: 50, seed: 1, noise: model }); // warm-up
    let shots = quick ? 50 : 200;
    let seconds = 0;
    for (;;) {
      const t0 = performance.now();
      simulate(c, { shots, seed: 2, noise: model });
      seconds = (performance.now() - t0) / 1000;
      if (seconds > shotBudgetSeconds / 3 || shots >= 1_000_000) break;
      shots *= 4;
    }
    const gates = c.instructions.filter((i) => i.name !== 'measure' && i.name !== 'barrier').length;
    rows.push({ qubits: n, gates, shots, seconds, shots_per_second: shots / seconds, noise_model: source });
    log(
      `noisy fake_toronto ${n} qubits (${gates} gates, physical ${chain.join(',')}): ${shots} shots in ${seconds.toFixed(2)} s = ${(shots / seconds).toFixed(0)} shots/s [${source}]`,
    );
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------

async function main() {
  const t0 = performance.now();
  log(
    `bench sim${quick ? ' --quick' : ''}: node ${process.version}; figures taken on a shared 2-core machine under concurrent load`,
  );
  const passRows = gatePass(quick ? [18, 20] : [20, 22, 24], quick ? 4 : 8);
  log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] gate pass done`);
  const threadRows = await threads(quick ? [18] : [22, 24], quick ? 3 : 5);
  log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] threads done`);
  const { rows: peerRows, agree } = peers(quick ? [12, 13] : [16, 18, 20], quick ? 5 : 10, quick ? 1 : 20);
  log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] peers done`);
  const noisyRows = await noisyShots(quick ? 2 : 8);
  const worstRatio = Math.max(...passRows.map((r) => r.ratio_vs_memcpy));
  const result = {
    bench: 'sim',
    quick,
    gate_pass_ratio_vs_memcpy: worstRatio,
    gate_pass: passRows,
    two_worker_threads: threadRows,
    speedup_vs_quantum_circuit: Math.min(...peerRows.map((r) => r.speedup_vs_quantum_circuit as number)),
    speedup_vs_jsqubits: Math.min(...peerRows.map((r) => r.speedup_vs_jsqubits as number)),
    peer_probability_gap_6q: Math.max(...Object.values(agree)),
    circuits: peerRows,
    noisy_shots_per_second_5q: noisyRows[0].shots_per_second,
    noisy_shots_per_second_12q: noisyRows[1].shots_per_second,
    noisy: noisyRows,
    duration_seconds: (performance.now() - t0) / 1000,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
