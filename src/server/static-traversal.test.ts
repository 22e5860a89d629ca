// Path traversal on the dashboard's static files (registerUi over @fastify/static): dot-dot segments plain,
// percent-encoded, double-encoded and with backslashes, absolute paths, NUL bytes and symlinks out of the public
// folder. Nothing outside the folder is served; requests go over a raw socket so no client normalises them.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUi, UI_CSP } from '../ui/index.js';

const SECRET = 'TOP-SECRET-7f3a9c';
const root = mkdtempSync(path.join(tmpdir(), 'qobs-static-'));
const publicDir = path.join(root, 'site', 'public');
let app: FastifyInstance;
let port = 0;

beforeAll(async () => {
  mkdirSync(path.join(publicDir, 'assets'), { recursive: true });
  writeFileSync(path.join(publicDir, 'index.html'), '<!doctype html><title>qobs</title>');
  writeFileSync(path.join(publicDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(root, 'secret.txt'), SECRET);
  writeFileSync(path.join(root, 'site', 'secret.txt'), SECRET);
  mkdirSync(path.join(root, 'outside'));
  writeFileSync(path.join(root, 'outside', 'secret.txt'), SECRET);
  app = Fastify({ logger: false });
  await registerUi(app, { root: publicDir });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await app.close();
  rmSync(root, { recursive: true, force: true });
});

/** Sends one GET with the path exactly as given; resolves with the status line's code and the raw response. */
function rawGet(rawPath: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(`GET ${rawPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    s.setEncoding('latin1');
    s.on('data', (d) => {
      text += d;
    });
    // Idle time without a byte: generous, as a loaded machine may stall a few seconds; a hang still fails.
    s.setTimeout(15_000, () => {
      s.destroy();
      reject(new Error(`no answer to GET ${rawPath}`));
    });
    s.on('error', reject);
    s.on('close', () => resolve({ status: Number(text.slice(9, 12)) || 0, text }));
  });
}

const ATTACKS = [
  '/../secret.txt',
  '/../../secret.txt',
  '/..%2fsecret.txt',
  '/..%2f..%2fsecret.txt',
  '/%2e%2e/secret.txt',
  '/%2e%2e/%2e%2e/secret.txt',
  '/%2E%2E%2Fsecret.txt',
  '/.%2e/secret.txt',
  '/%2e./secret.txt',
  '/..%5csecret.txt',
  '/..%5c..%5csecret.txt',
  '/%5c..%5csecret.txt',
  '/..\\secret.txt',
  '/assets/../../secret.txt',
  '/assets/..%2f..%2fsecret.txt',
  '/%252e%252e/secret.txt',
  '/..%252fsecret.txt',
  '/....//secret.txt',
  '/..;/secret.txt',
  `/${root}/secret.txt`,
  `/${encodeURIComponent(path.join(root, 'secret.txt'))}`,
  `//${root.slice(1)}/secret.txt`,
  '/%2fetc%2fpasswd',
  '/../../../../../../etc/passwd',
  '/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
  '/index.html%00../secret.txt',
  '/%00/../secret.txt',
  '/%c0%ae%c0%ae/secret.txt',
  '/%ef%bc%8e%ef%bc%8e/secret.txt',
];

function leaked(text: string): boolean {
  return text.includes(SECRET) || /root:.*:0:0:/.test(text);
}

describe('static files: path traversal', () => {
  it('serves the dashboard itself, with its Content-Security-Policy', async () => {
    const index = await rawGet('/');
    expect(index.status).toBe(200);
    expect(index.text).toContain('<title>qobs</title>');
    expect(index.text.toLowerCase()).toContain(`content-security-policy: ${UI_CSP.toLowerCase()}`);
    expect((await rawGet('/assets/app.js')).status).toBe(200);
  });

  it(`serves nothing outside the public folder for ${ATTACKS.length} known traversal forms`, async () => {
    for (const p of ATTACKS) {
      const r = await rawGet(p);
      expect(leaked(r.text), p).toBe(false);
      expect(r.status, p).toBeGreaterThanOrEqual(300);
      expect(r.status, p).toBeLessThan(500);
    }
  });

  it('serves nothing outside for generated paths of dot, slash and encoding pieces (fast-check)', async () => {
    const piece = fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2E%2e',
      '.%2e',
      '%2e',
      '%252e%252e',
      '%2f',
      '%5c',
      '\\',
      '%00',
      '',
      'assets',
      'secret.txt',
      'etc',
      'passwd',
      'site',
      'outside',
      '%c0%ae',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 10 }), async (pieces) => {
        const r = await rawGet(`/${pieces.join('/')}`);
        expect(leaked(r.text)).toBe(false);
        expect(r.status).toBeGreaterThanOrEqual(200);
        expect(r.status).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });

  it('does not follow a symlink out of the public folder', async () => {
    symlinkSync(path.join(root, 'secret.txt'), path.join(publicDir, 'link-out.txt'));
    symlinkSync(path.join(root, 'outside'), path.join(publicDir, 'dir-out'));
    try {
      for (const p of ['/link-out.txt', '/dir-out/secret.txt', '/dir-out/']) {
        const r = await rawGet(p);
        expect(leaked(r.text), p).toBe(false);
      }
    } finally {
      rmSync(path.join(publicDir, 'link-out.txt'));
      rmSync(path.join(publicDir, 'dir-out'));
    }
  });
});
