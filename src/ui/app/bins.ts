// Binning of gauge samples into value bands per time step, for the fidelity heatmap (pure, no DOM).
import type { MatrixSeries } from './api.js';

/** Counts per value band over time: rows are bands (ascending bound), columns time steps. */
export interface HeatmapData {
  /** Upper bounds; the last is +Inf and catches values above the given bins. */
  readonly bounds: readonly number[];
  readonly times: readonly number[];
  /** counts[band][time] */
  readonly counts: readonly (readonly number[])[];
}

/** Bins every sample of every series into bands (value ≤ bound) per timestamp, as Grafana's calculated heatmap. */
export function binSeries(series: readonly MatrixSeries[], bins: readonly number[]): HeatmapData {
  const bounds = [...bins, Number.POSITIVE_INFINITY];
  const timeSet = new Set<number>();
  for (const s of series) for (const v of s.values) timeSet.add(v[0]);
  const times = [...timeSet].sort((a, b) => a - b);
  const ti = new Map(times.map((t, i) => [t, i]));
  const counts = bounds.map(() => new Array<number>(times.length).fill(0));
  for (const s of series) {
    for (const [t, raw] of s.values) {
      const v = Number(raw);
      if (Number.isNaN(v)) continue;
      let b = 0;
      while (v > bounds[b]) b++;
      counts[b][ti.get(t)!]++;
    }
  }
  return { bounds, times, counts };
}
