import { isDeepStrictEqual } from 'node:util';
import {
  createStrategy,
  decodeState,
  encodeState,
  type ClientUpdate,
  type StrategyState,
} from '@silo/aggregation';
import { SiloError } from '@silo/common';
import {
  AGGREGATE_RECORD_TYP,
  parseAggregateRecord,
  type AggregateEntry,
  type AggregateRecord,
} from '@silo/ledger';
import { verifySigned, type FlattenedJws } from '@silo/signing';
import { decodeUpdate, sha256Hex, toCanonicalBytes, type Layout, type UpdateEncoding } from '@silo/tensors';
import { dpMeanDelta } from '@silo/privacy';
import { readBlobBytes, readWeightsBlob } from './blobs.js';
import { privacyProblems } from './replay-privacy.js';
import { replaySecureMean } from './replay-secagg.js';
import {
  problem,
  problemFrom,
  strategyConfig,
  type Problem,
  type ReplayContext,
  type RunState,
} from './replay-context.js';

/**
 * Replays an `aggregate` entry: the record must be signed by the coordinator key, agree with
 * the update entries it lists and with its run's round sequence, and recompute from the blobs
 * to exactly the checkpoint it names. Only this round's blobs are held in memory.
 */
export async function replayAggregate(
  ctx: ReplayContext,
  index: number,
  entry: AggregateEntry,
): Promise<void> {
  const record = await signedRecord(ctx, index, entry.record);
  if (record === undefined) return;
  const run = ctx.runs.get(record.runId);
  ctx.report.tally('aggregates', [
    ...sequenceProblems(index, record, run),
    ...listedUpdateProblems(ctx, index, record),
  ]);
  if (run === undefined) return;
  await recompute(ctx, index, record, run);
  run.round = record.round;
  run.base = record.checkpoint;
  run.checkpoints.set(record.round, record.checkpoint);
  run.lastAggregate = index;
}

/**
 * The record, verified with the coordinator key. When the signature fails that is the problem
 * reported, and the payload is still read (unverified) so the rest of the ledger is checked
 * against the run's real round sequence instead of failing on every later round.
 */
async function signedRecord(
  ctx: ReplayContext,
  index: number,
  jws: FlattenedJws,
): Promise<AggregateRecord | undefined> {
  let payload: unknown;
  try {
    ({ payload } = await verifySigned(jws, AGGREGATE_RECORD_TYP, (kid) =>
      kid === ctx.coordinatorKeyId ? ctx.coordinatorJwk : undefined,
    ));
    ctx.report.tally('aggregate-signatures', []);
  } catch (err) {
    const what = `aggregate record is not validly signed by coordinator key ${ctx.coordinatorKeyId}`;
    ctx.report.tally('aggregate-signatures', [problemFrom(index, err, what)]);
    payload = unverifiedPayload(jws.payload);
  }
  try {
    return parseAggregateRecord(payload, index);
  } catch (err) {
    ctx.report.tally('aggregates', [problemFrom(index, err, 'aggregate record payload')]);
    return undefined;
  }
}

