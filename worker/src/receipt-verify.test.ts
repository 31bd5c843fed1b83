import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry, parseVerifierKey, signCheckpoint } from '@silo/ledger';
import {
  FIXTURE_ORIGIN,
  ledgerFixture,
  noteKey,
  signedUpdate,
  type LedgerFixture,
} from './ledger.fixture.js';
import { VerifiedCheckpoints, verifyLedgerReceipt, type ReceiptVerdict } from './receipt-verify.js';

let dir: string;
let f: LedgerFixture;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'silo-receipt-'));
  f = await ledgerFixture(dir);
});
afterEach(async () => {
  await f.store.close();
  await rm(dir, { recursive: true, force: true });
});

const trusted = (): { verifierKey: LedgerFixture['coordinator']['verifierKey'] } => ({
  verifierKey: f.coordinator.verifierKey,
});

function refusal(verdict: ReceiptVerdict): { reason: string; code: string } {
  if (verdict.ok) throw new Error('the receipt was accepted');
  return { reason: verdict.reason, code: verdict.error.code };
}

describe('verifyLedgerReceipt', () => {
  it('accepts a good receipt and returns the signed checkpoint', () => {
    const verdict = verifyLedgerReceipt(f.receipt, f.sent, trusted());
    expect(verdict).toMatchObject({ ok: true, signature: 'verified' });
    if (!verdict.ok) return;
    expect(verdict.checkpoint).toMatchObject({ origin: FIXTURE_ORIGIN, size: 5 });
    expect(Buffer.from(verdict.checkpoint.root).equals(Buffer.from(f.store.root()))).toBe(true);
  });

  it('accepts a receipt without a pinned key but says the signature was not checked', () => {
    expect(verifyLedgerReceipt(f.receipt, f.sent, {})).toMatchObject({ ok: true, signature: 'unverified' });
  });

  it('refuses an entry whose manifest differs from the one sent, even with the same digest', async () => {
    const resigned = await signedUpdate(f.key, 1, { updateDigest: f.sent.updateDigest, issuedAt: 1 });
    const receipt = { ...f.receipt, entry: resigned.entry };
    expect(refusal(verifyLedgerReceipt(receipt, f.sent, trusted()))).toEqual({
      reason: 'manifest-mismatch',
      code: 'ERR_BAD_MANIFEST',
    });
  });

  it('refuses an entry naming another update digest', () => {
    // The coordinator's entry bytes with another digest: still a well-formed update entry.
    const fields = JSON.parse(Buffer.from(f.receipt.entry).toString('utf8')) as object;
    const forged = Buffer.from(JSON.stringify({ ...fields, updateDigest: 'ab'.repeat(32) }), 'utf8');
    expect(decodeEntry(forged).type).toBe('update');
    expect(refusal(verifyLedgerReceipt({ ...f.receipt, entry: forged }, f.sent, trusted())).reason).toBe(
      'digest-mismatch',
    );
  });

  it('refuses an entry that is not an update', () => {
    const entry = encodeEntry({ type: 'key-revoked', keyId: f.key.keyId, at: 1 });
    expect(refusal(verifyLedgerReceipt({ ...f.receipt, entry }, f.sent, trusted())).reason).toBe(
      'not-an-update',
    );
  });

  it('refuses bytes that are not a ledger entry', () => {
    const entry = new TextEncoder().encode('{"v":1,"type":"update"}');
    expect(refusal(verifyLedgerReceipt({ ...f.receipt, entry }, f.sent, trusted()))).toEqual({
      reason: 'bad-entry',
      code: 'ERR_LEDGER_CORRUPT',
    });
  });

  it('refuses a receipt for another entry index', () => {
    const receipt = { ...f.receipt, entryIndex: f.sent.entryIndex + 1 };
    expect(refusal(verifyLedgerReceipt(receipt, f.sent, trusted())).reason).toBe('index-mismatch');
  });

  it('refuses a wrong inclusion proof', () => {
    const otherLeaf = { ...f.receipt, proof: f.store.inclusionProof(f.sent.entryIndex + 1) };
    expect(refusal(verifyLedgerReceipt(otherLeaf, f.sent, trusted()))).toEqual({
      reason: 'bad-proof',
      code: 'ERR_DIGEST_MISMATCH',
    });
    const flipped = f.receipt.proof.map((h) => h.slice());
    const first = flipped[0] as Uint8Array;
    first[0] = (first[0] ?? 0) ^ 1;
    expect(refusal(verifyLedgerReceipt({ ...f.receipt, proof: flipped }, f.sent, trusted())).reason).toBe(
      'bad-proof',
    );
    const short = { ...f.receipt, proof: f.receipt.proof.slice(1) };
    expect(refusal(verifyLedgerReceipt(short, f.sent, trusted())).reason).toBe('bad-proof');
  });

  it('refuses a proof that is also checked when no key is pinned', () => {
    const otherLeaf = { ...f.receipt, proof: f.store.inclusionProof(0) };
    expect(refusal(verifyLedgerReceipt(otherLeaf, f.sent, {})).reason).toBe('bad-proof');
  });

  it('refuses a checkpoint signed by another key with the same name', () => {
    const impostor = noteKey(FIXTURE_ORIGIN);
    const checkpoint = signCheckpoint(
      { origin: FIXTURE_ORIGIN, size: f.store.size, root: f.store.root() },
      impostor.signer,
    );
    expect(refusal(verifyLedgerReceipt({ ...f.receipt, checkpoint }, f.sent, trusted()))).toEqual({
      reason: 'bad-signature',
      code: 'ERR_BAD_SIGNATURE',
    });
  });

  it('refuses a checkpoint for another origin', () => {
    expect(
      refusal(verifyLedgerReceipt(f.receipt, f.sent, { ...trusted(), origin: 'silo.test/other' })).reason,
    ).toBe('bad-checkpoint');
    expect(refusal(verifyLedgerReceipt(f.receipt, f.sent, { origin: 'silo.test/other' })).reason).toBe(
      'bad-checkpoint',
    );
  });

  it('refuses a receipt whose tree size is not the size its checkpoint covers', () => {
    const claimed = { ...f.receipt, treeSize: f.receipt.treeSize - 1 };
    expect(refusal(verifyLedgerReceipt(claimed, f.sent, trusted()))).toEqual({
      reason: 'tree-size-mismatch',
      code: 'ERR_CONFLICT',
    });
    // A genuine checkpoint of a smaller tree, with the proof and size of the larger one.
    const smaller = signCheckpoint(
      { origin: FIXTURE_ORIGIN, size: 3, root: f.store.root(3) },
      f.coordinator.signer,
    );
    expect(
      refusal(verifyLedgerReceipt({ ...f.receipt, checkpoint: smaller }, f.sent, trusted())).reason,
    ).toBe('tree-size-mismatch');
  });

  it('accepts a proof into an older checkpoint that still covers the entry', () => {
    const size = f.sent.entryIndex + 1;
    const checkpoint = signCheckpoint(
      { origin: FIXTURE_ORIGIN, size, root: f.store.root(size) },
      f.coordinator.signer,
    );
    const receipt = {
      ...f.receipt,
      checkpoint,
      treeSize: size,
      proof: f.store.inclusionProof(f.sent.entryIndex, size),
    };
    expect(verifyLedgerReceipt(receipt, f.sent, trusted())).toMatchObject({
      ok: true,
      signature: 'verified',
    });
  });
});

