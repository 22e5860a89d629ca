// `qobs start` (what `npm start` runs): the workbench with the demo workloads, as `qobs up --demo`.
import type { Command } from 'commander';
import { launchWorkbench, untilSignal } from '../workbench.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('Run the workbench with the demo workloads (the same as qobs up --demo); Ctrl-C stops')
    .option('--data <dir>', 'data directory (default ./.qobs/demo)')
    .option('--json', 'print one JSON object with the URLs once listening')
    .addHelpText(
      'after',
      '\nExamples:\n  qobs start              # then open http://127.0.0.1:8000/\n  npm start               # the same, from a checkout\n',
    )
    .action(async (opts: { data?: string; json?: boolean }) => {
      const { stop } = await launchWorkbench({
        demo: true,
        json: opts.json,
        overrides: { dataDir: opts.data },
      });
      await untilSignal(stop);
    });
}
