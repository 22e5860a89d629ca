// The costs API the dashboard's Costs page reads: spend by provider and by day (from `quantum_cost_total`), by
// device (from the `quantum_cost_event` and `quantum_circuit_execution` log lines), budgets with their burn-down,
// the price catalogue in use, and what-if estimates that price free local runs as if run on a catalogue device.
import {
  budgetPeriod,
  type BudgetSpec,
  type Catalogue,
  configuredCatalogue,
  type PeriodBounds,
  type PriceEntry,
  PriceBook,
  periodAt,
  periodLabel,
  priceUsage,
} from '../cost/index.js';
import { QobsConfigError, QobsError } from '../errors.js';
import type { Statement } from 'better-sqlite3';
import { labelsKey, migrate, type Store } from '../store/index.js';
import type { Workbench, WorkbenchPlugin } from './workbench.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MS_NS = 1_000_000n;
/** How far before `start` a counter's last sample is looked for (longer than any scrape interval). */
const LOOKBACK_MS = 3_600_000;
/** Longest range one request may cover (the by-day table has one row a day). */
const MAX_RANGE_DAYS = 366;
/** Points of a budget's burn-down at most (spend is summed into buckets of period / this). */
const BURN_DOWN_POINTS = 480;
const COST_METRIC = 'quantum_cost_total';

/** A request the costs API refuses; `field` names the parameter, `status` is the HTTP status. */
export class CostsQueryError extends QobsError {
  readonly field: string;
  readonly status = 400;
  constructor(field: string, message: string) {
    super('costs_query_invalid', `${field}: ${message}`);
    this.field = field;
  }
}

/** Options of the costs API. */
export interface CostsApiOptions {
  /** Prices in use (default: QOBS_PRICE_CATALOGUE, else the bundled catalogue). */
  readonly catalogue?: Catalogue;
  /** The file the catalogue was read from, shown by `/api/costs/catalogue`. */
  readonly catalogueFile?: string;
  /** Budgets whose spend in their current period is reported. */
  readonly budgets?: readonly BudgetSpec[];
  /**
   * A catalogue device (`task_shot` pricing) that local runs are priced as, in a separate, labelled what-if
   * estimate (the demo sets one; a request's `estimateAs` overrides it). Nothing is added to the real spend.
   */
  readonly estimateAs?: string;
  /** Where the budgets come from, when that needs saying (the demo's own budget); shown on the Costs page. */
  readonly budgetsNote?: string;
  /** Milliseconds since the epoch, for budgets' current periods; injectable for tests. */
  readonly clock?: () => number;
}

/** One point of a burn-down: cumulative spend of the period at `t` (ms). */
export interface BurnPoint {
  readonly t: number;
  readonly spent: number;
}

/** A budget's spend in its current period, its burn-down and where its burn rate leads. */
export interface BudgetView {
  readonly name: string;
  /** `month`, `week`, `day` (calendar periods, UTC) or e.g. `30 days`. */
  readonly period: string;
  /** `month`, `week`, `day`, or `days` for fixed-length periods counted from 1970-01-01. */
  readonly periodKind: 'month' | 'week' | 'day' | 'days';
  /** Length of the current period in days (28 to 31 for a month). */
  readonly periodDays: number;
  /** Start of the current period (inclusive). */
  readonly periodStart: string;
  /** End of the current period (exclusive). */
  readonly periodEnd: string;
  /** The spend per day that uses exactly the limit over the current period's real length. */
  readonly sustainablePerDay: number;
  readonly scope: { readonly provider?: string; readonly device?: string; readonly project?: string };
  readonly limit: number;
  readonly spent: number;
  readonly remaining: number;
  /** Spend per day over the last 24 h (or since spending began in the period, if later); null: under a minute of data. */
  readonly burnRatePerDay: number | null;
  /** `burnRatePerDay` over `sustainablePerDay` (1: on pace to spend exactly the limit by the period's end). */
  readonly burnRateMultiple: number | null;
  /**
   * When the budget runs out at that rate (ISO), or when it ran out; null when nothing is being spent (or at a
   * rate so small that it would run out after the year 275760).
   */
  readonly projectedExhaustion: string | null;
  readonly exhausted: boolean;
  readonly exhaustsBeforePeriodEnd: boolean;
  readonly burnDown: readonly BurnPoint[];
  /** The same budget if the estimated local runs had run on the estimate's device (when its scope matches). */
  readonly whatIf?: Omit<
    BudgetView,
    | 'name'
    | 'period'
    | 'periodKind'
    | 'periodDays'
    | 'periodStart'
    | 'periodEnd'
    | 'sustainablePerDay'
    | 'scope'
    | 'limit'
    | 'whatIf'
  >;
}

type Row = Record<string, unknown>;

function num(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
}

/** `<provider>.<device>`; a device already written that way (budget warnings, other SDKs) is kept as it is. */
function deviceId(provider: string, device: string): string {
  if (!device) return `${provider}.(unknown)`;
  return device.toLowerCase().startsWith(`${provider.toLowerCase()}.`) ? device : `${provider}.${device}`;
}

const dayOf = (ms: number): string => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

/** Money sums drift in binary fractions; bills are kept to 1e-9 (as the catalogue rounds them). */
const round = (x: number): number => Math.round(x * 1e9) / 1e9;

const MAX_DATE_MS = 8.64e15;

function parseMs(raw: unknown, field: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string')
    throw new CostsQueryError(field, 'give it once, as milliseconds since the epoch or an RFC 3339 time');
  const n = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new CostsQueryError(field, `'${raw}' is not milliseconds since the epoch or an RFC 3339 time`);
  // Past what a Date can hold (year 275760) no day can be named; refuse it rather than fail later.
  if (n > MAX_DATE_MS) throw new CostsQueryError(field, `'${raw}' is past the latest time a date can hold`);
  return n;
}

/** The validated range of a request: `end` defaults to now, `start` to a day before `end`. */
export function parseRange(query: Row, nowMs: number): { startMs: number; endMs: number } {
  const endMs = parseMs(query.end, 'end', nowMs);
  const startMs = parseMs(query.start, 'start', endMs - DAY_MS);
  if (startMs >= endMs) throw new CostsQueryError('start', `must be before end (${startMs} >= ${endMs})`);
  if (endMs - startMs > MAX_RANGE_DAYS * DAY_MS)
    throw new CostsQueryError('start', `the range may cover at most ${MAX_RANGE_DAYS} days`);
  return { startMs, endMs };
}

// ---- the metric: by provider and cost type, and by day

/** What `quantum_cost_total` rose by in (start, end]: per provider and cost type, per UTC day, and in all. */
export interface CounterIncrease {
  readonly byProvider: Array<{ provider: string; costType: string; amount: number }>;
  /** Increase per UTC day index (ms / 86,400,000). */
  readonly byDay: Map<number, number>;
  readonly total: number;
}

