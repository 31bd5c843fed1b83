// The dashboard in a real browser: Debian's chromium driven by playwright-core, against a
// coordinator and three workers training on real gRPC and Redis. `.ci/run` installs chromium.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Coordinator, mintControlToken } from '@silo/coordinator';
import { loadMnist, partition, subset } from '@silo/data';
import { initBackend } from '@silo/model';
import { layoutSize } from '@silo/tensors';
import { Trainer, Worker } from '@silo/worker';
import {
  cleanRedis,
  coordinatorConfig,
  makeKey,
  nextEvent,
  quietLogger,
  tempDir,
  uniquePrefix,
} from './helpers.js';

/** Debian's package; CHROMIUM_PATH names another build. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Screenshots go here (ignored by git), so CI can keep them as artifacts. */
const SHOTS = resolve(import.meta.dirname, '../test-results');
const NAMES = ['a', 'b', 'c'] as const;
const ADMIN_SECRET = 'dashboard-admin-secret-0123456789';
/** Long enough that the page sees it running; the test cancels it once it has seen enough. */
const ROUNDS = 40;

describe('the dashboard in a browser', () => {
  const prefix = uniquePrefix();
  let cleanupDir: () => Promise<void>;
  let coordinator: Coordinator;
  let browser: Browser;
  let page: Page;
  const workers: Worker[] = [];
  const keyIds: string[] = [];
  const pageErrors: string[] = [];
  let teamToken = '';
  let runId = '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium, as .ci/run does) ` +
          'or set CHROMIUM_PATH to a Chromium binary',
      );
    }
    await initBackend();
    const { dir, cleanup } = await tempDir();
    cleanupDir = cleanup;
    const made = await Promise.all(NAMES.map((name) => makeKey(dir, name)));
    keyIds.push(...made.map((m) => m.key.keyId));
    const config = coordinatorConfig({
      prefix,
      dataDir: dir,
      insecure: true,
      apiToken: ADMIN_SECRET,
      ledgerName: 'silo-dashboard',
      workers: NAMES.map((name, i) => ({ name, org: 'test', publicKeyFile: made[i]!.publicPath })),
    });
    coordinator = await Coordinator.start({ config, logger: quietLogger });
    const { train } = loadMnist({ trainSize: 300, testSize: 200, seed: 1 });
    const parts = partition(train, NAMES.length, { kind: 'iid' }, 1);
    for (const [i, name] of NAMES.entries()) {
      workers.push(
        new Worker({
          coordinator: coordinator.grpcAddress,
          credentials: grpc.credentials.createInsecure(),
          name,
          key: made[i]!.key,
          trainer: new Trainer(subset(train, parts[i]!)),
          backend: 'test',
          logger: quietLogger,
          initialDelayMs: 50,
          maxDelayMs: 500,
        }),
      );
    }
    const joined = Promise.all(workers.map((w) => nextEvent(w, 'joined')));
    for (const w of workers) w.start();
    await joined;
    ({ token: teamToken } = await mintControlToken(coordinator.key.signing, {
      issuer: config.ledgerName,
      role: 'model-team',
      subject: 'dashboard-test',
      ttlMs: 60 * 60_000,
    }));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (runId !== '') await coordinator?.cancelRun(runId).catch(() => false);
    await Promise.all(workers.map((w) => w.stop()));
    await coordinator?.close();
    await cleanRedis(prefix);
    await cleanupDir?.();
  });

  /** Signs in through the login form with `token`. */
  async function signIn(token: string): Promise<void> {
    await page.goto(`${coordinator.httpUrl}/`);
    await page.locator('#token').fill(token);
    await page.locator('#sign-in').click();
  }

  it('follows a run live: the round counter and the accuracy chart advance', async () => {
    const run = await coordinator.createRun({
      name: 'dashboard',
      model: 'mlp',
      rounds: ROUNDS,
      minWorkers: 3,
      train: { epochs: 1, batchSize: 50, learningRate: 0.05 },
      evaluation: { dataset: 'mnist-test', size: 200, seed: 1, trainSize: 300 },
    });
    runId = run.id;
    await signIn(teamToken);
    await page.locator('#runs-table').getByRole('link', { name: 'dashboard' }).click();
    await page.waitForURL(`**/dashboard/#/runs/${runId}`);

    const counter = page.locator('#round-counter');
    const accuracy = page.locator('#chart-accuracy');
    await counter.waitFor();
    const firstRound = Number(await counter.getAttribute('data-round'));
    const firstPoints = Number(await accuracy.getAttribute('data-points'));
    expect(firstRound).toBeGreaterThanOrEqual(1);
    expect(firstRound).toBeLessThan(ROUNDS);

    // Polls the DOM until both have moved on: events, not a reload, bring the new rounds.
    const live = { timeout: 60_000, interval: 200 };
    await expect
      .poll(async () => Number(await counter.getAttribute('data-round')), live)
      .toBeGreaterThan(firstRound);
    await expect
      .poll(async () => Number(await accuracy.getAttribute('data-points')), live)
      .toBeGreaterThan(Math.max(firstPoints, 1));
    await expect.poll(() => page.locator('#live').getAttribute('data-state')).toBe('live');
    expect(await page.locator('#run-status').textContent()).toBe('running');
    // uPlot drew into its canvas, with the evaluation series in the legend.
    expect(await accuracy.locator('canvas').count()).toBe(1);
    await expect.poll(() => accuracy.locator('.u-legend').textContent()).toContain('evaluation');
    const latestRound = Number(await page.locator('#rounds-table tbody tr td').first().textContent());
    expect(latestRound).toBeGreaterThanOrEqual(1);
    // Every round: each worker downloads the float32 model once and sends a float32 update.
    const bytes = page.locator('#chart-bytes');
    const roundMb = ((NAMES.length * layoutSize(run.layout) * 4) / 1e6).toFixed(2);
    expect(Number(await bytes.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
    expect((await bytes.locator('.u-legend .u-value').allTextContents()).slice(1)).toEqual([
      roundMb,
      roundMb,
    ]);

    await mkdir(SHOTS, { recursive: true });
    const shot = join(SHOTS, 'dashboard-run.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard screenshot: ${shot}`);
    expect(pageErrors).toEqual([]);
  });

  it('shows the workers with their accepted updates, and tells a model-team token the ledger is not its to read', async () => {
    await page.goto(`${coordinator.httpUrl}/dashboard/#/workers`);
    const rows = page.locator('#workers-table tbody tr');
    await expect.poll(() => rows.count()).toBe(NAMES.length);
    await expect.poll(() => rows.first().locator('td').nth(2).textContent()).toBe('online');
    const accepted = (await rows.locator('td:nth-child(6)').allTextContents()).map(Number);
    expect(Math.min(...accepted)).toBeGreaterThanOrEqual(1);
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'dashboard-workers.png'), fullPage: true });

    await page.goto(`${coordinator.httpUrl}/dashboard/#/ledger`);
    await expect
      .poll(() => page.locator('.page-error').textContent())
      .toContain("role 'model-team' may not call GET /v1/ledger");
    pageErrors.length = 0; // the browser logs the 403 as a console error
  });

  it('shows the ledger to an admin: its size, latest checkpoint, and the commands that verify it', async () => {
    await page.locator('#sign-out').click();
    await signIn(ADMIN_SECRET);
    await page.goto(`${coordinator.httpUrl}/dashboard/#/ledger`);
    await expect
      .poll(async () => Number(await page.locator('#ledger-size').getAttribute('data-size')))
      .toBeGreaterThan(3);
    expect(await page.locator('#checkpoint').textContent()).toMatch(/^silo-dashboard\n\d+\n/);
    expect(await page.locator('pre.commands').textContent()).toContain(
      `silo audit verify mirror --coordinator-key '${coordinator.key.verifierKey}'`,
    );
    await page.screenshot({ path: join(SHOTS, 'dashboard-ledger.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('lists a worker whose connection ended as offline, with when it was last seen', async () => {
    const keyId = keyIds[2]!;
    const leaving = workers.splice(2, 1)[0]!;
    const stoppedAt = Date.now();
    await leaving.stop();
    const presence = async () => {
      const response = await fetch(`${coordinator.httpUrl}/v1/workers`, {
        headers: { authorization: `Bearer ${teamToken}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as {
        online: { keyId: string }[];
        offline: { keyId: string; lastSeen: number }[];
      };
    };
    // The coordinator marks it offline when it sees the stream end.
    await expect
      .poll(async () => (await presence()).offline.map((w) => w.keyId), { timeout: 10_000 })
      .toContain(keyId);
    const { online, offline } = await presence();
    expect(online.map((w) => w.keyId).sort()).toEqual(keyIds.slice(0, 2).sort());
    const lastSeen = offline.find((w) => w.keyId === keyId)!.lastSeen;
    expect(lastSeen).toBeGreaterThanOrEqual(stoppedAt);
    expect(lastSeen).toBeLessThanOrEqual(Date.now());

    await page.goto(`${coordinator.httpUrl}/dashboard/#/workers`);
    const row = page.locator('#workers-table tbody tr', { has: page.locator(`code[title="${keyId}"]`) });
    await expect.poll(() => row.locator('td').nth(2).textContent()).toBe('offline');
    expect(await row.locator('td').nth(3).textContent()).toMatch(/^offline · last seen \d+ s ago$/);
    await page.screenshot({ path: join(SHOTS, 'dashboard-workers-offline.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
