import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MachineFacts } from './machine.js';
import type { BenchRun, SectionResult } from './results.js';

/** Version tag of the JSON report; bump when a field changes meaning. */
export const REPORT_SCHEMA = 'silo-bench/1';
/** Name of the copy of the newest report in the results directory. */
export const LATEST_REPORT = 'latest.json';

/** The JSON a run writes. */
export interface BenchReport {
  readonly schema: typeof REPORT_SCHEMA;
  /** When the run started, ISO 8601. */
  readonly date: string;
  readonly durationMs: number;
  readonly options: {
    readonly quick: boolean;
    readonly reps: number;
    /** The sections asked for with `--only`, or null for all. */
    readonly only: readonly string[] | null;
    /** The cases asked for with `--cases`; absent for all. */
    readonly cases?: readonly string[];
  };
  readonly machine: MachineFacts;
  /** `os.loadavg()` at the start and end of the run; see {@link BenchRun.loadAverage}. */
  readonly loadAverage: BenchRun['loadAverage'];
  readonly sections: readonly SectionResult[];
}

/** Assembles the report of `run`. */
export function buildReport(
  run: BenchRun,
  machine: MachineFacts,
  options: { reps: number; only: readonly string[] | undefined; cases?: readonly string[] | undefined },
): BenchReport {
  return {
    schema: REPORT_SCHEMA,
    date: run.startedAt.toISOString(),
    durationMs: run.durationMs,
    options: {
      quick: run.quick,
      reps: options.reps,
      only: options.only ?? null,
      ...(options.cases === undefined ? {} : { cases: options.cases }),
    },
    machine,
    loadAverage: run.loadAverage,
    sections: run.sections,
  };
}

/** Where {@link writeReport} puts a report. */
export interface ReportTarget {
  /** Write exactly this file and nothing else. */
  readonly out?: string;
  /** Otherwise: write `<resultsDir>/<timestamp>.json` and `<resultsDir>/latest.json`. */
  readonly resultsDir: string;
}

/** Writes `report` as indented JSON; resolves with the paths written, main file first. */
export async function writeReport(report: BenchReport, target: ReportTarget): Promise<string[]> {
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const paths =
    target.out !== undefined
      ? [target.out]
      : [join(target.resultsDir, reportFileName(report.date)), join(target.resultsDir, LATEST_REPORT)];
  for (const path of paths) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return paths;
}

/** `2025-03-01T09-05-07-123Z.json` for a run started at `2025-03-01T09:05:07.123Z`: sortable, no colons. */
export function reportFileName(isoDate: string): string {
  return `${isoDate.replace(/[:.]/g, '-')}.json`;
}
