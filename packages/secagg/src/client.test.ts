import { describe, expect, it } from 'vitest';
import { SecAggClient } from './client.js';
import type { Advertisement, EncryptedShare } from './messages.js';
import { encodeInput } from './quantize.js';

const params = { threshold: 3, clipRange: 1, quantizationBits: 16 };
const IDS = ['a', 'b', 'c', 'd', 'e'];

/** Five workers, all neighbours of each other, through shareKeys. */
async function cohort(context = 'run-1/3') {
  const clients = IDS.map(
    (id) => new SecAggClient({ keyId: id, neighbours: IDS.filter((v) => v !== id), params, context }),
  );
  const adverts = clients.map((client) => client.advertise());
  const shares = (await Promise.all(clients.map((client) => client.shareKeys(adverts)))).flat();
  const [a, b, c, d, e] = clients as [SecAggClient, SecAggClient, SecAggClient, SecAggClient, SecAggClient];
  return { clients, a, b, c, d, e, adverts, shares };
}

/** Receives the shares and masks a small input, so `client` may answer reveals. */
function submit(client: SecAggClient, shares: readonly EncryptedShare[]): Uint32Array {
  client.receiveShares(shares);
  return client.maskInput(encodeInput(Float32Array.of(0.1, 0.2), 1, params));
}

const policy = (text: string): Error =>
  expect.objectContaining({ code: 'ERR_POLICY', message: expect.stringContaining(text) as string }) as Error;

describe('SecAggClient against a malicious coordinator', () => {
  it('refuses a peer listed as survivor and dropped, revealing nothing, and stays usable', async () => {
    const { a, shares } = await cohort();
    submit(a, shares);
    expect(() => a.reveal({ survivors: ['a', 'b', 'c', 'd'], dropped: ['d', 'e'] })).toThrow(policy('both'));
    // Nothing was recorded by the refused call: d may still be asked for as dropped.
    const answers = a.reveal({ survivors: ['a', 'b', 'c'], dropped: ['d', 'e'] });
    expect(answers.map(({ of, kind }) => `${of}:${kind}`)).toEqual(['b:self', 'c:self', 'd:mask', 'e:mask']);
  });

  it('refuses to reveal the other secret of a peer it already revealed one of', async () => {
    const { a, shares } = await cohort();
    submit(a, shares);
    const first = a.reveal({ survivors: ['a', 'b', 'c', 'd'], dropped: ['e'] });
    expect(first.find((r) => r.of === 'd')?.kind).toBe('self');
    expect(() => a.reveal({ survivors: ['a', 'b', 'c'], dropped: ['d'] })).toThrow(policy("d's self share"));
    expect(() => a.reveal({ survivors: ['a', 'b', 'c', 'e'], dropped: [] })).toThrow(
      policy("e's mask share"),
    );
    // Asking again for the same kinds is fine and returns the same shares.
    expect(a.reveal({ survivors: ['a', 'b', 'c', 'd'], dropped: ['e'] })).toEqual(first);
  });

  it('refuses when it is not a survivor, has not submitted, or survivors are fewer than t', async () => {
    const { a, b, shares } = await cohort();
    expect(() => b.reveal({ survivors: ['a', 'b', 'c'], dropped: [] })).toThrow(policy('not submitted'));
    submit(a, shares);
    expect(() => a.reveal({ survivors: ['b', 'c', 'd'], dropped: ['e'] })).toThrow(policy('not among'));
    expect(() => a.reveal({ survivors: ['a', 'b'], dropped: ['c', 'd', 'e'] })).toThrow(policy('fewer than'));
    expect(() => a.reveal({ survivors: ['a', 'b', 'b', 'a'], dropped: [] })).toThrow(policy('fewer than'));
  });
});

