import type * as grpc from '@grpc/grpc-js';
import { SiloError, toSiloError } from '@silo/common';
import {
  UPDATE_MANIFEST_WINDOW_MS,
  malformedError,
  malformedReason,
  type IReceipt,
  type Receipt,
  type UpdatePart,
} from '@silo/protocol';
import { verifyManifest, type FlattenedJws, type UpdateManifest } from '@silo/signing';
import { encodedSize, layoutSize } from '@silo/tensors';
import type { FederationServiceOptions, UpdateEventSink } from './federation-service.js';
import { faultPoint } from './faults.js';
import { rejectionEntry, updateEntry } from './ledger-entries.js';
import type { AcceptedUpdate } from './state.js';
import { UpdateValidator } from './update-decoding.js';

/**
 * The upload side of the federation service: checks an update's signed manifest against the
 * round, streams its bytes to disk (checked on the way), accepts it into the round with its
 * ledger entry, and keeps every refusal on record.
 */
export class UpdateIntake {
  readonly #o: FederationServiceOptions;
  readonly #events: () => UpdateEventSink | undefined;

  constructor(options: FederationServiceOptions, events: () => UpdateEventSink | undefined) {
    this.#o = options;
    this.#events = events;
  }

  /** Receives one `SubmitUpdate` stream: its manifest, then its data, and answers with a receipt. */
  async submit(call: grpc.ServerReadableStream<UpdatePart, Receipt>): Promise<IReceipt> {
    const iterator = call[Symbol.asyncIterator]() as AsyncIterator<UpdatePart>;
    const first = await iterator.next();
    const malformed = first.done === true ? undefined : malformedReason(first.value);
    if (malformed !== undefined) throw malformedError('UpdatePart', malformed);
    if (first.done === true || first.value.manifest === null || first.value.manifest === undefined) {
      throw new SiloError('ERR_STREAM', 'an update stream must start with its signed manifest');
    }
    const jws = first.value.manifest as FlattenedJws;
    let manifest: UpdateManifest | undefined;
    try {
      manifest = await verifyManifest(jws, this.#o.enrollment.registry);
      return await this.#receiveUpdate(manifest, jws, iterator);
    } catch (err) {
      if (call.cancelled) {
        // The worker went away mid-upload (killed, or its connection dropped): nothing was
        // refused, nothing was stored, and it may send the same update again.
        this.#o.logger.info(
          { keyId: manifest?.keyId, round: manifest?.round },
          'upload abandoned by the worker',
        );
        throw err;
      }
      const error = toSiloError(err);
      // Redis failing under us refused nothing: the worker retries, and the ledger must not say
      // its update was turned down.
      if (error.code !== 'ERR_UNAVAILABLE') {
        await this.#recordRejection(error, manifest ?? unverifiedClaims(jws), jws);
      }
      throw err;
    }
  }

