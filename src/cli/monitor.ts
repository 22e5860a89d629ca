// The device monitor of `qobs up`: polls the providers of the configuration's `providers` section, with
// their credentials from the usual environment variables, and records into the workbench.
import type { MonitoredProviderConfig } from '../config/index.js';
import {
  BraketProvider,
  getDevice,
  IbmProvider,
  IonqProvider,
  LocalProvider,
  listLocalDevices,
  type Provider,
} from '../devices/index.js';
import {
  CanaryRunner,
  DeviceMonitor,
  DriftDetector,
  JobTracer,
  StoreCalibrationHistory,
} from '../health/index.js';
import type { Workbench } from '../server/index.js';
import { Observer } from '../telemetry/index.js';

/** Builds the adapter a configuration entry names. */
export function providerFor(entry: MonitoredProviderConfig): Provider {
  switch (entry.name) {
    case 'local':
      return new LocalProvider({
        devices: entry.devices?.map((d) => (d.startsWith('local.') ? d : `local.${d}`)),
      });
    case 'ibm':
      return new IbmProvider({ baseUrl: entry.baseUrl });
    case 'braket':
      return new BraketProvider({ region: entry.region, endpoint: entry.endpoint });
    case 'ionq':
      return new IonqProvider({ baseUrl: entry.baseUrl });
  }
}

/**
 * Starts the monitor with an Observer whose metrics the workbench scrapes (`observer` is handed to the
 * workbench's registries before it starts) and whose logs and spans go to the workbench's own OTLP listener.
 */
export function startMonitor(
  wb: Workbench,
  observer: Observer,
  entries: readonly MonitoredProviderConfig[],
): DeviceMonitor {
  const monitor = new DeviceMonitor({
    observer,
    providers: entries.map((e) => ({
      provider: providerFor(e),
      intervalMs: e.intervalMs,
      // local devices are chosen when the provider is built; remote ones are filtered by name here
      devices: e.name === 'local' ? undefined : e.devices,
      jobs: e.name !== 'local',
    })),
    history: new StoreCalibrationHistory(wb.store),
    drift: new DriftDetector(),
    jobs: new JobTracer(observer, wb.store),
  });
  monitor.start();
  wb.addTask(() => monitor.stop());
  // Canary circuits on the local devices (remote canaries cost money: opt-in through the API, not here).
  for (const e of entries) {
    if (e.name !== 'local' || !e.canaryIntervalMs) continue;
    const ids = e.devices?.map((d) => (d.startsWith('local.') ? d : `local.${d}`)) ?? listLocalDevices();
    const canaries = new CanaryRunner({
      observer,
      devices: ids.map((id) => getDevice(id)),
      intervalMs: e.canaryIntervalMs,
    });
    canaries.start();
    wb.addTask(() => canaries.stop());
  }
  return monitor;
}

/** The monitor's Observer: OTLP logs and traces to `otlpUrl` when no other endpoint is configured. */
export function monitorObserver(otlpUrl: string): Observer {
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlpUrl;
  return new Observer({ serviceName: 'qobs-monitor', logs: { destination: 'otlp' }, traces: true });
}
