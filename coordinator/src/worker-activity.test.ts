import { describe, expect, it } from 'vitest';
import type { RejectedUpdate } from './state.js';
import { RECENT_REJECTIONS, tallyActivity } from './worker-activity.js';

const refusal = (keyId: string, code: string, at: number, reason = `${code} at ${at}`): RejectedUpdate => ({
  keyId,
  claimedRound: 1,
  code,
  reason,
  at,
});

describe('tallyActivity', () => {
  it('counts accepted and refused updates per key, refusals by code with the latest reason', () => {
    const { workers, recentRejections } = tallyActivity([
      {
        runId: 'r1',
        round: 1,
        accepted: ['a', 'b'],
        rejections: [refusal('c', 'ERR_BAD_NONCE', 10), refusal('b', 'ERR_STALE_ROUND', 11)],
      },
      {
        runId: 'r1',
        round: 2,
        accepted: ['a'],
        rejections: [refusal('c', 'ERR_BAD_NONCE', 30, 'the newest'), refusal('c', 'ERR_UNKNOWN_KEY', 20)],
      },
      { runId: 'r2', round: 1, accepted: ['b'], rejections: [] },
    ]);
    expect(workers).toEqual([
      { keyId: 'a', accepted: 2, rejected: 0, lastAccepted: { runId: 'r1', round: 2 }, rejections: [] },
      {
        keyId: 'b',
        accepted: 2,
        rejected: 1,
        lastAccepted: { runId: 'r2', round: 1 },
        rejections: [{ code: 'ERR_STALE_ROUND', count: 1, lastReason: 'ERR_STALE_ROUND at 11', lastAt: 11 }],
      },
      {
        keyId: 'c',
        accepted: 0,
        rejected: 3,
        rejections: [
          { code: 'ERR_BAD_NONCE', count: 2, lastReason: 'the newest', lastAt: 30 },
          { code: 'ERR_UNKNOWN_KEY', count: 1, lastReason: 'ERR_UNKNOWN_KEY at 20', lastAt: 20 },
        ],
      },
    ]);
    expect(recentRejections.map((r) => [r.at, r.runId, r.round])).toEqual([
      [30, 'r1', 2],
      [20, 'r1', 2],
      [11, 'r1', 1],
      [10, 'r1', 1],
    ]);
  });

  it(`lists only the latest ${RECENT_REJECTIONS} refusals`, () => {
    const rejections = Array.from({ length: RECENT_REJECTIONS + 5 }, (_, i) =>
      refusal('x', 'ERR_BAD_SIGNATURE', i),
    );
    const { workers, recentRejections } = tallyActivity([{ runId: 'r', round: 1, accepted: [], rejections }]);
    expect(workers[0]?.rejected).toBe(RECENT_REJECTIONS + 5);
    expect(recentRejections).toHaveLength(RECENT_REJECTIONS);
    expect(recentRejections[0]?.at).toBe(RECENT_REJECTIONS + 4);
  });
});
