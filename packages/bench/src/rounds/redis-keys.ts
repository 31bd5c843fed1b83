import { Redis } from 'ioredis';
import { SiloError } from '@silo/common';

/** The Redis the bench's coordinators use: `REDIS_URL` or the local default. */
export const BENCH_REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Fails early, with a message that says what to do, when no Redis answers at `url`.
 *
 * @throws SiloError ERR_UNAVAILABLE
 */
export async function assertRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  client.on('error', () => undefined); // the failed connect below reports it
  try {
    await client.connect();
    await client.ping();
  } catch (cause) {
    throw new SiloError('ERR_UNAVAILABLE', `no Redis answers at ${url}; start one or set REDIS_URL`, {
      cause,
    });
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under `prefix:` (a coordinator's state and queues). */
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
