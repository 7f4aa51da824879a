import { Random, ValidationError } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { feawadLoss } from '../src/index.js';

describe('feawadLoss (Zhou et al., TNNLS 2021)', () => {
  it('by hand: (1 − y)(|dev| + e) + y(max(0, a − dev) + max(0, a − e)), dev = (s − mu_R) / sd_R, averaged', () => {
    const ref = { mean: 0.5, std: 2 };
    const s = Float32Array.from([1.5, -3.5, 4.5, 14.5]);
    const e = [0.25, 2, 3, 7];
    const y = [0, 0, 1, 1];
    // dev = 0.5, −2, 2, 7: deviation terms 0.5, 2, 3, 0; reconstruction terms 0.25, 2, 2, 0.
    const dS = new Float32Array(4);
    const dE = new Float64Array(4);
    const parts = feawadLoss(s, e, 4, y, ref, 5, dS, dE);
    expect(parts.deviation).toBeCloseTo((0.5 + 2 + 3 + 0) / 4, 12);
    expect(parts.reconstruction).toBeCloseTo((0.25 + 2 + 2 + 0) / 4, 12);
    expect(parts.total).toBeCloseTo(9.75 / 4, 12);
    // ds: sign(dev) / sd / B for unlabelled rows, −1 / sd / B for anomalies inside the margin, 0 beyond it.
    expect(Array.from(dS)).toEqual([1 / 8, -1 / 8, -1 / 8, 0].map(Math.fround));
    // de: 1 / B for unlabelled rows, −1 / B for anomalies with e < a, 0 for e ≥ a.
    expect(Array.from(dE)).toEqual([0.25, 0.25, -0.25, 0]);
  });

  it('gradients with respect to the scores and the errors match central differences', () => {
    const rng = new Random(3);
    const rows = 12;
    const y = Array.from({ length: rows }, (_, i) => i % 2);
    const s = Float32Array.from({ length: rows }, () => rng.uniform(-4, 8));
    const e = Float64Array.from({ length: rows }, () => rng.uniform(0.1, 9));
    const ref = { mean: 0.2, std: 1.3 };
    const value = (sv: Float32Array, ev: Float64Array): number =>
      feawadLoss(sv, ev, rows, y, ref, 5, new Float32Array(rows), new Float64Array(rows)).total;
    const dS = new Float32Array(rows);
    const dE = new Float64Array(rows);
    feawadLoss(s, e, rows, y, ref, 5, dS, dE);
    const h = 1e-3;
    for (let i = 0; i < rows; i++) {
      const sp = Float32Array.from(s);
      const sm = Float32Array.from(s);
      sp[i] += h;
      sm[i] -= h;
      expect((value(sp, e) - value(sm, e)) / (sp[i] - sm[i])).toBeCloseTo(dS[i], 5);
      const ep = Float64Array.from(e);
      const em = Float64Array.from(e);
      ep[i] += h;
      em[i] -= h;
      expect((value(s, ep) - value(s, em)) / (2 * h)).toBeCloseTo(dE[i], 8);
    }
  });

  it('is per sample: a (B, 1) score against (B,) labels broadcast to (B, B), as DeepOD does, gives another value', () => {
    const ref = { mean: 0, std: 1 };
    const s = [0.5, -2, 4, 7];
    const e = [1, 2, 3, 6];
    const y = [0, 0, 1, 1];
    const ours = feawadLoss(Float32Array.from(s), e, 4, y, ref, 5, new Float32Array(4), new Float64Array(4)).total;
    const paper = (0.5 + 1 + (2 + 2) + (1 + 2) + (0 + 0)) / 4;
    expect(ours).toBeCloseTo(paper, 6);
    let broadcast = 0;
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++)
        broadcast += (1 - y[j]) * (Math.abs(s[i]) + e[j]) + y[j] * (Math.max(5 - s[i], 0) + Math.max(5 - e[j], 0));
    expect(Math.abs(broadcast / 16 - ours)).toBeGreaterThan(0.3);
  });

  it('rejects bad shapes, a non-positive margin and a zero reference std with ValidationError', () => {
    const s = new Float32Array(2);
    const e = new Float64Array(2);
    const d = () => [new Float32Array(2), new Float64Array(2)] as const;
    expect(() => feawadLoss(s, e, 3, [0, 1], { mean: 0, std: 1 }, 5, ...d())).toThrow(ValidationError);
    expect(() => feawadLoss(s, e, 2, [0, 1], { mean: 0, std: 1 }, 5, new Float32Array(1), new Float64Array(2))).toThrow(
      ValidationError,
    );
    expect(() => feawadLoss(s, e, 2, [0, 1], { mean: 0, std: 1 }, 0, ...d())).toThrow(/margin/);
    expect(() => feawadLoss(s, e, 2, [0, 1], { mean: 0, std: 0 }, 5, ...d())).toThrow(/std/);
  });
});
