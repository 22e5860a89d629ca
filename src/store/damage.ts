// Reading back what the store wrote: a stored value that no longer decodes means the file was damaged.
import { QobsError } from '../errors.js';

/** Stored data that does not decode: the database file is corrupted (code `store_corrupt`). */
export class StoreCorruptError extends QobsError {
  constructor(what: string, cause: unknown) {
    super(
      'store_corrupt',
      `stored ${what} no longer decodes (${(cause as Error).message}): the database file is corrupted`,
      { cause },
    );
  }
}

/**
 * Runs a decoder of stored data; the errors a damaged value raises in it (JSON syntax, a wrong shape, a
 * number that does not parse) become StoreCorruptError, anything else is rethrown.
 */
export function decodeStored<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof TypeError || err instanceof RangeError)
      throw new StoreCorruptError(what, err);
    throw err;
  }
}
