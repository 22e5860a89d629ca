// Devices: status, queue and calibration age (PromQL); per-qubit T1, T2 and readout error on the coupling
// map and drift charts (devices API); error-rate drift (PromQL).
import { NotAvailableError, queryInstant, queryRange, type VectorSample } from '../api.js';
import { formatValue, type Line, linesFrom, timeSeriesChart } from '../charts.js';
import type { PageContext, PageDef } from '../context.js';
import { dataTable, errorBox, h, notAvailable, replace } from '../dom.js';
import { formatTime } from '../time.js';
import { getDoc, pick, toMs, toNumber, toText } from '../workbench.js';

interface DeviceRow {
  provider: string;
  device: string;
  status: string | undefined;
  queue: string | undefined;
  ageHours: string | undefined;
}

interface Qubit {
  qubit: number;
  t1Seconds?: number;
  t2Seconds?: number;
  readoutError?: number;
}

interface Calib {
  calibratedAtMs: number | undefined;
  numQubits: number;
  coupling: [number, number][] | undefined;
  qubits: Qubit[];
  gates: { gate: string; qubits: number[]; error?: number }[];
}

function calibOf(v: unknown): Calib | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const c = v as Record<string, unknown>;
  const qubits = (Array.isArray(c.qubits) ? (c.qubits as Record<string, unknown>[]) : []).map((q, i) => ({
    qubit: toNumber(q.qubit) ?? i,
    t1Seconds: toNumber(pick(q, 't1Seconds', 't1_seconds')),
    t2Seconds: toNumber(pick(q, 't2Seconds', 't2_seconds')),
    readoutError: toNumber(pick(q, 'readoutError', 'readout_error')),
  }));
  const cm = pick(c, 'couplingMap', 'coupling_map');
  return {
    calibratedAtMs: toMs(pick(c, 'calibratedAt', 'calibrated_at')),
    numQubits: toNumber(pick(c, 'numQubits', 'num_qubits')) ?? qubits.length,
    coupling: Array.isArray(cm) ? (cm as [number, number][]) : undefined,
    qubits,
    gates: (Array.isArray(c.gates) ? (c.gates as Record<string, unknown>[]) : []).map((g) => ({
      gate: toText(g.gate),
      qubits: Array.isArray(g.qubits) ? (g.qubits as number[]) : [],
      error: toNumber(g.error),
    })),
  };
}

const QUBIT_METRICS = {
  t1: { title: 'T1', unit: 's', get: (q: Qubit) => q.t1Seconds, goodHigh: true },
  t2: { title: 'T2', unit: 's', get: (q: Qubit) => q.t2Seconds, goodHigh: true },
  readout: {
    title: 'Readout error',
    unit: 'percentunit',
    get: (q: Qubit) => q.readoutError,
    goodHigh: false,
  },
} as const;
type QubitMetric = keyof typeof QUBIT_METRICS;

