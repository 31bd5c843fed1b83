import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initPki, issueWorkerCert, type Pki } from './pki.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 24 * 60 * 60 * 1000;

async function cert(path: string): Promise<X509Certificate> {
  return new X509Certificate(await readFile(path));
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('the deployment PKI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'silo-pki-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const init = (extra: Partial<Parameters<typeof initPki>[0]> = {}): Promise<Pki> =>
    initPki({
      dir: join(dir, 'pki'),
      coordinatorHosts: ['coord.example.org', '10.0.0.5'],
      workers: ['hospital-a', 'lab.b'],
      ...extra,
    });

  it('writes a CA, a coordinator and worker certificates, keys with mode 0600', async () => {
    const pki = await init();
    expect((await readdir(pki.dir)).sort()).toEqual([
      'ca.crt',
      'ca.key',
      'coordinator.crt',
      'coordinator.key',
      'workers',
    ]);
    expect((await readdir(join(pki.dir, 'workers'))).sort()).toEqual([
      'hospital-a.crt',
      'hospital-a.key',
      'lab.b.crt',
      'lab.b.key',
    ]);
    for (const key of [
      pki.caKey,
      pki.coordinator.key,
      pki.workers['hospital-a']!.key,
      pki.workers['lab.b']!.key,
    ])
      expect(await mode(key)).toBe(0o600);
    for (const crt of [pki.ca, pki.coordinator.cert, pki.workers['lab.b']!.cert])
      expect(await mode(crt)).toBe(0o644);
    expect(await mode(pki.dir)).toBe(0o700);
  });

  it('issues a serverAuth coordinator certificate for every host, and clientAuth worker certificates', async () => {
    const pki = await init({ days: 30 });
    const ca = await cert(pki.ca);
    expect(ca.ca).toBe(true);

    const coordinator = await cert(pki.coordinator.cert);
    expect(coordinator.ca).toBe(false);
    expect(coordinator.keyUsage).toEqual([SERVER_AUTH]);
    expect(coordinator.subjectAltName?.split(', ').sort()).toEqual(
      ['DNS:coord.example.org', 'DNS:localhost', 'IP Address:10.0.0.5', 'IP Address:127.0.0.1'].sort(),
    );
    expect(coordinator.checkHost('coord.example.org')).toBe('coord.example.org');
    expect(coordinator.checkIP('10.0.0.5')).toBe('10.0.0.5');
    expect(coordinator.checkHost('other.example.org')).toBeUndefined();
    expect(coordinator.checkIssued(ca)).toBe(true);
    expect(coordinator.verify(ca.publicKey)).toBe(true);
    expect(coordinator.checkPrivateKey(createPrivateKey(await readFile(pki.coordinator.key)))).toBe(true);
    const lifetime = new Date(coordinator.validTo).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(29 * DAY_MS);
    expect(lifetime).toBeLessThan(31 * DAY_MS);

    for (const name of ['hospital-a', 'lab.b']) {
      const worker = await cert(pki.workers[name]!.cert);
      expect(worker.subject).toBe(`CN=${name}`);
      expect(worker.keyUsage).toEqual([CLIENT_AUTH]);
      expect(worker.ca).toBe(false);
      expect(worker.verify(ca.publicKey)).toBe(true);
      expect(worker.checkPrivateKey(createPrivateKey(await readFile(pki.workers[name]!.key)))).toBe(true);
    }
  });

  it('refuses a second init into the same directory and leaves the first untouched', async () => {
    const pki = await init();
    const before = await readFile(pki.caKey, 'utf8');
    await expect(init({ workers: ['someone-else'] })).rejects.toMatchObject({
      code: 'ERR_CONFLICT',
      message: expect.stringContaining('ca.crt') as unknown,
    });
    expect(await readFile(pki.caKey, 'utf8')).toBe(before);
    expect(await readdir(join(pki.dir, 'workers'))).not.toContain('someone-else.crt');
  });

  it('writes nothing when any one file is in the way', async () => {
    await initPki({ dir: join(dir, 'pki'), coordinatorHosts: ['h'], workers: [] }).then(() =>
      rm(join(dir, 'pki', 'ca.crt')),
    );
    await expect(init()).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    expect(await readdir(join(dir, 'pki'))).not.toContain('ca.crt');
  });

  it('issues another worker later, and never overwrites one', async () => {
    const pki = await init();
    const files = await issueWorkerCert({ caDir: pki.dir, name: 'clinic-c' });
    expect(files).toEqual({
      cert: join(pki.dir, 'workers', 'clinic-c.crt'),
      key: join(pki.dir, 'workers', 'clinic-c.key'),
    });
    const worker = await cert(files.cert);
    expect(worker.subject).toBe('CN=clinic-c');
    expect(worker.keyUsage).toEqual([CLIENT_AUTH]);
    expect(worker.checkIssued(await cert(pki.ca))).toBe(true);
    expect(worker.verify((await cert(pki.ca)).publicKey)).toBe(true);
    expect(await mode(files.key)).toBe(0o600);
    await expect(issueWorkerCert({ caDir: pki.dir, name: 'clinic-c' })).rejects.toMatchObject({
      code: 'ERR_CONFLICT',
    });
    await expect(issueWorkerCert({ caDir: pki.dir, name: 'hospital-a' })).rejects.toMatchObject({
      code: 'ERR_CONFLICT',
    });
  });

  it('refuses a CA directory whose key is missing or belongs to another CA', async () => {
    const pki = await init();
    const other = await initPki({ dir: join(dir, 'other'), coordinatorHosts: ['h'] });
    await expect(issueWorkerCert({ caDir: join(dir, 'nowhere'), name: 'x' })).rejects.toMatchObject({
      code: 'ERR_BAD_INPUT',
      message: expect.stringContaining('ca.crt') as unknown,
    });
    // The other CA's key beside this CA's certificate.
    await rm(other.ca);
    await writeFile(other.ca, await readFile(pki.ca));
    await expect(issueWorkerCert({ caDir: other.dir, name: 'x' })).rejects.toMatchObject({
      code: 'ERR_BAD_INPUT',
      message: expect.stringContaining('ca.key') as unknown,
    });
  });

  it('names bad hosts, worker names and validities', async () => {
    for (const [options, pattern] of [
      [{ coordinatorHosts: ['bad host'] }, /coordinator host "bad host"/],
      [{ coordinatorHosts: ['-x.example'] }, /coordinator host/],
      [{ coordinatorHosts: ['fe80::1%eth0'] }, /coordinator host/],
      [{ workers: ['../escape'] }, /worker name "..\/escape"/],
      [{ workers: ['a', 'a'] }, /given twice/],
      [{ days: 0 }, /validity/],
      [{ days: 1.5 }, /validity/],
    ] as const) {
      await expect(init(options)).rejects.toMatchObject({
        code: 'ERR_BAD_INPUT',
        message: expect.stringMatching(pattern) as unknown,
      });
    }
    await expect(readdir(join(dir, 'pki'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
