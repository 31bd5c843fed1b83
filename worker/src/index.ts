export { Worker, backoffDelay, type WorkerEvents, type WorkerOptions } from './worker.js';
export { Trainer, type LocalTraining } from './trainer.js';
export { fetchModel, uploadUpdate, type FetchedModel } from './transfer.js';
export { workerConfigSchema, type WorkerConfig } from './config.js';
export { startWorkerFromConfig } from './start.js';
