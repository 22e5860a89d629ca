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
