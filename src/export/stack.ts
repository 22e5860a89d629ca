// The distributed stack's configuration: Prometheus, rule files, Alertmanager, the OpenTelemetry Collector,
// Grafana provisioning and dashboards, a compose file and a README, written into one folder.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_ROUTER_CONFIG,
  defaultRulePackPath,
  formatAlertmanagerConfig,
  formatRuleFile,
  loadRuleFile,
  parseRouterConfig,
} from '../alerts/index.js';
import { QobsConfigError } from '../errors.js';
import { grafanaDashboards, grafanaProvisioning } from './grafana.js';

// host:port, with a DNS name, an IPv4 address or a bracketed IPv6 address: what Prometheus accepts as a target.
const HOST_PORT_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):\d{1,5}$/;

function checkTargets(field: string, targets: readonly string[] | undefined, allowEmpty: boolean): void {
  for (const t of targets ?? []) {
    if (allowEmpty && t === '') continue;
    if (!HOST_PORT_RE.test(t) || Number(t.slice(t.lastIndexOf(':') + 1)) > 65535)
      throw new QobsConfigError(field, `must be host:port, got '${t}'`);
  }
}

/** Options of the stack export. */
export interface StackOptions {
  /** host:port targets serving workloads' `/metrics` (Observer metrics servers). */
  workloadTargets?: string[];
  /** host:port of the qobs workbench (`qobs up`), scraped for its own metrics. Empty string: none. */
  workbenchTarget?: string;
  /** host:port of Alertmanager. */
  alertmanagerTarget?: string;
  /** host:port of the Pushgateway. Empty string: none. */
  pushgatewayTarget?: string;
  scrapeIntervalSeconds?: number;
  evaluationIntervalSeconds?: number;
  /** Rule files to export (default: the shipped quantum pack). */
  ruleFiles?: string[];
  /** qobs routing configuration (Alertmanager format) text; default: the built-in one. */
  routerConfigText?: string;
  routerConfigSource?: string;
}

/** One file of the export: path relative to the output folder, and its text. */
export interface StackFile {
  path: string;
  text: string;
}

function list(targets: string[]): string {
  return `[${targets.map((t) => `'${t}'`).join(', ')}]`;
}

/** prometheus.yml: scrapes workloads, the workbench and the Pushgateway; loads the rule files; alerts Alertmanager. */
export function prometheusConfig(o: StackOptions = {}, ruleFileNames = ['rules/quantum.rules.yml']): string {
  const scrape = o.scrapeIntervalSeconds ?? 15;
  const evaluation = o.evaluationIntervalSeconds ?? 15;
  const jobs: string[] = [
    `  # Workloads instrumented with the qobs Observer serve /metrics (observer.startMetricsServer).
  - job_name: qobs-workloads
    static_configs:
      - targets: ${list(o.workloadTargets ?? ['host.docker.internal:9464'])}`,
  ];
  const wb = o.workbenchTarget ?? 'host.docker.internal:8000';
  if (wb)
    jobs.push(`  # The workbench's own metrics (ingest, store, alerts). Add a bearer_token when it runs with a token.
  - job_name: qobs-workbench
    static_configs:
      - targets: ['${wb}']`);
  const pg = o.pushgatewayTarget ?? 'pushgateway:9091';
  if (pg)
    jobs.push(`  # Batch jobs push here; honor_labels keeps the job and instance they pushed with.
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: ['${pg}']`);
  return `# Prometheus configuration written by \`qobs export stack\`.
global:
  scrape_interval: ${scrape}s
  evaluation_interval: ${evaluation}s
  external_labels:
    source: qobs
rule_files:
${ruleFileNames.map((f) => `  - ${f}`).join('\n')}
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['${o.alertmanagerTarget ?? 'alertmanager:9093'}']
scrape_configs:
${jobs.join('\n')}
`;
}

