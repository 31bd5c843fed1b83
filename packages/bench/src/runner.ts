import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SiloError } from '@silo/common';
import { measurePeakRss } from './memory.js';
import {
  resolveRatios,
  type BenchRun,
  type CaseResult,
  type FigureResult,
  type SectionResult,
} from './results.js';
import type { CaseOptions, CaseRun, Figure, Section, SectionContext } from './section.js';
import { summarize } from './stats.js';

/** Default measured repetitions per case. */
export const DEFAULT_REPS = 5;
/** Default measured repetitions per case with `--quick`. */
export const QUICK_REPS = 2;
/** Default warm-up repetitions per case. */
export const DEFAULT_WARMUP = 1;

const MIB = 1024 * 1024;

/** Options of {@link runSections}. */
export interface RunnerOptions {
  /** Measured repetitions per case, at least 1; a case's `maxReps` caps it. */
  readonly reps: number;
  /** Every case runs exactly `reps`, whatever its `maxReps` (set for an explicit `--reps`). */
  readonly exactReps?: boolean;
  /** Passed to sections as {@link SectionContext.quick}. */
  readonly quick: boolean;
  /**
   * Names of the cases to run; the others a section registers are skipped. Default: all. A name
   * no selected section registers fails the run once the sections ran.
   */
  readonly cases?: readonly string[];
  /** Warm-ups of every case, overriding each case's own. Default: the case's, else 1. */
  readonly warmup?: number;
  /** Progress lines. Default: nothing. */
  readonly log?: (message: string) => void;
  /** Where section work directories are made. Default `os.tmpdir()`. */
  readonly tmpRoot?: string;
}

interface RegisteredCase {
  readonly name: string;
  readonly run: CaseRun;
  readonly options: CaseOptions;
}

/**
 * Runs `sections` in order: each defines its cases, then every case runs its warm-ups and
 * `reps` measured repetitions, then the section's teardowns run and its work directory is
 * removed. Ratios to baselines are resolved once everything ran.
 *
 * A failing case fails the run: a benchmark that silently drops a case would mislead.
 */
export async function runSections(sections: readonly Section[], options: RunnerOptions): Promise<BenchRun> {
  if (!Number.isSafeInteger(options.reps) || options.reps < 1) {
    throw new SiloError('ERR_BAD_INPUT', `reps must be a positive integer, got ${options.reps}`);
  }
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const start = performance.now();
  const results: SectionResult[] = [];
  const registered = new Set<string>();
  const skipped = new Set<string>();
  let tfjsBackend: string | undefined;
  for (const section of sections) {
    const { result, backend, caseNames } = await runSection(section, options);
    results.push(result);
    for (const name of caseNames) {
      registered.add(name);
      if (options.cases !== undefined && !options.cases.includes(name))
        skipped.add(`${section.name}/${name}`);
    }
    tfjsBackend = backend ?? tfjsBackend;
  }
  const unknown = options.cases?.filter((name) => !registered.has(name)) ?? [];
  if (unknown.length > 0) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `no selected section has case ${unknown.join(', ')}; they have ${[...registered].join(', ')}`,
    );
  }
  return {
    startedAt,
    durationMs: performance.now() - start,
    quick: options.quick,
    loadAverage: { start: loadAtStart, end: loadavg() },
    ...(tfjsBackend === undefined ? {} : { tfjsBackend }),
    sections: resolveRatios(results, skipped),
  };
}

