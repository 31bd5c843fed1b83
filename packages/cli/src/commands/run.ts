import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { SiloError, parseConfig } from '@silo/common';
import { runConfigSchema, type ModelCard, type RunView } from '@silo/coordinator';
import { exportLayersModel, initBackend, parseModelSpec } from '@silo/model';
import { fromCanonicalBytes, sha256Hex } from '@silo/tensors';
import { apiTarget, callApi, downloadBytes, type ApiTarget, type TransferProgress } from '../api-client.js';
import { TerminalBar, transferBar } from '../terminal-bar.js';

interface TargetOptions {
  coordinator?: string;
  token?: string;
}

function withTarget(command: Command): Command {
  return command
    .option('--coordinator <url>', 'coordinator HTTP API URL (default: $SILO_URL or http://127.0.0.1:7080)')
    .option('--token <token>', 'API bearer token (default: $SILO_TOKEN)');
}

/** Formats one round of a run's history for a log line. */
export function formatRound(view: RunView, index: number): string {
  const r = view.history[index];
  if (r === undefined) return '';
  const acc =
    r.evalAccuracy !== undefined
      ? `accuracy ${(r.evalAccuracy * 100).toFixed(2)}%`
      : `train acc ${(r.trainAccuracy * 100).toFixed(2)}%`;
  const loss =
    r.evalLoss !== undefined ? `loss ${r.evalLoss.toFixed(4)}` : `train loss ${r.trainLoss.toFixed(4)}`;
  return `round ${String(r.round).padStart(3)}/${view.rounds}  ${acc}  ${loss}${privacyText(r)}  updates ${r.numUpdates}  rejected ${r.rejected}  ${(r.durationMs / 1000).toFixed(1)}s`;
}

/**
 * `  ε 1.234` for a private round, and `  workers 91.20% [85.00–96.10%] n=3` once workers have
 * evaluated its checkpoint on their held-out data (mean by examples, then the spread).
 */
function privacyText(r: RunView['history'][number] | undefined): string {
  const epsilon = r?.privacy === undefined ? '' : `  ε ${r.privacy.epsilon.toFixed(3)}`;
  const e = r?.federatedEvaluation;
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const federated =
    e === undefined
      ? ''
      : `  workers ${pct(e.accuracy)} [${pct(e.minAccuracy)}–${pct(e.maxAccuracy)}] n=${e.workers}`;
  return `${epsilon}${federated}`;
}

/**
 * Follows a run until it ends, calling `onRound` for each closed round; returns the final view.
 * Polls the API once per `intervalMs`.
 */
export async function followRun(
  target: ApiTarget,
  id: string,
  onRound: (view: RunView, index: number) => void,
  intervalMs = 500,
): Promise<RunView> {
  let shown = 0;
  for (;;) {
    const view = await callApi<RunView>(target, 'GET', `/v1/runs/${id}`);
    for (; shown < view.history.length; shown++) onRound(view, shown);
    if (view.status !== 'running') return view;
    await sleep(intervalMs);
  }
}

/**
 * Follows a run to its end: with `json`, silently; on a terminal, with a bar over the rounds on
 * stderr; otherwise with a line per round on stdout.
 */
async function watch(target: ApiTarget, id: string, json: boolean): Promise<RunView> {
  if (json) return followRun(target, id, () => {});
  const bar = process.stdout.isTTY
    ? TerminalBar.open('round {value}/{total} [{bar}] {percentage}% | {metrics}')
    : undefined;
  if (bar === undefined)
    return followRun(target, id, (view, i) => process.stdout.write(`${formatRound(view, i)}\n`));
  const first = await callApi<RunView>(target, 'GET', `/v1/runs/${id}`);
  bar.update(first.history.length, first.rounds, { metrics: 'waiting for the first round' });
  try {
    return await followRun(target, id, (view, i) => {
      const r = view.history[i];
      const metrics =
        r?.evalAccuracy !== undefined
          ? `loss ${r.evalLoss?.toFixed(4)} accuracy ${(r.evalAccuracy * 100).toFixed(2)}%`
          : `train loss ${r?.trainLoss.toFixed(4)} train accuracy ${((r?.trainAccuracy ?? 0) * 100).toFixed(2)}%`;
      bar.update(i + 1, view.rounds, { metrics: `${metrics}${privacyText(r)}` });
    });
  } finally {
    bar.stop();
  }
}

