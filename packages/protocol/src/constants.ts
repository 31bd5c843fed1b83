/** The JWS `typ` of a worker's proof of key possession, sent in `JoinRequest.proof`. */
export const JOIN_PROOF_TYP = 'silo-join+jws';

/** How far a Join proof's `iat` (unix ms) may be from the coordinator's clock. */
export const JOIN_PROOF_WINDOW_MS = 5 * 60_000;

/** Claims of a Join proof. */
export interface JoinProofClaims {
  kid: string;
  name: string;
  iat: number;
}