/**
 * The exact rise of `quantum_cost_total` in (start, end], summed from consecutive samples (a drop is a counter
 * reset: the new value counts). Unlike PromQL's `increase()` it does not extrapolate to the range's edges, so the
 * figures add up across days and devices. The baseline is the last sample at or before `start` (looked for up to
 * an hour back). A series with no earlier sample began in the range and counts from zero, unless its first sample
 * is near `horizonMs` (where retention deletes data): then its history may be gone, and that sample is only the
 * baseline, so a range reaching past retention does not count a counter's whole past as spend in the range.
 */
export function costCounterIncrease(
  store: Store,
  startMs: number,
  endMs: number,
  horizonMs = Number.NEGATIVE_INFINITY,
): CounterIncrease {
  const matchers = [{ name: '__name__', op: '=' as const, value: COST_METRIC }];
  const series = store.select(matchers, startMs - LOOKBACK_MS, endMs);
  let older: Set<string> | undefined;
  const byKey = new Map<string, { provider: string; costType: string; amount: number }>();
  const byDay = new Map<number, number>();
  let total = 0;
  for (const s of series) {
    let prev: number | undefined;
    let started = false;
    const { timestamps: ts, values: vs } = s;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i];
      const v = vs[i];
      if (Number.isNaN(v)) continue; // staleness markers
      if (t <= startMs) {
        prev = v;
        continue;
      }
      if (t > endMs) break;
      if (!started && prev === undefined) {
        // No baseline within the lookback: a counter with older samples has an unknown baseline (its first sample
        // here becomes it); one with none began in the range.
        older ??= new Set(store.series(matchers, 0, startMs - LOOKBACK_MS).map(labelsKey));
        prev = older.has(labelsKey(s.labels)) || t <= horizonMs + LOOKBACK_MS ? v : 0;
      }
      started = true;
      const delta = v >= prev! ? v - prev! : v;
      prev = v;
      // A series sampled in the range has its row even at zero (a free local device is tracked, not missing).
      const provider = s.labels.provider ?? '';
      const costType = s.labels.cost_type ?? '';
      const k = `${provider}\u0000${costType}`;
      const row = byKey.get(k) ?? { provider, costType, amount: 0 };
      row.amount += delta;
      byKey.set(k, row);
      if (delta === 0) continue;
      const d = Math.floor(t / DAY_MS);
      byDay.set(d, (byDay.get(d) ?? 0) + delta);
      total += delta;
    }
  }
  const byProvider = [...byKey.values()]
    .map((r) => ({ ...r, amount: round(r.amount) }))
    .sort((a, b) => b.amount - a.amount || a.provider.localeCompare(b.provider));
  return { byProvider, byDay, total: round(total) };
}

// ---- the log lines

const A = (path: string) => `json_extract(attributes, '${path}')`;
const AMOUNT = A('$.amount');
const PROJECT = `COALESCE(${A('$.cost_details.project')}, ${A('$."cost_details.project"')})`;
// Budget warnings are `quantum_cost_event` lines too, but their amount is a running total, not a new cost.
const COST_EVENTS = `event_type = 'quantum_cost_event' AND COALESCE(${A('$.cost_type')}, '') != 'budget_warning'`;
const EXECUTIONS = `event_type = 'quantum_circuit_execution'`;
const SHOTS = A('$.execution_details.shots');
const STATUS = A('$.execution_details.status');
// A cost event's fields, extracted once into a materialized CTE: in one flat query SQLite extracts the amount
// again at every use (about half the time of a scan, measured).
const EVENT_FIELDS = `${A('$.provider')} AS provider, ${A('$.device')} AS device, ${A('$.currency')} AS currency,
  ${AMOUNT} AS a, time_ns`;
const OK = `(typeof(a) IN ('integer', 'real') AND a >= 0)`;
const VERSION = `COALESCE(${A('$.cost_details.catalogue_version')}, ${A('$."cost_details.catalogue_version"')})`;
/** Spend per provider, device, project, currency and bucket of the events `where` selects (bucket: last parameter). */
const spendQuery = (where: string) =>
  `WITH e AS MATERIALIZED (SELECT ${EVENT_FIELDS}, ${PROJECT} AS project FROM logs WHERE ${where})
   SELECT provider, device, project, currency, time_ns / ? AS bucket, TOTAL(CASE WHEN ${OK} THEN a END) AS amount,
     MIN(CASE WHEN ${OK} AND a > 0 THEN time_ns END) AS first_ns
   FROM e GROUP BY 1, 2, 3, 4, 5`;
// Local runs grouped by what their price depends on (shots, outcome) and by time bucket.
const RUN_COLUMNS = `${A('$.device')} AS device, ${SHOTS} AS shots, ${STATUS} AS status, time_ns / ? AS bucket,
  COUNT(*) AS n, MIN(time_ns) AS first_ns`;
const LOCAL_RUNS = `${EXECUTIONS} AND ${A('$.provider')} = 'local'`;
/**
 * The same conditions for queries bounded by log id, with the (event_type, time) index ruled out (`+event_type`):
 * the rowid range is the narrow side there, where SQLite would otherwise walk every line of the event type.
 */
const byId = (cond: string): string => cond.replace(/\bevent_type\b/g, '+event_type');

const ns = (ms: number): bigint => BigInt(Math.floor(ms)) * MS_NS;

type StatementName = 'eventsByDevice' | 'executions' | 'spendFrom' | 'spendSince' | 'runsFrom' | 'runsSince';

const DAY_NS = BigInt(DAY_MS) * MS_NS;
/**
 * Read-only statements over the store's logs table, aggregated in SQLite. Executions are read from the
 * `quantum_circuit_execution` lines (one per run, with provider, device, shots and status, indexed by time),
 * not from the spans, which the store keeps grouped by trace without a per-span time index.
 */
function statements(store: Store): Record<StatementName, Statement> {
  const db = store.db;
  const g4 = 'GROUP BY 1, 2, 3, 4';
  return {
    // One scan each for a range: the cost events by device, currency and catalogue version; the executions by
    // device and, for estimates, by shots, outcome and UTC day.
    eventsByDevice: db.prepare(
      `WITH e AS MATERIALIZED (SELECT ${EVENT_FIELDS}, ${VERSION} AS version
         FROM logs WHERE ${COST_EVENTS} AND time_ns > ? AND time_ns <= ?)
       SELECT provider, device, currency, version, COUNT(*) AS n, TOTAL(CASE WHEN ${OK} THEN a END) AS amount,
         SUM(NOT ${OK}) AS bad
       FROM e ${g4}`,
    ),
    executions: db.prepare(
      `SELECT ${A('$.provider')} AS provider, ${RUN_COLUMNS}
       FROM logs WHERE ${EXECUTIONS} AND time_ns > ? AND time_ns <= ? GROUP BY 1, 2, 3, 4, 5`,
    ),
    // A budget period's spend and local runs, first from its start (by time), then only the lines stored since.
    // Periods are half-open, [start, end): a cost at exactly a period's first instant belongs to it.
    spendFrom: db.prepare(spendQuery(`${COST_EVENTS} AND time_ns >= ? AND time_ns < ? AND id <= ?`)),
    spendSince: db.prepare(
      spendQuery(`id > ? AND id <= ? AND ${byId(COST_EVENTS)} AND time_ns >= ? AND time_ns < ?`),
    ),
    runsFrom: db.prepare(
      `SELECT ${RUN_COLUMNS} FROM logs WHERE ${LOCAL_RUNS} AND time_ns >= ? AND time_ns < ? AND id <= ? ${g4}`,
    ),
    runsSince: db.prepare(
      `SELECT ${RUN_COLUMNS} FROM logs
       WHERE id > ? AND id <= ? AND ${byId(LOCAL_RUNS)} AND time_ns >= ? AND time_ns < ? ${g4}`,
    ),
  };
}
type Statements = Record<StatementName, Statement>;

