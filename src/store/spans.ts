// Span storage: the spans of one trace from one resource and scope, received in one batch, are one row of
// `span_groups` (a JSON array of the spans), indexed by trace id, service and time. One row per trace and batch
// instead of one per span (each with three index entries) is what lets ingest keep up with OTLP exporters; the
// `spans` view unpacks the groups into the old one-row-per-span shape for SQL readers.
import type Database from 'better-sqlite3';
import { decodeStored } from './damage.js';
import type { Attributes, SpanIn } from './records.js';

/** A stored span as the traces API returns it. */
export interface SpanOut {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  service: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationMs: number;
  status: { code: number; message: string };
  traceState: string;
  flags: number;
  attributes: Attributes;
  events: Array<{ timeUnixNano: string; name: string; attributes: Attributes }>;
  links: Array<{ traceId: string; spanId: string; traceState: string; attributes: Attributes }>;
  resource: Attributes;
  scope: { name: string; version: string };
}

export interface TraceSummary {
  traceId: string;
  rootName: string;
  service: string;
  startTimeUnixNano: string;
  durationMs: number;
  spanCount: number;
  errorCount: number;
}

export interface TraceQuery {
  service?: string;
  /** `key=value` attribute filters, all required. */
  attributes?: Array<[string, string]>;
  minDurationMs?: number;
  startMs?: number;
  endMs?: number;
  limit?: number;
}

/**
 * One span inside a group's JSON: [span_id, parent_span_id, name, kind, start_ns, end_ns, status_code,
 * status_message, trace_state, flags, attributes, events, links]. Times are decimal strings (nanoseconds since
 * the epoch exceed 2^53); positions, not keys, keep the row small. Fixed: the `spans` view reads these indexes.
 */
export type SpanRow = [
  spanId: string,
  parentSpanId: string,
  name: string,
  kind: number,
  startNs: string,
  endNs: string,
  statusCode: number,
  statusMessage: string,
  traceState: string,
  flags: number,
  attributes: Attributes,
  events: Array<{ timeUnixNano: string; name: string; attributes: Attributes }>,
  links: SpanIn['links'],
];

/** The JSON row of one span (see SpanRow). */
export function spanRow(s: SpanIn): SpanRow {
  return [
    s.spanId,
    s.parentSpanId,
    s.name,
    s.kind,
    String(s.startTimeUnixNano),
    String(s.endTimeUnixNano),
    s.statusCode,
    s.statusMessage,
    s.traceState,
    s.flags,
    s.attributes,
    s.events.length === 0
      ? []
      : s.events.map((e) => ({
          timeUnixNano: String(e.timeUnixNano),
          name: e.name,
          attributes: e.attributes,
        })),
    s.links,
  ];
}

/**
 * An attribute value as SQLite's `CAST(json_extract(...) AS TEXT)` gives it, so `quantum.shots=1024` matches
 * the integer 1024 and `quantum.execution.success=1` the boolean true, as the per-span SQL filter did.
 */
export function attributeText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

const MS_NS = 1_000_000n;

interface Group {
  traceHex: string;
  service: string;
  resourceJson: string;
  scopeJson: string;
  rows: SpanRow[];
  ids: string;
  startNs: bigint;
  lastStartNs: bigint;
  endNs: bigint;
  maxDurationNs: bigint;
}

interface GroupRow {
  trace_id: Buffer;
  service: string;
  resource: string;
  scope: string;
  spans: string;
}

/** Reads and writes span groups; owned by `Store`, which calls `insert` inside its batch transaction. */
export class SpanGroups {
  private readonly st;
  /** JSON of resources and scopes, by object: every span of a decoded batch shares its resource's object. */
  private readonly jsonCache = new WeakMap<object, string>();

