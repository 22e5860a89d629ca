// The semantic conventions of qobs: span names and attributes, log event types, metric names, labels and buckets.

/** Span attribute keys (OpenTelemetry); every one is documented in docs/semconv.md. */
export const ATTR = {
  circuitName: 'quantum.circuit.name',
  provider: 'quantum.provider',
  device: 'quantum.device',
  shots: 'quantum.shots',
  qubits: 'quantum.qubits',
  circuitDepth: 'quantum.circuit.depth',
  circuitGateCount: 'quantum.circuit.gate_count',
  circuitTwoQubitGates: 'quantum.circuit.two_qubit_gates',
  circuitType: 'quantum.circuit.type',
  executionTime: 'quantum.execution.time',
  executionQueueTime: 'quantum.execution.queue_time',
  executionCost: 'quantum.execution.cost',
  executionSuccess: 'quantum.execution.success',
  errorType: 'quantum.error.type',
  errorMessage: 'quantum.error.message',
  fidelity: 'quantum.fidelity',
  fidelityMethod: 'quantum.fidelity.method',
  noiseLevel: 'quantum.noise_level',
  gateError: 'quantum.gate_error',
  readoutError: 'quantum.readout_error',
  algorithmName: 'quantum.algorithm.name',
  algorithmType: 'quantum.algorithm.type',
  layerIndex: 'quantum.layer.index',
  layerType: 'quantum.layer.type',
  problemType: 'quantum.problem.type',
  problemSize: 'quantum.problem.size',
  modelName: 'ml.model.name',
  trainingEpochs: 'ml.training.epochs',
  trainingEpoch: 'ml.training.epoch',
  trainingBatchSize: 'ml.training.batch_size',
  trainingFinalLoss: 'ml.training.final_loss',
  trainingAccuracy: 'ml.training.accuracy',
  epochLoss: 'ml.training.epoch.loss',
  epochAccuracy: 'ml.training.epoch.accuracy',
  parameterCount: 'quantum.parameter.count',
  jobId: 'quantum.job.id',
} as const;

/** Span name prefixes: `quantum_circuit {name}`, `quantum_algorithm {name}`, `quantum_training {model}`. */
export const SPAN = {
  circuit: 'quantum_circuit',
  algorithm: 'quantum_algorithm',
  training: 'quantum_training',
  layer: 'quantum_layer',
  epoch: 'quantum_training_epoch',
} as const;

/** The six log event types. */
export const EVENT_TYPES = [
  'quantum_circuit_execution',
  'quantum_hardware_event',
  'quantum_algorithm_performance',
  'quantum_cost_event',
  'quantum_error',
  'quantum_security_event',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Buckets fixed by DESIGN.md §3 (kept from the original specification so dashboards keep working). */
export const BUCKETS = {
  executionSeconds: [0.1, 0.5, 1, 5, 10, 30, 60, 300],
  queueSeconds: [1, 5, 30, 60, 300, 900, 1800],
  depth: [1, 5, 10, 20, 50, 100, 200, 500],
  gates: [1, 10, 50, 100, 500, 1000, 5000],
  /** Not in the original specification; chosen like `gates`, starting at 0 for circuits without entanglement. */
  twoQubitGates: [0, 1, 5, 10, 50, 100, 500, 1000],
} as const;

/** Values of the `status` label of `quantum_circuit_executions_total`. */
export const EXECUTION_STATUS = { success: 'success', error: 'error', cancelled: 'cancelled' } as const;
export type ExecutionStatus = (typeof EXECUTION_STATUS)[keyof typeof EXECUTION_STATUS];

/** Fidelity always carries how it was obtained. */
export type FidelityMethod = 'hellinger' | 'esp';
