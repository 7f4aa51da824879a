import { Random, ValidationError, type Activation } from '@abc/core';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  addL2Penalty,
  BalancedBatchSampler,
  clipGradNorm,
  createWasmSimdKernel,
  DenseNetwork,
  deviationLoss,
  LEAKY_SLOPE,
  referenceScores,
  RMSprop,
  sadLoss,
  squaredDistances,
  TsGemmKernel,
  withL2,
  type NetworkSpec,
} from '../src/index.js';

/** ||fd − g|| / (||fd|| + ||g||) and the worst element relative to max(1% of the largest gradient, 1e-3). */
function compareGrads(fd: Float64Array, g: Float32Array): { ratio: number; worst: number } {
  let diff = 0;
  let na = 0;
  let nb = 0;
  let gmax = 0;
  for (let i = 0; i < fd.length; i++) {
    diff += (fd[i] - g[i]) ** 2;
    na += fd[i] ** 2;
    nb += g[i] ** 2;
    gmax = Math.max(gmax, Math.abs(g[i]));
  }
  const floor = Math.max(0.01 * gmax, 1e-3);
  let worst = 0;
  for (let i = 0; i < fd.length; i++)
    worst = Math.max(worst, Math.abs(fd[i] - g[i]) / Math.max(floor, Math.abs(fd[i]), Math.abs(g[i])));
  return { ratio: Math.sqrt(diff) / (Math.sqrt(na) + Math.sqrt(nb)), worst };
}

/** Central differences of `f` with respect to every value of `v` (restored afterwards). */
function numericGrad(v: Float32Array, f: () => number, h = 1e-2): Float64Array {
  const fd = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const v0 = v[i];
    v[i] = v0 + h;
    const up = f();
    v[i] = v0 - h;
    const down = f();
    v[i] = v0;
    fd[i] = (up - down) / (Math.fround(v0 + h) - Math.fround(v0 - h));
  }
  return fd;
}

/** Parameter and input gradients of `Σ w ⊙ output` against central differences. */
function checkNetwork(spec: NetworkSpec, seed: number, h = 1e-2): DenseNetwork {
  const rng = new Random(seed);
  const net = new DenseNetwork(spec, { kernel: new TsGemmKernel() }).initGlorot(rng);
  for (let l = 0; l < net.layers.length; l++)
    if (net.layers[l].bOffset >= 0) {
      const b = net.biases(l);
      for (let j = 0; j < b.length; j++) b[j] = rng.uniform(-0.5, 0.5);
    }
  const rows = 6;
  const d = spec.sizes[0];
  const o = spec.sizes[spec.sizes.length - 1];
  const X = new Float32Array(rows * d).map(() => rng.uniform(-1, 1));
  const w = new Float64Array(rows * o).map(() => rng.uniform(-1, 1));
  const lossOf = (): number => {
    const out = net.forward(X, 0, rows);
    let s = 0;
    for (let i = 0; i < rows * o; i++) s += w[i] * out[i];
    return s;
  };
  lossOf();
  const dIn = new Float32Array(rows * d);
  net.backward(Float32Array.from(w), dIn);
  const grads = Float32Array.from(net.grads);
  const cp = compareGrads(numericGrad(net.params, lossOf, h), grads);
  expect(cp.ratio).toBeLessThan(1e-3);
  expect(cp.worst).toBeLessThan(1e-2);
  const ci = compareGrads(numericGrad(X, lossOf, h), dIn);
  expect(ci.ratio).toBeLessThan(1e-3);
  expect(ci.worst).toBeLessThan(1e-2);
  return net;
}

