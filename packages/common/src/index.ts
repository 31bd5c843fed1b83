export {
  SiloError,
  SILO_ERROR_CODES,
  isSiloErrorCode,
  toSiloError,
  grpcStatusOf,
  httpStatusOf,
  type SiloErrorCode,
} from './errors.js';
export { parseConfig, validateConfig, loadConfigFile } from './config.js';
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { createRng } from './random.js';
export {
  PLAINTEXT_FEDERATION_WARNING,
  federationSecurity,
  federationTlsMaterial,
  federationSecurityProblem,
  forcingInsecure,
  loadTlsFiles,
  tlsFilesSchema,
  type FederationSecurity,
  type FederationSecurityConfig,
  type TlsFiles,
  type TlsMaterial,
} from './federation-tls.js';