/** The what-if device: a catalogue entry priced per task and shot with confirmed fees. */
interface EstimateDevice {
  readonly id: string;
  readonly provider: string;
  readonly entry: PriceEntry;
}

function estimateDevice(book: PriceBook, id: string, field: string): EstimateDevice {
  const entry = book.find(id);
  if (!entry) throw new CostsQueryError(field, `'${id}' is not in price catalogue ${book.version}`);
  if (entry.model !== 'task_shot')
    throw new CostsQueryError(
      field,
      `'${id}' is priced ${entry.model}; estimates price local runs per task and shot (a task_shot device)`,
    );
  if (entry.perTaskUsd == null || entry.perShotUsd == null)
    throw new CostsQueryError(field, `'${id}' has no confirmed price in catalogue ${book.version}`);
  const dot = id.indexOf('.');
  return { id, provider: dot > 0 ? id.slice(0, dot) : id, entry };
}

/** Local runs of one device, shot count, outcome and bucket. */
interface RunGroup {
  device: string;
  shots: unknown;
  status: string;
  bucket: number;
  n: number;
  firstMs: number;
}

function runGroup(r: Row): RunGroup {
  return {
    device: str(r.device),
    shots: r.shots,
    status: str(r.status),
    bucket: num(r.bucket),
    n: num(r.n),
    firstMs: num(r.first_ns) / 1e6,
  };
}

/** Local runs priced as `est`: per local device, and per bucket. */
function priceLocalRuns(
  groups: Iterable<RunGroup>,
  catalogue: Catalogue,
  est: EstimateDevice,
): {
  byDevice: Map<string, { executions: number; amount: number }>;
  byBucket: Map<number, number>;
  unpriced: number;
  /** When the first run that costs something ran (ms), if any. */
  firstSpendMs: number | undefined;
} {
  const byDevice = new Map<string, { executions: number; amount: number }>();
  const byBucket = new Map<number, number>();
  let unpriced = 0;
  let firstSpendMs: number | undefined;
  for (const r of groups) {
    const shots = r.shots;
    if (typeof shots !== 'number' || !Number.isInteger(shots) || shots < 0) {
      unpriced += r.n;
      continue;
    }
    const status = r.status === 'success' ? 'completed' : r.status === 'cancelled' ? 'cancelled' : 'failed';
    const p = priceUsage(est.entry, { shots, tasks: r.n, status }, est.id, catalogue);
    const id = deviceId('local', r.device);
    const d = byDevice.get(id) ?? { executions: 0, amount: 0 };
    d.executions += r.n;
    d.amount += p.amountUsd;
    byDevice.set(id, d);
    byBucket.set(r.bucket, (byBucket.get(r.bucket) ?? 0) + p.amountUsd);
    if (p.amountUsd > 0) firstSpendMs = Math.min(firstSpendMs ?? Number.POSITIVE_INFINITY, r.firstMs);
  }
  return { byDevice, byBucket, unpriced, firstSpendMs };
}

/** Spend of one provider, device, project and currency in one bucket. */
interface SpendGroup {
  provider: string;
  device: string;
  project: string | undefined;
  currency: string;
  bucket: number;
  amount: number;
  firstMs: number | undefined;
}

/** Most groups one budget period keeps in memory; past it the period is read again on every request (counted). */
const MAX_PERIOD_GROUPS = 100_000;

/**
 * A budget period's spend and local runs, summed per bucket. The first request reads the period from the slot
 * tables of CostSums (or from the logs, for a period of a fractional number of days); later ones add only the log
 * lines stored since (by id), so a month-long period is not scanned on every refresh. Lines deleted by retention
 * stay counted here until the workbench restarts.
 */
class PeriodSums {
  readonly spend = new Map<string, SpendGroup>();
  readonly runs = new Map<string, RunGroup>();
  lastId = 0;
  /** The time of the line `lastId` names, to recognise it later (ids are reused once the newest lines go). */
  markTimeNs: bigint | undefined;
  constructor(
    readonly periodStartMs: number,
    readonly periodEndMs: number,
    readonly bucketMs: number,
  ) {}

  private addSpend(rows: Row[]): void {
    for (const r of rows) {
      const g: SpendGroup = {
        provider: str(r.provider),
        device: str(r.device),
        project: r.project === null || r.project === undefined ? undefined : str(r.project),
        currency: str(r.currency),
        bucket: num(r.bucket),
        amount: num(r.amount),
        firstMs: r.first_ns === null || r.first_ns === undefined ? undefined : num(r.first_ns) / 1e6,
      };
      const k = `${g.provider}\u0000${g.device}\u0000${g.project ?? '\u0001'}\u0000${g.currency}\u0000${g.bucket}`;
      const old = this.spend.get(k);
      if (old) {
        old.amount += g.amount;
        if (g.firstMs !== undefined)
          old.firstMs = Math.min(old.firstMs ?? Number.POSITIVE_INFINITY, g.firstMs);
      } else this.spend.set(k, g);
    }
  }

  private addRuns(rows: Row[]): void {
    for (const r of rows) {
      const g = runGroup(r);
      const k = `${g.device}\u0000${String(g.shots)}\u0000${g.status}\u0000${g.bucket}`;
      const old = this.runs.get(k);
      if (old) {
        old.n += g.n;
        old.firstMs = Math.min(old.firstMs, g.firstMs);
      } else this.runs.set(k, g);
    }
  }

  /** Whether the period and its buckets are whole slots of the slot tables. */
  private slotted(): boolean {
    return (
      this.bucketMs % SLOT_MS === 0 && this.periodStartMs % SLOT_MS === 0 && this.periodEndMs % SLOT_MS === 0
    );
  }

