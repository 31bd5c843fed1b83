import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, parseBenchArgs, selectSections } from './args.js';
import { machineFacts } from './machine.js';
import { buildReport, writeReport } from './report-json.js';
import { formatTable } from './report-table.js';
import { DEFAULT_REPS, QUICK_REPS, runSections } from './runner.js';
import type { Section } from './section.js';
import { SECTIONS } from './sections/index.js';

/** The repository root: this file is `packages/bench/{src,dist}/cli.*`. */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Default directory of JSON reports. */
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

/** Where the CLI writes and what it runs; tests pass their own. */
export interface BenchCliOptions {
  readonly sections?: readonly Section[];
  readonly resultsDir?: string;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  /** Parent of the sections' work directories. Default `os.tmpdir()`. */
  readonly tmpRoot?: string;
}

/**
 * `npm run bench -- [options]`: runs the selected sections, prints the table on stdout,
 * progress on stderr, and writes the JSON report.
 *
 * @throws SiloError ERR_BAD_INPUT for a bad command line; whatever a failing section throws.
 */
export async function runBenchCli(argv: readonly string[], options: BenchCliOptions = {}): Promise<void> {
  const stdout = options.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => void process.stderr.write(text));
  const all = options.sections ?? SECTIONS;
  const args = parseBenchArgs(argv);
  if (args.help) return stdout(USAGE);
  if (args.list) return stdout(all.map((s) => `${s.name.padEnd(12)} ${s.description}\n`).join(''));

  const sections = selectSections(all, args.only);
  const reps = args.reps ?? (args.quick ? QUICK_REPS : DEFAULT_REPS);
  const run = await runSections(sections, {
    reps,
    exactReps: args.reps !== undefined,
    quick: args.quick,
    ...(args.cases === undefined ? {} : { cases: args.cases }),
    // A smoke run checks that every case works; warm-ups would only make it slower.
    ...(args.quick ? { warmup: 0 } : {}),
    log: (message) => stderr(`${message}\n`),
    ...(options.tmpRoot === undefined ? {} : { tmpRoot: options.tmpRoot }),
  });
  const machine = await machineFacts(REPO_ROOT, run.tfjsBackend);
  const report = buildReport(run, machine, { reps, only: args.only, cases: args.cases });
  const paths = await writeReport(report, {
    resultsDir: options.resultsDir ?? RESULTS_DIR,
    ...(args.out === undefined ? {} : { out: args.out }),
  });
  stdout(formatTable(run, machine));
  stdout(`\nJSON: ${paths.join(', ')}\n`);
}
