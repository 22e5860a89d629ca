// The alerting tables: rule alert state, silences, the notification log and the durable notification outbox.
import type BetterSqlite3 from 'better-sqlite3';
import { migrate } from './migrate.js';

const MIGRATIONS = [
  `CREATE TABLE alert_rule_state (
     rule_key TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     labels_json TEXT NOT NULL,
     annotations_json TEXT NOT NULL,
     state TEXT NOT NULL,
     value REAL,
     active_at_ms INTEGER NOT NULL,
     fired_at_ms INTEGER,
     resolved_at_ms INTEGER,
     keep_firing_since_ms INTEGER,
     last_sent_at_ms INTEGER,
     valid_until_ms INTEGER,
     PRIMARY KEY (rule_key, fingerprint)
   );
   CREATE TABLE alert_silences (
     id TEXT PRIMARY KEY,
     matchers_json TEXT NOT NULL,
     starts_at_ms INTEGER NOT NULL,
     ends_at_ms INTEGER NOT NULL,
     created_by TEXT NOT NULL,
     comment TEXT NOT NULL,
     updated_at_ms INTEGER NOT NULL
   );
   CREATE TABLE alert_nflog (
     group_key TEXT NOT NULL,
     receiver TEXT NOT NULL,
     firing_json TEXT NOT NULL,
     resolved_json TEXT NOT NULL,
     sent_at_ms INTEGER NOT NULL,
     PRIMARY KEY (group_key, receiver)
   );
   CREATE TABLE notification_outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     dedupe_key TEXT NOT NULL UNIQUE,
     receiver TEXT NOT NULL,
     integration TEXT NOT NULL,
     payload_json TEXT NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at_ms INTEGER NOT NULL,
     lease_until_ms INTEGER,
     last_error TEXT,
     created_at_ms INTEGER NOT NULL,
     sent_at_ms INTEGER
   );
   CREATE INDEX notification_outbox_due ON notification_outbox (state, next_attempt_at_ms);`,
  // The per-integration ordering check looks up earlier undelivered rows of the same integration.
  'CREATE INDEX notification_outbox_integration ON notification_outbox (integration, state, id);',
];

/** One alert of one rule as the evaluator keeps it (Prometheus' active alert). */
export interface StoredRuleAlert {
  readonly ruleKey: string;
  readonly fingerprint: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: 'pending' | 'firing' | 'inactive';
  readonly value: number;
  readonly activeAtMs: number;
  readonly firedAtMs?: number;
  readonly resolvedAtMs?: number;
  readonly keepFiringSinceMs?: number;
  readonly lastSentAtMs?: number;
  readonly validUntilMs?: number;
}

/** A silence matcher, Alertmanager style. */
export interface SilenceMatcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  readonly isEqual: boolean;
}

export interface Silence {
  readonly id: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAtMs: number;
  readonly endsAtMs: number;
  readonly createdBy: string;
  readonly comment: string;
  readonly updatedAtMs: number;
}

/** What was last notified to one receiver for one alert group (Alertmanager's notification log entry). */
export interface NflogEntry {
  readonly firing: readonly string[];
  readonly resolved: readonly string[];
  readonly sentAtMs: number;
}

export interface OutboxRow {
  readonly id: number;
  readonly dedupeKey: string;
  readonly receiver: string;
  readonly integration: string;
  readonly payload: unknown;
  readonly state: 'pending' | 'sending' | 'sent' | 'dead';
  readonly attempts: number;
  readonly nextAttemptAtMs: number;
  readonly lastError?: string;
  readonly createdAtMs: number;
  readonly sentAtMs?: number;
}

interface OutboxDbRow {
  id: number;
  dedupe_key: string;
  receiver: string;
  integration: string;
  payload_json: string;
  state: OutboxRow['state'];
  attempts: number;
  next_attempt_at_ms: number;
  last_error: string | null;
  created_at_ms: number;
  sent_at_ms: number | null;
}

function toOutbox(r: OutboxDbRow): OutboxRow {
  return {
    id: r.id,
    dedupeKey: r.dedupe_key,
    receiver: r.receiver,
    integration: r.integration,
    payload: JSON.parse(r.payload_json),
    state: r.state,
    attempts: r.attempts,
    nextAttemptAtMs: r.next_attempt_at_ms,
    lastError: r.last_error ?? undefined,
    createdAtMs: r.created_at_ms,
    sentAtMs: r.sent_at_ms ?? undefined,
  };
}

const opt = (v: number | null): number | undefined => (v === null ? undefined : v);

/** The alerting tables over the store's SQLite handle; every multi-row change runs in one transaction. */
export class AlertStore {
  readonly db: BetterSqlite3.Database;
  private readonly stmts;