  update(st: Statements, lastId: number, tables?: CostSums): boolean {
    const bucket = ns(this.bucketMs);
    const from = ns(this.periodStartMs);
    const to = ns(this.periodEndMs);
    if (this.lastId === 0 && tables && this.slotted()) {
      // First read of the period from the slot tables, up to their high-water mark. They keep the costs of lines
      // deleted since they were summed (retention, the size cap): a budget counts what was spent, not what is
      // still stored.
      tables.catchUp();
      const mark = tables.lastId();
      if (mark > 0) {
        const rows = tables.slotRows(this.periodStartMs, this.periodEndMs, this.bucketMs);
        this.addSpend(rows.spend);
        this.addRuns(rows.runs);
      }
      this.lastId = mark;
    }
    if (lastId > this.lastId) {
      const first = this.lastId === 0;
      this.addSpend(
        (first
          ? st.spendFrom.all(from, to, lastId, bucket)
          : st.spendSince.all(this.lastId, lastId, from, to, bucket)) as Row[],
      );
      this.addRuns(
        (first
          ? st.runsFrom.all(bucket, from, to, lastId)
          : st.runsSince.all(bucket, this.lastId, lastId, from, to)) as Row[],
      );
      this.lastId = lastId;
    }
    return this.spend.size + this.runs.size <= MAX_PERIOD_GROUPS;
  }
}

// ---- whole UTC days, summed in tables of the costs namespace

/**
 * Schema of the costs namespace: cost events and executions summed per UTC day (one row per day and group; `k`
 * is the group's fields as a JSON array, so 1 and '1' stay apart as they do in a GROUP BY), and the log id up to
 * which they are summed. Append-only, see store/migrate.ts.
 */
