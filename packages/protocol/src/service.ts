import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import { SiloError } from '@silo/common';
import { toServiceError } from './errors.js';
import { silo } from './gen/silo.js';

// 64-bit fields here (byte counts, unix ms) stay below 2^53: decode them as plain numbers, matching
// the generated types (pbjs --force-number), instead of Long objects.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

/** Generated message classes of `silo.v1`. */
export const pb = silo.v1;

/** Message types of `silo.v1`, for annotations. */
export type JoinRequest = silo.v1.JoinRequest;
export type Instruction = silo.v1.Instruction;
export type TrainInstruction = silo.v1.TrainInstruction;
export type EvaluateInstruction = silo.v1.EvaluateInstruction;
export type FetchModelRequest = silo.v1.FetchModelRequest;
export type ModelChunk = silo.v1.ModelChunk;
export type ModelHeader = silo.v1.ModelHeader;
export type UpdatePart = silo.v1.UpdatePart;
export type Receipt = silo.v1.Receipt;
export type EvaluationReport = silo.v1.EvaluationReport;
export type Ack = silo.v1.Ack;
export type ReceiptRequest = silo.v1.ReceiptRequest;
export type ChallengeRequest = silo.v1.ChallengeRequest;
export type Challenge = silo.v1.Challenge;
export type IChallenge = silo.v1.IChallenge;
export type IChallengeRequest = silo.v1.IChallengeRequest;
export type DeclineRequest = silo.v1.DeclineRequest;
export type IDeclineRequest = silo.v1.IDeclineRequest;
export type SecAggMessage = silo.v1.SecAggMessage;
export type ISecAggMessage = silo.v1.ISecAggMessage;
export type SecAggStep = silo.v1.SecAggStep;
export type LedgerReceipt = silo.v1.LedgerReceipt;
export type IReceiptRequest = silo.v1.IReceiptRequest;
export type ILedgerReceipt = silo.v1.ILedgerReceipt;
export type IInstruction = silo.v1.IInstruction;
export type IModelChunk = silo.v1.IModelChunk;
export type IUpdatePart = silo.v1.IUpdatePart;
export type IReceipt = silo.v1.IReceipt;
export type IJoinRequest = silo.v1.IJoinRequest;
export type IFetchModelRequest = silo.v1.IFetchModelRequest;
export type IEvaluationReport = silo.v1.IEvaluationReport;

interface MessageClass<I, M> {
  encode(message: I): { finish(): Uint8Array };
  decode(bytes: Uint8Array): M;
}

