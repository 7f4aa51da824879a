import { Random, ValidationError } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { PairNetwork, relationLoss, RMSprop, TsGemmKernel, type NetworkSpec } from '../src/index.js';

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

/** Central differences of `f` with respect to every value of `v` (restored afterwards; `after` runs after each change). */
function numericGrad(v: Float32Array, f: () => number, h: number, after: () => void = () => {}): Float64Array {
  const fd = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const v0 = v[i];
    v[i] = v0 + h;
    after();
    const up = f();
    v[i] = v0 - h;
    after();
    const down = f();
    v[i] = v0;
    after();
    fd[i] = (up - down) / (Math.fround(v0 + h) - Math.fround(v0 - h));
  }
  return fd;
}

/** A pair network on the TypeScript kernel with Glorot weights and random biases, and a batch of `rows` pairs. */
function setUp(spec: NetworkSpec, seed: number, rows: number): { net: PairNetwork; pairs: Float32Array } {
  const rng = new Random(seed);
  const net = new PairNetwork(spec, { kernel: new TsGemmKernel() }).initGlorot(rng);
  const p = Float32Array.from(net.params);
  for (const L of net.feature.layers) for (let j = 0; j < L.outputSize; j++) p[L.bOffset + j] = rng.uniform(-0.5, 0.5);
  p[net.size - 1] = rng.uniform(-0.5, 0.5); // the head's bias
  net.setParams(p);
  const pairs = new Float32Array(2 * rows * spec.sizes[0]).map(() => rng.uniform(-1, 1));
  return { net, pairs };
}

/** Writes the network's params into its parts after a probe changed `net.params` in place. */
function respread(net: PairNetwork): () => void {
  return () => net.setParams(Float32Array.from(net.params));
}

describe('relationLoss', () => {
  it('is mean |s − y| with gradient sign(s − y) / rows, 0 at a tie (by hand)', () => {
    const s = Float32Array.from([1, 5, 7.5, 0]);
    const dOut = new Float32Array(4);
    // |1 − 0| + |5 − 4| + |7.5 − 8| + |0 − 0| = 2.5
    expect(relationLoss(s, 4, [0, 4, 8, 0], dOut)).toBe(2.5 / 4);
    expect(Array.from(dOut)).toEqual([0.25, 0.25, -0.25, 0]);
  });

  it('its gradient matches central differences away from the kinks', () => {
    const rng = new Random(3);
    const rows = 7;
    const targets = Array.from({ length: rows }, (_, i) => [0, 4, 8][i % 3]);
    const s = Float32Array.from(targets, (t) => t + (rng.float() < 0.5 ? -1 : 1) * rng.uniform(0.2, 2));
    const dOut = new Float32Array(rows);
    relationLoss(s, rows, targets, dOut);
    const fd = numericGrad(s, () => relationLoss(s, rows, targets, new Float32Array(rows)), 1e-2);
    const c = compareGrads(fd, dOut);
    expect(c.ratio).toBeLessThan(1e-5);
    expect(c.worst).toBeLessThan(1e-4);
  });
});

