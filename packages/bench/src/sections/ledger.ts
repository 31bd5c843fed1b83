import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SiloError } from '@silo/common';
import { auditLedger } from '@silo/audit';
import { LedgerStore, signCheckpoint, verifyLedgerDir } from '@silo/ledger';
import {
  collectRunEntries,
  createFederation,
  writeRunLedger,
  type Federation,
  type RunLedger,
} from '../fixtures/federated-run.js';
import type { Figure, Section, SectionContext } from '../section.js';

/** Workers per round in the fixture run: each round is this many updates and one aggregate. */
const WORKERS = 20;

interface LedgerSizes {
  /** Entries appended per repetition of the append cases. */
  readonly appendEntries: number;
  /** Checkpoints timed per repetition. */
  readonly checkpoints: number;
  /** Pure checkpoint signatures timed per repetition. */
  readonly signatures: number;
  /** Entries of the audited ledger. */
  readonly auditEntries: number;
}

const FULL: LedgerSizes = { appendEntries: 10_000, checkpoints: 50, signatures: 2000, auditEntries: 100_000 };
const QUICK: LedgerSizes = { appendEntries: 2000, checkpoints: 10, signatures: 200, auditEntries: 10_000 };

/**
 * Measured passes of the deep audit: one pass over 100,000 entries takes minutes on a small
 * machine, and the whole default bench must stay within ~10 minutes. `--reps N` overrides.
 */
const DEEP_AUDIT_REPS = 1;

