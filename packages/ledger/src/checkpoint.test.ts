import { generateKeyPairSync } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { formatCheckpoint, parseCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint.js';
import { leafHash, rootHash } from './merkle.js';
import { ed25519PublicKeyRaw, formatVerifierKey, parseVerifierKey, signNote } from './note.js';

const withCode = (code: string): unknown => expect.objectContaining({ code });
const ORIGIN = 'silo.example/run-42';
const root = rootHash([leafHash(Uint8Array.of(1)), leafHash(Uint8Array.of(2))]);
const rootB64 = Buffer.from(root).toString('base64');

describe('formatCheckpoint / parseCheckpoint', () => {
  it('parses the example of c2sp.org/tlog-checkpoint', () => {
    const cp = parseCheckpoint(
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.size).toBe(20852163);
    expect(Buffer.from(cp.root).toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(cp.extensions).toBeUndefined();
  });

  it('formats origin, decimal size and base64 root on three lines, then extensions', () => {
    expect(formatCheckpoint({ origin: ORIGIN, size: 2, root })).toBe(`${ORIGIN}\n2\n${rootB64}\n`);
    const text = formatCheckpoint({ origin: ORIGIN, size: 0, root, extensions: ['ext one'] });
    expect(text).toBe(`${ORIGIN}\n0\n${rootB64}\next one\n`);
    expect(parseCheckpoint(text).extensions).toEqual(['ext one']);
  });

  it('rejects anything but the strict form', () => {
    for (const bad of [
      `${ORIGIN}\n2\n${rootB64}`, // no final newline
      `${ORIGIN}\n2\n`,
      `\n2\n${rootB64}\n`,
      `${ORIGIN}\n02\n${rootB64}\n`,
      `${ORIGIN}\n-2\n${rootB64}\n`,
      `${ORIGIN}\n 2\n${rootB64}\n`,
      `${ORIGIN}\n2.0\n${rootB64}\n`,
      `${ORIGIN}\n18446744073709551615\n${rootB64}\n`,
      `${ORIGIN}\n2\n${rootB64.slice(0, -2)}\n`,
      `${ORIGIN}\n2\n${Buffer.from(root.subarray(1)).toString('base64')}\n`,
      `${ORIGIN}\n2\n${rootB64}\n\n`,
      `${ORIGIN}\n2\n${rootB64}\next\n\nmore\n`,
      `${ORIGIN}\t\n2\n${rootB64}\n`,
    ]) {
      expect(() => parseCheckpoint(bad), JSON.stringify(bad)).toThrow(withCode('ERR_BAD_INPUT'));
    }
  });

  it('refuses to format what it could not parse', () => {
    expect(() => formatCheckpoint({ origin: 'a\nb', size: 1, root })).toThrow(withCode('ERR_BAD_INPUT'));
    expect(() => formatCheckpoint({ origin: ORIGIN, size: -1, root })).toThrow(withCode('ERR_BAD_INPUT'));
    expect(() => formatCheckpoint({ origin: ORIGIN, size: 1, root: root.subarray(1) })).toThrow(
      withCode('ERR_BAD_INPUT'),
    );
    expect(() => formatCheckpoint({ origin: ORIGIN, size: 1, root, extensions: [''] })).toThrow(
      withCode('ERR_BAD_INPUT'),
    );
  });
});

describe('signCheckpoint / verifyCheckpoint', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = { name: ORIGIN, privateKey };
  const key = parseVerifierKey(formatVerifierKey(ORIGIN, ed25519PublicKeyRaw(privateKey)));

  it('round-trips a signed checkpoint', () => {
    const note = signCheckpoint({ origin: ORIGIN, size: 2, root }, signer);
    const cp = verifyCheckpoint(note, key, ORIGIN);
    expect(cp.size).toBe(2);
    expect(Buffer.from(cp.root).equals(Buffer.from(root))).toBe(true);
  });

  it('rejects another origin, another key and a changed size', () => {
    const note = signCheckpoint({ origin: ORIGIN, size: 2, root }, signer);
    expect(() => verifyCheckpoint(note, key, 'silo.example/run-43')).toThrow(withCode('ERR_BAD_INPUT'));
    const other = generateKeyPairSync('ed25519').privateKey;
    const otherKey = parseVerifierKey(formatVerifierKey(ORIGIN, ed25519PublicKeyRaw(other)));
    expect(() => verifyCheckpoint(note, otherKey, ORIGIN)).toThrow(withCode('ERR_BAD_SIGNATURE'));
    expect(() => verifyCheckpoint(note.replace('\n2\n', '\n3\n'), key, ORIGIN)).toThrow(
      withCode('ERR_BAD_SIGNATURE'),
    );
  });

  it('rejects a validly signed note that is not a checkpoint, and keeps extension lines', () => {
    const notCheckpoint = signNote(`${ORIGIN}\nsize two\n${rootB64}\n`, ORIGIN, privateKey);
    expect(() => verifyCheckpoint(notCheckpoint, key, ORIGIN)).toThrow(withCode('ERR_BAD_INPUT'));
    const extended = signCheckpoint({ origin: ORIGIN, size: 2, root, extensions: ['x'] }, signer);
    expect(verifyCheckpoint(extended, key, ORIGIN).extensions).toEqual(['x']);
  });
});
