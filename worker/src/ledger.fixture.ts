import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  LedgerStore,
  ed25519PublicKeyRaw,
  encodeEntry,
  formatVerifierKey,
  parseVerifierKey,
  type NoteSigner,
  type VerifierKey,
} from '@silo/ledger';
import {
  generateKeyPair,
  signManifest,
  signingKeyFromJwk,
  type FlattenedJws,
  type SigningKey,
} from '@silo/signing';
import type { LedgerReceiptData, SentUpdate } from './receipt-verify.js';

// A small real ledger for receipt tests, written with the packages the coordinator uses: a real
// worker key, signed manifests, update entries, a signed checkpoint. Test support only (excluded
// from the build).

/** Key name and checkpoint origin of the fixture coordinator. */
export const FIXTURE_ORIGIN = 'silo.test/coordinator';
export const FIXTURE_RUN = 'run-1';

/** A note signer and its verifier key, as a coordinator operator would publish it. */
export interface FixtureNoteKey {
  signer: NoteSigner;
  verifierKeyText: string;
  verifierKey: VerifierKey;
}

/** A fresh Ed25519 note key named `name`. */
export function noteKey(name = FIXTURE_ORIGIN): FixtureNoteKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const verifierKeyText = formatVerifierKey(name, ed25519PublicKeyRaw(privateKey));
  return { signer: { name, privateKey }, verifierKeyText, verifierKey: parseVerifierKey(verifierKeyText) };
}

/** A fresh worker signing key. */
export async function workerKey(): Promise<SigningKey> {
  return signingKeyFromJwk((await generateKeyPair()).privateJwk);
}

const randomDigest = (): string => randomBytes(32).toString('hex');

/** A signed update manifest of `key` for `round`, and the ledger entry a coordinator would append. */
export async function signedUpdate(
  key: SigningKey,
  round: number,
  overrides: { updateDigest?: string; issuedAt?: number; runId?: string } = {},
): Promise<{ jws: FlattenedJws; updateDigest: string; entry: Uint8Array; runId: string }> {
  const runId = overrides.runId ?? FIXTURE_RUN;
  const updateDigest = overrides.updateDigest ?? randomDigest();
  const nonce = randomBytes(8).toString('hex');
  const jws = await signManifest(key, {
    runId,
    round,
    baseDigest: randomDigest(),
    updateDigest,
    updateBytes: 1024,
    numExamples: 10,
    metrics: { loss: 0.5 },
    nonce,
    issuedAt: overrides.issuedAt ?? 1_700_000_000_000,
  });
  const entry = encodeEntry({
    type: 'update',
    runId,
    round,
    keyId: key.keyId,
    manifest: jws,
    updateDigest,
    numExamples: 10,
    nonce,
    acceptedAt: 1_700_000_000_500,
  });
  return { jws, updateDigest, entry, runId };
}

/** A ledger holding other workers' updates around one of ours, with a checkpoint covering all. */
export interface LedgerFixture {
  store: LedgerStore;
  coordinator: FixtureNoteKey;
  key: SigningKey;
  /** Our update, as the worker remembers sending it. */
  sent: SentUpdate;
  /** The good receipt of our update. */
  receipt: LedgerReceiptData;
}

/** Builds a {@link LedgerFixture} in `dir`: `before` other updates, ours, then `after` others. */
export async function ledgerFixture(dir: string, before = 2, after = 2): Promise<LedgerFixture> {
  const store = await LedgerStore.open(dir);
  const coordinator = noteKey();
  const other = await workerKey();
  for (let i = 0; i < before; i++) await store.append((await signedUpdate(other, 1)).entry);
  const key = await workerKey();
  const ours = await signedUpdate(key, 1);
  const { index } = await store.append(ours.entry);
  for (let i = 0; i < after; i++) await store.append((await signedUpdate(other, 1)).entry);
  const checkpoint = await store.checkpoint(FIXTURE_ORIGIN, coordinator.signer);
  return {
    store,
    coordinator,
    key,
    sent: {
      runId: ours.runId,
      round: 1,
      entryIndex: index,
      updateDigest: ours.updateDigest,
      manifest: ours.jws,
    },
    receipt: {
      entryIndex: index,
      entry: await store.entry(index),
      checkpoint,
      treeSize: store.size,
      proof: store.inclusionProof(index),
    },
  };
}
