import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_AUDIENCE, Coordinator, mintControlToken, type Role } from '@silo/coordinator';
import { generateKeyPair, signingKeyFromJwk } from '@silo/signing';
import { SILO_BIN, cleanRedis, coordinatorConfig, quietLogger, tempDir, uniquePrefix } from './helpers.js';

const run = promisify(execFile);
const BOOTSTRAP = 'tokens-test-bootstrap-0123456789';
const LEDGER_NAME = 'silo-tokens-test';
const HOUR_MS = 3_600_000;

/** Who calls: the bootstrap secret, or a token of a role. */
type Caller = 'bootstrap' | Role;
const CALLERS: readonly Caller[] = ['bootstrap', 'admin', 'model-team', 'auditor'];

interface RouteRequest {
  path: string;
  body?: unknown;
}

/** One route of the control plane and the roles expected to call it; fresh inputs per call. */
interface RouteCase {
  method: 'GET' | 'POST';
  path: string;
  roles: readonly Role[];
  request: () => RouteRequest | Promise<RouteRequest>;
}

describe('role tokens on the control plane', () => {
  const prefix = uniquePrefix();
  let coordinator: Coordinator;
  let dir: string;
  let cleanupDir: () => Promise<void>;
  const tokens = new Map<Caller, string>();

  beforeAll(async () => {
    ({ dir, cleanup: cleanupDir } = await tempDir());
    coordinator = await Coordinator.start({
      config: coordinatorConfig({
        // The federation plane plays no part here; its TLS is tested in test/mtls*.
        insecure: true,
        prefix,
        dataDir: dir,
        apiToken: BOOTSTRAP,
        ledgerName: LEDGER_NAME,
      }),
      logger: quietLogger,
    });
    tokens.set('bootstrap', BOOTSTRAP);
    for (const role of ['admin', 'model-team', 'auditor'] as const) {
      const issued = await call('POST', '/v1/tokens', BOOTSTRAP, {
        role,
        subject: `${role}-user`,
        ttl: '1h',
      });
      expect(issued.status).toBe(201);
      expect(issued.body).toMatchObject({ role, subject: `${role}-user` });
      tokens.set(role, String(issued.body['token']));
    }
  });

  afterAll(async () => {
    await coordinator?.close();
    await cleanRedis(prefix);
    await cleanupDir?.();
  });

  async function call(method: string, path: string, token: string | null, body?: unknown) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(`${coordinator.httpUrl}${path}`, init);
    const text = await response.text();
    const json: unknown = response.headers.get('content-type') === 'application/json' ? JSON.parse(text) : {};
    return { status: response.status, body: json as Record<string, unknown> };
  }

  const runConfig = { name: 'tokens', model: 'mlp', rounds: 1, minWorkers: 1 };
  const freshRun = async () => (await coordinator.createRun(runConfig)).id;
  const freshJwk = async () => (await generateKeyPair()).publicJwk;

  const ROUTES: RouteCase[] = [
    {
      method: 'POST',
      path: '/v1/runs',
      roles: ['admin', 'model-team'],
      request: () => ({ path: '/v1/runs', body: runConfig }),
    },
    {
      method: 'GET',
      path: '/v1/runs',
      roles: ['admin', 'model-team', 'auditor'],
      request: () => ({ path: '/v1/runs' }),
    },
    {
      method: 'GET',
      path: '/v1/runs/:id',
      roles: ['admin', 'model-team', 'auditor'],
      request: async () => ({ path: `/v1/runs/${await freshRun()}` }),
    },
    {
      method: 'POST',
      path: '/v1/runs/:id/cancel',
      roles: ['admin', 'model-team'],
      request: async () => ({ path: `/v1/runs/${await freshRun()}/cancel` }),
    },
    {
      method: 'GET',
      path: '/v1/runs/:id/model',
      roles: ['admin', 'model-team'],
      request: async () => ({ path: `/v1/runs/${await freshRun()}/model` }),
    },
    {
      method: 'GET',
      path: '/v1/runs/:id/weights',
      roles: ['admin', 'model-team'],
      request: async () => ({ path: `/v1/runs/${await freshRun()}/weights` }),
    },
    {
      method: 'GET',
      path: '/v1/workers',
      roles: ['admin', 'model-team'],
      request: () => ({ path: '/v1/workers' }),
    },
    {
      method: 'POST',
      path: '/v1/workers',
      roles: ['admin'],
      request: async () => ({
        path: '/v1/workers',
        body: { name: 'w', org: 'o', publicJwk: await freshJwk() },
      }),
    },
    {
      method: 'POST',
      path: '/v1/workers/:keyId/revoke',
      roles: ['admin'],
      request: async () => {
        const enrolled = await coordinator.enroll(await freshJwk(), 'to-revoke', 'o');
        return { path: `/v1/workers/${enrolled.keyId}/revoke` };
      },
    },
    {
      method: 'POST',
      path: '/v1/tokens',
      roles: ['admin'],
      request: () => ({
        path: '/v1/tokens',
        body: { role: 'admin', subject: 'escalation', ttl: '1h' },
      }),
    },
    {
      method: 'GET',
      path: '/v1/ledger',
      roles: ['admin', 'auditor'],
      request: () => ({ path: '/v1/ledger' }),
    },
    {
      method: 'GET',
      path: '/v1/ledger/checkpoints',
      roles: ['admin', 'auditor'],
      request: () => ({ path: '/v1/ledger/checkpoints' }),
    },
    {
      method: 'GET',
      path: '/v1/ledger/entries',
      roles: ['admin', 'auditor'],
      request: () => ({ path: '/v1/ledger/entries?start=0' }),
    },
    {
      method: 'GET',
      path: '/v1/ledger/proof/inclusion',
      roles: ['admin', 'auditor'],
      request: async () => {
        await freshRun();
        await coordinator.ledger.drain();
        return { path: '/v1/ledger/proof/inclusion?index=0' };
      },
    },
    {
      method: 'GET',
      path: '/v1/ledger/proof/consistency',
      roles: ['admin', 'auditor'],
      request: async () => {
        await freshRun();
        await coordinator.ledger.drain();
        return { path: '/v1/ledger/proof/consistency?from=1' };
      },
    },
    {
      method: 'GET',
      path: '/v1/blobs/:digest',
      roles: ['admin', 'auditor'],
      request: async () => ({ path: `/v1/blobs/${(await coordinator.createRun(runConfig)).checkpoint}` }),
    },
  ];

  const cases = ROUTES.flatMap((route) =>
    CALLERS.map((caller) => ({
      route,
      caller,
      allowed: route.roles.includes(caller === 'bootstrap' ? 'admin' : caller),
    })),
  );

  it.each(cases)(
    '$route.method $route.path as $caller: allowed $allowed',
    async ({ route, caller, allowed }) => {
      const { path, body } = await route.request();
      const response = await call(route.method, path, tokens.get(caller) ?? null, body);
      if (allowed) {
        expect(response.status, JSON.stringify(response.body)).toBeGreaterThanOrEqual(200);
        expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
        return;
      }
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ error: { code: 'ERR_FORBIDDEN' } });
      const message = String((response.body['error'] as { message: string }).message);
      expect(message).toContain(`role '${caller}'`);
      for (const role of route.roles) expect(message).toContain(role);
    },
  );

  it('refuses before the handler runs: a model-team enrollment leaves no key behind', async () => {
    const publicJwk = await freshJwk();
    const refused = await call('POST', '/v1/workers', tokens.get('model-team')!, { name: 'x', publicJwk });
    expect(refused.status).toBe(403);
    expect(coordinator.enrollment.list().some((w) => w.publicJwk.x === publicJwk.x)).toBe(false);
  });

  it('keeps /healthz open and answers 401 before 404 for everything else', async () => {
    expect((await call('GET', '/healthz', null)).status).toBe(200);
    const missing = await call('GET', '/v1/runs', null);
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({
      error: { code: 'ERR_UNAUTHENTICATED', message: 'missing bearer token' },
    });
    expect((await call('GET', '/v1/nothing-here', null)).status).toBe(401);
    expect((await call('GET', '/v1/nothing-here', tokens.get('auditor')!)).status).toBe(404);
  });

  describe('refuses tokens it should not trust', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const claims = () => ({
      sub: 'mallory',
      role: 'admin',
      iat: now(),
      exp: now() + 3600,
      jti: 'forged',
      iss: LEDGER_NAME,
      aud: CONTROL_PLANE_AUDIENCE,
    });
    const refused = async (token: string) => {
      const response = await call('GET', '/v1/runs', token);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: { code: 'ERR_UNAUTHENTICATED' } });
      return String((response.body['error'] as { message: string }).message);
    };

    it('an expired token', async () => {
      const { token } = await mintControlToken(coordinator.key.signing, {
        issuer: LEDGER_NAME,
        role: 'admin',
        subject: 'late',
        ttlMs: HOUR_MS,
        nowMs: Date.now() - 2 * HOUR_MS,
      });
      expect(await refused(token)).toBe('token expired');
    });

    it('a token signed by another Ed25519 key', async () => {
      const other = await signingKeyFromJwk((await generateKeyPair()).privateJwk);
      const { token } = await mintControlToken(other, {
        issuer: LEDGER_NAME,
        role: 'admin',
        subject: 'mallory',
        ttlMs: HOUR_MS,
      });
      expect(await refused(token)).toMatch(/signature does not verify/);
    });

    it('a token of another issuer, signed by this coordinator', async () => {
      const { token } = await mintControlToken(coordinator.key.signing, {
        issuer: 'another-ledger',
        role: 'admin',
        subject: 'mallory',
        ttlMs: HOUR_MS,
      });
      expect(await refused(token)).toMatch(/claim 'iss'/);
    });

    it("alg none, and HS256 keyed with the coordinator's public key bytes", async () => {
      expect(await refused(new UnsecuredJWT(claims()).encode())).toMatch(/algorithm is not allowed/);
      const hs256 = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', typ: 'silo-control+jwt' })
        .sign(Buffer.from(coordinator.key.signing.publicJwk.x, 'base64url'));
      expect(await refused(hs256)).toMatch(/algorithm is not allowed/);
    });

    it('garbage', async () => {
      expect(await refused('not-a-token')).toMatch(/invalid bearer token/);
      // Header {"alg":"EdDSA"}, payload {}, a signature of three bytes.
      expect(await refused('eyJhbGciOiJFZERTQSJ9.e30.AAAA')).toMatch(/signature does not verify/);
      expect(await refused('a.b.c')).toMatch(/malformed token/);
    });
  });

  describe('silo tokens create', () => {
    const silo = (args: string[]) => run(process.execPath, [SILO_BIN, 'tokens', 'create', ...args]);
    /** Runs `silo tokens create` expecting it to fail; what it printed and its exit code. */
    const siloFails = (args: string[]) =>
      silo(args).then(
        ({ stdout }) => {
          throw new Error(`silo tokens create succeeded: ${stdout}`);
        },
        (err: { code: number; stdout: string; stderr: string }) => err,
      );

    it('signs offline with --key-file a token the coordinator accepts for its role only', async () => {
      const { stdout, stderr } = await silo([
        '--role',
        'auditor',
        '--subject',
        'cli-auditor',
        '--ttl',
        '30m',
        '--key-file',
        join(dir, 'coordinator-key.json'),
        '--ledger-name',
        LEDGER_NAME,
      ]);
      expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      expect(stderr).toContain('auditor token for cli-auditor');
      const token = stdout.trim();
      expect((await call('GET', '/v1/ledger', token)).status).toBe(200);
      expect((await call('GET', '/v1/runs', token)).status).toBe(200);
      const forbidden = await call('POST', '/v1/runs', token, runConfig);
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toMatchObject({ error: { code: 'ERR_FORBIDDEN' } });
    });

    it('asks the API with an admin credential when there is no key file', async () => {
      const { stdout } = await silo([
        '--role',
        'model-team',
        '--subject',
        'cli-team',
        '--coordinator',
        coordinator.httpUrl,
        '--token',
        BOOTSTRAP,
      ]);
      const token = stdout.trim();
      expect((await call('POST', '/v1/runs', token, runConfig)).status).toBe(201);
      expect((await call('GET', '/v1/ledger', token)).status).toBe(403);
      const refused = await siloFails([
        '--role',
        'admin',
        '--subject',
        'escalate',
        '--coordinator',
        coordinator.httpUrl,
        '--token',
        token,
      ]);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain('ERR_FORBIDDEN');
    });

    it('refuses a ttl past the cap with a clear error and prints no token', async () => {
      const result = await siloFails([
        '--role',
        'auditor',
        '--subject',
        'x',
        '--ttl',
        '400d',
        '--key-file',
        join(dir, 'coordinator-key.json'),
      ]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('ERR_BAD_INPUT: ttl 400d is longer than the maximum of 366d');
    });
  });
});
