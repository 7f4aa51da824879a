import { Random } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { DenseNetwork } from '../src/index.js';

// Ranges and variances checked against PyTorch 1.13 here: nn.Linear(2, 300) draws weights and biases with
// max |w| 0.7069 (bound 1/sqrt(2) = 0.7071); nn.Linear(300, 100) weights have variance 0.001105 (1/(3·300) =
// 0.001111) and max |w| 0.05773 (bound 1/sqrt(300)).
const stats = (v: Float32Array) => {
  let max = 0;
  let sum = 0;
  let sq = 0;
  for (const x of v) {
    max = Math.max(max, Math.abs(x));
    sum += x;
    sq += x * x;
  }
  const mean = sum / v.length;
  return { max, variance: sq / v.length - mean * mean };
};

const net = () => new DenseNetwork({ sizes: [2, 300, 100], activations: ['tanh', 'tanh'] });

describe('DenseNetwork.init', () => {
  it("'torch' is PyTorch's nn.Linear default: U(±1/sqrt(fanIn)) weights and biases", () => {
    const n = net().init('torch', new Random(1));
    const w0 = stats(n.weights(0));
    const b0 = stats(n.biases(0));
    expect(w0.max).toBeLessThanOrEqual(1 / Math.sqrt(2));
    expect(w0.max).toBeGreaterThan(0.69);
    expect(b0.max).toBeGreaterThan(0.6); // biases are drawn, not zero
    expect(b0.max).toBeLessThanOrEqual(1 / Math.sqrt(2));
    const w1 = stats(n.weights(1));
    expect(w1.max).toBeLessThanOrEqual(1 / Math.sqrt(300));
    expect(w1.variance).toBeCloseTo(1 / (3 * 300), 4);
  });

  it("'lecun' draws U(±sqrt(3/fanIn)) weights (variance 1/fanIn) and zero biases", () => {
    const n = net().init('lecun', new Random(1));
    const w1 = stats(n.weights(1));
    expect(w1.max).toBeLessThanOrEqual(Math.sqrt(3 / 300));
    expect(w1.variance).toBeCloseTo(1 / 300, 4);
    expect(stats(n.biases(1)).max).toBe(0);
  });

  it("'glorot' is initGlorot, draw for draw; each kind is reproducible from its seed", () => {
    expect(net().init('glorot', new Random(3)).params).toEqual(net().initGlorot(new Random(3)).params);
    expect(net().init('torch', new Random(3)).params).toEqual(net().init('torch', new Random(3)).params);
    expect(net().init('torch', new Random(3)).params).not.toEqual(net().init('lecun', new Random(3)).params);
  });

  it('an unknown kind is a ValidationError naming it', () => {
    expect(() => net().init('he' as never, new Random(0))).toThrow(/unknown weight init "he"/);
  });
});