const COSTS_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE costs_day_events (day INTEGER NOT NULL, k TEXT NOT NULL, provider, device, currency, version,
    n INTEGER NOT NULL, amount REAL NOT NULL, bad INTEGER NOT NULL, PRIMARY KEY (day, k)) WITHOUT ROWID;
  CREATE TABLE costs_day_runs (day INTEGER NOT NULL, k TEXT NOT NULL, provider, device, shots, status,
    n INTEGER NOT NULL, first_ns INTEGER NOT NULL, PRIMARY KEY (day, k)) WITHOUT ROWID;
  CREATE TABLE costs_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  `,
  // 2: spend and local runs per 3-minute slot, from which budget periods' burn-down buckets are summed; every sum
  // starts again from the first log line so that all tables share one high-water mark.
  `
  CREATE TABLE costs_slot_spend (slot INTEGER NOT NULL, k TEXT NOT NULL, provider, device, project, currency,
    amount REAL NOT NULL, first_ns INTEGER, PRIMARY KEY (slot, k)) WITHOUT ROWID;
  CREATE TABLE costs_slot_runs (slot INTEGER NOT NULL, k TEXT NOT NULL, device, shots, status,
    n INTEGER NOT NULL, first_ns INTEGER NOT NULL, PRIMARY KEY (slot, k)) WITHOUT ROWID;
  DELETE FROM costs_day_events;
  DELETE FROM costs_day_runs;
  DELETE FROM costs_state;
  `,
];

/**
 * Length of a slot of the slot tables. Every burn-down bucket of a budget whose period is a whole number of days
 * (calendar periods, integer period_days) is 3 × days minutes long and epoch-aligned, so it is a whole number of
 * slots, and every such period starts on a slot boundary.
 */
const SLOT_MS = 180_000;
const SLOT_NS = BigInt(SLOT_MS) * MS_NS;

/** Log ids summed per step of the background catch-up, so a backlog never holds the event loop for long. */
const CATCH_UP_IDS = 50_000;

/**
 * Cost events and executions per UTC day, and spend and local runs per 3-minute slot, kept in the store's file
 * (tables of the `costs` namespace) and brought up to date by log id: every line stored after the high-water mark
 * is added to the day and slot of its own timestamp, so a line that arrives late with an old time still lands in
 * its day, and a day's sums stay exact. They are summed in the background as lines arrive (and survive restarts),
 * so a request reads a few rows a day instead of extracting every line's fields. Days that retention or the size
 * cap may have cut into (up to the floor: the day of the oldest stored line, or a later one that was) are not
 * answered from here but read directly, and their rows are deleted.
 * If the line at the high-water mark has gone or changed (ids can be reused once the newest lines are deleted),
 * the sums are dropped and rebuilt (counted).
 */
class CostSums {
  private readonly db: Store['db'];
  private readonly st: {
    newEvents: Statement;
    newRuns: Statement;
    events: Statement;
    runs: Statement;
    slotSpend: Statement;
    slotRuns: Statement;
    readSlotSpend: Statement;
    readSlotRuns: Statement;
    purgeSlotSpend: Statement;
    purgeSlotRuns: Statement;
    readEvents: Statement;
    readRuns: Statement;
    getState: Statement;
    setState: Statement;
    lineAt: Statement;
    lineAtOrBefore: Statement;
    minTime: Statement;
    purgeEvents: Statement;
    purgeRuns: Statement;
  };
  /** Times the sums were dropped and rebuilt. */
  rebuilds = 0;

  /**
   * `keepSlotDays`: how many days of slot sums are kept before the oldest stored line (the longest budget period),
   * so that a budget period still counts the costs whose lines retention or the size cap deleted.
   */
  constructor(
    private readonly store: Store,
    private readonly keepSlotDays = 0,
  ) {
    this.db = store.db;
    migrate(this.db, 'costs', COSTS_MIGRATIONS);
    const db = this.db;
    const ok = OK;
    // The fields of the lines being added are extracted once into temporary tables, then summed per day and per
    // slot from there (extracting is most of the cost).
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS costs_new_events (time_ns, provider, device, currency, version, project, a);
      CREATE TEMP TABLE IF NOT EXISTS costs_new_runs (time_ns, provider, device, shots, status);`);
    const minFirst = `COALESCE(MIN(first_ns, excluded.first_ns), first_ns, excluded.first_ns)`;
    this.st = {
      newEvents: db.prepare(
        `INSERT INTO temp.costs_new_events (time_ns, provider, device, currency, version, project, a)
         SELECT time_ns, provider, device, currency, version, project, a
         FROM (SELECT ${EVENT_FIELDS}, ${VERSION} AS version, ${PROJECT} AS project
           FROM logs WHERE id > ? AND id <= ? AND ${byId(COST_EVENTS)})`,
      ),
      newRuns: db.prepare(
        `INSERT INTO temp.costs_new_runs (time_ns, provider, device, shots, status)
         SELECT time_ns, ${A('$.provider')}, ${A('$.device')}, ${SHOTS}, ${STATUS}
         FROM logs WHERE id > ? AND id <= ? AND ${byId(EXECUTIONS)}`,
      ),
      events: db.prepare(
        `INSERT INTO costs_day_events (day, k, provider, device, currency, version, n, amount, bad)
         SELECT time_ns / ${DAY_NS}, json_array(provider, device, currency, version), provider, device, currency,
           version, COUNT(*), TOTAL(CASE WHEN ${ok} THEN a END), SUM(NOT ${ok})
         FROM temp.costs_new_events WHERE true GROUP BY 1, 2
         ON CONFLICT (day, k) DO UPDATE SET n = n + excluded.n, amount = amount + excluded.amount,
           bad = bad + excluded.bad`,
      ),
      runs: db.prepare(
        `INSERT INTO costs_day_runs (day, k, provider, device, shots, status, n, first_ns)
         SELECT time_ns / ${DAY_NS}, json_array(provider, device, shots, status), provider, device, shots, status,
           COUNT(*), MIN(time_ns)
         FROM temp.costs_new_runs WHERE true GROUP BY 1, 2
         ON CONFLICT (day, k) DO UPDATE SET n = n + excluded.n, first_ns = MIN(first_ns, excluded.first_ns)`,
      ),
      slotSpend: db.prepare(
        `INSERT INTO costs_slot_spend (slot, k, provider, device, project, currency, amount, first_ns)
         SELECT time_ns / ${SLOT_NS}, json_array(provider, device, project, currency), provider, device, project,
           currency, TOTAL(CASE WHEN ${ok} THEN a END), MIN(CASE WHEN ${ok} AND a > 0 THEN time_ns END)
         FROM temp.costs_new_events WHERE true GROUP BY 1, 2
         ON CONFLICT (slot, k) DO UPDATE SET amount = amount + excluded.amount, first_ns = ${minFirst}`,
      ),
      slotRuns: db.prepare(
        `INSERT INTO costs_slot_runs (slot, k, device, shots, status, n, first_ns)
         SELECT time_ns / ${SLOT_NS}, json_array(device, shots, status), device, shots, status, COUNT(*),
           MIN(time_ns)
         FROM temp.costs_new_runs WHERE provider = 'local' GROUP BY 1, 2
         ON CONFLICT (slot, k) DO UPDATE SET n = n + excluded.n, first_ns = MIN(first_ns, excluded.first_ns)`,
      ),
      readSlotSpend: db.prepare(
        `SELECT provider, device, project, currency, slot / ? AS bucket, TOTAL(amount) AS amount,
           MIN(first_ns) AS first_ns
         FROM costs_slot_spend WHERE slot >= ? AND slot < ? GROUP BY 1, 2, 3, 4, 5`,
      ),
      readSlotRuns: db.prepare(
        `SELECT device, shots, status, slot / ? AS bucket, SUM(n) AS n, MIN(first_ns) AS first_ns
         FROM costs_slot_runs WHERE slot >= ? AND slot < ? GROUP BY 1, 2, 3, 4`,
      ),
      purgeSlotSpend: db.prepare('DELETE FROM costs_slot_spend WHERE slot < ?'),
      purgeSlotRuns: db.prepare('DELETE FROM costs_slot_runs WHERE slot < ?'),
      readEvents: db.prepare(
        'SELECT provider, device, currency, version, day, n, amount, bad FROM costs_day_events WHERE day >= ? AND day < ?',
      ),
      readRuns: db.prepare(
        'SELECT provider, device, shots, status, day AS bucket, n, first_ns FROM costs_day_runs WHERE day >= ? AND day < ?',
      ),
      getState: db.prepare('SELECT value FROM costs_state WHERE name = ?').pluck().safeIntegers(true),
      setState: db.prepare(
        'INSERT INTO costs_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      ),
      lineAt: db.prepare('SELECT time_ns FROM logs WHERE id = ?').pluck().safeIntegers(true),
      lineAtOrBefore: db
        .prepare('SELECT id, time_ns FROM logs WHERE id <= ? ORDER BY id DESC LIMIT 1')
        .safeIntegers(true),
      minTime: db.prepare('SELECT MIN(time_ns) FROM logs').pluck().safeIntegers(true),
      purgeEvents: db.prepare('DELETE FROM costs_day_events WHERE day < ?'),
      purgeRuns: db.prepare('DELETE FROM costs_day_runs WHERE day < ?'),
    };
  }

  /** The time of log line `id`, undefined when there is none. */
  lineTimeNs(id: number): bigint | undefined {
    return this.st.lineAt.get(id) as bigint | undefined;
  }

  /** The log id the sums hold every line up to. */
  lastId(): number {
    return Number((this.st.getState.get('days_last_id') as bigint | undefined) ?? 0n);
  }

  /**
   * Adds the lines stored past the high-water mark, at most `maxIds` ids of them; true when the sums hold every
   * stored line.
   */
  catchUp(maxIds = Number.POSITIVE_INFINITY): boolean {
    return this.db.transaction(() => {
      const lastLogId = this.store.lastLogId();
      let from = this.lastId();
      if (from > 0) {
        const at = this.st.lineAt.get(from) as bigint | undefined;
        if (from > lastLogId || at === undefined || at !== this.st.getState.get('days_last_time_ns')) {
          this.db.exec(
            `DELETE FROM costs_day_events; DELETE FROM costs_day_runs; DELETE FROM costs_slot_spend;
             DELETE FROM costs_slot_runs; DELETE FROM costs_state WHERE name = 'days_floor'`,
          );
          // The mark goes too, so an empty table is not found changed (and rebuilt) again on every call.
          this.st.setState.run('days_last_id', 0n);
          this.st.setState.run('days_last_time_ns', 0n);
          from = 0;
          this.rebuilds++;
        }
      }
      const to = Math.min(lastLogId, from + maxIds);
      if (to > from) {
        this.st.newEvents.run(from, to);
        this.st.newRuns.run(from, to);
        this.st.events.run();
        this.st.runs.run();
        this.st.slotSpend.run();
        this.st.slotRuns.run();
        this.db.exec('DELETE FROM temp.costs_new_events; DELETE FROM temp.costs_new_runs');
        // The mark is the newest line at or before `to` that exists, with its time to recognise it later.
        const line = this.st.lineAtOrBefore.get(to) as { id: bigint; time_ns: bigint } | undefined;
        this.st.setState.run('days_last_id', line?.id ?? 0n);
        this.st.setState.run('days_last_time_ns', line?.time_ns ?? 0n);
      }
      // The floor: the latest day that deletions may have cut into. It only rises (a late line older than it
      // makes an older day the oldest, but the floor's own rows may still count lines deleted before).
      const oldest = this.oldestDay();
      const floor = this.floorDay();
      const minDay = oldest === undefined ? floor : Math.max(oldest, floor ?? oldest);
      if (minDay !== undefined) {
        if (minDay !== floor) this.st.setState.run('days_floor', BigInt(minDay));
        this.st.purgeEvents.run(minDay);
        this.st.purgeRuns.run(minDay);
        const minSlot = ((minDay - this.keepSlotDays) * DAY_MS) / SLOT_MS;
        this.st.purgeSlotSpend.run(minSlot);
        this.st.purgeSlotRuns.run(minSlot);
      }
      return to >= lastLogId;
    })();
  }

  /**
   * The latest UTC day that retention or the size cap may have cut into since the sums began: the day of the
   * oldest stored line, or a later one that was the oldest before. Its rows and those before it are not used.
   */
  floorDay(): number | undefined {
    const v = this.st.getState.get('days_floor') as bigint | undefined;
    return v === undefined ? undefined : Number(v);
  }

  /** The UTC day of the oldest stored line, or undefined with no lines. */
  oldestDay(): number | undefined {
    const t = this.st.minTime.get() as bigint | null;
    return t === null ? undefined : Number(t / DAY_NS);
  }

  /**
   * Spend and local runs of [startMs, endMs) summed into buckets of `bucketMs` (all three whole slots), as the
   * budget period statements give them.
   */
  slotRows(startMs: number, endMs: number, bucketMs: number): { spend: Row[]; runs: Row[] } {
    // As integers: a number would be bound as a real, and slot / 31.0 is no bucket index.
    const args = [bucketMs, startMs, endMs].map((ms) => BigInt(ms / SLOT_MS));
    return {
      spend: this.st.readSlotSpend.all(...args) as Row[],
      runs: this.st.readSlotRuns.all(...args) as Row[],
    };
  }

  /** Rows of the days in [fromDay, toDay). */
  rows(fromDay: number, toDay: number): { events: Row[]; executions: Row[] } {
    return {
      events: this.st.readEvents.all(fromDay, toDay) as Row[],
      executions: this.st.readRuns.all(fromDay, toDay) as Row[],
    };
  }
}

