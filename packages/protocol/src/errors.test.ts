import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { SiloError } from '@silo/common';
import { fromServiceError, toServiceError } from './errors.js';
import { pb } from './service.js';

describe('errors across the wire', () => {
  it('keeps the Silo code through a gRPC status', () => {
    const status = toServiceError(new SiloError('ERR_REPLAYED_NONCE', 'nonce used'));
    expect(status.code).toBe(grpc.status.ALREADY_EXISTS);
    const back = fromServiceError({ ...status, message: 'x', name: 'Error' });
    expect(back.code).toBe('ERR_REPLAYED_NONCE');
    expect(back.message).toBe('nonce used');
  });

  it('maps plain gRPC failures to codes', () => {
    expect(
      fromServiceError({ code: grpc.status.UNAVAILABLE, details: 'down', metadata: new grpc.Metadata() })
        .code,
    ).toBe('ERR_UNAVAILABLE');
    expect(fromServiceError({ code: grpc.status.DEADLINE_EXCEEDED, details: 'late' }).code).toBe(
      'ERR_TIMEOUT',
    );
    expect(fromServiceError(new Error('boom')).code).toBe('ERR_INTERNAL');
  });

  it('ignores a code the peer made up', () => {
    const metadata = new grpc.Metadata();
    metadata.set('silo-error-code', 'ERR_MADE_UP');
    expect(fromServiceError({ code: grpc.status.INTERNAL, details: 'x', metadata }).code).toBe(
      'ERR_INTERNAL',
    );
  });
});

describe('generated messages', () => {
  it('round-trip a chunk and decode 64-bit fields as numbers', () => {
    const bytes = pb.ModelChunk.encode({
      header: { digest: 'ab', totalBytes: 2 ** 40, layout: [{ name: 'w', shape: [3, 4] }] },
    }).finish();
    const decoded = pb.ModelChunk.decode(bytes);
    expect(decoded.part).toBe('header');
    expect(decoded.header?.totalBytes).toBe(2 ** 40);
    expect(decoded.header?.layout?.[0]?.shape).toEqual([3, 4]);
  });
});
