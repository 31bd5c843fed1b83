import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBenchCli } from './cli.js';
import { REPORT_SCHEMA, type BenchReport } from './report-json.js';
import type { Section } from './section.js';

// Fake sections with fixed figures: the test checks the harness, never a real measurement.
const base: Section = {
  name: 'base',
  description: 'the baseline',
  define(ctx) {
    ctx.fact('size', 3);
    ctx.case('copy', () => Promise.resolve([{ name: 'bandwidth', unit: 'GB/s', value: 8 }]));
    return Promise.resolve();
  },
};
const work: Section = {
  name: 'work',
  description: 'relative to the baseline',
  define(ctx) {
    ctx.tfjsBackend('cpu');
    let n = 0;
    ctx.case('step', () =>
      Promise.resolve([
        { name: 'bandwidth', unit: 'GB/s', value: [2, 4, 3][n++ % 3] ?? 0, ratioTo: 'base/copy/bandwidth' },
        { name: 'latency', unit: 'ms', value: 5, better: 'lower' as const },
      ]),
    );
    return Promise.resolve();
  },
};
const other: Section = {
  name: 'other',
  description: 'must not run under --only',
  define: () => Promise.reject(new Error('other ran')),
};

describe('runBenchCli', () => {
  let dir: string;
  let stdout: string;
  const run = (argv: string[]): Promise<void> =>
    runBenchCli(argv, {
      sections: [base, work, other],
      resultsDir: join(dir, 'results'),
      tmpRoot: dir,
      stdout: (text) => void (stdout += text),
      stderr: () => undefined,
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'silo-bench-cli-'));
    stdout = '';
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs only the --only sections and writes the report with machine facts and every figure', async () => {
    const out = join(dir, 'report.json');
    await run(['--only', 'work,base', '--reps', '3', '--out', out]);
    const report = JSON.parse(await readFile(out, 'utf8')) as BenchReport;

    expect(report.schema).toBe(REPORT_SCHEMA);
    expect(Number.isNaN(Date.parse(report.date))).toBe(false);
    expect(report.options).toEqual({ quick: false, reps: 3, only: ['work', 'base'] });
    expect(report.machine).toMatchObject({
      cpuModel: expect.any(String) as unknown,
      cpuCount: expect.any(Number) as unknown,
      totalMemoryBytes: expect.any(Number) as unknown,
      os: { platform: process.platform, arch: process.arch },
      node: process.version,
      tfjsBackend: 'cpu',
    });
    expect(report.loadAverage.start).toHaveLength(3);
    expect(report.loadAverage.end).toHaveLength(3);
    expect(report.sections.map((s) => s.name)).toEqual(['base', 'work']);
    expect(report.sections[0]?.facts).toEqual({ size: 3 });
    const [bandwidth, latency] = report.sections[1]?.cases[0]?.figures ?? [];
    expect(bandwidth).toEqual({
      name: 'bandwidth',
      unit: 'GB/s',
      better: 'higher',
      reps: 3,
      samples: [4, 3, 2], // the warm-up took the 2 of the first cycle
      median: 3,
      min: 2,
      max: 4,
      ratioTo: 'base/copy/bandwidth',
      ratio: { to: 'base/copy/bandwidth', median: 0.375, min: 0.25, max: 0.5 },
    });
    expect(latency).toMatchObject({ name: 'latency', unit: 'ms', better: 'lower', median: 5, reps: 3 });
    expect(await readdir(dir)).toEqual(['report.json']); // no results dir, no work dirs left

    expect(stdout).toMatch(/^work +step +bandwidth +3\.000 +2\.000 +4\.000 +GB\/s +3$/m);
    expect(stdout).toMatch(/ratio to base\/copy\/bandwidth +0\.375 +0\.250 +0\.500 +x$/m);
    expect(stdout).toContain(`JSON: ${out}`);
  });

  it('runs only the --cases cases, and refuses a case no selected section has', async () => {
    const out = join(dir, 'report.json');
    await run(['--only', 'work,base', '--cases', 'step', '--reps', '1', '--out', out]);
    const report = JSON.parse(await readFile(out, 'utf8')) as BenchReport;
    expect(report.options).toEqual({ quick: false, reps: 1, only: ['work', 'base'], cases: ['step'] });
    expect(report.sections.map((s) => [s.name, s.cases.map((c) => c.name)])).toEqual([
      ['base', []],
      ['work', ['step']],
    ]);
    await expect(
      run(['--only', 'base', '--cases', 'copy,step', '--reps', '1', '--out', out]),
    ).rejects.toThrow(/no selected section has case step; they have copy/);
  });

  it('writes a timestamped report and latest.json to the results directory by default', async () => {
    await run(['--only', 'base', '--quick']);
    const files = (await readdir(join(dir, 'results'))).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.json$/);
    expect(files[1]).toBe('latest.json');
    const [stamped, latest] = await Promise.all(files.map((f) => readFile(join(dir, 'results', f), 'utf8')));
    expect(latest).toBe(stamped);
    const report = JSON.parse(latest ?? '') as BenchReport;
    expect(report.options).toEqual({ quick: true, reps: 2, only: ['base'] });
    expect(report.machine.tfjsBackend).toBeNull();
  });
});
