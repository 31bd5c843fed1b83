import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SiloError } from '@silo/common';
import { DiskBlobStore } from '@silo/coordinator';
import {
  LedgerStore,
  decodeEntry,
  parseVerifierKey,
  verifyCheckpoint,
  verifyConsistency,
  type Checkpoint,
} from '@silo/ledger';
import { sha256Hex } from '@silo/tensors';
import { callApi, downloadBytes, type ApiTarget, type TransferProgress } from './api-client.js';

/** What {@link mirrorLedger} did. */
export interface MirrorResult {
  /** Entries held before and after. */
  from: number;
  to: number;
  checkpoints: number;
  blobsFetched: number;
  blobBytes: number;
  origin: string;
}

/** How far a {@link mirrorLedger} has got; blob bytes count a blob still arriving. */
export interface MirrorProgress {
  /** New entries stored, of `totalEntries` to fetch. */
  entries: number;
  totalEntries: number;
  blobsFetched: number;
  blobBytes: number;
}

interface LedgerInfo {
  origin: string;
  verifierKey: string;
  size: number;
  checkpoint: { size: number; note: string } | null;
}

/** Kept beside the mirrored files: where they came from and the key they are pinned to. */
const MIRROR_FILE = 'mirror.json';
const PAGE = 1000;

const fromB64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

/**
 * Mirrors a coordinator's ledger into `dir` incrementally: checks that the remote's latest
 * signed checkpoint extends what `dir` already holds (a consistency proof from the local size),
 * fetches only the new entries, stores every newer signed checkpoint after checking its root
 * against the entries, and fetches the blobs new entries name, checking each digest.
 *
 * The verifier key is pinned: `verifierKey` when given, else the key recorded by the first
 * mirror of `dir`, else (first use) the key the coordinator announces.
 *
 * @throws SiloError `ERR_BAD_SIGNATURE` for a checkpoint the pinned key did not sign;
 *   `ERR_LEDGER_CORRUPT` when the remote log does not extend the local one.
 */
export async function mirrorLedger(
  target: ApiTarget,
  dir: string,
  options: { verifierKey?: string; onProgress?: (progress: MirrorProgress) => void } = {},
): Promise<MirrorResult> {
  const info = await callApi<LedgerInfo>(target, 'GET', '/v1/ledger');
  await mkdir(dir, { recursive: true });
  const pinned = options.verifierKey ?? (await readMirrorFile(dir))?.verifierKey ?? info.verifierKey;
  if (pinned !== info.verifierKey) {
    throw new SiloError(
      'ERR_BAD_SIGNATURE',
      `the coordinator announces verifier key ${info.verifierKey}, but this mirror is pinned to ${pinned}`,
    );
  }
  const key = parseVerifierKey(pinned);
  const store = await LedgerStore.open(dir);
  const blobs = new DiskBlobStore(join(dir, 'blobs'));
  try {
    const from = store.size;
    const result: MirrorResult = {
      from,
      to: from,
      checkpoints: 0,
      blobsFetched: 0,
      blobBytes: 0,
      origin: info.origin,
    };
    if (info.checkpoint === null) return result;
    const latest = verifyCheckpoint(info.checkpoint.note, key, info.origin);
    if (latest.size < from) {
      throw new SiloError(
        'ERR_LEDGER_CORRUPT',
        `the coordinator's latest checkpoint covers ${latest.size} entries; this mirror already holds ${from}`,
      );
    }
    if (from > 0) await checkExtends(target, from, store.root(from), latest);
    const { onProgress } = options;
    const report = (blobBytes = result.blobBytes): void =>
      onProgress?.({
        entries: result.to - from,
        totalEntries: latest.size - from,
        blobsFetched: result.blobsFetched,
        blobBytes,
      });
    const onBlobBytes =
      onProgress === undefined ? undefined : (received: number) => report(result.blobBytes + received);
    report();

    for (let start = from; start < latest.size;) {
      const page = await callApi<{ entries: string[] }>(
        target,
        'GET',
        `/v1/ledger/entries?start=${start}&end=${Math.min(latest.size, start + PAGE)}`,
      );
      if (page.entries.length === 0)
        throw new SiloError('ERR_UNAVAILABLE', `the coordinator sent no entries from ${start}`);
      for (const text of page.entries) {
        const entry = fromB64(text);
        await store.append(entry);
        for (const digest of blobsOf(entry, start)) {
          const fetched = await fetchBlob(target, blobs, digest, onBlobBytes);
          if (fetched > 0) {
            result.blobsFetched += 1;
            result.blobBytes += fetched;
          }
        }
        start += 1;
        result.to = start;
        report();
      }
    }

    // Newer signed checkpoints, in order; the store refuses one whose root the entries do not give.
    const { checkpoints } = await callApi<{ checkpoints: { size: number; note: string }[] }>(
      target,
      'GET',
      '/v1/ledger/checkpoints',
    );
    let held = store.checkpoints().at(-1)?.size ?? 0;
    for (const cp of checkpoints) {
      if (cp.size <= held || cp.size > latest.size) continue;
      verifyCheckpoint(cp.note, key, info.origin);
      await store.writeCheckpoint(cp.note);
      held = cp.size;
      result.checkpoints += 1;
    }
    if (held !== latest.size) await store.writeCheckpoint(info.checkpoint.note);
    result.to = store.size;
    await writeFile(
      join(dir, MIRROR_FILE),
      `${JSON.stringify({ url: target.url, origin: info.origin, verifierKey: pinned, size: store.size }, null, 2)}\n`,
    );
    return result;
  } finally {
    await store.close();
  }
}

