import { SiloError } from '@silo/common';
import { agree, fromBase64Url, MASK_INFO, parsePublicKey, privateKeyFromRaw, publicKeyOf } from './keys.js';
import type { Advertisement, Reveal } from './messages.js';
import { checkThreshold } from './params.js';
import { applyMask, SEED_BYTES } from './prg.js';
import { combineShares, SHARE_BYTES } from './shares.js';

/** Secrets reconstructed at unmasking: self-mask seeds of survivors, raw mask private keys of the dropped. */
export interface ReconstructedSecrets {
  self: Map<string, Uint8Array>;
  mask: Map<string, Uint8Array>;
}

/** What {@link unmaskSum} needs to remove every mask from a sum. */
export interface UnmaskOptions {
  /** Σ of the survivors' masked inputs (see `addInto`); unmasked in place. */
  sum: Uint32Array;
  /** Who submitted a masked input that is in `sum`. */
  survivors: readonly string[];
  /** Who shared keys (their shares were relayed) but submitted no masked input. */
  dropped: readonly string[];
  /** The session's graph, from `neighbourGraph`. */
  graph: ReadonlyMap<string, readonly string[]>;
  /** Every worker's advert, by keyId. */
  adverts: ReadonlyMap<string, Advertisement>;
  secrets: { self: ReadonlyMap<string, Uint8Array>; mask: ReadonlyMap<string, Uint8Array> };
  context: string;
  threshold: number;
}

/**
 * Reconstructs secrets from the workers' reveals, grouped by `of` and kind: a repeated share is
 * counted once, and at least t distinct shares are needed per secret, since fewer reconstruct a
 * wrong secret without any sign of it.
 *
 * @throws SiloError `ERR_POLICY` naming the peer when a secret has fewer than t shares, or when
 *   both secrets of one peer were revealed; `ERR_BAD_INPUT` for a malformed share or two different
 *   shares at one x-coordinate; `ERR_BAD_CONFIG` for a bad threshold.
 */
export async function reconstructSecrets(
  reveals: readonly Reveal[],
  threshold: number,
): Promise<ReconstructedSecrets> {
  checkThreshold(threshold);
  const groups = new Map<string, { kind: Reveal['kind']; byX: Map<number, Uint8Array> }>();
  for (const { of, kind, share } of reveals) {
    if (kind !== 'self' && kind !== 'mask')
      throw new SiloError('ERR_BAD_INPUT', `a revealed share of ${of} has unknown kind ${String(kind)}`);
    const bytes = fromBase64Url(share, SHARE_BYTES, `revealed ${kind} share of ${of}`);
    const group = groups.get(of) ?? { kind, byX: new Map<number, Uint8Array>() };
    if (group.kind !== kind)
      throw new SiloError(
        'ERR_POLICY',
        `both the self-mask seed and the mask key of ${of} were revealed; together they unmask its input`,
      );
    const x = bytes[SHARE_BYTES - 1]!;
    const known = group.byX.get(x);
    if (x === 0 || (known !== undefined && Buffer.compare(known, bytes) !== 0))
      throw new SiloError('ERR_BAD_INPUT', `conflicting or malformed ${kind} shares of ${of} at x = ${x}`);
    group.byX.set(x, bytes);
    groups.set(of, group);
  }
  const secrets: ReconstructedSecrets = { self: new Map(), mask: new Map() };
  for (const [of, { kind, byX }] of groups) {
    if (byX.size < threshold)
      throw new SiloError(
        'ERR_POLICY',
        `only ${byX.size} ${kind} shares of ${of} were revealed, t = ${threshold} are needed; abort the round`,
      );
    secrets[kind].set(of, await combineShares([...byX.values()]));
  }
  return secrets;
}

