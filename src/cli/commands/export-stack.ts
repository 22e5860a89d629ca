// `qobs export grafana` and `qobs export stack`: Grafana dashboards with provisioning, and the whole
// distributed stack's configuration (Prometheus, rules, Alertmanager, Collector, Grafana, compose, README).
import type { Command } from 'commander';
import {
  grafanaDashboards,
  grafanaProvisioning,
  readRouterConfig,
  type StackFile,
  stackFiles,
  writeFiles,
} from '../../export/index.js';
import { QobsConfigError } from '../../errors.js';
import { EXIT, ExitError, printJson } from '../util.js';
import { exportCommand } from './export-alerts.js';

function invalid(e: unknown): never {
  if (e instanceof QobsConfigError) throw new ExitError(EXIT.input, `qobs: ${e.message}`);
  const issues = (e as { issues?: { path: string; message: string }[] }).issues;
  if (issues)
    throw new ExitError(
      EXIT.input,
      `qobs: ${(e as Error).message.split(':')[0]} is invalid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    );
  throw e;
}

function report(files: string[], json: boolean | undefined): void {
  if (json) printJson({ files });
  else for (const f of files) process.stderr.write(`wrote ${f}\n`);
}

export function register(program: Command): void {
  const exp = exportCommand(program);

  exp
    .command('grafana')
    .description('Write the Overview, Devices, Costs and Training dashboards and Grafana provisioning files')
    .requiredOption('--out <dir>', 'directory to write into')
    .option('--prometheus-url <url>', 'Prometheus URL for the data source', 'http://prometheus:9090')
    .option('--tempo-url <url>', 'Tempo URL for the data source', 'http://tempo:3200')
    .option('--loki-url <url>', 'Loki URL for the data source', 'http://loki:3100')
    .option('--json', 'print one JSON object')
    .action(
      (opts: { out: string; prometheusUrl: string; tempoUrl: string; lokiUrl: string; json?: boolean }) => {
        const files: StackFile[] = Object.entries(grafanaDashboards()).map(([p, d]) => ({
          path: `dashboards/${p}`,
          text: `${JSON.stringify(d, null, 2)}\n`,
        }));
        for (const [p, text] of Object.entries(
          grafanaProvisioning({
            prometheusUrl: opts.prometheusUrl,
            tempoUrl: opts.tempoUrl,
            lokiUrl: opts.lokiUrl,
          }),
        ))
          files.push({ path: `provisioning/${p}`, text });
        report(writeFiles(opts.out, files), opts.json);
      },
    );

  exp
    .command('stack')
    .description(
      'Write the distributed stack configuration: Prometheus, rules, Alertmanager, Collector, Grafana',
    )
    .requiredOption('--out <dir>', 'directory to write into')
    .option('--targets <hostports...>', 'workload /metrics targets (host:port)')
    .option('--workbench <hostport>', 'the qobs workbench to scrape (host:port; "" for none)')
    .option('--alertmanager <hostport>', 'Alertmanager address (host:port)')
    .option('--pushgateway <hostport>', 'Pushgateway address (host:port; "" for none)')
    .option('--scrape-interval <seconds>', 'scrape interval in seconds', '15')
    .option('--rules <files...>', 'rule files to export (default: the shipped quantum pack)')
    .option('--config <file>', 'qobs routing configuration (Alertmanager format)')
    .option('--json', 'print one JSON object')
    .action(
      (opts: {
        out: string;
        targets?: string[];
        workbench?: string;
        alertmanager?: string;
        pushgateway?: string;
        scrapeInterval: string;
        rules?: string[];
        config?: string;
        json?: boolean;
      }) => {
        const scrape = Number(opts.scrapeInterval);
        if (!Number.isInteger(scrape) || scrape < 1)
          throw new ExitError(
            EXIT.input,
            `qobs: --scrape-interval must be a whole number of seconds, got ${opts.scrapeInterval}`,
          );
        let files: StackFile[];
        try {
          files = stackFiles({
            workloadTargets: opts.targets,
            workbenchTarget: opts.workbench,
            alertmanagerTarget: opts.alertmanager,
            pushgatewayTarget: opts.pushgateway,
            scrapeIntervalSeconds: scrape,
            evaluationIntervalSeconds: scrape,
            ruleFiles: opts.rules,
            ...(opts.config ? readRouterConfig(opts.config) : {}),
          });
        } catch (e) {
          invalid(e);
        }
        report(writeFiles(opts.out, files), opts.json);
      },
    );
}
