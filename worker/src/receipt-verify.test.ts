import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry, signCheckpoint } from '@silo/ledger';
import {
  FIXTURE_ORIGIN,
  ledgerFixture,
  noteKey,
  signedUpdate,
  type LedgerFixture,
} from './ledger.fixture.js';
import { verifyLedgerReceipt, type ReceiptVerdict } from './receipt-verify.js';

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