/** A deterministic spring layout of the coupling graph (no coordinates come with a coupling map). */
export function layoutGraph(
  n: number,
  edges: readonly (readonly [number, number])[],
  iterations = 300,
): { x: number; y: number }[] {
  const pos = Array.from({ length: n }, (_, i) => ({
    x: Math.cos((2 * Math.PI * i) / n),
    y: Math.sin((2 * Math.PI * i) / n),
  }));
  const k = 1 / Math.sqrt(Math.max(n, 1));
  for (let it = 0; it < iterations; it++) {
    const temp = 0.1 * (1 - it / iterations);
    const disp = pos.map(() => ({ x: 0, y: 0 }));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dx = pos[i].x - pos[j].x;
        const dy = pos[i].y - pos[j].y;
        const d2 = Math.max(dx * dx + dy * dy, 1e-6);
        const f = (k * k) / d2;
        disp[i].x += dx * f;
        disp[i].y += dy * f;
        disp[j].x -= dx * f;
        disp[j].y -= dy * f;
      }
    }
    for (const [a, b] of edges) {
      if (a >= n || b >= n) continue;
      const dx = pos[a].x - pos[b].x;
      const dy = pos[a].y - pos[b].y;
      const d = Math.max(Math.sqrt(dx * dx + dy * dy), 1e-6);
      const f = d / k;
      disp[a].x -= (dx / d) * f;
      disp[a].y -= (dy / d) * f;
      disp[b].x += (dx / d) * f;
      disp[b].y += (dy / d) * f;
    }
    for (let i = 0; i < n; i++) {
      const d = Math.sqrt(disp[i].x ** 2 + disp[i].y ** 2);
      if (d > 0) {
        pos[i].x += (disp[i].x / d) * Math.min(d, temp);
        pos[i].y += (disp[i].y / d) * Math.min(d, temp);
      }
    }
  }
  return pos;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function couplingMap(cal: Calib, metric: QubitMetric): Element {
  const m = QUBIT_METRICS[metric];
  const n = Math.max(cal.numQubits, cal.qubits.length);
  const edges = cal.coupling ?? [];
  const pos = layoutGraph(n, edges);
  const xs = pos.map((p) => p.x);
  const ys = pos.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const W = 640;
  const H = 360;
  const sx = (x: number) => 20 + ((x - minX) / (maxX - minX || 1)) * (W - 40);
  const sy = (y: number) => 20 + ((y - minY) / (maxY - minY || 1)) * (H - 40);
  const values = cal.qubits.map((q) => m.get(q)).filter((v): v is number => v !== undefined);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'coupling',
    role: 'img',
    'aria-label': `Coupling map coloured by ${m.title}; the table lists every value`,
  });
  const seen = new Set<string>();
  for (const [a, b] of edges) {
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    if (seen.has(key) || a >= n || b >= n) continue;
    seen.add(key);
    root.append(
      svg('line', { x1: sx(pos[a].x), y1: sy(pos[a].y), x2: sx(pos[b].x), y2: sy(pos[b].y), class: 'edge' }),
    );
  }
  const byQubit = new Map(cal.qubits.map((q) => [q.qubit, q]));
  for (let i = 0; i < n; i++) {
    const v = byQubit.has(i) ? m.get(byQubit.get(i)!) : undefined;
    const t = v === undefined || hi === lo ? 0.5 : (v - lo) / (hi - lo);
    const good = m.goodHigh ? t : 1 - t;
    const g = svg('g', { class: 'qubit' });
    const c = svg('circle', {
      cx: sx(pos[i].x),
      cy: sy(pos[i].y),
      r: n > 60 ? 8 : 12,
      fill: v === undefined ? '#555' : `hsl(${Math.round(good * 120)}, 65%, 45%)`,
    });
    const title = svg('title', {});
    title.textContent = `Qubit ${i}: ${m.title} ${v === undefined ? 'unknown' : formatValue(v, m.unit)}`;
    const label = svg('text', { x: sx(pos[i].x), y: sy(pos[i].y) + 3, class: 'qlabel' });
    label.textContent = String(i);
    g.append(c, title, label);
    root.append(g);
  }
  return root;
}

