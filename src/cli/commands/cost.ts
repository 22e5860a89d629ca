// `qobs cost`: the price catalogue, estimates before a run, and the spend report with recommendations.
import path from 'node:path';
import type { Command } from 'commander';
import {
  buildReport,
  type Catalogue,
  configuredCatalogue,
  type CostReport,
  loadCatalogue,
  PriceBook,
  type Priced,
  readLedger,
  UsageError,
} from '../../cost/index.js';
import { EXIT, ExitError, positiveInt, printJson } from '../util.js';

const DEFAULT_LEDGER = path.join('.qobs', 'cost-ledger.jsonl');

function catalogueOf(file: string | undefined): Catalogue {
  return file ? loadCatalogue(file) : configuredCatalogue();
}

/** The `--json` shape of `qobs cost catalogue`. */
export function catalogueJson(c: Catalogue) {
  return {
    version: c.version,
    effective_from: c.effectiveFrom,
    currency: c.currency,
    prices: c.prices.map((p) => ({
      device: p.device,
      model: p.model,
      fees: {
        per_task_usd: p.perTaskUsd,
        per_shot_usd: p.perShotUsd,
        per_minute_usd: p.perMinuteUsd,
        per_second_usd: p.perSecondUsd,
        billing_increment_ms: p.billingIncrementMs,
        minimum_ms: p.minimumMs,
        failed_tasks_billed: p.failedTasksBilled,
      },
      source: p.source,
      date: p.readOn,
      note: p.note,
    })),
  };
}

/** The `--json` shape of `qobs cost estimate`. */
export function estimateJson(p: Priced) {
  return {
    device: p.device,
    amount_usd: p.amountUsd,
    currency: p.currency,
    catalogue_version: p.catalogueVersion,
    model: p.model,
    cost_type: p.costType,
    breakdown: p.breakdown,
    rule: p.rule,
    source: p.source,
    date: p.readOn,
  };
}

const fee = (v: number | null | undefined, unit: string) =>
  v === undefined ? undefined : v === null ? `? ${unit}` : `${v} USD ${unit}`;

function renderCatalogue(c: Catalogue): string {
  const lines = [`price catalogue ${c.version} (from ${c.effectiveFrom}, ${c.currency})`];
  for (const p of c.prices) {
    const fees = [
      fee(p.perTaskUsd, '/task'),
      fee(p.perShotUsd, '/shot'),
      fee(p.perMinuteUsd, '/min'),
      fee(p.perSecondUsd, '/s'),
    ].filter(Boolean);
    lines.push(`  ${p.device.padEnd(26)} ${p.model.padEnd(10)} ${fees.join(' + ') || 'free'}`);
    lines.push(`    source ${p.source}, read ${p.readOn}${p.note ? `\n    note: ${p.note}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function nonNegative(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new ExitError(EXIT.input, `qobs: ${name} must be a number >= 0, got '${raw}'`);
  return n;
}

/** `7d`, `24h`, `90m`, `30s` in milliseconds. */
export function sinceMs(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(raw.trim());
  if (!m) throw new ExitError(EXIT.input, `qobs: --since must look like 7d, 24h or 30m, got '${raw}'`);
  const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

function renderReport(r: CostReport, skipped: number): string {
  const out = [`spend ${r.since} .. ${r.until}: ${r.total_usd} ${r.currency} over ${r.jobs} jobs`];
  if (r.catalogue_versions.length) out.push(`priced by catalogue ${r.catalogue_versions.join(', ')}`);
  const table = (title: string, rows: CostReport['by_day']) => {
    if (rows.length === 0) return;
    out.push(`${title}:`);
    for (const x of rows)
      out.push(
        `  ${x.key.padEnd(28)} ${x.amount_usd.toFixed(4).padStart(12)} USD  ${x.jobs} jobs  ${x.shots} shots`,
      );
  };
  table('by provider', r.by_provider);
  table('by device', r.by_device);
  table('by day', r.by_day);
  table('by experiment', r.by_experiment);
  if (r.recommendations.length) {
    out.push('recommendations:');
    for (const x of r.recommendations) out.push(`  - save ~${x.estimated_savings_usd} USD: ${x.message}`);
  }
  if (skipped) out.push(`(${skipped} ledger lines could not be read)`);
  return `${out.join('\n')}\n`;
}

export function register(program: Command): void {
  const cost = program.command('cost').description('Prices, estimates and spend');
  cost
    .command('catalogue')
    .description('Show the price catalogue: every fee with its source and date')
    .option('--catalogue <file>', 'price catalogue file (default QOBS_PRICE_CATALOGUE, else the shipped one)')
    .option('--json', 'print one JSON object')
    .action((opts: { catalogue?: string; json?: boolean }) => {
      const c = catalogueOf(opts.catalogue);
      if (opts.json) printJson(catalogueJson(c));
      else process.stdout.write(renderCatalogue(c));
    });
  cost
    .command('estimate')
    .description('Estimate what a run will cost before running it')
    .requiredOption('--device <id>', 'device, e.g. braket.iqm/garnet')
    .requiredOption('--shots <n>', 'shots per task')
    .option('--tasks <k>', 'tasks (default 1)')
    .option('--duration-seconds <s>', 'run time per task (per-minute simulators, per-second QPUs)')
    .option('--catalogue <file>', 'price catalogue file')
    .option('--json', 'print one JSON object')
    .action(
      (opts: {
        device: string;
        shots: string;
        tasks?: string;
        durationSeconds?: string;
        catalogue?: string;
        json?: boolean;
      }) => {
        const book = new PriceBook(catalogueOf(opts.catalogue));
        let p: Priced;
        try {
          p = book.price(opts.device, {
            shots: positiveInt('--shots', opts.shots, 1),
            tasks: positiveInt('--tasks', opts.tasks, 1),
            durationSeconds: nonNegative('--duration-seconds', opts.durationSeconds),
          });
        } catch (err) {
          // Name the option the user can give, not the API field.
          if (err instanceof UsageError && err.field === 'durationSeconds')
            throw new ExitError(
              EXIT.input,
              `qobs: ${opts.device} is billed by time: give --duration-seconds (run time per task)`,
            );
          throw err;
        }
        if (opts.json) printJson(estimateJson(p));
        else
          process.stdout.write(
            `${p.device}: ${p.amountUsd} ${p.currency} (catalogue ${p.catalogueVersion})\n${Object.entries(
              p.breakdown,
            )
              .map(([k, v]) => `  ${k}: ${v}`)
              .join('\n')}\n${p.rule ? `  rule: ${p.rule}\n` : ''}  source ${p.source}, read ${p.readOn}\n`,
          );
      },
    );
  cost
    .command('report')
    .description('Spend by provider, device, day and experiment, with recommendations')
    .option('--since <duration>', 'window, e.g. 7d, 24h', '7d')
    .option('--ledger <file>', 'cost ledger written by the tracker', DEFAULT_LEDGER)
    .option('--catalogue <file>', 'price catalogue file (for the recommendations)')
    .option('--json', 'print one JSON object')
    .action((opts: { since: string; ledger: string; catalogue?: string; json?: boolean }) => {
      const now = Date.now();
      const { records, skipped } = readLedger(opts.ledger);
      const report = buildReport(records, {
        sinceMs: now - sinceMs(opts.since),
        untilMs: now + 1,
        prices: new PriceBook(catalogueOf(opts.catalogue)),
      });
      if (opts.json) printJson({ ...report, ledger: opts.ledger, skipped_lines: skipped });
      else process.stdout.write(renderReport(report, skipped));
    });
}
