// The configuration module's public face: loading and validating qobs.yaml.
export type { ConfigOverrides, ForwardConfig, MonitoredProviderConfig, WorkbenchConfig } from './config.js';
export { ConfigValidationError, defaultConfig, loadConfig, parseConfig } from './config.js';