/**
 * The cost-event and execution rows of (start, end]: its whole UTC days from the day table, brought up to the last
 * stored line; the partial days at its edges, and days deletions may have cut into, read directly. Rows of one key
 * may come several times; every use adds them up.
 */
function rangeRows(
  st: Statements,
  days: CostSums,
  startMs: number,
  endMs: number,
): { events: Row[]; executions: Row[] } {
  const direct = (from: bigint, to: bigint) => ({
    events: st.eventsByDevice.all(from, to) as Row[],
    executions: st.executions.all(DAY_NS, from, to) as Row[],
  });
  days.catchUp();
  const oldest = days.oldestDay() === undefined ? undefined : days.floorDay();
  // Whole days are [firstWhole, lastWhole): from the first midnight strictly after start, and after the oldest day.
  const firstWhole = Math.max(Math.floor(startMs / DAY_MS) + 1, oldest === undefined ? 0 : oldest + 1);
  const lastWhole = Math.floor(endMs / DAY_MS);
  if (oldest === undefined || firstWhole >= lastWhole) return direct(ns(startMs), ns(endMs));
  const head = direct(ns(startMs), BigInt(firstWhole) * DAY_NS - 1n);
  const tail = direct(BigInt(lastWhole) * DAY_NS - 1n, ns(endMs));
  const whole = days.rows(firstWhole, lastWhole);
  return {
    events: [...head.events, ...whole.events, ...tail.events],
    executions: [...head.executions, ...whole.executions, ...tail.executions],
  };
}

// ---- budgets

function matchesScope(b: BudgetSpec, provider: string, device: string, project: string | undefined): boolean {
  if (b.project !== undefined && b.project !== project) return false;
  if (b.provider !== undefined && b.provider !== provider) return false;
  if (b.device !== undefined && b.device.toLowerCase() !== device.toLowerCase()) return false;
  return true;
}

/**
 * Burn-down and projection from spend per bucket. The burn rate is the spend of the last 24 hours, or of the time
 * since spending began in the period when that is shorter, so a workload started an hour ago is not diluted by
 * the idle part of its period.
 */
function burn(
  limit: number,
  sustainablePerDay: number,
  periodStartMs: number,
  periodEndMs: number,
  nowMs: number,
  bucketMs: number,
  byBucket: Map<number, number>,
  firstSpendMs: number | undefined,
): NonNullable<BudgetView['whatIf']> {
  const buckets = [...byBucket.entries()].filter(([, v]) => v > 0).sort((a, b) => a[0] - b[0]);
  const points: BurnPoint[] = [{ t: periodStartMs, spent: 0 }];
  let cum = 0;
  let exhaustedAtMs: number | undefined;
  for (const [b, v] of buckets) {
    cum += v;
    const t = Math.min(nowMs, (b + 1) * bucketMs);
    points.push({ t, spent: round(cum) });
    if (exhaustedAtMs === undefined && cum >= limit) exhaustedAtMs = t;
  }
  const spent = round(cum);
  if (points[points.length - 1].t < nowMs) points.push({ t: nowMs, spent });
  const windowStartMs = Math.max(periodStartMs, nowMs - DAY_MS, firstSpendMs ?? nowMs);
  const windowMs = nowMs - windowStartMs;
  // All the period's spend when the window opens at its first spend (or the period's start); otherwise the
  // buckets of the last 24 hours, to within half a bucket.
  let inWindow = spent;
  if (windowStartMs !== firstSpendMs && windowStartMs !== periodStartMs) {
    inWindow = 0;
    for (const [b, v] of buckets) if ((b + 0.5) * bucketMs >= windowStartMs) inWindow += v;
  }
  // Nothing spent burns at zero; a spend too recent to time (under a minute) has no rate yet.
  const rate = buckets.length === 0 ? 0 : windowMs >= MINUTE_MS ? (inWindow / windowMs) * DAY_MS : null;
  const remaining = round(limit - spent);
  let projectedMs: number | null = null;
  if (exhaustedAtMs !== undefined) projectedMs = exhaustedAtMs;
  else if (rate !== null && rate > 0) projectedMs = nowMs + (remaining / rate) * DAY_MS;
  // A tiny rate against a large budget can point past the latest time a Date holds: no exhaustion to show.
  if (projectedMs !== null && !(projectedMs <= MAX_DATE_MS)) projectedMs = null;
  return {
    spent,
    remaining,
    burnRatePerDay: rate === null ? null : round(rate),
    burnRateMultiple: rate === null ? null : round(rate / sustainablePerDay),
    projectedExhaustion: projectedMs === null ? null : new Date(Math.round(projectedMs)).toISOString(),
    exhausted: exhaustedAtMs !== undefined,
    exhaustsBeforePeriodEnd: projectedMs !== null && projectedMs < periodEndMs,
    burnDown: points,
  };
}

