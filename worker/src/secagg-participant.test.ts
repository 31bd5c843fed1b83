import { describe, expect, it } from 'vitest';
import type { SignedSecAggStep, SignedTrainInstruction } from '@silo/protocol';
import { generateKeyPair, signingKeyFromJwk, type FlattenedJws, type SigningKey } from '@silo/signing';
import { SecAggParticipant } from './secagg-participant.js';

const SECURE = { threshold: 2, clipRange: 1, quantizationBits: 16, weightScale: 0, cohort: 3 };

interface Sent {
  step: string;
  message: FlattenedJws;
}

/** Three workers, all neighbours of each other, through key sharing, as a coordinator would drive them. */
async function session(): Promise<{ keys: SigningKey[]; parts: SecAggParticipant[]; sent: Sent[][] }> {
  const keys = await Promise.all(
    [0, 1, 2].map(async () => signingKeyFromJwk((await generateKeyPair()).privateJwk)),
  );
  const ids = keys.map((k) => k.keyId);
  const sent: Sent[][] = ids.map(() => []);
  const parts = keys.map((key, i) => {
    const train = {
      runId: 'r',
      round: 1,
      nonce: `n${i}`,
      keyId: key.keyId,
      secureAggregation: { ...SECURE, neighbours: ids.filter((id) => id !== key.keyId) },
    } as unknown as SignedTrainInstruction & { secureAggregation: typeof SECURE & { neighbours: string[] } };
    return new SecAggParticipant({
      key,
      train,
      send: (step, message) => {
        sent[i]!.push({ step, message });
        return Promise.resolve();
      },
    });
  });
  for (const p of parts) await p.advertise();
  const adverts = sent.map((s) => s[0]!.message);
  const common = { v: 1 as const, kind: 'secagg' as const, runId: 'r', round: 1, issuedAt: 0 };
  for (const [i, p] of parts.entries())
    await p.onStep({ ...common, keyId: ids[i]!, step: 'keys', adverts: adverts.filter((_, j) => j !== i) });
  const shares = sent.flatMap(
    (s) =>
      (
        JSON.parse(Buffer.from(s[1]!.message.payload, 'base64url').toString('utf8')) as {
          shares: { to: string }[];
        }
      ).shares,
  );
  for (const [i, p] of parts.entries())
    await p.onStep({
      ...common,
      keyId: ids[i]!,
      step: 'shares',
      shares: shares.filter((s) => s.to === ids[i]) as never,
    });
  return { keys, parts, sent };
}

function unmask(keyId: string, survivors: string[], dropped: string[]): SignedSecAggStep {
  return {
    v: 1,
    kind: 'secagg',
    runId: 'r',
    round: 1,
    issuedAt: 0,
    keyId,
    step: 'unmask',
    survivors,
    dropped,
  };
}

describe('a worker facing a malicious coordinator', () => {
  it('refuses to reveal both kinds of share of one peer, in one request or across two, and sends nothing', async () => {
    const { keys, parts, sent } = await session();
    const [a, b, c] = keys.map((k) => k.keyId) as [string, string, string];
    const worker = parts[0]!;
    worker.mask(new Float32Array([0.1, -0.2, 0.3]), 10);
    const before = sent[0]!.length;
    // One request naming c both a survivor and dropped.
    await expect(worker.onStep(unmask(a, [a, b, c], [c]))).rejects.toMatchObject({ code: 'ERR_POLICY' });
    expect(sent[0]).toHaveLength(before);
    // An honest request first: c survived, so its self-mask share is revealed…
    await worker.onStep(unmask(a, [a, b, c], []));
    expect(sent[0]).toHaveLength(before + 1);
    const reveals = (
      JSON.parse(Buffer.from(sent[0]![before]!.message.payload, 'base64url').toString('utf8')) as {
        reveals: { of: string; kind: string }[];
      }
    ).reveals;
    expect(reveals.map((r) => [r.of, r.kind]).sort()).toEqual([b, c].sort().map((id) => [id, 'self']));
    // …then the coordinator claims c dropped, to get its mask key as well: refused.
    await expect(worker.onStep(unmask(a, [a, b], [c]))).rejects.toMatchObject({ code: 'ERR_POLICY' });
    expect(sent[0]).toHaveLength(before + 1);
  });

  it('refuses a neighbour advert that its named worker did not sign', async () => {
    const keys = await Promise.all(
      [0, 1].map(async () => signingKeyFromJwk((await generateKeyPair()).privateJwk)),
    );
    const [mine, other] = keys as [SigningKey, SigningKey];
    const out: Sent[] = [];
    const participant = new SecAggParticipant({
      key: mine,
      train: {
        runId: 'r',
        round: 1,
        nonce: 'n',
        keyId: mine.keyId,
        secureAggregation: { ...SECURE, neighbours: [other.keyId, 'c'] },
      } as never,
      send: (step, message) => {
        out.push({ step, message });
        return Promise.resolve();
      },
    });
    await participant.advertise();
    // The coordinator signs an advert in the neighbour's name with its own key.
    const forged = await mine.sign('silo-secagg+jws', {
      step: 'advertise',
      runId: 'r',
      round: 1,
      keyId: other.keyId,
      nonce: 'x',
      issuedAt: 0,
      jwk: other.publicJwk,
      cPk: 'A'.repeat(43),
      sPk: 'A'.repeat(43),
    });
    await expect(
      participant.onStep({
        v: 1,
        kind: 'secagg',
        runId: 'r',
        round: 1,
        issuedAt: 0,
        keyId: mine.keyId,
        step: 'keys',
        adverts: [forged],
      }),
    ).rejects.toMatchObject({
      code: 'ERR_BAD_SIGNATURE',
      message: expect.stringMatching(/not signed by/) as unknown,
    });
    expect(out.map((o) => o.step)).toEqual(['advertise']);
  });
});
