// The server module's public face: the workbench (store, OTLP listener, HTTP API) and its plugin hooks.
export { parseTimeMs } from './api.js';
export type {
  AcceptedOtlp,
  PluginResult,
  RouteInfo,
  Workbench,
  WorkbenchOptions,
  WorkbenchPlugin,
} from './workbench.js';
export { classifyStorageFault, type StorageFault, StoreOpenError } from './storage-faults.js';
export { startWorkbench, startWorkbench as createWorkbench, WorkbenchError } from './workbench.js';
export { devicesApiPlugin } from './devices-api.js';
export {
  type BudgetView,
  type CatalogueDoc,
  type CostsApiOptions,
  type CostsDoc,
  type EstimateView,
  CostsQueryError,
  costCounterIncrease,
  costsApiPlugin,
} from './costs-api.js';
