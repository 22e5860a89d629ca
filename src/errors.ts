// The root of qobs' typed errors: every error a user can meet carries a stable `code`.

/** Base class of every qobs error; `code` is stable across releases. */
export class QobsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Invalid configuration or arguments; `field` names what was wrong. */
export class QobsConfigError extends QobsError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('config_invalid', `${field}: ${message}`);
    this.field = field;
  }
}
