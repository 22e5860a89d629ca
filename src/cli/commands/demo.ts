// `qobs demo`: the demo workloads (classifier, QAOA, canaries, injected faults) against a workbench or any
// OTLP endpoint; and the in-process wiring that `qobs up --demo` (and so `npm start`) uses.
import type { Command } from 'commander';
import { CostTracker } from '../../cost/index.js';
import { type Calibration, localJobFidelity } from '../../devices/index.js';
import { Observer } from '../../telemetry/index.js';
import { type DemoEvent, runDemo } from '../../workloads/demo.js';
import { EXIT, ExitError } from '../util.js';

/** Path of the demo's alert rules (short timings for a one-minute scenario). */
export function demoRulesPath(): string {
  return new URL('../../../assets/rules/demo.rules.yml', import.meta.url).pathname;
}

/** A running demo: its Observer (whose registry a workbench scrapes) and how to stop it. */
export interface RunningDemo {
  readonly observer: Observer;
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the demo with an Observer that sends spans and logs over OTLP to `otlpUrl` (the standard exporters,
 * pointed there through OTEL_EXPORTER_OTLP_ENDPOINT when it is not set already).
 */
export function startDemo(
  otlpUrl: string | undefined,
  onEvent: (e: DemoEvent) => void,
  onCalibration?: (calibration: Calibration) => void,
): RunningDemo {
  if (otlpUrl && !process.env.OTEL_EXPORTER_OTLP_ENDPOINT) process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlpUrl;
  const tracker = new CostTracker();
  const otlp = Boolean(
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
  );
  const observer = new Observer({
    serviceName: 'qobs-demo',
    logs: otlp ? { destination: 'otlp' } : { destination: 'stdout' },
    traces: otlp,
    fidelityOf: localJobFidelity,
    costOf: tracker.costOf,
  });
  const controller = new AbortController();
  const done = runDemo({ observer, signal: controller.signal, onEvent, onCalibration }).catch(
    (err: unknown) => {
      process.stderr.write(`qobs demo: stopped by an error: ${(err as Error).stack ?? String(err)}\n`);
    },
  );
  return {
    observer,
    done,
    async stop() {
      controller.abort();
      await done;
      await observer.shutdown();
    },
  };
}

/** Prints demo events: a progress bar redrawn in place on a terminal, plain lines otherwise. */
export function demoPrinter(out: NodeJS.WriteStream = process.stdout): (e: DemoEvent) => void {
  const tty = Boolean(out.isTTY);
  let barShown = false;
  return (e) => {
    const stamp = `[${e.atSeconds.toFixed(0).padStart(3)}s]`;
    if (tty && e.progress !== undefined) {
      const width = 24;
      const filled = Math.round(e.progress * width);
      out.write(`\r${stamp} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${e.message}`.padEnd(110));
      barShown = true;
      return;
    }
    if (barShown) out.write('\n');
    barShown = false;
    const colour = tty && e.kind === 'fault' ? '\x1b[31m' : tty && e.kind === 'recovery' ? '\x1b[32m' : '';
    out.write(`${stamp} ${colour}${e.message}${colour ? '\x1b[0m' : ''}\n`);
  };
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the demo workloads (Iris classifier, QAOA MaxCut, canaries, injected faults) against an OTLP endpoint',
    )
    .option(
      '--otlp-endpoint <url>',
      'OTLP/HTTP endpoint for spans and logs (default OTEL_EXPORTER_OTLP_ENDPOINT, else logs on stdout)',
    )
    .option('--duration <seconds>', 'stop after this many seconds (default: run until Ctrl-C)')
    .addHelpText(
      'after',
      '\nExamples:\n  qobs demo --otlp-endpoint http://127.0.0.1:4318\n  OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 qobs demo --duration 120\n',
    )
    .action(async (opts: { otlpEndpoint?: string; duration?: string }) => {
      const duration = opts.duration === undefined ? undefined : Number(opts.duration);
      if (duration !== undefined && !(duration > 0))
        throw new ExitError(
          EXIT.input,
          `qobs: --duration must be a positive number of seconds, got '${opts.duration}'`,
        );
      const demo = startDemo(opts.otlpEndpoint, demoPrinter(process.stderr));
      await new Promise<void>((resolve) => {
        const timer = duration ? setTimeout(resolve, duration * 1000) : undefined;
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
        void demo.done.then(() => {
          if (timer) clearTimeout(timer);
          resolve();
        });
      });
      await demo.stop();
    });
}
