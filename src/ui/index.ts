// The web dashboard's server face: where the built bundle lives and how the workbench serves it.
import { existsSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export type { PanelKind, PanelQuery, PanelSpec, Threshold } from '../dashboards/index.js';
export { legendFor, OVERVIEW_PANELS, thresholdFor } from '../dashboards/index.js';

/**
 * The dashboard's Content-Security-Policy: everything from this origin only, no inline script or style
 * attribute, no plugin, no framing. Charts set geometry through the CSSOM, which the policy allows.
 */
export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Path of the built dashboard bundle (`node scripts/build-ui.mjs` writes it), from src/ or dist/ alike. */
export function uiAssetsDir(): string {
  // src/ui/index.ts and dist/ui/index.js are both two levels below the package root.
  return fileURLToPath(new URL('../../dist/ui/public/', import.meta.url));
}

/**
 * A file is served only when its real path (symlinks resolved) lies under the real root: @fastify/static checks
 * the requested path as a string, so a symlink placed in the bundle folder would otherwise serve what it points at.
 */
function insideRealRoot(root: string): (pathname: string) => boolean {
  let realRoot: string | undefined;
  return (pathname) => {
    realRoot ??= realpathSync(root);
    let real: string;
    try {
      real = realpathSync(join(realRoot, decodeURIComponent(pathname)));
    } catch {
      return true; // nothing there (or not decodable): the static handler answers 404 itself
    }
    return real === realRoot || real.startsWith(realRoot + sep);
  };
}

/** Options of `registerUi`. */
export interface RegisterUiOptions {
  /** Directory of the built bundle; defaults to `uiAssetsDir()`. */
  readonly root?: string;
  /** URL prefix the dashboard is served under; defaults to `/`. */
  readonly prefix?: string;
}

/**
 * Serves the dashboard's static files with a strict Content-Security-Policy. Register it after the API
 * routes or before, either works: exact routes win over the static wildcard, and a missing file falls
 * through to the app's not-found handler (so API 404s stay 404s).
 * @example await registerUi(app) // then http://127.0.0.1:8000/
 */
export async function registerUi(app: FastifyInstance, opts: RegisterUiOptions = {}): Promise<void> {
  const root = opts.root ?? uiAssetsDir();
  const prefix = opts.prefix ?? '/';
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_req, reply, payload) => {
      reply.header('content-security-policy', UI_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      return payload;
    });
    if (!existsSync(join(root, 'index.html'))) {
      // Say plainly what is missing rather than serving a blank page.
      scope.get(prefix, async (_req, reply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send(`The qobs dashboard is not built (no ${join(root, 'index.html')}): run npm run build.\n`),
      );
      return;
    }
    await scope.register(fastifyStatic, {
      root,
      prefix,
      index: 'index.html',
      decorateReply: false,
      wildcard: true,
      cacheControl: true,
      maxAge: 0,
      dotfiles: 'deny',
      allowedPath: insideRealRoot(root),
    });
  });
}
