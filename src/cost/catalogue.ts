// The versioned, dated price catalogue: what each device costs, where each figure came from, and how a job is priced.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { QobsConfigError } from '../errors.js';
import { PriceNotFoundError, PriceUnconfirmedError, UsageError } from './errors.js';

/** How a provider bills a device. */
export type PricingModel = 'task_shot' | 'per_minute' | 'per_second' | 'free';

/** One catalogue entry: a device (or a `provider.*` pattern), its fees, their source and the day they were read. */
export interface PriceEntry {
  /** `<provider>.<device>` as DESIGN.md addresses devices; `*` matches any run of characters. Case-insensitive. */
  readonly device: string;
  readonly model: PricingModel;
  /** null: not confirmed from a published source (pricing refuses rather than guessing). */
  readonly perTaskUsd?: number | null;
  readonly perShotUsd?: number | null;
  readonly perMinuteUsd?: number | null;
  readonly perSecondUsd?: number | null;
  /** Per-minute billing granularity (Braket simulators: 1 ms). */
  readonly billingIncrementMs?: number;
  /** Smallest billed duration of a task (Braket simulators: 3000 ms). */
  readonly minimumMs?: number;
  /** The provider bills failed tasks too (Braket TN1). */
  readonly failedTasksBilled?: boolean;
  readonly source: string;
  /** ISO date the source was read (or the date it shows). */
  readonly readOn: string;
  readonly note?: string;
}

/** A price catalogue: one version of every price, in one currency. */
export interface Catalogue {
  readonly version: string;
  /** First day (ISO date) these prices apply; recovering an old job's cost picks the version in force then. */
  readonly effectiveFrom: string;
  readonly currency: string;
  readonly prices: readonly PriceEntry[];
}

const money = z.number().finite().nonnegative().nullable();
const entrySchema = z
  .object({
    device: z.string().min(1),
    model: z.enum(['task_shot', 'per_minute', 'per_second', 'free']),
    per_task_usd: money.optional(),
    per_shot_usd: money.optional(),
    per_minute_usd: money.optional(),
    per_second_usd: money.optional(),
    billing_increment_ms: z.number().int().positive().optional(),
    minimum_ms: z.number().int().nonnegative().optional(),
    failed_tasks_billed: z.boolean().optional(),
    source: z.string().min(1),
    read_on: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be an ISO date YYYY-MM-DD'),
    note: z.string().optional(),
  })
  .strict();
const catalogueSchema = z
  .object({
    version: z.string().min(1),
    effective_from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be an ISO date YYYY-MM-DD'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
    prices: z.array(entrySchema).min(1),
  })
  .strict();

/**
 * Validates a catalogue object (as read from YAML or JSON, snake_case fields). Every issue is reported, each
 * with its path, in one QobsConfigError whose `field` is the first issue's path.
 */
export function parseCatalogue(raw: unknown): Catalogue {
  const r = catalogueSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new QobsConfigError(
      r.error.issues[0].path.join('.') || 'catalogue',
      `invalid price catalogue (${issues.join('; ')})`,
    );
  }
  const c = r.data;
  return {
    version: c.version,
    effectiveFrom: c.effective_from,
    currency: c.currency,
    prices: c.prices.map((p) => ({
      device: p.device,
      model: p.model,
      perTaskUsd: p.per_task_usd,
      perShotUsd: p.per_shot_usd,
      perMinuteUsd: p.per_minute_usd,
      perSecondUsd: p.per_second_usd,
      billingIncrementMs: p.billing_increment_ms,
      minimumMs: p.minimum_ms,
      failedTasksBilled: p.failed_tasks_billed,
      source: p.source,
      readOn: p.read_on,
      note: p.note,
    })),
  };
}

