import * as $protobuf from "protobufjs";
import Long = require("long");
export namespace silo {

    namespace v1 {

        class Federation extends $protobuf.rpc.Service {
            constructor(rpcImpl: $protobuf.RPCImpl, requestDelimited?: boolean, responseDelimited?: boolean);
            public static create(rpcImpl: $protobuf.RPCImpl, requestDelimited?: boolean, responseDelimited?: boolean): Federation;
            public getChallenge(request: silo.v1.IChallengeRequest, callback: silo.v1.Federation.GetChallengeCallback): void;
            public getChallenge(request: silo.v1.IChallengeRequest): Promise<silo.v1.Challenge>;
            public join(request: silo.v1.IJoinRequest, callback: silo.v1.Federation.JoinCallback): void;
            public join(request: silo.v1.IJoinRequest): Promise<silo.v1.Instruction>;
            public fetchModel(request: silo.v1.IFetchModelRequest, callback: silo.v1.Federation.FetchModelCallback): void;
            public fetchModel(request: silo.v1.IFetchModelRequest): Promise<silo.v1.ModelChunk>;
            public submitUpdate(request: silo.v1.IUpdatePart, callback: silo.v1.Federation.SubmitUpdateCallback): void;
            public submitUpdate(request: silo.v1.IUpdatePart): Promise<silo.v1.Receipt>;
            public reportEvaluation(request: silo.v1.IEvaluationReport, callback: silo.v1.Federation.ReportEvaluationCallback): void;
            public reportEvaluation(request: silo.v1.IEvaluationReport): Promise<silo.v1.Ack>;
            public getReceipt(request: silo.v1.IReceiptRequest, callback: silo.v1.Federation.GetReceiptCallback): void;
            public getReceipt(request: silo.v1.IReceiptRequest): Promise<silo.v1.LedgerReceipt>;
            public decline(request: silo.v1.IDeclineRequest, callback: silo.v1.Federation.DeclineCallback): void;
            public decline(request: silo.v1.IDeclineRequest): Promise<silo.v1.Ack>;
            public submitSecAgg(request: silo.v1.ISecAggMessage, callback: silo.v1.Federation.SubmitSecAggCallback): void;
            public submitSecAgg(request: silo.v1.ISecAggMessage): Promise<silo.v1.Ack>;
        }

        namespace Federation {

            type GetChallengeCallback = (error: (Error|null), response?: silo.v1.Challenge) => void;

            type JoinCallback = (error: (Error|null), response?: silo.v1.Instruction) => void;

            type FetchModelCallback = (error: (Error|null), response?: silo.v1.ModelChunk) => void;

            type SubmitUpdateCallback = (error: (Error|null), response?: silo.v1.Receipt) => void;

            type ReportEvaluationCallback = (error: (Error|null), response?: silo.v1.Ack) => void;

            type GetReceiptCallback = (error: (Error|null), response?: silo.v1.LedgerReceipt) => void;

            type DeclineCallback = (error: (Error|null), response?: silo.v1.Ack) => void;

            type SubmitSecAggCallback = (error: (Error|null), response?: silo.v1.Ack) => void;
        }

        interface IChallengeRequest {
            keyId?: (string|null);
        }

