import { execFile } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINTS_FILE, ENTRIES_FILE, decodeEntry } from '@silo/ledger';
import {
  FIXTURE_ORIGIN,
  frameRecord,
  readPayloads,
  writeLedgerFixture,
  type LedgerFixture,
} from '../packages/audit/src/ledger.fixture.js';
import { tempDir } from './helpers.js';

const run = promisify(execFile);
const SILO = join(import.meta.dirname, '../packages/cli/bin/silo.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function silo(...args: string[]): Promise<Result> {
  return run(process.execPath, [SILO, 'audit', ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: Result) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

describe('silo audit', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let fx: LedgerFixture;
  let copies = 0;

  /** A fresh copy of the fixture ledger to tamper with. */
  async function copy(): Promise<string> {
    const dir = join(root, `copy-${copies++}`);
    await cp(fx.dir, dir, { recursive: true });
    return dir;
  }

  beforeAll(async () => {
    ({ dir: root, cleanup } = await tempDir());
    fx = await writeLedgerFixture(join(root, 'ledger'));
  });
  afterAll(async () => {
    await cleanup();
  });

  describe('verify', () => {
    it('passes an intact ledger with one line per check, the key inline or in a file', async () => {
      const inline = await silo('verify', fx.dir, '--coordinator-key', fx.verifierKey);
      expect(inline.stderr).toBe('');
      expect(inline.code).toBe(0);
      expect(inline.stdout).toContain('✓ 3 checkpoints verified');
      expect(inline.stdout).toContain('✓ 8 update signatures verified against keys enrolled at the time');
      expect(inline.stdout).toContain('✓ 3 aggregates recomputed bit for bit from the blobs');
      expect(inline.stdout).toContain('✓ 1 rejection counted (ERR_BAD_SIGNATURE 1)');
      expect(inline.stdout).toMatch(/\nOK: every check passed \(1 warning\)\n$/);

      const keyFile = join(root, 'coordinator.pub');
      await writeFile(keyFile, `${fx.verifierKey}\n`);
      const jwks = join(root, 'workers.jwks');
      await writeFile(jwks, JSON.stringify({ keys: fx.workers.map((w) => w.publicJwk) }));
      const fromFiles = await silo('verify', fx.dir, '--coordinator-key', keyFile, '--workers', jwks);
      expect(fromFiles.code).toBe(0);
      expect(fromFiles.stdout).toMatch(/\nOK: every check passed\n$/);
    });

    it('prints the report as JSON', async () => {
      const result = await silo(
        'verify',
        fx.dir,
        '--coordinator-key',
        fx.verifierKey,
        '--json',
        '--origin',
        FIXTURE_ORIGIN,
      );
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as { ok: boolean; entries: number; problems: unknown[] };
      expect(report).toMatchObject({ ok: true, entries: fx.size, problems: [] });
    });

    it('exits 1 and names the entry when a blob was changed', async () => {
      const dir = await copy();
      const update = decodeEntry((await readPayloads(join(dir, ENTRIES_FILE)))[10] as Buffer);
      if (update.type !== 'update') throw new Error('entry 10 should be an update');
      const blob = join(dir, 'blobs', update.updateDigest);
      const bytes = await readFile(blob);
      bytes[5] = (bytes[5] as number) ^ 0x80;
      await writeFile(blob, bytes);
      const result = await silo('verify', dir, '--coordinator-key', fx.verifierKey);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^✗ 11 blobs hashing to their names; 1 problem$/m);
      expect(result.stdout).toMatch(
        /^entry 10: ERR_DIGEST_MISMATCH update blob aggregated by entry 12: blob [0-9a-f]{64} changed/m,
      );
      expect(result.stdout).toMatch(/\nFAILED: 2 problems\n$/);
    });

    it('exits 1 for a checkpoint from another key, and for an untrusted worker key', async () => {
      const dir = await copy();
      const notes = await readPayloads(join(dir, CHECKPOINTS_FILE));
      await writeFile(join(dir, CHECKPOINTS_FILE), Buffer.concat(notes.slice(0, 2).map(frameRecord)));
      const jwks = join(root, 'two-workers.jwks');
      await writeFile(jwks, JSON.stringify({ keys: fx.workers.slice(0, 2).map((w) => w.publicJwk) }));
      const result = await silo('verify', dir, '--coordinator-key', fx.verifierKey, '--workers', jwks);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^entry 2: ERR_UNKNOWN_KEY enrolls key \S+ \('hospital-2'\)/m);
      expect(result.stdout).toMatch(/^warning: entry 13: WARN_UNCOVERED entries 13–16 are not covered/m);
    });

    it('exits 2 with a message for bad arguments or an unreadable key', async () => {
      const missingKey = await silo('verify', fx.dir, '--coordinator-key', join(root, 'no-such.pub'));
      expect(missingKey.code).toBe(2);
      expect(missingKey.stderr).toMatch(/ERR_BAD_INPUT: cannot read the coordinator key file/);
      const badKey = await silo('verify', fx.dir, '--coordinator-key', 'silo.test+00000000+AAAA');
      expect(badKey.code).toBe(2);
      expect(badKey.stderr).toMatch(/bad coordinator key/);
      const noKey = await silo('verify', fx.dir);
      expect(noKey.code).toBe(2);
      expect(noKey.stderr).toMatch(/--coordinator-key/);
      const noDir = await silo('verify', join(root, 'nowhere'), '--coordinator-key', fx.verifierKey);
      expect(noDir.code).toBe(2);
      expect(noDir.stderr).toMatch(/ERR_NOT_FOUND/);
      const badJwks = join(root, 'bad.jwks');
      await writeFile(badJwks, '{"keys": [{"kty": "RSA"}]}');
      const jwks = await silo('verify', fx.dir, '--coordinator-key', fx.verifierKey, '--workers', badJwks);
      expect(jwks.code).toBe(2);
      expect(jwks.stderr).toMatch(/keys\[0\]/);
    });
  });

  describe('prove and consistency', () => {
    it('prints a verified inclusion proof to the latest checkpoint', async () => {
      const result = await silo('prove', '5', '--dir', fx.dir, '--coordinator-key', fx.verifierKey);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^entry 5\nleaf hash \S+=\n/);
      expect(result.stdout).toContain(`(tree size ${fx.size}; checkpoint 2, signature verified)`);
      expect(result.stdout).toContain(
        `checkpoint note (size ${fx.size}):\n  ${FIXTURE_ORIGIN}\n  ${fx.size}\n`,
      );
      expect(result.stdout).toMatch(/✓ inclusion verified: entry 5 is in the tree of 17 entries/);

      const json = await silo('prove', '5', '--dir', fx.dir, '--size', '9', '--json');
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        index: 5,
        tree: { size: 9, checkpoint: { index: 0, signature: 'unchecked' } },
        verified: true,
      });
    });

    it('refuses a proof the entries cannot back, and a bad index', async () => {
      const dir = await copy();
      const payloads = await readPayloads(join(dir, ENTRIES_FILE));
      payloads[5] = Buffer.from(payloads[5]?.toString().replace('"nonce":"', '"nonce":"x') ?? '');
      await writeFile(join(dir, ENTRIES_FILE), Buffer.concat(payloads.map(frameRecord)));
      const tampered = await silo('prove', '5', '--dir', dir);
      expect(tampered.code).toBe(1);
      expect(tampered.stderr).toMatch(/ERR_DIGEST_MISMATCH/);
      const beyond = await silo('prove', '99', '--dir', fx.dir);
      expect(beyond.code).toBe(2);
      const notANumber = await silo('prove', 'five', '--dir', fx.dir);
      expect(notANumber.code).toBe(2);
      expect(notANumber.stderr).toMatch(/not a non-negative integer/);
    });

    it('prints a verified consistency proof between two checkpoints', async () => {
      const result = await silo(
        'consistency',
        '9',
        '17',
        '--dir',
        fx.dir,
        '--coordinator-key',
        fx.verifierKey,
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(
        '✓ consistency verified: the tree of 9 entries is a prefix of the tree of 17',
      );
      const json = await silo('consistency', '13', '17', '--dir', fx.dir, '--json');
      expect(JSON.parse(json.stdout)).toMatchObject({ old: { size: 13 }, new: { size: 17 }, verified: true });
      const backwards = await silo('consistency', '17', '9', '--dir', fx.dir);
      expect(backwards.code).toBe(2);
    });
  });
});