describe('leakyRelu', () => {
  it('has PyTorch default slope 0.01 and computes max(x, 0) + slope · min(x, 0)', () => {
    expect(LEAKY_SLOPE).toBe(0.01);
    const net = new DenseNetwork({ sizes: [1, 1], activations: ['leakyRelu'] });
    net.weights(0)[0] = 1;
    expect(Array.from(net.predict(Float32Array.from([-2, 0, 3]), 3))).toEqual([Math.fround(-0.02), 0, 3]);
    const steep = new DenseNetwork({ sizes: [1, 1], activations: ['leakyRelu'], leakySlope: 0.2 });
    steep.weights(0)[0] = 1;
    expect(Array.from(steep.predict(Float32Array.from([-2, 3]), 2))).toEqual([Math.fround(-0.4), 3]);
  });

  it('dense layers with leakyRelu (slopes 0.01 and 0.2): parameter and input gradients match central differences', () => {
    const acts: Activation[] = ['leakyRelu', 'leakyRelu', 'linear'];
    // A small step, so that few probes cross the kink at 0.
    checkNetwork({ sizes: [3, 5, 4, 2], activations: acts }, 1, 1e-3);
    checkNetwork({ sizes: [3, 5, 4, 2], activations: acts, leakySlope: 0.2 }, 2, 1e-3);
  });

  it('with the default slope networks run on the wasm arena; with another slope off it (the TypeScript passes)', () => {
    const kernel = createWasmSimdKernel();
    expect(new DenseNetwork({ sizes: [3, 4, 2], activations: ['leakyRelu', 'linear'] }, { kernel }).arena).not.toBeNull();
    // the arena's pass has 0.01 built in (test/wasm-leaky.test.ts compares it with the TypeScript passes)
    const leaky = new DenseNetwork({ sizes: [3, 4, 2], activations: ['leakyRelu', 'linear'], leakySlope: 0.2 }, { kernel });
    expect(leaky.arena).toBeNull();
    const ts = new DenseNetwork(leaky.spec, { kernel: new TsGemmKernel(), params: leaky.params.map((_, i) => Math.sin(i)) });
    leaky.params.set(ts.params);
    const X = new Float32Array(12).map((_, i) => Math.cos(i));
    const a = leaky.predict(X, 4);
    const b = ts.predict(X, 4);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
  });

  it('refuses a negative or non-finite slope', () => {
    expect(() => new DenseNetwork({ sizes: [2, 1], activations: ['leakyRelu'], leakySlope: -0.1 })).toThrow(ValidationError);
    expect(() => new DenseNetwork({ sizes: [2, 1], activations: ['leakyRelu'], leakySlope: NaN })).toThrow(ValidationError);
  });
});

describe('layers without bias', () => {
  it('leave b out of params (per network or per layer) and keep the usual layout otherwise', () => {
    const withBias = new DenseNetwork({ sizes: [3, 4, 2], activations: ['tanh', 'linear'] });
    expect(withBias.size).toBe(3 * 4 + 4 + 4 * 2 + 2);
    expect(withBias.layers.map((L) => L.bOffset)).toEqual([12, 16 + 8]);
    const none = new DenseNetwork({ sizes: [3, 4, 2], activations: ['tanh', 'linear'], bias: false });
    expect(none.size).toBe(3 * 4 + 4 * 2);
    expect(none.layers.map((L) => [L.wOffset, L.bOffset])).toEqual([
      [0, -1],
      [12, -1],
    ]);
    expect(Array.from(none.biases(1))).toEqual([0, 0]);
    const mixed = new DenseNetwork({ sizes: [3, 4, 2], activations: ['tanh', 'linear'], bias: [false, true] });
    expect(mixed.size).toBe(12 + 8 + 2);
    expect(mixed.layers.map((L) => L.bOffset)).toEqual([-1, 20]);
    expect(() => new DenseNetwork({ sizes: [3, 4, 2], activations: ['tanh', 'linear'], bias: [false] })).toThrow(ValidationError);
    expect(mixed.clone().size).toBe(mixed.size);
  });

  it('gradients match central differences (no bias anywhere; mixed; with leakyRelu)', () => {
    checkNetwork({ sizes: [3, 5, 4, 2], activations: ['tanh', 'relu', 'linear'], bias: false }, 3, 1e-3);
    checkNetwork({ sizes: [3, 5, 4, 2], activations: ['sigmoid', 'tanh', 'linear'], bias: [true, false, true] }, 4);
    checkNetwork({ sizes: [3, 5, 4, 2], activations: ['leakyRelu', 'leakyRelu', 'linear'], bias: false }, 5, 1e-3);
  });

  it('train alike in the wasm arena and on the TypeScript kernel', () => {
    const spec: NetworkSpec = { sizes: [4, 6, 3], activations: ['tanh', 'linear'], bias: false };
    const arenaNet = new DenseNetwork(spec, { kernel: createWasmSimdKernel() }).initGlorot(new Random(7));
    expect(arenaNet.arena).not.toBeNull();
    const tsNet = new DenseNetwork(spec, { kernel: new TsGemmKernel(), params: arenaNet.params });
    const X = new Float32Array(5 * 4).map((_, i) => Math.sin(i * 0.7));
    const loss = (out: Float32Array, rows: number, cols: number, dOut: Float32Array): number => {
      let s = 0;
      for (let i = 0; i < rows * cols; i++) {
        s += out[i] * out[i];
        dOut[i] = 2 * out[i];
      }
      return s;
    };
    const a = arenaNet.createAdam({ lr: 0.01 });
    const b = tsNet.createAdam({ lr: 0.01 });
    for (let step = 0; step < 5; step++) {
      arenaNet.trainStep(X, 0, 5, loss, a);
      tsNet.trainStep(X, 0, 5, loss, b);
    }
    for (let i = 0; i < tsNet.size; i++) expect(arenaNet.params[i]).toBeCloseTo(tsNet.params[i], 5);
  });
});

