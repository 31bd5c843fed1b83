/** Whether a larger or a smaller value of a figure is an improvement. */
export type Better = 'higher' | 'lower';

/** One measured quantity of one repetition of a case. */
export interface Figure {
  /** Unique within its case, kebab-case: `throughput`, `time-per-op`. */
  readonly name: string;
  /** Unit as printed: `entries/s`, `ms`, `GB/s`. */
  readonly unit: string;
  readonly value: number;
  /** Direction of improvement, for readers and for comparing runs. Default `'higher'`. */
  readonly better?: Better;
  /**
   * A baseline measured in the same run, as `section/case/figure`: the report adds this
   * figure's ratio to the baseline's median. When the baseline's section did not run (see
   * `--only`) the ratio is left out.
   */
  readonly ratioTo?: string;
}

/** Which repetition of a case is running. */
export interface RepInfo {
  /** 0-based, counting warm-ups and measured repetitions separately. */
  readonly index: number;
  /** True for a warm-up, whose figures are discarded. */
  readonly warmup: boolean;
}

/** One repetition of a case: does the work, times what it means to time, returns the figures. */
export type CaseRun = (rep: RepInfo) => Promise<readonly Figure[]>;

/** Options of {@link SectionContext.case}. */
export interface CaseOptions {
  /** Warm-up repetitions before the measured ones (overridden by the runner's `warmup`). Default 1. */
  readonly warmup?: number;
  /**
   * At most this many measured repetitions, for a case too slow for the default count. An
   * explicit `--reps` still wins. Default: no cap.
   */
  readonly maxReps?: number;
  /**
   * Adds a `peak-rss` figure (MiB): the peak resident set size of the process during each
   * repetition. Default false.
   */
  readonly trackMemory?: boolean;
}

/** What a section sees while it defines its cases. */
export interface SectionContext {
  /** True for `--quick`: smaller sizes, for a smoke run. */
  readonly quick: boolean;
  /** An empty directory of this section's own, removed after its cases ran. */
  readonly workDir: string;
  /** Reports progress on stderr (stdout is the result table). */
  log(message: string): void;
  /** Registers a case; cases run in order once {@link Section.define} has returned. */
  case(name: string, run: CaseRun, options?: CaseOptions): void;
  /** Records a fact about the section's setup in the JSON, e.g. a fixture's size or build time. */
  fact(name: string, value: string | number | boolean): void;
  /** Records the tfjs backend the section runs on; the JSON reports it with the machine facts. */
  tfjsBackend(name: string): void;
  /** Registers clean-up that runs after the section's cases, also when one failed. */
  teardown(fn: () => Promise<void>): void;
}

/** A named group of cases: one file in `src/sections/`, listed in `src/sections/index.ts`. */
export interface Section {
  /** Short kebab-case name, as given to `--only`. */
  readonly name: string;
  /** One line on what the section measures. */
  readonly description: string;
  /** Builds fixtures and registers cases on `ctx`; the runner then runs them. */
  define(ctx: SectionContext): Promise<void>;
}

/** The reference `section/case/figure` of a figure, as used by {@link Figure.ratioTo}. */
export function figureRef(section: string, caseName: string, figure: string): string {
  return `${section}/${caseName}/${figure}`;
}
