// `qobs up`: runs the workbench (store, OTLP listener, HTTP API) until SIGINT or SIGTERM, then flushes and exits.
import type { Command } from 'commander';
import { alertsPlugin } from '../../alerts/index.js';
import { type ConfigOverrides, loadConfig } from '../../config/index.js';
import { startWorkbench, type WorkbenchPlugin } from '../../server/index.js';
import { registerUi } from '../../ui/index.js';
import { EXIT, ExitError, printJson } from '../util.js';

function port(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ExitError(EXIT.input, `qobs: ${name} must be a port number, got '${raw}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('up')
    .description(
      'Run the workbench: OTLP ingest on :4318, dashboard, API and /metrics on :8000, one SQLite file',
    )
    .option('--config <file>', 'configuration file (default ./qobs.yaml when present)')
    .option('--data <dir>', 'data directory (default ./.qobs)')
    .option('--port <port>', 'HTTP port (default 8000)')
    .option('--otlp-port <port>', 'OTLP/HTTP port (default 4318)')
    .option('--host <host>', 'address to bind (default 127.0.0.1; any other requires a token)')
    .option('--no-alerts', 'do not run the alert evaluator and router')
    .option('--json', 'print one JSON object with the URLs once listening')
    .action(
      async (opts: {
        config?: string;
        data?: string;
        port?: string;
        otlpPort?: string;
        host?: string;
        json?: boolean;
        alerts?: boolean;
      }) => {
        const overrides: ConfigOverrides = {
          dataDir: opts.data,
          port: port('--port', opts.port),
          otlpPort: port('--otlp-port', opts.otlpPort),
          host: opts.host,
        };
        const config = loadConfig(opts.config, overrides);
        // The dashboard and the alerting engine (default rule pack) ride on the workbench as plugins.
        const plugins: WorkbenchPlugin[] = [{ name: 'ui', setup: (wb) => registerUi(wb.app) }];
        if (opts.alerts !== false) plugins.push(alertsPlugin());
        const wb = await startWorkbench(config, { plugins });
        if (opts.json)
          printJson({ url: wb.url, otlpUrl: wb.otlpUrl, dataDir: wb.store.dataDir, pid: process.pid });
        else {
          process.stdout.write(
            `qobs workbench: ${wb.url} (API, /metrics, push)  OTLP: ${wb.otlpUrl}  data: ${wb.store.file}\n`,
          );
          if (wb.token && !config.token)
            process.stdout.write('a bearer token is required (printed above on stderr)\n');
        }
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            process.stderr.write(`qobs: ${signal}: flushing and closing\n`);
            wb.close().then(resolve, (err: unknown) => {
              process.stderr.write(`qobs: close failed: ${(err as Error).message}\n`);
              resolve();
            });
          };
          process.once('SIGINT', () => stop('SIGINT'));
          process.once('SIGTERM', () => stop('SIGTERM'));
        });
      },
    );
}
