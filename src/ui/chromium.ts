// Drives Debian's Chromium headless through playwright-core, for the dashboard's tests and its benchmark.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** The Chromium the tests drive: the system one, never a downloaded build. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** A headless Chromium with its own throw-away profile; `close()` removes the profile. */
export interface Headless {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Starts Chromium headless with a fresh temporary profile. */
export async function launchHeadless(viewport = { width: 1280, height: 900 }): Promise<Headless> {
  const profile = mkdtempSync(join(tmpdir(), 'qobs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport,
    timeout: 30_000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * APIs that a workbench may not serve yet (their issues have not landed); the pages show a "not available"
 * notice for their 404. Chromium itself logs every 404 fetch as a console error; only these are excused.
 */
export const OPTIONAL_APIS = [
  '/api/v1/alerts',
  '/api/v2/alerts',
  '/api/v2/silences',
  '/api/devices',
  '/api/costs',
];

/** Collects console errors, uncaught page errors and failed requests of a page (404s of OPTIONAL_APIS excused). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const at = m.location().url;
    const path = at ? new URL(at).pathname : '';
    if (m.text().includes('status of 404') && OPTIONAL_APIS.some((p) => path.startsWith(p))) return;
    errors.push(`console: ${m.text()} (${at})`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return errors;
}

/** Waits until the dashboard's current refresh has finished (the shell marks `body[data-state=ready]`). */
export async function waitReady(page: Page, minRefreshes = 1, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction(
    (n) => document.body.dataset.state === 'ready' && Number(document.body.dataset.refreshCount ?? 0) >= n,
    minRefreshes,
    { timeout: timeoutMs },
  );
}