/** What an auditor reports, as far as the bench cares: the fixture must pass. */
interface AuditOutcome {
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** An offline auditor timed on the fixture ledger, as case `audit-<name>`. */
interface Auditor {
  readonly name: string;
  /** Measured repetitions at most, as the case option `maxReps`. */
  readonly maxReps?: number;
  /** Baselines (`section/case/figure`) its `throughput` and `time-per-entry` are compared to. */
  readonly ratioTo?: { readonly throughput: string; readonly timePerEntry: string };
  audit(ledger: RunLedger, federation: Federation): Promise<AuditOutcome>;
}

/**
 * The auditors timed on the fixture: `verify` is the Merkle and checkpoint check of
 * `@silo/ledger`; `deep` is `@silo/audit`, which also replays every entry, verifies every
 * manifest and recomputes every aggregate from the blobs. The deep audit verifies ~100,000
 * JWS signatures per pass, so it runs {@link DEEP_AUDIT_REPS} repetitions.
 */
const AUDITORS: readonly Auditor[] = [
  { name: 'verify', audit: (l, f) => verifyLedgerDir(l.dir, f.verifierKey, f.origin) },
  {
    name: 'deep',
    maxReps: DEEP_AUDIT_REPS,
    // How much slower than the Merkle check, and how much of it one manifest verification explains.
    ratioTo: {
      throughput: 'ledger/audit-verify/throughput',
      timePerEntry: 'signing/verify-manifest/time-per-op',
    },
    audit: async (l, f) => {
      const workers = f.workers.map((w) => w.publicJwk);
      const report = await auditLedger(l.dir, { coordinatorKey: f.verifierKey, origin: f.origin, workers });
      return { ok: report.ok, problems: report.problems.map((p) => `entry ${p.entry ?? '-'}: ${p.reason}`) };
    },
  },
];

const meanBytes = (entries: readonly Uint8Array[]): number =>
  Math.round(entries.reduce((sum, e) => sum + e.length, 0) / Math.max(1, entries.length));

/** Appends/s and MB/s of `entries` appended in `ms`. */
function appendFigures(entries: readonly Uint8Array[], ms: number, ratioTo?: string): Figure[] {
  const bytes = entries.reduce((sum, e) => sum + e.length, 0);
  return [
    {
      name: 'throughput',
      unit: 'entries/s',
      value: entries.length / (ms / 1000),
      ...(ratioTo === undefined ? {} : { ratioTo }),
    },
    { name: 'bandwidth', unit: 'MB/s', value: bytes / (ms / 1000) / 1e6 },
  ];
}

/**
 * Appends `entries` to a fresh store in `parent`, fsyncing every `syncEvery` entries (never
 * when undefined), and returns the wall time of the appends; opening, closing and removing the
 * store are not timed.
 */
async function timeAppends(
  parent: string,
  entries: readonly Uint8Array[],
  syncEvery?: number,
): Promise<number> {
  const dir = await mkdtemp(join(parent, 'append-'));
  const store = await LedgerStore.open(dir);
  try {
    const start = performance.now();
    for (const [i, entry] of entries.entries()) {
      await store.append(entry);
      if (syncEvery !== undefined && (i + 1) % syncEvery === 0) await store.sync();
    }
    return performance.now() - start;
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function defineAppendCases(ctx: SectionContext, entries: readonly Uint8Array[]): void {
  ctx.case('append', async () => appendFigures(entries, await timeAppends(ctx.workDir, entries)));
  ctx.case('append-sync-100', async () =>
    appendFigures(entries, await timeAppends(ctx.workDir, entries, 100), 'ledger/append/throughput'),
  );
}

/**
 * Checkpoint cost on a store of `base` entries: each timed checkpoint follows one round of
 * fresh entries, so its fsync has data to flush, as after a real round.
 */
async function defineCheckpointCases(
  ctx: SectionContext,
  federation: Federation,
  base: readonly Uint8Array[],
  sizes: LedgerSizes,
): Promise<void> {
  const store = await LedgerStore.open(join(ctx.workDir, 'checkpoints'));
  ctx.teardown(() => store.close());
  for (const entry of base) await store.append(entry);
  const round = base.slice(0, WORKERS + 1);
  const { origin, noteSigner } = federation;

  ctx.case('checkpoint', async () => {
    let ms = 0;
    for (let i = 0; i < sizes.checkpoints; i++) {
      for (const entry of round) await store.append(entry);
      const start = performance.now();
      await store.checkpoint(origin, noteSigner);
      ms += performance.now() - start;
    }
    return [{ name: 'time-per-checkpoint', unit: 'ms', value: ms / sizes.checkpoints, better: 'lower' }];
  });

  ctx.case('checkpoint-signature', () => {
    const tree = { origin, size: store.size, root: store.root() };
    const start = performance.now();
    for (let i = 0; i < sizes.signatures; i++) signCheckpoint(tree, noteSigner);
    const ms = performance.now() - start;
    const figure: Figure = {
      name: 'time-per-checkpoint',
      unit: 'ms',
      value: ms / sizes.signatures,
      better: 'lower',
      ratioTo: 'ledger/checkpoint/time-per-checkpoint',
    };
    return Promise.resolve([figure]);
  });
}

function defineAuditCases(ctx: SectionContext, federation: Federation, ledger: RunLedger): void {
  for (const auditor of AUDITORS) {
    ctx.case(
      `audit-${auditor.name}`,
      async () => {
        const start = performance.now();
        const outcome = await auditor.audit(ledger, federation);
        const ms = performance.now() - start;
        if (!outcome.ok) {
          throw new SiloError(
            'ERR_INTERNAL',
            `auditor ${auditor.name} rejects the fixture ledger: ${outcome.problems.slice(0, 3).join('; ')}`,
          );
        }
        const ratioTo = auditor.ratioTo;
        return [
          {
            name: 'throughput',
            unit: 'entries/s',
            value: ledger.entries / (ms / 1000),
            ...(ratioTo === undefined ? {} : { ratioTo: ratioTo.throughput }),
          },
          { name: 'time', unit: 's', value: ms / 1000, better: 'lower' },
          {
            name: 'time-per-entry',
            unit: 'us',
            value: (ms * 1000) / ledger.entries,
            better: 'lower',
            ...(ratioTo === undefined ? {} : { ratioTo: ratioTo.timePerEntry }),
          },
        ];
      },
      {
        trackMemory: true,
        ...(auditor.maxReps === undefined ? {} : { maxReps: auditor.maxReps, warmup: 0 }),
      },
    );
  }
}

/**
 * The tamper-evident ledger on disk: append throughput of realistic update entries, the cost
 * of a signed checkpoint, and how fast an auditor checks a whole run's ledger.
 */
export const ledgerSection: Section = {
  name: 'ledger',
  description: 'LedgerStore appends of ~1 KB update entries, checkpoint cost, offline audit of a run ledger',
  async define(ctx) {
    const sizes = ctx.quick ? QUICK : FULL;
    const federation = await createFederation(WORKERS);

    ctx.log(`building ${sizes.appendEntries} entries for the append cases`);
    const run = await collectRunEntries(federation, sizes.appendEntries);
    const entries = run.map((e) => e.bytes);
    const updates = run.filter((e) => e.type === 'update');
    ctx.fact('append-entries', entries.length);
    ctx.fact('append-update-entries', updates.length);
    ctx.fact('mean-entry-bytes', meanBytes(entries));
    ctx.fact('mean-update-entry-bytes', meanBytes(updates.map((e) => e.bytes)));
    defineAppendCases(ctx, entries);
    await defineCheckpointCases(ctx, federation, entries, sizes);

    // Built once per bench run, in the section's work directory; every audit repetition reads it.
    ctx.log(`writing a ${sizes.auditEntries}-entry run ledger for the audit cases`);
    const ledger = await writeRunLedger(federation, join(ctx.workDir, 'audit-ledger'), sizes.auditEntries);
    ctx.log(`ledger written in ${(ledger.buildMs / 1000).toFixed(1)} s`);
    ctx.fact('audit-ledger-entries', ledger.entries);
    ctx.fact('audit-ledger-checkpoints', ledger.checkpoints);
    ctx.fact('audit-ledger-blobs', ledger.blobs);
    ctx.fact('audit-ledger-mb', Math.round(ledger.entryBytes / 1e5) / 10);
    ctx.fact('audit-ledger-build-s', Math.round(ledger.buildMs / 100) / 10);
    ctx.fact('audit-ledger-signing-s', Math.round(ledger.timings.signMs / 100) / 10);
    defineAuditCases(ctx, federation, ledger);
  },
};