describe('VerifiedCheckpoints', () => {
  const signedAt = (size: number): string =>
    signCheckpoint({ origin: FIXTURE_ORIGIN, size, root: f.store.root(size) }, f.coordinator.signer);

  it('verifies a note once per key and origin, answering a repeat from memory', () => {
    const checkpoints = new VerifiedCheckpoints();
    const first = checkpoints.verify(f.receipt.checkpoint, f.coordinator.verifierKey, FIXTURE_ORIGIN);
    expect(first).toMatchObject({ origin: FIXTURE_ORIGIN, size: 5 });
    // Another worker's copy of the same pinned key.
    const sameKey = parseVerifierKey(f.coordinator.verifierKeyText);
    expect(checkpoints.verify(f.receipt.checkpoint, sameKey, FIXTURE_ORIGIN)).toBe(first);
  });

  it('still refuses the note under another key of the same name, or for another origin', () => {
    const checkpoints = new VerifiedCheckpoints();
    checkpoints.verify(f.receipt.checkpoint, f.coordinator.verifierKey, FIXTURE_ORIGIN);
    const impostor = noteKey(FIXTURE_ORIGIN);
    expect(() => checkpoints.verify(f.receipt.checkpoint, impostor.verifierKey, FIXTURE_ORIGIN)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }),
    );
    // Even one whose 32-bit key id collides with the pinned key's.
    const colliding = {
      ...f.coordinator.verifierKey,
      publicKeyRaw: impostor.verifierKey.publicKeyRaw,
      publicKey: impostor.verifierKey.publicKey,
    };
    expect(() => checkpoints.verify(f.receipt.checkpoint, colliding, FIXTURE_ORIGIN)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }),
    );
    expect(() =>
      checkpoints.verify(f.receipt.checkpoint, f.coordinator.verifierKey, 'silo.test/other'),
    ).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    // The impostor's signature over the same checkpoint is a different note: checked, and refused.
    const forged = signCheckpoint(
      { origin: FIXTURE_ORIGIN, size: f.store.size, root: f.store.root() },
      impostor.signer,
    );
    for (let i = 0; i < 2; i++) {
      expect(() => checkpoints.verify(forged, f.coordinator.verifierKey, FIXTURE_ORIGIN)).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }),
      );
    }
  });

  it('keeps only the most recent notes', () => {
    const checkpoints = new VerifiedCheckpoints(2);
    const key = f.coordinator.verifierKey;
    const [a, b, c] = [signedAt(3), signedAt(4), signedAt(5)];
    const first = checkpoints.verify(a, key, FIXTURE_ORIGIN);
    checkpoints.verify(b, key, FIXTURE_ORIGIN);
    expect(checkpoints.verify(a, key, FIXTURE_ORIGIN)).toBe(first);
    checkpoints.verify(c, key, FIXTURE_ORIGIN);
    const again = checkpoints.verify(a, key, FIXTURE_ORIGIN);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  it('serves verifyLedgerReceipt, which still refuses a forged checkpoint', () => {
    const checkpoints = new VerifiedCheckpoints();
    const trust = { ...trusted(), checkpoints };
    expect(verifyLedgerReceipt(f.receipt, f.sent, trust)).toMatchObject({ ok: true, signature: 'verified' });
    expect(verifyLedgerReceipt(f.receipt, f.sent, trust)).toMatchObject({ ok: true, signature: 'verified' });
    const forged = signCheckpoint(
      { origin: FIXTURE_ORIGIN, size: f.store.size, root: f.store.root() },
      noteKey(FIXTURE_ORIGIN).signer,
    );
    expect(refusal(verifyLedgerReceipt({ ...f.receipt, checkpoint: forged }, f.sent, trust))).toEqual({
      reason: 'bad-signature',
      code: 'ERR_BAD_SIGNATURE',
    });
  });
});
