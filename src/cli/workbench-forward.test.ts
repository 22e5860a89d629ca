// `qobs up` with a `forward:` section in qobs.yaml forwards what its OTLP listener accepts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchWorkbench } from './workbench.js';

describe('qobs up with forward:', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qobs-up-forward-'));
  const received: Array<{ url: string; auth: string | undefined }> = [];
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push({ url: req.url ?? '', auth: req.headers.authorization });
      res.end();
    });
  });
  let stop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await stop?.();
    await new Promise((r) => receiver.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends accepted logs to the configured per-signal URL with the configured headers', async () => {
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    const file = join(dir, 'qobs.yaml');
    writeFileSync(
      file,
      `forward:\n  logs_endpoint: http://127.0.0.1:${port}/otlp/v1/logs\n  headers:\n    authorization: Bearer downstream-token\n`,
    );
    const out = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      const launched = await launchWorkbench({
        configFile: file,
        alerts: false,
        json: true,
        overrides: { dataDir: join(dir, 'data'), port: 0, otlpPort: 0 },
      });
      stop = launched.stop;
      const res = await fetch(`${launched.wb.otlpUrl}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceLogs: [
            {
              scopeLogs: [
                { logRecords: [{ timeUnixNano: `${Date.now()}000000`, body: { stringValue: 'hello' } }] },
              ],
            },
          ],
        }),
      });
      expect(res.status).toBe(200);
      await expect.poll(() => received.length, { timeout: 10_000 }).toBe(1);
      expect(received[0]).toEqual({ url: '/otlp/v1/logs', auth: 'Bearer downstream-token' });
    } finally {
      process.stdout.write = out;
    }
  }, 60_000);
});
