export { type TensorSpec, type Layout, layoutSize } from './layout.js';
export { toCanonicalBytes, fromCanonicalBytes, assertFinite } from './canonical.js';
export { sha256Hex, digestWeights } from './digest.js';
export { DEFAULT_CHUNK_BYTES, chunkBytes, ChunkAssembler, type ChunkAssemblerOptions } from './chunking.js';
export { subtract, add, l2Norm } from './arithmetic.js';
export {
  UPDATE_ENCODINGS,
  type UpdateEncoding,
  BlockDecoder,
  decodeUpdate,
  encodeUpdate,
  encodedSize,
  headerBytes,
} from './encoding.js';
