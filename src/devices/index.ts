// The devices module's public face: the device contract and its adapters.
export type {
  Calibration,
  Device,
  DeviceStatus,
  GateCalibration,
  JobError,
  JobHandle,
  JobRecord,
  JobStatus,
  ProviderName,
  QubitCalibration,
  SubmitOptions,
} from './types.js';
export { CalibrationFormatError, readIbmCalibration } from './ibm/calibration.js';
export type { CalibrationIssue } from './ibm/calibration.js';
export { DeviceUnavailableError, QueueFullError, UnknownDeviceError } from './errors.js';
export { LocalDevice } from './local/device.js';
export type {
  LocalDeviceOptions,
  LocalDeviceStats,
  LocalJobHandle,
  PreparedCircuit,
} from './local/device.js';
export { noiseModelFromCalibration, transpileTarget } from './local/noise.js';
export { localJobFidelity } from './local/fidelity.js';
export type { MethodFidelity } from './local/fidelity.js';
export {
  createLocalDevice,
  deviceFromCalibration,
  FAKE_DEVICE_SNAPSHOTS,
  fakeCalibration,
  getDevice,
  listLocalDevices,
} from './registry.js';
export {
  LocalProvider,
  ProviderAuthError,
  ProviderError,
  ProviderForbiddenError,
  ProviderNotFoundError,
  ProviderRateLimitError,
  ProviderResponseError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from './provider.js';
export type { JobPage, ListJobsOptions, LocalProviderOptions, Provider, ProviderDevice } from './provider.js';
export type { RetryOptions } from './provider-http.js';
export { IbmProvider } from './ibm/provider.js';
export type { IbmProviderOptions } from './ibm/provider.js';
export { BraketProvider, braketDeviceName } from './braket/provider.js';
export type { BraketProviderOptions } from './braket/provider.js';
export { readBraketCapabilities } from './braket/calibration.js';
export { IonqProvider, readIonqCharacterization } from './ionq/provider.js';
export type { IonqProviderOptions } from './ionq/provider.js';
export { QueueLengthUnknownError, RemoteDevice } from './remote.js';
export {
  checkSubmission,
  countsFromProbabilities,
  countsFromQubitShots,
  countsFromRegisterSamples,
  emitQasm3,
  polledJob,
  SubmissionError,
} from './submission.js';
export type { PollOptions, Qasm3Dialect } from './submission.js';
