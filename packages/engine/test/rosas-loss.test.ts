import { Random, ValidationError } from '@abc/core';
import { describe, expect, it } from 'vitest';
import {
  dynamicLossWeights,
  mixupScoreLoss,
  smoothL1,
  smoothL1Grad,
  summedNormPenalty,
  tripletMarginLoss,
  TRIPLET_EPS,
} from '../src/index.js';

/** Central differences of `f` at every coordinate of `x` (float64). */
function numericGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const p = Float64Array.from(x);
    const m = Float64Array.from(x);
    p[i] += h;
    m[i] -= h;
    g[i] = (f(p) - f(m)) / (2 * h);
  }
  return g;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, digits: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i], `index ${i}`).toBeCloseTo(b[i], digits);
}

const randoms = (rng: Random, n: number, lo: number, hi: number): Float64Array =>
  Float64Array.from({ length: n }, () => rng.uniform(lo, hi));

describe('tripletMarginLoss (RoSAS feature objective)', () => {
  it('by hand: mean max(0, ||a − p|| − ||a − n|| + m), gradients (a − p)/d_p and (a − n)/d_n, none beyond the margin', () => {
    // Triplet 1: a = (0, 0), p = (3, 4), n = (0, 1): 5 − 1 + 1 = 5. Triplet 2: a = (1, 1), p = (1, 2), n = (4, 5):
    // 1 − 5 + 1 < 0, so 0. Mean 2.5.
    const a = [0, 0, 1, 1];
    const p = [3, 4, 1, 2];
    const n = [0, 1, 4, 5];
    const [dA, dP, dN] = [new Float64Array(4), new Float64Array(4), new Float64Array(4)];
    expect(tripletMarginLoss(a, p, n, 2, 2, 1, dA, dP, dN)).toBeCloseTo(2.5, 5);
    // dA = ((a − p)/5 − (a − n)/1) / 2 = ((−0.6, −0.8) − (0, −1)) / 2; dP = −(a − p)/5/2; dN = (a − n)/1/2.
    expectClose(dA, [-0.3, 0.1, 0, 0], 5);
    expectClose(dP, [0.3, 0.4, 0, 0], 5);
    expectClose(dN, [0, -0.5, 0, 0], 5);
  });

  it("adds PyTorch's ε to each difference: identical anchor and positive still give a finite gradient", () => {
    const [dA, dP, dN] = [new Float64Array(3), new Float64Array(3), new Float64Array(3)];
    const v = tripletMarginLoss([1, 2, 3], [1, 2, 3], [1, 2, 4], 1, 3, 2, dA, dP, dN);
    const dNeg = Math.sqrt(2 * TRIPLET_EPS ** 2 + (-1 + TRIPLET_EPS) ** 2);
    expect(v).toBeCloseTo(Math.sqrt(3) * TRIPLET_EPS - dNeg + 2, 12);
    expect([...dA, ...dP, ...dN].every(Number.isFinite)).toBe(true);
  });

  it('gradients match central differences', () => {
    const rng = new Random(5);
    const rows = 6;
    const dim = 4;
    const x = randoms(rng, 3 * rows * dim, -2, 2);
    const part = (v: Float64Array, k: number) => v.subarray(k * rows * dim, (k + 1) * rows * dim);
    const value = (v: Float64Array): number => {
      const z = () => new Float64Array(rows * dim);
      return tripletMarginLoss(part(v, 0), part(v, 1), part(v, 2), rows, dim, 1.5, z(), z(), z());
    };
    const d = new Float64Array(3 * rows * dim);
    tripletMarginLoss(part(x, 0), part(x, 1), part(x, 2), rows, dim, 1.5, part(d, 0), part(d, 1), part(d, 2));
    expect(d.some((g) => g !== 0)).toBe(true);
    expectClose(d, numericGrad(value, x), 7);
  });

  it('rejects bad shapes and a negative margin with ValidationError', () => {
    const z = () => new Float64Array(4);
    expect(() => tripletMarginLoss([0, 0], [0, 0], [0, 0], 2, 2, 1, z(), z(), z())).toThrow(ValidationError);
    expect(() => tripletMarginLoss(z(), z(), z(), 2, 2, -1, z(), z(), z())).toThrow(/margin/);
  });
});

