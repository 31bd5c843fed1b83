import { z } from 'zod';
import { SiloError, validateConfig } from '@silo/common';

/** Byzantine updates a robust rule is sized to tolerate; a threat-model choice, so it has no default. */
const byzantineCount = z.number().int().min(0).max(1_000_000);

/**
 * Fields every strategy accepts.
 *
 * `clipNorm`: scale each update's delta to an L2 norm of at most this before the strategy sees
 * it (see `NormClipping`). Default: no clipping.
 */
const common = { clipNorm: z.number().positive().optional() };

/**
 * Parameters of the server optimizers of Reddi et al. (2021), "Adaptive Federated Optimization":
 * `serverLearningRate` (η, default 0.01; tune it), `beta1` (β₁, first-moment decay, default 0.9),
 * `beta2` (β₂, second-moment decay, default 0.99; unused by FedAdagrad) and `tau` (τ, the
 * adaptivity floor, default 10⁻³, the value the paper found to work across tasks).
 */
const adaptive = {
  serverLearningRate: z.number().positive().default(0.01),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.99),
  tau: z.number().positive().default(1e-3),
  ...common,
};

/**
 * Which aggregation strategy a run uses and its parameters, as written in a run's config and
 * recorded in the ledger. Unknown fields are refused, so a misspelt parameter cannot silently
 * fall back to its default.
 *
 * | name | parameters (default) |
 * |---|---|
 * | `fedavg` | none |
 * | `fedavgm` | `serverLearningRate` η (1), `serverMomentum` β (0.9) |
 * | `fedprox` | `mu` μ (0.01), applied by workers; aggregation is FedAvg's |
 * | `fedadam`, `fedyogi`, `fedadagrad` | `serverLearningRate` η (0.01), `beta1` (0.9), `beta2` (0.99), `tau` (0.001) |
 * | `median` | none |
 * | `trimmed-mean` | `beta` (0.1): fraction trimmed from each end, in [0, 0.5) |
 * | `krum` | `f` (required): Byzantine updates tolerated |
 * | `multi-krum` | `f` (required), `m` (n − f): updates averaged |
 * | `bulyan` | `f` (required) |
 *
 * Every strategy also takes `clipNorm` (no default: no clipping).
 */
export const strategyConfigSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('fedavg'), ...common }),
  z.strictObject({
    name: z.literal('fedavgm'),
    serverLearningRate: z.number().positive().default(1),
    serverMomentum: z.number().min(0).lt(1).default(0.9),
    ...common,
  }),
  z.strictObject({ name: z.literal('fedprox'), mu: z.number().min(0).default(0.01), ...common }),
  z.strictObject({ name: z.literal('fedadam'), ...adaptive }),
  z.strictObject({ name: z.literal('fedyogi'), ...adaptive }),
  z.strictObject({ name: z.literal('fedadagrad'), ...adaptive }),
  z.strictObject({ name: z.literal('median'), ...common }),
  z.strictObject({
    name: z.literal('trimmed-mean'),
    beta: z.number().min(0).lt(0.5).default(0.1),
    ...common,
  }),
  z.strictObject({ name: z.literal('krum'), f: byzantineCount, ...common }),
  z.strictObject({
    name: z.literal('multi-krum'),
    f: byzantineCount,
    m: z.number().int().min(1).max(1_000_000).optional(),
    ...common,
  }),
  z.strictObject({ name: z.literal('bulyan'), f: byzantineCount, ...common }),
]);

/** A validated strategy config with every default filled in: what the ledger should record. */
export type StrategyConfig = z.output<typeof strategyConfigSchema>;

/** A strategy config as written, before defaults are filled in. */
export type StrategyConfigInput = z.input<typeof strategyConfigSchema>;

/** The name of a strategy. */
export type StrategyName = StrategyConfig['name'];

/** The validated config of the strategy called `N`. */
export type ConfigOf<N extends StrategyName> = Extract<StrategyConfig, { name: N }>;

/** Parameters of the strategy called `N` as a constructor takes them: the config without `name` and `clipNorm`. */
export type OptionsOf<N extends StrategyName> = Omit<
  Extract<StrategyConfigInput, { name: N }>,
  'name' | 'clipNorm'
>;

/** Every strategy name, in the order of {@link strategyConfigSchema}. */
export const STRATEGY_NAMES: readonly StrategyName[] = strategyConfigSchema.options.map(
  (option) => option.shape.name.value,
);

/**
 * Validates a strategy config and fills in its defaults.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for a missing or unknown name (listing the known ones) or a
 *   bad parameter (naming it).
 */
export function parseStrategyConfig(raw: unknown): StrategyConfig {
  const name: unknown =
    typeof raw === 'object' && raw !== null ? (raw as { name?: unknown }).name : undefined;
  if (typeof name !== 'string' || !(STRATEGY_NAMES as readonly string[]).includes(name)) {
    const shown = typeof name === 'string' ? `'${name}'` : String(name);
    throw new SiloError(
      'ERR_BAD_CONFIG',
      `unknown aggregation strategy ${shown}; known: ${STRATEGY_NAMES.join(', ')}`,
    );
  }
  return validateConfig(strategyConfigSchema, raw, `strategy '${name}'`);
}

/**
 * The validated config of strategy `name` from a constructor's options.
 *
 * @throws SiloError `ERR_BAD_CONFIG` for a bad parameter.
 */
export function configOf<N extends StrategyName>(name: N, options: object): ConfigOf<N> {
  // The schema is discriminated on `name`, so the parsed value is the variant called `name`.
  return parseStrategyConfig({ ...options, name }) as ConfigOf<N>;
}
