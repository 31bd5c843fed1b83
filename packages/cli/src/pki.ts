import { X509Certificate as NodeCertificate, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { lstat, mkdir, open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { SiloError } from '@silo/common';

/** ECDSA P-256 with SHA-256: accepted by every TLS stack gRPC runs on. */
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const PRIVATE_KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const DIR_MODE = 0o700;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Default validity of coordinator and worker certificates. */
export const DEFAULT_CERT_DAYS = 365;
/** The CA outlives the certificates it issues: ten years, or `days` when that is longer. */
const MIN_CA_DAYS = 3650;
const MAX_DAYS = 36_500;
/** Certificates start a little in the past so a worker whose clock lags still accepts them. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Names the coordinator certificate always carries, so a local deployment works as is. */
const LOCAL_HOSTS = ['localhost', '127.0.0.1'];
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const WORKER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

type X509Module = typeof X509;
let x509Module: Promise<X509Module> | undefined;

/**
 * @peculiar/x509, loaded on first use: it resolves its algorithms through tsyringe, which needs
 * the global Reflect metadata polyfill first, and only a process that issues certificates should
 * carry either (not every coordinator and worker that imports the CLI package).
 */
function loadX509(): Promise<X509Module> {
  x509Module ??= import('reflect-metadata').then(() => import('@peculiar/x509'));
  return x509Module;
}

/** File names inside a PKI directory. */
export const PKI_FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  coordinatorCert: 'coordinator.crt',
  coordinatorKey: 'coordinator.key',
  workersDir: 'workers',
} as const;

/** A certificate and its private key, as file paths. */
export interface CertFiles {
  cert: string;
  key: string;
}

/** The files {@link initPki} wrote. */
export interface Pki {
  dir: string;
  /** The CA certificate: `tls.ca` of the coordinator and of every worker. */
  ca: string;
  /** The CA private key: keep it offline; only `silo certs issue-worker` needs it. */
  caKey: string;
  coordinator: CertFiles;
  workers: Record<string, CertFiles>;
}

/** Options of {@link initPki}. */
export interface InitPkiOptions {
  /** Directory of the PKI; created with mode 0700 when missing. */
  dir: string;
  /** Names and addresses workers dial the coordinator by; `localhost` and `127.0.0.1` are added. */
  coordinatorHosts: readonly string[];
  /** Workers to issue client certificates for now; more later with {@link issueWorkerCert}. */
  workers?: readonly string[];
  /** Validity of the coordinator and worker certificates; default {@link DEFAULT_CERT_DAYS}. */
  days?: number;
  /** The issue time; default now. */
  now?: Date;
}

/** Options of {@link issueWorkerCert}. */
export interface IssueWorkerOptions {
  /** A directory made by {@link initPki}, holding `ca.crt` and `ca.key`. */
  caDir: string;
  /** The worker's name: the certificate's CN and the files' base name. */
  name: string;
  /** Where the two files go; default `<caDir>/workers`. */
  outDir?: string;
  /** Validity, capped at the CA's; default {@link DEFAULT_CERT_DAYS}. */
  days?: number;
  now?: Date;
}

interface Issuer {
  name: string | X509.Name;
  keys: { privateKey: webcrypto.CryptoKey; publicKey: webcrypto.CryptoKey };
  notAfter: Date;
}

/** Where the certificate and key of worker `name` go inside `dir`. */
export function workerCertFiles(dir: string, name: string): CertFiles {
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/**
 * Creates a deployment's PKI in `dir`: a CA, the coordinator's server certificate (serverAuth,
 * with every given host as a DNS or IP subject alternative name) and one client certificate
 * per worker (clientAuth, CN = worker name). Private keys are written with mode 0600.
 *
 * @throws SiloError `ERR_CONFLICT` naming the first file that already exists (nothing is
 *   written then); `ERR_BAD_INPUT` for a bad host, worker name or validity.
 */
export async function initPki(options: InitPkiOptions): Promise<Pki> {
  const hosts = parseHosts(options.coordinatorHosts);
  const workers = parseWorkerNames(options.workers ?? []);
  const days = parseDays(options.days ?? DEFAULT_CERT_DAYS);
  const now = options.now ?? new Date();
  const dir = options.dir;
  const workersDir = join(dir, PKI_FILES.workersDir);
  const pki: Pki = {
    dir,
    ca: join(dir, PKI_FILES.caCert),
    caKey: join(dir, PKI_FILES.caKey),
    coordinator: { cert: join(dir, PKI_FILES.coordinatorCert), key: join(dir, PKI_FILES.coordinatorKey) },
    workers: Object.fromEntries(workers.map((name) => [name, workerCertFiles(workersDir, name)])),
  };
  const targets = [pki.ca, pki.caKey, pki.coordinator.cert, pki.coordinator.key];
  for (const files of Object.values(pki.workers)) targets.push(files.cert, files.key);
  await refuseExisting(targets);

  const x509 = await loadX509();
  const ca = await createCa(x509, now, Math.max(days, MIN_CA_DAYS));
  const notAfter = new Date(now.getTime() + days * DAY_MS);
  const coordinator = await issueLeaf(x509, ca, {
    subject: commonNameOf(hosts[0]!.value),
    usage: SERVER_AUTH,
    names: hosts,
    now,
    notAfter,
  });
  const issued: { files: CertFiles; pair: PemPair }[] = [{ files: pki.coordinator, pair: coordinator }];
  for (const name of workers) {
    const pair = await issueLeaf(x509, ca, {
      subject: `CN=${name}`,
      usage: CLIENT_AUTH,
      now,
      notAfter,
    });
    issued.push({ files: pki.workers[name]!, pair });
  }

  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  if (workers.length > 0) await mkdir(workersDir, { recursive: true, mode: DIR_MODE });
  const written: string[] = [];
  try {
    await writeNewFile(pki.ca, ca.certPem, CERT_MODE, written);
    await writeNewFile(pki.caKey, ca.keyPem, PRIVATE_KEY_MODE, written);
    for (const { files, pair } of issued) {
      await writeNewFile(files.cert, pair.certPem, CERT_MODE, written);
      await writeNewFile(files.key, pair.keyPem, PRIVATE_KEY_MODE, written);
    }
  } catch (err) {
    // Half a PKI is worse than none: the next init would refuse to replace it.
    await Promise.all(written.map((path) => unlink(path).catch(() => undefined)));
    throw err;
  }
  return pki;
}

/**
 * Issues one more worker client certificate from the CA in `caDir`.
 *
 * @throws SiloError `ERR_CONFLICT` when the worker's files exist; `ERR_BAD_INPUT` for a bad
 *   name or validity, or a CA directory whose certificate and key are missing or do not match.
 */
export async function issueWorkerCert(options: IssueWorkerOptions): Promise<CertFiles> {
  const [name] = parseWorkerNames([options.name]);
  const days = parseDays(options.days ?? DEFAULT_CERT_DAYS);
  const now = options.now ?? new Date();
  const outDir = options.outDir ?? join(options.caDir, PKI_FILES.workersDir);
  const files = workerCertFiles(outDir, name!);
  await refuseExisting([files.cert, files.key]);
  const x509 = await loadX509();
  const ca = await loadCa(x509, options.caDir);
  const requested = new Date(now.getTime() + days * DAY_MS);
  const pair = await issueLeaf(x509, ca, {
    subject: `CN=${name}`,
    usage: CLIENT_AUTH,
    now,
    notAfter: requested < ca.notAfter ? requested : ca.notAfter,
  });
  await mkdir(outDir, { recursive: true, mode: DIR_MODE });
  const written: string[] = [];
  try {
    await writeNewFile(files.cert, pair.certPem, CERT_MODE, written);
    await writeNewFile(files.key, pair.keyPem, PRIVATE_KEY_MODE, written);
  } catch (err) {
    await Promise.all(written.map((path) => unlink(path).catch(() => undefined)));
    throw err;
  }
  return files;
}

interface PemPair {
  certPem: string;
  keyPem: string;
}

async function createCa(x509: X509Module, now: Date, days: number): Promise<Issuer & PemPair> {
  const keys = await generateKeys();
  const name = `CN=Silo deployment CA ${randomBytes(4).toString('hex')}`;
  const notAfter = new Date(now.getTime() + days * DAY_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name,
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return {
    name,
    keys,
    notAfter,
    certPem: cert.toString('pem'),
    keyPem: await privateKeyPem(x509, keys.privateKey),
  };
}

async function issueLeaf(
  x509: X509Module,
  issuer: Issuer,
  leaf: {
    subject: string;
    usage: string;
    names?: X509.JsonGeneralNames;
    now: Date;
    notAfter: Date;
  },
): Promise<PemPair> {
  const keys = await generateKeys();
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([leaf.usage], false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey, false, webcrypto),
  ];
  if (leaf.names !== undefined) extensions.push(new x509.SubjectAlternativeNameExtension(leaf.names, false));
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: leaf.subject,
      issuer: issuer.name,
      publicKey: keys.publicKey,
      signingKey: issuer.keys.privateKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      notBefore: new Date(leaf.now.getTime() - CLOCK_SKEW_MS),
      notAfter: leaf.notAfter,
      extensions,
    },
    webcrypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(x509, keys.privateKey) };
}

