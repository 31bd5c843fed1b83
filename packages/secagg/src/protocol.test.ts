import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecAggClient } from './client.js';
import { neighbourGraph } from './graph.js';
import type { Advertisement, EncryptedShare, Reveal } from './messages.js';
import { defaultThreshold, type SecAggParams } from './params.js';
import { addInto } from './prg.js';
import { decodeSum, encodeInput, quantizationError } from './quantize.js';
import { reconstructSecrets, unmaskSum } from './server.js';

/** When a worker stops answering: never, or after one of the protocol's steps. */
type Stage = 'stays' | 'afterAdvertise' | 'afterShare' | 'atUnmask';

interface Scenario {
  n: number;
  k: number;
  params: SecAggParams;
  seed: Uint8Array;
  stages: Stage[];
  inputs: Float32Array[];
  weights: number[];
}

/** Who is where after the dropouts, and whether every needed secret has t answering holders. */
function plan(s: Scenario) {
  const ids = Array.from({ length: s.n }, (_, i) => `w${i}`);
  const graph = neighbourGraph(ids, s.k, s.seed);
  const stageOf = new Map(ids.map((id, i) => [id, s.stages[i]!]));
  const sharers = ids.filter((id) => stageOf.get(id) !== 'afterAdvertise');
  const survivors = sharers.filter((id) => stageOf.get(id) !== 'afterShare');
  const dropped = sharers.filter((id) => !survivors.includes(id));
  const answering = survivors.filter((id) => stageOf.get(id) !== 'atUnmask');
  const holders = (id: string): number => graph.get(id)!.filter((v) => answering.includes(v)).length;
  const needed = [...survivors, ...dropped.filter((v) => graph.get(v)!.some((u) => survivors.includes(u)))];
  const t = s.params.threshold;
  const feasible = survivors.length >= t && needed.every((id) => holders(id) >= t);
  return { ids, graph, sharers, survivors, dropped, answering, feasible };
}

/** Runs the whole protocol as the coordinator and workers would, up to the masked sum. */
async function maskedRound(s: Scenario) {
  const p = plan(s);
  const context = 'run-1/7';
  const clients = new Map(
    p.ids.map((id) => [
      id,
      new SecAggClient({ keyId: id, neighbours: p.graph.get(id)!, params: s.params, context }),
    ]),
  );
  const adverts: Advertisement[] = p.ids.map((id) => clients.get(id)!.advertise());
  const shares: EncryptedShare[] = [];
  for (const id of p.sharers) shares.push(...(await clients.get(id)!.shareKeys(adverts)));
  const sum = new Uint32Array(s.inputs[0]!.length + 1);
  for (const id of p.survivors) {
    const client = clients.get(id)!;
    client.receiveShares(shares.filter((share) => share.to === id));
    const i = p.ids.indexOf(id);
    addInto(sum, client.maskInput(encodeInput(s.inputs[i]!, s.weights[i]!, s.params)));
  }
  return { ...p, clients, context, sum, adverts: new Map(adverts.map((a) => [a.keyId, a])) };
}

/** A valid (n, k, t, b, c) with k either n − 1 or even, and 2t > k. */
const cohort = fc
  .integer({ min: 3, max: 12 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      k: fc.constantFrom(
        ...new Set([n - 1, ...Array.from({ length: n }, (_, i) => 2 * i + 2).filter((k) => k < n)]),
      ),
    }),
  )
  .chain(({ n, k }) =>
    fc.record({
      n: fc.constant(n),
      k: fc.constant(k),
      threshold: fc.oneof(
        fc.constant(defaultThreshold(k)),
        fc.integer({ min: Math.floor(k / 2) + 1, max: k }),
      ),
      quantizationBits: fc.integer({ min: 2, max: 28 }),
      clipRange: fc.double({ min: 0.01, max: 100, noNaN: true }),
    }),
  );

const stage = fc.oneof(
  { weight: 10, arbitrary: fc.constant<Stage>('stays') },
  { weight: 1, arbitrary: fc.constant<Stage>('afterAdvertise') },
  { weight: 1, arbitrary: fc.constant<Stage>('afterShare') },
  { weight: 1, arbitrary: fc.constant<Stage>('atUnmask') },
);

const scenario: fc.Arbitrary<Scenario> = cohort.chain(({ n, k, ...params }) =>
  fc
    .record({
      n: fc.constant(n),
      k: fc.constant(k),
      params: fc.constant(params),
      seed: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      stages: fc.array(stage, { minLength: n, maxLength: n }),
      // Values up to 2c, so about half of them are clipped.
      inputs: fc
        .integer({ min: 1, max: 200 })
        .chain((length) =>
          fc.array(
            fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: length, maxLength: length }),
            { minLength: n, maxLength: n },
          ),
        ),
      weights: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
    })
    .map((s) => ({ ...s, inputs: s.inputs.map((xs) => Float32Array.from(xs, (x) => x * params.clipRange)) })),
);

const policy = (): Error => expect.objectContaining({ code: 'ERR_POLICY' }) as Error;