describe("summedNormPenalty (the authors' code: 0.01 ||A + P + N||)", () => {
  it('by hand, by central differences, and 0 gradient at S = 0', () => {
    const dSum = new Float64Array(2);
    // A = (1, 2), P = (1, 1), N = (1, −1): S = (3, 2), ||S|| = √13, gradient S / √13.
    expect(summedNormPenalty([1, 2], [1, 1], [1, -1], 1, 2, dSum)).toBeCloseTo(Math.sqrt(13), 12);
    expectClose(dSum, [3 / Math.sqrt(13), 2 / Math.sqrt(13)], 12);
    const rng = new Random(2);
    const x = randoms(rng, 3 * 6, -1, 1);
    const part = (v: Float64Array, k: number) => v.subarray(k * 6, (k + 1) * 6);
    const value = (v: Float64Array) => summedNormPenalty(part(v, 0), part(v, 1), part(v, 2), 3, 2, new Float64Array(6));
    const g = new Float64Array(6);
    summedNormPenalty(part(x, 0), part(x, 1), part(x, 2), 3, 2, g);
    const numeric = numericGrad(value, x);
    for (let k = 0; k < 3; k++) expectClose(part(numeric, k), g, 7);
    const zero = new Float64Array(2);
    expect(summedNormPenalty([1, -1], [0, 0], [-1, 1], 1, 2, zero)).toBe(0);
    expect(Array.from(zero)).toEqual([0, 0]);
  });
});

describe('mixupScoreLoss (RoSAS mass interpolation)', () => {
  it('smooth L1 with β = 1 as PyTorch', () => {
    expect([smoothL1(0.4), smoothL1(-1), smoothL1(-1.85), smoothL1(2, 4)]).toEqual([0.08000000000000002, 0.5, 1.35, 0.5]);
    expect([smoothL1Grad(-0.4), smoothL1Grad(1), smoothL1Grad(-3)]).toEqual([-0.4, 1, -1]);
  });

  it('by hand: targets and scores interpolated with λ, two smooth-L1 means, gradients to both score sets', () => {
    // Originals: scores (0.2, −0.5, 0.9), targets (−1, −1, 1). Mix r: parts (r, π(r)) with π = (2, 0, 1) and
    // λ = (0.25, 0.5, 1): ỹ = (0.5, −1, 1), Σλs = (0.725, −0.15, 0.9); mixed scores (0.1, −2, 0.3).
    // target: ℓ(−0.4) + ℓ(−1) + ℓ(−0.7) = 0.08 + 0.5 + 0.245; consistency: ℓ(−0.625) + ℓ(−1.85) + ℓ(−0.6).
    const dS = new Float64Array(3);
    const dM = new Float64Array(3);
    const parts = mixupScoreLoss(
      [0.2, -0.5, 0.9],
      [0.1, -2, 0.3],
      3,
      2,
      [0, 1, 2, 2, 0, 1],
      [0.25, 0.5, 1, 0.75, 0.5, 0],
      [-1, -1, 1],
      dS,
      dM,
    );
    expect(parts.target).toBeCloseTo(0.825 / 3, 12);
    expect(parts.consistency).toBeCloseTo((0.1953125 + 1.35 + 0.18) / 3, 12);
    expectClose(dM, [-1.025 / 3, -2 / 3, -1.3 / 3], 12);
    // dS_p = −Σ λ ℓ'(consistency) / n over the mixes p takes part in.
    expectClose(dS, [(0.15625 + 0.5) / 3, 0.5 / 3, (0.46875 + 0.6) / 3], 12);
  });

  it('gradients match central differences (k = 2 and k = 3)', () => {
    const rng = new Random(11);
    for (const k of [2, 3]) {
      const n = 9;
      const targets = Float64Array.from({ length: n }, (_, i) => (i % 3 === 2 ? 1 : -1));
      const partners = new Uint32Array(k * n);
      const lambdas = new Float64Array(k * n);
      for (let r = 0; r < n; r++) partners[r] = r;
      for (let m = 1; m < k; m++) partners.set(rng.permutation(n), m * n);
      for (let r = 0; r < n; r++) {
        const w = Array.from({ length: k }, () => rng.uniform(0.05, 1));
        const s = w.reduce((a, b) => a + b, 0);
        for (let m = 0; m < k; m++) lambdas[m * n + r] = w[m] / s;
      }
      const x = randoms(rng, 2 * n, -1.5, 1.5);
      const value = (v: Float64Array) => {
        const p = mixupScoreLoss(
          v.subarray(0, n),
          v.subarray(n),
          n,
          k,
          partners,
          lambdas,
          targets,
          new Float64Array(n),
          new Float64Array(n),
        );
        return p.target + p.consistency;
      };
      const g = new Float64Array(2 * n);
      mixupScoreLoss(x.subarray(0, n), x.subarray(n), n, k, partners, lambdas, targets, g.subarray(0, n), g.subarray(n));
      expectClose(g, numericGrad(value, x), 7);
    }
  });

  it('rejects a partner outside the batch and short buffers with ValidationError', () => {
    const z = () => new Float64Array(2);
    expect(() => mixupScoreLoss([0, 0], [0, 0], 2, 2, [0, 1, 1, 2], [1, 1, 0, 0], [-1, 1], z(), z())).toThrow(/partner 2/);
    expect(() => mixupScoreLoss([0, 0], [0, 0], 2, 2, [0, 1], [1, 1], [-1, 1], z(), z())).toThrow(ValidationError);
  });
});