function unverifiedPayload(payload: string): unknown {
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The record's place in its run: next round, right base, the run's strategy. */
function sequenceProblems(index: number, record: AggregateRecord, run: RunState | undefined): Problem[] {
  const { runId, round } = record;
  if (run === undefined) {
    return [problem(index, 'ERR_WRONG_RUN', `aggregate for run ${runId}, which no earlier entry created`)];
  }
  const found: Problem[] = [];
  if (run.endedAt !== undefined) {
    found.push(
      problem(index, 'ERR_WRONG_RUN', `aggregate for run ${runId} after it ended at entry ${run.endedAt}`),
    );
  }
  if (round !== run.round + 1) {
    found.push(
      problem(
        index,
        'ERR_STALE_ROUND',
        `aggregates round ${round} of run ${runId}, but the next round to aggregate is ${run.round + 1} ` +
          '(rounds are aggregated once each, in order)',
      ),
    );
  }
  if (record.base !== run.base) {
    const source =
      run.lastAggregate === undefined
        ? "the run's initial checkpoint"
        : `entry ${run.lastAggregate}'s checkpoint`;
    found.push(
      problem(
        index,
        'ERR_BASE_MISMATCH',
        `round ${round} starts from ${record.base}, not ${source} ${run.base}`,
      ),
    );
  }
  if (!isDeepStrictEqual(record.strategy, run.run.strategy)) {
    found.push(
      problem(
        index,
        'ERR_BAD_CONFIG',
        `applies strategy ${JSON.stringify(record.strategy)}, but run ${runId} uses ${JSON.stringify(run.run.strategy)}`,
      ),
    );
  }
  return found;
}

/** Each listed update is an earlier, verified update entry of this run and round, used once. */
function listedUpdateProblems(ctx: ReplayContext, index: number, record: AggregateRecord): Problem[] {
  const found: Problem[] = [];
  let previous = -1;
  let total = 0;
  for (const listed of record.updates) {
    total += listed.numExamples;
    const at = listed.index;
    if (at <= previous) {
      found.push(problem(index, 'ERR_LEDGER_CORRUPT', `lists entry ${at} twice or out of ascending order`));
      continue;
    }
    previous = at;
    const update = at < index ? ctx.updates.get(at) : undefined;
    if (update === undefined) {
      found.push(
        problem(index, 'ERR_LEDGER_CORRUPT', `lists entry ${at}, which is not an earlier update entry`),
      );
      continue;
    }
    const mismatch = (
      code: 'ERR_LEDGER_CORRUPT' | 'ERR_DIGEST_MISMATCH',
      field: string,
      a: unknown,
      b: unknown,
    ) =>
      found.push(
        problem(index, code, `lists entry ${at} with ${field} ${String(a)}, but the entry has ${String(b)}`),
      );
    if (update.runId !== record.runId || update.round !== record.round) {
      found.push(
        problem(
          index,
          'ERR_STALE_ROUND',
          `lists entry ${at}, an update for round ${update.round} of run ${update.runId}, ` +
            `in the aggregate of round ${record.round} of run ${record.runId}`,
        ),
      );
    }
    if (update.keyId !== listed.keyId) mismatch('ERR_LEDGER_CORRUPT', 'key', listed.keyId, update.keyId);
    if (update.updateDigest !== listed.updateDigest) {
      mismatch('ERR_DIGEST_MISMATCH', 'digest', listed.updateDigest, update.updateDigest);
    }
    if (update.numExamples !== listed.numExamples) {
      mismatch('ERR_LEDGER_CORRUPT', 'numExamples', listed.numExamples, update.numExamples);
    }
    if (!update.verified) {
      found.push(problem(index, 'ERR_BAD_SIGNATURE', `lists entry ${at}, whose manifest did not verify`));
    }
    if (update.aggregatedBy === undefined) update.aggregatedBy = index;
    else {
      found.push(
        problem(
          index,
          'ERR_CONFLICT',
          `lists entry ${at}, which entry ${update.aggregatedBy} already aggregated`,
        ),
      );
    }
  }
  if (total !== record.totalExamples) {
    found.push(
      problem(
        index,
        'ERR_LEDGER_CORRUPT',
        `totalExamples is ${record.totalExamples}, but the listed updates sum to ${total}`,
      ),
    );
  }
  return found;
}

/** Recomputes the aggregate from the base and update blobs and compares the digest bit for bit. */
async function recompute(
  ctx: ReplayContext,
  index: number,
  record: AggregateRecord,
  run: RunState,
): Promise<void> {
  if (run.length === undefined) {
    // The run's layout is invalid, reported at its entry; there is nothing to recompute with.
    ctx.report.tally('recompute', [
      problem(
        index,
        'ERR_BAD_INPUT',
        `cannot recompute round ${record.round}: run ${run.run.runId} has no valid layout`,
      ),
    ]);
    return;
  }
  const base = await readBlob(ctx, index, record.base, run.length, `base weights of round ${record.round}`);
  const updates: ClientUpdate[] = [];
  // Masked inputs say nothing alone: a secure round is replayed from their unmasked sum.
  for (const listed of record.secureAggregation === undefined ? record.updates : []) {
    const what = `update blob aggregated by entry ${index}`;
    const encoding = ctx.updates.get(listed.index)?.encoding ?? 'float32';
    const delta = await readUpdateBlob(
      ctx,
      listed.index,
      listed.updateDigest,
      run.run.layout,
      encoding,
      what,
    );
    if (delta !== undefined) updates.push({ keyId: listed.keyId, numExamples: listed.numExamples, delta });
  }
  if (
    base === undefined ||
    (record.secureAggregation === undefined && updates.length !== record.updates.length)
  ) {
    ctx.report.tally('recompute', [
      problem(index, 'ERR_NOT_FOUND', `cannot recompute round ${record.round}: blobs are missing or changed`),
    ]);
    return;
  }
  const noise =
    record.privacy?.noise === undefined || record.privacy.noise === null
      ? undefined
      : await readBlob(ctx, index, record.privacy.noise, run.length, `noise of round ${record.round}`);
  if (record.privacy !== undefined || run.run.privacy !== null)
    ctx.report.tally('privacy', privacyProblems(index, record, run, noise));
  const stateBefore = run.strategyState;
  // The state chain moves on whatever the verdict, so one bad round is not reported again and again.
  run.strategyState = record.stateOut ?? null;
  try {
    const strategy = createStrategy(strategyConfig(record.strategy));
    let state: StrategyState | undefined;
    if (strategy.stateful) {
      if ((record.stateIn ?? null) !== stateBefore) {
        throw new SiloError(
          'ERR_DIGEST_MISMATCH',
          `round ${record.round} starts from server state ${record.stateIn ?? 'none'}, but the previous round left ${stateBefore ?? 'none'}`,
        );
      }
      if (stateBefore !== null) {
        state = decodeState(await readBlobBytes(ctx.blobsDir, stateBefore), run.length);
        ctx.report.tally('blobs', []);
      }
    }
    const combined =
      record.secureAggregation === undefined
        ? combinable(record, updates, noise)
        : [
            {
              keyId: 'secure-sum',
              numExamples: record.totalExamples,
              delta: await replaySecureMean(ctx.blobsDir, record, run.length, noise),
            },
          ];
    const result = strategy.aggregate(base, combined, state);
    const digest = sha256Hex(toCanonicalBytes(result.weights));
    if (digest !== record.checkpoint) {
      throw new SiloError(
        'ERR_DIGEST_MISMATCH',
        `recomputed ${digest}, but the record says ${record.checkpoint}`,
      );
    }
    if (strategy.stateful) {
      const stateDigest = result.state === undefined ? undefined : sha256Hex(encodeState(result.state));
      if (stateDigest !== record.stateOut) {
        throw new SiloError(
          'ERR_DIGEST_MISMATCH',
          `recomputed server state ${stateDigest ?? 'none'}, but the record says ${record.stateOut ?? 'none'}`,
        );
      }
    }
    ctx.report.tally('recompute', []);
  } catch (err) {
    ctx.report.tally('recompute', [problemFrom(index, err, `round ${record.round} does not recompute`)]);
  }
}

/**
 * What the strategy combined: the updates themselves, or in a private round the one noised mean
 * delta of DP-FedAvg, recomputed from the updates and the logged noise.
 *
 * @throws SiloError when the logged noise is missing or the mean cannot be formed.
 */
function combinable(
  record: AggregateRecord,
  updates: ClientUpdate[],
  noise: Float32Array | undefined,
): ClientUpdate[] {
  const dp = record.privacy;
  if (dp === undefined) return updates;
  if (dp.noise !== null && noise === undefined)
    throw new SiloError('ERR_NOT_FOUND', `the noise blob ${dp.noise} of round ${record.round} is unreadable`);
  const mean = dpMeanDelta(
    updates,
    { clipNorm: dp.clipNorm, mode: dp.mode, denominator: dp.denominator },
    noise,
  );
  return [{ keyId: 'dp-mean', numExamples: record.totalExamples, delta: mean }];
}

/** Reads and decodes an update blob, filing the read under the `blobs` check against entry `entry`. */
async function readUpdateBlob(
  ctx: ReplayContext,
  entry: number,
  digest: string,
  layout: Layout,
  encoding: UpdateEncoding | 'masked',
  what: string,
): Promise<Float32Array | undefined> {
  try {
    if (encoding === 'masked')
      throw new SiloError('ERR_BAD_MANIFEST', 'a masked input outside a secure round');
    const delta = decodeUpdate(await readBlobBytes(ctx.blobsDir, digest), layout, encoding);
    ctx.report.tally('blobs', []);
    return delta;
  } catch (err) {
    ctx.report.tally('blobs', [problemFrom(entry, err, what)]);
    return undefined;
  }
}

/** Reads a blob, filing the read under the `blobs` check against entry `entry`. */
export async function readBlob(
  ctx: ReplayContext,
  entry: number,
  digest: string,
  length: number,
  what: string,
): Promise<Float32Array | undefined> {
  try {
    const weights = await readWeightsBlob(ctx.blobsDir, digest, length);
    ctx.report.tally('blobs', []);
    return weights;
  } catch (err) {
    ctx.report.tally('blobs', [problemFrom(entry, err, what)]);
    return undefined;
  }
}