function budgetView(
  sums: (key: string, bounds: PeriodBounds) => PeriodSums,
  b: BudgetSpec,
  currency: string,
  nowMs: number,
  estimate: { device: EstimateDevice; catalogue: Catalogue } | undefined,
): BudgetView {
  const kind = budgetPeriod(b);
  // Calendar periods follow the UTC calendar; fixed-length ones are counted from the epoch, so restarts agree.
  const bounds = periodAt(kind, nowMs);
  const label = periodLabel(kind);
  const period = sums(label, bounds);
  const { periodStartMs, periodEndMs, bucketMs } = period;
  const periodDays = (periodEndMs - periodStartMs) / DAY_MS;
  const sustainablePerDay = b.amountUsd / periodDays;
  const byBucket = new Map<number, number>();
  let firstSpendMs: number | undefined;
  for (const g of period.spend.values()) {
    if (g.currency !== currency) continue;
    if (!matchesScope(b, g.provider, deviceId(g.provider, g.device), g.project)) continue;
    byBucket.set(g.bucket, (byBucket.get(g.bucket) ?? 0) + g.amount);
    if (g.firstMs !== undefined) firstSpendMs = Math.min(firstSpendMs ?? Number.POSITIVE_INFINITY, g.firstMs);
  }
  const actual = burn(
    b.amountUsd,
    sustainablePerDay,
    periodStartMs,
    periodEndMs,
    nowMs,
    bucketMs,
    byBucket,
    firstSpendMs,
  );
  let whatIf: BudgetView['whatIf'];
  if (estimate && matchesScope(b, estimate.device.provider, estimate.device.id, undefined)) {
    const runs = priceLocalRuns(period.runs.values(), estimate.catalogue, estimate.device);
    const merged = new Map(byBucket);
    for (const [k, v] of runs.byBucket) merged.set(k, (merged.get(k) ?? 0) + v);
    const first = Math.min(
      firstSpendMs ?? Number.POSITIVE_INFINITY,
      runs.firstSpendMs ?? Number.POSITIVE_INFINITY,
    );
    whatIf = burn(
      b.amountUsd,
      sustainablePerDay,
      periodStartMs,
      periodEndMs,
      nowMs,
      bucketMs,
      merged,
      Number.isFinite(first) ? first : undefined,
    );
  }
  return {
    name: b.name,
    period: label,
    periodKind: kind.kind,
    periodDays,
    periodStart: new Date(periodStartMs).toISOString(),
    periodEnd: new Date(periodEndMs).toISOString(),
    sustainablePerDay: round(sustainablePerDay),
    scope: { provider: b.provider, device: b.device, project: b.project },
    limit: b.amountUsd,
    ...actual,
    ...(whatIf ? { whatIf } : {}),
  };
}

// ---- the plugin

function catalogueDoc(c: Catalogue, file: string | undefined) {
  return {
    version: c.version,
    effectiveFrom: c.effectiveFrom,
    currency: c.currency,
    file: file ?? null,
    prices: c.prices.map((p) => {
      const fees = {
        perTaskUsd: p.perTaskUsd,
        perShotUsd: p.perShotUsd,
        perMinuteUsd: p.perMinuteUsd,
        perSecondUsd: p.perSecondUsd,
      };
      const needed: Record<string, Array<keyof typeof fees>> = {
        task_shot: ['perTaskUsd', 'perShotUsd'],
        per_minute: ['perMinuteUsd'],
        per_second: ['perSecondUsd'],
        free: [],
      };
      return {
        device: p.device,
        model: p.model,
        ...fees,
        billingIncrementMs: p.billingIncrementMs,
        minimumMs: p.minimumMs,
        failedTasksBilled: p.failedTasksBilled,
        confirmed: needed[p.model].every((k) => typeof fees[k] === 'number'),
        source: p.source,
        readOn: p.readOn,
        note: p.note,
      };
    }),
  };
}

/**
 * `GET /api/costs?start=&end=[&estimateAs=]` (ms or RFC 3339) and `GET /api/costs/catalogue`.
 * @example
 *   startWorkbench(config, { plugins: [costsApiPlugin({ budgets: config.budgets })] });
 */
export function costsApiPlugin(options: CostsApiOptions = {}): WorkbenchPlugin {
  const catalogue = options.catalogue ?? configuredCatalogue();
  const book = new PriceBook(catalogue);
  const clock = options.clock ?? Date.now;
  const budgets = options.budgets ?? [];
  let defaultEstimate: EstimateDevice | undefined;
  if (options.estimateAs) {
    try {
      defaultEstimate = estimateDevice(book, options.estimateAs, 'estimateAs');
    } catch (err) {
      throw new QobsConfigError('estimateAs', (err as Error).message);
    }
  }
  return {
    name: 'costs-api',
    setup(wb: Workbench) {
      const st = statements(wb.store);
      const periods = new Map<string, PeriodSums>();
      let periodResets = 0;
      let periodRebuilds = 0;
      // Slot sums are kept for the longest budget period (at most 400 days) before the oldest stored line.
      const keepSlotDays = Math.min(
        400,
        Math.max(
          0,
          ...budgets.map((b) => {
            const k = budgetPeriod(b);
            return k.kind === 'days'
              ? Math.ceil(k.days)
              : k.kind === 'month'
                ? 31
                : k.kind === 'week'
                  ? 7
                  : 1;
          }),
        ),
      );
      const days = new CostSums(wb.store, keepSlotDays);
      let catchUpErrors = 0;
      let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
      let stopped = false;
      // Sums new lines in the background, a bounded step at a time, so requests find the days already summed.
      const step = () => {
        timer = undefined;
        if (stopped) return;
        try {
          if (!days.catchUp(CATCH_UP_IDS)) timer = setImmediate(step);
        } catch {
          catchUpErrors++; // the next request catches up, or reports the error itself
        }
      };
      const schedule = () => {
        if (timer === undefined && !stopped) timer = setTimeout(step, 100).unref();
      };
      const unsubscribe = wb.store.onLogs(schedule);
      schedule();
      wb.addTask(() => {
        stopped = true;
        unsubscribe();
        if (timer !== undefined) {
          clearTimeout(timer as NodeJS.Timeout);
          clearImmediate(timer as NodeJS.Immediate);
        }
      });
      /** The sums of a kind of period (`key`) over its period in force now, brought up to the last stored line. */
      const sums = (key: string, { startMs, endMs }: PeriodBounds): PeriodSums => {
        let p = periods.get(key);
        // The line the sums were brought up to is gone or is another line now (deletions took the newest lines
        // and their ids were given again): what was summed may no longer be stored, so start over.
        if (p && p.lastId > 0) {
          const at = days.lineTimeNs(p.lastId);
          if (p.lastId > wb.store.lastLogId() || at === undefined || at !== p.markTimeNs) {
            periods.delete(key);
            p = undefined;
            periodRebuilds++;
          }
        }
        if (!p || p.periodStartMs !== startMs) {
          // Buckets follow the period's real length (a 28-day February has shorter ones than a 31-day March).
          const bucketMs = Math.max(
            MINUTE_MS,
            Math.ceil((endMs - startMs) / BURN_DOWN_POINTS / MINUTE_MS) * MINUTE_MS,
          );
          p = new PeriodSums(startMs, endMs, bucketMs);
          periods.set(key, p);
        }
        if (!p.update(st, wb.store.lastLogId(), days)) {
          // Too many groups to keep: answer from these, then start over next time.
          periods.delete(key);
          periodResets++;
        }
        p.markTimeNs = p.lastId > 0 ? days.lineTimeNs(p.lastId) : undefined;
        return p;
      };
      wb.app.get('/api/costs/catalogue', async () => catalogueDoc(catalogue, options.catalogueFile));
      wb.app.get('/api/costs', async (req, reply) => {
        const q = req.query as Row;
        let range: { startMs: number; endMs: number };
        let est = defaultEstimate;
        try {
          range = parseRange(q, clock());
          if (q.estimateAs === 'none') est = undefined;
          else if (typeof q.estimateAs === 'string' && q.estimateAs !== '')
            est = estimateDevice(book, q.estimateAs, 'estimateAs');
          else if (q.estimateAs !== undefined && q.estimateAs !== '')
            throw new CostsQueryError('estimateAs', 'give one device id');
        } catch (err) {
          if (err instanceof CostsQueryError)
            return reply.code(err.status).send({ error: err.message, field: err.field });
          throw err;
        }
        const nowMs = clock();
        const doc = costsDoc(wb.store, st, sums, days, catalogue, budgets, range, nowMs, est);
        return options.budgetsNote ? { ...doc, budgetsNote: options.budgetsNote } : doc;
      });
      return {
        metricsText: () =>
          '# HELP qobs_costs_api_cache_resets_total Sums of the costs API read again: they outgrew their maximum, or the lines they were brought up to were deleted.\n' +
          '# TYPE qobs_costs_api_cache_resets_total counter\n' +
          `qobs_costs_api_cache_resets_total{sums="budget_period"} ${periodResets + periodRebuilds}\n` +
          `qobs_costs_api_cache_resets_total{sums="day"} ${days.rebuilds}\n` +
          '# HELP qobs_costs_api_day_sums_lag_lines Log lines stored but not yet added to the per-day cost sums.\n' +
          '# TYPE qobs_costs_api_day_sums_lag_lines gauge\n' +
          `qobs_costs_api_day_sums_lag_lines ${Math.max(0, wb.store.lastLogId() - days.lastId())}\n` +
          '# HELP qobs_costs_api_day_sums_errors_total Background updates of the per-day cost sums that failed.\n' +
          '# TYPE qobs_costs_api_day_sums_errors_total counter\n' +
          `qobs_costs_api_day_sums_errors_total ${catchUpErrors}\n`,
      };
    },
  };
}

