import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import {
  ed25519PublicKeyRaw,
  formatVerifierKey,
  noteKeyId,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifyNote,
} from './note.js';

interface GoVector {
  verifierKey: string;
  signerKey: string;
  text: string;
  signedNote: string;
  badVerifierKeys: string[];
}
// Published key pair and note from golang.org/x/mod sumdb/note (see /work/shared/testdata/README.md).
const GO = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../../../../shared/testdata/signed-note/go-sumdb-note.json', import.meta.url)),
    'utf8',
  ),
) as GoVector;

const withCode = (code: string): unknown => expect.objectContaining({ code });

function freshSigner(name: string): { name: string; privateKey: KeyObject; vkey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { name, privateKey, vkey: formatVerifierKey(name, ed25519PublicKeyRaw(privateKey)) };
}

describe('Go sumdb/note known answers', () => {
  const key = parseVerifierKey(GO.verifierKey);

  it('parses the verifier key and recomputes its key ID', () => {
    expect(key.name).toBe('PeterNeumann');
    expect(key.keyId).toBe(0xc74f20a3);
    expect(noteKeyId(key.name, key.publicKeyRaw)).toBe(0xc74f20a3);
    expect(formatVerifierKey(key.name, key.publicKeyRaw)).toBe(GO.verifierKey);
  });

  it('verifies the published note', () => {
    const opened = verifyNote(GO.signedNote, [key]);
    expect(opened.text).toBe(GO.text);
    expect(opened.verified).toEqual([{ name: 'PeterNeumann', keyId: 0xc74f20a3 }]);
    expect(opened.unverified).toEqual([]);
    expect(verifyNote(new TextEncoder().encode(GO.signedNote), [key]).text).toBe(GO.text);
  });

  it('signs byte-for-byte the published note with the published signer key (Ed25519 is deterministic)', () => {
    const signer = parseSignerKey(GO.signerKey);
    expect(signer.name).toBe('PeterNeumann');
    expect(signNote(GO.text, signer.name, signer.privateKey)).toBe(GO.signedNote);
  });

  it('rejects the note after a single-byte substitution at every position', () => {
    // Every position gets all 8 single-bit flips (which include the base64 look-alikes such as
    // the trailing 'M' -> 'O' that lenient decoders map to the same bytes) plus bytes with a
    // structural meaning: NUL, newline, space, '+', '/', '=', letters, DEL, and UTF-8 lead and
    // continuation bytes. Trying all 255 values everywhere also passes but takes seconds.
    const structural = [0x00, 0x0a, 0x20, 0x2b, 0x2f, 0x3d, 0x41, 0x61, 0x7f, 0x80, 0x94, 0xc3, 0xe2, 0xff];
    const note = Buffer.from(GO.signedNote, 'utf8');
    let tried = 0;
    const accepted: string[] = [];
    for (let i = 0; i < note.length; i++) {
      const original = note[i] as number;
      const values = new Set([...[0, 1, 2, 3, 4, 5, 6, 7].map((b) => original ^ (1 << b)), ...structural]);
      values.delete(original);
      for (const v of values) {
        const bad = Buffer.from(note);
        bad[i] = v;
        tried++;
        try {
          verifyNote(bad, [key]);
          accepted.push(`byte ${i} -> 0x${v.toString(16)}`);
        } catch (err) {
          expect(err).toMatchObject({ code: 'ERR_BAD_SIGNATURE' });
        }
      }
    }
    expect(tried).toBeGreaterThan(note.length * 8);
    expect(accepted).toEqual([]);
  });

  it('rejects the note after deleting any one byte or truncating it', () => {
    const note = Buffer.from(GO.signedNote, 'utf8');
    for (let i = 0; i < note.length; i++) {
      const bad = Buffer.concat([note.subarray(0, i), note.subarray(i + 1)]);
      expect(() => verifyNote(bad, [key])).toThrow(withCode('ERR_BAD_SIGNATURE'));
      expect(() => verifyNote(note.subarray(0, i), [key])).toThrow(withCode('ERR_BAD_SIGNATURE'));
    }
  });

  it('rejects both bad verifier keys', () => {
    expect(GO.badVerifierKeys).toHaveLength(2);
    for (const bad of GO.badVerifierKeys)
      expect(() => parseVerifierKey(bad)).toThrow(withCode('ERR_BAD_INPUT'));
  });

  it('rejects verifier keys with a wrong ID, name or encoding', () => {
    const [name, id, b64] = GO.verifierKey.split('+') as [string, string, string];
    for (const bad of [
      `${name}+c74f20a4+${b64}`,
      `${name}+C74F20A3+${b64}`,
      `Peter+${id}+${b64}`,
      `+${id}+${b64}`,
      `Peter Neumann+${id}+${b64}`,
      `${name}+${id}`,
      `${name}+${id}+${b64.slice(0, -1)}X`,
    ]) {
      expect(() => parseVerifierKey(bad), bad).toThrow(withCode('ERR_BAD_INPUT'));
    }
  });
});