        class ChallengeRequest implements IChallengeRequest {
            constructor(p?: silo.v1.IChallengeRequest);
            public keyId: string;
            public static create(properties?: silo.v1.IChallengeRequest): silo.v1.ChallengeRequest;
            public static encode(m: silo.v1.IChallengeRequest, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.ChallengeRequest;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IChallenge {
            challenge?: (string|null);
            expiresUnixMs?: (number|null);
        }

        class Challenge implements IChallenge {
            constructor(p?: silo.v1.IChallenge);
            public challenge: string;
            public expiresUnixMs: number;
            public static create(properties?: silo.v1.IChallenge): silo.v1.Challenge;
            public static encode(m: silo.v1.IChallenge, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.Challenge;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IDeclineRequest {
            decline?: (silo.v1.IFlattenedJws|null);
        }

        class DeclineRequest implements IDeclineRequest {
            constructor(p?: silo.v1.IDeclineRequest);
            public decline?: (silo.v1.IFlattenedJws|null);
            public static create(properties?: silo.v1.IDeclineRequest): silo.v1.DeclineRequest;
            public static encode(m: silo.v1.IDeclineRequest, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.DeclineRequest;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IFlattenedJws {
            "protected"?: (string|null);
            payload?: (string|null);
            signature?: (string|null);
        }

        class FlattenedJws implements IFlattenedJws {
            constructor(p?: silo.v1.IFlattenedJws);
            public protected: string;
            public payload: string;
            public signature: string;
            public static create(properties?: silo.v1.IFlattenedJws): silo.v1.FlattenedJws;
            public static encode(m: silo.v1.IFlattenedJws, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.FlattenedJws;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IJoinRequest {
            keyId?: (string|null);
            proof?: (silo.v1.IFlattenedJws|null);
            name?: (string|null);
            backend?: (string|null);
            numExamples?: (number|null);
        }

        class JoinRequest implements IJoinRequest {
            constructor(p?: silo.v1.IJoinRequest);
            public keyId: string;
            public proof?: (silo.v1.IFlattenedJws|null);
            public name: string;
            public backend: string;
            public numExamples: number;
            public static create(properties?: silo.v1.IJoinRequest): silo.v1.JoinRequest;
            public static encode(m: silo.v1.IJoinRequest, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.JoinRequest;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IInstruction {
            train?: (silo.v1.ITrainInstruction|null);
            evaluate?: (silo.v1.IEvaluateInstruction|null);
            ping?: (silo.v1.IPing|null);
            secagg?: (silo.v1.ISecAggStep|null);
            signature?: (silo.v1.IFlattenedJws|null);
        }

        class Instruction implements IInstruction {
            constructor(p?: silo.v1.IInstruction);
            public train?: (silo.v1.ITrainInstruction|null);
            public evaluate?: (silo.v1.IEvaluateInstruction|null);
            public ping?: (silo.v1.IPing|null);
            public secagg?: (silo.v1.ISecAggStep|null);
            public signature?: (silo.v1.IFlattenedJws|null);
            public kind?: ("train"|"evaluate"|"ping"|"secagg");
            public static create(properties?: silo.v1.IInstruction): silo.v1.Instruction;
            public static encode(m: silo.v1.IInstruction, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.Instruction;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IHyperparameters {
            epochs?: (number|null);
            batchSize?: (number|null);
            learningRate?: (number|null);
            seed?: (number|null);
        }

        class Hyperparameters implements IHyperparameters {
            constructor(p?: silo.v1.IHyperparameters);
            public epochs: number;
            public batchSize: number;
            public learningRate: number;
            public seed: number;
            public static create(properties?: silo.v1.IHyperparameters): silo.v1.Hyperparameters;
            public static encode(m: silo.v1.IHyperparameters, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.Hyperparameters;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface ITrainInstruction {
            runId?: (string|null);
            round?: (number|null);
            baseDigest?: (string|null);
            nonce?: (string|null);
            deadlineUnixMs?: (number|null);
            modelSpecJson?: (string|null);
            hyperparameters?: (silo.v1.IHyperparameters|null);
            specDigest?: (string|null);
            numParams?: (number|null);
            keyId?: (string|null);
        }

        class TrainInstruction implements ITrainInstruction {
            constructor(p?: silo.v1.ITrainInstruction);
            public runId: string;
            public round: number;
            public baseDigest: string;
            public nonce: string;
            public deadlineUnixMs: number;
            public modelSpecJson: string;
            public hyperparameters?: (silo.v1.IHyperparameters|null);
            public specDigest: string;
            public numParams: number;
            public keyId: string;
            public static create(properties?: silo.v1.ITrainInstruction): silo.v1.TrainInstruction;
            public static encode(m: silo.v1.ITrainInstruction, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.TrainInstruction;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IEvaluateInstruction {
            runId?: (string|null);
            round?: (number|null);
            baseDigest?: (string|null);
            nonce?: (string|null);
            deadlineUnixMs?: (number|null);
            modelSpecJson?: (string|null);
            specDigest?: (string|null);
            numParams?: (number|null);
            keyId?: (string|null);
        }

        class EvaluateInstruction implements IEvaluateInstruction {
            constructor(p?: silo.v1.IEvaluateInstruction);
            public runId: string;
            public round: number;
            public baseDigest: string;
            public nonce: string;
            public deadlineUnixMs: number;
            public modelSpecJson: string;
            public specDigest: string;
            public numParams: number;
            public keyId: string;
            public static create(properties?: silo.v1.IEvaluateInstruction): silo.v1.EvaluateInstruction;
            public static encode(m: silo.v1.IEvaluateInstruction, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.EvaluateInstruction;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface ISecAggStep {
            runId?: (string|null);
            round?: (number|null);
            keyId?: (string|null);
            step?: (string|null);
        }

        class SecAggStep implements ISecAggStep {
            constructor(p?: silo.v1.ISecAggStep);
            public runId: string;
            public round: number;
            public keyId: string;
            public step: string;
            public static create(properties?: silo.v1.ISecAggStep): silo.v1.SecAggStep;
            public static encode(m: silo.v1.ISecAggStep, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.SecAggStep;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface ISecAggMessage {
            message?: (silo.v1.IFlattenedJws|null);
        }

        class SecAggMessage implements ISecAggMessage {
            constructor(p?: silo.v1.ISecAggMessage);
            public message?: (silo.v1.IFlattenedJws|null);
            public static create(properties?: silo.v1.ISecAggMessage): silo.v1.SecAggMessage;
            public static encode(m: silo.v1.ISecAggMessage, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.SecAggMessage;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IPing {
            unixMs?: (number|null);
        }

        class Ping implements IPing {
            constructor(p?: silo.v1.IPing);
            public unixMs: number;
            public static create(properties?: silo.v1.IPing): silo.v1.Ping;
            public static encode(m: silo.v1.IPing, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.Ping;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IFetchModelRequest {
            runId?: (string|null);
            round?: (number|null);
            keyId?: (string|null);
            chunkBytes?: (number|null);
            evaluation?: (boolean|null);
        }

        class FetchModelRequest implements IFetchModelRequest {
            constructor(p?: silo.v1.IFetchModelRequest);
            public runId: string;
            public round: number;
            public keyId: string;
            public chunkBytes: number;
            public evaluation: boolean;
            public static create(properties?: silo.v1.IFetchModelRequest): silo.v1.FetchModelRequest;
            public static encode(m: silo.v1.IFetchModelRequest, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.FetchModelRequest;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface ITensorSpec {
            name?: (string|null);
            shape?: (number[]|null);
        }

        class TensorSpec implements ITensorSpec {
            constructor(p?: silo.v1.ITensorSpec);
            public name: string;
            public shape: number[];
            public static create(properties?: silo.v1.ITensorSpec): silo.v1.TensorSpec;
            public static encode(m: silo.v1.ITensorSpec, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.TensorSpec;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IModelHeader {
            digest?: (string|null);
            totalBytes?: (number|null);
            layout?: (silo.v1.ITensorSpec[]|null);
            chunkBytes?: (number|null);
        }

        class ModelHeader implements IModelHeader {
            constructor(p?: silo.v1.IModelHeader);
            public digest: string;
            public totalBytes: number;
            public layout: silo.v1.ITensorSpec[];
            public chunkBytes: number;
            public static create(properties?: silo.v1.IModelHeader): silo.v1.ModelHeader;
            public static encode(m: silo.v1.IModelHeader, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.ModelHeader;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IModelChunk {
            header?: (silo.v1.IModelHeader|null);
            data?: (Uint8Array|null);
        }

        class ModelChunk implements IModelChunk {
            constructor(p?: silo.v1.IModelChunk);
            public header?: (silo.v1.IModelHeader|null);
            public data?: (Uint8Array|null);
            public part?: ("header"|"data");
            public static create(properties?: silo.v1.IModelChunk): silo.v1.ModelChunk;
            public static encode(m: silo.v1.IModelChunk, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.ModelChunk;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IUpdatePart {
            manifest?: (silo.v1.IFlattenedJws|null);
            data?: (Uint8Array|null);
        }

        class UpdatePart implements IUpdatePart {
            constructor(p?: silo.v1.IUpdatePart);
            public manifest?: (silo.v1.IFlattenedJws|null);
            public data?: (Uint8Array|null);
            public part?: ("manifest"|"data");
            public static create(properties?: silo.v1.IUpdatePart): silo.v1.UpdatePart;
            public static encode(m: silo.v1.IUpdatePart, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.UpdatePart;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IReceipt {
            runId?: (string|null);
            round?: (number|null);
            keyId?: (string|null);
            updateDigest?: (string|null);
            acceptedUnixMs?: (number|null);
            duplicate?: (boolean|null);
            acceptedInRound?: (number|null);
            entryIndex?: (number|null);
        }

        class Receipt implements IReceipt {
            constructor(p?: silo.v1.IReceipt);
            public runId: string;
            public round: number;
            public keyId: string;
            public updateDigest: string;
            public acceptedUnixMs: number;
            public duplicate: boolean;
            public acceptedInRound: number;
            public entryIndex: number;
            public static create(properties?: silo.v1.IReceipt): silo.v1.Receipt;
            public static encode(m: silo.v1.IReceipt, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.Receipt;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IReceiptRequest {
            entryIndex?: (number|null);
            updateDigest?: (string|null);
        }

        class ReceiptRequest implements IReceiptRequest {
            constructor(p?: silo.v1.IReceiptRequest);
            public entryIndex: number;
            public updateDigest: string;
            public static create(properties?: silo.v1.IReceiptRequest): silo.v1.ReceiptRequest;
            public static encode(m: silo.v1.IReceiptRequest, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.ReceiptRequest;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface ILedgerReceipt {
            entryIndex?: (number|null);
            entry?: (Uint8Array|null);
            checkpoint?: (string|null);
            treeSize?: (number|null);
            proof?: (Uint8Array[]|null);
        }

        class LedgerReceipt implements ILedgerReceipt {
            constructor(p?: silo.v1.ILedgerReceipt);
            public entryIndex: number;
            public entry: Uint8Array;
            public checkpoint: string;
            public treeSize: number;
            public proof: Uint8Array[];
            public static create(properties?: silo.v1.ILedgerReceipt): silo.v1.LedgerReceipt;
            public static encode(m: silo.v1.ILedgerReceipt, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.LedgerReceipt;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IEvaluationReport {
            report?: (silo.v1.IFlattenedJws|null);
        }

        class EvaluationReport implements IEvaluationReport {
            constructor(p?: silo.v1.IEvaluationReport);
            public report?: (silo.v1.IFlattenedJws|null);
            public static create(properties?: silo.v1.IEvaluationReport): silo.v1.EvaluationReport;
            public static encode(m: silo.v1.IEvaluationReport, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.EvaluationReport;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        interface IAck {
        }

        class Ack implements IAck {
            constructor(p?: silo.v1.IAck);
            public static create(properties?: silo.v1.IAck): silo.v1.Ack;
            public static encode(m: silo.v1.IAck, w?: $protobuf.Writer): $protobuf.Writer;
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): silo.v1.Ack;
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }
    }
}
