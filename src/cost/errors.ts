// Typed errors of the cost module.
import { QobsError } from '../errors.js';

/** No catalogue entry matches the device id. */
export class PriceNotFoundError extends QobsError {
  readonly device: string;
  readonly catalogueVersion: string;
  constructor(device: string, catalogueVersion: string) {
    super(
      'price_not_found',
      `no price for device '${device}' in price catalogue ${catalogueVersion}; add an entry to your catalogue (docs/cost.md)`,
    );
    this.device = device;
    this.catalogueVersion = catalogueVersion;
  }
}

/** The entry exists but a figure it needs was not confirmed from a published source (it is null). */
export class PriceUnconfirmedError extends QobsError {
  readonly device: string;
  /** The catalogue field that must be set, e.g. `per_minute_usd`. */
  readonly field: string;
  constructor(device: string, field: string, note: string | undefined) {
    super(
      'price_unconfirmed',
      `price of '${device}' has no confirmed ${field}${note ? ` (${note})` : ''}; set ${field} in your own catalogue (--catalogue FILE)`,
    );
    this.device = device;
    this.field = field;
  }
}

/** A usage figure the pricing model needs is missing or invalid (e.g. a duration for a per-minute simulator). */
export class UsageError extends QobsError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('cost_usage_invalid', `${field}: ${message}`);
    this.field = field;
  }
}
