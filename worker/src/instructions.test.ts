import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Instruction, SignedTrainInstruction } from '@silo/protocol';
import { InstructionVerifier } from './instructions.js';

const logger = pino({ level: 'silent' });

const CONTENT: SignedTrainInstruction = {
  v: 1,
  kind: 'train',
  keyId: 'worker-key',
  runId: 'r1',
  round: 1,
  baseDigest: 'b'.repeat(64),
  nonce: 'n0nce',
  deadlineUnixMs: 1_900_000_000_000,
  modelSpecJson: '"mlp"',
  specDigest: 'c'.repeat(64),
  numParams: 10,
  hyperparameters: { epochs: 1, batchSize: 10, learningRate: 0.05, seed: 3 },
  privacy: { mode: 'local', clipNorm: 1, noiseMultiplier: 1.1, delta: 1e-5, shares: 4 },
  issuedAt: 1,
};

/** An instruction whose payload is `content`, for a worker that pins no key (so none is checked). */
function instruction(content: unknown): Instruction {
  const payload = Buffer.from(JSON.stringify(content), 'utf8').toString('base64url');
  return { signature: { protected: 'e30', payload, signature: 'AA' } };
}

describe('InstructionVerifier without a pinned key', () => {
  const verifier = new InstructionVerifier('worker-key', undefined, logger);

  it('reads the privacy settings and FedProx μ from the payload', async () => {
    const content = { ...CONTENT, hyperparameters: { ...CONTENT.hyperparameters, proximalMu: 0.01 } };
    await expect(verifier.verify(instruction(content))).resolves.toEqual(content);
    await expect(verifier.verify(instruction({ ...CONTENT, privacy: null }))).resolves.toMatchObject({
      privacy: null,
    });
  });

  it.each([
    ['an unknown mode', { mode: 'none' }],
    ['no clip norm', { clipNorm: 0 }],
    ['no noise', { noiseMultiplier: 0 }],
    ['δ of 1', { delta: 1 }],
    ['local noise without shares', { shares: undefined }],
    ['fractional shares', { shares: 1.5 }],
    ['central mode with shares', { mode: 'central' }],
  ])('refuses privacy settings with %s', async (_, change) => {
    const content = { ...CONTENT, privacy: { ...CONTENT.privacy, ...change } };
    await expect(verifier.verify(instruction(content))).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
  });

  it('refuses a negative proximal μ and an instruction for another worker', async () => {
    const mu = { ...CONTENT, hyperparameters: { ...CONTENT.hyperparameters, proximalMu: -1 } };
    await expect(verifier.verify(instruction(mu))).rejects.toMatchObject({ code: 'ERR_BAD_INPUT' });
    await expect(verifier.verify(instruction({ ...CONTENT, keyId: 'other' }))).rejects.toThrow(
      /addressed to other/,
    );
  });
});
