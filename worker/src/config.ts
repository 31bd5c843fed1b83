import { z } from 'zod';

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
  z
    .object({
      kind: z.literal('csv'),
      path: z.string().min(1),
      labelColumn: z.string().min(1),
      featureColumns: z.array(z.string()).optional(),
    })
    .strict(),
]);

/** A worker's one configuration file. */
export const workerConfigSchema = z
  .object({
    /** Name shown to the coordinator's operators. */
    name: z.string().min(1).max(200),
    /** `host:port` of the coordinator's federation plane. The worker only ever dials out. */
    coordinator: z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port'),
    /** Private Ed25519 JWK file (mode 0600), from `silo keys generate`. */
    keyFile: z.string().min(1),
    /** The owner's local data. */
    data: dataSchema,
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
  })
  .strict();

/** A validated, defaulted worker configuration. */
export type WorkerConfig = z.output<typeof workerConfigSchema>;
