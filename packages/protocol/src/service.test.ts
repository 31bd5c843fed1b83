import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { federationService, modelChunkSerializer, pb } from './service.js';

const protobufjsBytes = (message: Parameters<typeof pb.ModelChunk.encode>[0]): Buffer =>
  Buffer.from(pb.ModelChunk.encode(message).finish());

describe('modelChunkSerializer', () => {
  it('encodes a data chunk exactly as protobufjs does, across every varint length boundary', () => {
    const serialize = modelChunkSerializer();
    for (const size of [0, 1, 127, 128, 129, 16_383, 16_384, 65_536, 2_097_151, 2_097_152]) {
      const data = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      const bytes = serialize({ data });
      expect(Buffer.compare(bytes, protobufjsBytes({ data })), `size ${size}`).toBe(0);
      expect(Buffer.from(pb.ModelChunk.decode(bytes).data ?? []).equals(Buffer.from(data))).toBe(true);
    }
  });

  it('matches protobufjs for random chunks, headers included', () => {
    const serialize = modelChunkSerializer();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((data) => ({ data })),
          fc
            .record({ digest: fc.string({ maxLength: 64 }), totalBytes: fc.nat(), chunkBytes: fc.nat() })
            .map((header) => ({ header })),
        ),
        (message) => {
          expect(Buffer.compare(serialize(message), protobufjsBytes(message))).toBe(0);
        },
      ),
    );
  });

  it('reuses one scratch buffer, so a chunk costs no allocation once the largest has been seen', () => {
    const serialize = modelChunkSerializer();
    const first = serialize({ data: new Uint8Array(1000).fill(1) });
    const second = serialize({ data: new Uint8Array(10).fill(2) });
    expect(second.buffer).toBe(first.buffer);
    // The first result is overwritten: grpc-js has copied it by then.
    expect([...first.subarray(0, 3)]).toEqual([0x12, 10, 2]);
    const larger = serialize({ data: new Uint8Array(5000).fill(3) });
    expect(larger.byteLength).toBe(5003);
    expect(serialize({ data: new Uint8Array(4).fill(4) }).buffer).toBe(larger.buffer);
  });

  it("is the FetchModel method's response serializer", () => {
    const bytes = federationService.fetchModel.responseSerialize({ data: new Uint8Array([9, 8, 7]) });
    expect([...bytes]).toEqual([0x12, 3, 9, 8, 7]);
  });
});
