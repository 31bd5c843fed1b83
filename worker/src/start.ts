import { createLogger, loadConfigFile, type Logger } from '@silo/common';
import { loadDataSource } from '@silo/data';
import { initBackend } from '@silo/model';
import { loadSigningKey } from '@silo/signing';
import { workerConfigSchema } from './config.js';
import { Trainer } from './trainer.js';
import { Worker } from './worker.js';

/** Loads a worker configuration file, its key and data, chooses the tfjs backend, and starts. */
export async function startWorkerFromConfig(path: string, logger?: Logger): Promise<Worker> {
  const config = await loadConfigFile(workerConfigSchema, path);
  const log = logger ?? createLogger({ name: `worker:${config.name}` });
  const key = await loadSigningKey(config.keyFile);
  const backend = await initBackend(config.backend);
  const data = await loadDataSource(config.data);
  log.info({ backend, keyId: key.keyId, examples: data.size }, `training on tfjs backend ${backend}`);
  const worker = new Worker({
    coordinator: config.coordinator,
    name: config.name,
    key,
    trainer: new Trainer(data),
    backend,
    logger: log,
    initialDelayMs: config.reconnect.initialDelayMs,
    maxDelayMs: config.reconnect.maxDelayMs,
    maxModelBytes: config.maxModelBytes,
  });
  worker.start();
  return worker;
}