describe('SecAgg+ end to end', () => {
  it('yields the sum of the survivors’ clipped inputs and weights, whoever drops when', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        fc.pre(plan(s).feasible);
        const round = await maskedRound(s);
        const { survivors, dropped, answering, clients, context } = round;
        const params = s.params;
        const request = { survivors, dropped };
        const reveals: Reveal[] = answering.flatMap((id) => clients.get(id)!.reveal(request));
        const secrets = await reconstructSecrets(reveals, params.threshold);
        expect([...secrets.self.keys()].sort()).toEqual([...survivors].sort());
        unmaskSum({ ...round, secrets, context, threshold: params.threshold });
        const { total, weight } = decodeSum(round.sum, survivors.length, params);
        const c = params.clipRange;
        const bound = quantizationError(survivors.length, params) * (1 + 1e-9) + 1e-6 * survivors.length * c;
        const indices = survivors.map((id) => round.ids.indexOf(id));
        total.forEach((value, j) => {
          const expected = indices.reduce((acc, i) => acc + Math.min(c, Math.max(-c, s.inputs[i]![j]!)), 0);
          expect(Math.abs(value - expected)).toBeLessThanOrEqual(bound);
        });
        const expectedWeight = indices.reduce((acc, i) => acc + s.weights[i]!, 0);
        const scale = 2 ** params.quantizationBits - 1;
        expect(Math.abs(weight - expectedWeight)).toBeLessThanOrEqual(survivors.length / (2 * scale) + 1e-12);
      }),
      { numRuns: 40 },
    );
  });

  it('aborts, revealing nothing, when too many drop', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const p = plan(s);
        fc.pre(!p.feasible);
        const round = await maskedRound(s);
        const { survivors, dropped, answering, clients, context } = round;
        const t = s.params.threshold;
        if (survivors.length < t) {
          for (const id of answering)
            expect(() => clients.get(id)!.reveal({ survivors, dropped })).toThrow(policy());
          const empty = { self: new Map(), mask: new Map() };
          expect(() => unmaskSum({ ...round, secrets: empty, context, threshold: t })).toThrow(policy());
          return;
        }
        // Enough survivors, but some secret has fewer than t answering holders.
        const reveals = answering.flatMap((id) => clients.get(id)!.reveal({ survivors, dropped }));
        await expect(
          reconstructSecrets(reveals, t).then((secrets) =>
            unmaskSum({ ...round, secrets, context, threshold: t }),
          ),
        ).rejects.toThrow(policy());
      }),
      { numRuns: 25 },
    );
  });

  it('survives one dropout at each step in a cohort of 10', async () => {
    const params = { threshold: 5, clipRange: 1, quantizationBits: 16 };
    const stages: Stage[] = ['afterAdvertise', 'afterShare', 'atUnmask', ...Array<Stage>(7).fill('stays')];
    const inputs = Array.from({ length: 10 }, (_, i) => Float32Array.of(i / 10, -i / 10, 5));
    const s: Scenario = {
      n: 10,
      k: 8,
      params,
      seed: new Uint8Array(16).fill(7),
      stages,
      inputs,
      weights: Array<number>(10).fill(0.5),
    };
    expect(plan(s).feasible).toBe(true);
    const round = await maskedRound(s);
    expect(round.survivors).toHaveLength(8);
    expect(round.dropped).toEqual(['w1']);
    const reveals = round.answering.flatMap((id) => round.clients.get(id)!.reveal(round));
    expect(new Set(reveals.filter((r) => r.kind === 'mask').map((r) => r.of))).toEqual(new Set(['w1']));
    const secrets = await reconstructSecrets(reveals, 5);
    unmaskSum({ ...round, secrets, threshold: 5 });
    const { total, weight } = decodeSum(round.sum, 8, params);
    const tolerance = quantizationError(8, params);
    // Survivors w2..w9: Σ i/10 = 4.4; the last coordinate is clipped from 5 to 1.
    expect(Math.abs(total[0]! - 4.4)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(total[1]! + 4.4)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(total[2]! - 8)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(weight - 4)).toBeLessThanOrEqual(8 / (2 * 65_535));
  });

  it('fails closed on a bad mask-key share and leaves the sum untouched on any refusal', async () => {
    const params = { threshold: 3, clipRange: 1, quantizationBits: 16 };
    const stages: Stage[] = ['afterShare', ...Array<Stage>(5).fill('stays')];
    const inputs = Array.from({ length: 6 }, () => Float32Array.of(0.25, -0.5));
    const s: Scenario = {
      n: 6,
      k: 4,
      params,
      seed: new Uint8Array(16),
      stages,
      inputs,
      weights: Array<number>(6).fill(1),
    };
    const round = await maskedRound(s);
    const before = Uint32Array.from(round.sum);
    const reveals = round.answering.flatMap((id) => round.clients.get(id)!.reveal(round));
    // One neighbour of the dropped w0 reveals a corrupted share of its mask key (x-coordinate kept).
    // Byte 1, not byte 0: each share byte maps to the same byte of the key, and X25519 clamps the
    // low three bits of byte 0, so a change confined to them leaves an equivalent key.
    const bad = reveals.findIndex((r) => r.kind === 'mask');
    const bytes = Buffer.from(reveals[bad]!.share, 'base64url');
    bytes[1]! ^= 0xff;
    const tampered = reveals.map((r, i) => (i === bad ? { ...r, share: bytes.toString('base64url') } : r));
    const corrupted = await reconstructSecrets(tampered, 3);
    expect(() => unmaskSum({ ...round, secrets: corrupted, threshold: 3 })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }),
    );
    expect(round.sum).toEqual(before);
    const secrets = await reconstructSecrets(reveals, 3);
    const withoutOne = { ...secrets, self: new Map([...secrets.self].slice(1)) };
    expect(() => unmaskSum({ ...round, secrets: withoutOne, threshold: 3 })).toThrow(policy());
    expect(round.sum).toEqual(before);
    unmaskSum({ ...round, secrets, threshold: 3 });
    const { total } = decodeSum(round.sum, 5, params);
    expect(Math.abs(total[0]! - 1.25)).toBeLessThanOrEqual(quantizationError(5, params));
    expect(Math.abs(total[1]! + 2.5)).toBeLessThanOrEqual(quantizationError(5, params));
  });
});
