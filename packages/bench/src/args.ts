import { parseArgs } from 'node:util';
import { SiloError } from '@silo/common';
import type { Section } from './section.js';

/** The command line of `npm run bench`, parsed. */
export interface BenchArgs {
  /** Section names from `--only`, in the order given; undefined for all. */
  readonly only?: readonly string[];
  /** Case names from `--cases`, within the selected sections; undefined for all. */
  readonly cases?: readonly string[];
  readonly quick: boolean;
  /** From `--reps`; undefined for the default of the mode. */
  readonly reps?: number;
  /** From `--out`: write the JSON here instead of `bench/results/`. */
  readonly out?: string;
  readonly list: boolean;
  readonly help: boolean;
}

/** Usage text for `--help`. */
export const USAGE = `usage: npm run bench -- [options]

  --only a,b    run only these sections (see --list)
  --cases a,b   run only the cases of these names in the selected sections
                (e.g. --only rounds --cases floor-n10-p1.66m,n10-p1.66m)
  --quick       smaller sizes and fewer repetitions: a smoke run, not a measurement
  --reps N      measured repetitions per case (default 5, or 2 with --quick)
  --out FILE    write the JSON report to FILE instead of bench/results/<timestamp>.json
                and bench/results/latest.json
  --list        list the sections and exit
  --help        show this text
`;

const FLAGS = {
  only: { type: 'string' },
  cases: { type: 'string' },
  quick: { type: 'boolean', default: false },
  reps: { type: 'string' },
  out: { type: 'string' },
  list: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new SiloError('ERR_BAD_INPUT', `${message}\n\n${USAGE}`, { cause });
  }
}

/**
 * Parses the bench command line (without the node and script paths).
 *
 * @throws SiloError ERR_BAD_INPUT for an unknown flag, a stray argument, or a bad `--reps`.
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const values = parseFlags(argv);
  let reps: number | undefined;
  if (values.reps !== undefined) {
    reps = Number(values.reps);
    if (!/^[1-9][0-9]*$/.test(values.reps) || !Number.isSafeInteger(reps)) {
      throw new SiloError(
        'ERR_BAD_INPUT',
        `--reps takes a positive integer, got ${JSON.stringify(values.reps)}`,
      );
    }
  }
  const only = names(values.only);
  if (only !== undefined && only.length === 0)
    throw new SiloError('ERR_BAD_INPUT', '--only needs section names');
  const cases = names(values.cases);
  if (cases !== undefined && cases.length === 0)
    throw new SiloError('ERR_BAD_INPUT', '--cases needs case names');
  return {
    ...(only === undefined ? {} : { only }),
    ...(cases === undefined ? {} : { cases }),
    quick: values.quick,
    ...(reps === undefined ? {} : { reps }),
    ...(values.out === undefined ? {} : { out: values.out }),
    list: values.list,
    help: values.help,
  };
}

/** The names of a comma-separated list, trimmed, empty ones dropped. */
function names(list: string | undefined): string[] | undefined {
  return list
    ?.split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/**
 * The sections to run: all of `sections`, or those named in `only`, in registration order (so
 * baselines such as `floor` run first whatever order `--only` lists them in).
 *
 * @throws SiloError ERR_BAD_INPUT naming an unknown section and listing the known ones.
 */
export function selectSections(sections: readonly Section[], only: readonly string[] | undefined): Section[] {
  if (only === undefined) return [...sections];
  const known = new Set(sections.map((s) => s.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `unknown section ${unknown.join(', ')}; the sections are ${[...known].join(', ')}`,
    );
  }
  return sections.filter((s) => only.includes(s.name));
}
