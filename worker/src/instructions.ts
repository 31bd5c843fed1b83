import { SiloError, type Logger } from '@silo/common';
import type { VerifierKey } from '@silo/ledger';
import {
  INSTRUCTION_TYP,
  type Instruction,
  type InstructionPrivacy,
  type SignedEvaluateInstruction,
  type SignedSecAggStep,
  type SignedTrainInstruction,
} from '@silo/protocol';
import { keyIdOf, verifySigned, type FlattenedJws, type PublicJwk } from '@silo/signing';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Checks train instructions against the coordinator key pinned in the worker's configuration:
 * only what that key signed, for this worker, is acted on. A forged, unsigned or misaddressed
 * instruction is logged and dropped, never trained on.
 */
export class InstructionVerifier {
  readonly #keyId: string;
  readonly #pinned: { jwk: PublicJwk; kid: Promise<string> } | undefined;
  readonly #logger: Logger;
  #warned = false;

  constructor(workerKeyId: string, coordinatorKey: VerifierKey | undefined, logger: Logger) {
    this.#keyId = workerKeyId;
    this.#logger = logger;
    if (coordinatorKey !== undefined) {
      const jwk: PublicJwk = {
        kty: 'OKP',
        crv: 'Ed25519',
        x: Buffer.from(coordinatorKey.publicKeyRaw).toString('base64url'),
      };
      this.#pinned = { jwk, kid: keyIdOf(jwk) };
    }
  }

  /**
   * The instruction's signed content.
   *
   * @throws SiloError `ERR_BAD_SIGNATURE` (or the verifier's code) when it must not be acted on.
   */
  async verify(instruction: Instruction): Promise<SignedTrainInstruction> {
    if (this.#pinned === undefined) {
      if (!this.#warned) {
        this.#warned = true;
        this.#logger.warn(
          'no coordinator key pinned: instructions are acted on without checking their signature',
        );
      }
      return unsignedContent(instruction, this.#keyId);
    }
    const jws = instruction.signature as FlattenedJws | null | undefined;
    if (jws === null || jws === undefined)
      throw new SiloError('ERR_BAD_SIGNATURE', 'the instruction is not signed');
    const pinned = this.#pinned;
    const kid = await pinned.kid;
    const { payload } = await verifySigned(jws, INSTRUCTION_TYP, (k) => (k === kid ? pinned.jwk : undefined));
    const signed = parseSignedTrain(payload);
    if (signed.keyId !== this.#keyId) {
      throw new SiloError(
        'ERR_BAD_SIGNATURE',
        `the instruction is addressed to ${signed.keyId.slice(0, 64)}`,
      );
    }
    return signed;
  }

