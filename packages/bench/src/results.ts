import { SiloError } from '@silo/common';
import type { Better } from './section.js';
import { figureRef } from './section.js';
import type { Summary } from './stats.js';

/** A figure's ratio to its baseline: each sample divided by the baseline's median. */
export interface RatioResult extends Summary {
  /** The baseline, as `section/case/figure`. */
  readonly to: string;
}

/** A figure over the measured repetitions of its case. */
export interface FigureResult extends Summary {
  readonly name: string;
  readonly unit: string;
  readonly better: Better;
  /** Measured repetitions (warm-ups excluded). */
  readonly reps: number;
  /** Every measured value, in repetition order. */
  readonly samples: readonly number[];
  /** The declared baseline, if any. */
  readonly ratioTo?: string;
  /** The ratio, when the baseline ran. */
  readonly ratio?: RatioResult;
}

/** One case of a section. */
export interface CaseResult {
  readonly name: string;
  readonly warmup: number;
  readonly reps: number;
  /** Wall time of the case, warm-ups included. */
  readonly durationMs: number;
  readonly figures: readonly FigureResult[];
}

/** One section of a run. */
export interface SectionResult {
  readonly name: string;
  readonly description: string;
  readonly facts: Readonly<Record<string, string | number | boolean>>;
  /** Wall time of the section, fixtures and clean-up included. */
  readonly durationMs: number;
  readonly cases: readonly CaseResult[];
}

/** Everything one run measured. */
export interface BenchRun {
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly quick: boolean;
  /**
   * `os.loadavg()` (1, 5, 15 minutes) when the run started and ended: a busy machine makes
   * noisy numbers, and this says whether it was busy.
   */
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  /** The tfjs backend a section reported, if any did. */
  readonly tfjsBackend?: string;
  readonly sections: readonly SectionResult[];
}

/**
 * Fills in the ratio of every figure that names a baseline. A baseline in a section that did
 * not run, or in a case left out (`skipped`, as `section/case`), is skipped; one missing from a
 * section that did run is a typo in a section and throws, so it cannot go unnoticed.
 *
 * @throws SiloError ERR_INTERNAL naming the unknown baseline.
 */
export function resolveRatios(
  sections: readonly SectionResult[],
  skipped: ReadonlySet<string> = new Set(),
): SectionResult[] {
  const medians = new Map<string, number>();
  for (const s of sections) {
    for (const c of s.cases)
      for (const f of c.figures) medians.set(figureRef(s.name, c.name, f.name), f.median);
  }
  const ran = new Set(sections.map((s) => s.name));
  const withRatio = (at: string, figure: FigureResult): FigureResult => {
    if (figure.ratioTo === undefined) return figure;
    const base = medians.get(figure.ratioTo);
    if (base === undefined) {
      const [section = '', caseName = ''] = figure.ratioTo.split('/');
      if (!ran.has(section) || skipped.has(`${section}/${caseName}`)) return figure;
      throw new SiloError('ERR_INTERNAL', `${at}: baseline ${figure.ratioTo} is not a figure of this run`);
    }
    if (base === 0) return figure; // no ratio to a zero
    const ratios = figure.samples.map((v) => v / base);
    return {
      ...figure,
      ratio: {
        to: figure.ratioTo,
        median: figure.median / base,
        min: Math.min(...ratios),
        max: Math.max(...ratios),
      },
    };
  };
  return sections.map((s) => ({
    ...s,
    cases: s.cases.map((c) => ({
      ...c,
      figures: c.figures.map((f) => withRatio(figureRef(s.name, c.name, f.name), f)),
    })),
  }));
}