describe('dynamicLossWeights (RoSAS dynamic weighting, temperature T)', () => {
  it('by hand: w = softmax(L / (L̄ T)), total Σ w L, and its derivative through the weights', () => {
    // L = (2, 1), L̄ = (1, 1), T = 2: w₁ = e¹ / (e¹ + e^0.5) = σ(0.5).
    const w1 = 1 / (1 + Math.exp(-0.5));
    const d = dynamicLossWeights([2, 1], [1, 1], 2);
    expect(d.weights[0]).toBeCloseTo(w1, 14);
    expect(d.total).toBeCloseTo(1 + w1, 14);
    const rng = new Random(4);
    for (let t = 0; t < 5; t++) {
      const L = randoms(rng, 2, 0.01, 3);
      const prev = randoms(rng, 2, 0.2, 2);
      const T = rng.uniform(0.5, 4);
      const g = dynamicLossWeights(Array.from(L), Array.from(prev), T).grads;
      expectClose(
        g,
        numericGrad((v) => dynamicLossWeights(Array.from(v), Array.from(prev), T).total, L),
        7,
      );
    }
  });

  it("a term whose previous mean is 0 gets weight 0 (the code's k = 0); all zero: equal weights", () => {
    expect(dynamicLossWeights([2, 1], [0, 1], 2)).toEqual({ total: 1, weights: [0, 1], grads: [0, 1] });
    expect(dynamicLossWeights([2, 1], [0, 0], 2)).toEqual({ total: 1.5, weights: [0.5, 0.5], grads: [0.5, 0.5] });
    // Large ratios do not overflow.
    expect(Number.isFinite(dynamicLossWeights([1e3, 1], [1e-3, 1], 1).total)).toBe(true);
  });

  it('rejects mismatched lengths, a non-positive temperature and a negative previous mean', () => {
    expect(() => dynamicLossWeights([1, 2], [1], 2)).toThrow(ValidationError);
    expect(() => dynamicLossWeights([1, 2], [1, 1], 0)).toThrow(/temperature/);
    expect(() => dynamicLossWeights([1, 2], [1, -1], 2)).toThrow(/previous/);
  });
});
