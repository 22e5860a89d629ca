// The export module's public face: Grafana dashboards and provisioning, and the distributed stack's configuration.
export {
  COST_PANELS,
  DATASOURCE_UID,
  DEVICE_PANELS,
  GRAFANA_SCHEMA_VERSION,
  type GrafanaDashboard,
  type GrafanaPanel,
  grafanaDashboards,
  grafanaProvisioning,
  panelFromSpec,
  prometheusQueries,
  type ProvisioningOptions,
  TRAINING_PANELS,
} from './grafana.js';
export {
  collectorConfig,
  composeFile,
  prometheusConfig,
  readRouterConfig,
  type StackFile,
  type StackOptions,
  stackFiles,
  tempoConfig,
  writeFiles,
} from './stack.js';
