import { SiloError } from '@silo/common';
import { verifyConsistency, verifyInclusion } from '@silo/ledger';
import type { LedgerView, ViewCheckpoint } from './ledger-view.js';

// Proofs a third party can check against a signed checkpoint. Hashes are standard base64, as
// in checkpoint notes, so a root can be compared with the note by eye.

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** The root a proof is checked against: a stored checkpoint's, or computed from the entries. */
export interface ProofRoot {
  readonly size: number;
  /** Base64 root hash. */
  readonly root: string;
  /** The stored checkpoint at this size, or `undefined` when the root was computed locally. */
  readonly checkpoint: ViewCheckpoint | undefined;
}

/** An inclusion proof of one entry, verified before it is returned. */
export interface InclusionProof {
  readonly index: number;
  /** Base64 RFC 6962 leaf hash, SHA-256(0x00 ‖ entry). */
  readonly leafHash: string;
  readonly tree: ProofRoot;
  /** Base64 hashes, leaf to root. */
  readonly proof: readonly string[];
}

/** A consistency proof between two tree sizes, verified before it is returned. */
export interface ConsistencyProof {
  readonly old: ProofRoot;
  readonly new: ProofRoot;
  /** Base64 hashes. */
  readonly proof: readonly string[];
}

/**
 * Proves that entry `index` is in the tree of `size` entries (default: the latest checkpoint's
 * size) and checks the proof against the stored checkpoint's root when there is one at that size.
 *
 * @throws SiloError ERR_BAD_INPUT for an index or size out of range; ERR_NOT_FOUND when no size
 *   is given and there is no checkpoint; ERR_LEDGER_CORRUPT when the checkpoint covers more
 *   entries than are intact; ERR_DIGEST_MISMATCH when the entries do not hash to its root.
 */
export function proveInclusion(view: LedgerView, index: number, size?: number): InclusionProof {
  const tree = rootAt(view, size ?? latestCheckpoint(view).checkpoint.size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= tree.size) {
    throw new SiloError('ERR_BAD_INPUT', `entry ${index} is not in a tree of ${tree.size} entries`);
  }
  const leaf = view.tree.leafHash(index);
  const proof = view.tree.inclusionProof(index, tree.size);
  verifyInclusion(leaf, index, tree.size, proof, Buffer.from(tree.root, 'base64'));
  return { index, leafHash: b64(leaf), tree, proof: proof.map(b64) };
}

/**
 * Proves that the tree of `oldSize` entries is a prefix of the tree of `newSize` (default: the
 * latest checkpoint's size), checked against stored checkpoints' roots where there are some.
 *
 * @throws SiloError as {@link proveInclusion}; ERR_BAD_INPUT also when `oldSize` is 0 or above
 *   `newSize`.
 */
export function proveConsistency(view: LedgerView, oldSize: number, newSize?: number): ConsistencyProof {
  const to = rootAt(view, newSize ?? latestCheckpoint(view).checkpoint.size);
  const from = rootAt(view, oldSize);
  if (from.size === 0 || from.size > to.size) {
    throw new SiloError('ERR_BAD_INPUT', `no consistency proof from size ${from.size} to ${to.size}`);
  }
  const proof = view.tree.consistencyProof(from.size, to.size);
  verifyConsistency(
    from.size,
    to.size,
    proof,
    Buffer.from(from.root, 'base64'),
    Buffer.from(to.root, 'base64'),
  );
  return { old: from, new: to, proof: proof.map(b64) };
}

function latestCheckpoint(view: LedgerView): ViewCheckpoint {
  const latest = view.checkpoints.at(-1);
  if (latest === undefined) throw new SiloError('ERR_NOT_FOUND', 'the ledger has no checkpoint; give a size');
  return latest;
}

/** The root at `size`: the latest stored checkpoint of that size, else computed from the entries. */
function rootAt(view: LedgerView, size: number): ProofRoot {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new SiloError('ERR_BAD_INPUT', `tree size ${size} is not a non-negative integer`);
  }
  const checkpoint = view.checkpoints.findLast((c) => c.checkpoint.size === size);
  if (size > view.tree.size) {
    const why = checkpoint === undefined ? 'the ledger has' : 'a checkpoint covers them, but the ledger has';
    throw new SiloError(
      checkpoint === undefined ? 'ERR_BAD_INPUT' : 'ERR_LEDGER_CORRUPT',
      `tree size ${size}: ${why} only ${view.tree.size} intact entries`,
    );
  }
  const root = checkpoint?.checkpoint.root ?? view.tree.root(size);
  return { size, root: b64(root), checkpoint };
}
