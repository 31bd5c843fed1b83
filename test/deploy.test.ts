// Checks the deployment files in deploy/ without a container engine or a cluster: the Dockerfiles
// against the repository, the compose file against the files init.sh generates and the real config
// schemas, and the Helm charts as rendered by real `helm template` (installed by
// deploy/tools/install-helm.sh) against structural schemas of the Kubernetes objects they use.
import { execFile, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTlsFiles, parseConfig } from '@silo/common';
import { checkRedisDurability, coordinatorConfigSchema } from '@silo/coordinator';
import { formatVerifierKey } from '@silo/ledger';
import { generateKeyPair, loadPublicJwk, loadSigningKey, writeKeyPair } from '@silo/signing';
import { workerConfigSchema } from '@silo/worker';
import { initPki } from '../packages/cli/src/pki.js';
import { freePort, redisAnswers } from '../packages/cli/src/redis.js';
import { quietLogger, tempDir } from './helpers.js';

const exec = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..');
const DEPLOY = join(REPO, 'deploy');
const HELM = process.env['HELM_BIN'] ?? 'helm';
/** Node's own directory first on PATH, for the scripts that call `node`. */
const ENV = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` };

const read = (path: string): Promise<string> => readFile(path, 'utf8');
const isFile = (path: string): boolean => existsSync(path) && statSync(path).isFile();

/** Where a path inside a container is on the host: the mount with the longest matching target. */
interface Mount {
  target: string;
  /** Host directory or file; undefined for a volume that exists only at run time. */
  host: string | undefined;
  volume: string;
  readOnly: boolean;
}
function locate(mounts: readonly Mount[], path: string): { mount: Mount; host: string | undefined } {
  const mount = [...mounts]
    .sort((a, b) => b.target.length - a.target.length)
    .find((m) => path === m.target || path.startsWith(`${m.target}/`));
  if (mount === undefined) throw new Error(`${path} is on no mounted volume`);
  const host = mount.host === undefined ? undefined : join(mount.host, relative(mount.target, path));
  return { mount, host };
}

/** Checks that every path a config names is a file on a mount; returns where each is on the host. */
function filesOnHost(mounts: readonly Mount[], paths: readonly string[]): string[] {
  return paths.map((path) => {
    const { host } = locate(mounts, path);
    expect(host, `${path} must be a mounted file`).toBeDefined();
    expect(isFile(host!), `${path} (${host}) must exist`).toBe(true);
    return host!;
  });
}

/** The TLS files and key of a validated config, checked the way the processes check them at start. */
async function checkIdentity(
  mounts: readonly Mount[],
  config: { tls?: { ca: string; cert: string; key: string } | undefined; keyFile?: string | undefined },
): Promise<{ cert: X509Certificate; keyHost: string | undefined }> {
  if (config.tls === undefined) throw new Error('the federation plane must use mTLS');
  const [ca, cert, key] = filesOnHost(mounts, [config.tls.ca, config.tls.cert, config.tls.key]);
  const material = await loadTlsFiles({ ca: ca!, cert: cert!, key: key! });
  const keyHost = config.keyFile === undefined ? undefined : filesOnHost(mounts, [config.keyFile])[0];
  if (keyHost !== undefined) await loadSigningKey(keyHost);
  return { cert: new X509Certificate(material.cert), keyHost };
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles

interface Instruction {
  keyword: string;
  args: string;
  /** Index of the build stage (FROM) the instruction belongs to. */
  stage: number;
}

/** Instructions of a Dockerfile, with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (pending === '' && line === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = pending + line;
    pending = '';
    const keyword = whole.split(/\s/, 1)[0]!.toUpperCase();
    if (keyword === 'FROM') stage += 1;
    instructions.push({ keyword, args: whole.slice(keyword.length).trim(), stage });
  }
  return instructions;
}

const lockedTfjs = async (): Promise<string> => {
  const lock = z
    .object({ packages: z.record(z.string(), z.object({ version: z.string().optional() })) })
    .parse(JSON.parse(await read(join(REPO, 'package-lock.json'))));
  const version = lock.packages['node_modules/@tensorflow/tfjs']?.version;
  if (version === undefined) throw new Error('@tensorflow/tfjs is not in package-lock.json');
  return version;
};

describe.each(['coordinator', 'worker'] as const)('deploy/%s.Dockerfile', (role) => {
  const path = join(DEPLOY, `${role}.Dockerfile`);
  let steps: Instruction[];
  let runtime: Instruction[];
  beforeAll(async () => {
    steps = parseDockerfile(await read(path));
    const last = Math.max(...steps.map((s) => s.stage));
    runtime = steps.filter((s) => s.stage === last);
  });
  const jsonArgs = (keyword: string): string[] => {
    const step = runtime.find((s) => s.keyword === keyword);
    if (step === undefined) throw new Error(`no ${keyword} in the runtime stage`);
    return z.array(z.string()).parse(JSON.parse(step.args));
  };

  it('builds in stages from node:20-bookworm-slim and runs the built silo CLI as a non-root user', () => {
    const froms = steps.filter((s) => s.keyword === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from.args).toMatch(/^node:20-bookworm-slim(\s|$)/);
    const runs = steps.filter((s) => s.keyword === 'RUN' && s.stage === 0).map((s) => s.args);
    for (const command of ['npm ci', 'npm run build', 'npm prune --omit=dev']) {
      expect(
        runs.some((r) => r.includes(command)),
        command,
      ).toBe(true);
    }
    const user = runtime.filter((s) => s.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const entrypoint = jsonArgs('ENTRYPOINT');
    expect(entrypoint[0]).toBe('node');
    expect(entrypoint[1]).toBe('/app/packages/cli/bin/silo.js');
    expect(isFile(join(REPO, 'packages/cli/bin/silo.js'))).toBe(true);
    expect(jsonArgs('CMD').slice(0, 2)).toEqual([role, 'start']);
    expect(runtime.some((s) => s.keyword === 'VOLUME' && s.args.includes('/data'))).toBe(true);
  });

  it('copies only sources that exist and that its .dockerignore allow-list lets into the context', async () => {
    const ignore = (await read(`${path}.dockerignore`))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    // Everything is excluded first, so deploy/compose/secrets and .silo can never enter the context.
    expect(ignore[0]).toBe('*');
    const allowed = new Set(ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1)));
    expect([...allowed].some((p) => p.startsWith('deploy'))).toBe(false);
    const copies = steps.filter((s) => s.keyword === 'COPY' && !s.args.includes('--from='));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy.args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) {
        expect(existsSync(join(REPO, source)), `${source} exists`).toBe(true);
        expect(allowed.has(source), `${source} is allowed by the .dockerignore`).toBe(true);
      }
    }
  });

  if (role === 'coordinator') {
    it('exposes the default ports of the config schema and checks health on the HTTP one', () => {
      const defaults = coordinatorConfigSchema.parse({ apiToken: 'x'.repeat(16), insecure: true });
      const exposed = runtime.filter((s) => s.keyword === 'EXPOSE').flatMap((s) => s.args.split(/\s+/));
      expect(exposed.map(Number).sort()).toEqual([defaults.grpc.port, defaults.http.port].sort());
      expect(runtime.find((s) => s.keyword === 'HEALTHCHECK')?.args).toMatch(/SILO_HEALTH_URL/);
      const env = runtime.find((s) => s.keyword === 'ENV')?.args ?? '';
      expect(env).toContain(`SILO_HEALTH_URL=http://127.0.0.1:${defaults.http.port}/healthz`);
    });
  } else {
    it('installs @tensorflow/tfjs-node in the runtime stage, at the locked @tensorflow/tfjs version', async () => {
      const arg = runtime.find((s) => s.keyword === 'ARG' && s.args.startsWith('TFJS_NODE_VERSION='));
      expect(arg?.args).toBe(`TFJS_NODE_VERSION=${await lockedTfjs()}`);
      const install = runtime.find((s) => s.keyword === 'RUN' && s.args.includes('npm install'));
      expect(install?.args).toContain('@tensorflow/tfjs-node@${TFJS_NODE_VERSION}');
      expect(runtime.find((s) => s.keyword === 'HEALTHCHECK')?.args).toBe('NONE');
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Compose

/** The part of the Compose specification the file uses; a misspelt key is refused. */
const composeSchema = z.strictObject({
  name: z.string().min(1),
  services: z.record(
    z.string(),
    z.strictObject({
      image: z.string().min(1),
      build: z.strictObject({ context: z.string(), dockerfile: z.string() }).optional(),
      command: z.array(z.string()).optional(),
      volumes: z.array(z.string()).default([]),
      ports: z.array(z.string()).optional(),
      depends_on: z
        .record(z.string(), z.strictObject({ condition: z.enum(['service_started', 'service_healthy']) }))
        .optional(),
      healthcheck: z.looseObject({ test: z.array(z.string()) }).optional(),
      restart: z.enum(['no', 'always', 'on-failure', 'unless-stopped']).optional(),
    }),
  ),
  volumes: z.record(z.string(), z.null()),
});
type ComposeService = z.output<typeof composeSchema>['services'][string];

describe('deploy/compose.yaml with the secrets deploy/compose/init.sh generates', () => {
  let compose: z.output<typeof composeSchema>;
  let secrets: string;
  let cleanup: () => Promise<void>;
  const generated = join(DEPLOY, 'compose/secrets');

  beforeAll(async () => {
    compose = composeSchema.parse(parseYaml(await read(join(DEPLOY, 'compose.yaml'))));
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    secrets = join(dir, 'secrets');
    await exec('bash', [join(DEPLOY, 'compose/init.sh')], { env: { ...ENV, SILO_SECRETS_DIR: secrets } });
  }, 180_000);
  afterAll(async () => {
    await cleanup?.();
  });

  const mountsOf = (service: ComposeService): Mount[] =>
    service.volumes.map((spec) => {
      const [source = '', target = '', mode] = spec.split(':');
      const bind = source.startsWith('.') || source.startsWith('/');
      let host = bind ? resolve(DEPLOY, source) : undefined;
      if (host !== undefined && (host === generated || host.startsWith(`${generated}/`))) {
        host = join(secrets, relative(generated, host));
      }
      return { target, host, volume: bind ? '' : source, readOnly: mode === 'ro' };
    });
  const workers = (): [string, ComposeService][] =>
    Object.entries(compose.services).filter(([, s]) => s.build?.dockerfile === 'deploy/worker.Dockerfile');
  const configOf = async (service: ComposeService): Promise<string> => {
    const at = service.command?.indexOf('--config') ?? -1;
    const path = service.command?.[at + 1];
    if (at < 0 || path === undefined) throw new Error('the service names no --config');
    const host = filesOnHost(mountsOf(service), [path])[0]!;
    return read(host);
  };

  it('builds every service from a Dockerfile in the repository and mounts only paths that exist', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['redis', 'coordinator']));
    expect(workers().length).toBeGreaterThanOrEqual(2);
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build !== undefined) {
        const context = resolve(DEPLOY, service.build.context);
        expect(existsSync(join(context, 'package.json')), `${name}: context is the repository root`).toBe(
          true,
        );
        expect(isFile(join(context, service.build.dockerfile)), `${name}: Dockerfile`).toBe(true);
      }
      for (const mount of mountsOf(service)) {
        if (mount.host === undefined) expect(compose.volumes, name).toHaveProperty([mount.volume]);
        else expect(existsSync(mount.host), `${name}: ${mount.host}`).toBe(true);
      }
    }
  });

  it('keeps the generated secrets out of git and mounts them read-only, one directory per container', async () => {
    expect((await read(join(DEPLOY, 'compose/.gitignore'))).split('\n')).toContain('secrets/');
    const secretDirs = Object.values(compose.services).flatMap((s) =>
      mountsOf(s).filter((m) => m.host?.startsWith(secrets) === true),
    );
    expect(secretDirs.length).toBe(1 + workers().length);
    expect(new Set(secretDirs.map((m) => m.host)).size).toBe(secretDirs.length);
    for (const mount of secretDirs) {
      expect(mount.readOnly).toBe(true);
      // The CA key signs new certificates: no container gets it.
      const files = await readdir(mount.host!, { recursive: true });
      expect(files.filter((f) => f.endsWith('ca.key'))).toEqual([]);
    }
  });

  it('gives each worker its own data volume', () => {
    const volumes = workers().map(([, s]) => mountsOf(s).find((m) => m.target === '/data')?.volume);
    expect(volumes.every((v) => v !== undefined && v !== '')).toBe(true);
    expect(new Set(volumes).size).toBe(volumes.length);
  });

  it('runs Redis with the durability the coordinator checks for at start', async () => {
    const args = compose.services['redis']?.command ?? [];
    expect(args[0]).toBe('redis-server');
    const { dir, cleanup: removeDir } = await tempDir();
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    // Only where it listens and keeps its files differs from the compose service.
    const child = spawn(
      'redis-server',
      [...args.slice(1), '--port', `${port}`, '--bind', '127.0.0.1', '--dir', dir],
      {
        stdio: 'ignore',
      },
    );
    const exited = once(child, 'exit');
    let failed: Error | undefined;
    child.once('error', (err) => (failed = err));
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      for (let i = 0; i < 100 && failed === undefined && !(await redisAnswers(url)); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(failed, 'redis-server starts').toBeUndefined();
      await redis.connect();
      const found = await checkRedisDurability(redis, quietLogger);
      expect(found).toMatchObject({ appendonly: 'yes', maxmemoryPolicy: 'noeviction', warnings: [] });
    } finally {
      redis.disconnect();
      if (failed === undefined) {
        child.kill('SIGKILL');
        await exited;
      }
      await removeDir();
    }
  });

  it('starts the coordinator from a valid config whose files are all mounted and usable', async () => {
    const service = compose.services['coordinator']!;
    const mounts = mountsOf(service);
    const config = parseConfig(coordinatorConfigSchema, await configOf(service), 'coordinator.yaml');
    expect(config.apiToken).toBe((await read(join(secrets, 'api-token'))).trim());
    const { keyHost } = await checkIdentity(mounts, config);
    expect(keyHost).toBeDefined();
    filesOnHost(
      mounts,
      config.workers.map((w) => w.publicKeyFile),
    );
    // The ledger lives on a named volume, not in the container's layer.
    const data = locate(mounts, config.dataDir).mount;
    expect(data.host === undefined && !data.readOnly).toBe(true);
    expect(service.ports).toEqual(expect.arrayContaining([`${config.grpc.port}:${config.grpc.port}`]));
  });

  it('starts each worker from a valid config that pins the coordinator and is enrolled by it', async () => {
    const coordinator = compose.services['coordinator']!;
    const coordinatorConfig = parseConfig(coordinatorConfigSchema, await configOf(coordinator), 'c.yaml');
    const coordinatorMounts = mountsOf(coordinator);
    const { cert: serverCert, keyHost } = await checkIdentity(coordinatorMounts, coordinatorConfig);
    const signing = await loadSigningKey(keyHost!);
    const verifierKey = formatVerifierKey(
      coordinatorConfig.ledgerName,
      new Uint8Array(Buffer.from(signing.publicJwk.x, 'base64url')),
    );
    for (const [name, service] of workers()) {
      const mounts = mountsOf(service);
      const config = parseConfig(workerConfigSchema, await configOf(service), `${name}: worker.yaml`);
      const { cert } = await checkIdentity(mounts, config);
      expect(cert.subject).toContain(`CN=${config.name}`);
      expect(config.coordinatorKey).toBe(verifierKey);
      // Workers dial the coordinator by its service name, which its certificate must carry.
      const [host, port] = config.coordinator.split(':');
      expect(compose.services).toHaveProperty([host!]);
      expect(serverCert.checkHost(host!)).toBe(host);
      expect(Number(port)).toBe(coordinatorConfig.grpc.port);
      // The coordinator enrolls this worker's public key.
      const enrolled = coordinatorConfig.workers.find((w) => w.name === config.name);
      expect(enrolled, `${config.name} is enrolled`).toBeDefined();
      const [publicHost] = filesOnHost(coordinatorMounts, [enrolled!.publicKeyFile]);
      const own = await loadSigningKey(filesOnHost(mounts, [config.keyFile])[0]!);
      expect((await loadPublicJwk(publicHost!)).x).toBe(own.publicJwk.x);
      const state = locate(mounts, config.stateDir).mount;
      expect(state.host === undefined && !state.readOnly).toBe(true);
    }
  });

  it('ships example configs that hold no secret: init.sh adds apiToken and coordinatorKey', async () => {
    const coordinator = z
      .record(z.string(), z.unknown())
      .parse(parseYaml(await read(join(DEPLOY, 'compose/coordinator.yaml'))));
    expect(coordinator).not.toHaveProperty('apiToken');
    for (const [name] of workers()) {
      const file = join(DEPLOY, `compose/${name.replace(/^worker-/, '')}.yaml`);
      const worker = z.record(z.string(), z.unknown()).parse(parseYaml(await read(file)));
      expect(worker).not.toHaveProperty('coordinatorKey');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Helm

// Structural schemas of the Kubernetes objects the charts render: the fields they use, with the
// API's types and name rules. `.strict()` refuses a misspelt field, as `kubectl --validate=strict` does.
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
const dnsSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
const labels = z.record(
  z.string().regex(/^([a-z0-9.-]{1,253}\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/),
  z.string().regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/),
);
const strings = z.record(z.string(), z.string());
const metadata = z.strictObject({
  name: dnsSubdomain,
  labels: labels.optional(),
  annotations: strings.optional(),
});
const port = z.number().int().min(1).max(65535);
const count = z.number().int().positive().optional();
const probe = z.strictObject({
  httpGet: z.strictObject({ path: z.string().startsWith('/'), port: z.union([port, z.string()]) }),
  periodSeconds: count,
  timeoutSeconds: count,
  failureThreshold: count,
});
const secretKeyRef = z.strictObject({ name: dnsSubdomain, key: z.string().min(1) });
const container = z.strictObject({
  name: dnsLabel,
  image: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        value: z.string().optional(),
        valueFrom: z.strictObject({ secretKeyRef }).optional(),
      }),
    )
    .optional(),
  ports: z
    .array(
      z.strictObject({ name: z.string().max(15), containerPort: port, protocol: z.enum(['TCP', 'UDP']) }),
    )
    .optional(),
  startupProbe: probe.optional(),
  livenessProbe: probe.optional(),
  readinessProbe: probe.optional(),
  resources: z.strictObject({ requests: strings.optional(), limits: strings.optional() }).optional(),
  securityContext: z.strictObject({
    allowPrivilegeEscalation: z.boolean(),
    readOnlyRootFilesystem: z.boolean(),
    capabilities: z.strictObject({ drop: z.array(z.string()) }),
  }),
  volumeMounts: z.array(
    z.strictObject({
      name: dnsLabel,
      mountPath: z.string().startsWith('/'),
      readOnly: z.boolean().optional(),
    }),
  ),
});
const volume = z
  .strictObject({
    name: dnsLabel,
    configMap: z.strictObject({ name: dnsSubdomain }).optional(),
    secret: z
      .strictObject({ secretName: dnsSubdomain, defaultMode: z.number().int().min(0).max(0o777) })
      .optional(),
    persistentVolumeClaim: z
      .strictObject({ claimName: dnsSubdomain, readOnly: z.boolean().optional() })
      .optional(),
    emptyDir: z
      .strictObject({ medium: z.literal('Memory').optional(), sizeLimit: z.string().optional() })
      .optional(),
  })
  .refine((v) => Object.keys(v).length === 2, 'a volume has exactly one source');
