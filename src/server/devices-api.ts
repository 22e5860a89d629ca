// The devices API the dashboard's Devices page reads: a device's calibration in force and its history, from the
// store's calibration table (written by the device monitor, or by the demo's polls).
import type { Workbench, WorkbenchPlugin } from './workbench.js';

const ID = /^([a-z]+)\.(.+)$/;

function rangeParam(raw: unknown, fallback: number): number {
  if (typeof raw !== 'string' || raw === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) ? n : Number.NaN;
}

/** `GET /api/devices/<provider.device>` and `GET /api/devices/<provider.device>/calibrations?start=&end=` (ms). */
export function devicesApiPlugin(options: { maxSnapshots?: number } = {}): WorkbenchPlugin {
  const max = options.maxSnapshots ?? 500;
  return {
    name: 'devices-api',
    setup(wb: Workbench) {
      const parse = (id: string) => ID.exec(id);
      wb.app.get('/api/devices/:id', async (req, reply) => {
        const id = (req.params as { id: string }).id;
        const m = parse(id);
        if (!m) return reply.code(400).send({ error: `a device id is <provider>.<device>, got '${id}'` });
        const [latest] = wb.store.calibrations(m[1], m[2], 1);
        return { id, calibration: latest?.snapshot ?? null };
      });
      wb.app.get('/api/devices/:id/calibrations', async (req, reply) => {
        const id = (req.params as { id: string }).id;
        const m = parse(id);
        if (!m) return reply.code(400).send({ error: `a device id is <provider>.<device>, got '${id}'` });
        const q = req.query as Record<string, unknown>;
        const start = rangeParam(q.start, Number.NEGATIVE_INFINITY);
        const end = rangeParam(q.end, Number.POSITIVE_INFINITY);
        if (Number.isNaN(start) || Number.isNaN(end))
          return reply.code(400).send({ error: 'start and end are milliseconds since the epoch' });
        const calibrations = wb.store
          .calibrations(m[1], m[2], max)
          .filter((c) => c.takenAtMs >= start && c.takenAtMs <= end)
          .sort((a, b) => a.takenAtMs - b.takenAtMs)
          .map((c) => c.snapshot);
        return { id, calibrations };
      });
    },
  };
}
