import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { prometheusConfig, stackFiles } from './index.js';

describe('stackFiles', () => {
  it('writes every file of the stack, each listed in the README', () => {
    const files = stackFiles();
    const paths = files.map((f) => f.path);
    for (const p of [
      'prometheus.yml',
      'rules/quantum.rules.yml',
      'alertmanager.yml',
      'otel-collector.yaml',
      'grafana/provisioning/datasources/qobs.yml',
      'grafana/provisioning/dashboards/qobs.yml',
      'grafana/dashboards/qobs-overview.json',
      'docker-compose.yml',
      'README.md',
    ])
      expect(paths).toContain(p);
    const readme = files.find((f) => f.path === 'README.md')?.text ?? '';
    for (const p of paths.filter((p) => p !== 'README.md')) expect(readme).toContain(`\`${p}\``);
    for (const f of files.filter((f) => /\.ya?ml$/.test(f.path)))
      expect(() => parse(f.text), f.path).not.toThrow();
  });

  it('prometheus.yml scrapes the given targets, loads the rule files and alerts the given Alertmanager', () => {
    const c = parse(
      prometheusConfig(
        {
          workloadTargets: ['10.0.0.1:9464', '10.0.0.2:9464'],
          workbenchTarget: '',
          alertmanagerTarget: 'am:9093',
          pushgatewayTarget: 'pg:9091',
          scrapeIntervalSeconds: 5,
        },
        ['rules/a.yml'],
      ),
    ) as {
      global: { scrape_interval: string };
      rule_files: string[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; honor_labels?: boolean; static_configs: { targets: string[] }[] }[];
    };
    expect(c.global.scrape_interval).toBe('5s');
    expect(c.rule_files).toEqual(['rules/a.yml']);
    expect(c.alerting.alertmanagers[0].static_configs[0].targets).toEqual(['am:9093']);
    expect(c.scrape_configs.map((s) => s.job_name)).toEqual(['qobs-workloads', 'pushgateway']);
    expect(c.scrape_configs[0].static_configs[0].targets).toEqual(['10.0.0.1:9464', '10.0.0.2:9464']);
    expect(c.scrape_configs[1].honor_labels).toBe(true);
  });

  it('alertmanager.yml carries the receivers of the qobs routing configuration', () => {
    const files = stackFiles({
      routerConfigText: `route:\n  receiver: team\nreceivers:\n  - name: team\n    webhook_configs:\n      - url: http://hooks.example/qobs\n`,
    });
    const am = parse(files.find((f) => f.path === 'alertmanager.yml')?.text ?? '') as {
      route: { receiver: string };
      receivers: { name: string; webhook_configs: { url: string }[] }[];
    };
    expect(am.route.receiver).toBe('team');
    expect(am.receivers[0].webhook_configs[0].url).toBe('http://hooks.example/qobs');
  });

  it('refuses a target that is not host:port, naming the field', () => {
    expect(() => stackFiles({ workloadTargets: ["a:1' ]"] })).toThrow(/workloadTargets/);
    expect(() => stackFiles({ alertmanagerTarget: 'am' })).toThrow(/alertmanagerTarget/);
    expect(() => stackFiles({ pushgatewayTarget: 'pg:70000' })).toThrow(/pushgatewayTarget/);
    expect(() => stackFiles({ scrapeIntervalSeconds: 0 })).toThrow(/scrapeIntervalSeconds/);
    expect(() =>
      stackFiles({
        workloadTargets: ['trainer-1.lab:9464', '[::1]:9464', '10.0.0.7:9464'],
        workbenchTarget: '',
      }),
    ).not.toThrow();
  });

  it('an invalid routing configuration is refused, naming the field', () => {
    expect(() => stackFiles({ routerConfigText: 'route:\n  receiver: missing\nreceivers: []\n' })).toThrow(
      /missing/,
    );
  });

  it('the Collector takes OTLP and sends traces, logs and metrics to their stores', () => {
    const c = parse(stackFiles().find((f) => f.path === 'otel-collector.yaml')?.text ?? '') as {
      receivers: Record<string, unknown>;
      service: { pipelines: Record<string, { receivers: string[]; exporters: string[] }> };
    };
    expect(Object.keys(c.receivers)).toEqual(['otlp']);
    expect(c.service.pipelines.traces.exporters).toEqual(['otlp/tempo']);
    expect(c.service.pipelines.logs.exporters).toEqual(['otlphttp/loki']);
    expect(c.service.pipelines.metrics.exporters).toEqual(['prometheusremotewrite']);
  });
});