const podSpec = z.strictObject({
  automountServiceAccountToken: z.boolean(),
  securityContext: z.looseObject({ runAsNonRoot: z.literal(true), runAsUser: z.number().int().positive() }),
  imagePullSecrets: z.array(z.strictObject({ name: z.string() })).optional(),
  initContainers: z.array(container).optional(),
  containers: z.array(container).min(1),
  volumes: z.array(volume),
  nodeSelector: strings.optional(),
  tolerations: z.array(z.unknown()).optional(),
  affinity: z.unknown().optional(),
});
const k8sObject = z.discriminatedUnion('kind', [
  z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('ConfigMap'),
    metadata,
    data: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/), z.string()),
  }),
  z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('PersistentVolumeClaim'),
    metadata,
    spec: z.strictObject({
      accessModes: z
        .array(z.enum(['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany', 'ReadWriteOncePod']))
        .min(1),
      storageClassName: z.string().optional(),
      resources: z.strictObject({
        requests: z.strictObject({ storage: z.string().regex(/^\d+(Ki|Mi|Gi|Ti)?$/) }),
      }),
    }),
  }),
  z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Service'),
    metadata: metadata.extend({ name: dnsLabel }),
    spec: z.strictObject({
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']),
      selector: labels,
      ports: z
        .array(
          z.strictObject({
            name: dnsLabel,
            port,
            targetPort: z.union([port, z.string()]),
            protocol: z.enum(['TCP', 'UDP']),
          }),
        )
        .min(1),
    }),
  }),
  z.strictObject({
    apiVersion: z.literal('apps/v1'),
    kind: z.literal('Deployment'),
    metadata,
    spec: z.strictObject({
      replicas: z.number().int().min(0),
      strategy: z.strictObject({ type: z.enum(['Recreate', 'RollingUpdate']) }),
      selector: z.strictObject({ matchLabels: labels }),
      template: z.strictObject({
        metadata: z.strictObject({ labels, annotations: strings.optional() }),
        spec: podSpec,
      }),
    }),
  }),
  z.strictObject({
    apiVersion: z.literal('networking.k8s.io/v1'),
    kind: z.literal('NetworkPolicy'),
    metadata,
    spec: z.strictObject({
      podSelector: z.strictObject({ matchLabels: labels }),
      policyTypes: z.array(z.enum(['Ingress', 'Egress'])),
      ingress: z.array(z.unknown()).optional(),
    }),
  }),
]);
type K8sObject = z.output<typeof k8sObject>;
type Deployment = Extract<K8sObject, { kind: 'Deployment' }>;
type Container = z.output<typeof container>;

