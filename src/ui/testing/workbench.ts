// Starts a real workbench for the dashboard's tests and benchmark: the store, the JSON API, the PromQL
// endpoints and the dashboard mounted with `registerUi`, on 127.0.0.1 port 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createEngine, handleQuery, handleQueryRange } from '../../promql/index.js';
import { startWorkbench, type Workbench, type WorkbenchPlugin } from '../../server/index.js';
import { registerUi } from '../index.js';

/** A workbench in a temporary data directory; `close()` also removes the directory. */
export interface TestWorkbench {
  readonly wb: Workbench;
  close(): Promise<void>;
}

/**
 * Mounts the PromQL query endpoints when the workbench did not already (it takes them through
 * `WorkbenchOptions.query`; the default wiring may not be in place yet).
 */
function mountQueries(app: FastifyInstance, wb: Workbench): void {
  const engine = createEngine(wb.store);
  const routes = { '/api/v1/query': handleQuery, '/api/v1/query_range': handleQueryRange } as const;
  for (const [url, handler] of Object.entries(routes)) {
    if (app.hasRoute({ method: 'GET', url })) continue;
    app.get(url, async (req, reply) => {
      const r = handler(engine, wb.store, req.query as Record<string, string>);
      return reply.code(r.status).send(r.body);
    });
  }
}

/** Starts a workbench serving the dashboard bundle found in `uiRoot`, with more plugins when given. */
export async function startTestWorkbench(
  uiRoot: string,
  plugins: WorkbenchPlugin[] = [],
): Promise<TestWorkbench> {
  const dataDir = mkdtempSync(join(tmpdir(), 'qobs-ui-wb-'));
  const wb = await startWorkbench(
    {
      dataDir,
      host: '127.0.0.1',
      port: 0,
      otlpHost: '127.0.0.1',
      otlpPort: 0,
      selfScrapeIntervalMs: 0,
      scrapeTargets: [],
    },
    {
      plugins: [
        {
          name: 'ui',
          async setup(w) {
            mountQueries(w.app, w);
            await registerUi(w.app, { root: uiRoot });
          },
        },
        ...plugins,
      ],
      log: () => {},
    },
  );
  return {
    wb,
    async close() {
      await wb.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
