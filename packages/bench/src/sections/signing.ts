import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { SiloError } from '@silo/common';
import {
  KeyRegistry,
  enrollmentFor,
  generateKeyPair,
  signManifest,
  signingKeyFromJwk,
  verifyManifest,
  type FlattenedJws,
  type UpdateManifest,
} from '@silo/signing';
import type { Figure, Section } from '../section.js';

const FULL_OPS = 2000;
const QUICK_OPS = 200;

type ManifestFields = Omit<UpdateManifest, 'v' | 'keyId'>;

/** Per-operation figures of `ops` operations that took `ms`; `ratioTo` names the raw Ed25519 case. */
function perOp(ops: number, ms: number, ratioTo?: string): Figure[] {
  return [
    {
      name: 'time-per-op',
      unit: 'us',
      value: (ms * 1000) / ops,
      better: 'lower',
      ...(ratioTo === undefined ? {} : { ratioTo }),
    },
    { name: 'throughput', unit: 'ops/s', value: ops / (ms / 1000) },
  ];
}

function manifestFields(i: number): ManifestFields {
  const hex = (): string => randomBytes(32).toString('hex');
  return {
    runId: 'bench-run',
    round: 1 + (i % 100),
    baseDigest: hex(),
    updateDigest: hex(),
    updateBytes: 407_080,
    numExamples: 600,
    metrics: { loss: 0.31, accuracy: 0.91 },
    nonce: randomBytes(16).toString('base64url'),
    issuedAt: Date.now(),
  };
}

/** The JWS signing input (`protected.payload`) of `jws`, as Ed25519 signs it. */
const signingInput = (jws: FlattenedJws): Buffer => Buffer.from(`${jws.protected}.${jws.payload}`, 'ascii');

/**
 * What a worker pays to sign an update manifest and the coordinator to verify one, through
 * `@silo/signing` (jose, field validation, key lookup), next to bare node:crypto Ed25519 on
 * the same bytes: the ratio is the price of the wrapper.
 */
export const signingSection: Section = {
  name: 'signing',
  description: 'update manifest sign / verify (jose via @silo/signing) against bare Ed25519',
  async define(ctx) {
    const ops = ctx.quick ? QUICK_OPS : FULL_OPS;
    ctx.fact('ops-per-rep', ops);
    const pair = await generateKeyPair();
    const key = await signingKeyFromJwk(pair.privateJwk);
    const registry = new KeyRegistry();
    registry.enroll(await enrollmentFor(pair.publicJwk, 'bench-worker'));
    const privateKey: KeyObject = createPrivateKey({ key: { ...pair.privateJwk }, format: 'jwk' });
    const publicKey: KeyObject = createPublicKey(privateKey);

    // Signed once; every repetition verifies the same distinct manifests.
    const signed = await Promise.all(
      Array.from({ length: ops }, (_, i) => signManifest(key, manifestFields(i))),
    );
    const inputs = signed.map(signingInput);
    const rawSignatures = inputs.map((input) => sign(null, input, privateKey));
    ctx.fact('manifest-jws-bytes', JSON.stringify(signed[0]).length);

    ctx.case('ed25519-sign', () => {
      const start = performance.now();
      for (const input of inputs) sign(null, input, privateKey);
      return Promise.resolve(perOp(ops, performance.now() - start));
    });

    ctx.case('ed25519-verify', () => {
      const start = performance.now();
      for (const [i, input] of inputs.entries()) {
        if (!verify(null, input, publicKey, rawSignatures[i] as Buffer)) {
          throw new SiloError('ERR_INTERNAL', 'a bench signature did not verify');
        }
      }
      return Promise.resolve(perOp(ops, performance.now() - start));
    });

    ctx.case('sign-manifest', async () => {
      const fields = Array.from({ length: ops }, (_, i) => manifestFields(i)); // distinct, built untimed
      const start = performance.now();
      for (const f of fields) await signManifest(key, f);
      return perOp(ops, performance.now() - start, 'signing/ed25519-sign/time-per-op');
    });

    ctx.case('verify-manifest', async () => {
      const start = performance.now();
      for (const jws of signed) await verifyManifest(jws, registry);
      return perOp(ops, performance.now() - start, 'signing/ed25519-verify/time-per-op');
    });
  },
};
