import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { appendFile, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EGRESS_CHAIN_START, EgressLog, readEgressLog, type TailCut } from './egress-log.js';
import type { NewEgressRecord } from './egress-records.js';
import { egressLogPath, ensureStateDir } from './state-dir.js';

const withCode = (code: string): unknown => expect.objectContaining({ code });
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const join0: NewEgressRecord = {
  kind: 'join',
  bytes: 120,
  keyId: 'key-1',
  name: 'hospital-a',
  backend: 'cpu',
  numExamples: 100,
  proofDigest: 'ab'.repeat(32),
};
const fetch = (round: number): NewEgressRecord => ({
  kind: 'fetch-model',
  bytes: 20,
  runId: 'run-1',
  round,
  keyId: 'key-1',
});

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'silo-egress-'));
  path = egressLogPath(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The open-file flags of this process's descriptors of `file`, from Linux's `/proc/self/fdinfo`. */
async function openFlags(file: string): Promise<number[]> {
  const flags: number[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    if ((await readlink(`/proc/self/fd/${fd}`).catch(() => '')) !== file) continue;
    const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
    flags.push(Number.parseInt(/^flags:\s+([0-7]+)$/m.exec(info)?.[1] ?? '', 8));
  }
  return flags;
}

async function written(records: NewEgressRecord[]): Promise<string[]> {
  const log = await EgressLog.open(path, { now: () => 1_000 });
  for (const r of records) await log.append(r);
  await log.close();
  return (await readFile(path, 'utf8')).split('\n').slice(0, -1);
}

describe('EgressLog', () => {
  it('appends one JSON record per line, chained by the SHA-256 of the line before', async () => {
    const lines = await written([join0, fetch(1), fetch(2)]);
    expect(lines).toHaveLength(3);
    const records = lines.map(
      (l) => JSON.parse(l) as { seq: number; prev: string; at: number; kind: string },
    );
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(records.map((r) => r.prev)).toEqual([EGRESS_CHAIN_START, sha256(lines[0]!), sha256(lines[1]!)]);
    expect(records[0]).toMatchObject({ ...join0, at: 1_000 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const scan = await readEgressLog(path);
    expect(scan.problems).toEqual([]);
    expect(scan.records.map((r) => r.kind)).toEqual(['join', 'fetch-model', 'fetch-model']);
  });

  it('continues the chain after a reopen', async () => {
    await written([join0]);
    const lines = await written([fetch(1)]);
    expect(JSON.parse(lines[1]!)).toMatchObject({ seq: 1, prev: sha256(lines[0]!) });
    expect((await readEgressLog(path)).problems).toEqual([]);
  });

  it('keeps call order under concurrent appends', async () => {
    const log = await EgressLog.open(path);
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(fetch(i + 1))));
    await log.close();
    const scan = await readEgressLog(path);
    expect(scan.problems).toEqual([]);
    expect(scan.records.map((r) => (r.kind === 'fetch-model' ? r.round : -1))).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('refuses to write a malformed record', async () => {
    const log = await EgressLog.open(path);
    await expect(log.append({ ...join0, proofDigest: 'not hex' })).rejects.toEqual(withCode('ERR_INTERNAL'));
    await log.append(fetch(1));
    await log.close();
    expect((await readEgressLog(path)).records).toHaveLength(1);
  });

  it('refuses to append when another process wrote to the file', async () => {
    const log = await EgressLog.open(path);
    await log.append(join0);
    await appendFile(path, '{"intruder":true}\n');
    await expect(log.append(fetch(1))).rejects.toEqual(withCode('ERR_CONFLICT'));
    await log.close();
  });

  it('refuses to append when the file grew under it after several appends of its own', async () => {
    const log = await EgressLog.open(path);
    for (const round of [1, 2, 3]) await log.append(fetch(round));
    await appendFile(path, 'x');
    await expect(log.append(fetch(4))).rejects.toEqual(withCode('ERR_CONFLICT'));
    await log.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.at(-1)).toBe('x');
  });

  it('appends through a descriptor opened for synchronous I/O, so each record is on disk when append resolves', async () => {
    const log = await EgressLog.open(path);
    const flags = await openFlags(path);
    expect(flags).toHaveLength(1);
    const open = flags[0] ?? 0;
    expect(open & constants.O_SYNC).toBe(constants.O_SYNC);
    expect(open & constants.O_APPEND).toBe(constants.O_APPEND);
    await log.close();
    expect(await openFlags(path)).toEqual([]);
  });
});

describe('EgressLog lock', () => {
  it('refuses a second open while the log is open, and allows it after close', async () => {
    const log = await EgressLog.open(path);
    await expect(EgressLog.open(path)).rejects.toEqual(withCode('ERR_CONFLICT'));
    await log.close();
    await expect(stat(`${path}.lock`)).rejects.toThrow();
    await (await EgressLog.open(path)).close();
  });

  it('refuses a log another running process holds', async () => {
    await writeFile(`${path}.lock`, `${process.ppid}\n`);
    await expect(EgressLog.open(path)).rejects.toEqual(withCode('ERR_CONFLICT'));
  });

  it('takes over the lock of a process that no longer runs', async () => {
    await writeFile(`${path}.lock`, '2147483646\n');
    const log = await EgressLog.open(path);
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    await log.close();
  });
});

describe('readEgressLog', () => {
  it('detects an edited line as a chain break at the next line', async () => {
    const lines = await written([join0, fetch(1), fetch(2)]);
    lines[1] = lines[1]!.replace('"round":1', '"round":7');
    await writeFile(path, `${lines.join('\n')}\n`);
    const scan = await readEgressLog(path);
    expect(scan.problems).toEqual([expect.objectContaining({ line: 2, kind: 'chain-break' })]);
  });

  it('detects a deleted line by the chain and the sequence numbers', async () => {
    const lines = await written([join0, fetch(1), fetch(2)]);
    await writeFile(path, `${[lines[0], lines[2]].join('\n')}\n`);
    const scan = await readEgressLog(path);
    expect(scan.problems.map((p) => [p.line, p.kind])).toEqual([
      [1, 'bad-seq'],
      [1, 'chain-break'],
    ]);
  });

  it('detects deleted leading lines', async () => {
    const lines = await written([join0, fetch(1)]);
    await writeFile(path, `${lines[1]}\n`);
    expect((await readEgressLog(path)).problems.map((p) => p.kind)).toEqual(['bad-seq', 'chain-break']);
  });

  it('reports a line that is not a valid record without dropping the rest', async () => {
    const lines = await written([join0, fetch(1)]);
    await writeFile(path, `${lines[0]}\n{"kind":"nonsense"}\n${lines[1]}\n`);
    const scan = await readEgressLog(path);
    expect(scan.records).toHaveLength(2);
    expect(scan.problems.map((p) => [p.line, p.kind])).toEqual([
      [1, 'bad-record'],
      [2, 'bad-seq'],
      [2, 'chain-break'],
    ]);
  });

  it('reports a torn tail without cutting it', async () => {
    await written([join0]);
    await appendFile(path, '{"seq":1,"at":');
    const before = await readFile(path);
    const scan = await readEgressLog(path);
    expect(scan.records).toHaveLength(1);
    expect(scan.problems).toEqual([expect.objectContaining({ line: 1, kind: 'torn-tail' })]);
    expect((await readFile(path)).equals(before)).toBe(true);
  });

  it('fails with ERR_NOT_FOUND when there is no log', async () => {
    await expect(readEgressLog(join(dir, 'missing.log'))).rejects.toEqual(withCode('ERR_NOT_FOUND'));
  });
});

describe('EgressLog.open with a torn tail', () => {
  it.each([
    ['no trailing newline', '{"seq":1,"at":12'],
    ['not JSON', '{"seq":1,"at":12\n'],
  ])('cuts a last line with %s, reports it and records the cut', async (reason, torn) => {
    const [line0] = await written([join0]);
    await appendFile(path, torn);
    const cuts: TailCut[] = [];
    const log = await EgressLog.open(path, { onTruncate: (cut) => cuts.push(cut) });
    expect(cuts).toEqual([
      {
        offset: Buffer.byteLength(`${line0}\n`),
        cutBytes: Buffer.byteLength(torn),
        cutDigest: sha256(torn),
        reason,
      },
    ]);
    expect(log.recovered.cut).toEqual(cuts[0]);
    await log.append(fetch(1));
    await log.close();

    const scan = await readEgressLog(path);
    expect(scan.problems).toEqual([]);
    expect(scan.records.map((r) => r.kind)).toEqual(['join', 'tail-cut', 'fetch-model']);
    expect(scan.records[1]).toMatchObject({ seq: 1, cutDigest: sha256(torn), prev: sha256(line0!) });
    expect(await readFile(path, 'utf8')).not.toContain(torn);
  });

  it('keeps a last line that is JSON but not a valid record: that is evidence, not a torn write', async () => {
    await written([join0]);
    await appendFile(path, '{"kind":"edited"}\n');
    const cuts: TailCut[] = [];
    const log = await EgressLog.open(path, { onTruncate: (cut) => cuts.push(cut) });
    expect(cuts).toEqual([]);
    expect(log.recovered.problems).toEqual([expect.objectContaining({ line: 1, kind: 'bad-record' })]);
    expect(log.size).toBe(2);
    await log.close();
    expect(await readFile(path, 'utf8')).toContain('"edited"');
  });
});

describe('ensureStateDir', () => {
  it('creates the directory and its parents with mode 0700', async () => {
    const stateDir = join(dir, 'a', 'b');
    await ensureStateDir(stateDir);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    await ensureStateDir(stateDir);
  });

  it('fails with ERR_BAD_CONFIG when the path is a file', async () => {
    await writeFile(join(dir, 'file'), '');
    await expect(ensureStateDir(join(dir, 'file'))).rejects.toEqual(withCode('ERR_BAD_CONFIG'));
  });
});
