import type { MachineFacts } from './machine.js';
import type { BenchRun, FigureResult } from './results.js';

const GIB = 1024 ** 3;
const HEADER = ['section', 'case', 'figure', 'median', 'min', 'max', 'unit', 'reps'] as const;
/** Columns holding numbers, right-aligned. */
const NUMERIC = new Set<number>([3, 4, 5, 7]);

/** The human-readable result: a machine line, one row per figure (and per ratio), then section facts. */
export function formatTable(run: BenchRun, machine: MachineFacts): string {
  const rows: string[][] = [];
  for (const section of run.sections) {
    for (const c of section.cases) {
      for (const f of c.figures) {
        rows.push([section.name, c.name, f.name, ...stats(f), f.unit, String(f.reps)]);
        if (f.ratio !== undefined) {
          const { median, min, max } = f.ratio;
          rows.push(['', '', `  ratio to ${f.ratio.to}`, fmt(median), fmt(min), fmt(max), 'x', '']);
        }
      }
    }
  }
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (NUMERIC.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const facts = run.sections.flatMap((s) =>
    Object.entries(s.facts).map(([name, value]) => `  ${s.name}.${name} = ${String(value)}`),
  );
  return [
    machineLine(run, machine),
    '',
    line(HEADER),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...(facts.length > 0 ? ['', 'facts:', ...facts] : []),
    '',
  ].join('\n');
}

function machineLine(run: BenchRun, machine: MachineFacts): string {
  const parts = [
    `${machine.cpuModel} x${machine.cpuCount}`,
    `${(machine.totalMemoryBytes / GIB).toFixed(1)} GiB`,
    `${machine.os.platform} ${machine.os.release} ${machine.os.arch}`,
    `Node ${machine.node}`,
    ...(machine.tfjsBackend === null ? [] : [`tfjs ${machine.tfjsBackend}`]),
    ...(machine.gitCommit === undefined ? [] : [`commit ${machine.gitCommit.slice(0, 12)}`]),
  ];
  const mode = run.quick ? ' (quick)' : '';
  const load = `load average ${run.loadAverage.start[0]?.toFixed(2)} at start, ${run.loadAverage.end[0]?.toFixed(2)} at end`;
  return [
    `silo bench${mode}, ${run.startedAt.toISOString()}, ${(run.durationMs / 1000).toFixed(1)} s, ${load}`,
    parts.join(', '),
  ].join('\n');
}

function stats(f: FigureResult): [string, string, string] {
  return [fmt(f.median), fmt(f.min), fmt(f.max)];
}

/** About four significant digits, grouped thousands, no exponent for the magnitudes benches produce. */
export function fmt(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 10) return value.toFixed(2);
  if (abs >= 1 || abs === 0) return value.toFixed(3);
  return value.toPrecision(3);
}
