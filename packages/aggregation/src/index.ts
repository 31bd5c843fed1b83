export {
  type ClientUpdate,
  type AggregateResult,
  type Strategy,
  type UpdateCountRule,
  createStrategy,
  validateForRound,
} from './strategy.js';
export {
  type StrategyConfig,
  type StrategyConfigInput,
  type StrategyName,
  STRATEGY_NAMES,
  parseStrategyConfig,
  strategyConfigSchema,
} from './config.js';
export { type StrategyState, encodeState, decodeState } from './state.js';
export { FedAvg } from './fedavg.js';
export { FedAvgM } from './fedavgm.js';
export { FedProx, proximalTerm, proximalGradient } from './fedprox.js';
export { FedAdam } from './fedadam.js';
export { FedYogi } from './fedyogi.js';
export { FedAdagrad } from './fedadagrad.js';
export { CoordinateMedian } from './median.js';
export { TrimmedMean } from './trimmed-mean.js';
export { Krum } from './krum.js';
export { MultiKrum } from './multi-krum.js';
export { Bulyan } from './bulyan.js';
export { NormClipping, clipDelta } from './clipping.js';
export { WeightedMeanAccumulator, addWeightedInto } from './weighted-mean.js';