describe('PairNetwork', () => {
  it('computes [ψ(x1), ψ(x2)] · w + b with one shared ψ (against embed + relate and a hand-written head)', () => {
    const { net, pairs } = setUp({ sizes: [3, 4], activations: ['relu'] }, 1, 5);
    const scores = Float32Array.from(net.forward(pairs, 5));
    const e1 = net.embed(pairs.subarray(0, 15), 5);
    const e2 = net.embed(pairs.subarray(15), 5);
    expect(Array.from(net.relate(e1, e2, 5))).toEqual(Array.from(scores));
    const w = net.params.subarray(net.headOffset, net.headOffset + 8);
    const b = net.params[net.size - 1];
    for (let i = 0; i < 5; i++) {
      let s = b;
      for (let k = 0; k < 4; k++) s += e1[i * 4 + k] * w[k] + e2[i * 4 + k] * w[4 + k];
      expect(scores[i]).toBeCloseTo(s, 5);
    }
    // The order matters: swapping the inputs gives other scores.
    expect(Array.from(net.relate(e2, e1, 5))).not.toEqual(Array.from(scores));
    expect(net.size).toBe(3 * 4 + 4 + 8 + 1);
  });

  it('parameter gradients of Σ c ⊙ φ match central differences (tanh-relu learner, leakyRelu learner)', () => {
    for (const [spec, seed, h] of [
      [{ sizes: [3, 5, 4], activations: ['tanh', 'relu'] }, 2, 1e-3],
      [{ sizes: [4, 6], activations: ['leakyRelu'] }, 8, 1e-3], // a seed whose probes cross no kink
      [{ sizes: [2, 3, 3], activations: ['tanh', 'tanh'] }, 4, 1e-2],
    ] as const) {
      const rows = 6;
      const { net, pairs } = setUp(spec as NetworkSpec, seed, rows);
      const rng = new Random(seed + 10);
      const c = new Float32Array(rows).map(() => rng.uniform(-1, 1));
      const value = (): number => {
        const out = net.forward(pairs, rows);
        let s = 0;
        for (let i = 0; i < rows; i++) s += c[i] * out[i];
        return s;
      };
      value();
      net.backward(c);
      const grads = Float32Array.from(net.grads);
      const cmp = compareGrads(numericGrad(net.params, value, h, respread(net)), grads);
      expect(cmp.ratio).toBeLessThan(1e-3);
      expect(cmp.worst).toBeLessThan(1e-2);
    }
  });

  it('the relation loss through the network: parameter gradients match central differences', () => {
    const rows = 8;
    const { net, pairs } = setUp({ sizes: [3, 5], activations: ['tanh'] }, 5, rows);
    const targets = Array.from({ length: rows }, (_, i) => [0, 0, 4, 8][i % 4]);
    // Targets far from the scores of a fresh network, so no probe crosses a kink of |s − y| (except the zeros).
    const shifted = targets.map((t, i) => (t === 0 ? (i % 2 ? -3 : 3) : t));
    const lossOf = (): number => relationLoss(net.forward(pairs, rows), rows, shifted, new Float32Array(rows));
    const dS = new Float32Array(rows);
    relationLoss(net.forward(pairs, rows), rows, shifted, dS);
    net.backward(dS);
    const grads = Float32Array.from(net.grads);
    const cmp = compareGrads(numericGrad(net.params, lossOf, 1e-2, respread(net)), grads);
    expect(cmp.ratio).toBeLessThan(1e-3);
    expect(cmp.worst).toBeLessThan(1e-2);
  });

  it('trainStep updates the one parameter vector and both parts alike, and learns a relation', () => {
    const rows = 16;
    const { net, pairs } = setUp({ sizes: [3, 6], activations: ['relu'] }, 6, rows);
    // A relation the network can represent: 4 + 2 (Σ x1 − Σ x2).
    const sum = (r: number): number => pairs[3 * r] + pairs[3 * r + 1] + pairs[3 * r + 2];
    const targets = Array.from({ length: rows }, (_, i) => 4 + 2 * (sum(i) - sum(rows + i)));
    const opt = new RMSprop(net.size, { lr: 1e-2, clipnorm: 1 });
    const loss = (out: Float32Array, r: number, _c: number, d: Float32Array): number => relationLoss(out, r, targets, d);
    const first = net.trainStep(pairs, rows, loss, opt);
    let last = first;
    for (let k = 0; k < 200; k++) last = net.trainStep(pairs, rows, loss, opt);
    expect(last).toBeLessThan(0.2 * first);
    expect(Array.from(net.feature.params)).toEqual(Array.from(net.params.subarray(0, net.headOffset)));
    expect(Array.from(net.head.params)).toEqual(Array.from(net.params.subarray(net.headOffset)));
  });

  it('gives the same scores on the default kernel (wasm arena) as on the TypeScript kernel', () => {
    const { net, pairs } = setUp({ sizes: [5, 7], activations: ['relu'] }, 7, 9);
    const other = new PairNetwork(net.feature.spec, { params: net.params });
    const a = net.forward(pairs, 9);
    const b = other.forward(pairs, 9);
    for (let i = 0; i < 9; i++) expect(b[i]).toBeCloseTo(a[i], 5);
  });

  it('refuses params of the wrong length, a short batch, and backward before forward', () => {
    const net = new PairNetwork({ sizes: [3, 4], activations: ['relu'] });
    expect(() => net.setParams(new Float32Array(5))).toThrow(ValidationError);
    expect(() => net.forward(new Float32Array(3 * 2 * 2 - 1), 2)).toThrow(/2 × 2 rows of 3/);
    expect(() => net.backward(new Float32Array(1))).toThrow(/forward first/);
  });
});
