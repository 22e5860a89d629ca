// The notifier family's face: the registry of notifier kinds by their Alertmanager configuration key.
import { email } from './email/index.js';
import { pagerduty } from './pagerduty/index.js';
import { slack } from './slack/index.js';
import type { NotifierFactory } from './types.js';
import { webhook } from './webhook/index.js';

export { NotifyError } from './types.js';
export type { ConfigIssue, Notifier, NotifierFactory, NotifierGlobals } from './types.js';
export { webhook, slack, pagerduty, email };

/** Every notifier kind qobs knows. */
export const NOTIFIERS: readonly NotifierFactory<unknown>[] = [
  webhook as NotifierFactory<unknown>,
  slack as NotifierFactory<unknown>,
  pagerduty as NotifierFactory<unknown>,
  email as NotifierFactory<unknown>,
];
