import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSections } from './runner.js';
import type { Figure, Section } from './section.js';

const figure = (name: string, value: number, extra: Partial<Figure> = {}): Figure => ({
  name,
  unit: 'u',
  value,
  ...extra,
});

describe('runSections', () => {
  let tmpRoot: string;
  beforeEach(async () => {
    tmpRoot = await mkdtemp(join(tmpdir(), 'silo-bench-test-'));
  });
  afterEach(async () => {
    await rm(tmpRoot, { recursive: true, force: true });
  });

  it('discards warm-ups, summarizes the measured repetitions and resolves ratios', async () => {
    const calls: boolean[] = [];
    const values = [100, 3, 1, 2]; // the warm-up's 100 must not count
    const section: Section = {
      name: 's',
      description: 'test',
      define(ctx) {
        ctx.case(
          'c',
          (rep) => {
            calls.push(rep.warmup);
            return Promise.resolve([figure('f', values[calls.length - 1] ?? 0)]);
          },
          { warmup: 1 },
        );
        ctx.case('base', () => Promise.resolve([figure('g', 4)]));
        ctx.case('rel', () => Promise.resolve([figure('h', 2, { ratioTo: 's/base/g' })]));
        return Promise.resolve();
      },
    };
    const run = await runSections([section], { reps: 3, quick: false, tmpRoot });
    expect(calls).toEqual([true, false, false, false]);
    const [c, , rel] = run.sections[0]?.cases ?? [];
    expect(c?.figures[0]).toMatchObject({
      name: 'f',
      median: 2,
      min: 1,
      max: 3,
      reps: 3,
      samples: [3, 1, 2],
    });
    expect(c?.figures[0]?.ratio).toBeUndefined();
    expect(rel?.figures[0]?.ratio).toEqual({ to: 's/base/g', median: 0.5, min: 0.5, max: 0.5 });
  });

  it('leaves out a ratio whose baseline section did not run, and refuses one that names no figure', async () => {
    const rel = (ratioTo: string): Section => ({
      name: 'rel',
      description: 'test',
      define(ctx) {
        ctx.case('c', () => Promise.resolve([figure('h', 2, { ratioTo })]));
        return Promise.resolve();
      },
    });
    const run = await runSections([rel('floor/copy/bandwidth')], { reps: 1, quick: true, tmpRoot });
    expect(run.sections[0]?.cases[0]?.figures[0]).toMatchObject({ ratioTo: 'floor/copy/bandwidth' });
    expect(run.sections[0]?.cases[0]?.figures[0]?.ratio).toBeUndefined();
    await expect(runSections([rel('rel/c/typo')], { reps: 1, quick: true, tmpRoot })).rejects.toThrow(
      /baseline rel\/c\/typo is not a figure of this run/,
    );
  });

  it('refuses repetitions that return different figures', async () => {
    let n = 0;
    const section: Section = {
      name: 's',
      description: 'test',
      define(ctx) {
        ctx.case('c', () => Promise.resolve(n++ === 0 ? [figure('a', 1)] : [figure('b', 1)]));
        return Promise.resolve();
      },
    };
    await expect(runSections([section], { reps: 2, quick: true, warmup: 0, tmpRoot })).rejects.toThrow(
      /returns other figures than the first/,
    );
  });

  it('runs teardowns and removes the work directory when a case fails', async () => {
    let tornDown = false;
    const section: Section = {
      name: 's',
      description: 'test',
      define(ctx) {
        ctx.teardown(() => {
          tornDown = true;
          return Promise.resolve();
        });
        ctx.case('c', () => Promise.reject(new Error('boom')));
        return Promise.resolve();
      },
    };
    await expect(runSections([section], { reps: 1, quick: true, tmpRoot })).rejects.toThrow('boom');
    expect(tornDown).toBe(true);
    expect(await readdir(tmpRoot)).toEqual([]);
  });

  it('caps a case at its maxReps unless the reps are exact (--reps)', async () => {
    let runs = 0;
    const section: Section = {
      name: 's',
      description: 'test',
      define(ctx) {
        ctx.case('slow', () => Promise.resolve([figure('f', ++runs)]), { maxReps: 1, warmup: 0 });
        return Promise.resolve();
      },
    };
    const capped = await runSections([section], { reps: 3, quick: false, tmpRoot });
    expect(capped.sections[0]?.cases[0]).toMatchObject({ reps: 1, warmup: 0 });
    expect(runs).toBe(1);
    const exact = await runSections([section], { reps: 3, exactReps: true, quick: false, tmpRoot });
    expect(exact.sections[0]?.cases[0]?.figures[0]).toMatchObject({ reps: 3, samples: [2, 3, 4] });
  });

  it('adds a peak-rss figure to a case that tracks memory', async () => {
    const section: Section = {
      name: 's',
      description: 'test',
      define(ctx) {
        ctx.case('c', () => Promise.resolve([figure('f', 1)]), { trackMemory: true });
        return Promise.resolve();
      },
    };
    const run = await runSections([section], { reps: 1, quick: true, warmup: 0, tmpRoot });
    const rss = run.sections[0]?.cases[0]?.figures.find((f) => f.name === 'peak-rss');
    expect(rss).toMatchObject({ unit: 'MiB', better: 'lower' });
    expect(rss?.median).toBeGreaterThan(10);
  });
});