describe('RMSprop with clipnorm', () => {
  it("follows Keras' update a ← ρa + (1−ρ)g², p ← p − lr·g/(√a + ε) with defaults lr 1e-3, ρ 0.9, ε 1e-7", () => {
    const opt = new RMSprop(2);
    expect([opt.lr, opt.rho, opt.eps, opt.clipnorm]).toEqual([1e-3, 0.9, 1e-7, null]);
    const p = Float32Array.from([1, -1]);
    const g = Float32Array.from([0.5, -2]);
    opt.step(p, g);
    // a = 0.1 g², so the first step moves each parameter by lr · g / (√0.1 |g| + ε) ≈ lr / √0.1.
    const expected = (p0: number, gi: number): number => p0 - (1e-3 * gi) / (Math.sqrt(0.1 * gi * gi) + 1e-7);
    expect(p[0]).toBeCloseTo(expected(1, 0.5), 6);
    expect(p[1]).toBeCloseTo(expected(-1, -2), 6);
    const a1 = 0.1 * 0.25;
    const a2 = 0.9 * a1 + 0.1 * 0.25;
    opt.step(p, g);
    expect(p[0]).toBeCloseTo(expected(1, 0.5) - (1e-3 * 0.5) / (Math.sqrt(a2) + 1e-7), 6);
  });

  it('clips the whole gradient to clipnorm before the update (and not a gradient already shorter)', () => {
    const opt = new RMSprop(2, { clipnorm: 1, lr: 0.1 });
    const p = new Float32Array(2);
    opt.step(p, Float32Array.from([3, 4])); // norm 5 → (0.6, 0.8)
    expect(opt.lastGradNorm).toBeCloseTo(5, 6);
    expect(opt.meanSquare[0]).toBeCloseTo(0.1 * 0.36, 6);
    expect(opt.meanSquare[1]).toBeCloseTo(0.1 * 0.64, 6);
    const g = Float32Array.from([3, 4]);
    expect(clipGradNorm(g, 10)).toBeCloseTo(5, 6);
    expect(Array.from(g)).toEqual([3, 4]);
    clipGradNorm(g, 1);
    expect(g[0]).toBeCloseTo(0.6, 6);
    expect(() => new RMSprop(2, { clipnorm: 0 })).toThrow(ValidationError);
  });

  it('trains a network through trainStep (an Optimizer) and lowers the loss', () => {
    const net = new DenseNetwork(
      { sizes: [2, 8, 1], activations: ['relu', 'linear'] },
      { kernel: new TsGemmKernel() },
    ).initGlorot(new Random(3));
    const rng = new Random(4);
    const X = new Float32Array(64 * 2).map(() => rng.uniform(-1, 1));
    const loss = (out: Float32Array, rows: number, _c: number, dOut: Float32Array): number => {
      let s = 0;
      for (let i = 0; i < rows; i++) {
        const e = out[i] - (X[2 * i] - X[2 * i + 1]);
        s += e * e;
        dOut[i] = (2 * e) / rows;
      }
      return s / rows;
    };
    const opt = new RMSprop(net.size, { lr: 0.01, clipnorm: 1 });
    const first = net.trainStep(X, 0, 64, loss, opt);
    let last = first;
    for (let i = 0; i < 200; i++) last = net.trainStep(X, 0, 64, loss, opt);
    expect(last).toBeLessThan(first * 0.2);
  });
});

