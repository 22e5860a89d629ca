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
  RemoteDevice,
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

/** A provider entry of the configuration (the remote-canary opt-in is among its fields; see config.ts). */
export type MonitorEntry = MonitoredProviderConfig;

/**
 * What building an adapter takes: a configuration entry's fields, or the same from the command line
 * (`qobs run --endpoint`, which also points IBM's IAM token exchange and Braket's S3 reads there, and
 * `--poll-ms`). Credentials always come from the providers' usual environment variables.
 */
export type ProviderSpec = Pick<
  MonitorEntry,
  'name' | 'devices' | 'baseUrl' | 'region' | 'endpoint' | 'outputS3Bucket' | 'outputS3KeyPrefix'
> & { iamUrl?: string; s3Endpoint?: string; pollMs?: number };

/** Builds the adapter a configuration entry (or a command line) names. */
export function providerFor(spec: ProviderSpec): Provider {
  const poll = spec.pollMs === undefined ? {} : { pollMs: spec.pollMs };
  switch (spec.name) {
    case 'local':
      return new LocalProvider({
        devices: spec.devices?.map((d) => (d.startsWith('local.') ? d : `local.${d}`)),
      });
    case 'ibm':
      return new IbmProvider({
        ...poll,
        baseUrl: spec.baseUrl,
        ...(spec.iamUrl ? { iamUrl: spec.iamUrl } : {}),
      });
    case 'braket':
      return new BraketProvider({
        ...poll,
        region: spec.region,
        endpoint: spec.endpoint,
        ...(spec.s3Endpoint ? { s3Endpoint: spec.s3Endpoint } : {}),
        ...(spec.outputS3Bucket ? { outputS3Bucket: spec.outputS3Bucket } : {}),
        ...(spec.outputS3KeyPrefix ? { outputS3KeyPrefix: spec.outputS3KeyPrefix } : {}),
      });
    case 'ionq':
      return new IonqProvider({ ...poll, baseUrl: spec.baseUrl });
  }
}

/**
 * Starts the monitor with an Observer whose metrics the workbench scrapes (`observer` is handed to the
 * workbench's registries before it starts) and whose logs and spans go to the workbench's own OTLP listener.
 */
export function startMonitor(
  wb: Workbench,
  observer: Observer,
  entries: readonly MonitorEntry[],
): DeviceMonitor {
  const providers = entries.map((e) => providerFor(e));
  const jobs = new JobTracer(observer, wb.store);
  const monitor = new DeviceMonitor({
    observer,
    providers: entries.map((e, i) => ({
      provider: providers[i],
      intervalMs: e.intervalMs,
      // local devices are chosen when the provider is built; remote ones are filtered by name here
      devices: e.name === 'local' ? undefined : e.devices,
      jobs: e.name !== 'local',
    })),
    history: new StoreCalibrationHistory(wb.store),
    drift: new DriftDetector(),
    jobs,
  });
  monitor.start();
  wb.addTask(() => monitor.stop());
  // Canary circuits on the local devices; on remote ones only with both daily caps (they cost money).
  entries.forEach((e, i) => {
    if (e.name !== 'local' && e.canaryIntervalMs) startRemoteCanaries(wb, observer, providers[i], e, jobs);
  });
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

/**
 * Starts remote canaries for one provider entry: only its listed `devices`, only with both daily caps (a
 * missing one is logged and nothing runs). Devices are opened in the background; a failure is logged. Canary
 * jobs go to `jobs` (traces, failure reasons, the store) as they are created and when they end.
 */
export function startRemoteCanaries(
  wb: Pick<Workbench, 'addTask'>,
  observer: Observer,
  provider: Provider,
  e: MonitorEntry,
  jobs?: JobTracer,
): void {
  const missing = [
    ...(e.canaryShotsPerDay === undefined ? ['canary_shots_per_day'] : []),
    ...(e.canaryMaxUsdPerDay === undefined ? ['canary_max_usd_per_day'] : []),
    ...(e.devices && e.devices.length > 0 ? [] : ['devices']),
  ];
  if (missing.length > 0) {
    observer.hardwareEvent(e.name, '*', 'canary_refused', {
      reason: `remote canaries on ${e.name} need ${missing.join(', ')} in providers.${e.name}`,
    });
    return;
  }
  let canaries: CanaryRunner | undefined;
  let stopped = false;
  wb.addTask(() => {
    stopped = true;
    canaries?.stop();
  });
  void Promise.all((e.devices ?? []).map((d) => RemoteDevice.open(provider, d, { jobs })))
    .then((devices) => {
      if (stopped) return;
      canaries = new CanaryRunner({
        observer,
        devices,
        allowRemote: true,
        remoteShotsPerDay: e.canaryShotsPerDay,
        remoteMaxUsdPerDay: e.canaryMaxUsdPerDay,
        ...(e.canarySecondsPerJob !== undefined ? { remoteSecondsPerJob: e.canarySecondsPerJob } : {}),
        intervalMs: e.canaryIntervalMs,
      });
      canaries.start();
    })
    .catch((err) => observer.error(err, { context: 'canary', provider: e.name }));
}

/** The monitor's Observer: OTLP logs and traces to `otlpUrl` when no other endpoint is configured. */
export function monitorObserver(otlpUrl: string): Observer {
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlpUrl;
  return new Observer({ serviceName: 'qobs-monitor', logs: { destination: 'otlp' }, traces: true });
}
