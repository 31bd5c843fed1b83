import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@silo/common';

/** Where the dashboard is served. */
export const DASHBOARD_PATH = '/dashboard/';

/** The page's own files: `coordinator/dashboard/`, beside both `src/` and `dist/`. */
const PAGE_DIR = new URL('../dashboard/', import.meta.url);

const require = createRequire(import.meta.url);

/** The page's own files, served under {@link DASHBOARD_PATH}; `index.html` at the path itself. */
const PAGE_FILES = [
  'index.html',
  'app.css',
  'app.js',
  'api.js',
  'charts.js',
  'dom.js',
  'pages.js',
  'run-page.js',
];

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

interface Asset {
  type: string;
  /** Where the file is on disk, resolved at its first request. */
  path: () => string;
}

/** Every file the dashboard serves, by URL path: nothing outside this list is ever read. */
const ASSETS: Record<string, Asset> = Object.fromEntries([
  ...PAGE_FILES.map((name): [string, Asset] => [
    name === 'index.html' ? DASHBOARD_PATH : `${DASHBOARD_PATH}${name}`,
    { type: typeOf(name), path: () => fileURLToPath(new URL(name, PAGE_DIR)) },
  ]),
  // uPlot (MIT) from the installed package, never from a CDN: the dashboard works offline.
  ...['uPlot.iife.min.js', 'uPlot.min.css'].map((name): [string, Asset] => [
    `${DASHBOARD_PATH}vendor/${name}`,
    { type: typeOf(name), path: () => require.resolve(`uplot/dist/${name}`) },
  ]),
]);

function typeOf(name: string): string {
  return TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

/**
 * The page may load only its own scripts and styles and talk only to this origin. uPlot styles
 * its elements through the DOM (`element.style`), which `style-src 'self'` allows.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface LoadedAsset {
  type: string;
  body: Buffer;
  etag: string;
}

/**
 * Serves the dashboard's static files under {@link DASHBOARD_PATH} without a token (they carry
 * no data: every figure the page shows comes from the authenticated JSON API), redirects `/` to
 * it, and hands every other request to `api`.
 */
export function withDashboard(api: RequestListener, logger: Logger): RequestListener {
  const cache = new Map<string, Promise<LoadedAsset>>();
  const load = (path: string, asset: Asset): Promise<LoadedAsset> => {
    let loaded = cache.get(path);
    if (loaded === undefined) {
      loaded = readFile(asset.path()).then((body) => ({
        type: asset.type,
        body,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      }));
      // A failed read is retried on the next request rather than cached.
      loaded.catch(() => cache.delete(path));
      cache.set(path, loaded);
    }
    return loaded;
  };
  return (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname === '/' || pathname === DASHBOARD_PATH.slice(0, -1)) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        api(req, res);
        return;
      }
      res.writeHead(302, { location: DASHBOARD_PATH, 'content-length': 0 });
      res.end();
      return;
    }
    if (!pathname.startsWith(DASHBOARD_PATH)) {
      api(req, res);
      return;
    }
    const asset = ASSETS[pathname];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
      return;
    }
    if (asset === undefined) {
      plain(res, 404, `no dashboard file ${pathname}`);
      return;
    }
    load(pathname, asset).then(
      (loaded) => serve(req, res, loaded),
      (err: unknown) => {
        logger.error({ err, path: pathname }, 'cannot read a dashboard file');
        plain(res, 500, `the coordinator cannot read ${pathname}; see its log`);
      },
    );
  };
}

function serve(req: IncomingMessage, res: ServerResponse, asset: LoadedAsset): void {
  const headers = { ...SECURITY_HEADERS, etag: asset.etag, 'cache-control': 'no-cache' };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': asset.type, 'content-length': asset.body.byteLength });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}

function plain(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}