describe('signNote / verifyNote', () => {
  const alice = freshSigner('silo.example/alice');
  const bob = freshSigner('silo.example/bob');
  const text = 'round 7\n\ndigest abc\n';

  it('round-trips with a fresh key, keeping blank lines inside the text', () => {
    const note = signNote(text, alice.name, alice.privateKey);
    expect(note.startsWith(`${text}\n\u2014 ${alice.name} `)).toBe(true);
    expect(verifyNote(note, [parseVerifierKey(alice.vkey)]).text).toBe(text);
  });

  it('needs a signature by a known key', () => {
    const note = signNote(text, alice.name, alice.privateKey);
    expect(() => verifyNote(note, [parseVerifierKey(bob.vkey)])).toThrow(withCode('ERR_BAD_SIGNATURE'));
    expect(() => verifyNote(note, [])).toThrow(withCode('ERR_BAD_SIGNATURE'));
  });

  it('ignores signatures by unknown keys but accepts the known one among them', () => {
    const byBob = signNote(text, bob.name, bob.privateKey);
    const bobLine = byBob.slice(text.length + 1);
    const both = signNote(text, alice.name, alice.privateKey) + bobLine;
    const opened = verifyNote(both, [parseVerifierKey(alice.vkey)]);
    expect(opened.verified.map((s) => s.name)).toEqual([alice.name]);
    expect(opened.unverified.map((s) => s.name)).toEqual([bob.name]);
  });

  it('rejects the note when a known key signed something else, even if another known key verifies', () => {
    const aliceOther = signNote('other\n', alice.name, alice.privateKey).slice('other\n'.length + 1);
    const forged = signNote(text, bob.name, bob.privateKey) + aliceOther;
    const keys = [parseVerifierKey(alice.vkey), parseVerifierKey(bob.vkey)];
    expect(() => verifyNote(forged, keys)).toThrow(withCode('ERR_BAD_SIGNATURE'));
  });

  it('rejects malformed signature blocks', () => {
    const note = signNote(text, alice.name, alice.privateKey);
    const key = parseVerifierKey(alice.vkey);
    const sigLine = note.slice(text.length + 1);
    for (const bad of [
      note.slice(0, -1), // no final newline
      note.replace('\u2014 ', '-- '),
      note + 'a comment\n',
      `${note}\u2014 ${alice.name}\n`,
      text + '\n' + sigLine.repeat(101),
      note.replace('round 7', 'round\t7'),
      note.replace(alice.name, 'silo.example+alice'),
    ]) {
      expect(() => verifyNote(bad, [key]), JSON.stringify(bad)).toThrow(withCode('ERR_BAD_SIGNATURE'));
    }
    // Up to 16 signatures must be accepted (duplicates of a known key count once).
    expect(verifyNote(text + '\n' + sigLine.repeat(16), [key]).verified).toHaveLength(1);
  });

  it('refuses to sign text the format cannot carry', () => {
    expect(() => signNote('no newline', alice.name, alice.privateKey)).toThrow(withCode('ERR_BAD_INPUT'));
    expect(() => signNote('bell \u0007\n', alice.name, alice.privateKey)).toThrow(withCode('ERR_BAD_INPUT'));
    expect(() => signNote('lone \ud800\n', alice.name, alice.privateKey)).toThrow(withCode('ERR_BAD_INPUT'));
    expect(() => signNote(text, 'a+b', alice.privateKey)).toThrow(withCode('ERR_BAD_INPUT'));
    expect(() => signNote(text, alice.name, generateKeyPairSync('ed25519').publicKey)).toThrow(
      withCode('ERR_BAD_INPUT'),
    );
  });
});
