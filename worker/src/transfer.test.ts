import { describe, expect, it } from 'vitest';
import { pb } from '@silo/protocol';
import { chunkBytes } from '@silo/tensors';
import { updateWireSize } from './transfer.js';

const manifest = { protected: 'eyJhbGciOiJFZERTQSJ9', payload: 'eyJ2IjoxfQ', signature: 'c2ln' };

/** What the real encoder produces for the parts uploadUpdate writes. */
function encodedSize(bytes: Uint8Array, chunk: number): number {
  let total = pb.UpdatePart.encode({ manifest }).finish().length;
  for (const data of chunkBytes(bytes, chunk)) total += pb.UpdatePart.encode({ data }).finish().length;
  return total;
}

describe('updateWireSize', () => {
  it.each([
    [0, 100],
    [1, 100],
    [127, 127],
    [128, 128],
    [300, 150],
    [70_000, 20_000],
  ])('counts %i bytes in chunks of %i as the encoder does', (size, chunk) => {
    const bytes = new Uint8Array(size);
    expect(updateWireSize(manifest, bytes, chunk)).toEqual({
      bytes: encodedSize(bytes, chunk),
      chunks: Math.ceil(size / chunk),
    });
  });
});
