import type { Redis } from 'ioredis';
import type { Logger } from '@silo/common';

/** What {@link checkRedisDurability} found; each warning says what could be lost and how to fix it. */
export interface RedisDurability {
  appendonly?: string;
  save?: string;
  maxmemoryPolicy?: string;
  warnings: string[];
}

/**
 * Checks that Redis keeps what the coordinator relies on: run and round state, the ledger outbox
 * and the BullMQ jobs. Without persistence a Redis restart loses them; with an evicting memory
 * policy Redis may drop them under memory pressure. Logs one warning per problem.
 */
export async function checkRedisDurability(redis: Redis, logger: Logger): Promise<RedisDurability> {
  const result: RedisDurability = { warnings: [] };
  const get = async (name: string): Promise<string | undefined> => {
    const reply = (await redis.config('GET', name)) as string[];
    return reply[1];
  };
  try {
    result.appendonly = await get('appendonly');
    result.save = await get('save');
    result.maxmemoryPolicy = await get('maxmemory-policy');
  } catch (err) {
    result.warnings.push(
      `cannot read Redis settings (${(err as Error).message}); make sure it runs with appendonly yes and ` +
        'maxmemory-policy noeviction',
    );
  }
  if (result.appendonly === 'no') {
    result.warnings.push(
      result.save === undefined || result.save === ''
        ? 'Redis keeps nothing on disk (appendonly no, no save points): a Redis restart loses every run, ' +
            'round and queued ledger entry. Set appendonly yes.'
        : 'Redis persists only by snapshots (appendonly no): a Redis crash loses what changed since the last ' +
            'snapshot, including accepted updates not yet written to the ledger. Set appendonly yes.',
    );
  }
  if (result.maxmemoryPolicy !== undefined && result.maxmemoryPolicy !== 'noeviction') {
    result.warnings.push(
      `Redis maxmemory-policy is ${result.maxmemoryPolicy}: under memory pressure it may evict jobs and run ` +
        'state. Set maxmemory-policy noeviction.',
    );
  }
  for (const warning of result.warnings) logger.warn({ redis: result }, warning);
  return result;
}
