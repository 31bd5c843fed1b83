import type { EnrolledWorker } from '@silo/signing';
import { layoutSize } from '@silo/tensors';
import type { RunView } from './coordinator.js';
import type { RunRecord } from './state.js';

/** What a model card states about a run's model: how it was trained, by whom, and how to check it. */
export interface ModelCard {
  run: {
    id: string;
    name: string;
    status: string;
    rounds: number;
    roundsConfigured: number;
    reason?: string;
  };
  model: {
    checkpoint: string;
    specDigest: string;
    parameters: number;
    pretrained?: { path: string; checkpoint: string };
    freeze?: string[];
  };
  training: {
    strategy: Record<string, unknown>;
    local: { epochs: number; batchSize: number; learningRate: number };
    workersPerRound: number | string;
    minUpdates: number | string;
    updateEncoding: string;
  };
  /** Null for a run without differential privacy. */
  privacy: {
    mode: string;
    clipNorm: number;
    noiseMultiplier: number;
    delta: number;
    epsilon: number | null;
  } | null;
  /** Every worker whose update went into at least one round, with how many. */
  participants: { keyId: string; name: string; org: string; rounds: number }[];
  evaluation: {
    /** The model team's own held-out set, after the last round. */
    central: { loss: number; accuracy: number } | null;
    /** The workers' held-out data, on the last evaluated checkpoint. */
    federated: {
      round: number;
      workers: number;
      numExamples: number;
      accuracy: number;
      minAccuracy: number;
      maxAccuracy: number;
    } | null;
  };
  /** The ledger's latest signed checkpoint when the card was made; it covers every entry logged before. */
  ledger: { origin: string; verifierKey: string; size: number; checkpoint: string | null } | null;
}