/** The OpenTelemetry Collector pipeline: OTLP in; traces to Tempo, logs to Loki, metrics by remote write. */
export function collectorConfig(): string {
  return `# OpenTelemetry Collector (contrib distribution) configuration written by \`qobs export stack\`.
# Workloads send OTLP here (OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318); the Collector batches and fans out.
receivers:
  otlp:
    protocols:
      http:
        endpoint: 0.0.0.0:4318
      grpc:
        endpoint: 0.0.0.0:4317
processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 512
  batch:
    send_batch_size: 8192
    timeout: 5s
exporters:
  # Traces to Tempo over OTLP (Jaeger 1.35+ accepts the same OTLP on its port 4317: point the endpoint there).
  otlp/tempo:
    endpoint: tempo:4317
    tls:
      insecure: true
  # Logs to Loki's native OTLP endpoint (Loki 3).
  otlphttp/loki:
    endpoint: http://loki:3100/otlp
  # Metrics to Prometheus (--web.enable-remote-write-receiver) or Mimir.
  prometheusremotewrite:
    endpoint: http://prometheus:9090/api/v1/write
    resource_to_telemetry_conversion:
      enabled: true
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [otlp/tempo]
    logs:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [otlphttp/loki]
    metrics:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [prometheusremotewrite]
`;
}

/** A compose file for users who run containers (qobs does not run it in its tests: no container runtime there). */
export function composeFile(): string {
  return `# docker compose up -d   (written by \`qobs export stack\`; image tags are the ones the configuration targets)
services:
  prometheus:
    image: prom/prometheus:v2.53.0
    command:
      - --config.file=/etc/prometheus/prometheus.yml
      - --web.enable-remote-write-receiver
    volumes:
      - ./prometheus.yml:/etc/prometheus/prometheus.yml:ro
      - ./rules:/etc/prometheus/rules:ro
    ports: ['9090:9090']
    extra_hosts: ['host.docker.internal:host-gateway']
  alertmanager:
    image: prom/alertmanager:v0.27.0
    command: ['--config.file=/etc/alertmanager/alertmanager.yml']
    volumes:
      - ./alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro
    ports: ['9093:9093']
  pushgateway:
    image: prom/pushgateway:v1.9.0
    ports: ['9091:9091']
  collector:
    image: otel/opentelemetry-collector-contrib:0.104.0
    command: ['--config=/etc/otelcol/config.yaml']
    volumes:
      - ./otel-collector.yaml:/etc/otelcol/config.yaml:ro
    ports: ['4317:4317', '4318:4318']
  tempo:
    image: grafana/tempo:2.5.0
    command: ['-config.file=/etc/tempo.yaml']
    volumes:
      - ./tempo.yaml:/etc/tempo.yaml:ro
  loki:
    image: grafana/loki:3.1.0
    ports: ['3100:3100']
  grafana:
    image: grafana/grafana:11.1.0
    environment:
      GF_AUTH_ANONYMOUS_ENABLED: 'true'
    volumes:
      - ./grafana/provisioning:/etc/grafana/provisioning:ro
      - ./grafana/dashboards:/var/lib/grafana/dashboards/qobs:ro
    ports: ['3000:3000']
`;
}

/** A minimal Tempo configuration for the compose file (OTLP in, local storage). */
export function tempoConfig(): string {
  return `server:
  http_listen_port: 3200
distributor:
  receivers:
    otlp:
      protocols:
        grpc:
          endpoint: 0.0.0.0:4317
storage:
  trace:
    backend: local
    local:
      path: /var/tempo/traces
    wal:
      path: /var/tempo/wal
`;
}

function readme(files: string[]): string {
  return `# qobs stack configuration

Written by \`qobs export stack\`. What each file is for (see docs/scale-out.md for the steps):

${files.map((f) => `- \`${f}\``).join('\n')}

