export { Coordinator, type CoordinatorEvents, type CoordinatorOptions, type RunView } from './coordinator.js';
export {
  coordinatorConfigSchema,
  runConfigSchema,
  type CoordinatorConfig,
  type RunConfig,
} from './config.js';
export type { RoundSummary, RunRecord, AcceptedUpdate, RejectedUpdate } from './state.js';
export { checkRedisDurability, type RedisDurability } from './redis-check.js';
