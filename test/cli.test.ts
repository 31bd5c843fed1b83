import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '@silo/data';
import { initBackend } from '@silo/model';
import { REDIS_URL, tempDir } from './helpers.js';

const run = promisify(execFile);
const SILO = join(import.meta.dirname, '../packages/cli/bin/silo.js');

/** Serves a directory over HTTP so the export can be loaded with tf.loadLayersModel(url). */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').replace(/^\/+/, '');
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
      res.writeHead(404).end();
      return;
    }
    createReadStream(join(dir, name))
      .on('error', () => res.writeHead(404).end())
      .pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('silo simulate, as a newcomer runs it', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => {
    await cleanup();
  });

  it('runs coordinator and worker processes to a model tf.loadLayersModel loads, with a ledger that audits clean', async () => {
    const out = join(dir, 'model');
    const sim = join(dir, 'sim');
    const { stdout } = await run(
      process.execPath,
      [
        SILO,
        'simulate',
        '--workers',
        '2',
        '--rounds',
        '5',
        '--epochs',
        '1',
        '--train-size',
        '600',
        '--test-size',
        '300',
        '--partition',
        'iid',
        '--no-baseline',
        '--out',
        out,
        '--dir',
        sim,
      ],
      { env: { ...process.env, REDIS_URL }, timeout: 240_000 },
    );
    expect(stdout).toMatch(/round +1\/5 +accuracy/);
    expect(stdout).toMatch(/round +5\/5 +accuracy/);
    // The production path: both sides were configured with the CA the simulation made.
    expect(stdout).toContain('federation plane: mTLS');
    for (const file of ['coordinator.json', 'worker-000.json', 'worker-001.json']) {
      const config = JSON.parse(await readFile(join(sim, file), 'utf8')) as {
        tls?: { ca: string };
        insecure?: boolean;
      };
      expect(config.tls?.ca).toBe(join(sim, 'pki', 'ca.crt'));
      expect(config.insecure).toBeUndefined();
    }
    expect(stdout).toMatch(/ledger +\d+ entries, \d+ signed checkpoints; audit OK/);
    // An auditor checks the same ledger with the CLI, from the files alone.
    const audit = await run(process.execPath, [
      SILO,
      'audit',
      'verify',
      join(sim, 'coordinator', 'ledger'),
      '--coordinator-key',
      join(sim, 'coordinator', 'ledger-verifier.key'),
      '--workers',
      join(sim, 'workers.jwks.json'),
      '--json',
    ]);
    const report = JSON.parse(audit.stdout) as {
      ok: boolean;
      problems: unknown[];
      runs: { rounds: number }[];
    };
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.runs.map((r) => r.rounds)).toEqual([5]);
    expect(stdout).toMatch(/status +completed/);
    expect(stdout).toMatch(/backend +workers: (wasm|cpu|tensorflow)/);
    const reported = /(\d+\.\d+)% accuracy on 300 held-out digits/.exec(stdout);
    expect(reported).not.toBeNull();

    await initBackend();
    const server = await serve(out);
    try {
      const { port } = server.address() as AddressInfo;
      const model = await tf.loadLayersModel(`http://127.0.0.1:${port}/model.json`);
      const { test } = loadMnist({ trainSize: 600, testSize: 300, seed: 0 });
      const labels = tf.tidy(() =>
        (model.predict(tf.tensor2d(test.x, [test.size, 784])) as tf.Tensor).argMax(1),
      );
      const predictions = Array.from(await labels.data());
      labels.dispose();
      const correct = predictions.reduce((n, label, i) => n + (label === test.y[i] ? 1 : 0), 0);
      // The exported model reproduces the accuracy the coordinator reported for the final round.
      expect(correct / test.size).toBeCloseTo(Number(reported?.[1]) / 100, 3);
      model.dispose();
    } finally {
      server.close();
    }
  });

  it('explains every command in --help', async () => {
    const { stdout } = await run(process.execPath, [SILO, '--help']);
    for (const command of ['keys', 'certs', 'coordinator', 'worker', 'workers', 'run', 'simulate'])
      expect(stdout).toContain(command);
    const { stdout: sim } = await run(process.execPath, [SILO, 'simulate', '--help']);
    expect(sim).toContain('--partition <scheme>');
    expect(sim).toContain('--insecure');
    for (const flag of ['--attackers <n>', '--attack <mode>', '--strategy <name>', '--strategy-param <k=v>'])
      expect(sim).toContain(flag);
  });

  it('refuses a bad attack or strategy before starting anything', async () => {
    for (const args of [
      ['--attackers', '2', '--attack', 'flip'],
      ['--attackers', '2'],
      ['--strategy', 'krum', '--strategy-param', 'f=x'],
      ['--workers', '4', '--strategy', 'bulyan', '--strategy-param', 'f=1'],
    ]) {
      const failed = await run(process.execPath, [SILO, 'simulate', ...args, '--no-baseline']).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toMatch(/ERR_BAD_CONFIG/);
    }
  });

  it('fails with a code and a reason on a bad partition', async () => {
    const failed = await run(process.execPath, [
      SILO,
      'simulate',
      '--partition',
      'shards:x',
      '--no-baseline',
    ]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/ERR_BAD_CONFIG/);
  });
});
