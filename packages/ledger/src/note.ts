import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { SiloError } from '@silo/common';
import { checkNoteChars, decodeBase64, decodeNoteText, encodeBase64 } from './encoding.js';

/** Signature type byte of Ed25519 in the signed-note format (c2sp.org/signed-note, "Signature types"). */
const ALG_ED25519 = 0x01;
const ED25519_KEY_BYTES = 32;
const ED25519_SIG_BYTES = 64;
/** The signature-line prefix: EM DASH U+2014, then a space. */
const SIG_PREFIX = '\u2014 ';
/** The spec asks verifiers to cap signatures and accept at least 16; 100 is Go's cap. */
const MAX_SIGNATURES = 100;
/** PKCS#8 DER header of an Ed25519 private key (RFC 8410), followed by the 32-byte seed. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A trusted note-verification key, parsed once from its text form. */
export interface VerifierKey {
  /** The key name, e.g. `silo.example/ledger`. */
  readonly name: string;
  /** The 32-bit key ID (big-endian first four bytes of the SHA-256 in {@link noteKeyId}). */
  readonly keyId: number;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKeyRaw: Uint8Array;
  /** The same key, ready for node:crypto. */
  readonly publicKey: KeyObject;
}

/** A note-signing identity: the key name that goes on the signature line and its Ed25519 private key. */
export interface NoteSigner {
  readonly name: string;
  readonly privateKey: KeyObject;
}

/** One signature line of a note, by key name and key ID. */
export interface NoteSignatureRef {
  readonly name: string;
  readonly keyId: number;
}

/** The result of {@link verifyNote}: the text, and whose signatures verified or were ignored. */
export interface VerifiedNote {
  /** The note text, ending in a newline, without the blank line and signatures. */
  readonly text: string;
  /** Signatures by known keys; at least one, all verified. */
  readonly verified: readonly NoteSignatureRef[];
  /** Signatures by keys not in the verifier list, ignored as the spec requires. */
  readonly unverified: readonly NoteSignatureRef[];
}

/** Key names must be non-empty with no Unicode space and no `+` (c2sp.org/signed-note, "Format"). */
export function isValidKeyName(name: string): boolean {
  // \s misses U+0085 (NEL), which Go's unicode.IsSpace counts as a space; control characters
  // are barred from the whole note anyway.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return name.length > 0 && !/[\s\u0085+\u0000-\u001f]/u.test(name);
}

function checkKeyName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new SiloError('ERR_BAD_INPUT', `key name ${JSON.stringify(name)} is empty or has a space or '+'`);
  }
}

/** The key ID: the first 4 bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKeyRaw). */
export function noteKeyId(name: string, publicKeyRaw: Uint8Array): number {
  const digest = createHash('sha256')
    .update(name, 'utf8')
    .update(Uint8Array.of(0x0a, ALG_ED25519))
    .update(publicKeyRaw)
    .digest();
  return digest.readUInt32BE(0);
}

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

/** Splits at the first `sep`, as Go's sumdb/note does; the key part may itself contain `+`. */
function chop(text: string, sep: string): [string, string] {
  const at = text.indexOf(sep);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + sep.length)];
}

/**
 * Parses a verifier key of the form `name+hex(keyId)+base64(0x01 ‖ 32-byte Ed25519 public key)`.
 *
 * @throws SiloError ERR_BAD_INPUT when the form, the algorithm byte, the key length or the key ID
 *   is wrong.
 */
export function parseVerifierKey(text: string): VerifierKey {
  const [name, rest] = chop(text, '+');
  const [hash, key64] = chop(rest, '+');
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(hash)) {
    throw new SiloError('ERR_BAD_INPUT', `verifier key ${name}: key ID must be 8 lowercase hex digits`);
  }
  const key = decodeBase64(key64, `verifier key ${name}`, 'ERR_BAD_INPUT');
  if (key[0] !== ALG_ED25519) {
    throw new SiloError('ERR_BAD_INPUT', `verifier key ${name}: algorithm ${key[0]} is not Ed25519 (1)`);
  }
  if (key.length !== 1 + ED25519_KEY_BYTES) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `verifier key ${name}: an Ed25519 key has 32 bytes, got ${key.length - 1}`,
    );
  }
  const publicKeyRaw = key.slice(1);
  const keyId = noteKeyId(name, publicKeyRaw);
  if (hex8(keyId) !== hash) {
    throw new SiloError('ERR_BAD_INPUT', `verifier key ${name}: key ID ${hash} does not match the key`);
  }
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKeyRaw).toString('base64url') },
    format: 'jwk',
  });
  return { name, keyId, publicKeyRaw, publicKey };
}

