// Noise models: the structural NoiseModel contract devices build from calibrations, and its channels.
//
// Conversion of a reported gate error into a depolarizing parameter follows Qiskit Aer's
// basic_device_noise_model (`_device_depolarizing_error`): the reported error e = 1 - F_avg is taken to be
// the average gate infidelity of (depolarizing ∘ thermal relaxation); with F_r the average gate fidelity
// of the relaxation part and d = 2^k,
//     λ = d (e - (1 - F_r)) / (d F_r - 1),   e clipped to d/(d+1), λ clipped to 4^k/(4^k - 1),
// and no depolarizing error at all when e <= 1 - F_r (relaxation already explains the error).

/** Per-qubit calibration the noise channels need. Times in seconds, probabilities in [0, 1]. */
export interface QubitNoise {
  readonly t1Seconds?: number;
  readonly t2Seconds?: number;
  /** p(read 0 | prepared 1). */
  readonly probMeas0Prep1?: number;
  /** p(read 1 | prepared 0). */
  readonly probMeas1Prep0?: number;
}

/** One gate's calibration on specific qubits. */
export interface GateNoise {
  /** Reported average gate error (IBM's `gate_error`), 1 - average gate fidelity. */
  readonly error?: number;
  readonly lengthSeconds?: number;
}

/** What devices build from a calibration; gates are keyed by gateKey(name, qubits), e.g. `cx:0_1`, `sx:3`. */
export interface NoiseModel {
  readonly qubits: ReadonlyArray<QubitNoise>;
  readonly gates: ReadonlyMap<string, GateNoise>;
  /** Used for a gate with no entry of its own (e.g. a gate outside the device's basis). */
  readonly defaultGate?: GateNoise;
}

/** The key of a gate in NoiseModel.gates: `${gate}:${qubits.join('_')}`. */
export function gateKey(gate: string, qubits: readonly number[]): string {
  return `${gate}:${qubits.join('_')}`;
}

/** The calibration entry of a gate, falling back to the model's defaultGate. */
export function gateNoise(model: NoiseModel, gate: string, qubits: readonly number[]): GateNoise | undefined {
  return model.gates.get(gateKey(gate, qubits)) ?? model.defaultGate;
}

/**
 * Thermal relaxation of one qubit for `timeSeconds`, toward |0> (zero excited-state population), as
 * amplitude damping (jump probability gamma = 1 - e^{-t/T1}) followed by a phase flip with probability
 * `phaseFlip` chosen so that coherences decay as e^{-t/T2} overall. T2 is clipped to 2·T1 as Aer does.
 */
export interface Relaxation {
  readonly qubit: number;
  readonly gamma: number;
  readonly phaseFlip: number;
  /** Process fidelity of the channel against the identity: (1 + 2e^{-t/T2} + e^{-t/T1}) / 4. */
  readonly processFidelity: number;
}

/** The relaxation of `qubit` over `timeSeconds`, or undefined when it is the identity. */
export function thermalRelaxation(
  qubit: number,
  t1Seconds: number | undefined,
  t2Seconds: number | undefined,
  timeSeconds: number,
): Relaxation | undefined {
  if (!(timeSeconds > 0)) return undefined;
  const t1 = t1Seconds !== undefined && t1Seconds > 0 ? t1Seconds : Number.POSITIVE_INFINITY;
  let t2 = t2Seconds !== undefined && t2Seconds > 0 ? t2Seconds : Number.POSITIVE_INFINITY;
  t2 = Math.min(t2, 2 * t1);
  if (t1 === Number.POSITIVE_INFINITY && t2 === Number.POSITIVE_INFINITY) return undefined;
  const e1 = Math.exp(-timeSeconds / t1);
  const e2 = Math.exp(-timeSeconds / t2);
  // Amplitude damping leaves coherences at sqrt(e1); the phase flip supplies the rest of e2.
  const rest = Math.min(1, e2 / Math.sqrt(e1));
  return { qubit, gamma: 1 - e1, phaseFlip: (1 - rest) / 2, processFidelity: (1 + 2 * e2 + e1) / 4 };
}

/** The error channel applied after one gate in a trajectory: depolarizing, then relaxation per qubit. */
export interface GateChannel {
  /** Probability of a uniformly drawn non-identity Pauli on all the gate's qubits: λ (4^k - 1) / 4^k. */
  readonly pauliProbability: number;
  /** The depolarizing parameter λ of (1 - λ)ρ + λ I/d. */
  readonly depolarizing: number;
  readonly relaxations: readonly Relaxation[];
}

/** Average gate fidelity of a channel on k qubits from its process fidelity: (d F_pro + 1) / (d + 1). */
export function averageGateFidelity(processFidelity: number, numQubits: number): number {
  const d = 2 ** numQubits;
  return (d * processFidelity + 1) / (d + 1);
}

/**
 * The depolarizing parameter λ that, composed with relaxation of average gate fidelity `relaxFidelity`,
 * gives the reported average gate error (Aer's basic_device_noise_model; see the module comment).
 */
export function depolarizingParameter(gateError: number, numQubits: number, relaxFidelity = 1): number {
  const relaxInfidelity = 1 - relaxFidelity;
  if (!(gateError > relaxInfidelity)) return 0;
  const d = 2 ** numQubits;
  const e = Math.min(gateError, d / (d + 1));
  const lambda = (d * (e - relaxInfidelity)) / (d * relaxFidelity - 1);
  const max = 4 ** numQubits / (4 ** numQubits - 1);
  return Math.min(lambda, max);
}

/** The channel after gate `name` on `qubits`, or undefined when the model gives it no error. */
export function gateChannel(
  model: NoiseModel,
  name: string,
  qubits: readonly number[],
): GateChannel | undefined {
  const g = gateNoise(model, name, qubits);
  if (g === undefined) return undefined;
  const relaxations: Relaxation[] = [];
  let processFidelity = 1;
  if (g.lengthSeconds !== undefined && g.lengthSeconds > 0) {
    for (const q of qubits) {
      const qn = model.qubits[q];
      const r = thermalRelaxation(q, qn?.t1Seconds, qn?.t2Seconds, g.lengthSeconds);
      if (r) {
        relaxations.push(r);
        processFidelity *= r.processFidelity;
      }
    }
  }
  const relaxFidelity = averageGateFidelity(processFidelity, qubits.length);
  const lambda = g.error !== undefined ? depolarizingParameter(g.error, qubits.length, relaxFidelity) : 0;
  const d2 = 4 ** qubits.length;
  if (lambda === 0 && relaxations.length === 0) return undefined;
  return { depolarizing: lambda, pauliProbability: (lambda * (d2 - 1)) / d2, relaxations };
}

/** Readout confusion of a qubit: [p(read 1 | 0), p(read 0 | 1)]. */
export function readoutFlips(model: NoiseModel, qubit: number): readonly [number, number] {
  const q = model.qubits[qubit];
  return [q?.probMeas1Prep0 ?? 0, q?.probMeas0Prep1 ?? 0];
}
