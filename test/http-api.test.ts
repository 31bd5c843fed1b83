import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Coordinator } from '@silo/coordinator';
import { generateKeyPair } from '@silo/signing';
import { sha256Hex } from '@silo/tensors';
import { cleanRedis, coordinatorConfig, nextEvent, quietLogger, tempDir, uniquePrefix } from './helpers.js';

const TOKEN = 'http-test-token-0123456789';

describe('the coordinator HTTP API', () => {
  const prefix = uniquePrefix();
  let coordinator: Coordinator;
  let cleanupDir: () => Promise<void>;
  let configFor: () => Parameters<typeof Coordinator.start>[0]['config'];

  beforeAll(async () => {
    const { dir, cleanup } = await tempDir();
    cleanupDir = cleanup;
    configFor = () =>
      coordinatorConfig({ prefix, dataDir: dir, insecure: true, apiToken: TOKEN, ledgerName: 'silo-test' });
    coordinator = await Coordinator.start({ config: configFor(), logger: quietLogger });
  });

  afterAll(async () => {
    await coordinator?.close();
    await cleanRedis(prefix);
    await cleanupDir?.();
  });

  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(`${coordinator.httpUrl}${path}`, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('refuses requests without the right bearer token', async () => {
    expect((await call('GET', '/v1/runs', undefined, null)).status).toBe(401);
    const wrong = await call('GET', '/v1/runs', undefined, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: { code: 'ERR_UNAUTHENTICATED' } });
  });

  it('names the bad field of a run config', async () => {
    const bad = await call('POST', '/v1/runs', { model: 'mlp', rounds: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'ERR_BAD_CONFIG' } });
    expect(JSON.stringify(bad.body)).toContain('rounds');
  });

  it('creates, lists, inspects, downloads and cancels a run', async () => {
    const created = await call('POST', '/v1/runs', { name: 'api', model: 'mlp', rounds: 3, minWorkers: 2 });
    expect(created.status).toBe(201);
    const id = String(created.body['id']);
    expect(created.body).toMatchObject({ status: 'running', round: 1, rounds: 3, history: [] });

    const list = await call('GET', '/v1/runs');
    expect((list.body['runs'] as { id: string }[]).map((r) => r.id)).toContain(id);

    const model = await call('GET', `/v1/runs/${id}/model`);
    expect(model.body).toMatchObject({ model: 'mlp', digest: created.body['checkpoint'] });
    const weights = await fetch(`${coordinator.httpUrl}/v1/runs/${id}/weights`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const bytes = new Uint8Array(await weights.arrayBuffer());
    expect(bytes.byteLength).toBe(199_210 * 4);
    expect(sha256Hex(bytes)).toBe(created.body['checkpoint']);

    expect((await call('POST', `/v1/runs/${id}/cancel`)).body).toMatchObject({ status: 'cancelled' });
    expect((await call('POST', `/v1/runs/${id}/cancel`)).status).toBe(409);
    expect((await call('GET', '/v1/runs/rdoesnotexist')).status).toBe(404);
  });

  it('enrolls a worker key that every coordinator process sharing the prefix then accepts', async () => {
    const other = await Coordinator.start({ config: configFor(), logger: quietLogger });
    try {
      const { publicJwk, keyId } = await generateKeyPair();
      const seen = nextEvent(other, 'enrollment-changed');
      const enrolled = await call('POST', '/v1/workers', { name: 'hospital-a', org: 'A', publicJwk });
      expect(enrolled.status).toBe(201);
      expect(enrolled.body).toMatchObject({ keyId, name: 'hospital-a' });
      await seen;
      expect(other.enrollment.activeKey(keyId)).toBeDefined();

      const bad = await call('POST', '/v1/workers', {
        name: 'x',
        publicJwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
      });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: { code: 'ERR_BAD_INPUT' } });
    } finally {
      await other.close();
    }
  });
});
