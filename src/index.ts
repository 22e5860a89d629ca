// qobs public API: instrument quantum workloads, analyze and simulate circuits.
export * from './circuit/index.js';
export { QobsError, QobsConfigError } from './errors.js';
export * from './telemetry/index.js';
export {
  estimatedSuccessProbability,
  expectation,
  hellingerFidelity,
  probabilities,
  sampleExpectation,
  simulate,
  SimulatorInputError,
  SimulatorMemoryError,
  statevector,
  totalVariationDistance,
  validateShots,
} from './sim/index.js';
export type { NoiseModel, PauliSum, SimulateOptions, SimulateResult } from './sim/index.js';
export {
  CalibrationFormatError,
  createLocalDevice,
  deviceFromCalibration,
  DeviceUnavailableError,
  getDevice,
  listLocalDevices,
  LocalDevice,
  noiseModelFromCalibration,
  readIbmCalibration,
  UnknownDeviceError,
} from './devices/index.js';
export type {
  Calibration,
  Device,
  DeviceStatus,
  JobHandle,
  JobRecord,
  SubmitOptions,
} from './devices/index.js';
export * from './cost/index.js';
export {
  BraketProvider,
  IbmProvider,
  IonqProvider,
  LocalProvider,
  ProviderAuthError,
  ProviderError,
  ProviderForbiddenError,
  ProviderNotFoundError,
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from './devices/index.js';
export type { Provider, ProviderDevice, RetryOptions } from './devices/index.js';
export { QueueLengthUnknownError, RemoteDevice, SubmissionError } from './devices/index.js';
export {
  CanaryRunner,
  DeviceMonitor,
  DriftDetector,
  JobTracer,
  MemoryCalibrationHistory,
  StoreCalibrationHistory,
} from './health/index.js';
export type {
  CanaryResult,
  DeviceState,
  DriftEvent,
  DriftForecast,
  MonitoredProvider,
  PollResult,
} from './health/index.js';
