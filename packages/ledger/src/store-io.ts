import { open, writeFile, type FileHandle } from 'node:fs/promises';
import type { DamagedTail, RecordScan } from './records.js';

// File plumbing of the store: whole writes, tail repair, directory fsync.

/** Reported when opening a ledger cuts off a damaged tail (what a crash mid-append leaves). */
export interface TruncationEvent extends DamagedTail {
  /** The file that was cut. */
  readonly file: string;
  /** Intact records kept before the cut. */
  readonly keptRecords: number;
  /** Where the cut bytes were saved for inspection. */
  readonly savedTo: string;
}

/** Writes all of `data` at the end of a file opened for append. */
export async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  // The files are opened for append, so each write lands at the current end.
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done);
    done += bytesWritten;
  }
}

/** Saves a damaged tail beside the file, cuts it off and reports it; never keeps it silently. */
export async function cutTail(
  file: FileHandle,
  path: string,
  data: Buffer,
  scan: RecordScan,
  onTruncate: ((event: TruncationEvent) => void) | undefined,
): Promise<void> {
  if (scan.tail === undefined) return;
  const savedTo = `${path}.torn-${scan.tail.offset}-${Date.now()}`;
  await writeFile(savedTo, data.subarray(scan.tail.offset));
  await file.truncate(scan.validBytes);
  await file.sync();
  onTruncate?.({ ...scan.tail, file: path, keptRecords: scan.records.length, savedTo });
}

export async function syncDir(dir: string): Promise<void> {
  // A new file's directory entry is only durable once the directory itself is fsynced.
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
