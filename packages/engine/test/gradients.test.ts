import { Random, type Activation } from '@abc/core';
import { describe, expect, it } from 'vitest';
import {
  DenseNetwork,
  negLog1mExp,
  negLog1mExpGrad,
  ReconstructionObjective,
  sampleLoss,
  sampleLossGrad,
  type Distance,
  type ObjectiveKind,
} from '../src/index.js';

/** Relative error with an absolute floor. */
function relErr(a: number, b: number, floor = 1e-3): number {
  return Math.abs(a - b) / Math.max(floor, Math.abs(a), Math.abs(b));
}

/**
 * Compares analytic gradients with central differences of a float32 network: the norm ratio
 * ||fd − g|| / (||fd|| + ||g||) (the usual gradient-check criterion) and the worst element with a floor of 1% of
 * the largest gradient or 1e-3 (float32 rounding of the outputs limits differences of tiny gradients to about 1e-5).
 */
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
  let worst = 0;
  for (let i = 0; i < fd.length; i++) worst = Math.max(worst, relErr(fd[i], g[i], Math.max(0.01 * gmax, 1e-3)));
  return { ratio: Math.sqrt(diff) / (Math.sqrt(na) + Math.sqrt(nb)), worst };
}

describe('finite-difference gradient checks', () => {
  const acts: Activation[] = ['tanh', 'sigmoid', 'relu', 'linear'];
  for (const act of acts) {
    it(`dense layers with ${act}: parameter and input gradients`, () => {
      const rng = new Random(acts.indexOf(act) + 1);
      const net = new DenseNetwork({ sizes: [3, 5, 4, 2], activations: [act, act, act] }).initGlorot(rng);
      // Biases away from zero so that relu's kink is not hit by the ±h probes (and biases are exercised).
      for (let l = 0; l < net.layers.length; l++)
        net.biases(l).forEach((_, j, b) => {
          b[j] = rng.uniform(-0.5, 0.5);
        });
      const rows = 6;
      const X = new Float32Array(rows * 3).map(() => rng.uniform(-1, 1));
      const w = new Float64Array(rows * 2).map(() => rng.uniform(-1, 1));
      // loss = Σ w ⊙ output: dLoss/dOutput = w
      const lossOf = (x: Float32Array): number => {
        const out = net.forward(x, 0, rows);
        let s = 0;
        for (let i = 0; i < rows * 2; i++) s += w[i] * out[i];
        return s;
      };
      lossOf(X);
      const dOut = Float32Array.from(w);
      const dIn = new Float32Array(rows * 3);
      net.backward(dOut, dIn);
      const grads = Float32Array.from(net.grads);
      const h = 1e-2;
      const fdParams = new Float64Array(net.params.length);
      for (let i = 0; i < net.params.length; i++) {
        const p0 = net.params[i];
        net.params[i] = p0 + h;
        const up = lossOf(X);
        net.params[i] = p0 - h;
        const down = lossOf(X);
        net.params[i] = p0;
        fdParams[i] = (up - down) / (Math.fround(p0 + h) - Math.fround(p0 - h));
      }
      const cp = compareGrads(fdParams, grads);
      expect(cp.ratio).toBeLessThan(1e-3);
      expect(cp.worst).toBeLessThan(1e-2);
      const fdIn = new Float64Array(X.length);
      for (let i = 0; i < X.length; i++) {
        const x0 = X[i];
        X[i] = x0 + h;
        const up = lossOf(X);
        X[i] = x0 - h;
        const down = lossOf(X);
        X[i] = x0;
        fdIn[i] = (up - down) / (Math.fround(x0 + h) - Math.fround(x0 - h));
      }
      const ci = compareGrads(fdIn, dIn);
      expect(ci.ratio).toBeLessThan(1e-3);
      expect(ci.worst).toBeLessThan(1e-2);
    });
  }

  const kinds: ObjectiveKind[] = ['ae', 'abc', 'lrc'];
  const distances: Distance[] = ['meanSquared', 'l2', 'squaredL2'];
  for (const kind of kinds) {
    for (const distance of distances) {
      it(`${kind} loss with ${distance}: dLoss/dOutput and end-to-end through the network`, () => {
        const rng = new Random(kinds.indexOf(kind) * 10 + distances.indexOf(distance));
        const rows = 5;
        const d = 3;
        const net = new DenseNetwork({ sizes: [d, 4, 1, 4, d], activations: ['tanh', 'tanh', 'tanh', 'linear'] }).initGlorot(rng);
        const X = new Float32Array(rows * d).map(() => rng.uniform(-1, 1));
        const labels = Uint8Array.from([0, 1, 0, 1, 1]);
        const obj = new ReconstructionObjective(kind, distance, d);
        const dOut = new Float32Array(rows * d);
        const lossOf = (): number => obj.compute(net.forward(X, 0, rows), X, 0, labels, rows, new Float32Array(rows * d));
        // dLoss/dOutput against differences in the output itself.
        const out = Float32Array.from(net.forward(X, 0, rows));
        obj.compute(out, X, 0, labels, rows, dOut);
        const h = 1e-3;
        let worstOut = 0;
        for (let i = 0; i < out.length; i++) {
          const o0 = out[i];
          out[i] = o0 + h;
          const up = obj.compute(out, X, 0, labels, rows, new Float32Array(rows * d));
          out[i] = o0 - h;
          const down = obj.compute(out, X, 0, labels, rows, new Float32Array(rows * d));
          out[i] = o0;
          worstOut = Math.max(worstOut, relErr((up - down) / (Math.fround(o0 + h) - Math.fround(o0 - h)), dOut[i]));
        }
        expect(worstOut).toBeLessThan(5e-3);
        // End to end: the loss gradient backpropagated into the weights.
        net.forward(X, 0, rows);
        obj.compute(net.forward(X, 0, rows), X, 0, labels, rows, dOut);
        net.backward(dOut);
        const grads = Float32Array.from(net.grads);
        const fd = new Float64Array(net.params.length);
        for (let i = 0; i < net.params.length; i++) {
          const p0 = net.params[i];
          net.params[i] = p0 + h;
          const up = lossOf();
          net.params[i] = p0 - h;
          const down = lossOf();
          net.params[i] = p0;
          fd[i] = (up - down) / (Math.fround(p0 + h) - Math.fround(p0 - h));
        }
        const c = compareGrads(fd, grads);
        expect(c.ratio).toBeLessThan(2e-3);
        expect(c.worst).toBeLessThan(2e-2);
      });
    }
  }

  it('per-sample losses: dℓ/dL matches differences of ℓ for each kind and class', () => {
    for (const kind of kinds) {
      for (const anomaly of [false, true]) {
        for (const L of [1e-3, 0.05, 0.5, 0.7, 1, 3, 10]) {
          const h = 1e-6 * Math.max(1, L);
          const fd = (sampleLoss(kind, L + h, anomaly) - sampleLoss(kind, L - h, anomaly)) / (2 * h);
          expect(relErr(fd, sampleLossGrad(kind, L, anomaly), 1e-8)).toBeLessThan(1e-5);
        }
      }
    }
  });
});

