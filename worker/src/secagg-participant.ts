import { SiloError } from '@silo/common';
import {
  SECAGG_TYP,
  secAggContext,
  type InstructionSecureAggregation,
  type SecAggClaims,
  type SignedSecAggStep,
  type SignedTrainInstruction,
} from '@silo/protocol';
import { SecAggClient, encodeInput, type Advertisement } from '@silo/secagg';
import { keyIdOf, verifySigned, type FlattenedJws, type PublicJwk, type SigningKey } from '@silo/signing';

/** Distributive omit, so each step's claims keep their own fields. */
type StepClaims = SecAggClaims extends infer C
  ? C extends unknown
    ? Omit<C, 'runId' | 'round' | 'keyId' | 'nonce' | 'issuedAt'>
    : never
  : never;

/** Options for {@link SecAggParticipant}. */
export interface SecAggParticipantOptions {
  key: SigningKey;
  train: SignedTrainInstruction & { secureAggregation: InstructionSecureAggregation };
  /** Logs and sends one signed message to the coordinator. */
  send(step: SecAggClaims['step'], message: FlattenedJws): Promise<void>;
}

/**
 * A worker's part in the secure aggregation of one round: it advertises fresh keys, shares its
 * secrets among its neighbours (checking each neighbour's advert against the neighbour's own
 * signing key, so the coordinator cannot slip in keys of its own), masks its update, and at the
 * end reveals, for each neighbour, one kind of share and never both.
 */
export class SecAggParticipant {
  readonly #o: SecAggParticipantOptions;
  readonly #client: SecAggClient;
  readonly #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (err: unknown) => void;
  #sharesSent = false;

  constructor(options: SecAggParticipantOptions) {
    this.#o = options;
    const { train } = options;
    const sa = train.secureAggregation;
    this.#client = new SecAggClient({
      keyId: options.key.keyId,
      neighbours: sa.neighbours,
      params: { threshold: sa.threshold, clipRange: sa.clipRange, quantizationBits: sa.quantizationBits },
      context: secAggContext(train.runId, train.round),
    });
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Nobody may be waiting yet; the rejection is seen by whoever awaits {@link ready}.
    this.#ready.catch(() => undefined);
  }

  /** Signs claims of this round's session. */
  async #sign(claims: StepClaims): Promise<FlattenedJws> {
    const { train, key } = this.#o;
    return key.sign(SECAGG_TYP, {
      runId: train.runId,
      round: train.round,
      keyId: key.keyId,
      nonce: train.nonce,
      issuedAt: Date.now(),
      ...claims,
    });
  }

  /** Sends this worker's fresh public keys. */
  async advertise(): Promise<void> {
    const { cPk, sPk } = this.#client.advertise();
    const jwk = this.#o.key.publicJwk;
    const message = await this.#sign({
      step: 'advertise',
      jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
      cPk,
      sPk,
    });
    await this.#o.send('advertise', message);
  }

  /**
   * Acts on a step of the coordinator's: shares keys, takes the shares sent to this worker, or
   * reveals shares for unmasking.
   *
   * @throws SiloError `ERR_POLICY` when an unmasking request must be refused (nothing is sent);
   *   `ERR_BAD_SIGNATURE` for an advert that is not its neighbour's own.
   */
  async onStep(step: SignedSecAggStep): Promise<void> {
    try {
      if (step.step === 'keys') {
        if (this.#sharesSent) return;
        const adverts = await Promise.all(step.adverts.map((jws) => this.#verifyAdvert(jws)));
        const shares = await this.#client.shareKeys(adverts);
        this.#sharesSent = true;
        await this.#o.send('shares', await this.#sign({ step: 'shares', shares }));
      } else if (step.step === 'shares') {
        this.#client.receiveShares(step.shares);
        this.#resolveReady();
      } else {
        const reveals = this.#client.reveal({ survivors: step.survivors, dropped: step.dropped });
        await this.#o.send('reveal', await this.#sign({ step: 'reveal', reveals }));
      }
    } catch (err) {
      if (step.step !== 'unmask') this.#rejectReady(err);
      throw err;
    }
  }

  /** A neighbour's advert, checked against the signing key it carries and names as its own. */
  async #verifyAdvert(jws: FlattenedJws): Promise<Advertisement> {
    const unverified = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as Partial<
      SecAggClaims & { step: 'advertise' }
    >;
    const jwk = unverified.jwk;
    if (jwk === undefined || typeof jwk.x !== 'string')
      throw new SiloError('ERR_BAD_INPUT', 'a neighbour advert carries no signing key');
    const publicJwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
    const kid = await keyIdOf(publicJwk);
    const { keyId, payload } = await verifySigned(jws, SECAGG_TYP, (k) =>
      k === kid ? publicJwk : undefined,
    ).catch((err: unknown) => {
      throw new SiloError('ERR_BAD_SIGNATURE', `an advert for ${kid.slice(0, 64)} is not signed by its key`, {
        cause: err,
      });
    });
    const claims = payload as SecAggClaims;
    const { train } = this.#o;
    if (
      claims.step !== 'advertise' ||
      claims.keyId !== keyId ||
      claims.runId !== train.runId ||
      claims.round !== train.round ||
      !train.secureAggregation.neighbours.includes(keyId)
    )
      throw new SiloError(
        'ERR_BAD_SIGNATURE',
        `the advert of ${keyId.slice(0, 64)} is not for this round or not a neighbour's`,
      );
    return { keyId, cPk: claims.cPk, sPk: claims.sPk };
  }

  /** Waits until the shares of this worker's neighbours arrived, or the deadline passed. */
  async ready(deadline: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SiloError(
              'ERR_TIMEOUT',
              'the key shares of secure aggregation did not arrive before the deadline',
            ),
          ),
        Math.max(0, deadline - Date.now()),
      );
    });
    try {
      await Promise.race([this.#ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The masked input of `delta` (clipped and quantized by the run's parameters), weighted by
   * min(1, examples ÷ weightScale), as little-endian bytes.
   */
  mask(delta: Float32Array, numExamples: number): Uint8Array {
    const { weightScale, clipRange, quantizationBits, threshold } = this.#o.train.secureAggregation;
    const weight = weightScale > 0 ? Math.min(1, numExamples / weightScale) : 1;
    const scaled = weight === 1 ? delta : delta.map((x) => x * weight);
    const masked = this.#client.maskInput(
      encodeInput(scaled, weight, { threshold, clipRange, quantizationBits }),
    );
    return new Uint8Array(masked.buffer, masked.byteOffset, masked.byteLength);
  }
}
