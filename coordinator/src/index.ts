export { Coordinator, type CoordinatorEvents, type CoordinatorOptions, type RunView } from './coordinator.js';
export {
  coordinatorConfigSchema,
  runConfigSchema,
  type CoordinatorConfig,
  type RunConfig,
} from './config.js';
export {
  CONTROL_PLANE_AUDIENCE,
  DEFAULT_TOKEN_TTL,
  MAX_TOKEN_TTL_MS,
  ROLES,
  mintControlToken,
  parseControlClaims,
  parseRole,
  parseSubject,
  parseTtl,
  verifyControlToken,
  type ControlTokenClaims,
  type MintOptions,
  type Principal,
  type Role,
} from './control-tokens.js';
export type { RoundSummary, RunRecord, AcceptedUpdate, RejectedUpdate } from './state.js';
export { checkRedisDurability, type RedisDurability } from './redis-check.js';
export { federationServerCredentials } from './tls.js';
export { DiskBlobStore, type BlobStore } from './blob-store.js';
export { streamingFedAvg, type StoredUpdate } from './streaming-aggregate.js';
export { summarizeEvaluation, type FederatedEvaluation } from './evaluations.js';
export { type ModelCard, modelCard, modelCardMarkdown } from './model-card.js';
