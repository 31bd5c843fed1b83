import { SiloError } from '@silo/common';
import type { BlobStore } from './blob-store.js';
import type { Role } from './control-tokens.js';
import type { HttpApi } from './http-api.js';
import type { LedgerWriter } from './ledger-writer.js';

/** Who may read the ledger and its blobs. */
const LEDGER_READERS: readonly Role[] = ['admin', 'auditor'];

/** Most entries one `GET /v1/ledger/entries` returns. */
export const MAX_ENTRIES_PER_PAGE = 1000;

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

function integer(query: URLSearchParams, name: string, fallback?: number): number {
  const text = query.get(name);
  if (text === null) {
    if (fallback !== undefined) return fallback;
    throw new SiloError('ERR_BAD_INPUT', `query parameter '${name}' is required`);
  }
  if (!/^\d{1,15}$/.test(text))
    throw new SiloError('ERR_BAD_INPUT', `query parameter '${name}' must be a whole number`);
  return Number(text);
}

/**
 * The auditor's read API over the ledger this process writes: checkpoints, entries, proofs and
 * blobs. Entries travel as base64 of their exact bytes, so a mirror hashes what was logged.
 * Admins and auditors may call these routes.
 */
export function addLedgerRoutes(api: HttpApi, ledger: () => LedgerWriter, blobs: BlobStore): HttpApi {
  return api
    .route('GET', '/v1/ledger', LEDGER_READERS, () => {
      const writer = ledger();
      const latest = writer.store.checkpoints().at(-1);
      return Promise.resolve({
        json: {
          origin: writer.origin,
          verifierKey: writer.verifierKey,
          size: writer.store.size,
          checkpoint:
            latest === undefined ? null : { size: latest.size, root: b64(latest.root), note: latest.note },
        },
      });
    })
    .route('GET', '/v1/ledger/checkpoints', LEDGER_READERS, () =>
      Promise.resolve({
        json: {
          checkpoints: ledger()
            .store.checkpoints()
            .map((cp) => ({ size: cp.size, root: b64(cp.root), note: cp.note })),
        },
      }),
    )
    .route('GET', '/v1/ledger/entries', LEDGER_READERS, async ({ query }) => {
      const store = ledger().store;
      const start = integer(query, 'start', 0);
      const end = Math.min(integer(query, 'end', store.size), store.size, start + MAX_ENTRIES_PER_PAGE);
      if (start > store.size)
        throw new SiloError('ERR_BAD_INPUT', `start ${start} is past the ledger size ${store.size}`);
      const entries: string[] = [];
      for (let i = start; i < end; i++) entries.push(b64(await store.entry(i)));
      return { json: { start, size: store.size, entries } };
    })
    .route('GET', '/v1/ledger/proof/inclusion', LEDGER_READERS, ({ query }) => {
      const store = ledger().store;
      const index = integer(query, 'index');
      const size = integer(query, 'size', store.checkpoints().at(-1)?.size ?? store.size);
      checkRange(index < size && size <= store.size, `no entry ${index} in a tree of size ${size}`);
      return Promise.resolve({
        json: {
          index,
          size,
          leafHash: b64(store.leafHash(index)),
          proof: store.inclusionProof(index, size).map(b64),
        },
      });
    })
    .route('GET', '/v1/ledger/proof/consistency', LEDGER_READERS, ({ query }) => {
      const store = ledger().store;
      const from = integer(query, 'from');
      const to = integer(query, 'to', store.checkpoints().at(-1)?.size ?? store.size);
      checkRange(
        from <= to && to <= store.size,
        `no consistency proof from ${from} to ${to} (size ${store.size})`,
      );
      return Promise.resolve({ json: { from, to, proof: store.consistencyProof(from, to).map(b64) } });
    })
    .route('GET', '/v1/blobs/:digest', LEDGER_READERS, async ({ params }) => {
      const digest = params['digest'] ?? '';
      if (!(await blobs.has(digest))) throw new SiloError('ERR_NOT_FOUND', `no blob ${digest}`);
      return {
        bytes: await blobs.get(digest),
        headers: { 'content-type': 'application/octet-stream', 'x-silo-digest': digest },
      };
    });
}

function checkRange(ok: boolean, message: string): void {
  if (!ok) throw new SiloError('ERR_BAD_INPUT', message);
}