async function generateKeys(): Promise<Issuer['keys']> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function privateKeyPem(x509: X509Module, key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** Loads the CA of a PKI directory, checking that it is a CA and that key and certificate match. */
async function loadCa(x509: X509Module, dir: string): Promise<Issuer> {
  const certPath = join(dir, PKI_FILES.caCert);
  const keyPath = join(dir, PKI_FILES.caKey);
  // One after the other, so a missing directory is reported the same way every time.
  const certPem = await readInput(certPath);
  const keyPem = await readInput(keyPath);
  let cert: NodeCertificate;
  let keyDer: Buffer;
  try {
    cert = new NodeCertificate(certPem);
  } catch (err) {
    throw new SiloError('ERR_BAD_INPUT', `${certPath} is not a PEM certificate`, { cause: err });
  }
  try {
    const key = createPrivateKey(keyPem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new Error('not an ECDSA P-256 key');
    if (!cert.checkPrivateKey(key)) throw new Error(`not the key of ${certPath}`);
    keyDer = key.export({ type: 'pkcs8', format: 'der' });
  } catch (err) {
    throw new SiloError('ERR_BAD_INPUT', `${keyPath}: ${(err as Error).message}`, { cause: err });
  }
  if (!cert.ca) throw new SiloError('ERR_BAD_INPUT', `${certPath} is not a CA certificate`);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', keyDer, KEY_ALGORITHM, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    cert.publicKey.export({ type: 'spki', format: 'der' }),
    KEY_ALGORITHM,
    true,
    ['verify'],
  );
  // The parsed name keeps its encoding, so the issuer field matches the CA's subject byte for byte.
  const name = new x509.X509Certificate(certPem).subjectName;
  return { name, keys: { privateKey, publicKey }, notAfter: new Date(cert.validTo) };
}

async function readInput(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new SiloError('ERR_BAD_INPUT', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function parseHosts(hosts: readonly string[]): X509.JsonGeneralNames {
  const names: X509.JsonGeneralNames = [];
  const seen = new Set<string>();
  for (const raw of [...hosts, ...LOCAL_HOSTS]) {
    const host = raw.trim().toLowerCase();
    if (seen.has(host)) continue;
    seen.add(host);
    // A zone index (`fe80::1%eth0`) is local to one machine, not part of the address a certificate names.
    if (isIP(host) !== 0 && !host.includes('%')) names.push({ type: 'ip', value: host });
    else if (DNS_NAME.test(host)) names.push({ type: 'dns', value: host });
    else
      throw new SiloError(
        'ERR_BAD_INPUT',
        `coordinator host ${JSON.stringify(raw)} is not a DNS name or an IP address`,
      );
  }
  return names;
}

/** The coordinator certificate's subject: its first host, when it fits a CN (64 characters). */
function commonNameOf(host: string): string {
  return host.length <= 64 ? `CN=${host}` : 'CN=silo-coordinator';
}

function parseWorkerNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const name of names) {
    if (!WORKER_NAME.test(name))
      throw new SiloError(
        'ERR_BAD_INPUT',
        `worker name ${JSON.stringify(name)}: use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    if (seen.has(name)) throw new SiloError('ERR_BAD_INPUT', `worker name ${name} is given twice`);
    seen.add(name);
  }
  return [...seen];
}

function parseDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS)
    throw new SiloError(
      'ERR_BAD_INPUT',
      `validity must be a whole number of days from 1 to ${MAX_DAYS}, not ${days}`,
    );
  return days;
}

async function refuseExisting(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const exists = await lstat(path).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw new SiloError('ERR_BAD_INPUT', `cannot check ${path}: ${err.message}`, { cause: err });
      },
    );
    if (exists)
      throw new SiloError(
        'ERR_CONFLICT',
        `${path} already exists; certificates and keys are never overwritten`,
      );
  }
}

/** Writes a file that must not exist yet, with exactly `mode`, and records it in `written`. */
async function writeNewFile(path: string, text: string, mode: number, written: string[]): Promise<void> {
  let file: FileHandle;
  try {
    file = await open(path, 'wx', mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new SiloError(
        'ERR_CONFLICT',
        `${path} already exists; certificates and keys are never overwritten`,
        { cause: err },
      );
    throw new SiloError('ERR_BAD_INPUT', `cannot create ${path}: ${(err as Error).message}`, { cause: err });
  }
  written.push(path);
  try {
    // The creation mode is filtered by the umask; chmod makes it exactly what we asked.
    await file.chmod(mode);
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
}
