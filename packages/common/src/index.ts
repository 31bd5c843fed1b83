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
