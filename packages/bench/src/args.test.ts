import { describe, expect, it } from 'vitest';
import { parseBenchArgs, selectSections } from './args.js';
import type { Section } from './section.js';

const section = (name: string): Section => ({ name, description: name, define: () => Promise.resolve() });
const ALL = ['floor', 'ledger', 'signing'].map(section);

describe('parseBenchArgs', () => {
  it('reads every flag', () => {
    expect(
      parseBenchArgs([
        ...['--only', 'ledger, signing', '--cases', 'append,verify', '--quick'],
        ...['--reps', '3', '--out', 'r.json'],
      ]),
    ).toEqual({
      only: ['ledger', 'signing'],
      cases: ['append', 'verify'],
      quick: true,
      reps: 3,
      out: 'r.json',
      list: false,
      help: false,
    });
    expect(parseBenchArgs([])).toEqual({ quick: false, list: false, help: false });
  });

  it('refuses a bad --reps, an unknown flag, a stray argument and an empty --only or --cases', () => {
    for (const argv of [
      ['--reps', '0'],
      ['--reps', '2.5'],
      ['--reps', 'x'],
      ['--fast'],
      ['ledger'],
      ['--only', ','],
      ['--cases', ' '],
    ]) {
      expect(() => parseBenchArgs(argv), argv.join(' ')).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
      );
    }
  });
});

describe('selectSections (--only)', () => {
  it('keeps all sections without --only', () => {
    expect(selectSections(ALL, undefined).map((s) => s.name)).toEqual(['floor', 'ledger', 'signing']);
  });

  it('keeps the named sections in registration order, so baselines run first', () => {
    expect(selectSections(ALL, ['signing', 'floor']).map((s) => s.name)).toEqual(['floor', 'signing']);
  });

  it('names an unknown section and lists the known ones', () => {
    expect(() => selectSections(ALL, ['ledger', 'nope'])).toThrow(
      /unknown section nope; the sections are floor, ledger, signing/,
    );
  });
});
