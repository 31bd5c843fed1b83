import { z } from 'zod';
import { policySchema } from './policy.js';
import { parseVerifierKey } from '@silo/ledger';
import { federationSecurityProblem, tlsFilesSchema } from '@silo/common';
import { parseAttack } from './attack.js';
import { DEFAULT_NORMALIZATION, DEFAULT_POSTGRES_BATCH_SIZE, NORMALIZATIONS } from '@silo/data';

/** Column options of the csv and postgres sources (`TabularOptions` of @silo/data). */
const tabularFields = {
  labelColumn: z.string().min(1),
  /** Default: every column but the label. */
  featureColumns: z.array(z.string().min(1)).min(1).optional(),
  /** Feature columns one-hot encoded over their sorted local categories. */
  categorical: z.array(z.string().min(1)).optional(),
  normalize: z.enum(NORMALIZATIONS).default(DEFAULT_NORMALIZATION),
  /** true: labels must be integers ≥ 0, used as class ids; false: sorted labels numbered from 0. */
  labelsAreClassIds: z.boolean().optional(),
};

const dataSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('mnist'),
      partition: z.string().default('iid'),
      parts: z.number().int().min(1),
      index: z.number().int().min(0),
      seed: z.number().int().min(0).default(0),
      trainSize: z.number().int().min(1).max(10_000).default(8000),
    })
    .strict(),
  /** Simulation: a share of the seeded synthetic tabular problem (50 features, 10 classes). */
  z
    .object({
      kind: z.literal('synthetic-tabular'),
      partition: z.string().default('iid'),
      parts: z.number().int().min(1),
      index: z.number().int().min(0),
      seed: z.number().int().min(0).max(0xffff_ffff).default(0),
      trainSize: z.number().int().min(1).max(10_000_000).default(8000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('csv'),
      path: z.string().min(1),
      ...tabularFields,
    })
    .strict(),
  z
    .object({
      kind: z.literal('postgres'),
      /** libpq-style URL; keep the password in `passwordFile`, not here. */
      connectionString: z.string().min(1),
      passwordFile: z.string().min(1).optional(),
      /** A SELECT, run on the owner's server in a read-only transaction. */
      query: z.string().min(1),
      /** Rows fetched per round trip through a server-side cursor. */
      batchSize: z.number().int().min(1).default(DEFAULT_POSTGRES_BATCH_SIZE),
      ...tabularFields,
    })
    .strict(),
]);

/** A C2SP note verifier key, checked here so a bad key fails at load naming the field. */
const verifierKeyText = z.string().superRefine((text, ctx) => {
  try {
    parseVerifierKey(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a note verifier key: ${(err as Error).message}` });
  }
});

/** An attack as `parseAttack` reads it, checked at load so a typo fails naming the value. */
const attackText = z.string().transform((text, ctx) => {
  try {
    return parseAttack(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** A worker's one configuration file. */
export const workerConfigSchema = z
  .object({
    /** Name shown to the coordinator's operators. */
    name: z.string().min(1).max(200),
    /** `host:port` of the coordinator's federation plane. The worker only ever dials out. */
    coordinator: z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port'),
    /**
     * mTLS to the coordinator: `ca` pins the deployment CA (only a coordinator with a certificate
     * from it, for the host named in `coordinator`, is accepted); `cert` and `key` are this
     * worker's client certificate (`silo certs init`). Required unless `insecure: true`.
     */
    tls: tlsFilesSchema.optional(),
    /** Plain-text federation plane, for a trusted network only; logs a warning at start. */
    insecure: z.boolean().optional(),
    /** Private Ed25519 JWK file (mode 0600), from `silo keys generate`. */
    keyFile: z.string().min(1),
    /** The owner's local data. */
    data: dataSchema,
    /**
     * Share of the local examples held out from training, in [0, 0.5]: a seeded random subset
     * never trained on, on which the worker evaluates checkpoints when the coordinator asks
     * (federated evaluation); only the resulting loss and accuracy are sent. Default 0 (none).
     */
    holdout: z.number().min(0).max(0.5).default(0),
    /** tfjs backend to prefer; default: tensorflow, then wasm, then cpu. */
    backend: z.enum(['tensorflow', 'wasm', 'cpu']).optional(),
    reconnect: z
      .object({
        initialDelayMs: z.number().int().min(10).default(500),
        maxDelayMs: z.number().int().min(100).default(30_000),
      })
      .strict()
      .default({ initialDelayMs: 500, maxDelayMs: 30_000 }),
    /** Largest global model accepted, in bytes. */
    maxModelBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024 * 1024),
    /**
     * Directory of the worker's own records: `egress.log`, every message sent to the coordinator
     * and every ledger receipt received. Created with mode 0700. Default `.silo/worker`.
     */
    stateDir: z.string().min(1).default('.silo/worker'),
    /**
     * The coordinator's key, pinned: its verifier key text `name+hash+key` (the coordinator's
     * `ledger-verifier.key`, from its operator by a channel other than the coordinator itself).
     * Only instructions it signed are acted on, and ledger receipts are checked against it.
     */
    coordinatorKey: verifierKeyText.optional(),
    /** What the owner allows this worker to do; instructions outside it are declined. */
    policy: policySchema.default({}),
    /** Origin line of the coordinator's checkpoints; default the verifier key's name. */
    ledgerOrigin: z.string().min(1).optional(),
    receipts: z
      .object({
        /** Give up on a ledger receipt this long after the update was accepted. */
        giveUpMs: z
          .number()
          .int()
          .min(1_000)
          .default(30 * 60_000),
        /** First retry delay while the coordinator has no checkpoint covering the update. */
        initialDelayMs: z.number().int().min(10).default(1_000),
        /**
         * Longest wait between receipt requests, and before the first one: the worker asks once
         * the update's round has closed, or when this much time has passed, whichever is first.
         */
        maxDelayMs: z.number().int().min(100).default(60_000),
      })
      .strict()
      .default({ giveUpMs: 30 * 60_000, initialDelayMs: 1_000, maxDelayMs: 60_000 }),
    /**
     * SIMULATION AND TESTING ONLY: makes this worker malicious (`sign-flip`, `scale:K`,
     * `gaussian:SIGMA` or `label-flip`); it corrupts every update after training and signs it
     * validly. `silo simulate --attackers F --attack MODE` sets it on the first F workers, to see
     * how a strategy copes. Never set it on a real worker.
     */
    attack: attackText.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const problem = federationSecurityProblem(config);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['tls'], message: problem });
    // Fail closed: over TLS, instructions are acted on only when the coordinator key is pinned.
    if (config.insecure !== true && config.coordinatorKey === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['coordinatorKey'],
        message:
          "pin the coordinator's key (its ledger-verifier.key) so only instructions it signed are acted on",
      });
    }
  });

/** A validated, defaulted worker configuration. */
export type WorkerConfig = z.output<typeof workerConfigSchema>;
