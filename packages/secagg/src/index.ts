export {
  type SecAggParams,
  MAX_NEIGHBOURS,
  checkParams,
  defaultNeighbours,
  defaultThreshold,
} from './params.js';
export { MIN_GRAPH_SEED_BYTES, neighbourGraph } from './graph.js';
export { SEED_BYTES, expandMask, applyMask, addInto } from './prg.js';
export { encodeInput, decodeSum, quantizationError } from './quantize.js';
export type { Advertisement, EncryptedShare, RevealRequest, Reveal } from './messages.js';
export { type SecAggClientOptions, SecAggClient } from './client.js';
export {
  type ReconstructedSecrets,
  type UnmaskOptions,
  reconstructSecrets,
  pairSeed,
  unmaskSum,
} from './server.js';
export { secureMean } from './mean.js';
