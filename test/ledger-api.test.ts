import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toSiloError } from '@silo/common';
import { Coordinator } from '@silo/coordinator';
import {
  ENTRIES_FILE,
  decodeEntry,
  leafHash,
  parseVerifierKey,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
  verifyLedgerDir,
} from '@silo/ledger';
import { generateKeyPair } from '@silo/signing';
import { sha256Hex } from '@silo/tensors';
import { mirrorLedger } from '../packages/cli/src/ledger-mirror.js';
import { cleanRedis, coordinatorConfig, quietLogger, tempDir, uniquePrefix } from './helpers.js';

const TOKEN = 'ledger-api-token-0123456789';
const ORIGIN = 'silo-ledger-api-test';

describe("the auditor's ledger API and mirror", () => {
  const prefix = uniquePrefix();
  let coordinator: Coordinator;
  let dir: string;
  let cleanupDir: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup: cleanupDir } = await tempDir());
    coordinator = await Coordinator.start({
      config: coordinatorConfig({
        prefix,
        dataDir: join(dir, 'coordinator'),
        insecure: true,
        apiToken: TOKEN,
        ledgerName: ORIGIN,
      }),
      logger: quietLogger,
    });
  });

  afterAll(async () => {
    await coordinator?.close();
    await cleanRedis(prefix);
    await cleanupDir?.();
  });

  const get = async (path: string) => {
    const response = await fetch(`${coordinator.httpUrl}${path}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const target = () => ({ url: coordinator.httpUrl, token: TOKEN });

  /** Enrolls a key, creates and cancels a run: four entries, and a checkpoint over them. */
  async function someActivity(): Promise<void> {
    const { publicJwk } = await generateKeyPair();
    await coordinator.enroll(publicJwk, `w-${sha256Hex(Buffer.from(publicJwk.x)).slice(0, 6)}`, 'test');
    const run = await coordinator.createRun({ name: 'ledger', model: 'mlp', rounds: 1, minWorkers: 1 });
    await coordinator.cancelRun(run.id);
    await coordinator.ledger.drain();
  }

  it('serves checkpoints, entries and proofs that verify against the verifier key', async () => {
    await someActivity();
    const info = (await get('/v1/ledger')).body as {
      size: number;
      verifierKey: string;
      checkpoint: { size: number; note: string };
    };
    expect(info.verifierKey).toBe(coordinator.key.verifierKey);
    expect(info.size).toBe(3);
    const key = parseVerifierKey(info.verifierKey);
    const cp = verifyCheckpoint(info.checkpoint.note, key, ORIGIN);
    expect(cp.size).toBe(3);

    const { entries } = (await get('/v1/ledger/entries?start=0')).body as { entries: string[] };
    expect(entries.map((e, i) => decodeEntry(Buffer.from(e, 'base64'), i).type)).toEqual([
      'key-enrolled',
      'run',
      'run-ended',
    ]);
    const proof = (await get('/v1/ledger/proof/inclusion?index=1')).body as { size: number; proof: string[] };
    expect(proof.size).toBe(3);
    verifyInclusion(
      leafHash(Buffer.from(entries[1]!, 'base64')),
      1,
      3,
      proof.proof.map((p) => Buffer.from(p, 'base64')),
      cp.root,
    );

    await someActivity();
    const later = (await get('/v1/ledger')).body as { checkpoint: { note: string } };
    const next = verifyCheckpoint(later.checkpoint.note, key, ORIGIN);
    const consistency = (await get(`/v1/ledger/proof/consistency?from=3&to=${next.size}`)).body as {
      proof: string[];
    };
    verifyConsistency(
      3,
      next.size,
      consistency.proof.map((p) => Buffer.from(p, 'base64')),
      cp.root,
      next.root,
    );
    const history = (await get('/v1/ledger/checkpoints')).body as { checkpoints: { size: number }[] };
    expect(history.checkpoints.map((c) => c.size)).toEqual([3, 6]);
  });

  it('refuses bad queries with a code and a reason', async () => {
    const bad = await get('/v1/ledger/entries?start=-1');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'ERR_BAD_INPUT' } });
    expect((await get('/v1/ledger/proof/inclusion?index=999')).status).toBe(400);
    expect((await get('/v1/ledger/proof/consistency?from=5&to=2')).status).toBe(400);
    expect((await get(`/v1/blobs/${'0'.repeat(64)}`)).status).toBe(404);
    expect((await get('/v1/blobs/not-a-digest')).status).toBe(400);
  });

  it('mirrors the ledger incrementally, with its blobs, and refuses a key it was not pinned to', async () => {
    const mirror = join(dir, 'mirror');
    const first = await mirrorLedger(target(), mirror);
    expect(first.from).toBe(0);
    expect(first.to).toBe(coordinator.ledger.store.size);
    expect(first.blobsFetched).toBeGreaterThan(0);
    await someActivity();
    const second = await mirrorLedger(target(), mirror);
    expect(second.from).toBe(first.to);
    expect(second.to).toBe(coordinator.ledger.store.size);
    const audit = await verifyLedgerDir(mirror, coordinator.key.verifierKey, ORIGIN);
    expect(audit.problems).toEqual([]);
    expect(audit.verifiedSize).toBe(second.to);
    // Each run's initial model came along, byte for byte.
    for (let i = 0; i < second.to; i++) {
      const entry = decodeEntry(await coordinator.ledger.store.entry(i), i);
      if (entry.type !== 'run') continue;
      expect(sha256Hex(await readFile(join(mirror, 'blobs', entry.initialCheckpoint)))).toBe(
        entry.initialCheckpoint,
      );
    }

    const other = await generateKeyPair();
    const otherKey = `${ORIGIN}+00000000+${Buffer.concat([Buffer.from([1]), Buffer.from(other.publicJwk.x, 'base64url')]).toString('base64')}`;
    await expect(
      mirrorLedger(target(), join(dir, 'mirror-2'), { verifierKey: otherKey }),
    ).rejects.toMatchObject({
      code: 'ERR_BAD_SIGNATURE',
    });
  });

  it('refuses to extend a mirror whose copy no longer matches its signed checkpoints', async () => {
    const mirror = join(dir, 'mirror');
    // Rewrite one byte-range of the mirror's copy of an entry.
    const path = join(mirror, ENTRIES_FILE);
    const bytes = await readFile(path);
    const at = bytes.indexOf(Buffer.from('"name":"ledger"'));
    bytes.write('"name":"LEDGER"', at, 'utf8');
    await writeFile(path, bytes);
    await someActivity();
    const code = await mirrorLedger(target(), mirror).then(
      () => 'mirrored',
      (err: unknown) => toSiloError(err).code,
    );
    expect(code).toBe('ERR_LEDGER_CORRUPT');
  });
});
