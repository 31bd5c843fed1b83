import { createLogger, forcingInsecure, loadConfigFile, type Logger } from '@silo/common';
import { holdOut, loadDataSource } from '@silo/data';
import { parseVerifierKey } from '@silo/ledger';
import { initBackend } from '@silo/model';
import { loadSigningKey } from '@silo/signing';
import { workerConfigSchema, type WorkerConfig } from './config.js';
import { EgressLog } from './egress-log.js';
import { egressLogPath, ensureStateDir } from './state-dir.js';
import { federationChannelCredentials } from './tls.js';
import { Trainer } from './trainer.js';
import { Worker } from './worker.js';

/** Options of {@link startWorkerFromConfig} that override the configuration file. */
export interface StartWorkerOptions {
  /** Plain-text federation plane whatever the file says (`silo worker start --insecure`). */
  insecure?: boolean;
}

/**
 * Loads a worker configuration file, its TLS files, key and data, opens the state directory and
 * its egress log (cutting and reporting a torn last line), chooses the tfjs backend, and starts.
 */
/** Seed of the held-out split: fixed, so a restarted worker holds out the same examples. */
const HOLDOUT_SEED = 0x51e0;

export async function startWorkerFromConfig(
  path: string,
  logger?: Logger,
  options: StartWorkerOptions = {},
): Promise<Worker> {
  const schema = options.insecure === true ? forcingInsecure(workerConfigSchema) : workerConfigSchema;
  const config = await loadConfigFile(schema, path);
  const log = logger ?? createLogger({ name: `worker:${config.name}` });
  const credentials = await federationChannelCredentials(config, log);
  const egressLog = await openEgressLog(config, log);
  try {
    const key = await loadSigningKey(config.keyFile);
    const backend = await initBackend(config.backend);
    const { train: data, heldOut } = holdOut(await loadDataSource(config.data), config.holdout, HOLDOUT_SEED);
    log.info(
      { backend, keyId: key.keyId, examples: data.size, heldOut: heldOut?.size ?? 0 },
      `training on tfjs backend ${backend}`,
    );
    const coordinatorKey =
      config.coordinatorKey === undefined ? undefined : parseVerifierKey(config.coordinatorKey);
    if (coordinatorKey === undefined)
      log.warn(
        'no coordinatorKey pinned: instructions are not checked and ledger receipts are kept unverified',
      );
    const worker = new Worker({
      coordinator: config.coordinator,
      credentials,
      name: config.name,
      key,
      trainer: new Trainer(data, heldOut),
      backend,
      logger: log,
      initialDelayMs: config.reconnect.initialDelayMs,
      maxDelayMs: config.reconnect.maxDelayMs,
      maxModelBytes: config.maxModelBytes,
      coordinatorKey,
      policy: config.policy,
      attack: config.attack,
      records: {
        log: egressLog,
        ledgerKey: coordinatorKey,
        ledgerOrigin: config.ledgerOrigin,
        receiptGiveUpMs: config.receipts.giveUpMs,
        receiptInitialDelayMs: config.receipts.initialDelayMs,
        receiptMaxDelayMs: config.receipts.maxDelayMs,
      },
    });
    worker.start();
    return worker;
  } catch (err) {
    await egressLog.close();
    throw err;
  }
}

/** Opens the egress log in the state directory, reporting what was wrong with it at open. */
async function openEgressLog(config: WorkerConfig, log: Logger): Promise<EgressLog> {
  await ensureStateDir(config.stateDir);
  const path = egressLogPath(config.stateDir);
  const egressLog = await EgressLog.open(path, {
    onTruncate: (cut) =>
      log.warn(
        { path, cutBytes: cut.cutBytes, reason: cut.reason },
        'egress log had a torn last line (a crash mid-write); it was cut and the cut recorded',
      ),
  });
  // Earlier damage is kept as it is (it is evidence); new records chain on from the last line.
  for (const problem of egressLog.recovered.problems.filter((p) => p.kind !== 'torn-tail'))
    log.error({ path, line: problem.line, kind: problem.kind }, `egress log: ${problem.message}`);
  return egressLog;
}
