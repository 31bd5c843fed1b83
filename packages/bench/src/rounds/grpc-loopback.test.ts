import { describe, expect, it } from 'vitest';
import { measureGrpcLoopback } from './grpc-loopback.js';

describe('measureGrpcLoopback', () => {
  it('streams the bytes asked for, a last short chunk included, and gives a throughput', async () => {
    const gbPerS = await measureGrpcLoopback({
      mode: 'same-process',
      totalBytes: 8 * 1024 * 1024 + 12_345,
      chunkBytes: 1024 * 1024,
    });
    expect(gbPerS).toBeGreaterThan(0);
    expect(Number.isFinite(gbPerS)).toBe(true);
  });
});