  /**
   * Keeps a refused update on record under the round that was collecting when it was refused.
   * For an unverifiable manifest the claimed run and key are recorded as claims, nothing more.
   */
  async #recordRejection(
    error: SiloError,
    claims: Partial<Pick<UpdateManifest, 'runId' | 'round' | 'keyId'>>,
    jws: FlattenedJws,
  ): Promise<void> {
    if (claims.runId === undefined) return;
    const run = await this.#o.state.getRun(claims.runId).catch(() => undefined);
    if (run === undefined) return;
    // The key id of an unverifiable manifest and the reason may quote whatever the sender put
    // in its header: keep what is stored short.
    const rejection = {
      keyId: (claims.keyId ?? '').slice(0, 128),
      code: error.code,
      reason: error.message.slice(0, 1024),
      at: Date.now(),
      claimedRound: claims.round ?? -1,
    };
    const entry = rejectionEntry(run.id, run.round, rejection, jws);
    await this.#o.state.recordRejection(run.id, run.round, rejection, entry).catch((err: unknown) => {
      this.#o.logger.error({ err, runId: run.id }, 'could not record a rejection');
    });
    this.#o.ledgerChanged();
    this.#o.logger.warn({ runId: run.id, round: run.round, ...rejection }, 'update rejected');
    this.#events()?.rejected({ runId: run.id, round: run.round, ...rejection });
  }

  async #receiveUpdate(
    manifest: UpdateManifest,
    jws: FlattenedJws,
    parts: AsyncIterator<UpdatePart>,
  ): Promise<IReceipt> {
    const { state } = this.#o;
    const run = await state.getRun(manifest.runId).catch((err: unknown) => {
      // Only a missing run is the worker's mistake; a Redis failure stays ERR_UNAVAILABLE, which
      // workers retry.
      if (toSiloError(err).code !== 'ERR_NOT_FOUND') throw err;
      throw new SiloError('ERR_WRONG_RUN', `run ${manifest.runId} does not exist`, { cause: err });
    });
    const earlier = await state.updateOf(manifest.runId, manifest.round, manifest.keyId);
    if (earlier !== undefined) return this.#duplicate(manifest, earlier);
    // After the duplicate check: a worker retrying an accepted upload still gets its receipt.
    if (Math.abs(Date.now() - manifest.issuedAt) > UPDATE_MANIFEST_WINDOW_MS) {
      throw new SiloError(
        'ERR_BAD_MANIFEST',
        `manifest issuedAt ${manifest.issuedAt} (unix ms) is more than ${UPDATE_MANIFEST_WINDOW_MS / 60_000} ` +
          `minutes from the coordinator's clock (${Date.now()}); check the worker's clock`,
      );
    }
    if (run.status !== 'running') throw new SiloError('ERR_WRONG_RUN', `run ${run.id} is ${run.status}`);
    const record = await state.roundHead(manifest.runId, manifest.round);
    if (manifest.round !== run.round || record?.status !== 'collecting') {
      throw new SiloError(
        'ERR_STALE_ROUND',
        `round ${manifest.round} is not collecting (run is at round ${run.round})`,
      );
    }
    const nonce = await state.nonceFor(run.id, manifest.round, manifest.keyId);
    if (nonce === undefined || nonce !== manifest.nonce) {
      throw new SiloError('ERR_BAD_NONCE', `no instruction with this nonce was issued to ${manifest.keyId}`);
    }
    if (manifest.baseDigest !== record.base) {
      throw new SiloError(
        'ERR_BASE_MISMATCH',
        `update starts from ${manifest.baseDigest}, round ${manifest.round} from ${record.base}`,
      );
    }
    // The coordinator's own limit first, so a declared size over it is always ERR_TOO_LARGE.
    if (manifest.updateBytes > this.#o.config.maxUpdateBytes) {
      throw new SiloError(
        'ERR_TOO_LARGE',
        `update of ${manifest.updateBytes} bytes exceeds maxUpdateBytes ${this.#o.config.maxUpdateBytes}`,
      );
    }
    const encoding = manifest.encoding ?? 'float32';
    const masked = run.config.secureAggregation !== undefined;
    const expected = masked ? 'masked' : run.config.updateEncoding;
    if (encoding !== expected) {
      throw new SiloError(
        'ERR_BAD_MANIFEST',
        `update is encoded as ${encoding}; run ${run.id} takes ${expected}`,
      );
    }
    if (masked) await this.#o.secagg.checkUpload(run.id, manifest.round, manifest.keyId);
    const size = encoding === 'masked' ? maskedSize(run.layout) : encodedSize(run.layout, encoding);
    if (manifest.updateBytes !== size) {
      throw new SiloError(
        'ERR_SHAPE_MISMATCH',
        `update has ${manifest.updateBytes} bytes, the model needs ${size} in ${encoding}`,
      );
    }
    // Streamed to disk as it arrives, checked on the way: memory stays at the chunks grpc-js
    // reads ahead per upload (up to 16 messages of chunkBytes), whatever the model's size.
    // Lowering that read-ahead to one message was tried: the coordinator's peak RSS at N = 100,
    // P = 10M did not fall (4.15x and 5.05x the model against 4.15x and 4.23x), so it stays.
    // Masked words are uniformly random by design: there is nothing to check in them.
    const validator = encoding === 'masked' ? undefined : new UpdateValidator(run.layout, encoding);
    const blob = await this.#o.blobs.openWriter(
      manifest.updateBytes,
      manifest.updateDigest,
      validator === undefined ? {} : { validate: (chunk) => validator.push(chunk) },
    );
    let received = 0;
    try {
      for (let part = await parts.next(); part.done !== true; part = await parts.next()) {
        const malformed = malformedReason(part.value);
        if (malformed !== undefined) throw malformedError('UpdatePart', malformed);
        if (part.value.data === null || part.value.data === undefined) {
          throw new SiloError('ERR_STREAM', 'only data chunks may follow the manifest');
        }
        await blob.write(part.value.data);
        received += part.value.data.byteLength;
        this.#events()?.bytes?.('in', part.value.data.byteLength);
      }
      await blob.commit();
    } catch (err) {
      // What arrived crossed the network whether or not it was kept. The upload's own error is
      // the one to report; a tally that could not be written as well is only logged.
      await state.addRoundBytes(run.id, manifest.round, 'in', received).catch((tallyErr: unknown) => {
        this.#o.logger.error({ err: tallyErr, runId: run.id }, 'could not count the bytes of an upload');
      });
      throw err;
    } finally {
      await blob.abort();
    }
    // Counted before the update is accepted, so the round cannot close without its bytes.
    await state.addRoundBytes(run.id, manifest.round, 'in', received);
    const update: AcceptedUpdate = {
      keyId: manifest.keyId,
      updateDigest: manifest.updateDigest,
      numExamples: manifest.numExamples,
      metrics: manifest.metrics,
      nonce: manifest.nonce,
      manifest: jws,
      acceptedAt: Date.now(),
      ...(manifest.encoding === undefined ? {} : { encoding: manifest.encoding }),
    };
    const outcome = await state.acceptUpdate(
      run.id,
      manifest.round,
      update,
      updateEntry(run.id, manifest.round, update),
    );
    this.#o.ledgerChanged();
    if (outcome.outcome === 'accepted') faultPoint('update-accepted', manifest.round);
    if (outcome.outcome === 'closed')
      throw new SiloError('ERR_STALE_ROUND', `round ${manifest.round} closed during upload`);
    if (outcome.outcome === 'duplicate') return this.#duplicate(manifest, outcome.first);
    this.#events()?.accepted({ ...outcome.update, runId: run.id, round: manifest.round });
    this.#o.logger.info(
      { runId: run.id, round: manifest.round, keyId: manifest.keyId, count: outcome.count },
      'update accepted',
    );
    await this.#o.engine.onAccepted(run.id, manifest.round, outcome.count);
    return receiptOf(manifest.round, run.id, outcome.update, false, outcome.count);
  }

  async #duplicate(manifest: UpdateManifest, earlier: AcceptedUpdate): Promise<IReceipt> {
    if (earlier.nonce !== manifest.nonce) {
      throw new SiloError('ERR_BAD_NONCE', `no instruction with this nonce was issued to ${manifest.keyId}`);
    }
    if (earlier.updateDigest !== manifest.updateDigest) {
      throw new SiloError(
        'ERR_REPLAYED_NONCE',
        `the nonce of round ${manifest.round} was already used by another update`,
      );
    }
    const count = await this.#o.state.countUpdates(manifest.runId, manifest.round);
    return receiptOf(manifest.round, manifest.runId, earlier, true, count);
  }
}

