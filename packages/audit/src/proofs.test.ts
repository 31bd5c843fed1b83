import { generateKeyPairSync } from 'node:crypto';
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHECKPOINTS_FILE,
  ENTRIES_FILE,
  ed25519PublicKeyRaw,
  formatVerifierKey,
  leafHash,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
  parseVerifierKey,
} from '@silo/ledger';
import {
  FIXTURE_ORIGIN,
  frameRecord,
  readPayloads,
  writeLedgerFixture,
  type LedgerFixture,
} from './ledger.fixture.js';
import { readLedgerView } from './ledger-view.js';
import { proveConsistency, proveInclusion } from './proofs.js';

const b64 = (text: string): Buffer => Buffer.from(text, 'base64');
let root: string;
let fx: LedgerFixture;
let copies = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'silo-proofs-'));
  fx = await writeLedgerFixture(join(root, 'fixture'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function copy(): Promise<string> {
  const dir = join(root, `copy-${copies++}`);
  await cp(fx.dir, dir, { recursive: true });
  return dir;
}

describe('readLedgerView', () => {
  it('verifies checkpoint signatures when given the key, and only parses them otherwise', async () => {
    const verified = await readLedgerView(fx.dir, { coordinatorKey: fx.verifierKey });
    expect(verified.tree.size).toBe(fx.size);
    expect(verified.checkpoints.map((c) => [c.checkpoint.size, c.signature])).toEqual([
      [9, 'verified'],
      [13, 'verified'],
      [17, 'verified'],
    ]);
    const unchecked = await readLedgerView(fx.dir);
    expect(unchecked.checkpoints.map((c) => c.signature)).toEqual(['unchecked', 'unchecked', 'unchecked']);
  });

  it('refuses checkpoints signed by another key', async () => {
    const other = formatVerifierKey(
      FIXTURE_ORIGIN,
      ed25519PublicKeyRaw(generateKeyPairSync('ed25519').publicKey),
    );
    await expect(readLedgerView(fx.dir, { coordinatorKey: other })).rejects.toMatchObject({
      code: 'ERR_BAD_SIGNATURE',
      message: expect.stringMatching(/^checkpoint 0: /) as unknown,
    });
  });

  it('reads a torn ledger without repairing it', async () => {
    const dir = await copy();
    await appendFile(join(dir, ENTRIES_FILE), Buffer.from([0, 0, 1]));
    const before = await readFile(join(dir, ENTRIES_FILE));
    const view = await readLedgerView(dir);
    expect(view.tree.size).toBe(fx.size);
    expect(view.tail).toMatchObject({ bytes: 3, reason: 'partial length prefix' });
    expect(await readFile(join(dir, ENTRIES_FILE))).toEqual(before);
  });
});

describe('proveInclusion', () => {
  it('proves every entry against the latest signed checkpoint, checkably by a third party', async () => {
    const view = await readLedgerView(fx.dir, { coordinatorKey: fx.verifierKey });
    const payloads = await readPayloads(join(fx.dir, ENTRIES_FILE));
    for (let i = 0; i < fx.size; i++) {
      const proof = proveInclusion(view, i);
      expect(proof.tree.checkpoint?.index).toBe(2);
      // What a third party does: verify the note, then the proof from the entry bytes.
      const note = proof.tree.checkpoint?.note ?? '';
      const cp = verifyCheckpoint(note, parseVerifierKey(fx.verifierKey), FIXTURE_ORIGIN);
      const leaf = leafHash(payloads[i] as Buffer);
      expect(Buffer.from(leaf).toString('base64')).toBe(proof.leafHash);
      verifyInclusion(leaf, i, cp.size, proof.proof.map(b64), cp.root);
    }
  });

  it('proves to an earlier checkpoint, or to a size no checkpoint has', async () => {
    const view = await readLedgerView(fx.dir);
    expect(proveInclusion(view, 3, 9).tree.checkpoint?.index).toBe(0);
    const local = proveInclusion(view, 3, 5);
    expect(local.tree.checkpoint).toBeUndefined();
    expect(local.proof).toHaveLength(3);
  });

  it('fails when the entries no longer hash to the checkpoint root', async () => {
    const dir = await copy();
    const payloads = await readPayloads(join(dir, ENTRIES_FILE));
    payloads[1] = Buffer.from(payloads[1]?.toString().replace('hospital-1', 'hospital-X') ?? '');
    await writeFile(join(dir, ENTRIES_FILE), Buffer.concat(payloads.map(frameRecord)));
    const view = await readLedgerView(dir);
    expect(() => proveInclusion(view, 5)).toThrow(expect.objectContaining({ code: 'ERR_DIGEST_MISMATCH' }));
  });

  it('fails when a checkpoint covers entries that are gone', async () => {
    const dir = await copy();
    const payloads = await readPayloads(join(dir, ENTRIES_FILE));
    await writeFile(join(dir, ENTRIES_FILE), Buffer.concat(payloads.slice(0, 15).map(frameRecord)));
    const view = await readLedgerView(dir);
    expect(() => proveInclusion(view, 5)).toThrow(expect.objectContaining({ code: 'ERR_LEDGER_CORRUPT' }));
  });

  it('refuses impossible arguments', async () => {
    const view = await readLedgerView(fx.dir);
    expect(() => proveInclusion(view, 17)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() => proveInclusion(view, 0, 18)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    const dir = await copy();
    await rm(join(dir, CHECKPOINTS_FILE));
    const bare = await readLedgerView(dir);
    expect(() => proveInclusion(bare, 0)).toThrow(expect.objectContaining({ code: 'ERR_NOT_FOUND' }));
  });
});

describe('proveConsistency', () => {
  it('proves each checkpoint extends the one before', async () => {
    const view = await readLedgerView(fx.dir, { coordinatorKey: fx.verifierKey });
    for (const [from, to] of [
      [9, 13],
      [13, 17],
      [9, 17],
    ] as const) {
      const proof = proveConsistency(view, from, to);
      expect([proof.old.checkpoint?.checkpoint.size, proof.new.checkpoint?.checkpoint.size]).toEqual([
        from,
        to,
      ]);
      verifyConsistency(from, to, proof.proof.map(b64), b64(proof.old.root), b64(proof.new.root));
    }
    expect(proveConsistency(view, 9).new.size).toBe(17);
  });

  it('refuses sizes that cannot have a proof', async () => {
    const view = await readLedgerView(fx.dir);
    expect(() => proveConsistency(view, 0, 9)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    expect(() => proveConsistency(view, 13, 9)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });
});