/** Formats a verifier key as `name+hex(keyId)+base64(0x01 ‖ publicKeyRaw)`. */
export function formatVerifierKey(name: string, publicKeyRaw: Uint8Array): string {
  checkKeyName(name);
  if (publicKeyRaw.length !== ED25519_KEY_BYTES) {
    throw new SiloError('ERR_BAD_INPUT', `an Ed25519 public key has 32 bytes, got ${publicKeyRaw.length}`);
  }
  const key = new Uint8Array(1 + ED25519_KEY_BYTES);
  key[0] = ALG_ED25519;
  key.set(publicKeyRaw, 1);
  return `${name}+${hex8(noteKeyId(name, publicKeyRaw))}+${encodeBase64(key)}`;
}

/** The raw 32-byte public key of an Ed25519 private or public KeyObject. */
export function ed25519PublicKeyRaw(key: KeyObject): Uint8Array {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SiloError('ERR_BAD_INPUT', `note keys are Ed25519, got ${key.asymmetricKeyType ?? key.type}`);
  }
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
}

/**
 * Parses a signer key as written by Go's `note.GenerateKey`:
 * `PRIVATE+KEY+name+hex(keyId)+base64(0x01 ‖ 32-byte Ed25519 seed)`. Keep such text secret.
 *
 * @throws SiloError ERR_BAD_INPUT when the form, algorithm, length or key ID is wrong.
 */
export function parseSignerKey(text: string): NoteSigner {
  const [p, afterP] = chop(text, '+');
  const [k, rest] = chop(afterP, '+');
  if (p !== 'PRIVATE' || k !== 'KEY')
    throw new SiloError('ERR_BAD_INPUT', 'signer key must start PRIVATE+KEY+');
  const [name, afterName] = chop(rest, '+');
  const [hash, key64] = chop(afterName, '+');
  checkKeyName(name);
  // The message names the key but never echoes the secret part.
  const key = decodeBase64(key64, `signer key ${name}`, 'ERR_BAD_INPUT');
  if (key.length !== 1 + ED25519_KEY_BYTES || key[0] !== ALG_ED25519) {
    throw new SiloError('ERR_BAD_INPUT', `signer key ${name} is not an Ed25519 seed`);
  }
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, key.subarray(1)]),
    format: 'der',
    type: 'pkcs8',
  });
  if (hex8(noteKeyId(name, ed25519PublicKeyRaw(privateKey))) !== hash) {
    throw new SiloError('ERR_BAD_INPUT', `signer key ${name}: key ID ${hash} does not match the key`);
  }
  return { name, privateKey };
}

/**
 * Signs `text` as a C2SP signed note with one Ed25519 signature line by `name`.
 *
 * @param text - the note text: non-empty, ending in a newline, UTF-8 without control characters
 *   other than newline.
 * @returns the whole note: text, a blank line, and `— name base64(keyId ‖ signature)`.
 */
export function signNote(text: string, name: string, privateKey: KeyObject): string {
  checkKeyName(name);
  if (privateKey.type !== 'private') throw new SiloError('ERR_BAD_INPUT', 'signing needs a private key');
  if (!text.endsWith('\n')) throw new SiloError('ERR_BAD_INPUT', 'note text must end with a newline');
  checkNoteChars(text, 'note text', 'ERR_BAD_INPUT');
  const bytes = new TextEncoder().encode(text);
  // A lone UTF-16 surrogate would be encoded as U+FFFD, so the signature would cover other text.
  if (new TextDecoder().decode(bytes) !== text)
    throw new SiloError('ERR_BAD_INPUT', 'note text is not valid Unicode');
  const signature = sign(null, bytes, privateKey);
  const keyId = Buffer.alloc(4);
  keyId.writeUInt32BE(noteKeyId(name, ed25519PublicKeyRaw(privateKey)));
  return `${text}\n${SIG_PREFIX}${name} ${encodeBase64(Buffer.concat([keyId, signature]))}\n`;
}