/** Bytes of a masked input: the model's values and the worker's weight, one uint32 word each. */
function maskedSize(layout: Parameters<typeof layoutSize>[0]): number {
  return (layoutSize(layout) + 1) * 4;
}

function receiptOf(
  round: number,
  runId: string,
  update: AcceptedUpdate,
  duplicate: boolean,
  count: number,
): IReceipt {
  return {
    runId,
    round,
    keyId: update.keyId,
    updateDigest: update.updateDigest,
    acceptedUnixMs: update.acceptedAt,
    duplicate,
    acceptedInRound: count,
    entryIndex: update.entryIndex ?? 0,
  };
}

/** Reads the claimed run, round and key of a manifest that failed verification; never trusted. */
function unverifiedClaims(jws: FlattenedJws): Partial<Pick<UpdateManifest, 'runId' | 'round' | 'keyId'>> {
  try {
    const payload = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const claims: Partial<Pick<UpdateManifest, 'runId' | 'round' | 'keyId'>> = {};
    if (typeof payload['runId'] === 'string') claims.runId = payload['runId'];
    if (typeof payload['round'] === 'number') claims.round = payload['round'];
    if (typeof header['kid'] === 'string') claims.keyId = header['kid'];
    return claims;
  } catch {
    return {};
  }
}
