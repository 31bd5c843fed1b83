import { describe, expect, it } from 'vitest';
import { canonicalJson, cnnImageShape, modelSpecDigest, parseModelSpec } from './model-spec.js';

describe('parseModelSpec', () => {
  it('accepts the built-in names and objects', () => {
    expect(parseModelSpec('mlp')).toEqual({ kind: 'builtin', name: 'mlp' });
    expect(parseModelSpec({ kind: 'builtin', name: 'cnn', inputShape: [28, 28], numClasses: 3 })).toEqual({
      kind: 'builtin',
      name: 'cnn',
      inputShape: [28, 28],
      numClasses: 3,
    });
    expect(parseModelSpec({ kind: 'topology', topology: { class_name: 'Sequential' } })).toEqual({
      kind: 'topology',
      topology: { class_name: 'Sequential' },
    });
  });

  it.each<[string, unknown]>([
    ['unknown name', 'resnet'],
    ['null', null],
    ['array', ['mlp']],
    ['unknown kind', { kind: 'onnx' }],
    ['unknown builtin', { kind: 'builtin', name: 'rnn' }],
    ['bad inputShape', { kind: 'builtin', name: 'mlp', inputShape: [0] }],
    ['bad numClasses', { kind: 'builtin', name: 'mlp', numClasses: 1.5 }],
    ['non-square cnn input', { kind: 'builtin', name: 'cnn', inputShape: [10] }],
    ['topology not an object', { kind: 'topology', topology: 'x' }],
  ])('rejects %s with ERR_BAD_CONFIG', (_name, value) => {
    expect(() => parseModelSpec(value)).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });
});

describe('cnnImageShape', () => {
  it('reads [h, w, c], [h, w] and square [n]', () => {
    expect(cnnImageShape([28, 28, 1])).toEqual([28, 28, 1]);
    expect(cnnImageShape([32, 16])).toEqual([32, 16, 1]);
    expect(cnnImageShape([784])).toEqual([28, 28, 1]);
  });
});

describe('modelSpecDigest', () => {
  it('is the SHA-256 of canonical JSON with defaults filled in', () => {
    const digest = modelSpecDigest({ kind: 'builtin', name: 'mlp' });
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(modelSpecDigest(parseModelSpec('mlp'))).toBe(digest);
    expect(modelSpecDigest({ kind: 'builtin', name: 'mlp', inputShape: [784], numClasses: 10 })).toBe(digest);
    expect(modelSpecDigest({ kind: 'builtin', name: 'mlp', numClasses: 5 })).not.toBe(digest);
    expect(modelSpecDigest({ kind: 'builtin', name: 'cnn' })).not.toBe(digest);
  });

  it('ignores key order inside a topology', () => {
    const a = modelSpecDigest({ kind: 'topology', topology: { b: 1, a: { d: [1, 2], c: null } } });
    const b = modelSpecDigest({ kind: 'topology', topology: { a: { c: null, d: [1, 2] }, b: 1 } });
    expect(a).toBe(b);
    expect(canonicalJson({ b: 1, a: [true, 'x'] })).toBe('{"a":[true,"x"],"b":1}');
  });
});