describe('SecAggClient', () => {
  it('masks an input into words unrelated to it', async () => {
    const { a, shares } = await cohort();
    a.receiveShares(shares);
    const input = encodeInput(new Float32Array(4095), 1, params);
    const masked = a.maskInput(input);
    expect(masked).toHaveLength(4096);
    // Each word equals the input's with probability 2^-32.
    expect(masked.filter((word, i) => word === input[i]).length).toBeLessThanOrEqual(1);
    // Top four bits: 16 buckets of 256 expected; χ² with 15 degrees of freedom stays below 60
    // except with probability about 1e-7.
    const buckets = new Array<number>(16).fill(0);
    for (const word of masked) buckets[word >>> 28]! += 1;
    const chiSquare = buckets.reduce((acc, count) => acc + (count - 256) ** 2 / 256, 0);
    expect(chiSquare).toBeLessThan(60);
    // Every bit is set in about half of the words (5 standard deviations: 0.039).
    for (let bit = 0; bit < 32; bit++) {
      const share = masked.filter((word) => (word >>> bit) & 1).length / masked.length;
      expect(Math.abs(share - 0.5)).toBeLessThan(0.04);
    }
  });

  it('masks the same input the same way and refuses a second, different one', async () => {
    const { a, shares } = await cohort();
    a.receiveShares(shares);
    const input = encodeInput(Float32Array.of(0.5, -0.5), 0.3, params);
    const masked = a.maskInput(input);
    expect(a.maskInput(Uint32Array.from(input))).toEqual(masked);
    expect(() => a.maskInput(encodeInput(Float32Array.of(0.5, -0.4), 0.3, params))).toThrow(
      policy('reveal the difference'),
    );
    expect(() => a.receiveShares(shares)).toThrow(expect.objectContaining({ code: 'ERR_INTERNAL' }));
  });

  it('fails closed on a tampered, misdirected or foreign-session share, keeping none of the batch', async () => {
    const { a, shares } = await cohort();
    const toA = shares.filter((share) => share.to === 'a');
    const bytes = Buffer.from(toA[1]!.ciphertext, 'base64url');
    bytes[20]! ^= 1;
    const tampered = toA.map((share, i) =>
      i === 1 ? { ...share, ciphertext: bytes.toString('base64url') } : share,
    );
    const signature = expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }) as Error;
    expect(() => a.receiveShares(tampered)).toThrow(signature);
    expect(() => a.maskInput(new Uint32Array(3))).toThrow(expect.objectContaining({ code: 'ERR_INTERNAL' }));
    // b's share for c, relabelled as b's share for a: a different key and associated data.
    const misdirected = shares.find((share) => share.from === 'b' && share.to === 'c')!;
    expect(() => a.receiveShares([{ ...misdirected, to: 'a' }])).toThrow(signature);
    const other = await cohort('run-1/4');
    const foreign = other.shares.find((share) => share.from === 'b' && share.to === 'a')!;
    expect(() => a.receiveShares([foreign])).toThrow(signature);
    const truncated = { ...toA[0]!, ciphertext: toA[0]!.ciphertext.slice(0, -4) };
    expect(() => a.receiveShares([truncated])).toThrow(expect.objectContaining({ code: 'ERR_BAD_INPUT' }));
    a.receiveShares(toA);
    expect(a.maskInput(new Uint32Array(3))).toHaveLength(3);
  });

  it('ignores shares for others and from strangers; refuses two different shares from one neighbour', async () => {
    const { a, shares } = await cohort();
    const stranger: EncryptedShare = { from: 'z', to: 'a', ciphertext: 'AAAA' };
    a.receiveShares([...shares, stranger]);
    const first = shares.find((share) => share.from === 'b' && share.to === 'a')!;
    expect(() => a.receiveShares([first])).not.toThrow();
    const { shares: again } = await cohort();
    const other = again.find((share) => share.from === 'b' && share.to === 'a')!;
    expect(() => a.receiveShares([{ ...first, ciphertext: other.ciphertext }])).toThrow(
      expect.objectContaining({
        code: 'ERR_BAD_INPUT',
        message: expect.stringContaining('two different') as string,
      }),
    );
  });

  it('refuses a neighbour advertised with two different key sets', async () => {
    const { adverts } = await cohort();
    const fresh = new SecAggClient({
      keyId: 'a',
      neighbours: ['b', 'c', 'd', 'e'],
      params,
      context: 'run-1/3',
    });
    const impostor = new SecAggClient({ keyId: 'b', neighbours: ['a', 'c', 'd'], params, context: 'x' });
    fresh.advertise();
    const badInput = expect.objectContaining({ code: 'ERR_BAD_INPUT' }) as Error;
    await expect(fresh.shareKeys([...adverts, impostor.advertise()])).rejects.toThrow(badInput);
    // Across calls too: b was seen with other keys before.
    const [, ...others] = adverts.filter((advert) => advert.keyId !== 'a');
    await expect(fresh.shareKeys([impostor.advertise(), ...others])).rejects.toThrow(badInput);
    const malformed: Advertisement = { ...adverts[1]!, sPk: 'not-a-key' };
    const other = new SecAggClient({ keyId: 'a', neighbours: ['b', 'c', 'd'], params, context: 'y' });
    other.advertise();
    await expect(other.shareKeys([malformed])).rejects.toThrow(badInput);
  });

  it('needs t advertised neighbours, ignores strangers and itself, and repeats itself', async () => {
    const { adverts } = await cohort();
    const client = new SecAggClient({ keyId: 'a', neighbours: ['b', 'c', 'd'], params, context: 'run-1/3' });
    const advert = client.advertise();
    expect(client.advertise()).toEqual(advert);
    // Only b and c are neighbours among these (e is a stranger to this client; a is itself).
    const few = adverts.filter((x) => ['a', 'b', 'c', 'e'].includes(x.keyId));
    await expect(client.shareKeys(few)).rejects.toThrow(policy('only 2'));
    const shares = await client.shareKeys(adverts);
    expect(shares.map((share) => share.to)).toEqual(['b', 'c', 'd']);
    expect(await client.shareKeys([])).toEqual(shares);
  });

  it('enforces the order of the steps and validates its options', async () => {
    const client = new SecAggClient({ keyId: 'a', neighbours: ['b', 'c', 'd'], params, context: 'r' });
    const internal = expect.objectContaining({ code: 'ERR_INTERNAL' }) as Error;
    await expect(client.shareKeys([])).rejects.toThrow(internal);
    expect(() => client.receiveShares([])).toThrow(internal);
    expect(() => client.maskInput(new Uint32Array(1))).toThrow(internal);
    const config = expect.objectContaining({ code: 'ERR_BAD_CONFIG' }) as Error;
    const make =
      (keyId: string, neighbours: string[], context = 'r') =>
      () =>
        new SecAggClient({ keyId, neighbours, params, context });
    expect(make('a', ['b', 'c'])).toThrow(config);
    expect(make('a', ['a', 'b', 'c'])).toThrow(config);
    expect(make('a', ['b', 'b', 'c', 'd'])).toThrow(config);
    expect(make('a|b', ['c', 'd', 'e'])).toThrow(config);
    expect(make('a', ['b', 'c', 'd'], '')).toThrow(config);
  });
});
