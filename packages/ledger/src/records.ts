import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SiloError } from '@silo/common';

// On-disk framing shared by the entry log and the checkpoint file:
//
//   uint32 BE payload length ‖ payload ‖ SHA-256(length ‖ payload)
//
// The checksum covers the length too, so a garbled length prefix is caught rather than
// silently re-framing the rest of the file. Appends only ever add whole records at the end, so
// anything from the first bad record to end of file is what a crash mid-append left behind.

const LENGTH_BYTES = 4;
const CHECKSUM_BYTES = 32;
/** Where a record's payload starts, relative to the record. */
export const PAYLOAD_OFFSET = LENGTH_BYTES;
/** Bytes a record adds around its payload. */
export const RECORD_OVERHEAD = LENGTH_BYTES + CHECKSUM_BYTES;

function checksum(frame: Uint8Array): Buffer {
  return createHash('sha256').update(frame).digest();
}

/** Frames `payload` as one record. */
export function encodeRecord(payload: Uint8Array): Buffer {
  const record = Buffer.alloc(RECORD_OVERHEAD + payload.length);
  record.writeUInt32BE(payload.length, 0);
  record.set(payload, LENGTH_BYTES);
  checksum(record.subarray(0, LENGTH_BYTES + payload.length)).copy(record, LENGTH_BYTES + payload.length);
  return record;
}

/** One intact record found by {@link scanRecords}. */
export interface ScannedRecord {
  /** Offset of the payload in the file. */
  readonly payloadOffset: number;
  /** A view of the payload inside the scanned buffer. */
  readonly payload: Uint8Array;
}

/** What follows the last intact record, when something does. */
export interface DamagedTail {
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
}

/** The intact records of a file and, if any, the damaged tail after them. */
export interface RecordScan {
  readonly records: readonly ScannedRecord[];
  /** Length of the intact prefix. */
  readonly validBytes: number;
  readonly tail?: DamagedTail;
}

/**
 * Splits `data` into records, stopping at the first one that is incomplete or fails its checksum.
 * No length limit applies here: the data is already in memory, and a limit lower than the one
 * used when writing would read good records as damage and cut them.
 */
export function scanRecords(data: Uint8Array): RecordScan {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const records: ScannedRecord[] = [];
  let offset = 0;
  const stop = (reason: string): RecordScan => ({
    records,
    validBytes: offset,
    tail: { offset, bytes: view.length - offset, reason },
  });
  while (offset < view.length) {
    if (view.length - offset < LENGTH_BYTES) return stop('partial length prefix');
    const length = view.readUInt32BE(offset);
    const end = offset + RECORD_OVERHEAD + length;
    if (end > view.length) return stop('record runs past end of file');
    const framed = view.subarray(offset, offset + LENGTH_BYTES + length);
    if (!checksum(framed).equals(view.subarray(end - CHECKSUM_BYTES, end)))
      return stop('record checksum mismatch');
    records.push({ payloadOffset: offset + LENGTH_BYTES, payload: framed.subarray(LENGTH_BYTES) });
    offset = end;
  }
  return { records, validBytes: offset };
}

/** Reads a whole record file; a missing file reads as empty. */
export async function readRecordFile(path: string): Promise<{ data: Buffer; exists: boolean }> {
  try {
    return { data: await readFile(path), exists: true };
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { data: Buffer.alloc(0), exists: false };
    throw new SiloError('ERR_INTERNAL', `cannot read ${path}`, { cause: err });
  }
}
