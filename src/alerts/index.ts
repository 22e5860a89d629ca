// The alerts module's public face: rule files, templating, the evaluator, the router, notifiers and the outbox.
export { AlertStore } from '../store/index.js';
export type { NflogEntry, OutboxRow, Silence, SilenceMatcher, StoredRuleAlert } from '../store/index.js';
export {
  formatAlertmanagerConfig,
  type InhibitRule,
  loadRouterConfig,
  parseRouterConfig,
  type Receiver,
  type Route,
  type RouterConfig,
  RouterConfigError,
} from './config.js';
export { formatDurationMs, parseDurationMs } from './duration.js';
export {
  type ActiveAlert,
  type AppendSamples,
  type EvaluatorOptions,
  generatorURL,
  type InstantQueryEngine,
  type RuleHealth,
  RuleEvaluator,
  type RuleSample,
} from './evaluator.js';
export {
  fingerprint,
  type LabelSet,
  type Matcher,
  matchersMatch,
  newMatcher,
  parseMatcher,
  parseMatchers,
} from './labels.js';
export { buildNotification, type Notification, type NotificationAlert } from './notification.js';
export {
  type ConfigIssue,
  NOTIFIERS,
  type Notifier,
  type NotifierFactory,
  NotifyError,
} from './notifiers/index.js';
export { backoffMs, type OutboxOptions, type OutboxStats, OutboxWorker, steadyClock } from './outbox.js';
export { type AlertsApiDeps, mountAlertsApi } from './api.js';
export { DEFAULT_ROUTER_CONFIG, defaultRulePackPath } from './pack.js';
export { type AlertsHost, type AlertsPluginOptions, alertsMetricsText, alertsPlugin } from './plugin.js';
export {
  type AlertStatus,
  matchRoutes,
  type PostableAlert,
  Router,
  type RouterOptions,
  type RouterStats,
  toSilenceMatchers,
} from './router.js';
export {
  type AlertingRule,
  formatRuleFile,
  loadRuleFile,
  parseRuleFile,
  type RecordingRule,
  type Rule,
  RuleFileError,
  type RuleFile,
  type RuleGroup,
  type RuleIssue,
} from './rules.js';
export { expandTemplate, parseTemplate, type TemplateData, TemplateError } from './template.js';