function serializerOf<I, M>(type: MessageClass<I, M>): (message: I) => Buffer {
  return (message) => {
    const bytes = type.encode(message).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/**
 * The coordinator's serializer of model chunks: a data chunk is encoded into one scratch buffer
 * reused by every chunk of every download, a header through protobufjs.
 *
 * Why not protobufjs for data too: its encoder allocates a buffer per message, which grpc-js
 * copies at once into a framed buffer of its own (`serializeMessage` on the server side) and
 * drops. A hundred workers downloading a 40 MB model leave 4 GB of such buffers to the collector,
 * which V8 lets pile up by tens of MiB between collections. The scratch buffer can be reused
 * because that copy happens before `write` returns; a worker checks a download's digest, so a
 * grpc-js that stopped copying would fail downloads rather than corrupt a model.
 *
 * Encoding: field 2 (`data`), wire type 2, a varint length and the bytes, as protobufjs writes it.
 */
export function modelChunkSerializer(): (message: IModelChunk) => Buffer {
  const fallback = serializerOf(pb.ModelChunk);
  let scratch = Buffer.alloc(0);
  return (message) => {
    const { data } = message;
    if (data === null || data === undefined || (message.header !== null && message.header !== undefined))
      return fallback(message);
    // The tag, at most five bytes of varint length (chunks are under 2^35 bytes), the bytes.
    if (scratch.byteLength < 6 + data.byteLength) scratch = Buffer.allocUnsafe(6 + data.byteLength);
    scratch[0] = DATA_FIELD_TAG;
    let at = 1;
    let rest = data.byteLength;
    for (; rest >= 128; rest = Math.floor(rest / 128)) scratch[at++] = (rest % 128) | 0x80;
    scratch[at++] = rest;
    scratch.set(data, at);
    return scratch.subarray(0, at + data.byteLength);
  };
}

/** Tag of a ModelChunk's `data`: field 2, length-delimited. */
const DATA_FIELD_TAG = (2 << 3) | 2;

function deserializerOf<I, M>(type: MessageClass<I, M>): (bytes: Buffer) => M {
  return (bytes) => type.decode(bytes);
}

/** Where a request that did not decode keeps the reason; see {@link malformedReason}. */
const MALFORMED = Symbol('silo.malformed');

/**
 * The server side of decoding. grpc-js answers a throwing deserializer itself, with a bare
 * INTERNAL status that carries no Silo code and that no handler sees; so bytes that do not
 * decode yield an empty message marked with the reason instead, which the handler refuses
 * (see {@link refuseMalformed} and {@link malformedReason}).
 */
function requestDeserializerOf<I, M>(type: MessageClass<I, M>): (bytes: Buffer) => M {
  const empty = new Uint8Array(0);
  return (bytes) => {
    try {
      // A plain view, not the Buffer: protobufjs reads strings from a Buffer without checking
      // their length against the message, so a truncated string would pass as a shorter one.
      return type.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      const message = type.decode(empty);
      Object.defineProperty(message, MALFORMED, {
        value: err instanceof Error ? err.message : String(err),
        enumerable: false,
      });
      return message;
    }
  };
}

/**
 * Why a received request's bytes did not decode as its message type, or `undefined` for a
 * well-formed message. Handlers of client-streaming methods check every message with it.
 */
export function malformedReason(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const reason = (message as { [MALFORMED]?: unknown })[MALFORMED];
  return typeof reason === 'string' ? reason : undefined;
}

/** The error a request that did not decode is refused with. */
export function malformedError(what: string, reason: string): SiloError {
  return new SiloError('ERR_BAD_INPUT', `${what} is not a valid protobuf message: ${reason}`);
}

function method<Req extends ReqI, ReqI, Res extends ResI, ResI>(
  name: string,
  request: MessageClass<ReqI, Req>,
  response: MessageClass<ResI, Res>,
  requestStream: boolean,
  responseStream: boolean,
): grpc.MethodDefinition<Req, ResI> {
  return {
    path: `/silo.v1.Federation/${name}`,
    requestStream,
    responseStream,
    requestSerialize: serializerOf(request),
    requestDeserialize: requestDeserializerOf(request),
    responseSerialize: serializerOf(response),
    responseDeserialize: deserializerOf(response),
    originalName: name,
  };
}

/** The `silo.v1.Federation` service for grpc-js, built from the generated message classes. */
export const federationService = {
  join: method('Join', pb.JoinRequest, pb.Instruction, false, true),
  fetchModel: {
    ...method('FetchModel', pb.FetchModelRequest, pb.ModelChunk, false, true),
    responseSerialize: modelChunkSerializer(),
  },
  submitUpdate: method('SubmitUpdate', pb.UpdatePart, pb.Receipt, true, false),
  reportEvaluation: method('ReportEvaluation', pb.EvaluationReport, pb.Ack, false, false),
  getReceipt: method('GetReceipt', pb.ReceiptRequest, pb.LedgerReceipt, false, false),
  getChallenge: method('GetChallenge', pb.ChallengeRequest, pb.Challenge, false, false),
  decline: method('Decline', pb.DeclineRequest, pb.Ack, false, false),
  submitSecAgg: method('SubmitSecAgg', pb.SecAggMessage, pb.Ack, false, false),
} as const;

/** Handlers a coordinator implements. */
export interface FederationHandlers extends grpc.UntypedServiceImplementation {
  join: grpc.handleServerStreamingCall<JoinRequest, IInstruction>;
  fetchModel: grpc.handleServerStreamingCall<FetchModelRequest, IModelChunk>;
  submitUpdate: grpc.handleClientStreamingCall<UpdatePart, IReceipt>;
  reportEvaluation: grpc.handleUnaryCall<EvaluationReport, silo.v1.IAck>;
  getReceipt: grpc.handleUnaryCall<ReceiptRequest, ILedgerReceipt>;
  getChallenge: grpc.handleUnaryCall<ChallengeRequest, IChallenge>;
  decline: grpc.handleUnaryCall<DeclineRequest, silo.v1.IAck>;
  submitSecAgg: grpc.handleUnaryCall<SecAggMessage, silo.v1.IAck>;
}

type UntypedUnary = grpc.handleUnaryCall<unknown, unknown>;
type UntypedServerStreaming = grpc.handleServerStreamingCall<unknown, unknown>;

/**
 * Wraps the handlers of methods that take one request so that a request whose bytes did not
 * decode is refused with `ERR_BAD_INPUT` before the handler runs. Client-streaming handlers
 * receive many messages and check each with {@link malformedReason}.
 */
export function refuseMalformed<H extends FederationHandlers>(handlers: H): H {
  const guarded: grpc.UntypedServiceImplementation = { ...handlers };
  for (const [name, definition] of Object.entries(federationService)) {
    const handler = handlers[name];
    if (definition.requestStream || handler === undefined) continue;
    const what = `${definition.originalName ?? name} request`;
    if (definition.responseStream) {
      const inner = handler as unknown as UntypedServerStreaming;
      const outer: UntypedServerStreaming = (call) => {
        const reason = malformedReason(call.request);
        if (reason === undefined) inner(call);
        else call.emit('error', toServiceError(malformedError(what, reason)));
      };
      guarded[name] = outer;
    } else {
      const inner = handler as unknown as UntypedUnary;
      const outer: UntypedUnary = (call, callback) => {
        const reason = malformedReason(call.request);
        if (reason === undefined) inner(call, callback);
        else callback(toServiceError(malformedError(what, reason)));
      };
      guarded[name] = outer;
    }
  }
  return guarded as H;
}

/** A typed client of the Federation service. */
export interface FederationClient extends grpc.Client {
  join(request: IJoinRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<Instruction>;
  fetchModel(request: IFetchModelRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<ModelChunk>;
  submitUpdate(
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, receipt?: Receipt) => void,
  ): grpc.ClientWritableStream<IUpdatePart>;
  reportEvaluation(
    request: IEvaluationReport,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, ack?: Ack) => void,
  ): grpc.ClientUnaryCall;
  getReceipt(
    request: IReceiptRequest,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, receipt?: LedgerReceipt) => void,
  ): grpc.ClientUnaryCall;
  getChallenge(
    request: IChallengeRequest,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, challenge?: Challenge) => void,
  ): grpc.ClientUnaryCall;
  decline(
    request: IDeclineRequest,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, ack?: Ack) => void,
  ): grpc.ClientUnaryCall;
  submitSecAgg(
    request: ISecAggMessage,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, ack?: Ack) => void,
  ): grpc.ClientUnaryCall;
}

const FederationClientConstructor = grpc.makeGenericClientConstructor(
  federationService,
  'silo.v1.Federation',
);

/** Creates a Federation client. */
export function createFederationClient(
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
): FederationClient {
  return new FederationClientConstructor(address, credentials, options) as unknown as FederationClient;
}
