export {
  pb,
  federationService,
  createFederationClient,
  type FederationClient,
  type FederationHandlers,
  type JoinRequest,
  type Instruction,
  type TrainInstruction,
  type FetchModelRequest,
  type ModelChunk,
  type ModelHeader,
  type UpdatePart,
  type Receipt,
  type EvaluationReport,
  type Ack,
  type IInstruction,
  type IModelChunk,
  type IUpdatePart,
  type IReceipt,
  type IJoinRequest,
  type IFetchModelRequest,
  type IEvaluationReport,
} from './service.js';
export { toServiceError, fromServiceError, ERROR_CODE_METADATA_KEY } from './errors.js';
export { writeWithBackpressure } from './streams.js';
export { JOIN_PROOF_TYP, JOIN_PROOF_WINDOW_MS, type JoinProofClaims } from './constants.js';
