// The cost tracker: estimates before a run, actual cost after it from the job record, recovered cost of past jobs, a ledger.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Device, JobRecord } from '../devices/index.js';
import type { CostFigure, CostOf, Observer } from '../telemetry/index.js';
import type { BudgetBook } from './budgets.js';
import {
  type Catalogue,
  configuredCatalogue,
  type Priced,
  type Usage,
  VersionedPrices,
} from './catalogue.js';

/** One priced cost, as kept in the ledger. */
export interface CostRecord {
  /** When the cost was incurred (the job's end, else its creation), ISO 8601. */
  readonly at: string;
  readonly kind: 'actual' | 'recovered';
  readonly jobId?: string;
  readonly provider: string;
  /** `<provider>.<device>`. */
  readonly device: string;
  readonly status: string;
  readonly shots: number;
  readonly tasks: number;
  readonly amountUsd: number;
  readonly currency: string;
  readonly costType: string;
  readonly catalogueVersion: string;
  readonly breakdown: Readonly<Record<string, number>>;
  readonly rule?: string;
  readonly project?: string;
  readonly experiment?: string;
}

/** Options of a cost tracker. */
export interface CostTrackerOptions {
  /** Price catalogues (several versions to price old jobs with the prices then in force); default the configured one. */
  readonly catalogues?: readonly Catalogue[];
  /** Counts `quantum_cost_total` and logs `quantum_cost_event` for costs recorded directly (not through `observer.run`). */
  readonly observer?: Observer;
  readonly budgets?: BudgetBook;
  /** JSON-lines file every actual cost is appended to (`qobs cost report` reads it). */
  readonly ledgerFile?: string;
  /** Project charged (budgets per project). */
  readonly project?: string;
  /** Records kept in memory (default 10,000); older ones are dropped and counted in `droppedRecords`. */
  readonly maxRecords?: number;
}

/** Per-job labels of a recorded cost. */
export interface RecordOptions {
  readonly experiment?: string;
  readonly tasks?: number;
  /** The task ran in a reservation (Braket Direct). */
  readonly reservation?: boolean;
}

/** Usage a job record shows: shots, one task, billable seconds (provider-reported, else measured run time). */
export function usageOfJob(job: JobRecord, options: RecordOptions = {}): Usage {
  let durationSeconds = job.billableSeconds;
  if (durationSeconds === undefined && job.startedAt && job.finishedAt)
    durationSeconds = (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000;
  return {
    shots: job.shots,
    tasks: options.tasks ?? 1,
    durationSeconds,
    status: job.status,
    reservation: options.reservation,
  };
}

/** Reads a ledger file (missing file: no records). Lines that do not parse are skipped and counted. */
export function readLedger(file: string): { records: CostRecord[]; skipped: number } {
  if (!existsSync(file)) return { records: [], skipped: 0 };
  const records: CostRecord[] = [];
  let skipped = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as CostRecord;
      if (typeof r.amountUsd === 'number' && typeof r.device === 'string' && typeof r.at === 'string')
        records.push(r);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records, skipped };
}

/**
 * Prices quantum work.
 * @example
 *   const tracker = new CostTracker({ observer, budgets, ledgerFile: '.qobs/cost-ledger.jsonl' });
 *   tracker.estimate('braket.iqm/garnet', { shots: 1000 }).amountUsd; // 1.75
 *   const observer = new Observer({ serviceName: 'train', costOf: tracker.costOf });
 */
export class CostTracker {
  readonly prices: VersionedPrices;
  private readonly observer: Observer | undefined;
  private readonly budgets: BudgetBook | undefined;
  private readonly ledgerFile: string | undefined;
  private readonly project: string | undefined;
  private readonly maxRecords: number;
  private readonly kept: CostRecord[] = [];
  private readonly byJob = new Map<string, CostRecord>();
  /** Records dropped from memory because the buffer was full (the ledger file keeps them). */
  droppedRecords = 0;
  /** Ledger writes that failed (the cost is still counted and logged). */
  ledgerErrors = 0;

  constructor(options: CostTrackerOptions = {}) {
    this.prices = new VersionedPrices(options.catalogues ?? [configuredCatalogue()]);
    this.observer = options.observer;
    this.budgets = options.budgets;
    this.ledgerFile = options.ledgerFile;
    this.project = options.project;
    this.maxRecords = Math.max(1, options.maxRecords ?? 10_000);
  }