describe('the stable ABC anomaly term −log(1 − exp(−L))', () => {
  it('matches the naive formula where that is accurate', () => {
    for (const L of [1e-6, 1e-3, 0.1, 0.5, Math.LN2, 0.7, 1, 2]) {
      const naive = -Math.log(1 - Math.exp(-L));
      expect(relErr(negLog1mExp(L), naive, 1e-300)).toBeLessThan(L < 0.1 ? 1e-9 : 1e-13);
      expect(relErr(negLog1mExpGrad(L), -Math.exp(-L) / (1 - Math.exp(-L)), 1e-300)).toBeLessThan(1e-9);
    }
    // For large L the naive form cancels; the series e^{−L} + e^{−2L}/2 + e^{−3L}/3 is exact to double precision.
    for (const L of [20, 40]) {
      const e = Math.exp(-L);
      expect(relErr(negLog1mExp(L), e + (e * e) / 2 + (e * e * e) / 3, 1e-300)).toBeLessThan(1e-14);
    }
  });

  it('is finite with finite gradients at L → 0, L = 0 and L large', () => {
    for (const L of [0, 1e-300, 1e-20, 1e-13, 1e-12, 1e-11, 50, 745, 1e6, 1e300, Infinity]) {
      expect(Number.isFinite(negLog1mExp(L))).toBe(true);
      expect(Number.isFinite(negLog1mExpGrad(L))).toBe(true);
    }
    // The clamp of the contract: 1 − exp(−L) is floored at 1e-12, with zero gradient where it binds.
    expect(negLog1mExp(0)).toBeCloseTo(-Math.log(1e-12), 12);
    expect(negLog1mExpGrad(1e-13)).toBe(0);
    expect(negLog1mExp(1e300)).toBe(0);
    expect(negLog1mExpGrad(1e300)).toBe(-0);
    // Just above the clamp the gradient is large but finite: −1/expm1(L).
    expect(negLog1mExpGrad(1e-11)).toBeCloseTo(-1e11, -2);
  });

  it('keeps a training step finite when every reconstruction is exact or far off', () => {
    const rows = 4;
    const d = 2;
    const out = Float32Array.from([0, 0, 1, 1, 1e6, -1e6, 0.5, 0.5]);
    const x = Float32Array.from([0, 0, 1, 1, 0, 0, 0.5, 0.5]); // rows 0, 1, 3 exact (L = 0)
    for (const distance of ['meanSquared', 'l2', 'squaredL2'] as const) {
      const obj = new ReconstructionObjective('abc', distance, d);
      const g = new Float32Array(rows * d);
      const v = obj.compute(out, x, 0, Uint8Array.from([1, 1, 1, 0]), rows, g);
      expect(Number.isFinite(v)).toBe(true);
      expect(g.every(Number.isFinite)).toBe(true);
    }
  });
});
