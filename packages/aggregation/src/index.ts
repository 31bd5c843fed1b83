export {
  type ClientUpdate,
  type AggregateResult,
  type Strategy,
  type StrategyConfig,
  createStrategy,
} from './strategy.js';
export { FedAvg } from './fedavg.js';
export { WeightedMeanAccumulator } from './weighted-mean.js';
