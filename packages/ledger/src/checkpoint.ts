import { SiloError } from '@silo/common';
import { checkNoteChars, decodeBase64, encodeBase64 } from './encoding.js';
import { HASH_BYTES } from './merkle.js';
import { signNote, verifyNote, type NoteSigner, type VerifierKey } from './note.js';

/** A tree head as carried by a C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint). */
export interface Checkpoint {
  /** The log's identity, e.g. `silo.example/run-42`. Non-empty, one line. */
  readonly origin: string;
  /** Number of leaves in the tree. */
  readonly size: number;
  /** RFC 6962 root hash of the tree at `size` (32 bytes). */
  readonly root: Uint8Array;
  /** Optional opaque, non-empty extension lines; monitors cannot audit them, so avoid them. */
  readonly extensions?: readonly string[];
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

function bad(why: string): SiloError {
  return new SiloError('ERR_BAD_INPUT', `malformed checkpoint: ${why}`);
}

function checkLine(line: string, what: string): void {
  if (line === '') throw bad(`${what} is empty`);
  if (line.includes('\n')) throw bad(`${what} spans lines`);
  checkNoteChars(line, `checkpoint ${what}`, 'ERR_BAD_INPUT');
}

/** The checkpoint note text: origin, decimal size, base64 root, then any extension lines, each ending in a newline. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, root, extensions = [] } = checkpoint;
  checkLine(origin, 'origin');
  if (!Number.isSafeInteger(size) || size < 0) throw bad(`size ${size} is not a non-negative safe integer`);
  if (root.length !== HASH_BYTES) throw bad(`root has ${root.length} bytes, want ${HASH_BYTES}`);
  extensions.forEach((line, i) => checkLine(line, `extension line ${i + 1}`));
  return [origin, String(size), encodeBase64(root), ...extensions].map((line) => `${line}\n`).join('');
}

/**
 * Parses checkpoint note text strictly: at least three lines, a decimal size with no leading
 * zeroes, a canonical base64 32-byte root, no empty extension line, a final newline.
 *
 * This reads an *unverified* body; trust it only via {@link verifyCheckpoint}.
 *
 * @throws SiloError ERR_BAD_INPUT naming the first thing wrong.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw bad('text must end with a newline');
  const [origin, sizeText, rootText, ...extensions] = text.slice(0, -1).split('\n');
  if (origin === undefined || sizeText === undefined || rootText === undefined) {
    throw bad('needs origin, size and root lines');
  }
  checkLine(origin, 'origin');
  if (!DECIMAL.test(sizeText))
    throw bad(`size ${JSON.stringify(sizeText)} is not a decimal without leading zeroes`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw bad(`size ${sizeText} is too large`);
  const root = decodeBase64(rootText, 'checkpoint root', 'ERR_BAD_INPUT');
  if (root.length !== HASH_BYTES) throw bad(`root has ${root.length} bytes, want ${HASH_BYTES}`);
  extensions.forEach((line, i) => checkLine(line, `extension line ${i + 1}`));
  return extensions.length > 0 ? { origin, size, root, extensions } : { origin, size, root };
}

/** Formats `checkpoint` and signs it as a note by `signer` (whose name should be the origin). */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(checkpoint), signer.name, signer.privateKey);
}

/**
 * Verifies a signed checkpoint note with `verifierKey` and checks it is for `expectedOrigin`.
 *
 * @throws SiloError ERR_BAD_SIGNATURE when the note does not verify (see {@link verifyNote}),
 *   ERR_BAD_INPUT when the signed body is not a checkpoint or is for another origin.
 */
export function verifyCheckpoint(
  note: Uint8Array | string,
  verifierKey: VerifierKey,
  expectedOrigin: string,
): Checkpoint {
  const { text } = verifyNote(note, [verifierKey]);
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== expectedOrigin) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `checkpoint is for origin ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(expectedOrigin)}`,
    );
  }
  return checkpoint;
}

/**
 * The body of a signed note, split off without verifying anything: for a store reading back
 * its own checkpoints. Anyone else must use {@link verifyCheckpoint}.
 */
export function unverifiedNoteText(note: string): string {
  const split = note.lastIndexOf('\n\n');
  const block = note.slice(split + 2);
  const signed =
    block.endsWith('\n') &&
    block
      .slice(0, -1)
      .split('\n')
      .every((l) => l.startsWith('\u2014 '));
  if (split < 0 || !signed) throw bad('not a signed note (text, blank line, signature lines)');
  return note.slice(0, split + 1);
}