/** `silo run …` */
export function runCommand(program: Command): void {
  const run = program.command('run').description('create, follow, cancel and export federated runs');

  withTarget(run.command('create'))
    .description('create a run from a YAML or JSON run config; prints its id')
    .requiredOption('--config <file>', 'run configuration file')
    .option('--json', 'print the created run as JSON')
    .action(async (options: TargetOptions & { config: string; json?: boolean }) => {
      const config = parseConfig(runConfigSchema, await readFile(options.config, 'utf8'), options.config);
      const view = await callApi<RunView>(apiTarget(options), 'POST', '/v1/runs', config);
      process.stdout.write(options.json === true ? `${JSON.stringify(view)}\n` : `${view.id}\n`);
    });

  withTarget(run.command('list'))
    .description('list runs')
    .option('--json', 'print JSON')
    .action(async (options: TargetOptions & { json?: boolean }) => {
      const { runs } = await callApi<{ runs: RunView[] }>(apiTarget(options), 'GET', '/v1/runs');
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(runs)}\n`);
        return;
      }
      for (const r of runs)
        process.stdout.write(`${r.id}  ${r.status.padEnd(9)}  round ${r.round}/${r.rounds}  ${r.name}\n`);
    });

  withTarget(run.command('status <id>'))
    .description('show a run and its rounds')
    .option('--json', 'print JSON')
    .action(async (id: string, options: TargetOptions & { json?: boolean }) => {
      const view = await callApi<RunView>(apiTarget(options), 'GET', `/v1/runs/${id}`);
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(view)}\n`);
        return;
      }
      process.stdout.write(`${view.id}  ${view.status}  round ${view.round}/${view.rounds}  ${view.name}\n`);
      if (view.error !== undefined) process.stdout.write(`error: ${view.error}\n`);
      if (view.reason !== undefined) process.stdout.write(`ended early: ${view.reason}\n`);
      view.history.forEach((_, i) => process.stdout.write(`${formatRound(view, i)}\n`));
    });

  withTarget(run.command('watch <id>'))
    .description(
      'follow a run to its end with a progress bar over rounds, showing loss and accuracy; exits 1 unless it completed',
    )
    .option('--json', 'print only the ended run, as JSON (no progress)')
    .action(async (id: string, options: TargetOptions & { json?: boolean }) => {
      const view = await watch(apiTarget(options), id, options.json === true);
      if (options.json === true) process.stdout.write(`${JSON.stringify(view)}\n`);
      else
        process.stdout.write(
          `run ${view.id} ${view.status}${view.error !== undefined ? `: ${view.error}` : ''}${view.reason !== undefined ? ` (${view.reason})` : ''}\n`,
        );
      if (view.status !== 'completed') process.exitCode = 1;
    });

  withTarget(run.command('cancel <id>'))
    .description('cancel a running run')
    .option('--json', 'print the cancelled run as JSON')
    .action(async (id: string, options: TargetOptions & { json?: boolean }) => {
      const view = await callApi<RunView>(apiTarget(options), 'POST', `/v1/runs/${id}/cancel`);
      process.stdout.write(
        options.json === true ? `${JSON.stringify(view)}\n` : `run ${view.id} ${view.status}\n`,
      );
    });

  withTarget(run.command('export <id>'))
    .description(
      'write the run’s current global model as a tfjs LayersModel directory (model.json + weights.bin) with its model card (model-card.json, model-card.md)',
    )
    .requiredOption('--out <dir>', 'output directory')
    .option('--json', 'print the run id, checkpoint digest and directory as JSON (no progress)')
    .action(async (id: string, options: TargetOptions & { out: string; json?: boolean }) => {
      // The weights can be large: their download shows a bar on a terminal.
      const transfer = transferBar('weights', { json: options.json });
      const digest = await exportRun(
        apiTarget(options),
        id,
        options.out,
        transfer === undefined ? {} : { onProgress: transfer.onProgress },
      ).finally(() => transfer?.bar.stop());
      process.stdout.write(
        options.json === true
          ? `${JSON.stringify({ runId: id, checkpoint: digest, dir: options.out })}\n`
          : `exported model ${digest} to ${options.out}\n`,
      );
    });
}

/**
 * Downloads a run's global model, checks its digest, and writes a tfjs LayersModel directory;
 * `onProgress` follows the download of the weights.
 */
export async function exportRun(
  target: ApiTarget,
  id: string,
  dir: string,
  options: { onProgress?: TransferProgress } = {},
): Promise<string> {
  const info = await callApi<{ model: unknown; digest: string }>(target, 'GET', `/v1/runs/${id}/model`);
  const { bytes } = await downloadBytes(target, `/v1/runs/${id}/weights`, options.onProgress);
  if (sha256Hex(bytes) !== info.digest) {
    throw new SiloError('ERR_DIGEST_MISMATCH', 'downloaded weights do not match the run’s checkpoint digest');
  }
  await initBackend();
  await exportLayersModel(parseModelSpec(info.model), fromCanonicalBytes(bytes), dir);
  // The model card: how the model was trained, by whom, with what privacy, and the ledger
  // checkpoint to verify it against.
  const { card, markdown } = await callApi<{ card: ModelCard; markdown: string }>(
    target,
    'GET',
    `/v1/runs/${id}/card`,
  );
  if (card.model.checkpoint !== info.digest)
    throw new SiloError('ERR_CONFLICT', 'the run moved on while it was exported; export it again');
  await writeFile(join(dir, 'model-card.json'), `${JSON.stringify(card, null, 2)}\n`);
  await writeFile(join(dir, 'model-card.md'), markdown);
  return info.digest;
}
