import { describe, it, expect } from 'vitest';
import { chunkBytes, ChunkAssembler, DEFAULT_CHUNK_BYTES } from './chunking.js';
import { sha256Hex } from './digest.js';

function patterned(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

function roundTrip(bytes: Uint8Array, size: number): { chunks: Uint8Array[]; out: Uint8Array } {
  const chunks = [...chunkBytes(bytes, size)];
  const assembler = new ChunkAssembler({ expectedBytes: bytes.length, maxBytes: bytes.length });
  for (const chunk of chunks) assembler.push(chunk);
  return { chunks, out: assembler.finish(sha256Hex(bytes)) };
}

describe('chunkBytes + ChunkAssembler', () => {
  it.each([
    { length: 0, size: 4, chunkCount: 0 },
    { length: 1, size: 4, chunkCount: 1 },
    { length: 12, size: 4, chunkCount: 3 },
    { length: 13, size: 4, chunkCount: 4 },
  ])('round-trips $length bytes in chunks of $size', ({ length, size, chunkCount }) => {
    const bytes = patterned(length);
    const { chunks, out } = roundTrip(bytes, size);
    expect(chunks).toHaveLength(chunkCount);
    expect(chunks.slice(0, -1).every((c) => c.length === size)).toBe(true);
    expect(out).toEqual(bytes);
  });

  it('yields views, not copies', () => {
    const bytes = patterned(10);
    const [first] = [...chunkBytes(bytes, 4)];
    expect(first?.buffer).toBe(bytes.buffer);
  });

  it('defaults to 1 MiB chunks', () => {
    expect(DEFAULT_CHUNK_BYTES).toBe(1_048_576);
    const chunks = [...chunkBytes(new Uint8Array(DEFAULT_CHUNK_BYTES + 1))];
    expect(chunks.map((c) => c.length)).toEqual([DEFAULT_CHUNK_BYTES, 1]);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects chunk size %s when called', (size) => {
    expect(() => chunkBytes(new Uint8Array(4), size)).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_INPUT' }),
    );
  });

  it('copies pushed chunks so the sender may reuse its buffer', () => {
    const reused = Uint8Array.from([1, 2]);
    const assembler = new ChunkAssembler({ expectedBytes: 4, maxBytes: 4 });
    assembler.push(reused);
    reused.set([3, 4]);
    assembler.push(reused);
    expect(assembler.finish(sha256Hex(Uint8Array.from([1, 2, 3, 4])))).toEqual(Uint8Array.from([1, 2, 3, 4]));
  });
});

describe('ChunkAssembler failures', () => {
  it('rejects one flipped byte with ERR_DIGEST_MISMATCH', () => {
    const bytes = patterned(100);
    const digest = sha256Hex(bytes);
    const tampered = bytes.slice();
    tampered[57] = (tampered[57] as number) ^ 0x01;
    const assembler = new ChunkAssembler({ expectedBytes: 100, maxBytes: 1000 });
    for (const chunk of chunkBytes(tampered, 16)) assembler.push(chunk);
    expect(() => assembler.finish(digest)).toThrow(expect.objectContaining({ code: 'ERR_DIGEST_MISMATCH' }));
  });

  it('rejects bytes beyond the declared size with ERR_TOO_LARGE', () => {
    const assembler = new ChunkAssembler({ expectedBytes: 10, maxBytes: 1000 });
    assembler.push(new Uint8Array(8));
    expect(() => assembler.push(new Uint8Array(3))).toThrow(
      expect.objectContaining({ code: 'ERR_TOO_LARGE' }),
    );
    expect(assembler.receivedBytes).toBe(8);
    // A stream that failed is never completed, even with a matching digest.
    expect(() => assembler.finish(sha256Hex(new Uint8Array(8)))).toThrow(
      expect.objectContaining({ code: 'ERR_STREAM' }),
    );
  });

  it('refuses a declared size above the limit before allocating', () => {
    expect(() => new ChunkAssembler({ expectedBytes: 2 ** 40, maxBytes: 1024 })).toThrow(
      expect.objectContaining({ code: 'ERR_TOO_LARGE' }),
    );
  });

  it.each([
    { expectedBytes: -1, maxBytes: 10 },
    { expectedBytes: 1.5, maxBytes: 10 },
    { expectedBytes: 1, maxBytes: Number.NaN },
  ])('rejects sizes $expectedBytes / $maxBytes', (options) => {
    expect(() => new ChunkAssembler(options)).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
  });

  it('rejects a short stream with ERR_STREAM', () => {
    const assembler = new ChunkAssembler({ expectedBytes: 10, maxBytes: 10 });
    assembler.push(new Uint8Array(6));
    expect(() => assembler.finish(sha256Hex(new Uint8Array(10)))).toThrow(
      expect.objectContaining({ code: 'ERR_STREAM', message: 'stream ended after 6 of 10 bytes' }),
    );
  });

  it('rejects pushes after finish', () => {
    const assembler = new ChunkAssembler({ expectedBytes: 0, maxBytes: 0 });
    assembler.finish(sha256Hex(new Uint8Array(0)));
    expect(() => assembler.push(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_STREAM' }));
  });
});
