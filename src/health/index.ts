// The health module's public face: device monitor, calibration history, drift detection, job traces, canaries.
export { bestChain, CanaryRunner, ghzCircuit, mirrorCircuit } from './canary.js';
export type { CanaryOptions, CanaryResult } from './canary.js';
export { DriftDetector, driftSeries } from './drift.js';
export type { DriftEvent, DriftForecast, DriftOptions, DriftParameter } from './drift.js';
export { calibrationDigest, MemoryCalibrationHistory, StoreCalibrationHistory } from './history.js';
export type { CalibrationHistory } from './history.js';
export { JobTracer } from './jobs.js';
export { DeviceMonitor } from './monitor.js';
export type { DeviceState, MonitoredProvider, MonitorOptions, PollResult } from './monitor.js';
export { measureDrift, replayHistory } from './replay.js';
export type { InjectedDrift, ReplayFigures, ReplayOptions } from './replay.js';
