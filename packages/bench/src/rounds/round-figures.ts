import { SiloError } from '@silo/common';

/** Inputs of {@link roundFloor}. */
export interface RoundFloorInput {
  readonly workers: number;
  readonly params: number;
  /** Loopback gRPC throughput, bytes per second. */
  readonly grpcBytesPerS: number;
  /** Memory-copy bandwidth, bytes per second. */
  readonly copyBytesPerS: number;
}

/** The least time a round of FedAvg could take on this machine, and what it is made of. */
export interface RoundFloor {
  /** Bytes over gRPC: every worker downloads the model and uploads a delta of the same size. */
  readonly transferBytes: number;
  /** Bytes of one aggregation pass: N deltas and the base read, the new model written. */
  readonly aggregationBytes: number;
  readonly transferS: number;
  readonly aggregationS: number;
  readonly seconds: number;
}

/**
 * A round's floor: `2 N` model-sized transfers at loopback gRPC throughput, plus one
 * aggregation pass over `N + 2` model-sized vectors at memory-copy bandwidth. Nothing else a
 * round does (signing, hashing, writing to disk, Redis, scheduling) is in it: the ratio of a
 * measured round to this is the orchestration's overhead.
 *
 * @throws SiloError ERR_BAD_INPUT for a throughput that is not positive.
 */
export function roundFloor(input: RoundFloorInput): RoundFloor {
  const { workers, params, grpcBytesPerS, copyBytesPerS } = input;
  if (!(grpcBytesPerS > 0) || !(copyBytesPerS > 0)) {
    throw new SiloError('ERR_BAD_INPUT', `throughputs must be positive: ${grpcBytesPerS}, ${copyBytesPerS}`);
  }
  const modelBytes = params * 4;
  const transferBytes = 2 * workers * modelBytes;
  const aggregationBytes = (workers + 2) * modelBytes;
  const transferS = transferBytes / grpcBytesPerS;
  const aggregationS = aggregationBytes / copyBytesPerS;
  return { transferBytes, aggregationBytes, transferS, aggregationS, seconds: transferS + aggregationS };
}

/** A closed round as the run view's history gives it. */
export interface ClosedRound {
  readonly round: number;
  /** From the round's opening to its close. */
  readonly durationMs: number;
  /** Unix ms of the close. */
  readonly closedAt: number;
}

/** Per-round times of a run, warm-up rounds left out. */
export interface RoundTimes {
  /** Each measured round's open-to-close time, in seconds. */
  readonly durationsS: readonly number[];
  /**
   * Close-to-close time of each measured round, in seconds: its duration plus the gap before it
   * opened. The first round of a run has no previous close: its period is its duration.
   */
  readonly periodsS: readonly number[];
}

/**
 * The times of the rounds after the first `warmupRounds`.
 *
 * @throws SiloError ERR_BAD_INPUT when rounds are missing or no round is left to measure.
 */
export function roundTimes(history: readonly ClosedRound[], warmupRounds: number): RoundTimes {
  const rounds = [...history].sort((a, b) => a.round - b.round);
  if (!Number.isSafeInteger(warmupRounds) || warmupRounds < 0 || rounds.length <= warmupRounds) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `${rounds.length} rounds closed; ${warmupRounds} are warm-up, and at least one must be left`,
    );
  }
  rounds.forEach((r, i) => {
    if (r.round !== i + 1) throw new SiloError('ERR_BAD_INPUT', `round ${i + 1} is missing from the history`);
  });
  const measured = rounds.slice(warmupRounds);
  return {
    durationsS: measured.map((r) => r.durationMs / 1000),
    periodsS: measured.map((r) => {
      const previous = rounds[r.round - 2];
      return (previous === undefined ? r.durationMs : r.closedAt - previous.closedAt) / 1000;
    }),
  };
}