/** The parts of a chart's ci/test-values.yaml that name things outside the chart. */
const valuesSchema = z.looseObject({
  apiToken: z.object({ existingSecret: z.string(), key: z.string() }).optional(),
  tls: z.object({ existingSecret: z.string() }),
  signingKey: z.object({ existingSecret: z.string(), key: z.string() }),
  input: z.object({ existingClaim: z.string() }).optional(),
});

async function helm(args: string[], home: string): Promise<string> {
  const env = { ...ENV, HELM_CACHE_HOME: home, HELM_CONFIG_HOME: home, HELM_DATA_HOME: home };
  try {
    return (await exec(HELM, args, { env, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `no helm binary (${HELM}): install it with deploy/tools/install-helm.sh, as .ci/run does`,
      );
    }
    throw err;
  }
}

const subset = (small: Record<string, string>, big: Record<string, string> | undefined): boolean =>
  Object.entries(small).every(([k, v]) => big?.[k] === v);

const CHARTS = [
  [
    'silo-coordinator',
    { role: 'coordinator', schema: coordinatorConfigSchema, configFile: 'coordinator.yaml' },
  ],
  ['silo-worker', { role: 'worker', schema: workerConfigSchema, configFile: 'worker.yaml' }],
] as const;

describe.each(CHARTS)('deploy/helm/%s, rendered by helm template', (chart, { role, schema, configFile }) => {
  const dir = join(DEPLOY, 'helm', chart);
  const valuesFile = join(dir, 'ci/test-values.yaml');
  let home: string;
  let cleanup: () => Promise<void>;
  let objects: K8sObject[];
  let deployment: Deployment;
  let values: z.output<typeof valuesSchema>;

  beforeAll(async () => {
    ({ dir: home, cleanup } = await tempDir());
    values = valuesSchema.parse(parseYaml(await read(valuesFile)));
    const rendered = await helm(['template', 'silo', dir, '-f', valuesFile], home);
    objects = parseAllDocuments(rendered)
      .map((doc) => doc.toJS() as unknown)
      .filter((doc) => doc !== null)
      .map((doc) => k8sObject.parse(doc));
    const deployments = objects.filter((o): o is Deployment => o.kind === 'Deployment');
    expect(deployments).toHaveLength(1);
    deployment = deployments[0]!;
  }, 60_000);
  afterAll(async () => {
    await cleanup?.();
  });

  it('passes helm lint --strict', async () => {
    expect(await helm(['lint', '--strict', dir, '-f', valuesFile], home)).toMatch(/0 chart\(s\) failed/);
  });

  it('refuses to render without the Secrets it needs, naming the value to set', async () => {
    const refused = helm(['template', 'silo', dir], home);
    await expect(refused).rejects.toThrow(/(apiToken|tls|signingKey)\.existingSecret|config\.data/);
  });

  it('renders uniquely named objects whose references all resolve', () => {
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    const named = (kind: K8sObject['kind']): string[] =>
      objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    const secrets = [
      values.apiToken?.existingSecret,
      values.tls.existingSecret,
      values.signingKey.existingSecret,
    ];
    const pod = deployment.spec.template;
    expect(subset(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(deployment.spec.replicas).toBe(1);
    for (const v of pod.spec.volumes) {
      if (v.configMap !== undefined) expect(named('ConfigMap')).toContain(v.configMap.name);
      if (v.secret !== undefined) expect(secrets).toContain(v.secret.secretName);
      if (v.persistentVolumeClaim !== undefined) {
        expect([...named('PersistentVolumeClaim'), values.input?.existingClaim]).toContain(
          v.persistentVolumeClaim.claimName,
        );
      }
    }
    const volumeNames = pod.spec.volumes.map((v) => v.name);
    for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
      for (const m of c.volumeMounts) expect(volumeNames, `${c.name} mounts ${m.name}`).toContain(m.name);
      for (const e of c.env ?? []) if (e.valueFrom) expect(secrets).toContain(e.valueFrom.secretKeyRef.name);
      expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    }
    for (const claim of objects.filter((o) => o.kind === 'PersistentVolumeClaim')) {
      expect(claim.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    }
    for (const policy of objects.filter((o) => o.kind === 'NetworkPolicy')) {
      expect(subset(policy.spec.podSelector.matchLabels, pod.metadata.labels)).toBe(true);
    }
  });

  if (chart === 'silo-coordinator') {
    it('serves gRPC and HTTP through a Service and probes /healthz on the HTTP port', () => {
      const main = deployment.spec.template.spec.containers[0]!;
      const ports = new Map((main.ports ?? []).map((p) => [p.name, p.containerPort]));
      const service = objects.find((o) => o.kind === 'Service');
      if (service?.kind !== 'Service') throw new Error('no Service');
      expect(subset(service.spec.selector, deployment.spec.template.metadata.labels)).toBe(true);
      expect(service.spec.ports.map((p) => p.targetPort).sort()).toEqual(['grpc', 'http']);
      for (const p of service.spec.ports) expect(ports.has(`${p.targetPort}`)).toBe(true);
      for (const probe of [main.startupProbe, main.livenessProbe, main.readinessProbe]) {
        expect(probe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      }
    });
  }

  it('prepares a config that validates and key files silo accepts, as the init container runs it', async () => {
    const { dir: root, cleanup: removeRoot } = await tempDir();
    try {
      const pod = deployment.spec.template.spec;
      const token = 'an-admin-bootstrap-secret-for-the-test';
      await fillVolumes(pod.volumes, objects, values, role, root);
      const init = pod.initContainers?.[0];
      expect(init?.command).toEqual(['sh', '-ec']);
      const script = onHost(init!, root, init!.args?.[0] ?? '');
      // Environment from Secrets, as the kubelet sets it (a token file usually ends in a newline).
      const secretValues: Record<string, Record<string, string>> = {};
      if (values.apiToken)
        secretValues[values.apiToken.existingSecret] = { [values.apiToken.key]: `${token}\n` };
      const env: Record<string, string> = {};
      for (const e of init!.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        const value = ref === undefined ? e.value : secretValues[ref.name]?.[ref.key];
        if (value === undefined) throw new Error(`${e.name}: no value from ${JSON.stringify(ref)}`);
        env[e.name] = value;
      }
      // Twice: a restarted pod runs it again over what the first run left.
      for (let i = 0; i < 2; i++) await exec('sh', ['-ec', script], { env: { ...ENV, ...env } });

      const main = pod.containers[0]!;
      const mounts: Mount[] = main.volumeMounts.map((m) => ({
        target: m.mountPath,
        host: join(root, m.name),
        volume: m.name,
        readOnly: m.readOnly === true,
      }));
      const at = main.args?.indexOf('--config') ?? -1;
      const [configHost] = filesOnHost(mounts, [main.args?.[at + 1] ?? '']);
      expect(configHost?.endsWith(configFile)).toBe(true);
      const config: z.output<typeof schema> = parseConfig(schema, await read(configHost!), configFile);
      const { keyHost } = await checkIdentity(mounts, config);
      expect(keyHost).toBeDefined();
      if ('apiToken' in config) {
        expect(config.apiToken).toBe(token);
        filesOnHost(
          mounts,
          config.workers.map((w) => w.publicKeyFile),
        );
      }
      // What the process writes goes to the persistent volume.
      const written = 'dataDir' in config ? config.dataDir : config.stateDir;
      const data = locate(mounts, written).mount;
      expect(pod.volumes.find((v) => v.name === data.volume)?.persistentVolumeClaim).toBeDefined();
      expect(data.readOnly).toBe(false);
      if ('data' in config && config.data.kind === 'csv')
        expect(locate(mounts, config.data.path).mount.volume).toBe('input');
    } finally {
      await removeRoot();
    }
  }, 60_000);
});

/** The init container's script with each mount path replaced by that volume's directory under `root`. */
function onHost(init: Container, root: string, script: string): string {
  let out = script;
  for (const m of [...init.volumeMounts].sort((a, b) => b.mountPath.length - a.mountPath.length)) {
    out = out.replaceAll(m.mountPath, join(root, m.name));
  }
  // Every path it touches is on a volume (and nothing outside `root` is touched here).
  expect(out).not.toMatch(/\/(etc|run)\/silo\b/);
  return out;
}

/**
 * Each volume of the pod as a directory under `root`, filled as the kubelet would: ConfigMaps from
 * the rendered objects, the Secrets the test values name from a fresh PKI and key (mode 0440, as
 * `defaultMode` and `fsGroup` leave them), everything else empty.
 */
async function fillVolumes(
  volumes: Deployment['spec']['template']['spec']['volumes'],
  objects: K8sObject[],
  values: z.output<typeof valuesSchema>,
  role: 'coordinator' | 'worker',
  root: string,
): Promise<void> {
  const pki = await initPki({
    dir: join(root, '.pki'),
    coordinatorHosts: ['coordinator.example.org'],
    workers: ['w'],
  });
  const leaf = role === 'coordinator' ? pki.coordinator : pki.workers['w']!;
  const key = await writeKeyPair(join(root, '.key.json'), await generateKeyPair());
  const secretFiles: Record<string, Record<string, string>> = {
    [values.tls.existingSecret]: { 'ca.crt': pki.ca, 'tls.crt': leaf.cert, 'tls.key': leaf.key },
    [values.signingKey.existingSecret]: { [values.signingKey.key]: key.privatePath },
  };
  for (const v of volumes) {
    const dir = join(root, v.name);
    await mkdir(dir, { recursive: true });
    if (v.configMap !== undefined) {
      const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === v.configMap!.name);
      if (map?.kind !== 'ConfigMap') throw new Error(`no ConfigMap ${v.configMap.name}`);
      for (const [name, text] of Object.entries(map.data)) await writeFile(join(dir, name), text);
    }
    if (v.secret !== undefined) {
      const files = secretFiles[v.secret.secretName];
      if (files === undefined) throw new Error(`Secret ${v.secret.secretName} is not named in the values`);
      for (const [name, from] of Object.entries(files)) {
        await writeFile(join(dir, name), await readFile(from), { mode: 0o440 });
      }
    }
  }
}
