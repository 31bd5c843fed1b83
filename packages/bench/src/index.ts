/**
 * @silo/bench: the harness behind `npm run bench`. Sections live in `src/sections/`; this
 * module exports what a section or a tool reading the reports needs.
 *
 * @packageDocumentation
 */
export type { Better, CaseOptions, CaseRun, Figure, RepInfo, Section, SectionContext } from './section.js';
export { figureRef } from './section.js';
export type { BenchRun, CaseResult, FigureResult, RatioResult, SectionResult } from './results.js';
export type { BenchReport } from './report-json.js';
export { REPORT_SCHEMA } from './report-json.js';
export type { MachineFacts } from './machine.js';
export { median, summarize, type Summary } from './stats.js';
export {
  DEFAULT_RSS_SAMPLE_INTERVAL_MS,
  childPeakRssBytes,
  measurePeakRss,
  startPeakRssProbe,
  type PeakRssProbe,
} from './memory.js';
export { runSections, type RunnerOptions } from './runner.js';
export { runBenchCli, type BenchCliOptions } from './cli.js';
export { SECTIONS } from './sections/index.js';
