import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, loadPublicJwk, writeKeyPair, type PublicJwk } from '@silo/signing';
import type { Heterogeneity, VirtualPoolConfig } from '@silo/worker';
import { initPki, type Pki } from '../pki.js';
import {
  POOL_MAIN,
  PoolHandle,
  SILO_BIN,
  readReadyLine,
  type CoordinatorReady,
  type ProcessGroup,
} from './processes.js';

/** libuv threads of a pool process: its workers write their egress logs (synchronous I/O) in parallel. */
const POOL_THREADPOOL_SIZE = '16';

/** One simulated worker's files. */
export interface SimulatedWorker {
  name: string;
  privatePath: string;
  publicPath: string;
}

/** What {@link createIdentities} made. */
export interface Identities {
  workers: SimulatedWorker[];
  /** The public keys, in worker order: the auditor's trust anchor. */
  publicKeys: PublicJwk[];
  /** `{ keys: [...] }` of {@link publicKeys}, for `silo audit verify --workers`. */
  jwksPath: string;
  /** The deployment's CA and certificates; undefined for a plain-text simulation. */
  pki: Pki | undefined;
  /** Time spent issuing the certificates. */
  pkiMs: number;
}

/** `worker-007`: zero-padded to at least three digits, and to the width of the largest index. */
export function workerName(index: number, count: number): string {
  return `worker-${String(index).padStart(Math.max(3, String(count - 1).length), '0')}`;
}

/**
 * Gives every simulated worker what a real data owner has: its own Ed25519 key pair (files in
 * `<dir>/keys`) and, unless `insecure`, its own mTLS client certificate from a CA made for the run.
 */
export async function createIdentities(dir: string, count: number, insecure: boolean): Promise<Identities> {
  const workers: SimulatedWorker[] = [];
  for (let i = 0; i < count; i++) {
    const name = workerName(i, count);
    const written = await writeKeyPair(join(dir, 'keys', `${name}.key.json`), await generateKeyPair());
    workers.push({ name, ...written });
  }
  const publicKeys = await Promise.all(workers.map((w) => loadPublicJwk(w.publicPath)));
  const jwksPath = join(dir, 'workers.jwks.json');
  await writeFile(jwksPath, `${JSON.stringify({ keys: publicKeys }, null, 2)}\n`);
  const started = Date.now();
  const pki = insecure
    ? undefined
    : await initPki({
        dir: join(dir, 'pki'),
        coordinatorHosts: ['127.0.0.1'],
        workers: workers.map((w) => w.name),
      });
  return { workers, publicKeys, jwksPath, pki, pkiMs: Date.now() - started };
}

/** Options of {@link startCoordinator}. */
export interface CoordinatorLaunch {
  dir: string;
  redisUrl: string;
  prefix: string;
  apiToken: string;
  identities: Identities;
}

/** Writes the coordinator's config (every simulated worker enrolled) and starts it. */
export async function startCoordinator(
  group: ProcessGroup,
  launch: CoordinatorLaunch,
  onExit: (code: number | null) => void,
): Promise<{ ready: CoordinatorReady; pid: number | undefined }> {
  const { dir, identities } = launch;
  const pki = identities.pki;
  const path = join(dir, 'coordinator.json');
  await writeFile(
    path,
    JSON.stringify({
      grpc: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      redisUrl: launch.redisUrl,
      prefix: launch.prefix,
      dataDir: join(dir, 'coordinator'),
      apiToken: launch.apiToken,
      ...(pki === undefined
        ? { insecure: true }
        : { tls: { ca: pki.ca, cert: pki.coordinator.cert, key: pki.coordinator.key } }),
      workers: identities.workers.map((w) => ({
        name: w.name,
        org: 'simulation',
        publicKeyFile: w.publicPath,
      })),
    }),
  );
  const child = group.spawn(
    SILO_BIN,
    ['coordinator', 'start', '--config', path, '--ready-json'],
    join(dir, 'logs', 'coordinator.log'),
    onExit,
  );
  return { ready: await readReadyLine(child), pid: child.pid };
}

/** Options of {@link startPools}. */
export interface PoolLaunch {
  dir: string;
  identities: Identities;
  ready: CoordinatorReady;
  /** Worker processes; the workers are dealt to them in turn. */
  processes: number;
  /** The `data` of every worker's config, but for its `index`. */
  data: Record<string, unknown>;
  /** Extra fields of worker `index`'s config (an attack, a held-out share). */
  extra(index: number): Record<string, unknown>;
  heterogeneity: Heterogeneity;
}

/**
 * Writes one ordinary worker configuration file per simulated worker (`<dir>/<name>.json`, what
 * `silo worker start --config` takes) and one pool file per process listing its workers, then
 * starts the pool processes.
 */
export async function startPools(
  group: ProcessGroup,
  launch: PoolLaunch,
  onExit: (what: string) => (code: number | null) => void,
): Promise<PoolHandle[]> {
  const { dir, identities, ready, processes } = launch;
  const members: VirtualPoolConfig['workers'][] = Array.from({ length: processes }, () => []);
  for (const [index, w] of identities.workers.entries()) {
    const config = join(dir, `${w.name}.json`);
    const pki = identities.pki;
    await writeFile(
      config,
      JSON.stringify({
        name: w.name,
        coordinator: ready.grpc,
        ...(pki === undefined ? { insecure: true } : { tls: { ca: pki.ca, ...pki.workers[w.name] } }),
        keyFile: w.privatePath,
        stateDir: join(dir, 'state', w.name),
        coordinatorKey: ready.verifierKey,
        ...launch.extra(index),
        data: { ...launch.data, index },
      }),
    );
    members[index % processes]!.push({ config, index });
  }
  return Promise.all(
    members.map(async (workers, p) => {
      const path = join(dir, `pool-${p}.json`);
      const pool: VirtualPoolConfig = { workers, heterogeneity: launch.heterogeneity, insecure: false };
      await writeFile(path, JSON.stringify(pool));
      const child = group.spawn(
        POOL_MAIN,
        ['--config', path],
        join(dir, 'logs', `pool-${p}.log`),
        onExit(`worker pool ${p}`),
        { UV_THREADPOOL_SIZE: POOL_THREADPOOL_SIZE },
      );
      return new PoolHandle(child);
    }),
  );
}