/** A what-if: local runs priced as a catalogue device, kept apart from the real spend. */
export interface EstimateView {
  readonly device: string;
  readonly catalogueVersion: string;
  readonly note: string;
  readonly total: number;
  readonly executions: number;
  /** Runs whose shots were not recorded, so they could not be priced. */
  readonly unpricedExecutions: number;
  readonly byDevice: ReadonlyArray<{ device: string; executions: number; amount: number }>;
  readonly byDay: ReadonlyArray<{ day: string; amount: number }>;
}

/** The document `GET /api/costs` answers. */
export type CostsDoc = ReturnType<typeof costsDoc>;
/** The document `GET /api/costs/catalogue` answers. */
export type CatalogueDoc = ReturnType<typeof catalogueDoc>;

function costsDoc(
  store: Store,
  st: Statements,
  sums: (key: string, bounds: PeriodBounds) => PeriodSums,
  dayTable: CostSums,
  catalogue: Catalogue,
  budgets: readonly BudgetSpec[],
  { startMs, endMs }: { startMs: number; endMs: number },
  nowMs: number,
  est: EstimateDevice | undefined,
) {
  const currency = catalogue.currency;
  const metric = costCounterIncrease(store, startMs, endMs, nowMs - store.retentionMs);
  const devices = new Map<
    string,
    { device: string; provider: string; amount: number; executions: number; costEvents: number }
  >();
  const row = (provider: string, device: string) => {
    const id = deviceId(provider, device);
    const known = devices.get(id);
    if (known) return known;
    const r = { device: id, provider, amount: 0, executions: 0, costEvents: 0 };
    devices.set(id, r);
    return r;
  };
  let eventsTotal = 0;
  let eventCount = 0;
  let skipped = 0;
  const versions = new Set<string>();
  const rows = rangeRows(st, dayTable, startMs, endMs);
  for (const r of rows.events) {
    const n = num(r.n);
    if (typeof r.version === 'string' && versions.size < 20) versions.add(r.version);
    skipped += num(r.bad);
    if (str(r.currency) !== currency) {
      skipped += n - num(r.bad);
      continue;
    }
    const d = row(str(r.provider), str(r.device));
    d.amount += num(r.amount);
    d.costEvents += n;
    eventsTotal += num(r.amount);
    eventCount += n;
  }
  const localRuns: RunGroup[] = [];
  for (const r of rows.executions) {
    row(str(r.provider), str(r.device)).executions += num(r.n);
    if (r.provider === 'local') localRuns.push(runGroup(r));
  }
  const firstDay = Math.floor((startMs + 1) / DAY_MS);
  const lastDay = Math.floor(endMs / DAY_MS);
  const days: number[] = [];
  for (let d = firstDay; d <= lastDay; d++) days.push(d);

  let estimate: EstimateView | undefined;
  if (est) {
    const runs = priceLocalRuns(localRuns, catalogue, est);
    let total = 0;
    let executions = 0;
    for (const d of runs.byDevice.values()) {
      total += d.amount;
      executions += d.executions;
    }
    estimate = {
      device: est.id,
      catalogueVersion: catalogue.version,
      note: `What-if: local runs priced as ${est.id} (task and shot fees of catalogue ${catalogue.version}, from each run's shots and outcome). Local runs are free; nothing here was billed.`,
      total: round(total),
      executions,
      unpricedExecutions: runs.unpriced,
      byDevice: [...runs.byDevice.entries()]
        .map(([device, d]) => ({ device, executions: d.executions, amount: round(d.amount) }))
        .sort((a, b) => b.amount - a.amount || a.device.localeCompare(b.device)),
      byDay: days.map((d) => ({ day: dayOf(d * DAY_MS), amount: round(runs.byBucket.get(d) ?? 0) })),
    };
  }
  return {
    currency,
    catalogueVersion: catalogue.version,
    catalogueEffectiveFrom: catalogue.effectiveFrom,
    range: { startMs, endMs },
    // The metric is the record of spend the alert rules and Grafana read: totals come from it.
    total: metric.total,
    byProvider: metric.byProvider,
    byDay: days.map((d) => ({ day: dayOf(d * DAY_MS), amount: round(metric.byDay.get(d) ?? 0) })),
    // The metric has no device label (fixed by the specification); the cost events carry the device.
    byDevice: [...devices.values()]
      .map((d) => ({ ...d, amount: round(d.amount) }))
      .sort((a, b) => b.amount - a.amount || b.executions - a.executions || a.device.localeCompare(b.device)),
    events: {
      total: round(eventsTotal),
      count: eventCount,
      skipped,
      catalogueVersions: [...versions].sort(),
    },
    budgets: budgets.map((b) =>
      budgetView(sums, b, currency, nowMs, est ? { device: est, catalogue } : undefined),
    ),
    ...(estimate ? { estimate } : {}),
  };
}
