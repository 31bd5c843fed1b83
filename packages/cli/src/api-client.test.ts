import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadBytes, type ApiTarget } from './api-client.js';

/** 3 MiB and a bit, sent in 64 KiB writes. */
const BODY = randomBytes(3 * 1024 * 1024 + 123);
const PIECE = 64 * 1024;

describe('downloadBytes', () => {
  let server: Server;
  let target: ApiTarget;

  beforeAll(async () => {
    server = createServer((req, res) => {
      // `/sized` announces its length; `/chunked` does not.
      res.writeHead(
        200,
        req.url === '/sized'
          ? { 'content-type': 'application/octet-stream', 'content-length': BODY.byteLength }
          : { 'content-type': 'application/octet-stream' },
      );
      for (let at = 0; at < BODY.byteLength; at += PIECE) res.write(BODY.subarray(at, at + PIECE));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    target = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't' };
  });

  afterAll(() => {
    server.close();
  });

  it('reports the bytes as they arrive, up to the announced length', async () => {
    const seen: [number, number | undefined][] = [];
    const { bytes } = await downloadBytes(target, '/sized', (received, total) =>
      seen.push([received, total]),
    );
    expect(Buffer.from(bytes).equals(BODY)).toBe(true);
    expect(seen[0]).toEqual([0, BODY.byteLength]);
    expect(seen.at(-1)).toEqual([BODY.byteLength, BODY.byteLength]);
    // Several reports along the way, never going backwards.
    expect(seen.length).toBeGreaterThan(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThanOrEqual(seen[i - 1]![0]);
  });

  it('reports no total when the server announces none', async () => {
    const seen: (number | undefined)[] = [];
    const { bytes } = await downloadBytes(target, '/chunked', (_, total) => seen.push(total));
    expect(bytes.byteLength).toBe(BODY.byteLength);
    expect(new Set(seen)).toEqual(new Set([undefined]));
  });

  it('reads the same bytes without a progress callback', async () => {
    const { bytes } = await downloadBytes(target, '/sized');
    expect(Buffer.from(bytes).equals(BODY)).toBe(true);
  });
});
