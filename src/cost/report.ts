// The cost report: spend by provider, device, day and experiment over a window, with recommendations and their savings.
import type { PriceBook } from './catalogue.js';
import type { CostRecord } from './tracker.js';

/** One row of a breakdown. */
export interface ReportRow {
  readonly key: string;
  readonly amount_usd: number;
  readonly jobs: number;
  readonly shots: number;
}

/** A piece of advice, with the saving it would have brought over the report's window. */
export interface Recommendation {
  readonly kind: 'merge_tasks' | 'batch_short_simulations' | 'cheaper_device';
  readonly device: string;
  readonly experiment?: string;
  readonly message: string;
  readonly estimated_savings_usd: number;
}

/** The `qobs cost report --json` object. */
export interface CostReport {
  readonly since: string;
  readonly until: string;
  readonly currency: string;
  readonly total_usd: number;
  readonly jobs: number;
  readonly catalogue_versions: string[];
  readonly by_provider: ReportRow[];
  readonly by_device: ReportRow[];
  readonly by_day: ReportRow[];
  readonly by_experiment: ReportRow[];
  readonly recommendations: Recommendation[];
  readonly estimated_savings_usd: number;
}

const r9 = (x: number) => Math.round(x * 1e9) / 1e9;

function group(records: readonly CostRecord[], key: (r: CostRecord) => string): ReportRow[] {
  const m = new Map<string, { amount: number; jobs: number; shots: number }>();
  for (const r of records) {
    const k = key(r);
    const g = m.get(k) ?? { amount: 0, jobs: 0, shots: 0 };
    g.amount += r.amountUsd;
    g.jobs += 1;
    g.shots += r.shots * r.tasks;
    m.set(k, g);
  }
  return [...m.entries()]
    .map(([k, g]) => ({ key: k, amount_usd: r9(g.amount), jobs: g.jobs, shots: g.shots }))
    .sort((a, b) => b.amount_usd - a.amount_usd || a.key.localeCompare(b.key));
}

/**
 * Builds the report over records with `since <= at < until`. Recommendations (each with its saving over the window):
 * merge_tasks: several paid QPU tasks of one experiment on one device in a day pay one task fee each; merged into
 *   one task (same circuit, shots added up) they would pay one. Only valid when the tasks repeat one circuit.
 * batch_short_simulations: simulator tasks billed the per-task minimum; run back to back in one task they would be
 *   billed their real duration (at least one minimum).
 * cheaper_device: the same shots on the cheapest confirmed per-shot QPU in the catalogue. Check it meets your
 *   fidelity target first (`cheapestDevice`).
 */
export function buildReport(
  all: readonly CostRecord[],
  options: { sinceMs: number; untilMs: number; prices: PriceBook },
): CostReport {
  const records = all.filter((r) => {
    const t = Date.parse(r.at);
    return t >= options.sinceMs && t < options.untilMs;
  });
  const recommendations: Recommendation[] = [];
  const paidQpu = records.filter((r) => r.costType === 'qpu_task' && r.amountUsd > 0);
  const groups = new Map<string, CostRecord[]>();
  for (const r of paidQpu) {
    const k = `${r.device}\u0000${r.experiment ?? ''}\u0000${r.at.slice(0, 10)}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const list of groups.values()) {
    const tasks = list.reduce((s, r) => s + r.tasks, 0);
    const perTask = list[0].breakdown.per_task_usd ?? 0;
    if (tasks < 2 || perTask <= 0) continue;
    const saving = r9((tasks - 1) * perTask);
    recommendations.push({
      kind: 'merge_tasks',
      device: list[0].device,
      experiment: list[0].experiment,
      message: `${tasks} tasks on ${list[0].device} on ${list[0].at.slice(0, 10)}${list[0].experiment ? ` (${list[0].experiment})` : ''} paid ${tasks} task fees; if they repeat one circuit, one task with the shots added up pays one`,
      estimated_savings_usd: saving,
    });
  }
  const sims = new Map<string, CostRecord[]>();
  for (const r of records)
    if (
      r.costType === 'simulator_time' &&
      r.amountUsd > 0 &&
      r.breakdown.billed_ms_per_task > r.breakdown.duration_ms_per_task
    )
      sims.set(r.device, [...(sims.get(r.device) ?? []), r]);
  for (const [device, list] of sims) {
    if (list.length < 2) continue;
    const rate = list[0].breakdown.per_minute_usd;
    const minMs = list[0].breakdown.billed_ms_per_task;
    const paid = list.reduce((s, r) => s + r.amountUsd, 0);
    const runMs = list.reduce((s, r) => s + r.breakdown.duration_ms_per_task * r.tasks, 0);
    const batched = (Math.max(Math.ceil(runMs), minMs) * rate) / 60000;
    const saving = r9(paid - batched);
    if (saving > 0)
      recommendations.push({
        kind: 'batch_short_simulations',
        device,
        message: `${list.length} tasks on ${device} ran for less than the billing minimum; run back to back in one task they would be billed ${Math.ceil(runMs)} ms instead of the minimum each`,
        estimated_savings_usd: saving,
      });
  }
  const cheapest = options.prices.catalogue.prices
    .filter(
      (p) =>
        p.model === 'task_shot' &&
        typeof p.perShotUsd === 'number' &&
        typeof p.perTaskUsd === 'number' &&
        !p.device.includes('*'),
    )
    .sort((a, b) => (a.perShotUsd as number) - (b.perShotUsd as number))[0];
  if (cheapest) {
    const byDevice = new Map<string, CostRecord[]>();
    for (const r of paidQpu)
      if (r.device.toLowerCase() !== cheapest.device.toLowerCase())
        byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r]);
    for (const [device, list] of byDevice) {
      const paid = list.reduce((s, r) => s + r.amountUsd, 0);
      const there = list.reduce(
        (s, r) => s + r.tasks * ((cheapest.perTaskUsd as number) + r.shots * (cheapest.perShotUsd as number)),
        0,
      );
      const saving = r9(paid - there);
      if (saving > 0)
        recommendations.push({
          kind: 'cheaper_device',
          device,
          message: `the same ${list.length} tasks on ${cheapest.device} would cost ${r9(there)} USD instead of ${r9(paid)} USD, if it meets your fidelity target`,
          estimated_savings_usd: saving,
        });
    }
  }
  recommendations.sort((a, b) => b.estimated_savings_usd - a.estimated_savings_usd);
  return {
    since: new Date(options.sinceMs).toISOString(),
    until: new Date(options.untilMs).toISOString(),
    currency: 'USD',
    total_usd: r9(records.reduce((s, r) => s + r.amountUsd, 0)),
    jobs: records.length,
    catalogue_versions: [...new Set(records.map((r) => r.catalogueVersion))].sort(),
    by_provider: group(records, (r) => r.provider),
    by_device: group(records, (r) => r.device),
    by_day: group(records, (r) => r.at.slice(0, 10)).sort((a, b) => a.key.localeCompare(b.key)),
    by_experiment: group(records, (r) => r.experiment ?? '(none)'),
    recommendations,
    // Recommendations can overlap (merge and move the same tasks), so this is the largest single one, not a sum.
    estimated_savings_usd: recommendations[0]?.estimated_savings_usd ?? 0,
  };
}
