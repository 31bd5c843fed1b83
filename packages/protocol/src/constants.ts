/** The JWS `typ` of a worker's proof of key possession, sent in `JoinRequest.proof`. */
export const JOIN_PROOF_TYP = 'silo-join+jws';

/** How far a Join proof's `iat` (unix ms) may be from the coordinator's clock. */
export const JOIN_PROOF_WINDOW_MS = 60_000;

/** How long a Join challenge stays valid; it is accepted once. */
export const CHALLENGE_TTL_MS = 30_000;

/** Claims of a Join proof. */
export interface JoinProofClaims {
  kid: string;
  name: string;
  /** The challenge from `GetChallenge`. */
  challenge: string;
  iat: number;
}

/** The JWS `typ` of an instruction signed by the coordinator. */
export const INSTRUCTION_TYP = 'silo-instruction+jws';

/** What the coordinator signs in a train instruction: workers act on these fields only. */
export interface SignedTrainInstruction {
  v: 1;
  kind: 'train';
  /** The worker it is for. */
  keyId: string;
  runId: string;
  round: number;
  baseDigest: string;
  nonce: string;
  deadlineUnixMs: number;
  modelSpecJson: string;
  specDigest: string;
  numParams: number;
  hyperparameters: {
    epochs: number;
    batchSize: number;
    learningRate: number;
    seed: number;
    /** FedProx's μ: weight of the proximal term (μ/2)‖w − w_global‖² in the local loss. */
    proximalMu?: number;
    /** Fine-tuning: layers whose weights the worker must not change. */
    freeze?: string[];
  };
  /** How the worker must encode its update (`float16`, `int8`); absent for float32. */
  updateEncoding?: 'float16' | 'int8';
  /** Differential privacy the worker must apply to its update; null when the run uses none. */
  privacy: InstructionPrivacy | null;
  /** Secure aggregation the worker must take part in; absent when the run uses none. */
  secureAggregation?: InstructionSecureAggregation;
  issuedAt: number;
}

/**
 * A worker's part in the secure aggregation of a round (SecAgg+): it agrees keys with its
 * `neighbours`, shares its secrets among them with `threshold`, and uploads its update clipped to
 * ±`clipRange`, quantized to `quantizationBits` bits and masked. Its weight in the sum is
 * min(1, examples ÷ `weightScale`), or 1 when `weightScale` is 0.
 */
export interface InstructionSecureAggregation {
  neighbours: string[];
  threshold: number;
  clipRange: number;
  quantizationBits: number;
  weightScale: number;
  /** The round's sampled workers, in order: the cohort the neighbour graph was drawn over. */
  cohort: number;
}

/** What the coordinator signs in a secure-aggregation step for one worker. */
export type SignedSecAggStep = {
  v: 1;
  kind: 'secagg';
  keyId: string;
  runId: string;
  round: number;
  issuedAt: number;
} & (
  | {
      step: 'keys';
      /** The signed advertisements (SecAggClaims, step 'advertise') of the worker's neighbours. */
      adverts: { protected: string; payload: string; signature: string }[];
    }
  | {
      step: 'shares';
      /** Key shares encrypted to this worker by its neighbours. */
      shares: { from: string; to: string; ciphertext: string }[];
    }
  | {
      step: 'unmask';
      survivors: string[];
      dropped: string[];
    }
);

/** The context a round's secure-aggregation keys and masks are bound to (HKDF salt, AEAD data). */
export function secAggContext(runId: string, round: number): string {
  return `silo/${runId}/${round}`;
}

/** The JWS `typ` of a worker's secure-aggregation message. */
export const SECAGG_TYP = 'silo-secagg+jws';

/** What a worker signs at each step of secure aggregation. */
export type SecAggClaims = {
  runId: string;
  round: number;
  keyId: string;
  /** The round's nonce for this worker, from its train instruction. */
  nonce: string;
  issuedAt: number;
} & (
  | {
      step: 'advertise';
      /** The worker's Ed25519 public JWK, so neighbours can check this advert without the coordinator. */
      jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
      /** base64url raw X25519 public keys: for encrypting shares, and for pairwise masks. */
      cPk: string;
      sPk: string;
    }
  | { step: 'shares'; shares: { from: string; to: string; ciphertext: string }[] }
  | { step: 'reveal'; reveals: { of: string; kind: 'self' | 'mask'; share: string }[] }
);

/**
 * DP-FedAvg settings of a round, as a worker applies them: it clips its delta to `clipNorm`
 * (L2), and in `local` mode adds Gaussian noise of standard deviation
 * `noiseMultiplier × clipNorm / √shares` per coordinate before signing, so the noise of `shares`
 * workers sums to the full σ = zC. In `central` mode the coordinator adds the noise to the sum.
 */
export interface InstructionPrivacy {
  mode: 'central' | 'local';
  clipNorm: number;
  noiseMultiplier: number;
  delta: number;
  /** Local mode: among how many workers the noise is shared. */
  shares?: number;
}

/** What the coordinator signs in an evaluate instruction. */
export interface SignedEvaluateInstruction {
  v: 1;
  kind: 'evaluate';
  keyId: string;
  runId: string;
  /** The round whose resulting checkpoint is evaluated. */
  round: number;
  /** The checkpoint to evaluate. */
  baseDigest: string;
  nonce: string;
  deadlineUnixMs: number;
  modelSpecJson: string;
  specDigest: string;
  numParams: number;
  issuedAt: number;
}

/** The JWS `typ` of a worker's evaluation report. */
export const EVALUATION_TYP = 'silo-evaluation+jws';

/** What a worker signs when it reports how a checkpoint does on its held-out data. */
export interface EvaluationClaims {
  runId: string;
  round: number;
  /** The checkpoint evaluated. */
  checkpoint: string;
  nonce: string;
  keyId: string;
  /** Held-out examples evaluated on. */
  numExamples: number;
  loss: number;
  accuracy: number;
  issuedAt: number;
}

/** The JWS `typ` of a worker declining an instruction. */
export const DECLINE_TYP = 'silo-decline+jws';

/** What a worker signs when it declines an instruction. */
export interface DeclineClaims {
  runId: string;
  round: number;
  nonce: string;
  keyId: string;
  /** A Silo error code, e.g. ERR_POLICY. */
  code: string;
  reason: string;
  issuedAt: number;
}

/**
 * How far an update manifest's `issuedAt` (unix ms) may be from the coordinator's clock. A
 * worker signs its manifest when training ends and uploads at once; a manifest signed long
 * before, or in the future, is refused rather than trusted to say when it was made.
 */
export const UPDATE_MANIFEST_WINDOW_MS = 10 * 60_000;