  /** The current catalogue version. */
  get catalogueVersion(): string {
    return this.prices.current.version;
  }

  /** Prices a planned usage with the current catalogue. Throws PriceNotFoundError / PriceUnconfirmedError. */
  estimate(deviceId: string, usage: Usage): Priced {
    return this.prices.current.price(deviceId, usage);
  }

  /** Prices a finished job with the current catalogue, without recording it. */
  price(job: JobRecord, options: RecordOptions = {}): Priced {
    return this.prices.current.price(`${job.provider}.${job.device}`, usageOfJob(job, options));
  }

  private toRecord(job: JobRecord, p: Priced, kind: CostRecord['kind'], options: RecordOptions): CostRecord {
    return {
      at: (job.finishedAt ?? job.createdAt).toISOString(),
      kind,
      jobId: job.id,
      provider: job.provider,
      device: `${job.provider}.${job.device}`,
      status: job.status,
      shots: job.shots,
      tasks: options.tasks ?? 1,
      amountUsd: p.amountUsd,
      currency: p.currency,
      costType: p.costType,
      catalogueVersion: p.catalogueVersion,
      breakdown: p.breakdown,
      rule: p.rule,
      project: this.project,
      experiment: options.experiment,
    };
  }

  private keep(r: CostRecord): void {
    if (this.kept.length >= this.maxRecords) {
      const old = this.kept.shift()!;
      if (old.jobId && this.byJob.get(old.jobId) === old) this.byJob.delete(old.jobId);
      this.droppedRecords++;
    }
    this.kept.push(r);
    if (r.jobId) this.byJob.set(r.jobId, r);
    if (this.ledgerFile) {
      try {
        mkdirSync(path.dirname(this.ledgerFile), { recursive: true });
        appendFileSync(this.ledgerFile, `${JSON.stringify(r)}\n`);
      } catch {
        this.ledgerErrors++;
      }
    }
    this.budgets?.apply({
      amountUsd: r.amountUsd,
      provider: r.provider,
      device: r.device,
      project: r.project,
    });
  }

  private figure(r: CostRecord): CostFigure {
    return {
      amount: r.amountUsd,
      currency: r.currency,
      costType: r.costType,
      catalogueVersion: r.catalogueVersion,
      details: {
        job_id: r.jobId,
        status: r.status,
        ...r.breakdown,
        ...(r.rule ? { rule: r.rule } : {}),
        ...(r.experiment ? { experiment: r.experiment } : {}),
        ...(r.project ? { project: r.project } : {}),
      },
    };
  }

  /**
   * Prices a finished job and records it: ledger, budgets, and (when an observer is set) `quantum_cost_total`
   * and a `quantum_cost_event` line. Use this for jobs not run through `observer.run` with `costOf`.
   */
  record(job: JobRecord, options: RecordOptions = {}): CostRecord {
    const r = this.toRecord(job, this.price(job, options), 'actual', options);
    this.keep(r);
    this.observer?.recordCost(r.provider, this.figure(r), job.device);
    return r;
  }

  /**
   * The Observer's `costOf` hook: prices the job, keeps it (ledger, budgets) and returns the figure that
   * `observer.run` counts and logs. An unpriceable job throws, which the Observer counts as `cost_hook_failed`.
   */
  readonly costOf: CostOf = (job: JobRecord, _device: Device) => {
    const r = this.toRecord(job, this.price(job), 'actual', {});
    this.keep(r);
    return this.figure(r);
  };

  /**
   * The cost of a past job, priced with the catalogue in force when it was created (its record says which).
   * A job this tracker already priced is returned as it was recorded.
   */
  recover(job: JobRecord, options: RecordOptions = {}): CostRecord {
    const known = this.byJob.get(job.id);
    if (known) return known;
    const book = this.prices.at(job.createdAt);
    const p = book.price(`${job.provider}.${job.device}`, usageOfJob(job, options));
    return this.toRecord(job, p, 'recovered', options);
  }

  /** The recorded cost of a job id, from memory, else from the ledger file. */
  lookup(jobId: string): CostRecord | undefined {
    const known = this.byJob.get(jobId);
    if (known || !this.ledgerFile) return known;
    return readLedger(this.ledgerFile).records.find((r) => r.jobId === jobId);
  }

  /** Records kept in memory, oldest first. */
  records(): readonly CostRecord[] {
    return this.kept;
  }
}
