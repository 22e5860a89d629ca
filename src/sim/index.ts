// The simulator's public face: state-vector kernel, circuit runs, noise models and estimators.
export {
  DEFAULT_MAX_STATE_BYTES,
  MAX_SIM_QUBITS,
  allocState,
  apply1,
  apply2,
  applyControlled1,
  applyDiag1,
  applyDiagonal,
  applyK,
  applyMCX,
  applyPermutation,
  applySwap,
  checkStateMemory,
  collapse,
  initZero,
  norm2,
  probabilitiesInto,
  probabilityOne,
  scaleState,
  stateBytes,
} from './statevector.js';
export { compile, fuse, gateOp, resolveCircuit } from './compile.js';
export type { CompileOptions, Op } from './compile.js';
export { DEFAULT_MAX_SHOTS, applyOp, evolve, sampleIndices, simulate, validateShots } from './simulate.js';
export type { SimulateOptions, SimulateResult } from './simulate.js';
export { expectation, probabilities, sampleExpectation, statevector } from './observables.js';
export type { PauliSum } from './observables.js';
export {
  averageGateFidelity,
  depolarizingParameter,
  gateChannel,
  gateKey,
  gateNoise,
  readoutFlips,
  thermalRelaxation,
} from './noise.js';
export type { GateChannel, GateNoise, NoiseModel, QubitNoise, Relaxation } from './noise.js';
export {
  espBreakdown,
  estimatedSuccessProbability,
  hellingerDistance,
  hellingerFidelity,
  totalVariationDistance,
} from './estimators.js';
export type { EspBreakdown } from './estimators.js';
export { referenceApply, referenceStatevector } from './reference.js';
export { SimulatorInputError, SimulatorMemoryError, UnsupportedInstructionError } from './errors.js';
export { Rng } from './rng.js';