/**
 * The pairwise mask seed s_uv for a dropped worker v, from v's reconstructed raw private key and
 * u's advertised sPk (`peerPublicKey`). First checks that the key is the one v advertised
 * (`ownPublicKey`): a neighbour revealing a bad share yields another key, and its masks would
 * silently corrupt the sum.
 *
 * @throws SiloError `ERR_BAD_SIGNATURE` when the key does not match v's advert; `ERR_BAD_INPUT`
 *   for a malformed key.
 */
export function pairSeed(
  privateKey: Uint8Array,
  ownPublicKey: string,
  peerPublicKey: string,
  context: string,
): Uint8Array {
  const key = privateKeyFromRaw(privateKey);
  parsePublicKey(ownPublicKey, 'advertised sPk of the dropped worker');
  if (publicKeyOf(key) !== ownPublicKey)
    throw new SiloError(
      'ERR_BAD_SIGNATURE',
      'a reconstructed mask key does not match its advertised sPk: a neighbour revealed a bad share; abort the round',
    );
  return agree(
    key,
    parsePublicKey(peerPublicKey, 'advertised sPk of the surviving worker'),
    context,
    MASK_INFO,
  );
}

/**
 * Removes every mask from the sum of the survivors' masked inputs, in place: PRG(b_u) for each
 * survivor u, and for each dropped v and each survivor u with v ∈ N(u), u's pairwise mask with v
 * (−sign(u, v)·PRG(s_uv)). Pairwise masks between two survivors cancel in the sum on their own.
 * Every secret is checked before the sum is touched, so a failure leaves it as it was.
 *
 * `dropped` must be exactly the workers whose shares were relayed but whose masked input is not
 * in the sum: a survivor masked with every neighbour whose shares it received.
 *
 * @throws SiloError `ERR_POLICY` for fewer than t survivors or a needed secret missing;
 *   `ERR_BAD_SIGNATURE` for a mask key that does not match its advert; `ERR_BAD_INPUT` for a
 *   worker in both lists, or missing from the graph or adverts.
 */
export function unmaskSum(options: UnmaskOptions): void {
  const { sum, graph, adverts, secrets, context, threshold } = options;
  checkThreshold(threshold);
  const survivors = [...new Set(options.survivors)].sort();
  const dropped = new Set(options.dropped);
  if (survivors.length < threshold)
    throw new SiloError(
      'ERR_POLICY',
      `only ${survivors.length} survivors, fewer than t = ${threshold}: the round must be aborted`,
    );
  const masks: { seed: Uint8Array; sign: 1 | -1 }[] = [];
  for (const u of survivors) {
    if (dropped.has(u))
      throw new SiloError('ERR_BAD_INPUT', `${u} is listed both as a survivor and as dropped`);
    const seed = secrets.self.get(u);
    if (seed === undefined) missing(`the self-mask seed of survivor ${u}`);
    if (seed.length !== SEED_BYTES)
      throw new SiloError(
        'ERR_BAD_INPUT',
        `the self-mask seed of ${u} is ${seed.length} bytes, not ${SEED_BYTES}`,
      );
    masks.push({ seed, sign: -1 });
    const neighbours = graph.get(u);
    if (neighbours === undefined) throw new SiloError('ERR_BAD_INPUT', `survivor ${u} is not in the graph`);
    for (const v of neighbours) {
      if (!dropped.has(v)) continue;
      const key = secrets.mask.get(v);
      if (key === undefined) missing(`the mask key of dropped worker ${v}`);
      const s = pairSeed(key, advertOf(adverts, v).sPk, advertOf(adverts, u).sPk, context);
      masks.push({ seed: s, sign: u < v ? -1 : 1 });
    }
  }
  for (const { seed, sign } of masks) applyMask(sum, seed, sign);
}

function advertOf(adverts: ReadonlyMap<string, Advertisement>, id: string): Advertisement {
  const advert = adverts.get(id);
  if (advert === undefined) throw new SiloError('ERR_BAD_INPUT', `no advert of ${id} to unmask with`);
  return advert;
}

function missing(what: string): never {
  throw new SiloError('ERR_POLICY', `cannot unmask the sum without ${what}: too few neighbours revealed it`);
}
