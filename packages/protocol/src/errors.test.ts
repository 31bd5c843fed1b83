import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { SiloError } from '@silo/common';
import { MAX_STATUS_DETAILS_CHARS, fromServiceError, toServiceError } from './errors.js';
import { federationService, malformedReason, pb } from './service.js';

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

  it('sends a short, well-formed message whatever the error quotes', () => {
    const long = toServiceError(
      new SiloError('ERR_UNKNOWN_KEY', `key ${'k'.repeat(100_000)} is not enrolled`),
    );
    expect(long.details).toHaveLength(MAX_STATUS_DETAILS_CHARS);
    // grpc-js sends the message through encodeURI, which throws on a lone surrogate.
    const lone = toServiceError(new SiloError('ERR_UNKNOWN_KEY', 'key \ud800 and \udc00 is not enrolled'));
    expect(lone.details).toBe('key \ufffd and \ufffd is not enrolled');
    const split = toServiceError(
      new Error(`${'a'.repeat(MAX_STATUS_DETAILS_CHARS - 4)}${'\u{1F600}'.repeat(4)}`),
    );
    expect(() => encodeURI(split.details ?? '')).not.toThrow();
    expect(encodeURI(toServiceError(new Error('\u{1F600}')).details ?? '')).toBe('%F0%9F%98%80');
  });

  it('reads a status grpc-js raised itself for an oversized message as ERR_TOO_LARGE', () => {
    expect(fromServiceError({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'larger than max' }).code).toBe(
      'ERR_TOO_LARGE',
    );
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

describe('requests that do not decode', () => {
  const { requestDeserialize } = federationService.fetchModel;

  it('arrive marked with the reason instead of throwing, so the handler can refuse them with a code', () => {
    const truncated = requestDeserialize(Buffer.from([0x0a, 0x7f, 0x61]));
    expect(malformedReason(truncated)).toMatch(/index out of range/);
    expect(truncated.runId).toBe('');
  });

  it('check string lengths even when grpc-js hands over a Buffer', () => {
    // A Buffer reader would clamp the 5-byte string to the one byte present.
    expect(malformedReason(requestDeserialize(Buffer.from([0x0a, 0x05, 0x01])))).toBeDefined();
  });

  it('decode well-formed requests unmarked', () => {
    const bytes = pb.FetchModelRequest.encode({ runId: 'r1', round: 2, keyId: 'k', chunkBytes: 9 }).finish();
    const request = requestDeserialize(Buffer.from(bytes));
    expect(malformedReason(request)).toBeUndefined();
    expect(request).toMatchObject({ runId: 'r1', round: 2, keyId: 'k', chunkBytes: 9 });
  });
});
