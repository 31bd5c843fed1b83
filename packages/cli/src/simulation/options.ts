import { availableParallelism } from 'node:os';
import { parseStrategyConfig, validateForRound, type StrategyConfig } from '@silo/aggregation';
import { SiloError } from '@silo/common';
import { parseAttack, type Attack, type Heterogeneity } from '@silo/worker';

/** The options the checks below read, as `silo simulate` parses them. */
export interface SimulationChoices {
  workers: number;
  seed: number;
  processes?: number;
  attackers?: number;
  attack?: string;
  strategy?: string;
  strategyParam?: string[];
  sample?: string;
  minUpdates?: string;
  speedSpread?: number;
  dropout?: number;
  dpNoise?: number;
  dpClip?: number;
  dpDelta?: number;
  dpMode?: string;
  dpMaxEpsilon?: number;
  /** Secure aggregation: on, and its clip range, bits, neighbours and threshold. */
  secureAgg?: boolean;
  secureClip?: number;
  secureBits?: number;
  secureNeighbours?: number;
  secureThreshold?: number;
}

/** The attack and strategy of a simulation, checked before anything starts. */
export interface Adversary {
  attackers: number;
  attack: Attack | undefined;
  strategy: StrategyConfig;
}

/**
 * Checks `--attackers/--attack/--strategy/--strategy-param` against each other and the worker
 * count, so a mistake fails before Redis and the processes start.
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming the value at fault.
 */
export function parseAdversary(options: SimulationChoices): Adversary {
  const attackers = options.attackers ?? 0;
  if (!Number.isSafeInteger(attackers) || attackers < 0 || attackers > options.workers) {
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `--attackers must be 0 … ${options.workers} (the workers), got ${attackers}`,
    );
  }
  const attack = options.attack === undefined ? undefined : parseAttack(options.attack);
  if (attackers > 0 !== (attack !== undefined)) {
    throw new SiloError('ERR_BAD_CONFIG', '--attackers F (F ≥ 1) and --attack MODE go together');
  }
  const params: Record<string, number> = {};
  for (const pair of options.strategyParam ?? []) {
    const match = /^([A-Za-z]\w*)=(.+)$/.exec(pair);
    const value = Number(match?.[2]);
    if (match === null || !Number.isFinite(value)) {
      throw new SiloError(
        'ERR_BAD_CONFIG',
        `--strategy-param must be name=number, got ${JSON.stringify(pair)}`,
      );
    }
    params[match[1]!] = value;
  }
  const strategy = parseStrategyConfig({ ...params, name: options.strategy ?? 'fedavg' });
  validateForRound(strategy, options.workers);
  return { attackers, attack, strategy };
}

/** `krum (f=3)`, `fedavg`. */
export function describeStrategy(strategy: StrategyConfig): string {
  const params = Object.entries(strategy)
    .filter(([key]) => key !== 'name')
    .map(([key, value]) => `${key}=${String(value)}`);
  return params.length === 0 ? strategy.name : `${strategy.name} (${params.join(', ')})`;
}

/** A count (`'100'`) as a number, a share (`'10%'`) as it is; the coordinator validates both. */
function countOrShare(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  return /^\d+$/.test(text) ? Number(text) : text;
}

/**
 * The run's `workersPerRound`, `minUpdates` and `privacy` from `--sample`, `--min-updates` and
 * `--dp-*`; the coordinator validates them with the rest of the run config.
 *
 * @throws SiloError `ERR_BAD_CONFIG` when only one of `--dp-noise` and `--dp-clip` is given.
 */
export function quorumAndPrivacy(options: SimulationChoices): Record<string, unknown> {
  const sample = countOrShare(options.sample);
  const minUpdates = countOrShare(options.minUpdates);
  const quorum = {
    ...(sample === undefined ? {} : { workersPerRound: sample }),
    ...(minUpdates === undefined ? {} : { minUpdates }),
  };
  if (options.dpNoise === undefined && options.dpClip === undefined) return quorum;
  if (options.dpNoise === undefined || options.dpClip === undefined)
    throw new SiloError('ERR_BAD_CONFIG', '--dp-noise Z and --dp-clip C go together');
  return {
    ...quorum,
    privacy: {
      noiseMultiplier: options.dpNoise,
      clipNorm: options.dpClip,
      delta: options.dpDelta ?? 1e-5,
      mode: options.dpMode ?? 'central',
      ...(options.dpMaxEpsilon === undefined ? {} : { maxEpsilon: options.dpMaxEpsilon }),
    },
  };
}

/**
 * The run's `secureAggregation` from `--secure-agg` and `--secure-*`; nothing without
 * `--secure-agg`. The coordinator checks the parameters against the run's size.
 *
 * @throws SiloError `ERR_BAD_CONFIG` when a `--secure-*` setting is given without `--secure-agg`.
 */
export function secureAggregationOf(options: SimulationChoices): Record<string, unknown> {
  const { secureClip, secureBits, secureNeighbours, secureThreshold } = options;
  const any = [secureClip, secureBits, secureNeighbours, secureThreshold].some((v) => v !== undefined);
  if (options.secureAgg !== true) {
    if (any)
      throw new SiloError('ERR_BAD_CONFIG', '--secure-clip/-bits/-neighbours/-threshold need --secure-agg');
    return {};
  }
  return {
    secureAggregation: {
      clipRange: secureClip ?? 1,
      ...(secureBits === undefined ? {} : { quantizationBits: secureBits }),
      ...(secureNeighbours === undefined ? {} : { neighbours: secureNeighbours }),
      ...(secureThreshold === undefined ? {} : { threshold: secureThreshold }),
    },
  };
}

/**
 * Workers sampled per round out of `online`, as the coordinator resolves `workersPerRound`: a
 * count, or a share rounded up; at least 1, at most all.
 */
export function sampleSize(sample: string | undefined, online: number): number {
  const spec = countOrShare(sample);
  if (spec === undefined) return online;
  const n = typeof spec === 'number' ? spec : Math.ceil((online * Number.parseFloat(spec)) / 100);
  return Math.max(Math.min(n, online), Math.min(1, online));
}

/**
 * Worker processes hosting the workers: `--processes`, or one per core; never more than workers.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for a count below 1.
 */
export function processCount(options: SimulationChoices): number {
  const asked = options.processes ?? availableParallelism();
  if (!Number.isSafeInteger(asked) || asked < 1)
    throw new SiloError('ERR_BAD_CONFIG', `--processes must be at least 1, got ${asked}`);
  return Math.min(asked, options.workers);
}

/**
 * The workers' speed spread and dropout probability, seeded with the simulation's seed.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for a spread below 0 or a probability outside [0, 1).
 */
export function heterogeneity(options: SimulationChoices): Heterogeneity {
  const speedSpread = options.speedSpread ?? 0;
  const dropout = options.dropout ?? 0;
  if (!(Number.isFinite(speedSpread) && speedSpread >= 0 && speedSpread <= 1000))
    throw new SiloError('ERR_BAD_CONFIG', `--speed-spread must be 0 … 1000, got ${speedSpread}`);
  if (!(dropout >= 0 && dropout < 1))
    throw new SiloError('ERR_BAD_CONFIG', `--dropout must be a probability in [0, 1), got ${dropout}`);
  return { seed: options.seed, speedSpread, dropout };
}
