// The cost module's public face: price catalogue, tracker, budgets, usage optimizer, device router.
export {
  type Catalogue,
  configuredCatalogue,
  defaultCatalogue,
  defaultCataloguePath,
  loadCatalogue,
  parseCatalogue,
  PriceBook,
  type PriceEntry,
  type Priced,
  type PricingModel,
  priceUsage,
  type Usage,
  VersionedPrices,
} from './catalogue.js';
export { PriceNotFoundError, PriceUnconfirmedError, UsageError } from './errors.js';
export {
  BUDGET_METRIC,
  BUDGET_PERIOD_METRIC,
  BUDGET_REMAINING_METRIC,
  BudgetBook,
  type BudgetBookOptions,
  type BudgetSpec,
  type BudgetStatus,
  parseBudgets,
  type SpendEvent,
} from './budgets.js';
export {
  type BudgetPeriod,
  budgetPeriod,
  CALENDAR_PERIODS,
  type PeriodBounds,
  periodAt,
  periodLabel,
} from './periods.js';
export {
  type CostRecord,
  CostTracker,
  type CostTrackerOptions,
  readLedger,
  type RecordOptions,
  usageOfJob,
} from './tracker.js';
export { buildReport, type CostReport, type Recommendation, type ReportRow } from './report.js';
export {
  adviseShots,
  type BatchingAdvice,
  batchingAdvice,
  cheapestDevice,
  type DeviceQuote,
  espOnCalibration,
  parityStatistics,
  type SampleStatistics,
  type ShotAdvice,
  shotsForStandardError,
} from './optimizer.js';
export {
  type DeviceRouterOptions,
  DeviceRouter,
  type DeviceSnapshot,
  type RouteDecision,
  type RoutePolicy,
} from './router.js';
