import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, initBackend, parseModelSpec } from '@silo/model';
import { denseShape, denseTopology } from './dense-model.js';

describe('denseShape', () => {
  it('hits the benched sizes exactly', () => {
    expect(denseShape(100_000)).toEqual({ inputs: 99, units: 1000, params: 100_000 });
    expect(denseShape(1_660_000)).toEqual({ inputs: 1659, units: 1000, params: 1_660_000 });
    expect(denseShape(10_000_000)).toEqual({ inputs: 9999, units: 1000, params: 10_000_000 });
  });

  it('comes within half a layer width of any other size', () => {
    for (const params of [2, 3, 999, 1001, 123_456, 2_500_499]) {
      const shape = denseShape(params);
      expect(shape.params).toBe(shape.inputs * shape.units + shape.units);
      expect(Math.abs(shape.params - params)).toBeLessThanOrEqual(shape.units / 2);
    }
  });

  it('refuses a size no dense layer has', () => {
    expect(() => denseShape(1)).toThrow(/at least 2/);
    expect(() => denseShape(1.5)).toThrow(/at least 2/);
  });
});

describe('denseTopology', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('is a topology the coordinator builds, with the parameters it promises', () => {
    const shape = denseShape(12_000);
    const model = buildModel(parseModelSpec({ kind: 'topology', topology: denseTopology(shape) }), 0);
    try {
      expect(model.countParams()).toBe(shape.params);
      expect(model.inputs[0]?.shape).toEqual([null, shape.inputs]);
    } finally {
      model.dispose();
    }
  });
});
