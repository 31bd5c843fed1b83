import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ENTRIES_FILE,
  decodeEntry,
  parseVerifierKey,
  verifyCheckpoint,
  verifyConsistency,
  verifyLedgerDir,
} from '@silo/ledger';
import { generateKeyPair } from '@silo/signing';
import {
  REDIS_URL,
  cleanRedis,
  startCoordinatorProcess as startCoordinator,
  tempDir,
  uniquePrefix,
} from './helpers.js';

const TOKEN = 'crash-test-token-0123456789';
const ORIGIN = 'silo-crash-test';

async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface LedgerView {
  size: number;
  checkpoint: { size: number; root: string; note: string } | null;
}

/** Creates and cancels a run: two entries, and the run's end makes the writer sign a checkpoint. */
async function runAndCancel(base: string): Promise<LedgerView> {
  const run = await api<{ id: string }>(base, 'POST', '/v1/runs', {
    name: 'crash',
    model: 'mlp',
    rounds: 1,
    minWorkers: 1,
  });
  await api(base, 'POST', `/v1/runs/${run.id}/cancel`);
  // The writer polls Redis; wait until a checkpoint covers the run's end.
  for (;;) {
    const view = await api<LedgerView>(base, 'GET', '/v1/ledger');
    const entries = await api<{ entries: string[]; start: number }>(
      base,
      'GET',
      `/v1/ledger/entries?start=${Math.max(0, view.size - 1)}`,
    );
    const last = entries.entries.at(-1);
    const ended = last !== undefined && decodeEntry(Buffer.from(last, 'base64')).type === 'run-ended';
    if (ended && view.checkpoint?.size === view.size) return view;
    await new Promise((r) => setImmediate(r));
  }
}

describe('a coordinator killed with SIGKILL while it appends to the ledger', () => {
  const prefix = uniquePrefix();
  const children: ChildProcess[] = [];
  let cleanup: (() => Promise<void>) | undefined;

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await cleanRedis(prefix);
    await cleanup?.();
  });

  it('reopens the log, cuts the torn tail, loses no acknowledged entry and stays consistent', async () => {
    const temp = await tempDir();
    cleanup = temp.cleanup;
    const config = join(temp.dir, 'coordinator.json');
    await writeFile(
      config,
      JSON.stringify({
        grpc: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        redisUrl: REDIS_URL,
        prefix,
        dataDir: join(temp.dir, 'data'),
        insecure: true,
        apiToken: TOKEN,
        ledgerName: ORIGIN,
      }),
    );

    const first = await startCoordinator(config);
    children.push(first.child);
    const base = first.ready.http;
    const key = parseVerifierKey(first.ready.verifierKey);
    const before = await runAndCancel(base);
    const signed = verifyCheckpoint(before.checkpoint!.note, key, ORIGIN);

    // A burst of enrollments, four in flight at a time; kill the process in the middle of it.
    const acknowledged: string[] = [];
    let stop = false;
    let reached: () => void = () => undefined;
    const fortyAcknowledged = new Promise<void>((r) => (reached = r));
    const enrolling = Array.from({ length: 4 }, async (_, lane) => {
      for (let i = 0; !stop; i++) {
        const { publicJwk, keyId } = await generateKeyPair();
        try {
          await api(base, 'POST', '/v1/workers', { name: `w-${lane}-${i}`, org: 'crash', publicJwk });
          acknowledged.push(keyId);
          if (acknowledged.length === 40) reached();
        } catch {
          return; // the process is gone
        }
        if (acknowledged.length >= 60) stop = true;
      }
    });
    await fortyAcknowledged;
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(enrolling);
    await first.ended;

    // A kill between two records leaves no torn tail; the first half of the next record is what
    // a kill an instant later leaves, so make sure the reopened store has one to cut.
    const entriesPath = join(first.ready.ledgerDir, ENTRIES_FILE);
    const audited = await verifyLedgerDir(first.ready.ledgerDir, first.ready.verifierKey, ORIGIN);
    if (!audited.warnings.some((w) => w.includes('damaged'))) {
      const partial = Buffer.alloc(24);
      partial.writeUInt32BE(320, 0);
      partial.write('{"v":1,"type":"key-enro', 4, 'utf8');
      await appendFile(entriesPath, partial);
    }
    const tornBytes = (await readFile(entriesPath)).length;

    const second = await startCoordinator(config);
    children.push(second.child);
    const after = await runAndCancel(second.ready.http);
    expect(second.log()).toContain('cut a torn record');
    expect((await readFile(entriesPath)).length).toBeGreaterThan(0);
    expect(tornBytes).toBeGreaterThan(0);

    // Every enrollment acknowledged before the kill is in the log, once.
    const enrolled = new Map<string, number>();
    for (let start = 0; start < after.size;) {
      const page = await api<{ entries: string[] }>(
        second.ready.http,
        'GET',
        `/v1/ledger/entries?start=${start}`,
      );
      for (const [i, text] of page.entries.entries()) {
        const entry = decodeEntry(Buffer.from(text, 'base64'), start + i);
        if (entry.type === 'key-enrolled') enrolled.set(entry.keyId, (enrolled.get(entry.keyId) ?? 0) + 1);
      }
      start += page.entries.length;
    }
    for (const keyId of acknowledged) expect(enrolled.get(keyId), keyId).toBe(1);

    // The checkpoint signed after the restart extends the last one signed before the crash.
    const latest = verifyCheckpoint(after.checkpoint!.note, key, ORIGIN);
    expect(latest.size).toBeGreaterThan(signed.size);
    const { proof } = await api<{ proof: string[] }>(
      second.ready.http,
      'GET',
      `/v1/ledger/proof/consistency?from=${signed.size}&to=${latest.size}`,
    );
    expect(() =>
      verifyConsistency(
        signed.size,
        latest.size,
        proof.map((p) => Buffer.from(p, 'base64')),
        signed.root,
        latest.root,
      ),
    ).not.toThrow();
    const audit = await verifyLedgerDir(second.ready.ledgerDir, second.ready.verifierKey, ORIGIN);
    expect(audit.problems).toEqual([]);
    expect(audit.warnings).toEqual([]);
    expect(audit.verifiedSize).toBe(after.size);
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  }, 120_000);
});
