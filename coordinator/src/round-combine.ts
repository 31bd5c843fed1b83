import { SiloError } from '@silo/common';
import {
  decodeState,
  encodeState,
  type AggregateResult,
  type ClientUpdate,
  type Strategy,
  type StrategyState,
} from '@silo/aggregation';
import type { AggregateRecord } from '@silo/ledger';
import { dpMeanDelta, epsilonOfRounds, gaussianNoise } from '@silo/privacy';
import { secureMean } from '@silo/secagg';
import { decodeUpdate, fromCanonicalBytes, toCanonicalBytes } from '@silo/tensors';
import type { BlobStore } from './blob-store.js';
import type { SecureSum } from './secagg.js';
import type { AcceptedUpdate, RoundPrivacy, RoundRecord, RunRecord } from './state.js';

/** What aggregating a round produced, streamed or in memory. */
export interface RoundAggregate {
  checkpoint: string;
  totalExamples: number;
  /** Server state the round started from and left (stateful strategies). */
  stateIn?: string | null | undefined;
  stateOut?: string | undefined;
  privacy?: NonNullable<AggregateRecord['privacy']> | undefined;
  /** The new weights, when they were in memory anyway. */
  weights?: Float32Array | undefined;
}

/** A private round already released, as the accountant sees it. */
export interface ReleasedRound {
  samplingRate: number;
  noiseMultiplier: number;
}

/**
 * Combines a round's updates in memory: strategies that need every update at once, differential
 * privacy (DP-FedAvg's clipped, noised mean) and secure aggregation (the unmasked mean), with the
 * privacy record an aggregate carries. FedAvg without DP streams instead (streaming-aggregate.ts).
 */
export class RoundCombiner {
  readonly #blobs: BlobStore;
  readonly #privateRounds: (runId: string) => Promise<ReleasedRound[]>;

  /**
   * @param privateRounds - the accountant's view of the rounds a run has released so far.
   */
  constructor(blobs: BlobStore, privateRounds: (runId: string) => Promise<ReleasedRound[]>) {
    this.#blobs = blobs;
    this.#privateRounds = privateRounds;
  }

  /**
   * The round's aggregate by a strategy that needs every update at once (or DP): the updates
   * are read into memory, combined, and the checkpoint and any server state stored.
   */
  async inMemory(
    run: RunRecord,
    record: RoundRecord,
    strategy: Strategy,
    accepted: readonly AcceptedUpdate[],
    length: number,
    secure?: SecureSum,
  ): Promise<RoundAggregate> {
    const blobs = this.#blobs;
    const base = fromCanonicalBytes(await blobs.get(record.base), length);
    const updates: ClientUpdate[] = [];
    // Securely aggregated, the masked inputs are never decoded one by one: the strategy (and DP)
    // gets their unmasked mean alone.
    for (const update of secure === undefined ? accepted : []) {
      const delta = decodeUpdate(await blobs.get(update.updateDigest), run.layout, plainEncoding(update));
      updates.push({ keyId: update.keyId, numExamples: update.numExamples, delta });
    }
    const stateIn = strategy.stateful ? (run.strategyState ?? null) : undefined;
    const serverState =
      stateIn === null || stateIn === undefined ? undefined : decodeState(await blobs.get(stateIn), length);
    const totalExamples = accepted.reduce((sum, u) => sum + u.numExamples, 0);
    const { result, privacy } =
      secure === undefined
        ? await this.#combine(run, record, strategy, base, updates, serverState)
        : await this.#combineSecure(run, record, strategy, base, secure, totalExamples, serverState);
    const stateOut =
      strategy.stateful && result.state !== undefined
        ? await blobs.put(encodeState(result.state))
        : undefined;
    const checkpoint = await blobs.put(toCanonicalBytes(result.weights));
    return {
      checkpoint,
      totalExamples: result.totalExamples,
      stateIn,
      stateOut,
      privacy,
      weights: result.weights,
    };
  }