describe('L2 penalty', () => {
  it('adds 2λp to the gradient over the ranges and returns λΣp² (finite differences)', () => {
    const rng = new Random(9);
    const p = new Float32Array(10).map(() => rng.uniform(-1, 1));
    const g = new Float32Array(10);
    const ranges = [{ offset: 2, length: 5 }];
    const value = addL2Penalty(p, g, 0.01, ranges);
    let want = 0;
    for (let i = 2; i < 7; i++) want += 0.01 * p[i] * p[i];
    expect(value).toBeCloseTo(want, 8);
    const fd = numericGrad(p, () => addL2Penalty(p, new Float32Array(10), 0.01, ranges), 1e-2);
    const c = compareGrads(fd, g);
    expect(c.ratio).toBeLessThan(1e-4);
    expect(g[0]).toBe(0);
    expect(g[9]).toBe(0);
  });

  it('withL2(adam, wd / 2) is Adam with PyTorch coupled weight decay wd', () => {
    const p1 = Float32Array.from([1, -2, 3]);
    const p2 = Float32Array.from(p1);
    const grad = Float32Array.from([0.1, 0.2, -0.3]);
    const wr = withL2(new Adam(3, { lr: 0.1 }), 0.5 / 2);
    const mom = new Adam(3, { lr: 0.1 });
    wr.step(p1, Float32Array.from(grad));
    mom.step(
      p2,
      grad.map((gi, i) => gi + 0.5 * p2[i]),
    );
    for (let i = 0; i < 3; i++) expect(p1[i]).toBeCloseTo(p2[i], 6);
  });
});

describe('balanced batches and reference scores', () => {
  it('alternate unlabelled and labelled-anomaly rows, with replacement, seeded', () => {
    const y = new Uint8Array(100);
    y[7] = 1;
    y[42] = 1;
    const s = new BalancedBatchSampler(y);
    const idx = s.sample(new Random(1), 512);
    for (let k = 0; k < 512; k++) {
      expect(y[idx[k]]).toBe(s.labelAt(k));
      expect(y[idx[k]]).toBe(k % 2);
    }
    const anomalies = new Set(Array.from(idx).filter((_, k) => k % 2 === 1));
    expect([...anomalies].sort((a, b) => a - b)).toEqual([7, 42]);
    expect(Array.from(s.sample(new Random(1), 512))).toEqual(Array.from(idx));
    expect(() => new BalancedBatchSampler(new Uint8Array(5))).toThrow(ValidationError);
  });

  it('draw N(0, 1) reference scores afresh for each call, seeded, with their mean and population sd', () => {
    const rng = new Random(5);
    const a = referenceScores(rng);
    expect(a.scores.length).toBe(5000);
    expect(Math.abs(a.mean)).toBeLessThan(0.05);
    expect(Math.abs(a.std - 1)).toBeLessThan(0.05);
    const b = referenceScores(rng);
    expect(b.mean).not.toBe(a.mean);
    const again = referenceScores(new Random(5));
    expect(again.mean).toBe(a.mean);
    let ss = 0;
    for (const v of a.scores) ss += (v - a.mean) ** 2;
    expect(a.std).toBeCloseTo(Math.sqrt(ss / 5000), 12);
  });
});

