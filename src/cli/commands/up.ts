// `qobs up`: runs the workbench (store, OTLP listener, HTTP API, dashboard, alerting) until SIGINT or SIGTERM,
// then flushes and exits; `--demo` runs the demo workloads in the same process (what `npm start` does).
import type { Command } from 'commander';
import type { ConfigOverrides } from '../../config/index.js';
import { EXIT, ExitError } from '../util.js';
import { launchWorkbench, untilSignal } from '../workbench.js';

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
      'Run the workbench: OTLP ingest on :4318 (HTTP) and :4317 (gRPC), dashboard, API and /metrics on :8000, one SQLite file',
    )
    .option('--config <file>', 'configuration file (default ./qobs.yaml when present)')
    .option('--data <dir>', 'data directory (default ./.qobs, or ./.qobs/demo with --demo)')
    .option('--port <port>', 'HTTP port (default 8000)')
    .option('--otlp-port <port>', 'OTLP/HTTP port (default 4318)')
    .option('--otlp-grpc-port <port>', "OTLP/gRPC port (default 4317; 'off': none)")
    .option('--host <host>', 'address to bind (default 127.0.0.1; any other requires a token)')
    .option('--no-alerts', 'do not run the alert evaluator and router')
    .option('--demo', 'also run the demo workloads (classifier, QAOA, canaries, injected faults)')
    .option('--json', 'print one JSON object with the URLs once listening')
    .addHelpText(
      'after',
      '\nExamples:\n  qobs up                       # then send OTLP to http://127.0.0.1:4318\n  qobs up --demo                # the workbench with the demo workloads\n  qobs up --host 0.0.0.0 --port 9000   # a token is generated and printed\n',
    )
    .action(
      async (opts: {
        config?: string;
        data?: string;
        port?: string;
        otlpPort?: string;
        otlpGrpcPort?: string;
        host?: string;
        json?: boolean;
        alerts?: boolean;
        demo?: boolean;
      }) => {
        const overrides: ConfigOverrides = {
          dataDir: opts.data,
          port: port('--port', opts.port),
          otlpPort: port('--otlp-port', opts.otlpPort),
          otlpGrpcPort: opts.otlpGrpcPort === 'off' ? false : port('--otlp-grpc-port', opts.otlpGrpcPort),
          host: opts.host,
        };
        const { stop } = await launchWorkbench({
          configFile: opts.config,
          overrides,
          alerts: opts.alerts,
          demo: opts.demo,
          json: opts.json,
        });
        await untilSignal(stop);
      },
    );
}