export const devicesPage: PageDef = {
  id: 'devices',
  title: 'Devices',
  mount(root, mountCtx) {
    const selected = mountCtx.params.get('device') ?? '';
    const tableBox = h('div', { class: 'results' });
    const detail = h('div', { class: 'device-detail', 'data-testid': 'device-detail' });
    root.append(tableBox, detail);
    let disposeCharts: (() => void)[] = [];

    async function loadTable(ctx: PageContext): Promise<DeviceRow[]> {
      const [status, queue, age] = await Promise.all([
        queryInstant('max by (provider, device) (quantum_device_status)', ctx.range.endMs),
        queryInstant('max by (provider, device) (quantum_device_queue_length)', ctx.range.endMs),
        queryInstant('max by (provider, device) (quantum_device_calibration_age_hours)', ctx.range.endMs),
      ]);
      const rows = new Map<string, DeviceRow>();
      const put = (res: VectorSample[], k: 'status' | 'queue' | 'ageHours') => {
        for (const s of res) {
          const key = `${s.metric.provider}.${s.metric.device}`;
          const r = rows.get(key) ?? {
            provider: s.metric.provider ?? '',
            device: s.metric.device ?? '',
            status: undefined,
            queue: undefined,
            ageHours: undefined,
          };
          r[k] = s.value[1];
          rows.set(key, r);
        }
      };
      put(status, 'status');
      put(queue, 'queue');
      put(age, 'ageHours');
      const list = [...rows.values()].sort((a, b) =>
        `${a.provider}.${a.device}`.localeCompare(`${b.provider}.${b.device}`),
      );
      replace(
        tableBox,
        dataTable({
          caption: 'Devices',
          testId: 'devices-table',
          rows: list,
          empty: 'No device has reported status in this range',
          onOpen: (r) => ctx.navigate('devices', { device: `${r.provider}.${r.device}` }),
          columns: [
            { title: 'Device', cell: (r) => `${r.provider}.${r.device}` },
            {
              title: 'Status',
              cell: (r) =>
                r.status === undefined
                  ? 'Unknown'
                  : h(
                      'span',
                      { class: `badge level-${r.status === '1' ? 'green' : 'red'}`, 'data-value': r.status },
                      r.status === '1' ? 'Online' : 'Offline',
                    ),
            },
            { title: 'Queue', cell: (r) => r.queue ?? '–', numeric: true },
            {
              title: 'Calibration age',
              cell: (r) => (r.ageHours === undefined ? '–' : `${Number(r.ageHours).toFixed(1)} h`),
              numeric: true,
            },
          ],
        }),
      );
      return list;
    }

    async function loadDetail(ctx: PageContext): Promise<void> {
      for (const d of disposeCharts) d();
      disposeCharts = [];
      const [provider, ...rest] = selected.split('.');
      const device = rest.join('.');
      const sections: Node[] = [h('h2', null, `Device ${selected}`)];
      // Error-rate drift from the metrics (always available when the device monitor runs).
      const errHost = h('div', { class: 'chart' });
      const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
      const errSeries = await queryRange(
        `max by (error_type) (quantum_device_error_rate{provider="${esc(provider)}", device="${esc(device)}"})`,
        ctx.range.startMs,
        ctx.range.endMs,
        ctx.range.stepSeconds,
      );
      sections.push(h('h3', null, 'Error rates over time'));
      sections.push(
        errSeries.length === 0
          ? h('p', { class: 'no-data' }, 'No error-rate samples in this range')
          : errHost,
      );
      // Calibration details from the devices API.
      const calBox = h('div');
      sections.push(calBox);
      replace(detail, ...sections);
      if (errSeries.length > 0) {
        const lines = linesFrom(errSeries, (s) => s.metric.error_type ?? '');
        disposeCharts.push(
          timeSeriesChart(
            errHost,
            lines,
            'percentunit',
            [ctx.range.startMs / 1000, ctx.range.endMs / 1000],
            160,
          ),
        );
        errHost.append(legendList(lines, 'percentunit'));
      }
      try {
        const doc = await getDoc(`/api/devices/${encodeURIComponent(selected)}`);
        const cal = calibOf(
          pick(doc, 'calibration') ??
            (pick(doc, 'device') as Record<string, unknown> | undefined)?.calibration,
        );
        if (!cal) {
          replace(
            calBox,
            h(
              'p',
              { class: 'muted' },
              'This device has no calibration (an ideal simulator, or none fetched yet).',
            ),
          );
        } else {
          const metricSel = h('select', { 'aria-label': 'Qubit property' });
          for (const [k, v] of Object.entries(QUBIT_METRICS))
            metricSel.append(h('option', { value: k }, v.title));
          const mapBox = h('div', { class: 'map' }, couplingMap(cal, 't1'));
          metricSel.addEventListener('change', () =>
            replace(mapBox, couplingMap(cal, metricSel.value as QubitMetric)),
          );
          replace(
            calBox,
            h('h3', null, 'Qubits on the coupling map'),
            h(
              'p',
              null,
              `Calibrated ${cal.calibratedAtMs !== undefined ? formatTime(cal.calibratedAtMs) : 'at an unknown time'} · colour by `,
              metricSel,
              ' (green is better; values in the table)',
            ),
            mapBox,
            dataTable({
              caption: 'Qubit calibration',
              testId: 'qubits-table',
              rows: cal.qubits,
              columns: [
                { title: 'Qubit', cell: (q) => q.qubit, numeric: true },
                {
                  title: 'T1',
                  cell: (q) => (q.t1Seconds === undefined ? '–' : formatValue(q.t1Seconds, 's')),
                  numeric: true,
                },
                {
                  title: 'T2',
                  cell: (q) => (q.t2Seconds === undefined ? '–' : formatValue(q.t2Seconds, 's')),
                  numeric: true,
                },
                {
                  title: 'Readout error',
                  cell: (q) =>
                    q.readoutError === undefined ? '–' : formatValue(q.readoutError, 'percentunit'),
                  numeric: true,
                },
              ],
            }),
          );
        }
        await loadDrift(ctx, calBox);
      } catch (err) {
        calBox.append(
          err instanceof NotAvailableError ? notAvailable('Device calibration', err.path) : errorBox(err),
        );
      }
    }

    async function loadDrift(ctx: PageContext, box: HTMLElement): Promise<void> {
      const path = `/api/devices/${encodeURIComponent(selected)}/calibrations`;
      try {
        const doc = await getDoc(path, { start: ctx.range.startMs, end: ctx.range.endMs });
        const cals = ((pick(doc, 'calibrations', 'items') as unknown[]) ?? [])
          .map(calibOf)
          .filter((c): c is Calib => !!c && c.calibratedAtMs !== undefined);
        cals.sort((a, b) => a.calibratedAtMs! - b.calibratedAtMs!);
        box.append(h('h3', null, 'Drift per qubit and gate'));
        if (cals.length < 2) {
          box.append(
            h(
              'p',
              { class: 'no-data' },
              `${cals.length} calibration snapshot(s) in this range; drift needs two or more.`,
            ),
          );
          return;
        }
        const xs = cals.map((c) => c.calibratedAtMs! / 1000);
        const perQubit = (get: (q: Qubit) => number | undefined): Line[] => {
          const ids = [...new Set(cals.flatMap((c) => c.qubits.map((q) => q.qubit)))].sort((a, b) => a - b);
          return ids.map((id) => ({
            name: `q${id}`,
            xs,
            ys: cals.map((c) => get(c.qubits.find((q) => q.qubit === id) ?? { qubit: id }) ?? Number.NaN),
          }));
        };
        const gateKeys = [
          ...new Set(
            cals.flatMap((c) =>
              c.gates.filter((g) => g.error !== undefined).map((g) => `${g.gate}(${g.qubits.join(',')})`),
            ),
          ),
        ].sort();
        const gateLines: Line[] = gateKeys.map((k) => ({
          name: k,
          xs,
          ys: cals.map(
            (c) => c.gates.find((g) => `${g.gate}(${g.qubits.join(',')})` === k)?.error ?? Number.NaN,
          ),
        }));
        const charts: [string, Line[], string][] = [
          ['T1 per qubit', perQubit((q) => q.t1Seconds), 's'],
          ['T2 per qubit', perQubit((q) => q.t2Seconds), 's'],
          ['Readout error per qubit', perQubit((q) => q.readoutError), 'percentunit'],
          ['Gate error per gate', gateLines, 'percentunit'],
        ];
        const range: [number, number] = [ctx.range.startMs / 1000, ctx.range.endMs / 1000];
        for (const [title, lines, unit] of charts) {
          const host = h('div', { class: 'chart' });
          box.append(h('h4', null, title), host);
          disposeCharts.push(timeSeriesChart(host, lines, unit, range, 140));
        }
      } catch (err) {
        box.append(
          err instanceof NotAvailableError ? notAvailable('Calibration history', err.path) : errorBox(err),
        );
      }
    }

    return {
      async refresh(ctx) {
        try {
          await loadTable(ctx);
        } catch (err) {
          replace(tableBox, errorBox(err));
        }
        if (selected) {
          try {
            await loadDetail(ctx);
          } catch (err) {
            replace(detail, errorBox(err));
          }
        } else {
          replace(
            detail,
            h(
              'p',
              { class: 'muted' },
              'Open a device (click or Enter) for its qubits, coupling map and drift.',
            ),
          );
        }
      },
      dispose() {
        for (const d of disposeCharts) d();
      },
    };
  },
};

function legendList(lines: readonly Line[], unit: string): HTMLElement {
  return h(
    'ul',
    { class: 'inline-legend' },
    lines.map((l) =>
      h('li', null, `${l.name}: ${l.ys.length ? formatValue(l.ys[l.ys.length - 1], unit) : '–'}`),
    ),
  );
}