- \`prometheus.yml\` scrapes workloads' \`/metrics\`, the qobs workbench and the Pushgateway, loads \`rules/\`, and
  sends alerts to Alertmanager. Check it with \`promtool check config prometheus.yml\`.
- \`rules/*.yml\` is the qobs alert and recording rule pack (\`promtool check rules rules/*.yml\`).
- \`alertmanager.yml\` has the routes, inhibition and receivers of your qobs configuration
  (\`amtool check-config alertmanager.yml\`).
- \`otel-collector.yaml\` takes OTLP from workloads and sends traces to Tempo (or Jaeger), logs to Loki and metrics
  to Prometheus by remote write. It needs the Collector's contrib distribution.
- \`grafana/provisioning\` declares the Prometheus, Tempo and Loki data sources (with trace-to-logs links) and the
  dashboard folder; \`grafana/dashboards\` holds the Overview, Devices, Costs and Training dashboards.
- \`docker-compose.yml\` runs all of it in containers. It is provided for convenience; qobs's own tests run the
  Debian packages of Prometheus, Alertmanager and Pushgateway, not the containers, and do not run Grafana.
`;
}

/** Every file of the stack export, in memory. */
export function stackFiles(o: StackOptions = {}): StackFile[] {
  checkTargets('workloadTargets', o.workloadTargets, false);
  checkTargets('workbenchTarget', o.workbenchTarget === undefined ? [] : [o.workbenchTarget], true);
  checkTargets('alertmanagerTarget', o.alertmanagerTarget === undefined ? [] : [o.alertmanagerTarget], false);
  checkTargets('pushgatewayTarget', o.pushgatewayTarget === undefined ? [] : [o.pushgatewayTarget], true);
  for (const [field, v] of [
    ['scrapeIntervalSeconds', o.scrapeIntervalSeconds],
    ['evaluationIntervalSeconds', o.evaluationIntervalSeconds],
  ] as const)
    if (v !== undefined && !(Number.isInteger(v) && v >= 1))
      throw new QobsConfigError(field, `must be a whole number of seconds >= 1, got ${v}`);
  const files: StackFile[] = [];
  const ruleNames: string[] = [];
  for (const input of o.ruleFiles ?? [defaultRulePackPath()]) {
    const name = `rules/${path.basename(input).replace(/\.ya?ml$/, '')}.yml`;
    files.push({ path: name, text: formatRuleFile(loadRuleFile(input)) });
    ruleNames.push(name);
  }
  files.unshift({ path: 'prometheus.yml', text: prometheusConfig(o, ruleNames) });
  const router = parseRouterConfig(
    o.routerConfigText ?? DEFAULT_ROUTER_CONFIG,
    o.routerConfigSource ?? 'default configuration',
  );
  files.push({ path: 'alertmanager.yml', text: formatAlertmanagerConfig(router) });
  files.push({ path: 'otel-collector.yaml', text: collectorConfig() });
  files.push({ path: 'tempo.yaml', text: tempoConfig() });
  for (const [p, text] of Object.entries(grafanaProvisioning()))
    files.push({ path: `grafana/provisioning/${p}`, text });
  for (const [p, d] of Object.entries(grafanaDashboards()))
    files.push({ path: `grafana/dashboards/${p}`, text: `${JSON.stringify(d, null, 2)}\n` });
  files.push({ path: 'docker-compose.yml', text: composeFile() });
  files.push({ path: 'README.md', text: readme(files.map((f) => f.path)) });
  return files;
}

/** Writes files under `dir` (creating folders); returns the absolute paths written. */
export function writeFiles(dir: string, files: readonly StackFile[]): string[] {
  return files.map((f) => {
    const full = path.join(dir, f.path);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, f.text);
    return full;
  });
}

/** Reads a routing configuration file for `stackFiles`. */
export function readRouterConfig(file: string): { routerConfigText: string; routerConfigSource: string } {
  return { routerConfigText: readFileSync(file, 'utf8'), routerConfigSource: file };
}
