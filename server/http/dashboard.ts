/**
 * The web dashboard, served by the server itself: `/` is the page, `/assets/…` its hashed bundles
 * (built by `npm run build` into dashboard/dist/). Without a build, `/` says how to make one.
 *
 * One middleware rather than express routes: it answers only GET/HEAD of `/`, `/index.html` and
 * `/assets/*`, and passes everything else on untouched (the API never pays a file lookup).
 * The page signs requests with the user's key in the browser; the server never sees the key. A strict
 * Content-Security-Policy keeps the page to its own scripts and origin.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestHandler, Response } from 'express';

export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

const NOT_BUILT =
  '<!doctype html><meta charset="utf-8"><title>Colonies</title><p>The dashboard is not built: run <code>npm run build</code> and reload this page.</p>\n';

function secure(res: Response): void {
  res.set({
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
}

export interface DashboardOptions {
  /** Folder with the built dashboard (index.html, assets/). */
  dir?: string;
}

export function dashboardMiddleware(opts: DashboardOptions = {}): RequestHandler {
  const dir = resolve(opts.dir ?? DEFAULT_DASHBOARD_DIR);
  const assets = join(dir, 'assets') + sep;
  // index.html is read once it exists; a rebuild while the server runs is picked up by its mtime.
  let index: { html: Buffer; mtimeMs: number } | undefined;

  async function readIndex(): Promise<Buffer | undefined> {
    const file = join(dir, 'index.html');
    try {
      const st = await stat(file);
      if (!index || index.mtimeMs !== st.mtimeMs) index = { html: await readFile(file), mtimeMs: st.mtimeMs };
      return index.html;
    } catch {
      index = undefined;
      return undefined;
    }
  }

  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const path = req.path;
    if (path === '/' || path === '/index.html') {
      void readIndex().then((html) => {
        secure(res);
        res.set('cache-control', 'no-cache');
        res.type('html').send(html ?? NOT_BUILT);
      }, next);
      return;
    }
    if (!path.startsWith('/assets/')) return next();
    let file: string;
    try {
      file = resolve(dir, '.' + decodeURIComponent(path));
    } catch {
      return next(); // malformed escape
    }
    const type = TYPES[file.slice(file.lastIndexOf('.'))];
    if (!file.startsWith(assets) || !type) return next();
    void readFile(file).then(
      (body) => {
        secure(res);
        // Vite puts a content hash in every asset name: cache for good.
        res.set({ 'cache-control': 'public, max-age=31536000, immutable', 'content-type': type });
        res.send(body);
      },
      () => next(),
    );
  };
}
