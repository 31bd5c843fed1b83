export { DEFAULT_ORDERS, rdpSampledGaussian } from './rdp-sampled-gaussian.js';
export { type EpsilonAtOrder, type RdpConversion, epsilonFromRdp } from './rdp-conversion.js';
export { type PrivacyAccountantOptions, PrivacyAccountant } from './privacy-accountant.js';
export { gaussianNoise, addGaussianNoise } from './gaussian-noise.js';
export {
  type DpConfig,
  type DpConfigInput,
  dpConfigSchema,
  parseDpConfig,
  noiseStdForSum,
} from './dp-fedavg.js';
export {
  type DpUpdate,
  type DpMeanOptions,
  type DpRoundParameters,
  type WorkerPrivacy,
  dpMeanDelta,
  privatizeDelta,
  epsilonOfRounds,
} from './dp-round.js';
