import type { AuditReport } from '@silo/audit';
import type { FederatedEvaluation, RunView } from '@silo/coordinator';
import { median, type SimulationReport } from './report.js';

/** What the summary says besides the report's figures. */
export interface SummaryContext {
  report: SimulationReport;
  final: RunView;
  audit: AuditReport;
  /** The tfjs backends the workers said they train on. */
  backends: string;
  /** What one example is called: `digits`, `rows`. */
  examples: string;
  testSize: number;
  /** The workers' evaluation of the final model, when they held examples out. */
  evaluated: FederatedEvaluation | undefined;
  /** `--dp-delta` and `--dp-clip`, for the privacy line. */
  dpDelta: number;
  dpClip: number | undefined;
  /** The `silo audit verify` command that checks the ledger again, when the files are kept. */
  verifyAgain: string | undefined;
}

const MIB = 1024 * 1024;
const mib = (bytes: number | undefined): string =>
  bytes === undefined ? '?' : `${(bytes / MIB).toFixed(0)} MiB`;
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const seconds = (values: number[]): string => `${(median(values) ?? 0).toFixed(1)} s`;

/** The summary `silo simulate` prints at the end, one line per element. */
export function summaryLines(context: SummaryContext): string[] {
  const { report, final, audit } = context;
  const lines = ['', 'summary'];
  const add = (label: string, text: string): void => {
    lines.push(`  ${label.padEnd(18)}${text}`);
  };
  add('status', `${final.status}${final.error !== undefined ? ` (${final.error})` : ''}`);
  add('backend', `workers: ${context.backends}`);
  const refused = report.rejectedPerRound.reduce((a, b) => a + b, 0);
  add(
    'workers',
    `${report.workers} (${report.params.toLocaleString('en-US')}-parameter model) in ${report.processes} processes, ` +
      `${report.sampled} sampled per round; ${report.pools.accepted} updates accepted, ${refused} refused, ` +
      `${report.pools.dropped} dropouts`,
  );
  add(
    'federated',
    `${report.accuracy !== undefined ? pct(report.accuracy) : '?'} accuracy on ${context.testSize} held-out ` +
      `${context.examples} after ${final.history.length} rounds, ${report.federatedSeconds.toFixed(1)} s wall time`,
  );
  if (report.roundSeconds.length > 0) {
    add(
      'round time',
      `median ${seconds(report.roundSeconds)} (${report.roundSeconds.map((s) => s.toFixed(1)).join(', ')})`,
    );
    const cpu = report.cpuSecondsPerRound;
    add(
      'cpu per round',
      `median: coordinator ${seconds(cpu.coordinator)}, worker processes ${cpu.pools.map(seconds).join(' + ')}` +
        (cpu.redis === undefined ? '' : `, redis ${seconds(cpu.redis)}`),
    );
  }
  const memory = report.peakMemoryBytes;
  add(
    'peak memory',
    `${mib(memory.total)} in all: coordinator ${mib(memory.coordinator)}, worker processes ` +
      `${memory.pools.map(mib).join(' + ')}, ` +
      `${memory.redis === undefined ? 'redis not counted (not started here)' : `redis ${mib(memory.redis)}`}; ` +
      `this process ${mib(memory.simulate)}`,
  );
  if (final.reason !== undefined) add('ended early', final.reason);
  const evaluated = context.evaluated;
  if (evaluated !== undefined)
    add(
      "workers' eval",
      `${pct(evaluated.accuracy)} on ${evaluated.numExamples} held-out ${context.examples} of ${evaluated.workers} workers ` +
        `(worst ${pct(evaluated.minAccuracy)}, best ${pct(evaluated.maxAccuracy)}, std ${pct(evaluated.accuracyStd)})`,
    );
  const privacy = final.history.at(-1)?.privacy;
  if (privacy !== undefined)
    add(
      'privacy',
      `ε = ${privacy.epsilon.toFixed(3)} at δ = ${context.dpDelta} (z = ${privacy.noiseMultiplier}, ` +
        `C = ${context.dpClip}, q = ${privacy.samplingRate.toFixed(3)})`,
    );
  add('final model', final.checkpoint);
  add(
    'ledger',
    `${audit.entries} entries, ${audit.checkpoints} signed checkpoints; audit ` +
      (audit.ok
        ? `OK (${audit.checks.length} checks passed, every aggregate recomputed bit for bit)`
        : `FAILED with ${audit.problems.length} problems`),
  );
  for (const problem of audit.problems.slice(0, 5))
    lines.push(`${' '.repeat(20)}entry ${problem.entry ?? '-'}: ${problem.code} ${problem.reason}`);
  if (context.verifyAgain !== undefined) add('verify again', context.verifyAgain);
  return lines;
}
