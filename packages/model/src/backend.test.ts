import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { currentBackend, initBackend } from './backend.js';

describe('initBackend', () => {
  it('falls back to wasm when tfjs-node is not installed, and computes correctly', async () => {
    expect(await initBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const product = tf.tidy(() =>
      tf
        .matMul(
          tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
          tf.tensor2d([
            [5, 6],
            [7, 8],
          ]),
        )
        .arraySync(),
    );
    expect(product).toEqual([
      [19, 22],
      [43, 50],
    ]);
  });

  it('is idempotent and honours a later explicit preference', async () => {
    const [a, b] = await Promise.all([initBackend(), initBackend()]);
    expect([a, b]).toEqual(['wasm', 'wasm']);
    expect(await initBackend('cpu')).toBe('cpu');
    expect(currentBackend()).toBe('cpu');
    expect(await initBackend()).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it('falls through when the preferred backend is unavailable', async () => {
    expect(await initBackend('tensorflow')).toBe('wasm');
  });
});
