import type * as grpc from '@grpc/grpc-js';
import { SiloError } from '@silo/common';
import {
  fromServiceError,
  pb,
  writeWithBackpressure,
  type FederationClient,
  type IFetchModelRequest,
  type IUpdatePart,
  type ModelChunk,
  type Receipt,
} from '@silo/protocol';
import type { FlattenedJws } from '@silo/signing';
import { ChunkAssembler, chunkBytes, type Layout } from '@silo/tensors';

/**
 * Size of the data messages of an upload. The coordinator's gRPC server may read up to 16
 * messages of each upload ahead of its disk writes (the object-mode high-water mark of grpc-js)
 * while many workers upload at once, so the message size bounds what each upload holds there:
 * 1 MiB with 64 KiB messages, 16 MiB with 1 MiB ones.
 */
const UPLOAD_CHUNK_BYTES = 64 * 1024;

/** Global weights as received: canonical bytes checked against the header's digest. */
export interface FetchedModel {
  digest: string;
  layout: Layout;
  bytes: Uint8Array;
}

/** Downloads the global weights of a round, checking size limits and the digest at the end. */
export async function fetchModel(
  client: FederationClient,
  request: IFetchModelRequest,
  options: { deadline: number; maxBytes: number },
): Promise<FetchedModel> {
  const stream = client.fetchModel(request, { deadline: options.deadline });
  let header: { digest: string; layout: Layout } | undefined;
  let assembler: ChunkAssembler | undefined;
  try {
    for await (const message of stream as AsyncIterable<ModelChunk>) {
      if (message.header !== null && message.header !== undefined) {
        if (header !== undefined) throw new SiloError('ERR_STREAM', 'model stream sent two headers');
        const total = Number(message.header.totalBytes);
        if (total > options.maxBytes) {
          throw new SiloError(
            'ERR_TOO_LARGE',
            `global model of ${total} bytes exceeds maxModelBytes ${options.maxBytes}`,
          );
        }
        header = {
          digest: message.header.digest ?? '',
          layout: (message.header.layout ?? []).map((t) => ({
            name: t.name ?? '',
            shape: [...(t.shape ?? [])],
          })),
        };
        assembler = new ChunkAssembler({ expectedBytes: total, maxBytes: options.maxBytes });
      } else if (message.data !== null && message.data !== undefined) {
        if (assembler === undefined)
          throw new SiloError('ERR_STREAM', 'model stream sent data before its header');
        assembler.push(message.data);
      }
    }
  } catch (err) {
    stream.cancel();
    throw fromServiceError(err);
  }
  if (header === undefined || assembler === undefined)
    throw new SiloError('ERR_STREAM', 'model stream had no header');
  return { digest: header.digest, layout: header.layout, bytes: assembler.finish(header.digest) };
}

/** Uploads one update: the signed manifest, then the bytes in chunks with backpressure honoured. */
export async function uploadUpdate(
  client: FederationClient,
  manifest: FlattenedJws,
  bytes: Uint8Array,
  options: { deadline: number; chunkBytes?: number },
): Promise<Receipt> {
  const size = options.chunkBytes ?? UPLOAD_CHUNK_BYTES;
  let call: grpc.ClientWritableStream<IUpdatePart> | undefined;
  const receipt = new Promise<Receipt>((resolve, reject) => {
    call = client.submitUpdate({ deadline: options.deadline }, (err, value) => {
      if (err !== null) reject(fromServiceError(err));
      else if (value === undefined) reject(new SiloError('ERR_STREAM', 'coordinator sent no receipt'));
      else resolve(value);
    });
  });
  const stream = call;
  if (stream === undefined) throw new SiloError('ERR_INTERNAL', 'submitUpdate did not start');
  try {
    await writeWithBackpressure(stream, { manifest });
    for (const chunk of chunkBytes(bytes, size)) await writeWithBackpressure(stream, { data: chunk });
    stream.end();
  } catch {
    // The coordinator closed the stream early (a rejection): its answer says why.
  }
  return receipt;
}

/** Bytes a protobuf varint of `value` takes. */
function varintBytes(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n += 1;
  return n;
}

/**
 * What {@link uploadUpdate} sends for `bytes`, without encoding it: the number of data messages
 * and the protobuf payload bytes of all `UpdatePart` messages (manifest part included). A data
 * part is its field tag (1 byte), the length as a varint, and the chunk; it is counted rather
 * than encoded so a large update is not copied once more.
 */
export function updateWireSize(
  manifest: FlattenedJws,
  bytes: Uint8Array,
  chunkSize: number = UPLOAD_CHUNK_BYTES,
): { bytes: number; chunks: number } {
  let total = pb.UpdatePart.encode({ manifest }).finish().length;
  let chunks = 0;
  for (const chunk of chunkBytes(bytes, chunkSize)) {
    total += 1 + varintBytes(chunk.length) + chunk.length;
    chunks += 1;
  }
  return { bytes: total, chunks };
}
