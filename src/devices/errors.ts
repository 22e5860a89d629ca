// Typed errors of the devices module: unknown devices, unavailable devices, full queues.
import { QobsError } from '../errors.js';

/** A device id that no provider knows; the message lists the known ones. */
export class UnknownDeviceError extends QobsError {
  readonly deviceId: string;
  readonly known: readonly string[];
  constructor(deviceId: string, known: readonly string[]) {
    super('device_unknown', `unknown device '${deviceId}'; known devices: ${known.join(', ')}`);
    this.deviceId = deviceId;
    this.known = known;
  }
}

/** A submission to a device that is not online. */
export class DeviceUnavailableError extends QobsError {
  constructor(deviceId: string, status: string) {
    super('device_unavailable', `device '${deviceId}' is ${status}; it accepts no jobs`);
  }
}

/** A submission refused because the device's job queue is at its maximum. */
export class QueueFullError extends QobsError {
  constructor(deviceId: string, maxQueuedJobs: number) {
    super(
      'queue_full',
      `device '${deviceId}' already has ${maxQueuedJobs} queued jobs (its maximum); try later`,
    );
  }
}
