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
export {
  createLocalDevice,
  deviceFromCalibration,
  FAKE_DEVICE_SNAPSHOTS,
  fakeCalibration,
  getDevice,
  listLocalDevices,
} from './registry.js';
