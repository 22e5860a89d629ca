// Panels' drawings: uPlot time series, a canvas heatmap and donut, and value formatting by unit.
import uPlot from 'uplot';
import type { MatrixSeries } from './api.js';
import type { HeatmapData } from './bins.js';
import { h } from './dom.js';
import { formatValue } from './format.js';

export { formatValue } from './format.js';

/** A palette readable on the dark background; series are also named in the legend, never colour alone. */
export const PALETTE = [
  '#5794f2',
  '#73bf69',
  '#f2cc0c',
  '#ff9830',
  '#b877d9',
  '#f2495c',
  '#8ab8ff',
  '#96d98d',
  '#ffee52',
];

/** A named line: its x (seconds) and y arrays. */
export interface Line {
  readonly name: string;
  readonly xs: readonly number[];
  readonly ys: readonly number[];
}

/** Turns Prometheus matrix series into lines (string values parsed). */
export function linesFrom(series: readonly MatrixSeries[], name: (s: MatrixSeries) => string): Line[] {
  return series.map((s) => ({
    name: name(s),
    xs: s.values.map((v) => v[0]),
    ys: s.values.map((v) => Number(v[1])),
  }));
}

/** Aligns lines on the union of their timestamps (gaps are null), as uPlot wants. */
export function align(lines: readonly Line[]): uPlot.AlignedData {
  const set = new Set<number>();
  for (const l of lines) for (const x of l.xs) set.add(x);
  const xs = [...set].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const out: (number | null)[][] = lines.map(() => new Array(xs.length).fill(null));
  lines.forEach((l, j) => {
    for (let i = 0; i < l.xs.length; i++)
      out[j][index.get(l.xs[i])!] = Number.isFinite(l.ys[i]) ? l.ys[i] : null;
  });
  return [xs, ...out] as uPlot.AlignedData;
}

/** Draws a time-series chart into `host`; returns a disposer. */
export function timeSeriesChart(
  host: HTMLElement,
  lines: readonly Line[],
  unit: string,
  range: [number, number],
  height = 200,
): () => void {
  const width = Math.max(240, host.clientWidth || 480);
  const opts: uPlot.Options = {
    width,
    height,
    legend: { show: false },
    scales: { x: { time: true, min: range[0], max: range[1] } },
    axes: [
      { stroke: '#aab', grid: { stroke: '#2a2f3a' }, ticks: { stroke: '#2a2f3a' } },
      {
        stroke: '#aab',
        grid: { stroke: '#2a2f3a' },
        ticks: { stroke: '#2a2f3a' },
        // Wide enough for the longest tick label ($100000.00 does not fit the usual 70 px).
        size: (_u: uPlot, values: string[] | null) =>
          Math.max(70, 16 + 7 * Math.max(0, ...(values ?? []).map((v) => v.length))),
        values: (_u, splits) => splits.map((v) => formatValue(v, unit)),
      },
    ],
    series: [
      {},
      ...lines.map((l, i) => ({
        label: l.name,
        stroke: PALETTE[i % PALETTE.length],
        width: 1.5,
        spanGaps: false,
      })),
    ],
  };
  const plot = new uPlot(opts, align(lines), host);
  const ro = new ResizeObserver(() => {
    const w = host.clientWidth;
    if (w > 0 && Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height });
  });
  ro.observe(host);
  return () => {
    ro.disconnect();
    plot.destroy();
  };
}

/** Draws a heatmap on a canvas: darker is fewer, brighter is more; the legend table carries the numbers. */
export function heatmapCanvas(data: HeatmapData, width: number, height: number): HTMLCanvasElement {
  const dpr = globalThis.devicePixelRatio || 1;
  const canvas = h('canvas', {
    width: Math.round(width * dpr),
    height: Math.round(height * dpr),
    class: 'heatmap',
    role: 'img',
  });
  canvas.setAttribute('aria-label', 'Fidelity heatmap; the table below lists the counts per bucket');
  const ctx = canvas.getContext('2d');
  if (!ctx || data.times.length === 0) return canvas;
  ctx.scale(dpr, dpr);
  const left = 48;
  const bottom = 16;
  const cw = (width - left) / data.times.length;
  const rh = (height - bottom) / data.bounds.length;
  let max = 0;
  for (const row of data.counts) for (const c of row) max = Math.max(max, c);
  ctx.fillStyle = '#11141a';
  ctx.fillRect(0, 0, width, height);
  data.counts.forEach((row, bi) => {
    const y = height - bottom - (bi + 1) * rh;
    row.forEach((c, ti) => {
      if (c <= 0) return;
      const t = max > 0 ? c / max : 0;
      ctx.fillStyle = `hsl(${200 - 160 * t}, 80%, ${20 + 45 * t}%)`;
      ctx.fillRect(left + ti * cw, y, Math.max(1, cw - 0.5), Math.max(1, rh - 1));
    });
    ctx.fillStyle = '#aab';
    ctx.font = '10px sans-serif';
    ctx.fillText(
      Number.isFinite(data.bounds[bi]) ? `≤${data.bounds[bi]}` : `>${data.bounds[bi - 1]}`,
      2,
      y + rh / 2 + 3,
    );
  });
  return canvas;
}

/** Draws a donut of named values; the legend beside it carries names, values and shares. */
export function donutCanvas(
  values: readonly { name: string; value: number }[],
  size: number,
): HTMLCanvasElement {
  const dpr = globalThis.devicePixelRatio || 1;
  const canvas = h('canvas', { width: size * dpr, height: size * dpr, class: 'donut', role: 'img' });
  canvas.setAttribute('aria-label', 'Donut chart; the legend lists each value');
  const ctx = canvas.getContext('2d');
  const total = values.reduce((a, v) => a + Math.max(0, v.value), 0);
  if (!ctx) return canvas;
  ctx.scale(dpr, dpr);
  const c = size / 2;
  let angle = -Math.PI / 2;
  if (total <= 0) {
    ctx.strokeStyle = '#2a2f3a';
    ctx.lineWidth = size * 0.18;
    ctx.beginPath();
    ctx.arc(c, c, c * 0.7, 0, Math.PI * 2);
    ctx.stroke();
    return canvas;
  }
  values.forEach((v, i) => {
    const sweep = (Math.max(0, v.value) / total) * Math.PI * 2;
    ctx.strokeStyle = PALETTE[i % PALETTE.length];
    ctx.lineWidth = size * 0.18;
    ctx.beginPath();
    ctx.arc(c, c, c * 0.7, angle, angle + sweep);
    ctx.stroke();
    angle += sweep;
  });
  return canvas;
}