describe('semi-supervised losses: values and finite-difference gradients', () => {
  it('Deep SAD: dist for unlabelled rows, eta/(dist + eps) for labelled anomalies, mean over rows', () => {
    const out = Float32Array.from([1, 2, 0, 1, 0.5, 0.5]);
    const c = Float32Array.from([0, 1]);
    const y = [0, 1, 1];
    const d = new Float32Array(6);
    // dists: (1,1) → 2; (0,0) → 0; (0.5,−0.5) → 0.5
    const v = sadLoss(out, 3, 2, c, y, 2, 1e-6, d);
    expect(v).toBeCloseTo((2 + 2 / (0 + 1e-6) + 2 / 0.5 + 1e-6 * 0) / 3, 0);
    expect(v).toBeCloseTo((2 + 2 / 1e-6 + 2 / (0.5 + 1e-6)) / 3, 3);
    expect(Array.from(squaredDistances(out, 3, 2, c))).toEqual([2, 0, 0.5]);
    const rng = new Random(11);
    const o = new Float32Array(5 * 3).map(() => rng.uniform(-1, 1));
    const centre = Float32Array.from([0.1, -0.2, 0.3]);
    const labels = [0, 1, 0, 1, 0];
    const g = new Float32Array(15);
    sadLoss(o, 5, 3, centre, labels, 1, 1e-6, g);
    const fd = numericGrad(o, () => sadLoss(o, 5, 3, centre, labels, 1, 1e-6, new Float32Array(15)), 1e-3);
    const cmp = compareGrads(fd, g);
    expect(cmp.ratio).toBeLessThan(1e-3);
  });

  it('DevNet deviation loss: |dev| for unlabelled rows, max(0, a − dev) for anomalies, per sample', () => {
    const ref = { mean: 0.5, std: 2 };
    const s = Float32Array.from([1.5, -0.5, 4.5, 12.5]);
    // dev = (s − 0.5)/2 = 0.5, −0.5, 2, 6
    const y = [0, 0, 1, 1];
    const d = new Float32Array(4);
    const v = deviationLoss(s, 4, y, ref, 5, d);
    expect(v).toBeCloseTo((0.5 + 0.5 + 3 + 0) / 4, 6);
    expect(Array.from(d)).toEqual([1 / 2 / 4, -1 / 2 / 4, -1 / 2 / 4, 0].map(Math.fround));
    const rng = new Random(12);
    const o = new Float32Array(8).map(() => rng.uniform(-3, 8));
    const labels = [0, 1, 0, 1, 0, 1, 0, 1];
    const g = new Float32Array(8);
    deviationLoss(o, 8, labels, ref, 5, g);
    const fd = numericGrad(o, () => deviationLoss(o, 8, labels, ref, 5, new Float32Array(8)), 1e-3);
    expect(compareGrads(fd, g).ratio).toBeLessThan(1e-3);
  });

  it('end to end: the deviation loss backpropagated into a ReLU network matches central differences', () => {
    const rng = new Random(13);
    const net = new DenseNetwork(
      { sizes: [3, 6, 1], activations: ['relu', 'linear'] },
      { kernel: new TsGemmKernel() },
    ).initGlorot(rng);
    const b0 = net.biases(0);
    for (let j = 0; j < b0.length; j++) b0[j] = rng.uniform(0.2, 0.5);
    const X = new Float32Array(6 * 3).map(() => rng.uniform(-1, 1));
    const labels = [0, 1, 0, 1, 0, 1];
    const ref = { mean: 0.01, std: 0.2 };
    const lossOf = (): number => deviationLoss(net.forward(X, 0, 6), 6, labels, ref, 5, new Float32Array(6));
    const dOut = new Float32Array(6);
    deviationLoss(net.forward(X, 0, 6), 6, labels, ref, 5, dOut);
    net.backward(dOut);
    const grads = Float32Array.from(net.grads);
    const cmp = compareGrads(numericGrad(net.params, lossOf, 1e-3), grads);
    expect(cmp.ratio).toBeLessThan(2e-2);
  });
});
