import { execFile } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Coordinator, type RunView } from '@silo/coordinator';
import { exportRun } from '../packages/cli/src/commands/run.js';
import { mirrorLedger, type MirrorProgress } from '../packages/cli/src/ledger-mirror.js';
import { SILO_BIN, cleanRedis, coordinatorConfig, quietLogger, tempDir, uniquePrefix } from './helpers.js';

const execFileAsync = promisify(execFile);
const BOOTSTRAP = 'cli-json-bootstrap-0123456789';
const LEDGER_NAME = 'silo-cli-json';

/** What a finished `silo …` printed, and its exit code. */
interface Output {
  stdout: string;
  stderr: string;
  code: number;
}

describe('--json on the listing and result commands', { timeout: 120_000 }, () => {
  const prefix = uniquePrefix();
  let coordinator: Coordinator;
  let dir: string;
  let cleanupDir: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup: cleanupDir } = await tempDir());
    coordinator = await Coordinator.start({
      config: coordinatorConfig({
        insecure: true,
        prefix,
        dataDir: dir,
        apiToken: BOOTSTRAP,
        ledgerName: LEDGER_NAME,
      }),
      logger: quietLogger,
    });
  });

  afterAll(async () => {
    await coordinator?.close();
    await cleanRedis(prefix);
    await cleanupDir?.();
  });

  /** Runs `silo …` against the coordinator, with stdout and stderr pipes (not a terminal). */
  async function silo(...args: string[]): Promise<Output> {
    const env = { ...process.env, SILO_URL: coordinator.httpUrl, SILO_TOKEN: BOOTSTRAP };
    return execFileAsync(process.execPath, [SILO_BIN, ...args], { env, timeout: 60_000 }).then(
      ({ stdout, stderr }) => ({ stdout, stderr, code: 0 }),
      (err: Output) => err,
    );
  }

  /** `silo … --json`: one JSON document on stdout, nothing on stderr, exit `code`. */
  async function siloJson<T>(args: string[], code = 0): Promise<T> {
    const out = await silo(...args, '--json');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(code);
    expect(out.stdout.endsWith('\n')).toBe(true);
    return JSON.parse(out.stdout) as T;
  }

  it('keys generate, workers enroll, list and revoke', async () => {
    const made = await siloJson<{ keyId: string; privatePath: string; publicPath: string }>([
      'keys',
      'generate',
      '--out',
      join(dir, 'lab.key.json'),
    ]);
    await access(made.privatePath);
    expect(JSON.parse(await readFile(made.publicPath, 'utf8'))).toMatchObject({ kty: 'OKP' });

    const enrolled = await siloJson<{ keyId: string; name: string; org: string }>([
      'workers',
      'enroll',
      '--name',
      'lab',
      '--org',
      'Lab A',
      '--jwk',
      made.publicPath,
    ]);
    expect(enrolled).toMatchObject({ keyId: made.keyId, name: 'lab', org: 'Lab A' });

    const listed = await siloJson<{ enrolled: { keyId: string; revokedAt?: number }[]; online: unknown[] }>([
      'workers',
      'list',
    ]);
    expect(listed.enrolled.map((w) => w.keyId)).toContain(made.keyId);
    expect(listed.online).toEqual([]);

    const revoked = await siloJson<{ keyId: string; revokedAt: number }>(['workers', 'revoke', made.keyId]);
    expect(revoked.keyId).toBe(made.keyId);
    expect(revoked.revokedAt).toBeGreaterThan(0);
  });

  it('run create, list, status, export, cancel and watch', async () => {
    const config = join(dir, 'run.json');
    await writeFile(config, JSON.stringify({ name: 'json', model: 'mlp', rounds: 3, minWorkers: 1 }));
    const created = await siloJson<RunView>(['run', 'create', '--config', config]);
    expect(created.status).toBe('running');

    const runs = await siloJson<RunView[]>(['run', 'list']);
    expect(runs.map((r) => r.id)).toEqual([created.id]);
    const status = await siloJson<RunView>(['run', 'status', created.id]);
    expect(status.checkpoint).toBe(created.checkpoint);

    // The weights download: no progress bar when stderr is not a terminal.
    const out = join(dir, 'export');
    const exported = await siloJson<{ runId: string; checkpoint: string; dir: string }>([
      'run',
      'export',
      created.id,
      '--out',
      out,
    ]);
    expect(exported).toEqual({ runId: created.id, checkpoint: created.checkpoint, dir: out });
    await access(join(out, 'model.json'));
    await access(join(out, 'model-card.json'));
    const plain = await silo('run', 'export', created.id, '--out', join(dir, 'export-2'));
    expect(plain).toMatchObject({ code: 0, stderr: '' });
    expect(plain.stdout).toBe(`exported model ${created.checkpoint} to ${join(dir, 'export-2')}\n`);
    // What a terminal's bar is fed: the weights' bytes, up to the length the coordinator announced.
    const seen: [number, number | undefined][] = [];
    await exportRun({ url: coordinator.httpUrl, token: BOOTSTRAP }, created.id, join(dir, 'export-3'), {
      onProgress: (received, total) => seen.push([received, total]),
    });
    const weightsBytes = (await readFile(join(coordinator.ledgerDir, 'blobs', created.checkpoint)))
      .byteLength;
    expect(seen.at(-1)).toEqual([weightsBytes, weightsBytes]);

    const cancelled = await siloJson<RunView>(['run', 'cancel', created.id]);
    expect(cancelled).toMatchObject({ id: created.id, status: 'cancelled' });
    // A run that did not complete: the ended run as JSON, and exit 1.
    const watched = await siloJson<RunView>(['run', 'watch', created.id], 1);
    expect(watched).toMatchObject({ id: created.id, status: 'cancelled' });
  });

  it('tokens create, certs init and issue-worker, audit fetch', async () => {
    const issued = await siloJson<{ token: string; role: string; subject: string; expiresAt: string }>([
      'tokens',
      'create',
      '--role',
      'auditor',
      '--subject',
      'json-auditor',
      '--key-file',
      join(dir, 'coordinator-key.json'),
      '--ledger-name',
      LEDGER_NAME,
    ]);
    expect(issued).toMatchObject({ role: 'auditor', subject: 'json-auditor' });
    expect(issued.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(Date.parse(issued.expiresAt)).toBeGreaterThan(Date.now());

    const pki = await siloJson<{
      ca: string;
      coordinator: { cert: string };
      workers: Record<string, unknown>;
    }>([
      'certs',
      'init',
      '--out',
      join(dir, 'pki'),
      '--coordinator-host',
      'coord.internal',
      '--workers',
      'a',
    ]);
    await access(pki.ca);
    await access(pki.coordinator.cert);
    expect(Object.keys(pki.workers)).toEqual(['a']);
    const worker = await siloJson<{ name: string; cert: string; key: string }>([
      'certs',
      'issue-worker',
      '--ca-dir',
      join(dir, 'pki'),
      '--name',
      'b',
    ]);
    expect(worker.name).toBe('b');
    await access(worker.cert);

    // The cancelled run above ended with a signed checkpoint, so there is a ledger to mirror.
    // Entries and blobs are fetched without drawing progress on a pipe; the auditor's token reads.
    await coordinator.ledger.drain();
    const fetched = await siloJson<{ to: number; blobsFetched: number }>([
      'audit',
      'fetch',
      '--from',
      coordinator.httpUrl,
      '--out',
      join(dir, 'mirror'),
      '--token',
      issued.token,
    ]);
    expect(fetched.to).toBeGreaterThan(0);
    expect(fetched.blobsFetched).toBeGreaterThan(0);
    // What a terminal's bar is fed: every entry, and the blobs' bytes.
    const progress: MirrorProgress[] = [];
    const again = await mirrorLedger(
      { url: coordinator.httpUrl, token: issued.token },
      join(dir, 'mirror-2'),
      {
        onProgress: (p) => progress.push(p),
      },
    );
    expect(progress[0]).toMatchObject({ entries: 0, totalEntries: again.to, blobBytes: 0 });
    expect(progress.at(-1)).toEqual({
      entries: again.to,
      totalEntries: again.to,
      blobsFetched: again.blobsFetched,
      blobBytes: again.blobBytes,
    });
  });
});
