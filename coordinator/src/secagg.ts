import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SiloError, type Logger } from '@silo/common';
import {
  INSTRUCTION_TYP,
  SECAGG_TYP,
  secAggContext,
  type IInstruction,
  type InstructionSecureAggregation,
  type SecAggClaims,
  type SignedSecAggStep,
} from '@silo/protocol';
import {
  addInto,
  checkParams,
  defaultNeighbours,
  defaultThreshold,
  neighbourGraph,
  reconstructSecrets,
  unmaskSum,
  type Advertisement,
  type EncryptedShare,
  type Reveal,
  type SecAggParams,
} from '@silo/secagg';
import type { RevealedSecrets } from '@silo/ledger';
import { keyIdOf, verifySigned, type FlattenedJws, type PublicJwk, type SigningKey } from '@silo/signing';
import type { BlobStore } from './blob-store.js';
import type { RunConfig } from './config.js';
import type { AcceptedUpdate, RunRecord, StateStore } from './state.js';

/**
 * Where a round's secure aggregation is: workers advertise keys, then share them, then upload
 * masked inputs (the round's `collecting`), then reveal shares for unmasking; or it was aborted.
 */
export type SecAggPhase = 'advertise' | 'share' | 'collect' | 'unmask' | 'aborted';

/** A round's secure aggregation as fixed when the round opened. */
export interface SecAggSession {
  /** The round's sampled workers, sorted: the graph is drawn over them. */
  cohort: string[];
  neighbours: number;
  threshold: number;
  /** Hex seed of the neighbour graph's permutation. */
  graphSeed: string;
  clipRange: number;
  quantizationBits: number;
  /** A worker's weight is min(1, examples ÷ weightScale); 0 for equal weights (with DP). */
  weightScale: number;
  stepTimeoutMs: number;
}

/** What unmasking a round gave: the sum of the survivors' inputs, and who it came from. */
export interface SecureSum {
  /** The unmasked sum of the quantized inputs (and weights); {@link secureMean} makes it a mean. */
  sum: Uint32Array;
  params: SecAggParams;
  /** The fixed DP denominator of the mean, or null to divide by the unmasked weight. */
  denominator: number | null;
  survivors: string[];
  dropped: string[];
  /** Digest of the blob auditors replay the unmasking from (adverts, revealed secrets). */
  revealed: string;
  threshold: number;
  neighbours: number;
  cohort: number;
}

/** Options for {@link SecureAggregation}. */
export interface SecureAggregationOptions {
  redis: Redis;
  prefix: string;
  state: StateStore;
  blobs: BlobStore;
  key: SigningKey;
  logger: Logger;
  activeKey(keyId: string): PublicJwk | undefined;
  /** Tells workers a step waits for them. */
  notify(keyIds: readonly string[], runId: string, round: number): Promise<void>;
  /** Runs {@link SecureAggregation.stepDue} for (run, round) after `delayMs`, under `tag`. */
  schedule(runId: string, round: number, delayMs: number, tag: string): Promise<void>;
  /** Asks for the round's aggregate step to run (again) now. */
  aggregate(runId: string, round: number, tag: string): Promise<void>;
  /** Ends the run as failed with `error` (a round that cannot be unmasked). */
  fail(runId: string, round: number, error: string): Promise<void>;
}

/**
 * The coordinator's half of SecAgg+: it routes keys and encrypted shares between workers, never
 * holds an unmasked update, and learns only the sum of at least `threshold` of them. Every step
 * is stored in Redis and safe to repeat, like the rest of the round engine.
 */
export class SecureAggregation {
  readonly #o: SecureAggregationOptions;

  constructor(options: SecureAggregationOptions) {
    this.#o = options;
  }

