import type { UpdateEntry } from '@silo/ledger';
import { encodedSize, type UpdateEncoding } from '@silo/tensors';
import { verifyManifest, type UpdateManifest } from '@silo/signing';
import { problem, problemFrom, type Problem, type ReplayContext, type RunState } from './replay-context.js';

/** The entry fields that must equal its signed manifest's, in the order they are reported. */
const BOUND_FIELDS = ['runId', 'round', 'keyId', 'updateDigest', 'numExamples', 'nonce'] as const;

/**
 * Replays an `update` entry: its manifest must verify against the keys as they stand at this
 * entry, and the entry must agree with it, belong to the round its run is collecting, start from
 * that round's base, and use a nonce and a (run, round, key) slot nobody used before.
 */
export async function replayUpdate(ctx: ReplayContext, index: number, entry: UpdateEntry): Promise<void> {
  let manifest: UpdateManifest | undefined;
  try {
    manifest = await verifyManifest(entry.manifest, ctx.registry);
    ctx.report.tally('update-signatures', []);
  } catch (err) {
    const what = `manifest of update by ${entry.keyId} does not verify against the keys enrolled at the time`;
    ctx.report.tally('update-signatures', [problemFrom(index, err, what)]);
  }

  const run = ctx.runs.get(entry.runId);
  const found = [
    ...runProblems(index, entry, run),
    ...(manifest === undefined ? [] : manifestProblems(index, entry, manifest, run)),
    ...reuseProblems(ctx, index, entry),
  ];
  ctx.updates.set(index, {
    runId: entry.runId,
    round: entry.round,
    keyId: entry.keyId,
    updateDigest: entry.updateDigest,
    numExamples: entry.numExamples,
    // How to decode the blob even when the signature did not verify (already a finding).
    encoding: manifest?.encoding ?? unverifiedEncoding(entry.manifest.payload),
    verified: manifest !== undefined,
    aggregatedBy: undefined,
  });
  ctx.report.tally('updates', found);
}

function runProblems(index: number, entry: UpdateEntry, run: RunState | undefined): Problem[] {
  if (run === undefined) {
    return [problem(index, 'ERR_WRONG_RUN', `update for run ${entry.runId}, which no earlier entry created`)];
  }
  if (run.endedAt !== undefined) {
    return [
      problem(index, 'ERR_WRONG_RUN', `update for run ${entry.runId} after it ended at entry ${run.endedAt}`),
    ];
  }
  if (entry.round !== run.round + 1) {
    return [
      problem(
        index,
        'ERR_STALE_ROUND',
        `update for round ${entry.round} of run ${entry.runId} while round ${run.round + 1} was collecting`,
      ),
    ];
  }
  return [];
}

function manifestProblems(
  index: number,
  entry: UpdateEntry,
  manifest: UpdateManifest,
  run: RunState | undefined,
): Problem[] {
  const found: Problem[] = [];
  for (const field of BOUND_FIELDS) {
    if (entry[field] !== manifest[field]) {
      found.push(
        problem(
          index,
          field === 'updateDigest' ? 'ERR_DIGEST_MISMATCH' : 'ERR_BAD_MANIFEST',
          `entry says ${field} ${JSON.stringify(entry[field])}, its signed manifest ${JSON.stringify(manifest[field])}`,
        ),
      );
    }
  }
  if (run === undefined || entry.round !== run.round + 1) return found;
  if (manifest.baseDigest !== run.base) {
    found.push(
      problem(
        index,
        'ERR_BASE_MISMATCH',
        `update was trained from ${manifest.baseDigest}, but round ${entry.round}'s base is ${run.base}`,
      ),
    );
  }
  const encoding = manifest.encoding ?? 'float32';
  const config = run.run.config as { updateEncoding?: unknown; secureAggregation?: unknown };
  const raw = config.updateEncoding ?? 'float32';
  const declared =
    config.secureAggregation !== undefined ? 'masked' : typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (encoding !== declared) {
    found.push(
      problem(index, 'ERR_BAD_MANIFEST', `update is encoded as ${encoding}; the run declared ${declared}`),
    );
  }
  if (run.length !== undefined) {
    const size = encoding === 'masked' ? (run.length + 1) * 4 : encodedSize(run.run.layout, encoding);
    if (manifest.updateBytes !== size)
      found.push(
        problem(
          index,
          'ERR_SHAPE_MISMATCH',
          `update has ${manifest.updateBytes} bytes; the run's layout needs ${size} in ${encoding}`,
        ),
      );
  }
  return found;
}

function reuseProblems(ctx: ReplayContext, index: number, entry: UpdateEntry): Problem[] {
  const found: Problem[] = [];
  const nonceUser = ctx.nonces.get(entry.nonce);
  if (nonceUser === undefined) ctx.nonces.set(entry.nonce, index);
  else {
    found.push(
      problem(
        index,
        'ERR_REPLAYED_NONCE',
        `nonce ${JSON.stringify(entry.nonce)} was already used by entry ${nonceUser}`,
      ),
    );
  }
  const slot = JSON.stringify([entry.runId, entry.round, entry.keyId]);
  const earlier = ctx.submissions.get(slot);
  if (earlier === undefined) ctx.submissions.set(slot, index);
  else {
    found.push(
      problem(
        index,
        'ERR_CONFLICT',
        `key ${entry.keyId} already had an update accepted for round ${entry.round} of run ${entry.runId} (entry ${earlier})`,
      ),
    );
  }
  return found;
}

/** The `encoding` an unverified manifest payload names, or float32. */
function unverifiedEncoding(payload: string): UpdateEncoding | 'masked' {
  try {
    const value = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { encoding?: unknown })
      .encoding;
    return value === 'float16' || value === 'int8' || value === 'masked' ? value : 'float32';
  } catch {
    return 'float32';
  }
}
