import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { SiloError } from '@silo/common';

/** A Redis the caller may use, and how to stop it if this process started it. */
export interface RedisHandle {
  url: string;
  private: boolean;
  stop(): Promise<void>;
}

/** True when a Redis answers PING at `url` within a short time. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1500,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Uses the Redis at `url` when it answers; otherwise starts a private `redis-server` (no persistence)
 * on a free port, or explains how to get one.
 */
export async function ensureRedis(url: string): Promise<RedisHandle> {
  if (await redisAnswers(url)) return { url, private: false, stop: () => Promise.resolve() };
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (err) {
    throw new SiloError(
      'ERR_UNAVAILABLE',
      `no Redis answers at ${url} and redis-server is not installed. Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a running Redis.`,
      { cause: err },
    );
  }
  const privateUrl = `redis://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; i < 100; i++) {
    if (await redisAnswers(privateUrl)) return { url: privateUrl, private: true, stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new SiloError('ERR_UNAVAILABLE', `started redis-server on port ${port} but it does not answer`);
}

/** Deletes every key under `prefix:` (a finished simulation's or test's state). */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