async function runSection(
  section: Section,
  options: RunnerOptions,
): Promise<{ result: SectionResult; backend: string | undefined; caseNames: string[] }> {
  const log = (message: string): void => options.log?.(`[${section.name}] ${message}`);
  const start = performance.now();
  const workDir = await mkdtemp(join(options.tmpRoot ?? tmpdir(), `silo-bench-${section.name}-`));
  const cases: RegisteredCase[] = [];
  const facts: Record<string, string | number | boolean> = {};
  const teardowns: (() => Promise<void>)[] = [];
  let backend: string | undefined;
  const ctx: SectionContext = {
    quick: options.quick,
    workDir,
    log,
    case: (name, run, caseOptions = {}) => {
      if (cases.some((c) => c.name === name)) {
        throw new SiloError('ERR_INTERNAL', `section ${section.name} registers case ${name} twice`);
      }
      cases.push({ name, run, options: caseOptions });
    },
    fact: (name, value) => {
      facts[name] = value;
    },
    tfjsBackend: (name) => {
      backend = name;
    },
    teardown: (fn) => {
      teardowns.push(fn);
    },
  };

  const results: CaseResult[] = [];
  const errors: unknown[] = [];
  try {
    await section.define(ctx);
    for (const c of cases) {
      if (options.cases === undefined || options.cases.includes(c.name))
        results.push(await runCase(c, options, log));
    }
  } catch (err) {
    errors.push(err);
  }
  // Teardowns run in reverse, like nested finally blocks; all run even if one fails.
  for (const fn of [...teardowns.reverse(), () => rm(workDir, { recursive: true, force: true })]) {
    await fn().catch((err: unknown) => errors.push(err));
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `section ${section.name} failed in several places`);
  const result: SectionResult = {
    name: section.name,
    description: section.description,
    facts,
    durationMs: performance.now() - start,
    cases: results,
  };
  return { result, backend, caseNames: cases.map((c) => c.name) };
}

async function runCase(
  c: RegisteredCase,
  options: RunnerOptions,
  log: (message: string) => void,
): Promise<CaseResult> {
  const warmup = options.warmup ?? c.options.warmup ?? DEFAULT_WARMUP;
  const repCount =
    options.exactReps === true ? options.reps : Math.min(options.reps, c.options.maxReps ?? options.reps);
  const start = performance.now();
  log(`${c.name}: ${warmup} warm-up + ${repCount} reps`);
  for (let index = 0; index < warmup; index++) await c.run({ index, warmup: true });
  const reps: (readonly Figure[])[] = [];
  for (let index = 0; index < repCount; index++) {
    const rep = { index, warmup: false };
    if (c.options.trackMemory === true) {
      const { result, peakRssBytes } = await measurePeakRss(() => c.run(rep));
      reps.push([...result, { name: 'peak-rss', unit: 'MiB', value: peakRssBytes / MIB, better: 'lower' }]);
    } else {
      reps.push(await c.run(rep));
    }
  }
  const durationMs = performance.now() - start;
  log(`${c.name}: done in ${(durationMs / 1000).toFixed(1)} s`);
  return { name: c.name, warmup, reps: repCount, durationMs, figures: collectFigures(c.name, reps) };
}

/**
 * Gathers each figure's samples across repetitions; every repetition must return the same
 * figures with the same units, or the medians would mix different things.
 */
export function collectFigures(caseName: string, reps: readonly (readonly Figure[])[]): FigureResult[] {
  const first = reps[0] ?? [];
  const names = first.map((f) => f.name);
  if (new Set(names).size !== names.length) {
    throw new SiloError('ERR_INTERNAL', `case ${caseName} returns a figure name twice: ${names.join(', ')}`);
  }
  return first.map((proto) => {
    const samples = reps.map((figures, i) => {
      const f = figures.find((x) => x.name === proto.name);
      if (f === undefined || f.unit !== proto.unit || figures.length !== first.length) {
        throw new SiloError(
          'ERR_INTERNAL',
          `case ${caseName}: repetition ${i} returns other figures than the first`,
        );
      }
      if (!Number.isFinite(f.value)) {
        throw new SiloError(
          'ERR_INTERNAL',
          `case ${caseName}: figure ${f.name} is ${f.value} in repetition ${i}`,
        );
      }
      return f.value;
    });
    return {
      name: proto.name,
      unit: proto.unit,
      better: proto.better ?? 'higher',
      reps: samples.length,
      samples,
      ...summarize(samples),
      ...(proto.ratioTo === undefined ? {} : { ratioTo: proto.ratioTo }),
    };
  });
}