  constructor(private readonly db: Database.Database) {
    this.st = {
      insert: db.prepare(
        'INSERT INTO span_groups (trace_id, service, start_ns, last_start_ns, end_ns, max_duration_ns, n, span_ids, resource, scope, spans) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      idsOfTrace: db.prepare('SELECT span_ids FROM span_groups WHERE trace_id = ?').pluck(),
      groupsOfTrace: db.prepare(
        'SELECT trace_id, service, resource, scope, spans FROM span_groups WHERE trace_id = ? ORDER BY id',
      ),
      countBefore: db.prepare('SELECT COALESCE(SUM(n), 0) FROM span_groups WHERE end_ns < ?').pluck(),
      deleteBefore: db.prepare('DELETE FROM span_groups WHERE end_ns < ?'),
      oldestNs: db.prepare('SELECT MIN(start_ns) FROM span_groups').pluck().safeIntegers(true),
      count: db.prepare('SELECT COALESCE(SUM(n), 0) FROM span_groups').pluck(),
    };
  }

  private cachedJson(o: object): string {
    let j = this.jsonCache.get(o);
    if (j === undefined) {
      j = JSON.stringify(o);
      this.jsonCache.set(o, j);
    }
    return j;
  }

  /**
   * Stores spans not stored before (by trace and span id); returns how many were new. Call inside a
   * transaction: the duplicate check reads what earlier batches wrote.
   */
  insert(spans: readonly SpanIn[]): { accepted: number; duplicate: number } {
    // Group by trace, then resource and scope (their JSON is stored once per group).
    const byTrace = new Map<string, Group[]>();
    for (const s of spans) {
      const resourceJson = this.cachedJson(s.resource);
      const scopeJson = this.cachedJson(s.scope);
      let groups = byTrace.get(s.traceId);
      if (!groups) {
        groups = [];
        byTrace.set(s.traceId, groups);
      }
      let g: Group | undefined;
      for (const x of groups) if (x.resourceJson === resourceJson && x.scopeJson === scopeJson) g = x;
      if (!g) {
        const service = s.resource['service.name'];
        g = {
          traceHex: s.traceId,
          service: typeof service === 'string' ? service : '',
          resourceJson,
          scopeJson,
          rows: [],
          ids: '',
          startNs: s.startTimeUnixNano,
          lastStartNs: s.startTimeUnixNano,
          endNs: s.endTimeUnixNano,
          maxDurationNs: 0n,
        };
        groups.push(g);
      }
      g.rows.push(spanRow(s));
      g.ids += s.spanId;
      if (s.startTimeUnixNano < g.startNs) g.startNs = s.startTimeUnixNano;
      if (s.startTimeUnixNano > g.lastStartNs) g.lastStartNs = s.startTimeUnixNano;
      if (s.endTimeUnixNano > g.endNs) g.endNs = s.endTimeUnixNano;
      const d = s.endTimeUnixNano - s.startTimeUnixNano;
      if (d > g.maxDurationNs) g.maxDurationNs = d;
    }
    let accepted = 0;
    let duplicate = 0;
    for (const [traceHex, groups] of byTrace) {
      const traceId = Buffer.from(traceHex, 'hex');
      const stored = this.st.idsOfTrace.all(traceId) as string[];
      let seen: Set<string> | undefined;
      if (stored.length > 0) {
        seen = new Set();
        for (const ids of stored)
          for (let i = 0; i + 16 <= ids.length; i += 16) seen.add(ids.slice(i, i + 16));
      }
      if (seen === undefined && groups.length === 1 && !hasRepeatedIds(groups[0].ids)) {
        this.write(traceId, groups[0]);
        accepted += groups[0].rows.length;
        continue;
      }
      // Slow path: some spans may be stored already, or repeat within the batch.
      seen ??= new Set();
      for (const g of groups) {
        const keep: SpanRow[] = [];
        let ids = '';
        for (const r of g.rows) {
          if (seen.has(r[0])) {
            duplicate++;
            continue;
          }
          seen.add(r[0]);
          keep.push(r);
          ids += r[0];
        }
        if (keep.length === 0) continue;
        const kept = { ...g, rows: keep, ids };
        if (keep.length !== g.rows.length) recomputeBounds(kept);
        this.write(traceId, kept);
        accepted += keep.length;
      }
    }
    return { accepted, duplicate };
  }

  private write(traceId: Buffer, g: Group): void {
    this.st.insert.run(
      traceId,
      g.service,
      g.startNs,
      g.lastStartNs,
      g.endNs,
      g.maxDurationNs,
      g.rows.length,
      g.ids,
      g.resourceJson,
      g.scopeJson,
      JSON.stringify(g.rows),
    );
  }

  /** Every stored span of one trace, by start time; empty when unknown. */
  trace(traceIdHex: string): SpanOut[] {
    const rows = this.st.groupsOfTrace.all(Buffer.from(traceIdHex.toLowerCase(), 'hex')) as GroupRow[];
    const out: Array<SpanOut & { startNs: bigint }> = [];
    for (const g of rows) decodeStored('span group', () => this.unpack(g, out));
    out.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
    return out.map(({ startNs: _, ...s }) => s);
  }

  private unpack(g: GroupRow, out: Array<SpanOut & { startNs: bigint }>): void {
    {
      const traceId = g.trace_id.toString('hex');
      const resource = JSON.parse(g.resource) as Attributes;
      const scope = JSON.parse(g.scope) as { name: string; version: string };
      for (const r of JSON.parse(g.spans) as SpanRow[]) {
        const startNs = BigInt(r[4]);
        const endNs = BigInt(r[5]);
        out.push({
          traceId,
          spanId: r[0],
          parentSpanId: r[1],
          name: r[2],
          kind: r[3],
          service: g.service,
          startTimeUnixNano: r[4],
          endTimeUnixNano: r[5],
          durationMs: endNs >= startNs ? Number(endNs - startNs) / 1e6 : 0,
          status: { code: r[6], message: r[7] },
          traceState: r[8],
          flags: r[9],
          attributes: r[10],
          events: r[11],
          links: r[12],
          resource,
          scope,
          startNs,
        });
      }
    }
  }

  /**
   * Traces with a span matching every filter, newest first (by their latest matching span's start). Groups are
   * read newest first and stop as soon as no later group can change the first `limit` traces.
   */
  search(q: TraceQuery): TraceSummary[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const startNs = q.startMs !== undefined ? BigInt(Math.floor(q.startMs)) * MS_NS : undefined;
    const endNs = q.endMs !== undefined ? BigInt(Math.floor(q.endMs)) * MS_NS : undefined;
    const minDurNs = q.minDurationMs !== undefined ? BigInt(Math.round(q.minDurationMs * 1e6)) : undefined;
    if (q.service) {
      where.push('service = ?');
      args.push(q.service);
    }
    if (startNs !== undefined) {
      where.push('last_start_ns >= ?');
      args.push(startNs);
    }
    if (endNs !== undefined) {
      where.push('start_ns <= ?');
      args.push(endNs);
    }
    if (minDurNs !== undefined) {
      where.push('max_duration_ns >= ?');
      args.push(minDurNs);
    }
    const attrs = q.attributes ?? [];
    // A group whose JSON does not hold the key at all cannot match: SQLite skips it without the JSON being
    // parsed here (the rows are JSON.stringify or json() output, which write a key as its JSON string and ':').
    for (const [k] of attrs) {
      where.push('instr(spans, ?) > 0');
      args.push(`${JSON.stringify(k)}:`);
    }
    const exact = startNs !== undefined || endNs !== undefined || minDurNs !== undefined || attrs.length > 0;
    const limit = Math.min(Math.max(q.limit ?? 20, 1), 1000);
    const stmt = this.db
      .prepare(
        `SELECT trace_id, last_start_ns, ${exact ? 'spans' : "'' AS spans"} FROM span_groups ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_start_ns DESC`,
      )
      .safeIntegers(true);
    // Latest matching start per trace.
    const best = new Map<string, bigint>();
    let kth: bigint | undefined;
    for (const g of stmt.iterate(...args) as IterableIterator<{
      trace_id: Buffer;
      last_start_ns: bigint;
      spans: string;
    }>) {
      if (kth !== undefined && g.last_start_ns < kth) break;
      let latest: bigint | undefined;
      if (!exact) latest = g.last_start_ns;
      else
        for (const r of decodeStored('span group', () => JSON.parse(g.spans) as SpanRow[])) {
          const s = BigInt(r[4]);
          if (startNs !== undefined && s < startNs) continue;
          if (endNs !== undefined && s > endNs) continue;
          if (minDurNs !== undefined) {
            const e = BigInt(r[5]);
            if ((e >= s ? e - s : 0n) < minDurNs) continue;
          }
          let ok = true;
          for (const [k, v] of attrs) {
            if (attributeText(Object.hasOwn(r[10], k) ? r[10][k] : undefined) !== v) {
              ok = false;
              break;
            }
          }
          if (ok && (latest === undefined || s > latest)) latest = s;
        }
      if (latest === undefined) continue;
      const id = g.trace_id.toString('hex');
      const prev = best.get(id);
      if (prev === undefined || latest > prev) best.set(id, latest);
      if (best.size >= limit) {
        const sorted = [...best.values()].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
        kth = sorted[limit - 1];
      }
    }
    const ids = [...best]
      .sort((a, b) => (a[1] > b[1] ? -1 : a[1] < b[1] ? 1 : a[0] < b[0] ? -1 : 1))
      .slice(0, limit)
      .map(([id]) => id);
    return ids.map((id) => summarize(id, this.trace(id)));
  }

  /** Deletes groups whose every span ended before `cutNs`; returns the spans deleted. */
  deleteBefore(cutNs: bigint): number {
    const n = Number(this.st.countBefore.get(cutNs));
    if (n > 0) this.st.deleteBefore.run(cutNs);
    return n;
  }

  /** The earliest span start in nanoseconds, or undefined when empty. */
  oldestNs(): bigint | undefined {
    const v = this.st.oldestNs.get() as bigint | null;
    return v ?? undefined;
  }

  /** Spans stored. */
  count(): number {
    return Number(this.st.count.get());
  }
}

function hasRepeatedIds(ids: string): boolean {
  if (ids.length <= 16) return false;
  const seen = new Set<string>();
  for (let i = 0; i < ids.length; i += 16) {
    const id = ids.slice(i, i + 16);
    if (seen.has(id)) return true;
    seen.add(id);
  }
  return false;
}

function recomputeBounds(g: Group): void {
  g.startNs = BigInt(g.rows[0][4]);
  g.lastStartNs = g.startNs;
  g.endNs = BigInt(g.rows[0][5]);
  g.maxDurationNs = 0n;
  for (const r of g.rows) {
    const s = BigInt(r[4]);
    const e = BigInt(r[5]);
    if (s < g.startNs) g.startNs = s;
    if (s > g.lastStartNs) g.lastStartNs = s;
    if (e > g.endNs) g.endNs = e;
    if (e - s > g.maxDurationNs) g.maxDurationNs = e - s;
  }
}

function summarize(traceId: string, spans: SpanOut[]): TraceSummary {
  let start: bigint | undefined;
  let end: bigint | undefined;
  let errors = 0;
  // The root: a span without parent, else the earliest (spans are sorted by start).
  let root = spans[0];
  for (const s of spans) {
    const a = BigInt(s.startTimeUnixNano);
    const b = BigInt(s.endTimeUnixNano);
    if (start === undefined || a < start) start = a;
    if (end === undefined || b > end) end = b;
    if (s.status.code === 2) errors++;
    if (s.parentSpanId === '' && root.parentSpanId !== '') root = s;
  }
  return {
    traceId,
    rootName: root?.name ?? '',
    service: root?.service ?? '',
    startTimeUnixNano: String(start ?? 0n),
    durationMs: start !== undefined && end !== undefined ? Number(end - start) / 1e6 : 0,
    spanCount: spans.length,
    errorCount: errors,
  };
}
