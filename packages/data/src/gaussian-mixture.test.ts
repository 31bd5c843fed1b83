import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset.js';
import { loadSyntheticTabular } from './gaussian-mixture.js';

/** Accuracy on `test` of the nearest class mean of `train`: what a linear-ish model gets. */
function nearestCentroidAccuracy(train: Dataset, test: Dataset): number {
  const d = train.featureShape[0]!;
  const centroids = Array.from({ length: train.numClasses }, () => new Float64Array(d));
  const counts = new Array<number>(train.numClasses).fill(0);
  for (let i = 0; i < train.size; i++) {
    const label = train.y[i]!;
    counts[label] = counts[label]! + 1;
    for (let j = 0; j < d; j++) centroids[label]![j]! += train.x[i * d + j]!;
  }
  centroids.forEach((c, label) => c.forEach((v, j) => (c[j] = v / counts[label]!)));
  let correct = 0;
  for (let i = 0; i < test.size; i++) {
    let best = -1;
    let bestDistance = Infinity;
    centroids.forEach((c, label) => {
      let distance = 0;
      for (let j = 0; j < d; j++) distance += (test.x[i * d + j]! - c[j]!) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [label, distance];
    });
    if (best === test.y[i]) correct++;
  }
  return correct / test.size;
}

describe('loadSyntheticTabular', () => {
  it('makes 50 features and 10 balanced classes by default, at about unit scale', () => {
    const { train, test } = loadSyntheticTabular({ trainSize: 3000, testSize: 500 });
    expect(train.size).toBe(3000);
    expect(test.size).toBe(500);
    expect(train.featureShape).toEqual([50]);
    expect(train.numClasses).toBe(10);
    expect(train.x.length).toBe(3000 * 50);
    const counts = new Array<number>(10).fill(0);
    for (const label of train.y) counts[label] = counts[label]! + 1;
    // Equal shares, moved only by the 2% of labels drawn at random.
    for (const count of counts) expect(Math.abs(count - 300)).toBeLessThan(30);
    const mean = train.x.reduce((a, b) => a + b, 0) / train.x.length;
    const std = Math.sqrt(train.x.reduce((a, b) => a + (b - mean) ** 2, 0) / train.x.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(std).toBeGreaterThan(0.7);
    expect(std).toBeLessThan(1.3);
  });

  it('is bit-identical for a seed, different for another, and its test split ignores trainSize', () => {
    const a = loadSyntheticTabular({ trainSize: 200, testSize: 100, seed: 7 });
    const b = loadSyntheticTabular({ trainSize: 200, testSize: 100, seed: 7 });
    expect(Buffer.from(a.train.x.buffer).equals(Buffer.from(b.train.x.buffer))).toBe(true);
    expect(Array.from(a.train.y)).toEqual(Array.from(b.train.y));
    const other = loadSyntheticTabular({ trainSize: 200, testSize: 100, seed: 8 });
    expect(Buffer.from(other.train.x.buffer).equals(Buffer.from(a.train.x.buffer))).toBe(false);
    const larger = loadSyntheticTabular({ trainSize: 5000, testSize: 100, seed: 7 });
    expect(Buffer.from(larger.test.x.buffer).equals(Buffer.from(a.test.x.buffer))).toBe(true);
    expect(Array.from(larger.test.y)).toEqual(Array.from(a.test.y));
  });

  it('is learnable but not by class means alone', () => {
    const { train, test } = loadSyntheticTabular({ trainSize: 4000, testSize: 1000, seed: 3 });
    const accuracy = nearestCentroidAccuracy(train, test);
    // Far above chance (10%), far below what a multilayer perceptron reaches (about 94%):
    // several clusters per class make the classes non-linear.
    expect(accuracy).toBeGreaterThan(0.35);
    expect(accuracy).toBeLessThan(0.8);
  });

  it.each<[string, object]>([
    ['fewer than two classes', { classes: 1 }],
    ['more informative features than features', { features: 10, informative: 11 }],
    ['too many redundant features', { features: 10, informative: 5, redundant: 6 }],
    ['a negative size', { trainSize: -1 }],
    ['a fractional seed', { seed: 0.5 }],
    ['a label noise above 1', { labelNoise: 1.5 }],
    ['no separation', { separation: 0 }],
  ])('refuses %s with ERR_BAD_CONFIG', (_name, options) => {
    expect(() => loadSyntheticTabular(options)).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });
});
