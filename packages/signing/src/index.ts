export { type PublicJwk, type PrivateJwk, parsePublicJwk, parsePrivateJwk, keyIdOf } from './jwk.js';
export {
  type FlattenedJws,
  type VerifiedJws,
  type KeyResolver,
  SIGNING_ALGORITHM,
  ACCEPTED_ALGORITHMS,
  verifySigned,
} from './jws.js';
export { type KeyPair, type SigningKey, generateKeyPair, signingKeyFromJwk } from './keys.js';
export { writeKeyPair, loadSigningKey, loadPublicJwk, publicKeyPathFor } from './key-files.js';
export {
  type EnrolledWorker,
  type EnrollmentRequest,
  type KeyRegistryOptions,
  KeyRegistry,
  enrollmentFor,
} from './registry.js';
export {
  type UpdateManifest,
  type ManifestKeySource,
  UPDATE_MANIFEST_TYP,
  signManifest,
  verifyManifest,
  parseUpdateManifest,
} from './manifest.js';
