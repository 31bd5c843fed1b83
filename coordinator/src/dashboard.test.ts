import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@silo/common';
import { DASHBOARD_PATH, withDashboard } from './dashboard.js';

describe('the dashboard files', () => {
  let server: Server;
  let url: string;
  const apiCalls: string[] = [];

  beforeAll(async () => {
    const api = withDashboard(
      (req, res) => {
        apiCalls.push(`${req.method} ${req.url}`);
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"ERR_UNAUTHENTICATED"}}');
      },
      createLogger({ name: 'test', level: 'silent' }),
    );
    server = createServer(api);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  /** GETs a path exactly as written: fetch would resolve `..` segments before sending. */
  const rawStatus = (path: string): Promise<number | undefined> =>
    new Promise((resolve, reject) => {
      const req = request(`${url}${path}`, { path }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves the page and its scripts without a token, with a strict content security policy', async () => {
    const page = await fetch(`${url}${DASHBOARD_PATH}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    for (const src of ['app.js', 'app.css', 'vendor/uPlot.iife.min.js', 'vendor/uPlot.min.css']) {
      expect(html).toContain(src);
      const asset = await fetch(`${url}${DASHBOARD_PATH}${src}`);
      expect(asset.status, src).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/^text\/(javascript|css); charset=utf-8$/);
    }
    const app = await (await fetch(`${url}${DASHBOARD_PATH}app.js`)).text();
    for (const [, module] of app.matchAll(/from '\.\/([\w-]+\.js)'/g)) {
      expect((await fetch(`${url}${DASHBOARD_PATH}${module}`)).status, module).toBe(200);
    }
    expect(await (await fetch(`${url}${DASHBOARD_PATH}vendor/uPlot.iife.min.js`)).text()).toMatch(
      /var uPlot=/,
    );
    expect(apiCalls).toEqual([]);
  });

  it('answers a repeated request with 304 when the file did not change', async () => {
    const first = await fetch(`${url}${DASHBOARD_PATH}app.css`);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await fetch(`${url}${DASHBOARD_PATH}app.css`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
  });

  it('redirects / to the dashboard and serves nothing outside its list of files', async () => {
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe(DASHBOARD_PATH);
    for (const path of ['nope.js', '..%2Fsrc%2Fdashboard.ts', 'vendor/uPlot.cjs.js']) {
      expect(await rawStatus(`${DASHBOARD_PATH}${path}`), path).toBe(404);
    }
    // `..` resolves before routing: this is /src/dashboard.ts, the API's to refuse.
    expect(await rawStatus(`${DASHBOARD_PATH}../src/dashboard.ts`)).toBe(401);
    expect((await fetch(`${url}${DASHBOARD_PATH}`, { method: 'POST' })).status).toBe(405);
  });

  it('hands every other path to the API, which asks for a token', async () => {
    expect((await fetch(`${url}/v1/runs`)).status).toBe(401);
    expect(apiCalls).toContain('GET /v1/runs');
    expect(apiCalls.filter((call) => call.includes('/dashboard/') && !call.includes('..'))).toEqual([]);
  });
});
