import { describe, expect, it } from 'vitest';
import { roundFloor, roundTimes } from './round-figures.js';

describe('roundFloor', () => {
  it('adds 2N transfers at gRPC speed and N + 2 vectors at copy speed', () => {
    // N = 10, P = 1.66M: 6.64 MB per model; 132.8 MB over gRPC at 0.5 GB/s, 79.68 MB at 4 GB/s.
    const floor = roundFloor({ workers: 10, params: 1_660_000, grpcBytesPerS: 0.5e9, copyBytesPerS: 4e9 });
    expect(floor.transferBytes).toBe(132_800_000);
    expect(floor.aggregationBytes).toBe(79_680_000);
    expect(floor.transferS).toBeCloseTo(0.2656, 10);
    expect(floor.aggregationS).toBeCloseTo(0.01992, 10);
    expect(floor.seconds).toBeCloseTo(0.28552, 10);
  });

  it('refuses a throughput that is not positive', () => {
    expect(() => roundFloor({ workers: 1, params: 1, grpcBytesPerS: 0, copyBytesPerS: 1 })).toThrow(
      /positive/,
    );
    expect(() => roundFloor({ workers: 1, params: 1, grpcBytesPerS: 1, copyBytesPerS: NaN })).toThrow(
      /positive/,
    );
  });
});

describe('roundTimes', () => {
  const history = [
    { round: 1, durationMs: 900, closedAt: 10_000 },
    { round: 2, durationMs: 400, closedAt: 10_450 },
    { round: 3, durationMs: 300, closedAt: 10_800 },
  ];

  it('leaves out the warm-up and measures periods from the previous close', () => {
    const times = roundTimes(history, 1);
    expect(times.durationsS).toEqual([0.4, 0.3]);
    expect(times.periodsS[0]).toBeCloseTo(0.45, 10);
    expect(times.periodsS[1]).toBeCloseTo(0.35, 10);
  });

  it('takes the history in any order', () => {
    expect(roundTimes([...history].reverse(), 2).durationsS).toEqual([0.3]);
  });

  it('without a warm-up, counts the first round from its opening', () => {
    const times = roundTimes(history, 0);
    expect(times.durationsS).toEqual([0.9, 0.4, 0.3]);
    expect(times.periodsS[0]).toBeCloseTo(0.9, 10);
  });

  it('refuses a history with a gap or nothing left to measure', () => {
    expect(() => roundTimes(history, 3)).toThrow(/at least one/);
    expect(() => roundTimes(history, -1)).toThrow(/at least one/);
    expect(() => roundTimes([], 0)).toThrow(/at least one/);
    expect(() => roundTimes([history[0]!, history[2]!], 1)).toThrow(/round 2 is missing/);
  });
});
