// The notifier family's contract: one interface, one error type, configuration issues with paths.
import { QobsError } from '../../errors.js';
import type { Notification } from '../notification.js';

/** A delivery that failed; `retryable` says whether the outbox should try again. */
export class NotifyError extends QobsError {
  readonly retryable: boolean;
  readonly status?: number;
  /** From a Retry-After header, when the receiver gave one. */
  readonly retryAfterMs?: number;
  constructor(
    message: string,
    opts: { retryable: boolean; status?: number; retryAfterMs?: number; cause?: unknown },
  ) {
    super(opts.retryable ? 'notify_failed_retryable' : 'notify_failed', message, { cause: opts.cause });
    this.retryable = opts.retryable;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Sends notifications to one configured destination. */
export interface Notifier {
  /** `webhook`, `slack`, `pagerduty` or `email`. */
  readonly kind: string;
  /** Whether resolved alerts are sent (Alertmanager's `send_resolved`). */
  readonly sendResolved: boolean;
  /** Delivers one notification or throws NotifyError. */
  send(n: Notification, signal?: AbortSignal): Promise<void>;
  close?(): void;
}

/** A configuration problem; `path` is like `receivers[1].slack_configs[0].api_url`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** Alertmanager's `global` section, as far as qobs' notifiers use it. */
export interface NotifierGlobals {
  readonly slackApiUrl?: string;
  readonly pagerdutyUrl: string;
  readonly smtpFrom?: string;
  readonly smtpSmarthost?: string;
  readonly smtpHello: string;
  readonly smtpAuthUsername?: string;
  readonly smtpAuthPassword?: string;
  readonly smtpRequireTls: boolean;
  readonly httpTimeoutMs: number;
}

/** One notifier kind: validates its configuration block and builds notifiers from it. */
export interface NotifierFactory<C = unknown> {
  readonly kind: string;
  /** The key in an Alertmanager receiver, e.g. `webhook_configs`. */
  readonly configKey: string;
  /** Validates one configuration block, pushing every issue; undefined when invalid. */
  parse(raw: unknown, path: string, globals: NotifierGlobals, issues: ConfigIssue[]): C | undefined;
  create(config: C, globals: NotifierGlobals): Notifier;
  /** The block as written into an exported Alertmanager configuration. */
  toAlertmanager(config: C): Record<string, unknown>;
}
