import { Random, ValidationError } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { Adam, DenseNetwork, Lcg32, ReconstructionObjective } from '../src/index.js';
import { NaiveGemmKernel } from './fixtures/naive-gemm.js';

describe('Adam', () => {
  it('first step moves each parameter by lr · g / (|g| + eps), as PyTorch', () => {
    const p = Float32Array.from([1, -2, 0.5, 0]);
    const g = Float32Array.from([0.3, -4, 1e-3, 0]);
    const adam = new Adam(4, { lr: 0.01 });
    adam.step(p, g);
    const expected = [1 - 0.01, -2 + 0.01, 0.5 - 0.01 * (1e-3 / (1e-3 + 1e-8)), 0];
    for (let i = 0; i < 4; i++) expect(p[i]).toBeCloseTo(expected[i], 6);
    expect(adam.t).toBe(1);
  });

  it('minimises a quadratic', () => {
    const p = Float32Array.from([3, -1]);
    const adam = new Adam(2, { lr: 0.05 });
    for (let t = 0; t < 2000; t++) adam.step(p, Float32Array.from([2 * (p[0] - 1), 2 * (p[1] + 2)]));
    expect(p[0]).toBeCloseTo(1, 2);
    expect(p[1]).toBeCloseTo(-2, 2);
  });
});

describe('DenseNetwork', () => {
  it('validates its spec', () => {
    expect(() => new DenseNetwork({ sizes: [3], activations: [] })).toThrow(ValidationError);
    expect(() => new DenseNetwork({ sizes: [3, 2], activations: ['tanh', 'tanh'] })).toThrow(/activations/);
    expect(() => new DenseNetwork({ sizes: [3, 0], activations: ['tanh'] })).toThrow(/positive/);
    expect(() => new DenseNetwork({ sizes: [3, 2], activations: ['softmax' as never] })).toThrow(/activation/);
  });

  it('lays out W [in, out] then b per layer; predict in batches equals one forward; the kernel is swappable', () => {
    const spec = { sizes: [5, 7, 3], activations: ['relu', 'sigmoid'] as const };
    const net = new DenseNetwork({ sizes: spec.sizes, activations: [...spec.activations] }).initGlorot(new Random(1));
    expect(net.size).toBe(5 * 7 + 7 + 7 * 3 + 3);
    expect(net.layers[1]).toMatchObject({ inputSize: 7, outputSize: 3, wOffset: 42, bOffset: 63 });
    net.biases(0).fill(0.1);
    const rng = new Random(2);
    const X = new Float32Array(37 * 5).map(() => rng.normal());
    const all = Float32Array.from(net.forward(X, 0, 37).subarray(0, 37 * 3));
    expect(net.predict(X, 37, undefined, 8)).toEqual(all);
    // By hand for row 0.
    const h = Array.from({ length: 7 }, (_, j) => {
      let s = 0.1;
      for (let k = 0; k < 5; k++) s += X[k] * net.weights(0)[k * 7 + j];
      return Math.max(0, s);
    });
    for (let j = 0; j < 3; j++) {
      let s = net.biases(1)[j];
      for (let k = 0; k < 7; k++) s += h[k] * net.weights(1)[k * 3 + j];
      expect(all[j]).toBeCloseTo(1 / (1 + Math.exp(-s)), 6);
    }
    const naive = new DenseNetwork(net.spec, { kernel: new NaiveGemmKernel(), params: net.params });
    const viaNaive = naive.predict(X, 37);
    for (let i = 0; i < all.length; i++) expect(viaNaive[i]).toBeCloseTo(all[i], 6);
    expect(net.clone().predict(X, 37)).toEqual(all);
  });

  it('trains an autoencoder through trainStep (loss falls), deterministically', () => {
    const run = () => {
      const rng = new Random(3);
      const net = new DenseNetwork({ sizes: [4, 8, 2, 8, 4], activations: ['tanh', 'tanh', 'tanh', 'linear'] }).initGlorot(rng);
      const X = new Float32Array(64 * 4).map(() => rng.normal());
      const obj = new ReconstructionObjective('ae', 'meanSquared', 4);
      const adam = new Adam(net.size, { lr: 1e-2 });
      const losses: number[] = [];
      for (let e = 0; e < 200; e++) losses.push(net.trainStep(X, 0, 64, (o, r, _c, d) => obj.compute(o, X, 0, null, r, d), adam));
      return { losses, params: Float32Array.from(net.params) };
    };
    const a = run();
    expect(a.losses[199]).toBeLessThan(0.5 * a.losses[0]);
    expect(run().params).toEqual(a.params);
  });

  it('Lcg32 follows the contract generator', () => {
    const lcg = new Lcg32(12345);
    const s1 = (12345 * 1664525 + 1013904223) % 2 ** 32;
    expect(lcg.next()).toBe(s1 / 2 ** 32);
    const s2 = Number((BigInt(s1) * 1664525n + 1013904223n) % 2n ** 32n);
    expect(lcg.next()).toBe(s2 / 2 ** 32);
  });
});