  constructor(db: BetterSqlite3.Database) {
    this.db = db;
    migrate(db, 'alerts', MIGRATIONS);
    this.stmts = {
      ruleAll: db.prepare('SELECT * FROM alert_rule_state'),
      ruleDel: db.prepare('DELETE FROM alert_rule_state WHERE rule_key = ?'),
      ruleIns: db.prepare(
        `INSERT INTO alert_rule_state (rule_key, fingerprint, labels_json, annotations_json, state, value, active_at_ms,
           fired_at_ms, resolved_at_ms, keep_firing_since_ms, last_sent_at_ms, valid_until_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      silIns: db.prepare(
        `INSERT INTO alert_silences (id, matchers_json, starts_at_ms, ends_at_ms, created_by, comment, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET matchers_json = excluded.matchers_json, starts_at_ms = excluded.starts_at_ms,
           ends_at_ms = excluded.ends_at_ms, created_by = excluded.created_by, comment = excluded.comment,
           updated_at_ms = excluded.updated_at_ms`,
      ),
      silAll: db.prepare('SELECT * FROM alert_silences ORDER BY starts_at_ms, id'),
      silGet: db.prepare('SELECT * FROM alert_silences WHERE id = ?'),
      silExpire: db.prepare(
        'UPDATE alert_silences SET ends_at_ms = ?, updated_at_ms = ? WHERE id = ? AND ends_at_ms > ?',
      ),
      nfGet: db.prepare('SELECT * FROM alert_nflog WHERE group_key = ? AND receiver = ?'),
      nfPut: db.prepare(
        `INSERT INTO alert_nflog (group_key, receiver, firing_json, resolved_json, sent_at_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(group_key, receiver) DO UPDATE SET firing_json = excluded.firing_json,
           resolved_json = excluded.resolved_json, sent_at_ms = excluded.sent_at_ms`,
      ),
      nfDel: db.prepare('DELETE FROM alert_nflog WHERE group_key = ? AND receiver = ?'),
      obIns: db.prepare(
        `INSERT OR IGNORE INTO notification_outbox (dedupe_key, receiver, integration, payload_json, state, attempts,
           next_attempt_at_ms, created_at_ms) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`,
      ),
      obDue: db.prepare(
        // Only the oldest undelivered row of each integration is due: a resolve never overtakes its trigger.
        `SELECT * FROM notification_outbox o
         WHERE ((o.state = 'pending' AND o.next_attempt_at_ms <= ?) OR (o.state = 'sending' AND o.lease_until_ms <= ?))
           AND NOT EXISTS (SELECT 1 FROM notification_outbox p WHERE p.integration = o.integration AND p.id < o.id
                           AND p.state IN ('pending', 'sending'))
         ORDER BY o.id LIMIT ?`,
      ),
      obClaim: db.prepare(
        `UPDATE notification_outbox SET state = 'sending', lease_until_ms = ?, attempts = attempts + 1 WHERE id = ?`,
      ),
      obSent: db.prepare(
        `UPDATE notification_outbox SET state = 'sent', sent_at_ms = ?, lease_until_ms = NULL, last_error = NULL
         WHERE id = ? AND state = 'sending'`,
      ),
      obRetry: db.prepare(
        `UPDATE notification_outbox SET state = 'pending', next_attempt_at_ms = ?, lease_until_ms = NULL, last_error = ?
         WHERE id = ? AND state = 'sending'`,
      ),
      obDead: db.prepare(
        `UPDATE notification_outbox SET state = 'dead', lease_until_ms = NULL, last_error = ? WHERE id = ? AND state = 'sending'`,
      ),
      obList: db.prepare('SELECT * FROM notification_outbox ORDER BY id'),
      obCount: db.prepare(
        `SELECT COUNT(*) AS n FROM notification_outbox WHERE state IN ('pending', 'sending')`,
      ),
      obDropOldest: db.prepare(
        `UPDATE notification_outbox SET state = 'dead', last_error = 'dropped: outbox full'
         WHERE id = (SELECT id FROM notification_outbox WHERE state = 'pending' ORDER BY id LIMIT 1)`,
      ),
      obPrune: db.prepare(
        `DELETE FROM notification_outbox WHERE state IN ('sent', 'dead') AND created_at_ms < ?`,
      ),
    };
  }

  /** Every stored rule alert. */
  loadRuleAlerts(): StoredRuleAlert[] {
    return (this.stmts.ruleAll.all() as Record<string, unknown>[]).map((r) => ({
      ruleKey: r.rule_key as string,
      fingerprint: r.fingerprint as string,
      labels: JSON.parse(r.labels_json as string),
      annotations: JSON.parse(r.annotations_json as string),
      state: r.state as StoredRuleAlert['state'],
      value: (r.value as number | null) ?? Number.NaN,
      activeAtMs: r.active_at_ms as number,
      firedAtMs: opt(r.fired_at_ms as number | null),
      resolvedAtMs: opt(r.resolved_at_ms as number | null),
      keepFiringSinceMs: opt(r.keep_firing_since_ms as number | null),
      lastSentAtMs: opt(r.last_sent_at_ms as number | null),
      validUntilMs: opt(r.valid_until_ms as number | null),
    }));
  }

  /** Replaces the stored alerts of the given rules (one transaction for the whole group evaluation). */
  saveRuleAlerts(byRule: ReadonlyMap<string, readonly StoredRuleAlert[]>): void {
    this.db.transaction(() => {
      for (const [ruleKey, alerts] of byRule) {
        this.stmts.ruleDel.run(ruleKey);
        for (const a of alerts) {
          this.stmts.ruleIns.run(
            ruleKey,
            a.fingerprint,
            JSON.stringify(a.labels),
            JSON.stringify(a.annotations),
            a.state,
            Number.isNaN(a.value) ? null : a.value,
            a.activeAtMs,
            a.firedAtMs ?? null,
            a.resolvedAtMs ?? null,
            a.keepFiringSinceMs ?? null,
            a.lastSentAtMs ?? null,
            a.validUntilMs ?? null,
          );
        }
      }
    })();
  }

  putSilence(s: Silence): void {
    this.stmts.silIns.run(
      s.id,
      JSON.stringify(s.matchers),
      s.startsAtMs,
      s.endsAtMs,
      s.createdBy,
      s.comment,
      s.updatedAtMs,
    );
  }

  private toSilence(r: Record<string, unknown>): Silence {
    return {
      id: r.id as string,
      matchers: JSON.parse(r.matchers_json as string),
      startsAtMs: r.starts_at_ms as number,
      endsAtMs: r.ends_at_ms as number,
      createdBy: r.created_by as string,
      comment: r.comment as string,
      updatedAtMs: r.updated_at_ms as number,
    };
  }

  silences(): Silence[] {
    return (this.stmts.silAll.all() as Record<string, unknown>[]).map((r) => this.toSilence(r));
  }

  silence(id: string): Silence | undefined {
    const r = this.stmts.silGet.get(id) as Record<string, unknown> | undefined;
    return r ? this.toSilence(r) : undefined;
  }

  /** Ends a silence now; false when it does not exist or has already ended. */
  expireSilence(id: string, nowMs: number): boolean {
    return this.stmts.silExpire.run(nowMs, nowMs, id, nowMs).changes > 0;
  }

  nflog(groupKey: string, receiver: string): NflogEntry | undefined {
    const r = this.stmts.nfGet.get(groupKey, receiver) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return {
      firing: JSON.parse(r.firing_json as string),
      resolved: JSON.parse(r.resolved_json as string),
      sentAtMs: r.sent_at_ms as number,
    };
  }

  deleteNflog(groupKey: string, receiver: string): void {
    this.stmts.nfDel.run(groupKey, receiver);
  }

  /**
   * Records a notification in the log and queues its deliveries, atomically: after a restart the log says it was
   * queued and the outbox holds it, or neither. Returns the number of rows queued (a repeated dedupe key adds none).
   */
  recordNotification(
    groupKey: string,
    receiver: string,
    entry: NflogEntry,
    deliveries: readonly { dedupeKey: string; integration: string; payload: unknown }[],
    nowMs: number,
    maxPending: number,
  ): { queued: number; dropped: number } {
    return this.db.transaction(() => {
      this.stmts.nfPut.run(
        groupKey,
        receiver,
        JSON.stringify(entry.firing),
        JSON.stringify(entry.resolved),
        entry.sentAtMs,
      );
      let queued = 0;
      let dropped = 0;
      for (const d of deliveries) {
        const pending = (this.stmts.obCount.get() as { n: number }).n;
        if (pending >= maxPending) dropped += this.stmts.obDropOldest.run().changes;
        queued += this.stmts.obIns.run(
          d.dedupeKey,
          receiver,
          d.integration,
          JSON.stringify(d.payload),
          nowMs,
          nowMs,
        ).changes;
      }
      return { queued, dropped };
    })();
  }

  /** Claims up to `limit` due rows (pending and due, or sending with an expired lease) in one transaction. */
  claimDue(nowMs: number, leaseMs: number, limit: number): OutboxRow[] {
    return this.db.transaction(() => {
      const rows = this.stmts.obDue.all(nowMs, nowMs, limit) as OutboxDbRow[];
      for (const r of rows) this.stmts.obClaim.run(nowMs + leaseMs, r.id);
      return rows.map((r) => toOutbox({ ...r, state: 'sending', attempts: r.attempts + 1 }));
    })();
  }

  markSent(id: number, nowMs: number): boolean {
    return this.stmts.obSent.run(nowMs, id).changes > 0;
  }

  markRetry(id: number, nextAttemptAtMs: number, error: string): void {
    this.stmts.obRetry.run(nextAttemptAtMs, error, id);
  }

  markDead(id: number, error: string): void {
    this.stmts.obDead.run(error, id);
  }

  outbox(): OutboxRow[] {
    return (this.stmts.obList.all() as OutboxDbRow[]).map(toOutbox);
  }

  /** Rows not yet delivered (pending or in flight). */
  pendingCount(): number {
    return (this.stmts.obCount.get() as { n: number }).n;
  }

  /** Deletes delivered and dead rows created before `beforeMs`. */
  pruneOutbox(beforeMs: number): number {
    return this.stmts.obPrune.run(beforeMs).changes;
  }
}