async function checkExtends(
  target: ApiTarget,
  from: number,
  localRoot: Uint8Array,
  latest: Checkpoint,
): Promise<void> {
  const { proof } = await callApi<{ proof: string[] }>(
    target,
    'GET',
    `/v1/ledger/proof/consistency?from=${from}&to=${latest.size}`,
  );
  try {
    verifyConsistency(from, latest.size, proof.map(fromB64), localRoot, latest.root);
  } catch (err) {
    throw new SiloError(
      'ERR_LEDGER_CORRUPT',
      `the coordinator's log of ${latest.size} entries does not extend the ${from} this mirror holds: ` +
        `${(err as Error).message}`,
    );
  }
}

/** Digests of the blobs an entry names: updates, a run's initial model, an aggregate's base and result. */
function blobsOf(bytes: Uint8Array, index: number): string[] {
  const entry = decodeEntry(bytes, index);
  switch (entry.type) {
    case 'run':
      return [entry.initialCheckpoint];
    case 'update':
      return [entry.updateDigest];
    case 'aggregate': {
      // The signature is the auditor's to check; here only the digests are read.
      const payload = JSON.parse(Buffer.from(entry.record.payload, 'base64url').toString('utf8')) as {
        base?: unknown;
        checkpoint?: unknown;
        stateIn?: unknown;
        stateOut?: unknown;
        privacy?: { noise?: unknown };
      };
      // Every blob the audit recomputes from: the server optimizer's state and DP noise too.
      return [
        payload.base,
        payload.checkpoint,
        payload.stateIn,
        payload.stateOut,
        payload.privacy?.noise,
      ].filter((d): d is string => typeof d === 'string' && /^[0-9a-f]{64}$/.test(d));
    }
    case 'run-ended':
      return [entry.checkpoint];
    default:
      return [];
  }
}

/** Fetches one blob unless the mirror has it, checking its digest; returns the bytes fetched. */
async function fetchBlob(
  target: ApiTarget,
  blobs: DiskBlobStore,
  digest: string,
  onBytes: TransferProgress | undefined,
): Promise<number> {
  if (await blobs.has(digest)) return 0;
  const { bytes } = await downloadBytes(target, `/v1/blobs/${digest}`, onBytes);
  const actual = sha256Hex(bytes);
  if (actual !== digest) {
    throw new SiloError('ERR_DIGEST_MISMATCH', `blob ${digest} arrived with digest ${actual}`);
  }
  await blobs.put(bytes);
  return bytes.byteLength;
}

async function readMirrorFile(dir: string): Promise<{ verifierKey?: string } | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, MIRROR_FILE), 'utf8')) as { verifierKey?: string };
  } catch {
    return undefined;
  }
}
