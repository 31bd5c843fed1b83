import * as grpc from '@grpc/grpc-js';
import { Coordinator } from '@silo/coordinator';
import { loadMnist, partition, subset, type Dataset } from '@silo/data';
import { initBackend } from '@silo/model';
import type { SigningKey } from '@silo/signing';
import { Trainer, Worker, type Policy } from '@silo/worker';
import {
  cleanRedis,
  coordinatorConfig,
  makeKey,
  nextEvent,
  quietLogger,
  tempDir,
  uniquePrefix,
} from './helpers.js';

/**
 * A coordinator and its workers on this machine, each worker with an IID share of MNIST unless
 * the options give each its own data.
 */
export interface Federation {
  coordinator: Coordinator;
  workers: Worker[];
  keys: SigningKey[];
  trainers: Trainer[];
  /** Stops everything and removes the Redis keys and files. */
  close(): Promise<void>;
}

/** Options for {@link startFederation}. */
export interface FederationOptions {
  names: readonly string[];
  /** Each worker's trainer, given its data; default a plain {@link Trainer}. */
  trainer?: (data: ConstructorParameters<typeof Trainer>[0], name: string) => Trainer;
  policies?: Partial<Record<string, Policy>>;
  /** Digits split among the workers when `data` is not given; default 300. */
  trainSize?: number;
  /**
   * Each worker's training data, in the order of `names`; default an IID share of `trainSize`
   * MNIST digits (seed 2).
   */
  data?: readonly Dataset[];
}

/** Starts a coordinator (plain gRPC, its own Redis prefix) and joins the named workers to it. */
export async function startFederation(options: FederationOptions): Promise<Federation> {
  if (options.data !== undefined && options.data.length !== options.names.length)
    throw new Error(`${options.data.length} data sets for ${options.names.length} workers`);
  await initBackend();
  const prefix = uniquePrefix();
  const { dir, cleanup } = await tempDir();
  const made = await Promise.all(options.names.map((name) => makeKey(dir, name)));
  const keys = made.map((m) => m.key);
  const config = coordinatorConfig({
    prefix,
    dataDir: dir,
    insecure: true,
    apiToken: 'fixture-token-0123456789',
    ledgerName: 'silo-fixture',
    workers: options.names.map((name, i) => ({ name, org: 'test', publicKeyFile: made[i]!.publicPath })),
  });
  const coordinator = await Coordinator.start({ config, logger: quietLogger });
  const shares = options.data ?? mnistShares(options.names.length, options.trainSize ?? 300);
  const trainers: Trainer[] = [];
  const workers = options.names.map((name, i) => {
    const data = shares[i]!;
    const trainer = options.trainer?.(data, name) ?? new Trainer(data);
    trainers.push(trainer);
    const policy = options.policies?.[name];
    return new Worker({
      coordinator: coordinator.grpcAddress,
      credentials: grpc.credentials.createInsecure(),
      name,
      key: keys[i]!,
      trainer,
      backend: 'test',
      logger: quietLogger,
      initialDelayMs: 50,
      maxDelayMs: 500,
      ...(policy === undefined ? {} : { policy }),
    });
  });
  const joined = Promise.all(workers.map((w) => nextEvent(w, 'joined')));
  for (const w of workers) w.start();
  await joined;
  return {
    coordinator,
    workers,
    keys,
    trainers,
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await coordinator.close();
      await cleanRedis(prefix);
      await cleanup();
    },
  };
}

/** `count` IID shares of `trainSize` MNIST digits. */
function mnistShares(count: number, trainSize: number): Dataset[] {
  const { train } = loadMnist({ trainSize, testSize: 100, seed: 2 });
  return partition(train, count, { kind: 'iid' }, 2).map((part) => subset(train, part));
}
