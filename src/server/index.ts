// The server module's public face: the workbench (store, OTLP listener, HTTP API) and its plugin hooks.
export type { ApiHandler, QueryHandlers } from './api.js';
export { parseSelector, parseTimeMs } from './api.js';
export type { Workbench, WorkbenchOptions, WorkbenchPlugin } from './workbench.js';
export { startWorkbench, WorkbenchError } from './workbench.js';