  /** The payload of an instruction's signature: verified against the pinned key, if any. */
  async signedPayload(instruction: Instruction): Promise<unknown> {
    const jws = instruction.signature as FlattenedJws | null | undefined;
    if (jws === null || jws === undefined || typeof jws.payload !== 'string')
      throw new SiloError('ERR_BAD_SIGNATURE', 'the instruction is not signed');
    if (this.#pinned === undefined) return decodePayload(jws.payload);
    const pinned = this.#pinned;
    const kid = await pinned.kid;
    return (await verifySigned(jws, INSTRUCTION_TYP, (k) => (k === kid ? pinned.jwk : undefined))).payload;
  }

  /** @throws SiloError `ERR_BAD_SIGNATURE` when `keyId` is not this worker. */
  checkAddressee(keyId: unknown): void {
    if (keyId !== this.#keyId)
      throw new SiloError(
        'ERR_BAD_SIGNATURE',
        `the instruction is addressed to ${String(keyId).slice(0, 64)}`,
      );
  }

  /**
   * The signed content of an evaluate instruction. Without a pinned key the payload is read
   * unchecked, as for training.
   *
   * @throws SiloError `ERR_BAD_SIGNATURE` (or the verifier's code) when it must not be acted on;
   *   `ERR_BAD_INPUT` when it is malformed.
   */
  async verifyEvaluate(instruction: Instruction): Promise<SignedEvaluateInstruction> {
    const signed = parseSignedEvaluate(await this.signedPayload(instruction));
    this.checkAddressee(signed.keyId);
    return signed;
  }
}

/**
 * The signed content of a secure-aggregation step, checked like any instruction (unchecked
 * without a pinned key).
 *
 * @throws SiloError `ERR_BAD_SIGNATURE` when it must not be acted on; `ERR_BAD_INPUT` when malformed.
 */
export async function verifySecAggStep(
  verifier: InstructionVerifier,
  instruction: Instruction,
): Promise<SignedSecAggStep> {
  const payload = await verifier.signedPayload(instruction);
  const v = payload as Partial<Record<string, unknown>> | null;
  const strings = (x: unknown): boolean => Array.isArray(x) && x.every((e) => typeof e === 'string');
  const ok =
    v !== null &&
    typeof v === 'object' &&
    v['kind'] === 'secagg' &&
    typeof v['runId'] === 'string' &&
    Number.isInteger(v['round']) &&
    ((v['step'] === 'keys' && Array.isArray(v['adverts'])) ||
      (v['step'] === 'shares' && Array.isArray(v['shares'])) ||
      (v['step'] === 'unmask' && strings(v['survivors']) && strings(v['dropped'])));
  if (!ok) throw new SiloError('ERR_BAD_INPUT', 'the secure aggregation step is malformed');
  const step = v as unknown as SignedSecAggStep;
  verifier.checkAddressee(step.keyId);
  return step;
}

function decodePayload(payload: string): unknown {
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch (err) {
    throw new SiloError('ERR_BAD_INPUT', 'the instruction payload is not JSON', { cause: err });
  }
}

/** The fields train and evaluate instructions share, each of the right type. */
function hasCommonFields<T extends SignedTrainInstruction | SignedEvaluateInstruction>(
  v: Partial<T> | null,
  kind: T['kind'],
): v is Partial<T> {
  return (
    v !== null &&
    typeof v === 'object' &&
    v.kind === kind &&
    typeof v.keyId === 'string' &&
    typeof v.runId === 'string' &&
    v.runId.length > 0 &&
    Number.isInteger(v.round) &&
    typeof v.baseDigest === 'string' &&
    HEX64.test(v.baseDigest) &&
    typeof v.nonce === 'string' &&
    v.nonce.length > 0 &&
    Number.isFinite(v.deadlineUnixMs) &&
    typeof v.modelSpecJson === 'string' &&
    typeof v.specDigest === 'string' &&
    Number.isInteger(v.numParams)
  );
}

/** Validates a signed evaluate instruction's payload field by field. */
function parseSignedEvaluate(value: unknown): SignedEvaluateInstruction {
  const v = value as Partial<SignedEvaluateInstruction> | null;
  const ok = hasCommonFields(v, 'evaluate');
  if (!ok) throw new SiloError('ERR_BAD_INPUT', 'the evaluate instruction is malformed');
  return v as SignedEvaluateInstruction;
}

/**
 * The instruction's content for a worker that pins no key (tests, embedding): the signed payload
 * read without checking its signature when there is one (it alone carries the privacy
 * settings), else the plain fields.
 */
function unsignedContent(instruction: Instruction, keyId: string): SignedTrainInstruction {
  const jws = instruction.signature as FlattenedJws | null | undefined;
  if (jws !== null && jws !== undefined && typeof jws.payload === 'string') {
    const signed = parseSignedTrain(decodePayload(jws.payload));
    if (signed.keyId !== keyId)
      throw new SiloError('ERR_BAD_INPUT', `the instruction is addressed to ${signed.keyId.slice(0, 64)}`);
    return signed;
  }
  const t = instruction.train;
  if (t === null || t === undefined) throw new SiloError('ERR_BAD_INPUT', 'not a train instruction');
  const h = t.hyperparameters;
  if (h === null || h === undefined)
    throw new SiloError('ERR_BAD_INPUT', 'instruction has no hyper-parameters');
  return parseSignedTrain({
    v: 1,
    kind: 'train',
    keyId: t.keyId,
    runId: t.runId,
    round: t.round,
    baseDigest: t.baseDigest,
    nonce: t.nonce,
    deadlineUnixMs: Number(t.deadlineUnixMs),
    modelSpecJson: t.modelSpecJson,
    specDigest: t.specDigest,
    numParams: Number(t.numParams),
    hyperparameters: {
      epochs: Number(h.epochs),
      batchSize: Number(h.batchSize),
      learningRate: Number(h.learningRate),
      seed: Number(h.seed),
    },
    privacy: null,
    issuedAt: Date.now(),
  });
}

/** Validates a signed instruction's payload field by field. */
function parseSignedTrain(value: unknown): SignedTrainInstruction {
  const v = value as Partial<SignedTrainInstruction> | null;
  const h = v?.hyperparameters;
  const ok =
    hasCommonFields(v, 'train') &&
    h !== undefined &&
    Number.isInteger(h.epochs) &&
    Number.isInteger(h.batchSize) &&
    Number.isFinite(h.learningRate) &&
    Number.isInteger(h.seed) &&
    (h.proximalMu === undefined || (Number.isFinite(h.proximalMu) && h.proximalMu >= 0)) &&
    (h.freeze === undefined || (Array.isArray(h.freeze) && h.freeze.every((n) => typeof n === 'string'))) &&
    (v.updateEncoding === undefined || v.updateEncoding === 'float16' || v.updateEncoding === 'int8') &&
    validPrivacy(v.privacy) &&
    validSecure(v.secureAggregation);
  if (!ok) throw new SiloError('ERR_BAD_INPUT', 'the instruction is malformed');
  return v as SignedTrainInstruction;
}

/** Null, or DP settings a worker can apply: a positive clip norm, noise, δ in (0, 1), shares in local mode. */
function validPrivacy(value: InstructionPrivacy | null | undefined): boolean {
  if (value === null) return true;
  if (typeof value !== 'object') return false;
  const p = value as Partial<Record<keyof InstructionPrivacy, unknown>>;
  const positive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
  return (
    (p.mode === 'central' || p.mode === 'local') &&
    positive(p.clipNorm) &&
    positive(p.noiseMultiplier) &&
    positive(p.delta) &&
    (p.delta as number) < 1 &&
    (p.mode === 'central'
      ? p.shares === undefined
      : Number.isSafeInteger(p.shares) && (p.shares as number) >= 1)
  );
}

/** Absent, or secure-aggregation parameters a worker can apply. */
function validSecure(value: unknown): boolean {
  if (value === undefined) return true;
  const p = value as Partial<Record<string, unknown>> | null;
  const positive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
  return (
    p !== null &&
    typeof p === 'object' &&
    Array.isArray(p['neighbours']) &&
    p['neighbours'].every((n) => typeof n === 'string') &&
    Number.isInteger(p['threshold']) &&
    positive(p['clipRange']) &&
    Number.isInteger(p['quantizationBits']) &&
    typeof p['weightScale'] === 'number' &&
    p['weightScale'] >= 0 &&
    Number.isInteger(p['cohort'])
  );
}
