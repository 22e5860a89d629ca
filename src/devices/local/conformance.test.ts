// The shared Device conformance suite, run against the ideal and a noisy local device.
import { runDeviceConformance } from '../conformance.js';
import { createLocalDevice } from '../registry.js';

runDeviceConformance('local.statevector', () =>
  createLocalDevice('local.statevector', { maxStateBytes: 2 ** 24 }),
);
runDeviceConformance('local.fake_lima', () => createLocalDevice('local.fake_lima'));
runDeviceConformance('local.fake_fez', () => createLocalDevice('local.fake_fez'));
