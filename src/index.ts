// qobs public API: instrument quantum workloads, analyze and simulate circuits.
export * from "./circuit/index.js";
export { QobsError, QobsConfigError } from "./errors.js";