/** Reads a catalogue file (YAML or JSON). */
export function loadCatalogue(file: string): Catalogue {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new QobsConfigError('catalogue', `cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new QobsConfigError('catalogue', `${file} is not YAML or JSON: ${(err as Error).message}`);
  }
  return parseCatalogue(raw);
}

/** Absolute path of the shipped catalogue, assets/prices/catalogue.yaml (works from src/ and dist/). */
export function defaultCataloguePath(): string {
  return fileURLToPath(new URL('../../assets/prices/catalogue.yaml', import.meta.url));
}

let shipped: Catalogue | undefined;
/** The shipped catalogue (read once). */
export function defaultCatalogue(): Catalogue {
  shipped ??= loadCatalogue(defaultCataloguePath());
  return shipped;
}

/** The catalogue named by QOBS_PRICE_CATALOGUE, else the shipped one. */
export function configuredCatalogue(env: NodeJS.ProcessEnv = process.env): Catalogue {
  const file = env.QOBS_PRICE_CATALOGUE;
  return file ? loadCatalogue(file) : defaultCatalogue();
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}

/** Compiled lookup over a catalogue; exact ids win over patterns, and earlier patterns over later ones. */
export class PriceBook {
  readonly catalogue: Catalogue;
  private readonly exact = new Map<string, PriceEntry>();
  private readonly patterns: Array<[RegExp, PriceEntry]> = [];

  constructor(catalogue: Catalogue) {
    this.catalogue = catalogue;
    for (const p of catalogue.prices) {
      if (p.device.includes('*')) this.patterns.push([globToRegExp(p.device), p]);
      else if (!this.exact.has(p.device.toLowerCase())) this.exact.set(p.device.toLowerCase(), p);
    }
  }

  get version(): string {
    return this.catalogue.version;
  }

  /** The entry pricing `deviceId`, or undefined. */
  find(deviceId: string): PriceEntry | undefined {
    const hit = this.exact.get(deviceId.toLowerCase());
    if (hit) return hit;
    for (const [re, p] of this.patterns) if (re.test(deviceId)) return p;
    return undefined;
  }

  /** The entry pricing `deviceId`; throws PriceNotFoundError. */
  entry(deviceId: string): PriceEntry {
    const e = this.find(deviceId);
    if (!e) throw new PriceNotFoundError(deviceId, this.catalogue.version);
    return e;
  }

  /** Prices a usage of `deviceId` (see `priceUsage`). */
  price(deviceId: string, usage: Usage): Priced {
    return priceUsage(this.entry(deviceId), usage, deviceId, this.catalogue);
  }
}

/** What was (or will be) used. */
export interface Usage {
  /** Shots per task. */
  readonly shots: number;
  /** Tasks (default 1); each runs `shots` shots. */
  readonly tasks?: number;
  /** Billable duration of each task in seconds (simulator run time, IBM usage). */
  readonly durationSeconds?: number;
  /** Final status; failed and cancelled tasks are priced as the provider bills them. Default `completed`. */
  readonly status?: 'completed' | 'failed' | 'cancelled' | 'queued' | 'running';
  /** The task ran inside a reservation (Braket Direct): billed by the reservation, not per task and shot. */
  readonly reservation?: boolean;
}

/** A priced usage: the amount, its parts and the catalogue that priced it. */
export interface Priced {
  readonly device: string;
  readonly amountUsd: number;
  readonly currency: string;
  /** The `cost_type` label: `qpu_task` (task and shot fees), `simulator_time`, `qpu_time`, `local`. */
  readonly costType: string;
  readonly catalogueVersion: string;
  readonly model: PricingModel;
  /** Named parts that sum to `amountUsd`, and the figures they came from. */
  readonly breakdown: Readonly<Record<string, number>>;
  readonly source: string;
  readonly readOn: string;
  /** Why the amount is what it is when a rule applied (not billed, minimum duration, reservation). */
  readonly rule?: string;
}

const COST_TYPE: Record<PricingModel, string> = {
  task_shot: 'qpu_task',
  per_minute: 'simulator_time',
  per_second: 'qpu_time',
  free: 'local',
};

// Sums of binary fractions drift (0.3 + 1000 * 0.0009); bills are in fractions of a cent, so 1e-9 USD is exact enough.
const round = (x: number): number => Math.round(x * 1e9) / 1e9;

function need(entry: PriceEntry, deviceId: string, field: string, value: number | null | undefined): number {
  if (value === null || value === undefined) throw new PriceUnconfirmedError(deviceId, field, entry.note);
  return value;
}

/**
 * Prices one usage with one catalogue entry. Rules, as the providers bill:
 * task_shot: tasks × (per_task + shots × per_shot); failed or cancelled tasks cost nothing (Braket's own tracker);
 * per_minute: each task billed max(ceil(duration / increment) × increment, minimum) ms at per_minute / 60000;
 *   failed tasks cost nothing unless `failed_tasks_billed` (TN1), cancelled ones nothing;
 * per_second: tasks × duration × per_second (the usage the provider reports, whatever the status);
 * free: 0. A task inside a reservation has no per-task or per-shot fee (the reservation is billed on its own).
 */
export function priceUsage(entry: PriceEntry, usage: Usage, deviceId: string, catalogue: Catalogue): Priced {
  const tasks = usage.tasks ?? 1;
  if (!Number.isInteger(usage.shots) || usage.shots < 0)
    throw new UsageError('shots', `must be a non-negative integer, got ${usage.shots}`);
  if (!Number.isInteger(tasks) || tasks < 0)
    throw new UsageError('tasks', `must be a non-negative integer, got ${tasks}`);
  const status = usage.status ?? 'completed';
  const base = {
    device: deviceId,
    currency: catalogue.currency,
    costType: COST_TYPE[entry.model],
    catalogueVersion: catalogue.version,
    model: entry.model,
    source: entry.source,
    readOn: entry.readOn,
  };
  const zero = (rule: string, breakdown: Record<string, number> = {}): Priced => ({
    ...base,
    amountUsd: 0,
    breakdown,
    rule,
  });
  switch (entry.model) {
    case 'free':
      return zero('local device: no charge');
    case 'task_shot': {
      if (usage.reservation)
        return zero('run inside a reservation: billed by the reservation, not per task or shot');
      if (status === 'failed' || status === 'cancelled') return zero(`${status} QPU task: not charged`);
      const perTask = need(entry, deviceId, 'per_task_usd', entry.perTaskUsd);
      const perShot = need(entry, deviceId, 'per_shot_usd', entry.perShotUsd);
      const taskFees = round(tasks * perTask);
      const shotFees = round(tasks * usage.shots * perShot);
      return {
        ...base,
        amountUsd: round(taskFees + shotFees),
        breakdown: {
          tasks,
          shots_per_task: usage.shots,
          per_task_usd: perTask,
          per_shot_usd: perShot,
          task_fees_usd: taskFees,
          shot_fees_usd: shotFees,
        },
      };
    }
    case 'per_minute': {
      if (status === 'cancelled') return zero('cancelled simulator task: not charged');
      if (status === 'failed' && !entry.failedTasksBilled) return zero('failed simulator task: not charged');
      const perMinute = need(entry, deviceId, 'per_minute_usd', entry.perMinuteUsd);
      const d = usage.durationSeconds;
      if (d === undefined || !(d >= 0))
        throw new UsageError('durationSeconds', 'a per-minute device needs the task duration in seconds');
      const inc = entry.billingIncrementMs ?? 1;
      const min = entry.minimumMs ?? 0;
      const runMs = Math.round(d * 1e6) / 1e3; // microsecond-exact, so 1.5 s is 1500 ms, not 1500.0000000002
      const billedMs = Math.max(Math.ceil(runMs / inc) * inc, min);
      const amount = round((tasks * billedMs * perMinute) / 60000);
      return {
        ...base,
        amountUsd: amount,
        breakdown: {
          tasks,
          duration_ms_per_task: runMs,
          billed_ms_per_task: billedMs,
          per_minute_usd: perMinute,
          time_fees_usd: amount,
        },
        rule: billedMs > runMs ? `billed the ${min} ms minimum per task` : undefined,
      };
    }
    case 'per_second': {
      const perSecond = need(entry, deviceId, 'per_second_usd', entry.perSecondUsd);
      const d = usage.durationSeconds;
      if (d === undefined || !(d >= 0))
        throw new UsageError('durationSeconds', 'a per-second device needs the billed usage in seconds');
      const amount = round(tasks * d * perSecond);
      return {
        ...base,
        amountUsd: amount,
        breakdown: { tasks, usage_seconds_per_task: d, per_second_usd: perSecond, time_fees_usd: amount },
      };
    }
  }
}

/**
 * Several catalogue versions at once, so a past job is priced with the prices in force when it ran.
 * @example
 *   const book = new VersionedPrices([old, current]);
 *   book.at(new Date('2025-06-01')).price('braket.iqm/garnet', { shots: 1000 });
 */
export class VersionedPrices {
  private readonly books: PriceBook[];
  constructor(catalogues: readonly Catalogue[]) {
    if (catalogues.length === 0) throw new QobsConfigError('catalogues', 'at least one catalogue is needed');
    this.books = [...catalogues]
      .sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom))
      .map((c) => new PriceBook(c));
  }

  /** The newest catalogue. */
  get current(): PriceBook {
    return this.books[this.books.length - 1];
  }

  /** The catalogue in force at `when` (the oldest one when `when` precedes them all). */
  at(when: Date): PriceBook {
    const day = when.toISOString().slice(0, 10);
    let chosen = this.books[0];
    for (const b of this.books) if (b.catalogue.effectiveFrom <= day) chosen = b;
    return chosen;
  }
}
