/** base64url (no padding) raw 32-byte X25519 public keys of one worker for one session. */
export interface Advertisement {
  keyId: string;
  /** The encryption key c: neighbours derive the key their shares are sealed with from it. */
  cPk: string;
  /** The masking key s: neighbours derive the pairwise mask seed from it. */
  sPk: string;
}

/** One neighbour's shares, encrypted from `from` to `to` (base64url of iv(12) ‖ ciphertext ‖ tag(16)). */
export interface EncryptedShare {
  from: string;
  to: string;
  ciphertext: string;
}

/** What the coordinator asks at unmasking: who submitted a masked input, and who shared keys but did not. */
export interface RevealRequest {
  survivors: readonly string[];
  dropped: readonly string[];
}

/** One share revealed by a worker: of peer `of`'s self-mask seed ('self') or mask private key ('mask'); base64url share bytes. */
export interface Reveal {
  of: string;
  kind: 'self' | 'mask';
  share: string;
}
