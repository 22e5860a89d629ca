// registerUi without a browser: the CSP and hardening headers, API 404s kept, and a missing bundle said plainly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUi, UI_CSP, uiAssetsDir } from './index.js';

describe('registerUi', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'qobs-ui-static-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="main.js"></script>');
    writeFileSync(join(dir, 'main.js'), 'export {};');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the bundle with the Content-Security-Policy and keeps API 404s as JSON', async () => {
    const app = Fastify();
    app.get('/api/traces', async () => ({ traces: [] }));
    await registerUi(app, { root: dir });
    const index = await app.inject('/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-security-policy']).toBe(UI_CSP);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect(UI_CSP).toContain("default-src 'self'");
    expect(UI_CSP).not.toMatch(/unsafe-(inline|eval)/);
    const js = await app.inject('/main.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect((await app.inject('/api/traces')).json()).toEqual({ traces: [] });
    const missing = await app.inject('/api/devices');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/json/);
    expect((await app.inject('/../package.json')).statusCode).toBe(404);
    await app.close();
  });

  it('answers 503 naming the build step when the bundle is missing', async () => {
    const app = Fastify();
    await registerUi(app, { root: join(dir, 'nowhere') });
    const res = await app.inject('/');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await app.close();
  });

  it('locates the bundle under dist/ui/public of the package', () => {
    expect(uiAssetsDir()).toMatch(/dist\/ui\/public\/$/);
  });
});