function malformed(why: string): SiloError {
  return new SiloError('ERR_BAD_SIGNATURE', `malformed signed note: ${why}`);
}

interface SignatureLine extends NoteSignatureRef {
  readonly signature: Uint8Array;
  readonly line: string;
}

function parseSignatureLine(line: string): SignatureLine {
  if (!line.startsWith(SIG_PREFIX))
    throw malformed('a signature line does not start with an em dash and space');
  const [name, b64] = chop(line.slice(SIG_PREFIX.length), ' ');
  if (!isValidKeyName(name) || b64 === '') throw malformed(`bad signature line for ${JSON.stringify(name)}`);
  const sig = decodeBase64(b64, `signature by ${name}`, 'ERR_BAD_SIGNATURE');
  if (sig.length < 5) throw malformed(`signature by ${name} is too short`);
  const keyId = Buffer.from(sig.buffer, sig.byteOffset, 4).readUInt32BE(0);
  return { name, keyId, signature: sig.subarray(4), line };
}

/**
 * Opens a C2SP signed note (c2sp.org/signed-note): checks its form and that at least one
 * signature is by a key in `verifierKeys` and verifies. Signatures by unknown keys are ignored,
 * as the spec requires; a failing signature by a known key rejects the whole note.
 *
 * @throws SiloError ERR_BAD_SIGNATURE for any reason the note cannot be trusted (malformed text
 *   or signature line, a bad signature, no signature by a known key): one code for callers to
 *   check. ERR_BAD_INPUT when `verifierKeys` holds two different keys with one name and ID.
 */
export function verifyNote(note: Uint8Array | string, verifierKeys: readonly VerifierKey[]): VerifiedNote {
  const bytes = typeof note === 'string' ? new TextEncoder().encode(note) : note;
  const whole = decodeNoteText(bytes, 'signed note', 'ERR_BAD_SIGNATURE');
  const split = whole.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = whole.slice(0, split + 1);
  const block = whole.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) throw malformed('signature block must end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw malformed(`more than ${MAX_SIGNATURES} signatures`);

  const known = indexKeys(verifierKeys);
  const textBytes = new TextEncoder().encode(text);
  const verified: NoteSignatureRef[] = [];
  const unverified: NoteSignatureRef[] = [];
  const seenLines = new Set<string>();
  const seenKeys = new Set<string>();
  for (const sig of lines.map(parseSignatureLine)) {
    const id = `${sig.name}+${hex8(sig.keyId)}`;
    const key = known.get(id);
    if (key === undefined) {
      if (!seenLines.has(sig.line)) unverified.push({ name: sig.name, keyId: sig.keyId });
      seenLines.add(sig.line);
      continue;
    }
    // One verdict per known key, as in Go: the first line by it decides.
    if (seenKeys.has(id)) continue;
    seenKeys.add(id);
    const ok =
      sig.signature.length === ED25519_SIG_BYTES && verify(null, textBytes, key.publicKey, sig.signature);
    if (!ok) throw new SiloError('ERR_BAD_SIGNATURE', `signature by ${id} does not verify`);
    verified.push({ name: sig.name, keyId: sig.keyId });
  }
  if (verified.length === 0) {
    const names = unverified.map((s) => `${s.name}+${hex8(s.keyId)}`).join(', ');
    throw new SiloError('ERR_BAD_SIGNATURE', `note has no signature by a trusted key (signed by: ${names})`);
  }
  return { text, verified, unverified };
}

function indexKeys(keys: readonly VerifierKey[]): Map<string, VerifierKey> {
  const byId = new Map<string, VerifierKey>();
  for (const key of keys) {
    const id = `${key.name}+${hex8(key.keyId)}`;
    const other = byId.get(id);
    if (other !== undefined && Buffer.compare(other.publicKeyRaw, key.publicKeyRaw) !== 0) {
      throw new SiloError('ERR_BAD_INPUT', `two different verifier keys share the name and ID ${id}`);
    }
    byId.set(id, key);
  }
  return byId;
}
