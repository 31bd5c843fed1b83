import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { verifyConsistency, verifyInclusion } from './merkle-verify.js';

// Known answers from transparency-dev/merkle `testdata/` (see /work/shared/testdata/README.md).
// Only `inclusion/` and `consistency/` are in scope: `subtreeinclusion/` and `subtreeconsistency/`
// test subtree proofs (tlog-tiles style ranges [start, end)), which this package does not offer.
const ROOT = fileURLToPath(new URL('../../../../shared/testdata/rfc6962', import.meta.url));

function jsonFiles(dir: string): string[] {
  // readdirSync throws when the folder is missing, so a lost checkout fails the suite, not skips it.
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return jsonFiles(path);
      return name.endsWith('.json') ? [path] : [];
    });
}

interface Probe {
  readonly desc: string;
  readonly wantErr: boolean;
  readonly [field: string]: unknown;
}

function load(path: string): Probe {
  const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof value !== 'object' || value === null) throw new Error(`${path}: not an object`);
  const probe = value as Probe;
  if (typeof probe.wantErr !== 'boolean') throw new Error(`${path}: no wantErr`);
  return probe;
}

const b64 = (value: unknown): Uint8Array => new Uint8Array(Buffer.from(value as string, 'base64'));
// Go writes a nil proof as JSON null.
const proofOf = (value: unknown): Uint8Array[] => ((value ?? []) as unknown[]).map(b64);
// Some probes hold 2^64 - 1; JSON.parse rounds it to an unsafe integer, which the verifiers reject.
const num = (value: unknown): number => value as number;

function outcome(run: () => void): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    return `error ${(err as { code?: string }).code}`;
  }
}

const inclusion = jsonFiles(join(ROOT, 'inclusion'));
const consistency = jsonFiles(join(ROOT, 'consistency'));

describe('RFC 6962 known-answer probes', () => {
  it('finds the probe files (a missing or emptied folder must fail, not pass vacuously)', () => {
    expect(inclusion.length).toBeGreaterThanOrEqual(98);
    expect(consistency.length).toBeGreaterThanOrEqual(98);
  });

  it.each(inclusion.map((p) => [relative(ROOT, p), p]))('inclusion %s', (_name, path) => {
    const p = load(path);
    const got = outcome(() =>
      verifyInclusion(
        b64(p['leafHash']),
        num(p['leafIdx']),
        num(p['treeSize']),
        proofOf(p['proof']),
        b64(p['root']),
      ),
    );
    if (p.wantErr) expect(got).toMatch(/^error ERR_/);
    else expect(got).toBe('ok');
  });

  it.each(consistency.map((p) => [relative(ROOT, p), p]))('consistency %s', (_name, path) => {
    const p = load(path);
    const got = outcome(() =>
      verifyConsistency(
        num(p['size1']),
        num(p['size2']),
        proofOf(p['proof']),
        b64(p['root1']),
        b64(p['root2']),
      ),
    );
    if (p.wantErr) expect(got).toMatch(/^error ERR_/);
    else expect(got).toBe('ok');
  });
});
