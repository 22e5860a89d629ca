// Calibration history: snapshots kept once each (an unchanged snapshot is not stored twice), in memory or in
// the workbench store's calibrations table.
import { createHash } from 'node:crypto';
import type { Calibration } from '../devices/index.js';
import type { Store } from '../store/index.js';

/** Where the monitor keeps calibration snapshots. */
export interface CalibrationHistory {
  /** Stores the snapshot unless it equals the device's last one; returns whether it was stored. */
  put(cal: Calibration): boolean;
  /** Snapshots of a device, newest first. */
  list(provider: string, device: string, limit?: number): Calibration[];
}

/** A digest of a snapshot's content, so re-reading the same calibration is recognised. */
export function calibrationDigest(cal: Calibration): string {
  return createHash('sha256').update(JSON.stringify(cal)).digest('hex');
}

/** History in memory, `maxPerDevice` snapshots per device (oldest dropped, drops counted). */
export class MemoryCalibrationHistory implements CalibrationHistory {
  private readonly byDevice = new Map<string, { digests: string[]; cals: Calibration[] }>();
  private readonly maxPerDevice: number;
  dropped = 0;

  constructor(maxPerDevice = 500) {
    this.maxPerDevice = maxPerDevice;
  }

  put(cal: Calibration): boolean {
    const key = `${cal.provider}.${cal.device}`;
    let d = this.byDevice.get(key);
    if (!d) {
      d = { digests: [], cals: [] };
      this.byDevice.set(key, d);
    }
    const digest = calibrationDigest(cal);
    if (d.digests[d.digests.length - 1] === digest) return false;
    d.digests.push(digest);
    d.cals.push(cal);
    if (d.cals.length > this.maxPerDevice) {
      d.cals.shift();
      d.digests.shift();
      this.dropped++;
    }
    return true;
  }

  list(provider: string, device: string, limit = 100): Calibration[] {
    const d = this.byDevice.get(`${provider}.${device}`);
    return d ? d.cals.slice(-limit).reverse() : [];
  }
}

/**
 * History in the workbench store (its `calibrations` table, one row per provider, device and calibration
 * time). A snapshot whose content equals the last stored one is skipped; the store's retention applies.
 */
export class StoreCalibrationHistory implements CalibrationHistory {
  private readonly last = new Map<string, string>();

  constructor(private readonly store: Store) {}

  put(cal: Calibration): boolean {
    const key = `${cal.provider}.${cal.device}`;
    const digest = calibrationDigest(cal);
    if (!this.last.has(key)) {
      const [prev] = this.store.calibrations(cal.provider, cal.device, 1);
      if (prev) this.last.set(key, calibrationDigest(prev.snapshot as Calibration));
    }
    if (this.last.get(key) === digest) return false;
    const takenAtMs = Date.parse(cal.calibratedAt);
    const before = this.store.calibrations(cal.provider, cal.device, 1)[0];
    this.store.putCalibration(
      cal.provider,
      cal.device,
      Number.isFinite(takenAtMs) ? takenAtMs : Date.now(),
      cal,
    );
    const after = this.store.calibrations(cal.provider, cal.device, 1)[0];
    this.last.set(key, digest);
    return after !== undefined && after.id !== before?.id;
  }

  list(provider: string, device: string, limit = 100): Calibration[] {
    return this.store.calibrations(provider, device, limit).map((r) => r.snapshot as Calibration);
  }

  /** The store row id of a device's snapshot at `calibratedAt`, to link jobs to it. */
  idOf(cal: Calibration): number | undefined {
    const at = Date.parse(cal.calibratedAt);
    return this.store.calibrations(cal.provider, cal.device, 50).find((r) => r.takenAtMs === at)?.id;
  }
}