  /**
   * The strategy's aggregate of the round. With differential privacy the strategy is given one
   * update, the noised mean delta of DP-FedAvg (clipped, with the noise stored as a blob for
   * auditors in central mode), and the privacy record of the round comes back with it.
   */
  async #combine(
    run: RunRecord,
    record: RoundRecord,
    strategy: Strategy,
    base: Float32Array,
    updates: ClientUpdate[],
    serverState: StrategyState | undefined,
  ): Promise<{ result: AggregateResult; privacy?: NonNullable<AggregateRecord['privacy']> }> {
    const dp = run.config.privacy;
    if (dp === undefined) return { result: strategy.aggregate(base, updates, serverState) };
    const sampling = this.#sampling(run, record);
    const noise =
      dp.mode === 'central' ? gaussianNoise(base.length, dp.noiseMultiplier * dp.clipNorm) : undefined;
    const noiseDigest = noise === undefined ? null : await this.#blobs.put(toCanonicalBytes(noise));
    const mean = dpMeanDelta(
      updates,
      { clipNorm: dp.clipNorm, mode: dp.mode, denominator: sampling.denominator },
      noise,
    );
    const totalExamples = updates.reduce((sum, u) => sum + u.numExamples, 0);
    const combined = strategy.aggregate(
      base,
      [{ keyId: 'dp-mean', numExamples: totalExamples, delta: mean }],
      serverState,
    );
    return {
      result: { ...combined, numUpdates: updates.length },
      privacy: await this.#privacyRecord(run, record, noiseDigest),
    };
  }

  /**
   * The strategy's aggregate of a securely aggregated round: the unmasked mean delta, noised
   * first in central DP mode (σ = zC over the DP denominator, as in {@link #combine}).
   */
  async #combineSecure(
    run: RunRecord,
    record: RoundRecord,
    strategy: Strategy,
    base: Float32Array,
    secure: SecureSum,
    totalExamples: number,
    serverState: StrategyState | undefined,
  ): Promise<{ result: AggregateResult; privacy?: NonNullable<AggregateRecord['privacy']> }> {
    const dp = run.config.privacy;
    let noiseDigest: string | null = null;
    let noise: Float32Array | undefined;
    if (dp !== undefined && dp.mode === 'central') {
      noise = gaussianNoise(base.length, dp.noiseMultiplier * dp.clipNorm);
      noiseDigest = await this.#blobs.put(toCanonicalBytes(noise));
    }
    const { mean } = secureMean(
      secure.sum,
      secure.survivors.length,
      secure.params,
      secure.denominator,
      noise,
    );
    const combined = strategy.aggregate(
      base,
      [{ keyId: 'secure-sum', numExamples: totalExamples, delta: mean }],
      serverState,
    );
    const result = { ...combined, numUpdates: secure.survivors.length };
    if (dp === undefined) return { result };
    return { result, privacy: await this.#privacyRecord(run, record, noiseDigest) };
  }

  /** The sampling record of a private round. */
  #sampling(run: RunRecord, record: RoundRecord): RoundPrivacy {
    if (record.privacy === undefined)
      throw new SiloError(
        'ERR_INTERNAL',
        `round ${run.round} of private run ${run.id} has no sampling record`,
      );
    return record.privacy;
  }

  /** The privacy record of a private round: its mechanism, sampling, noise and ε so far. */
  async #privacyRecord(
    run: RunRecord,
    record: RoundRecord,
    noiseDigest: string | null,
  ): Promise<NonNullable<AggregateRecord['privacy']>> {
    const dp = run.config.privacy;
    if (dp === undefined) throw new SiloError('ERR_INTERNAL', `run ${run.id} has no privacy`);
    const sampling = this.#sampling(run, record);
    const spent = await this.#privateRounds(run.id);
    const epsilon = epsilonOfRounds(
      [...spent, { samplingRate: sampling.samplingRate, noiseMultiplier: dp.noiseMultiplier }],
      dp.delta,
    );
    return {
      mode: dp.mode,
      clipNorm: dp.clipNorm,
      noiseMultiplier: dp.noiseMultiplier,
      delta: dp.delta,
      population: sampling.population,
      samplingRate: sampling.samplingRate,
      denominator: sampling.denominator,
      ...(sampling.shares === undefined ? {} : { shares: sampling.shares }),
      noise: noiseDigest,
      epsilon,
    };
  }
}

/** An update's encoding, which must be one the strategies decode (not a masked input). */
export function plainEncoding(update: AcceptedUpdate): 'float32' | 'float16' | 'int8' {
  if (update.encoding === 'masked')
    throw new SiloError('ERR_INTERNAL', `the masked input of ${update.keyId} cannot be decoded alone`);
  return update.encoding ?? 'float32';
}
