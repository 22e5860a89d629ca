// `qobs export rules` and `qobs export alertmanager`: the rule files and the Alertmanager configuration for the
// distributed stack. The `export` command is shared: other exporters add their subcommands through exportCommand.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_ROUTER_CONFIG,
  defaultRulePackPath,
  formatAlertmanagerConfig,
  formatRuleFile,
  loadRuleFile,
  parseRouterConfig,
} from '../../alerts/index.js';
import { EXIT, ExitError, printJson } from '../util.js';

/** The `export` command, created on first use; every exporter adds its subcommand to it. */
export function exportCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'export') ??
    program
      .command('export')
      .description(
        'Write configuration for the distributed stack (Prometheus, Alertmanager, Grafana, Collector)',
      )
  );
}

function fail(e: unknown): never {
  const issues = (e as { issues?: { path: string; message: string }[] }).issues;
  if (issues)
    throw new ExitError(
      EXIT.input,
      `qobs: ${(e as Error).message.split(':')[0]} is invalid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    );
  throw e;
}

export function register(program: Command): void {
  const exp = exportCommand(program);

  exp
    .command('rules')
    .description('Write Prometheus rule files: the default quantum pack, or the given files, validated')
    .option('--rules <files...>', 'rule files to export (default: the shipped quantum pack)')
    .option('--out <dir>', 'directory to write into (default: print to stdout)')
    .option('--json', 'print one JSON object')
    .action((opts: { rules?: string[]; out?: string; json?: boolean }) => {
      const inputs = opts.rules ?? [defaultRulePackPath()];
      if (!opts.out && inputs.length > 1)
        throw new ExitError(EXIT.input, 'qobs: --out DIR is required to export more than one rule file');
      const written: { file: string; groups: number; rules: number }[] = [];
      for (const input of inputs) {
        let text: string;
        let rules = 0;
        let groups = 0;
        try {
          const f = loadRuleFile(input);
          text = formatRuleFile(f);
          groups = f.groups.length;
          rules = f.groups.reduce((n, g) => n + g.rules.length, 0);
        } catch (e) {
          fail(e);
        }
        if (opts.out) {
          mkdirSync(opts.out, { recursive: true });
          const file = path.join(opts.out, path.basename(input).replace(/\.ya?ml$/, '') + '.yml');
          writeFileSync(file, text);
          written.push({ file, groups, rules });
        } else if (!opts.json) {
          process.stdout.write(text);
        } else written.push({ file: '-', groups, rules });
      }
      if (opts.json) printJson({ files: written });
      else if (opts.out)
        for (const w of written) process.stderr.write(`wrote ${w.file} (${w.rules} rules)\n`);
    });

  exp
    .command('alertmanager')
    .description(
      'Write an Alertmanager configuration with the same routes, inhibition and receivers qobs uses',
    )
    .option(
      '--config <file>',
      'qobs routing configuration (Alertmanager format; default ./alertmanager.yml when present)',
    )
    .option('--out <file>', 'file to write (default: print to stdout)')
    .option('--json', 'print one JSON object')
    .action((opts: { config?: string; out?: string; json?: boolean }) => {
      const file = opts.config ?? (existsSync('alertmanager.yml') ? 'alertmanager.yml' : undefined);
      let text: string;
      try {
        const cfg = parseRouterConfig(
          file ? readFileSync(file, 'utf8') : DEFAULT_ROUTER_CONFIG,
          file ?? 'default configuration',
        );
        text = formatAlertmanagerConfig(cfg);
      } catch (e) {
        fail(e);
      }
      if (opts.out) {
        mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
        writeFileSync(opts.out, text);
      }
      if (opts.json)
        printJson({
          file: opts.out ?? '-',
          source: file ?? 'default',
          ...(opts.out ? {} : { config: text }),
        });
      else if (!opts.out) process.stdout.write(text);
      else process.stderr.write(`wrote ${opts.out}\n`);
    });
}
