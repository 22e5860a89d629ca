import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { OVERVIEW_PANELS } from '../dashboards/index.js';
import {
  DATASOURCE_UID,
  GRAFANA_SCHEMA_VERSION,
  type GrafanaDashboard,
  grafanaDashboards,
  grafanaProvisioning,
  prometheusQueries,
} from './index.js';

// The checks below follow Grafana's published classic dashboard JSON model (grafana.com "Dashboard JSON model" and
// the Dashboard/Panel kinds of its schema): a dashboard has uid, title, schemaVersion, time, templating.list and
// panels; a panel has id, type, title, gridPos {h,w,x,y} on the 24-column grid, datasource {type,uid}, targets with
// refId, and fieldConfig {defaults, overrides}. Grafana itself is not installable here, so this is the validation.
const PANEL_TYPES = new Set(['timeseries', 'stat', 'table', 'heatmap', 'piechart', 'logs']);
const RETIRED = new Set(['graph', 'singlestat', 'table-old', 'grafana-piechart-panel']);

function modelIssues(d: GrafanaDashboard): string[] {
  const issues: string[] = [];
  if (!/^[a-zA-Z0-9_-]{1,40}$/.test(d.uid)) issues.push(`uid ${d.uid}`);
  if (!d.title) issues.push('title');
  if (d.schemaVersion !== GRAFANA_SCHEMA_VERSION) issues.push('schemaVersion');
  if (!Array.isArray(d.templating?.list)) issues.push('templating.list');
  const ids = new Set<number>();
  const cells = new Set<string>();
  for (const p of d.panels) {
    const at = `panel ${p.id} ${p.title}`;
    if (!Number.isInteger(p.id) || ids.has(p.id)) issues.push(`${at}: id`);
    ids.add(p.id);
    if (!PANEL_TYPES.has(p.type) || RETIRED.has(p.type)) issues.push(`${at}: type ${p.type}`);
    const g = p.gridPos;
    if (!(g.w >= 1 && g.h >= 1 && g.x >= 0 && g.y >= 0 && g.x + g.w <= 24)) issues.push(`${at}: gridPos`);
    for (let x = g.x; x < g.x + g.w; x++)
      for (let y = g.y; y < g.y + g.h; y++) {
        if (cells.has(`${x},${y}`)) issues.push(`${at}: overlaps at ${x},${y}`);
        cells.add(`${x},${y}`);
      }
    if (!p.datasource?.type || !p.datasource.uid.startsWith('${ds_')) issues.push(`${at}: datasource`);
    if (typeof p.fieldConfig?.defaults !== 'object' || !Array.isArray(p.fieldConfig.overrides))
      issues.push(`${at}: fieldConfig`);
    const refIds = p.targets.map((t) => t.refId);
    if (refIds.length === 0 || new Set(refIds).size !== refIds.length) issues.push(`${at}: refIds`);
    const th = p.fieldConfig.defaults.thresholds as
      | { mode: string; steps: { value: number | null }[] }
      | undefined;
    if (th && (th.mode !== 'absolute' || th.steps[0]?.value !== null))
      issues.push(`${at}: thresholds base step`);
  }
  const vars = new Set(d.templating.list.map((v) => v.name as string));
  const text = JSON.stringify(d.panels);
  for (const m of text.matchAll(/\$\{?([a-z_]+)/g))
    if (!m[1].startsWith('__') && !vars.has(m[1])) issues.push(`undefined variable $${m[1]}`);
  return issues;
}

describe('grafana dashboards', () => {
  const all = grafanaDashboards();

  it('writes four dashboards that follow the classic JSON model', () => {
    expect(Object.keys(all).sort()).toEqual([
      'qobs-costs.json',
      'qobs-devices.json',
      'qobs-overview.json',
      'qobs-training.json',
    ]);
    for (const [name, d] of Object.entries(all)) expect(modelIssues(d), name).toEqual([]);
  });

  it('the checker rejects what Grafana would not load', () => {
    const bad = structuredClone(all['qobs-overview.json']);
    bad.panels[0].type = 'graph';
    bad.panels[1].gridPos = { h: 8, w: 20, x: 12, y: 0 };
    bad.panels[2].targets[0].expr = 'rate(x[$nope])';
    const issues = modelIssues(bad);
    expect(issues.some((i) => i.includes('type graph'))).toBe(true);
    expect(issues.some((i) => i.includes('gridPos'))).toBe(true);
    expect(issues).toContain('undefined variable $nope');
  });

  it('the Overview is the web dashboard panel table: same titles, same PromQL, today’s panel types', () => {
    const o = all['qobs-overview.json'];
    expect(o.panels.map((p) => p.title)).toEqual(OVERVIEW_PANELS.map((p) => p.title));
    expect(o.panels.map((p) => p.targets.map((t) => t.expr))).toEqual(
      OVERVIEW_PANELS.map((p) => p.queries.map((q) => q.expr)),
    );
    expect(o.panels.map((p) => p.type)).toEqual([
      'timeseries',
      'stat',
      'timeseries',
      'table',
      'timeseries',
      'heatmap',
      'piechart',
      'timeseries',
    ]);
    const donut = o.panels.find((p) => p.type === 'piechart');
    expect(donut?.options.pieType).toBe('donut');
    const table = o.panels.find((p) => p.type === 'table');
    const mappings = table?.fieldConfig.defaults.mappings as {
      type: string;
      options: Record<string, { text: string }>;
    }[];
    expect(mappings[0].type).toBe('value');
    expect(mappings[0].options['0'].text).toBe('Offline');
    expect(mappings[0].options['1'].text).toBe('Online');
  });

  it('declares data source uid variables and provider/device variables on Devices', () => {
    for (const d of Object.values(all)) {
      const ds = d.templating.list.filter((v) => v.type === 'datasource').map((v) => v.query);
      expect(ds).toEqual(['prometheus', 'tempo', 'loki']);
    }
    const names = all['qobs-devices.json'].templating.list.map((v) => v.name);
    expect(names).toContain('provider');
    expect(names).toContain('device');
    expect(prometheusQueries(all['qobs-devices.json']).every((q) => q.expr.includes('$device'))).toBe(true);
  });

  it('provisions Prometheus, Tempo and Loki with trace-to-logs links, and the dashboard folder', () => {
    const files = grafanaProvisioning({ prometheusUrl: 'http://p:9090' });
    const ds = parse(files['datasources/qobs.yml']) as {
      datasources: { uid: string; type: string; url: string; jsonData: Record<string, unknown> }[];
    };
    expect(ds.datasources.map((d) => d.uid)).toEqual(Object.values(DATASOURCE_UID));
    expect(ds.datasources[0].url).toBe('http://p:9090');
    const tempo = ds.datasources.find((d) => d.type === 'tempo');
    if (!tempo) throw new Error('no tempo data source');
    expect((tempo.jsonData.tracesToLogsV2 as { datasourceUid: string }).datasourceUid).toBe(
      DATASOURCE_UID.loki,
    );
    const loki = ds.datasources.find((d) => d.type === 'loki');
    if (!loki) throw new Error('no loki data source');
    const derived = (loki.jsonData.derivedFields as { matcherRegex: string; datasourceUid: string }[])[0];
    expect(derived.datasourceUid).toBe(DATASOURCE_UID.tempo);
    expect(new RegExp(derived.matcherRegex).exec('{"trace_id":"abc123"}')?.[1]).toBe('abc123');
    const dash = parse(files['dashboards/qobs.yml']) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(dash.providers[0].type).toBe('file');
  });
});
