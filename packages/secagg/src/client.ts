import { createHash, randomBytes } from 'node:crypto';
import { SiloError } from '@silo/common';
import {
  agree,
  generatePair,
  MASK_INFO,
  parsePublicKey,
  rawPrivateKey,
  SHARE_INFO,
  toBase64Url,
  type X25519Pair,
} from './keys.js';
import type { Advertisement, EncryptedShare, Reveal, RevealRequest } from './messages.js';
import { MAX_NEIGHBOURS, checkEncoding, checkThreshold, type SecAggParams } from './params.js';
import { applyMask, SEED_BYTES } from './prg.js';
import { openShares, sealShares, shareAad, splitSecret, type SharePair } from './shares.js';

/** How a worker joins one SecAgg+ session. */
export interface SecAggClientOptions {
  /** This worker's id, as the coordinator and its neighbours know it. */
  keyId: string;
  /** Its neighbours in the session's graph (see `neighbourGraph`), excluding `keyId` itself. */
  neighbours: readonly string[];
  params: SecAggParams;
  /** Binds the session (e.g. "runId/round"): the HKDF salt and part of every AEAD's associated data. */
  context: string;
}

/**
 * One worker's side of a SecAgg+ session (Bell et al. 2020, after Bonawitz et al. 2017), as a state
 * machine without I/O: advertise → shareKeys → receiveShares → maskInput → reveal.
 *
 * The worker masks its input twice: with PRG(b) for a fresh seed b, and with pairwise masks PRG(s_uv)
 * that cancel in the sum. Its neighbours hold Shamir shares of b and of its mask private key, and
 * reveal the one or the other, never both: b if it submitted (to remove its self mask), the key if it
 * dropped (to remove the pairwise masks it left behind). Every guard that keeps the coordinator from
 * learning both lives in {@link SecAggClient.reveal}.
 */
export class SecAggClient {
  readonly keyId: string;
  readonly #neighbours: ReadonlySet<string>;
  readonly #threshold: number;
  readonly #context: string;
  #encryption: X25519Pair | undefined;
  #masking: X25519Pair | undefined;
  /** Neighbours' adverts seen so far. */
  readonly #peers = new Map<string, Advertisement>();
  #shared: Promise<EncryptedShare[]> | undefined;
  #selfSeed: Uint8Array | undefined;
  /** Shares received, by sender (U2 ∩ N); undefined until receiveShares succeeds. */
  #held: Map<string, SharePair & { readonly ciphertext: string }> | undefined;
  /** SHA-256 of the input masked, so a second, different input is refused. */
  #maskedDigest: string | undefined;
  /** Which secret of each peer this worker has revealed. */
  readonly #revealed = new Map<string, Reveal['kind']>();

  /** @throws SiloError `ERR_BAD_CONFIG` for bad params, ids, or fewer neighbours than t. */
  constructor(options: SecAggClientOptions) {
    const { keyId, neighbours, params, context } = options;
    checkEncoding(params);
    checkThreshold(params.threshold);
    checkId(keyId);
    const set = new Set(neighbours);
    for (const id of set) checkId(id);
    if (set.size !== neighbours.length) badConfig(`the neighbours of ${keyId} list someone twice`);
    if (set.has(keyId)) badConfig(`${keyId} lists itself among its neighbours`);
    if (set.size < params.threshold || set.size > MAX_NEIGHBOURS)
      badConfig(
        `${keyId} has ${set.size} neighbours; it needs between t = ${params.threshold} and ${MAX_NEIGHBOURS}`,
      );
    if (typeof context !== 'string' || context === '')
      badConfig('a session context is required, e.g. "runId/round"');
    this.keyId = keyId;
    this.#neighbours = set;
    this.#threshold = params.threshold;
    this.#context = context;
  }

