// Starts the workbench as `qobs up` and `qobs start` run it: the store, OTLP and HTTP servers, the dashboard,
// the alerting plugin and, with `demo`, the demo workloads in the same process; stops on SIGINT or SIGTERM.
import { alertsPlugin } from '../alerts/index.js';
import { type ConfigOverrides, loadConfig } from '../config/index.js';
import { type BudgetSpec, configuredCatalogue, defaultCataloguePath, loadCatalogue } from '../cost/index.js';
import { forwardPlugin } from '../forward/index.js';
import { StoreCalibrationHistory } from '../health/index.js';
import {
  costsApiPlugin,
  devicesApiPlugin,
  startWorkbench,
  type Workbench,
  type WorkbenchPlugin,
} from '../server/index.js';
import type { Observer } from '../telemetry/index.js';
import { registerUi } from '../ui/index.js';
import { demoPrinter, demoRulesPath, type RunningDemo, startDemo } from './commands/demo.js';
import { monitorObserver, startMonitor } from './monitor.js';
import { printJson } from './util.js';

export interface LaunchOptions {
  readonly configFile?: string;
  readonly overrides?: ConfigOverrides;
  readonly alerts?: boolean;
  /** Run the demo workloads in this process, with the demo's alert rules. */
  readonly demo?: boolean;
  readonly json?: boolean;
}

/**
 * The device the demo's free local runs are priced as on the Costs page: a separate what-if estimate, never added
 * to the real spend (which is zero: the demo runs only on this machine).
 */
export const DEMO_ESTIMATE_DEVICE = 'braket.iqm/garnet';

/**
 * The demo's budget (when qobs.yaml sets none), scoped to the what-if device so its burn-down shows what running
 * the demo's circuits on that QPU would cost per day. The demo's own spend against it stays zero.
 */
export const DEMO_BUDGET: BudgetSpec = {
  name: 'demo-what-if-garnet',
  amountUsd: 100_000,
  periodDays: 1,
  device: DEMO_ESTIMATE_DEVICE,
};

/** Starts everything and returns the workbench and the demo (if any); `stop()` closes both. */
export async function launchWorkbench(
  opts: LaunchOptions,
): Promise<{ wb: Workbench; demo?: RunningDemo; stop(): Promise<void> }> {
  const config = loadConfig(opts.configFile, {
    ...opts.overrides,
    dataDir: opts.overrides?.dataDir ?? (opts.demo ? '.qobs/demo' : undefined),
  });
  const catalogueFile =
    config.costCatalogueFile ?? process.env.QOBS_PRICE_CATALOGUE ?? defaultCataloguePath();
  const costs = costsApiPlugin({
    catalogue: config.costCatalogueFile ? loadCatalogue(config.costCatalogueFile) : configuredCatalogue(),
    catalogueFile,
    budgets: opts.demo && config.budgets.length === 0 ? [DEMO_BUDGET] : config.budgets,
    estimateAs: opts.demo ? DEMO_ESTIMATE_DEVICE : undefined,
    budgetsNote:
      opts.demo && config.budgets.length === 0
        ? `The demo sets budget ${DEMO_BUDGET.name} (qobs.yaml sets none). The demo runs only on this machine, so its real spend stays 0; the what-if line charges the demo's runs as priced on ${DEMO_ESTIMATE_DEVICE}.`
        : undefined,
  });
  const plugins: WorkbenchPlugin[] = [
    { name: 'ui', setup: (wb) => registerUi(wb.app) },
    devicesApiPlugin(),
    costs,
  ];
  if (config.forward) plugins.push(forwardPlugin(config.forward));
  if (opts.alerts !== false)
    plugins.push(opts.demo ? alertsPlugin({ ruleFiles: [demoRulesPath()], tickMs: 1000 }) : alertsPlugin());
  let demo: RunningDemo | undefined;
  let monitorObs: Observer | undefined;
  // The demo's Observer is made once the OTLP URL is known; the scraper asks for its registry lazily.
  const registries = [
    ...(opts.demo
      ? [{ job: 'qobs-demo', registry: { metrics: () => demo?.observer.metrics() ?? '' }, intervalMs: 5000 }]
      : []),
    ...(config.providers.length > 0
      ? [
          {
            job: 'qobs-monitor',
            registry: { metrics: () => monitorObs?.metrics() ?? '' },
            intervalMs: 15_000,
          },
        ]
      : []),
  ];
  const wb = await startWorkbench(config, { plugins, registries });
  if (opts.demo) {
    const history = new StoreCalibrationHistory(wb.store);
    demo = startDemo(wb.otlpUrl, demoPrinter(process.stdout), (cal) => history.put(cal));
  }
  if (config.providers.length > 0) {
    monitorObs = monitorObserver(wb.otlpUrl);
    startMonitor(wb, monitorObs, config.providers);
  }
  const stop = async () => {
    await demo?.stop();
    await wb.close();
    await monitorObs?.shutdown();
  };
  if (opts.json)
    printJson({
      url: wb.url,
      otlpUrl: wb.otlpUrl,
      otlpGrpcUrl: wb.otlpGrpcUrl ?? null,
      dataDir: wb.store.dataDir,
      pid: process.pid,
    });
  else {
    process.stdout.write(
      `qobs workbench: dashboard ${wb.url}/  OTLP ${wb.otlpUrl}${wb.otlpGrpcUrl ? ` (gRPC ${wb.otlpGrpcUrl})` : ''}  data ${wb.store.file}\n`,
    );
    if (wb.token && !config.token)
      process.stdout.write('a bearer token is required (printed above on stderr)\n');
    if (opts.demo) process.stdout.write('demo: workloads running; open the dashboard above, Ctrl-C stops\n');
  }
  return { wb, demo, stop };
}

/** Resolves after SIGINT or SIGTERM once everything is flushed and closed. */
export function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      process.stderr.write(`qobs: ${signal}: flushing and closing\n`);
      stop().then(resolve, (err: unknown) => {
        process.stderr.write(`qobs: close failed: ${(err as Error).message}\n`);
        resolve();
      });
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  });
}
