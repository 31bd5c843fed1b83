import { SiloError } from '@silo/common';
import type { AggregateRecord, RevealedSecrets } from '@silo/ledger';
import { SECAGG_TYP, type SecAggClaims } from '@silo/protocol';
import { addInto, neighbourGraph, secureMean, unmaskSum, type Advertisement } from '@silo/secagg';
import { keyIdOf, verifySigned, type FlattenedJws, type PublicJwk } from '@silo/signing';
import { readBlobBytes } from './blobs.js';

/**
 * Redoes the unmasking of a securely aggregated round from its masked inputs and the secrets the
 * coordinator reconstructed: checks every advert was signed by the worker it names, sums the
 * survivors' masked inputs, removes the masks and forms the mean the strategy took (noised with
 * the logged noise in central DP). Returns that mean, for the caller to aggregate and compare.
 *
 * @throws SiloError naming what does not hold: a blob missing, an advert not its worker's, the
 *   survivors not the updates listed, or masks that do not come off.
 */
export async function replaySecureMean(
  blobsDir: string,
  record: AggregateRecord,
  length: number,
  noise: Float32Array | undefined,
): Promise<Float32Array> {
  const sa = record.secureAggregation;
  if (sa === undefined)
    throw new SiloError('ERR_INTERNAL', `round ${record.round} was not aggregated securely`);
  const revealed = JSON.parse(
    Buffer.from(await readBlobBytes(blobsDir, sa.revealed)).toString('utf8'),
  ) as RevealedSecrets;
  const listed = record.updates.map((u) => u.keyId).sort();
  const survivors = [...revealed.survivors].sort();
  if (
    JSON.stringify(listed) !== JSON.stringify(survivors) ||
    JSON.stringify([...sa.survivors].sort()) !== JSON.stringify(survivors)
  )
    throw new SiloError(
      'ERR_LEDGER_CORRUPT',
      `round ${record.round}: the survivors unmasked are not the updates the record lists`,
    );
  const adverts = new Map<string, Advertisement>();
  for (const jws of revealed.adverts) {
    const advert = await verifiedAdvert(jws, record);
    adverts.set(advert.keyId, advert);
  }
  const sum = new Uint32Array(length + 1);
  for (const update of record.updates) {
    const bytes = await readBlobBytes(blobsDir, update.updateDigest);
    if (bytes.byteLength !== sum.byteLength)
      throw new SiloError(
        'ERR_SHAPE_MISMATCH',
        `masked input ${update.updateDigest} has ${bytes.byteLength} bytes, not ${sum.byteLength}`,
      );
    const words = new Uint32Array(bytes.byteLength / 4);
    new Uint8Array(words.buffer).set(bytes);
    addInto(sum, words);
  }
  const secret = (m: Record<string, string>): Map<string, Uint8Array> =>
    new Map(Object.entries(m).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64url'))]));
  unmaskSum({
    sum,
    survivors: revealed.survivors,
    dropped: revealed.dropped,
    graph: neighbourGraph(revealed.cohort, revealed.neighbours, Buffer.from(revealed.graphSeed, 'hex')),
    adverts,
    secrets: { self: secret(revealed.self), mask: secret(revealed.mask) },
    context: revealed.context,
    threshold: revealed.params.threshold,
  });
  const denominator = record.privacy?.denominator ?? null;
  if (denominator !== revealed.denominator)
    throw new SiloError(
      'ERR_LEDGER_CORRUPT',
      `round ${record.round}: the mean's denominator differs from its privacy record`,
    );
  return secureMean(sum, revealed.survivors.length, revealed.params, denominator, noise).mean;
}

/** An advert, checked against the signing key it carries (whose thumbprint is its key id). */
async function verifiedAdvert(jws: FlattenedJws, record: AggregateRecord): Promise<Advertisement> {
  const claims = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as Partial<
    SecAggClaims & { step: 'advertise' }
  >;
  const x = claims.jwk?.x;
  if (typeof x !== 'string') throw new SiloError('ERR_BAD_SIGNATURE', 'an advert carries no signing key');
  const jwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x };
  const kid = await keyIdOf(jwk);
  const { keyId, payload } = await verifySigned(jws, SECAGG_TYP, (k) => (k === kid ? jwk : undefined));
  const signed = payload as SecAggClaims;
  if (
    signed.step !== 'advertise' ||
    signed.keyId !== keyId ||
    signed.runId !== record.runId ||
    signed.round !== record.round
  )
    throw new SiloError(
      'ERR_BAD_SIGNATURE',
      `the advert of ${keyId} is not for round ${record.round} of ${record.runId}`,
    );
  return { keyId, cPk: signed.cPk, sPk: signed.sPk };
}