  #key(runId: string, round: number): string {
    return `${this.#o.prefix}:secagg:${runId}:${round}`;
  }

  /**
   * Fixes the session of a round as it opens: neighbours, threshold and the graph's seed, checked
   * against the round's size. Idempotent.
   *
   * @throws SiloError `ERR_BAD_CONFIG` when the round's size does not allow the parameters.
   */
  async open(
    run: RunRecord,
    round: number,
    sampled: readonly string[],
    weightScale: number,
  ): Promise<SecAggSession> {
    const sa = run.config.secureAggregation;
    if (sa === undefined) throw new SiloError('ERR_INTERNAL', `run ${run.id} has no secure aggregation`);
    const n = sampled.length;
    const neighbours = Math.min(sa.neighbours ?? defaultNeighbours(n), n - 1);
    const threshold = sa.threshold ?? defaultThreshold(neighbours);
    const params = { threshold, clipRange: sa.clipRange, quantizationBits: sa.quantizationBits };
    checkParams(params, n, neighbours);
    const session: SecAggSession = {
      cohort: [...sampled].sort(),
      neighbours,
      threshold,
      graphSeed: randomBytes(32).toString('hex'),
      clipRange: sa.clipRange,
      quantizationBits: sa.quantizationBits,
      weightScale: run.config.privacy === undefined ? weightScale : 0,
      stepTimeoutMs: sa.stepTimeoutMs,
    };
    const key = this.#key(run.id, round);
    const fresh = await this.#o.redis.hsetnx(key, 'session', JSON.stringify(session));
    if (fresh === 1) {
      await this.#o.redis.hset(key, 'phase', 'advertise');
      await this.#o.schedule(run.id, round, sa.stepTimeoutMs, 'advertise');
      return session;
    }
    return this.session(run.id, round);
  }

  async session(runId: string, round: number): Promise<SecAggSession> {
    const text = await this.#o.redis.hget(this.#key(runId, round), 'session');
    if (text === null)
      throw new SiloError('ERR_NOT_FOUND', `round ${round} of run ${runId} has no secure aggregation`);
    return JSON.parse(text) as SecAggSession;
  }

  async phase(runId: string, round: number): Promise<SecAggPhase | undefined> {
    return ((await this.#o.redis.hget(this.#key(runId, round), 'phase')) ?? undefined) as
      SecAggPhase | undefined;
  }

  async #list(runId: string, round: number, field: string): Promise<string[]> {
    const text = await this.#o.redis.hget(this.#key(runId, round), field);
    return text === null ? [] : (JSON.parse(text) as string[]);
  }

  #graph(session: SecAggSession): Map<string, string[]> {
    return neighbourGraph(session.cohort, session.neighbours, Buffer.from(session.graphSeed, 'hex'));
  }

  /** What a worker's train instruction says of the round's secure aggregation. */
  async instructionFields(
    runId: string,
    round: number,
    keyId: string,
  ): Promise<InstructionSecureAggregation> {
    const session = await this.session(runId, round);
    return {
      neighbours: this.#graph(session).get(keyId) ?? [],
      threshold: session.threshold,
      clipRange: session.clipRange,
      quantizationBits: session.quantizationBits,
      weightScale: session.weightScale,
      cohort: session.cohort.length,
    };
  }

  /**
   * The step waiting for `keyId` in the round's current phase, signed, or `undefined`: its
   * neighbours' adverts, the shares encrypted to it, or the unmasking request.
   */
  async stepInstruction(runId: string, round: number, keyId: string): Promise<IInstruction | undefined> {
    const phase = await this.phase(runId, round);
    const key = this.#key(runId, round);
    const common = { v: 1 as const, kind: 'secagg' as const, keyId, runId, round, issuedAt: Date.now() };
    let signed: SignedSecAggStep;
    if (phase === 'share') {
      if (!(await this.#list(runId, round, 'advertised')).includes(keyId)) return undefined;
      const session = await this.session(runId, round);
      const peers = this.#graph(session).get(keyId) ?? [];
      const adverts = await this.#o.redis.hmget(key, ...peers.map((p) => `advert:${p}`));
      signed = {
        ...common,
        step: 'keys',
        adverts: adverts.flatMap((a) => (a === null ? [] : [JSON.parse(a) as FlattenedJws])),
      };
    } else if (phase === 'collect') {
      if (!(await this.#list(runId, round, 'shared')).includes(keyId)) return undefined;
      const session = await this.session(runId, round);
      const peers = this.#graph(session).get(keyId) ?? [];
      const sent = await this.#o.redis.hmget(key, ...peers.map((p) => `shares:${p}`));
      signed = {
        ...common,
        step: 'shares',
        shares: sent.flatMap((s) =>
          s === null ? [] : (JSON.parse(s) as EncryptedShare[]).filter((share) => share.to === keyId),
        ),
      };
    } else if (phase === 'unmask') {
      const survivors = await this.#list(runId, round, 'survivors');
      if (!survivors.includes(keyId)) return undefined;
      signed = { ...common, step: 'unmask', survivors, dropped: await this.#list(runId, round, 'dropped') };
    } else {
      return undefined;
    }
    return {
      secagg: { runId, round, keyId, step: signed.step },
      signature: await this.#o.key.sign(INSTRUCTION_TYP, signed),
    };
  }

  /**
   * Refuses a masked input from a worker that did not share keys, or once collection is over.
   *
   * @throws SiloError `ERR_STALE_ROUND` outside collection; `ERR_FORBIDDEN` for a worker outside it.
   */
  async checkUpload(runId: string, round: number, keyId: string): Promise<void> {
    const phase = await this.phase(runId, round);
    if (phase !== 'collect')
      throw new SiloError(
        'ERR_STALE_ROUND',
        `secure aggregation of round ${round} is at its ${phase ?? 'unknown'} step, not collecting masked inputs`,
      );
    if (!(await this.#list(runId, round, 'shared')).includes(keyId))
      throw new SiloError(
        'ERR_FORBIDDEN',
        `${keyId} shared no keys in round ${round}, so its input cannot be unmasked`,
      );
  }

  /**
   * A worker's signed step: checked (signature, nonce, phase, membership), stored once, and the
   * phase moved on when everyone expected has answered.
   *
   * @throws SiloError `ERR_STALE_ROUND` when the phase has moved on; `ERR_CONFLICT` for a second,
   *   different message of the same step; `ERR_BAD_INPUT` for a malformed one.
   */
  async accept(
    jws: FlattenedJws | null | undefined,
    checkPeer: (keyId: string) => void,
  ): Promise<SecAggClaims> {
    if (jws === null || jws === undefined)
      throw new SiloError('ERR_BAD_INPUT', 'secure aggregation message carries no signed claims');
    const { keyId, payload } = await verifySigned(jws, SECAGG_TYP, (kid) => this.#o.activeKey(kid));
    checkPeer(keyId);
    const claims = parseClaims(payload, keyId);
    const { runId, round } = claims;
    const nonce = await this.#o.state.nonceFor(runId, round, keyId);
    if (nonce === undefined || nonce !== claims.nonce)
      throw new SiloError('ERR_BAD_NONCE', `no instruction with this nonce was issued to ${keyId}`);
    const phase = await this.phase(runId, round);
    const session = await this.session(runId, round);
    const graph = this.#graph(session);
    const peers = new Set(graph.get(keyId) ?? []);
    const want = { advertise: 'advertise', shares: 'share', reveal: 'unmask' }[claims.step];
    if (phase !== want)
      throw new SiloError(
        'ERR_STALE_ROUND',
        `secure aggregation of round ${round} is at its ${phase ?? 'unknown'} step, not ${want}`,
      );
    let field: string;
    let value: string;
    let expected: string[];
    if (claims.step === 'advertise') {
      expected = session.cohort;
      const enrolled = this.#o.activeKey(keyId);
      if ((await keyIdOf(claims.jwk)) !== keyId || enrolled?.x !== claims.jwk.x)
        throw new SiloError(
          'ERR_BAD_SIGNATURE',
          'the advertised signing key is not the worker’s enrolled key',
        );
      field = `advert:${keyId}`;
      value = JSON.stringify(jws);
    } else if (claims.step === 'shares') {
      expected = await this.#list(runId, round, 'advertised');
      const advertised = new Set(expected);
      for (const share of claims.shares)
        if (share.from !== keyId || !peers.has(share.to) || !advertised.has(share.to))
          throw new SiloError(
            'ERR_BAD_INPUT',
            `a share from ${share.from} to ${share.to} is not between neighbours`,
          );
      field = `shares:${keyId}`;
      value = JSON.stringify(claims.shares);
    } else {
      expected = await this.#list(runId, round, 'survivors');
      const survivors = new Set(expected);
      const dropped = new Set(await this.#list(runId, round, 'dropped'));
      for (const reveal of claims.reveals) {
        const kind = survivors.has(reveal.of) ? 'self' : dropped.has(reveal.of) ? 'mask' : undefined;
        if (!peers.has(reveal.of) || reveal.kind !== kind)
          throw new SiloError('ERR_BAD_INPUT', `a ${reveal.kind} share of ${reveal.of} was not asked for`);
      }
      field = `reveal:${keyId}`;
      value = JSON.stringify(claims.reveals);
    }
    if (!expected.includes(keyId))
      throw new SiloError('ERR_FORBIDDEN', `${keyId} has no part in this step of round ${round}`);
    const key = this.#key(runId, round);
    if ((await this.#o.redis.hsetnx(key, field, value)) === 0) {
      if ((await this.#o.redis.hget(key, field)) !== value)
        throw new SiloError('ERR_CONFLICT', `${keyId} already sent a different ${claims.step} message`);
      return claims;
    }
    const prefix = field.slice(0, field.indexOf(':') + 1);
    const answered = (await this.#o.redis.hkeys(key)).filter((f) => f.startsWith(prefix)).length;
    if (answered >= expected.length) await this.stepDue(runId, round, phase);
    return claims;
  }

  /**
   * Moves the round's secure aggregation on from `from` (its deadline, or everyone answered):
   * to key sharing, to collecting masked inputs, or (after unmasking) to the aggregate step.
   * Aborts the round when too few workers are left to reach the threshold.
   */
  async stepDue(runId: string, round: number, from: SecAggPhase | undefined): Promise<void> {
    const key = this.#key(runId, round);
    const phase = await this.phase(runId, round);
    if (from !== undefined && phase !== from) return;
    const session = await this.session(runId, round);
    const fields = new Set(await this.#o.redis.hkeys(key));
    if (phase === 'advertise' || phase === 'share') {
      const [prefix, list, next] =
        phase === 'advertise'
          ? (['advert:', 'advertised', 'share'] as const)
          : (['shares:', 'shared', 'collect'] as const);
      const previous = phase === 'advertise' ? session.cohort : await this.#list(runId, round, 'advertised');
      const answered = previous.filter((k) => fields.has(`${prefix}${k}`));
      if (answered.length < session.threshold) {
        await this.#abort(
          runId,
          round,
          `secure aggregation of round ${round}: only ${answered.length} workers ${phase === 'advertise' ? 'advertised keys' : 'shared keys'}, the threshold is ${session.threshold}`,
        );
        return;
      }
      if (!(await this.#move(key, phase, next, { [list]: JSON.stringify(answered) }))) return;
      if (next === 'share') await this.#o.schedule(runId, round, session.stepTimeoutMs, 'share');
      await this.#o.notify(answered, runId, round);
      this.#o.logger.info({ runId, round, step: next, workers: answered.length }, 'secure aggregation step');
    } else if (phase === 'unmask') {
      await this.#o.aggregate(runId, round, 'unmasked');
    }
  }

  /**
   * Called by the aggregate step: the first time, closes collection and asks the survivors to
   * reveal shares ('waiting'); once they have, or at the unmasking deadline, unmasks the sum.
   */
  async sum(
    run: RunRecord,
    round: number,
    accepted: readonly AcceptedUpdate[],
    length: number,
  ): Promise<SecureSum | 'waiting'> {
    const { id: runId } = run;
    const key = this.#key(runId, round);
    const session = await this.session(runId, round);
    const phase = await this.phase(runId, round);
    if (phase === 'collect') {
      const shared = await this.#list(runId, round, 'shared');
      const survivors = accepted
        .map((u) => u.keyId)
        .filter((k) => shared.includes(k))
        .sort();
      const dropped = shared.filter((k) => !survivors.includes(k));
      if (survivors.length < session.threshold) {
        await this.#abort(
          runId,
          round,
          `secure aggregation of round ${round}: ${survivors.length} masked inputs, the threshold is ${session.threshold}`,
        );
        return 'waiting';
      }
      if (
        await this.#move(key, 'collect', 'unmask', {
          survivors: JSON.stringify(survivors),
          dropped: JSON.stringify(dropped),
        })
      ) {
        await this.#o.schedule(runId, round, session.stepTimeoutMs, 'unmask');
        await this.#o.notify(survivors, runId, round);
        this.#o.logger.info(
          { runId, round, survivors: survivors.length, dropped: dropped.length },
          'secure aggregation: unmasking',
        );
      }
      return 'waiting';
    }
    if (phase !== 'unmask')
      throw new SiloError('ERR_INTERNAL', `secure aggregation of round ${round} is ${phase ?? 'missing'}`);
    return this.#unmask(run, round, session, accepted, length);
  }

  async #unmask(
    run: RunRecord,
    round: number,
    session: SecAggSession,
    accepted: readonly AcceptedUpdate[],
    length: number,
  ): Promise<SecureSum> {
    const runId = run.id;
    const key = this.#key(runId, round);
    const all = await this.#o.redis.hgetall(key);
    const survivors = JSON.parse(all['survivors'] ?? '[]') as string[];
    const dropped = JSON.parse(all['dropped'] ?? '[]') as string[];
    const reveals: Reveal[] = Object.entries(all)
      .filter(([field]) => field.startsWith('reveal:'))
      .flatMap(([, value]) => JSON.parse(value) as Reveal[]);
    const shared = JSON.parse(all['shared'] ?? '[]') as string[];
    const adverts = new Map<string, Advertisement>();
    const signedAdverts: FlattenedJws[] = [];
    for (const keyId of shared) {
      const text = all[`advert:${keyId}`];
      if (text === undefined) continue;
      const jws = JSON.parse(text) as FlattenedJws;
      signedAdverts.push(jws);
      const claims = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as SecAggClaims & {
        step: 'advertise';
      };
      adverts.set(keyId, { keyId, cPk: claims.cPk, sPk: claims.sPk });
    }
    const params: SecAggParams = {
      threshold: session.threshold,
      clipRange: session.clipRange,
      quantizationBits: session.quantizationBits,
    };
    const context = secAggContext(runId, round);
    let secrets: Awaited<ReturnType<typeof reconstructSecrets>>;
    try {
      secrets = await reconstructSecrets(reveals, session.threshold);
    } catch (err) {
      const error = `secure aggregation of round ${round} cannot be unmasked: ${(err as Error).message}`;
      await this.#abort(runId, round, error);
      throw new SiloError('ERR_POLICY', error, { cause: err });
    }
    // The masked inputs are summed one at a time: memory is the sum, whatever the round's size.
    const sum = new Uint32Array(length + 1);
    const byKey = new Map(accepted.map((u) => [u.keyId, u]));
    for (const keyId of survivors) {
      const update = byKey.get(keyId);
      if (update === undefined) throw new SiloError('ERR_INTERNAL', `masked input of ${keyId} is missing`);
      const bytes = await this.#o.blobs.get(update.updateDigest);
      addInto(sum, new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    }
    unmaskSum({
      sum,
      survivors,
      dropped,
      graph: this.#graph(session),
      adverts,
      secrets,
      context,
      threshold: session.threshold,
    });
    const denominator =
      run.config.privacy === undefined
        ? null
        : ((await this.#o.state.getRound(runId, round))?.privacy?.denominator ?? survivors.length);
    const b64 = (m: ReadonlyMap<string, Uint8Array>): Record<string, string> =>
      Object.fromEntries([...m].map(([k, v]) => [k, Buffer.from(v).toString('base64url')]));
    const record: RevealedSecrets = {
      v: 1,
      context,
      params,
      neighbours: session.neighbours,
      graphSeed: session.graphSeed,
      cohort: session.cohort,
      survivors,
      dropped,
      adverts: signedAdverts,
      self: b64(secrets.self),
      mask: b64(secrets.mask),
      denominator,
    };
    const revealed = await this.#o.blobs.put(Buffer.from(JSON.stringify(record), 'utf8'));
    return {
      sum,
      params,
      denominator,
      survivors,
      dropped,
      revealed,
      threshold: session.threshold,
      neighbours: session.neighbours,
      cohort: session.cohort.length,
    };
  }

  /** Compare-and-set of the phase, with the fields the new phase needs. */
  async #move(
    key: string,
    from: SecAggPhase,
    to: SecAggPhase,
    fields: Record<string, string>,
  ): Promise<boolean> {
    const moved = await this.#o.redis.eval(
      "if redis.call('HGET', KEYS[1], 'phase') ~= ARGV[1] then return 0 end " +
        "redis.call('HSET', KEYS[1], 'phase', ARGV[2]) " +
        "for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end return 1",
      1,
      key,
      from,
      to,
      ...Object.entries(fields).flat(),
    );
    return Number(moved) === 1;
  }

  async #abort(runId: string, round: number, error: string): Promise<void> {
    await this.#o.redis.hset(this.#key(runId, round), 'phase', 'aborted');
    this.#o.logger.error({ runId, round }, error);
    await this.#o.fail(runId, round, error);
  }
}

/** Validates a worker's secure-aggregation claims field by field. */
function parseClaims(value: unknown, keyId: string): SecAggClaims {
  const v = value as Partial<Record<string, unknown>> | null;
  const str = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 4096;
  const common =
    v !== null &&
    typeof v === 'object' &&
    str(v['runId']) &&
    Number.isInteger(v['round']) &&
    v['keyId'] === keyId &&
    str(v['nonce']) &&
    Number.isFinite(v['issuedAt']);
  const list = (x: unknown, item: (e: Record<string, unknown>) => boolean): boolean =>
    Array.isArray(x) &&
    x.length <= 256 &&
    x.every((e) => typeof e === 'object' && e !== null && item(e as Record<string, unknown>));
  let ok = false;
  if (common && v['step'] === 'advertise') {
    const jwk = v['jwk'] as Record<string, unknown> | null;
    ok =
      str(v['cPk']) &&
      str(v['sPk']) &&
      typeof jwk === 'object' &&
      jwk !== null &&
      jwk['kty'] === 'OKP' &&
      jwk['crv'] === 'Ed25519' &&
      str(jwk['x']);
  } else if (common && v['step'] === 'shares') {
    ok = list(v['shares'], (e) => str(e['from']) && str(e['to']) && str(e['ciphertext']));
  } else if (common && v['step'] === 'reveal') {
    ok = list(
      v['reveals'],
      (e) => str(e['of']) && (e['kind'] === 'self' || e['kind'] === 'mask') && str(e['share']),
    );
  }
  if (!ok) throw new SiloError('ERR_BAD_INPUT', 'secure aggregation message is malformed');
  return v as unknown as SecAggClaims;
}

/** True when the run aggregates securely. */
export function secure(config: RunConfig): boolean {
  return config.secureAggregation !== undefined;
}