  /** Generates (once; repeat calls return the same) the encryption pair c and the masking pair s. */
  advertise(): Advertisement {
    this.#encryption ??= generatePair();
    this.#masking ??= generatePair();
    return { keyId: this.keyId, cPk: this.#encryption.publicKey, sPk: this.#masking.publicKey };
  }

  /**
   * Takes the adverts the coordinator relays (only neighbours' count; this worker's own and
   * strangers' are ignored), draws the self-mask seed b, Shamir-splits b and the raw mask private
   * key into one share per advertised neighbour with threshold t, and seals each neighbour's pair of
   * shares with AES-256-GCM under HKDF-SHA256(X25519(c_sk, c_pk_v), salt = context,
   * info = "silo/secagg/share/v1"), AAD = `${context}|${from}|${to}`. Callable once; a repeat call
   * returns the same shares.
   *
   * @throws SiloError `ERR_BAD_INPUT` for a malformed advert or one whose keys differ from an
   *   earlier advert of the same neighbour; `ERR_POLICY` when fewer than t neighbours advertised;
   *   `ERR_INTERNAL` before {@link advertise}.
   */
  async shareKeys(adverts: readonly Advertisement[]): Promise<EncryptedShare[]> {
    if (this.#shared === undefined) {
      const peers = this.#acceptAdverts(adverts);
      this.#shared = this.#sealAll(peers);
    }
    return [...(await this.#shared)];
  }

  /**
   * Decrypts and keeps the shares addressed to this worker from neighbours that advertised; others
   * are ignored. All or nothing: on any failure nothing of the batch is kept. May be called again
   * (more shares arriving) until {@link maskInput}. Records who sent shares (U2 ∩ N): exactly those
   * are the neighbours whose pairwise masks the input gets.
   *
   * @throws SiloError `ERR_BAD_SIGNATURE` when a share does not authenticate; `ERR_BAD_INPUT` for a
   *   malformed share or a neighbour sending two different ones; `ERR_INTERNAL` out of order.
   */
  receiveShares(shares: readonly EncryptedShare[]): void {
    if (this.#selfSeed === undefined) outOfOrder('receiveShares() before shareKeys() has finished');
    if (this.#maskedDigest !== undefined)
      outOfOrder('receiveShares() after maskInput(): the masks are fixed');
    const held = new Map(this.#held);
    for (const share of shares) {
      if (share.to !== this.keyId || !this.#peers.has(share.from)) continue;
      const known = held.get(share.from);
      if (known !== undefined) {
        if (known.ciphertext === share.ciphertext) continue;
        throw new SiloError('ERR_BAD_INPUT', `${share.from} sent ${this.keyId} two different sets of shares`);
      }
      const key = this.#shareKey(share.from);
      const pair = openShares(
        key,
        shareAad(this.#context, share.from, this.keyId),
        share.ciphertext,
        share.from,
      );
      held.set(share.from, { ...pair, ciphertext: share.ciphertext });
    }
    this.#held = held;
  }

  /**
   * input + PRG(b) + Σ sign·PRG(s_uv) (mod 2³²) over the neighbours v whose shares arrived, where
   * s_uv = HKDF-SHA256(X25519(s_sk, s_pk_v), salt = context, info = "silo/secagg/mask/v1") and
   * sign = +1 if keyId < v (string order) else −1. Returns a new array.
   *
   * The masks are fixed for the session, so two different inputs would reveal their difference:
   * calling again with the same input recomputes the same result, with another input is refused.
   *
   * @throws SiloError `ERR_POLICY` for a second, different input; `ERR_INTERNAL` before
   *   {@link receiveShares}.
   */
  maskInput(input: Uint32Array): Uint32Array {
    const held = this.#held;
    const seed = this.#selfSeed;
    if (held === undefined || seed === undefined) outOfOrder('maskInput() before receiveShares()');
    const digest = createHash('sha256')
      .update(new Uint8Array(input.buffer, input.byteOffset, input.byteLength))
      .digest('hex');
    if (this.#maskedDigest !== undefined && this.#maskedDigest !== digest)
      throw new SiloError(
        'ERR_POLICY',
        `${this.keyId} already masked another input this session; masking a second would reveal the difference`,
      );
    this.#maskedDigest = digest;
    const masked = new Uint32Array(input);
    applyMask(masked, seed, 1);
    for (const peer of [...held.keys()].sort()) {
      applyMask(masked, this.#pairSeed(peer), this.keyId < peer ? 1 : -1);
    }
    return masked;
  }

  /**
   * Answers an unmasking request: for each neighbour whose shares this worker holds, its 'self'
   * share if the neighbour survived, its 'mask' share if it dropped, nothing if neither.
   *
   * Refuses, revealing nothing, when a peer is listed both as survivor and dropped, this worker is
   * not among the survivors (or has not masked its input), there are fewer than t survivors, or a
   * peer would get the other kind of share than this worker revealed for it earlier in the session
   * (asking again for the same kind is fine). Since 2t > k, a coordinator that tells different
   * neighbours different stories must ask at least one of them for both kinds of the same peer.
   *
   * @throws SiloError `ERR_POLICY` for each refusal above.
   */
  reveal(request: RevealRequest): Reveal[] {
    const held = this.#held;
    if (held === undefined || this.#maskedDigest === undefined)
      refuse(`${this.keyId} has not submitted a masked input, so it cannot be a survivor`);
    const survivors = new Set(request.survivors);
    const dropped = new Set(request.dropped);
    for (const peer of survivors)
      if (dropped.has(peer)) refuse(`${peer} is listed both as a survivor and as dropped`);
    if (!survivors.has(this.keyId)) refuse(`${this.keyId} is not among the survivors it is asked to unmask`);
    if (survivors.size < this.#threshold)
      refuse(`only ${survivors.size} survivors, fewer than the threshold t = ${this.#threshold}`);
    const answers: Reveal[] = [];
    for (const [peer, pair] of [...held].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const kind = survivors.has(peer) ? 'self' : dropped.has(peer) ? 'mask' : undefined;
      if (kind === undefined) continue;
      const before = this.#revealed.get(peer);
      if (before !== undefined && before !== kind)
        refuse(
          `${peer}'s ${before} share was revealed earlier this session; revealing its ${kind} share too would unmask its input`,
        );
      answers.push({ of: peer, kind, share: toBase64Url(pair[kind]) });
    }
    for (const { of, kind } of answers) this.#revealed.set(of, kind);
    return answers;
  }

  /** Records neighbours' adverts; the first keys seen for a neighbour are the ones it keeps. */
  #acceptAdverts(adverts: readonly Advertisement[]): Map<string, Advertisement> {
    if (this.#encryption === undefined) outOfOrder('shareKeys() before advertise()');
    for (const advert of adverts) {
      if (advert.keyId === this.keyId || !this.#neighbours.has(advert.keyId)) continue;
      parsePublicKey(advert.cPk, `encryption key cPk of ${advert.keyId}`);
      parsePublicKey(advert.sPk, `masking key sPk of ${advert.keyId}`);
      const known = this.#peers.get(advert.keyId);
      if (known !== undefined && (known.cPk !== advert.cPk || known.sPk !== advert.sPk))
        throw new SiloError(
          'ERR_BAD_INPUT',
          `${advert.keyId} was advertised with two different key sets; refusing to share keys this session`,
        );
      this.#peers.set(advert.keyId, { keyId: advert.keyId, cPk: advert.cPk, sPk: advert.sPk });
    }
    if (this.#peers.size < this.#threshold)
      throw new SiloError(
        'ERR_POLICY',
        `only ${this.#peers.size} of ${this.keyId}'s neighbours advertised keys; sharing needs t = ${this.#threshold}`,
      );
    return new Map(this.#peers);
  }

  async #sealAll(peers: ReadonlyMap<string, Advertisement>): Promise<EncryptedShare[]> {
    const ids = [...peers.keys()].sort();
    const seed = new Uint8Array(randomBytes(SEED_BYTES));
    const [selfShares, maskShares] = await Promise.all([
      splitSecret(seed, ids.length, this.#threshold),
      splitSecret(rawPrivateKey(this.#masking!.privateKey), ids.length, this.#threshold),
    ]);
    this.#selfSeed = seed;
    return ids.map((to, i) => ({
      from: this.keyId,
      to,
      ciphertext: sealShares(this.#shareKey(to), shareAad(this.#context, this.keyId, to), {
        self: selfShares[i]!,
        mask: maskShares[i]!,
      }),
    }));
  }

  #shareKey(peer: string): Uint8Array {
    const { cPk } = this.#peers.get(peer)!;
    const publicKey = parsePublicKey(cPk, `encryption key cPk of ${peer}`);
    return agree(this.#encryption!.privateKey, publicKey, this.#context, SHARE_INFO);
  }

  #pairSeed(peer: string): Uint8Array {
    const { sPk } = this.#peers.get(peer)!;
    const publicKey = parsePublicKey(sPk, `masking key sPk of ${peer}`);
    return agree(this.#masking!.privateKey, publicKey, this.#context, MASK_INFO);
  }
}

/** Ids end up in `${context}|${from}|${to}`; a '|' inside one would make that ambiguous. */
function checkId(id: string): void {
  if (typeof id !== 'string' || id === '' || id.includes('|'))
    badConfig(`worker id ${JSON.stringify(id)} must be a non-empty string without '|'`);
}

function badConfig(message: string): never {
  throw new SiloError('ERR_BAD_CONFIG', `secure aggregation: ${message}`);
}

function outOfOrder(message: string): never {
  throw new SiloError('ERR_INTERNAL', `secure aggregation called out of order: ${message}`);
}

function refuse(message: string): never {
  throw new SiloError('ERR_POLICY', `secure aggregation: refusing to reveal shares: ${message}`);
}
