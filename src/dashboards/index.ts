// The dashboards' panel definitions (titles and PromQL), shared by the web dashboard and the Grafana export.
// Pure data and helpers: safe to bundle for the browser.
export * from './panels.js';
