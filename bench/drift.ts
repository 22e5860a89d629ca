// Benchmark `drift`: detection delay and false-positive rate of the calibration drift detector on replayed
// histories built from the seven real IBM snapshots (noise-only, and with injected step and ramp drifts),
// plus the detector's update cost per snapshot. `npm run bench -- drift [--quick]`; last line one JSON object.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type Calibration, readIbmCalibration } from '../src/devices/index.js';
import {
  DriftDetector,
  driftSeries,
  type InjectedDrift,
  measureDrift,
  replayHistory,
} from '../src/health/index.js';

const quick = process.argv.includes('--quick');
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'devices', 'ibm');
const names = quick
  ? ['lima', 'belem', 'toronto', 'kolkata']
  : ['toronto', 'belem', 'lima', 'manila', 'kolkata', 'brisbane', 'fez'];
const bases: Calibration[] = names.map((n) => {
  const read = (k: string) => JSON.parse(readFileSync(path.join(fixtures, n, `${k}_${n}.json`), 'utf8'));
  return readIbmCalibration(read('props'), read('conf'));
});
const log = (s: string) => process.stdout.write(`${s}\n`);
const snapshots = 60;
const seeds = quick ? 2 : 5;
const twoQ = (b: Calibration) => b.gates.findIndex((g) => g.qubits.length === 2);
const scenarios: Array<[string, (b: Calibration) => InjectedDrift]> = [
  ['readout_x2_step', () => ({ parameter: 'readout_error', target: 1, onset: 30, kind: 'step', factor: 2 })],
  ['t1_half_step', () => ({ parameter: 't1', target: 2, onset: 30, kind: 'step', factor: 0.5 })],
  [
    'cx_x1.5_step',
    (b) => ({ parameter: 'gate_error', target: twoQ(b), onset: 30, kind: 'step', factor: 1.5 }),
  ],
  [
    'cx_x3_ramp10',
    (b) => ({
      parameter: 'gate_error',
      target: twoQ(b),
      onset: 30,
      kind: 'ramp',
      factor: 3,
      rampSnapshots: 10,
    }),
  ],
];
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

log(
  `drift: ${names.length} devices, ${snapshots} daily snapshots, ${seeds} seeds, 15% log-normal noise (under concurrent load)`,
);
const noise = measureDrift(bases, () => new DriftDetector(), { snapshots, seeds, drifts: () => [] });
log(
  `noise only: ${noise.seriesSnapshots} series-snapshots, false alarms per series-snapshot ${noise.falseAlarmsPerSeriesSnapshot}, histories with any alarm ${noise.noiseHistoriesWithAlarm}`,
);
const figures: Record<string, number> = {
  series_snapshots: noise.seriesSnapshots,
  false_alarms_per_series_snapshot: noise.falseAlarmsPerSeriesSnapshot,
  noise_histories_with_alarm: noise.noiseHistoriesWithAlarm,
};
for (const [name, d] of scenarios) {
  const r = measureDrift(bases, () => new DriftDetector(), { snapshots, seeds, drifts: (b) => [d(b)] });
  log(
    `${name}: delays median ${pct([...r.delays], 0.5)}, p90 ${pct([...r.delays], 0.9)}, max ${Math.max(...r.delays)} snapshots; missed ${r.missed}; other alarms ${r.otherAlarms}`,
  );
  figures[`${name}_delay_median`] = pct([...r.delays], 0.5);
  figures[`${name}_delay_max`] = Math.max(...r.delays);
  figures[`${name}_missed`] = r.missed;
}
// Update cost on the largest device.
const big = bases.reduce((a, b) => (driftSeries(b).length > driftSeries(a).length ? b : a));
const hist = replayHistory(big, { snapshots: 30, seed: 9 });
const det = new DriftDetector();
const t0 = performance.now();
for (const c of hist) det.update(c);
const perSnapshotMs = (performance.now() - t0) / hist.length;
log(
  `update: ${perSnapshotMs.toFixed(2)} ms per snapshot of ${big.device} (${driftSeries(big).length} series)`,
);
figures.update_ms_per_snapshot_largest = Math.round(perSnapshotMs * 100) / 100;
log(JSON.stringify({ bench: 'drift', devices: names.length, snapshots, seeds, ...figures }));
