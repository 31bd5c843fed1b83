import { join } from 'node:path';
import { SiloError } from '@silo/common';
import {
  ENTRIES_FILE,
  MerkleTree,
  leafHash,
  parseVerifierKey,
  verifyLedgerDir,
  type VerifierKey,
} from '@silo/ledger';
import { keyIdOf, parsePublicJwk, type PublicJwk } from '@silo/signing';
import { fileLedgerAudit } from './checkpoint-findings.js';
import { readCheckpointRecords } from './ledger-view.js';
import { RecordReader } from './record-reader.js';
import { LedgerReplay } from './replay.js';
import { ReportBuilder, type AuditFinding, type AuditReport } from './report.js';

/** Blobs directory inside a ledger directory, unless {@link AuditOptions.blobsDir} says otherwise. */
export const BLOBS_DIR = 'blobs';

/** Options of {@link auditLedger}. */
export interface AuditOptions {
  /** The coordinator's verifier key in signed-note form, `name+hash+base64key`. */
  readonly coordinatorKey: string;
  /** Origin line every checkpoint must carry. Default: the verifier key's name. */
  readonly origin?: string;
  /**
   * Worker keys the auditor trusts, from outside the ledger. Default: the keys the ledger itself
   * enrolls, with a warning saying so.
   */
  readonly workers?: readonly PublicJwk[];
  /** Directory of `<sha256 hex>` blobs. Default: `<dir>/blobs`. */
  readonly blobsDir?: string;
  /** Called after each entry is checked, with entries done and the total. Default: nothing. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** {@link AuditOptions} checked once and defaulted. */
interface AuditSettings {
  readonly key: VerifierKey;
  readonly origin: string;
  readonly coordinatorJwk: PublicJwk;
  readonly coordinatorKeyId: string;
  readonly trustedKeyIds: ReadonlySet<string> | undefined;
  readonly blobsDir: string;
}

/**
 * Audits a ledger directory end to end, offline and without changing it: everything
 * `verifyLedgerDir` checks (Merkle tree, signed checkpoints, consistency), then every entry in
 * order: schema, key history, update signatures against the keys enrolled at the time, update
 * fields against their manifests, nonce and slot reuse, aggregate signatures and contents, each
 * aggregate recomputed from the blobs bit for bit, and how each run ended.
 *
 * Everything wrong with the ledger is reported in the result, never thrown, and anything that
 * cannot be read counts as a problem. A damaged record after every signed entry, which a crash
 * mid-append leaves, is a warning, so such a ledger can still be `ok`.
 *
 * @throws SiloError ERR_BAD_INPUT for a malformed coordinator key or worker JWK; ERR_NOT_FOUND
 *   when `dir` is not a directory; ERR_INTERNAL when a ledger file exists but cannot be read.
 */
export async function auditLedger(dir: string, options: AuditOptions): Promise<AuditReport> {
  const settings = await compileOptions(dir, options);
  const ledger = await verifyLedgerDir(dir, options.coordinatorKey, settings.origin);
  const checkpoints = await readCheckpointRecords(dir, settings);
  const report = new ReportBuilder();
  const replay = new LedgerReplay({ report, ...settings });
  const tree = new MerkleTree();

  const reader = await RecordReader.open(join(dir, ENTRIES_FILE));
  try {
    for (let bytes = await reader.next(); bytes !== undefined; bytes = await reader.next()) {
      const index = tree.append(leafHash(bytes));
      await replay.entry(index, bytes);
      options.onProgress?.(index + 1, ledger.size);
    }
  } finally {
    await reader.close();
  }
  await replay.finish();

  fileLedgerAudit(report, ledger, { tree, checkpoints, tail: reader.tail });
  if (reader.count !== ledger.size) {
    report.problem({
      check: 'checkpoints',
      code: 'ERR_LEDGER_CORRUPT',
      reason: `${ENTRIES_FILE} held ${ledger.size} entries, then ${reader.count}: it changed during the audit`,
    });
  }
  if (settings.trustedKeyIds === undefined) {
    report.warn({
      check: 'keys',
      code: 'WARN_KEYS_FROM_LEDGER',
      reason: 'no trusted worker keys were given: the worker keys were taken from the ledger itself',
    });
  }
  return {
    ok: report.problems.length === 0,
    origin: settings.origin,
    coordinatorKeyId: settings.coordinatorKeyId,
    entries: reader.count,
    checkpoints: ledger.checkpoints,
    verifiedSize: ledger.verifiedSize ?? 0,
    checks: report.checks(),
    rejections: replay.rejections(),
    runs: replay.runs(),
    problems: inLedgerOrder(report.problems),
    warnings: inLedgerOrder(report.warnings),
  };
}

async function compileOptions(dir: string, options: AuditOptions): Promise<AuditSettings> {
  const key = parseVerifierKey(options.coordinatorKey);
  const coordinatorJwk: PublicJwk = {
    kty: 'OKP',
    crv: 'Ed25519',
    x: Buffer.from(key.publicKeyRaw).toString('base64url'),
  };
  let trustedKeyIds: Set<string> | undefined;
  if (options.workers !== undefined) {
    trustedKeyIds = new Set();
    for (const [i, jwk] of options.workers.entries()) {
      try {
        trustedKeyIds.add(await keyIdOf(parsePublicJwk(jwk)));
      } catch (err) {
        throw new SiloError('ERR_BAD_INPUT', `trusted worker key ${i}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  }
  return {
    key,
    origin: options.origin ?? key.name,
    coordinatorJwk,
    coordinatorKeyId: await keyIdOf(coordinatorJwk),
    trustedKeyIds,
    blobsDir: options.blobsDir ?? join(dir, BLOBS_DIR),
  };
}

/** Ledger-wide findings first, then by entry; the order found is kept among equals. */
function inLedgerOrder<T extends Pick<AuditFinding, 'entry'>>(findings: readonly T[]): T[] {
  return [...findings].sort((a, b) => (a.entry ?? -1) - (b.entry ?? -1));
}