/** Assembles a run's model card from its record, its view and the enrolled workers. */
export function modelCard(
  run: RunRecord,
  view: RunView,
  workers: readonly EnrolledWorker[],
  ledger: ModelCard['ledger'],
): ModelCard {
  const { config } = run;
  const last = view.history.at(-1);
  const rounds = new Map<string, number>();
  for (const summary of view.history)
    for (const keyId of summary.contributors) rounds.set(keyId, (rounds.get(keyId) ?? 0) + 1);
  const byKey = new Map(workers.map((w) => [w.keyId, w]));
  const federated = [...view.history].reverse().find((s) => s.federatedEvaluation !== undefined);
  return {
    run: {
      id: run.id,
      name: config.name,
      status: run.status,
      rounds: view.history.length,
      roundsConfigured: config.rounds,
      ...(run.reason === undefined ? {} : { reason: run.reason }),
    },
    model: {
      checkpoint: run.checkpoint,
      specDigest: run.specDigest,
      parameters: layoutSize(run.layout),
      ...(config.pretrained === undefined ? {} : { pretrained: config.pretrained }),
      ...(config.freeze === undefined ? {} : { freeze: config.freeze }),
    },
    training: {
      strategy: config.strategy,
      local: config.train,
      workersPerRound: config.workersPerRound ?? 'all online',
      minUpdates: config.minUpdates ?? 'all sampled',
      updateEncoding: config.updateEncoding,
    },
    privacy:
      config.privacy === undefined
        ? null
        : {
            mode: config.privacy.mode,
            clipNorm: config.privacy.clipNorm,
            noiseMultiplier: config.privacy.noiseMultiplier,
            delta: config.privacy.delta,
            epsilon: last?.privacy?.epsilon ?? null,
          },
    participants: [...rounds]
      .map(([keyId, n]) => ({
        keyId,
        name: byKey.get(keyId)?.name ?? '',
        org: byKey.get(keyId)?.org ?? '',
        rounds: n,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    evaluation: {
      central:
        last?.evalAccuracy === undefined || last.evalLoss === undefined
          ? null
          : { loss: last.evalLoss, accuracy: last.evalAccuracy },
      federated:
        federated?.federatedEvaluation === undefined
          ? null
          : {
              round: federated.round,
              workers: federated.federatedEvaluation.workers,
              numExamples: federated.federatedEvaluation.numExamples,
              accuracy: federated.federatedEvaluation.accuracy,
              minAccuracy: federated.federatedEvaluation.minAccuracy,
              maxAccuracy: federated.federatedEvaluation.maxAccuracy,
            },
    },
    ledger,
  };
}

/** The card as Markdown, for people. */
export function modelCardMarkdown(card: ModelCard): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const lines = [
    `# Model card: ${card.run.name}`,
    '',
    `Run \`${card.run.id}\`, ${card.run.status} after ${card.run.rounds} of ${card.run.roundsConfigured} rounds` +
      (card.run.reason === undefined ? '.' : ` (${card.run.reason}).`),
    '',
    '## Model',
    '',
    `- checkpoint (SHA-256 of the float32 weights): \`${card.model.checkpoint}\``,
    `- architecture digest: \`${card.model.specDigest}\`, ${card.model.parameters} parameters`,
    ...(card.model.pretrained === undefined
      ? []
      : [
          `- fine-tuned from \`${card.model.pretrained.path}\` (weights \`${card.model.pretrained.checkpoint}\`)`,
        ]),
    ...(card.model.freeze === undefined ? [] : [`- frozen layers: ${card.model.freeze.join(', ')}`]),
    '',
    '## Training',
    '',
    `- strategy: \`${JSON.stringify(card.training.strategy)}\``,
    `- local training: ${card.training.local.epochs} epoch(s), batch ${card.training.local.batchSize}, learning rate ${card.training.local.learningRate}`,
    `- workers per round: ${card.training.workersPerRound}; quorum: ${card.training.minUpdates}; update encoding: ${card.training.updateEncoding}`,
    '',
    '## Privacy',
    '',
    card.privacy === null
      ? 'No differential privacy: updates were combined as sent.'
      : `DP-FedAvg, ${card.privacy.mode} noise, clip norm ${card.privacy.clipNorm}, noise multiplier ${card.privacy.noiseMultiplier}: ` +
        `ε = ${card.privacy.epsilon === null ? 'none spent' : card.privacy.epsilon.toFixed(4)} at δ = ${card.privacy.delta} (worker-level).`,
    '',
    '## Participants',
    '',
    '| worker | organisation | rounds | key id |',
    '|---|---|---|---|',
    ...card.participants.map((p) => `| ${p.name} | ${p.org} | ${p.rounds} | \`${p.keyId}\` |`),
    '',
    '## Evaluation',
    '',
    card.evaluation.central === null
      ? '- central: none configured'
      : `- central (the model team's held-out set): accuracy ${pct(card.evaluation.central.accuracy)}, loss ${card.evaluation.central.loss.toFixed(4)}`,
    card.evaluation.federated === null
      ? '- federated: none'
      : `- federated (round ${card.evaluation.federated.round}, ${card.evaluation.federated.workers} workers, ${card.evaluation.federated.numExamples} held-out examples): ` +
        `accuracy ${pct(card.evaluation.federated.accuracy)} (worst ${pct(card.evaluation.federated.minAccuracy)}, best ${pct(card.evaluation.federated.maxAccuracy)})`,
    '',
    '## Ledger',
    '',
    card.ledger === null
      ? 'This coordinator process holds no ledger; ask its operator for the signed checkpoint.'
      : `Ledger \`${card.ledger.origin}\` held ${card.ledger.size} entries. Its latest signed checkpoint, which covers this run's entries logged so far:\n\n\`\`\`\n${card.ledger.checkpoint ?? '(none yet)'}\`\`\`\n\nVerifier key: \`${card.ledger.verifierKey}\`. Check with \`silo audit fetch\` and \`silo audit verify\`.`,
    '',
  ];
  return lines.join('\n');
}
