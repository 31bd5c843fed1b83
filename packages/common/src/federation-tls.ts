import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import { SiloError } from './errors.js';

/** A PEM file is a few kilobytes; a larger file is not one, and is not read into memory. */
const MAX_PEM_FILE_BYTES = 1024 * 1024;

/**
 * What the coordinator and the worker log, and the CLI prints, when the federation plane runs
 * without TLS.
 */
export const PLAINTEXT_FEDERATION_WARNING =
  'federation plane is plain text: models, updates and join proofs cross the network unencrypted, ' +
  'and neither side proves who it is with a certificate; use only on a trusted network ' +
  '(configure tls: { ca, cert, key } instead, see silo certs init)';

/** One side's mTLS identity on the federation plane: three PEM files. */
export const tlsFilesSchema = z
  .object({
    /** The deployment CA certificate: the peer must present a certificate issued by it. */
    ca: z.string().min(1),
    /** This side's certificate (optionally followed by intermediates). */
    cert: z.string().min(1),
    /** This side's private key; refused when group or others may read it. */
    key: z.string().min(1),
  })
  .strict();

/** File paths of one side's mTLS identity, as configured. */
export type TlsFiles = z.output<typeof tlsFilesSchema>;

/** The federation-plane settings a coordinator or worker configuration carries. */
export interface FederationSecurityConfig {
  tls?: TlsFiles | undefined;
  insecure?: boolean | undefined;
}

/** The contents of {@link TlsFiles}, checked: parseable, the key matches the certificate, not expired. */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** How one side secures the federation plane, decided once from its configuration. */
export type FederationSecurity = { kind: 'mtls'; files: TlsFiles } | { kind: 'insecure' };

/**
 * The configuration rule shared by coordinator and worker: exactly one of `tls` and
 * `insecure: true`. Returns the problem as a sentence, or undefined when the choice is valid.
 */
export function federationSecurityProblem(config: FederationSecurityConfig): string | undefined {
  if (config.tls !== undefined && config.insecure === true)
    return 'tls and insecure: true (or --insecure) exclude each other; remove one';
  if (config.tls === undefined && config.insecure !== true)
    return 'the federation plane needs tls: { ca, cert, key } (see silo certs init), or insecure: true for plain text on a trusted network';
  return undefined;
}

/**
 * Decides how the federation plane is secured. Configurations built in code skip schema
 * validation, so the rule is checked again here.
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming `tls` when neither or both are given.
 */
export function federationSecurity(config: FederationSecurityConfig): FederationSecurity {
  const problem = federationSecurityProblem(config);
  if (problem !== undefined) throw new SiloError('ERR_BAD_CONFIG', `tls: ${problem}`);
  return config.tls !== undefined ? { kind: 'mtls', files: config.tls } : { kind: 'insecure' };
}

/**
 * The TLS material of the federation plane, or `undefined` for plain text (after logging
 * {@link PLAINTEXT_FEDERATION_WARNING}): the part the server and the worker's channel share.
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming `tls` when neither or both are configured, or naming
 *   the file that cannot be read or used.
 */
export async function federationTlsMaterial(
  config: FederationSecurityConfig,
  logger: { warn(message: string): void },
): Promise<TlsMaterial | undefined> {
  const security = federationSecurity(config);
  if (security.kind === 'insecure') {
    logger.warn(PLAINTEXT_FEDERATION_WARNING);
    return undefined;
  }
  return loadTlsFiles(security.files);
}

/**
 * `schema` with `insecure: true` set before validation: what the `--insecure` command-line flag
 * does to a configuration file. A file that also has `tls` is then refused as giving both.
 */
export function forcingInsecure<S extends z.ZodType>(schema: S) {
  return z.preprocess(
    (raw) =>
      typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...raw, insecure: true } : raw,
    schema,
  );
}

/**
 * Reads and checks the three files of an mTLS identity, so a mistake fails at start naming the
 * file instead of failing every handshake later.
 *
 * @throws SiloError `ERR_BAD_CONFIG` naming the field and file: unreadable, not PEM, a key that
 *   group or others may read, a key that does not match the certificate, an expired certificate.
 */
export async function loadTlsFiles(files: TlsFiles, now = new Date()): Promise<TlsMaterial> {
  // One after the other, so the first bad file is the one named, every time.
  const ca = await readPem('tls.ca', files.ca, false);
  const cert = await readPem('tls.cert', files.cert, false);
  const key = await readPem('tls.key', files.key, true);
  const caCert = parseCertificate('tls.ca', files.ca, ca);
  const ownCert = parseCertificate('tls.cert', files.cert, cert);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw configError(`tls.key: ${files.key} is not a PEM private key: ${(err as Error).message}`, err);
  }
  if (!ownCert.checkPrivateKey(privateKey))
    throw configError(`tls.key: ${files.key} is not the private key of the certificate ${files.cert}`);
  for (const [field, path, parsed] of [
    ['tls.ca', files.ca, caCert],
    ['tls.cert', files.cert, ownCert],
  ] as const) {
    if (new Date(parsed.validTo).getTime() < now.getTime())
      throw configError(`${field}: the certificate in ${path} expired on ${parsed.validTo}`);
  }
  return { ca, cert, key };
}

async function readPem(field: string, path: string, secret: boolean): Promise<Buffer> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw configError(`${field}: cannot read ${path}: ${(err as Error).message}`, err);
  }
  try {
    const stats = await file.stat();
    if (!stats.isFile()) throw configError(`${field}: ${path} is not a file`);
    if (stats.size > MAX_PEM_FILE_BYTES) throw configError(`${field}: ${path} is too large for a PEM file`);
    if (secret && process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      throw configError(
        `${field}: private key ${path} is accessible by group or others (mode ${mode}); run: chmod 600 ${path}`,
      );
    }
    return await file.readFile();
  } catch (err) {
    if (err instanceof SiloError) throw err;
    throw configError(`${field}: cannot read ${path}: ${(err as Error).message}`, err);
  } finally {
    await file.close();
  }
}

function parseCertificate(field: string, path: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw configError(`${field}: ${path} is not a PEM certificate: ${(err as Error).message}`, err);
  }
}

function configError(message: string, cause?: unknown): SiloError {
  return new SiloError('ERR_BAD_CONFIG', message, cause === undefined ? undefined : { cause });
}
