// The local device registry: `local.statevector` and a `local.fake_<name>` per shipped IBM snapshot.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UnknownDeviceError } from './errors.js';
import { readIbmCalibration } from './ibm/calibration.js';
import { LocalDevice, type LocalDeviceOptions } from './local/device.js';
import type { Calibration } from './types.js';

/** IBM snapshots shipped under assets/devices/ibm, one fake device each. */
export const FAKE_DEVICE_SNAPSHOTS = [
  'toronto',
  'belem',
  'lima',
  'manila',
  'kolkata',
  'brisbane',
  'fez',
] as const;

// src/devices/ and dist/devices/ are both two levels below the package root.
const ASSETS = fileURLToPath(new URL('../../assets/devices/ibm/', import.meta.url));

const calibrations = new Map<string, Calibration>();

/** The calibration a fake device ships with (read once, then cached), relabelled as the local device. */
export function fakeCalibration(snapshot: string): Calibration {
  const cached = calibrations.get(snapshot);
  if (cached) return cached;
  const read = (kind: string) =>
    JSON.parse(readFileSync(`${ASSETS}${snapshot}/${kind}_${snapshot}.json`, 'utf8'));
  const cal: Calibration = {
    ...readIbmCalibration(read('props'), read('conf')),
    provider: 'local',
    device: `fake_${snapshot}`,
  };
  calibrations.set(snapshot, cal);
  return cal;
}

/** Ids of every local device. */
export function listLocalDevices(): string[] {
  return ['local.statevector', ...FAKE_DEVICE_SNAPSHOTS.map((n) => `local.fake_${n}`)];
}

/** A new local device by id (each call a fresh device with its own queue and status). */
export function createLocalDevice(
  id: string,
  options: Omit<LocalDeviceOptions, 'name' | 'calibration'> = {},
): LocalDevice {
  if (id === 'local.statevector') return new LocalDevice({ ...options, name: 'statevector' });
  const m = /^local\.fake_(.+)$/.exec(id);
  if (m && (FAKE_DEVICE_SNAPSHOTS as readonly string[]).includes(m[1]))
    return new LocalDevice({ ...options, name: `fake_${m[1]}`, calibration: fakeCalibration(m[1]) });
  throw new UnknownDeviceError(id, listLocalDevices());
}

const shared = new Map<string, LocalDevice>();

/**
 * The process-wide instance of a device by id, so status changes (fault injection) and queues are shared.
 * @example
 *   const dev = getDevice('local.fake_toronto');
 *   const job = await dev.submit(circuit, { shots: 1000, seed: 1 });
 */
export function getDevice(id: string): LocalDevice {
  let dev = shared.get(id);
  if (!dev) {
    dev = createLocalDevice(id);
    shared.set(id, dev);
  }
  return dev;
}

/** A noisy local device from a user's own calibration snapshot (e.g. read with readIbmCalibration). */
export function deviceFromCalibration(
  cal: Calibration,
  options: Omit<LocalDeviceOptions, 'name' | 'calibration'> = {},
): LocalDevice {
  return new LocalDevice({ ...options, name: `fake_${cal.device}`, calibration: cal });
}
