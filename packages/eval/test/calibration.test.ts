import { readFileSync } from 'node:fs';
import { ValidationError } from '@abc/core';
import { describe, expect, it } from 'vitest';
import { brierScore, expectedCalibrationError, logLoss, reliabilityDiagram } from '../src/metrics/calibration.js';

interface Binning {
  meanPredicted: number[];
  observedFrequency: number[];
  count: number[];
  ece: number;
}
interface Curve extends Binning {
  bins: number;
  strategy: 'equal-mass' | 'equal-width';
  /** np.percentile put an edge a hair below a prediction; `exact` is the binning with exact edges. */
  numpyEdgeArtifact?: true;
  exact?: Binning;
}
interface Case {
  name: string;
  p: number[];
  y: number[];
  brier: number;
  logLoss: number;
  curves: Curve[];
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/calibration_fixtures.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

describe('calibration metrics: hand-computed values', () => {
  const p = [0.1, 0.9, 0.8, 0.3];
  const y = [0, 1, 1, 0];

  it('brier score and log loss', () => {
    expect(brierScore(p, y)).toBeCloseTo((0.01 + 0.01 + 0.04 + 0.09) / 4, 15);
    expect(brierScore([0.5, 0.5], [0, 1])).toBe(0.25);
    expect(logLoss(p, y)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.9) + Math.log(0.8) + Math.log(0.7)) / 4, 15);
    // Clipped as scikit-learn clips: eps = machine epsilon of the input type.
    expect(logLoss([0, 1], [1, 0])).toBeCloseTo(-Math.log(2 ** -52), 12);
    expect(logLoss(Float32Array.of(0, 1), [1, 0])).toBeCloseTo(-Math.log(2 ** -23), 12);
    expect(logLoss([0, 1], [1, 0], 1e-3)).toBeCloseTo(-Math.log(1e-3), 12);
    expect(logLoss([0, 1], [0, 1])).toBeCloseTo(-Math.log(1 - 2 ** -52), 20);
  });

  it('reliability diagram and ECE with equal-width bins', () => {
    const d = reliabilityDiagram([0.1, 0.2, 0.7, 0.9], [0, 0, 1, 1], { bins: 2, strategy: 'equal-width' });
    expect(d).toHaveLength(2);
    expect(d[0]).toMatchObject({ lower: 0, upper: 0.5, count: 2, observedFrequency: 0 });
    expect(d[0].meanPredicted).toBeCloseTo(0.15, 15);
    expect(d[1]).toMatchObject({ lower: 0.5, upper: 1, count: 2, meanPredicted: 0.8, observedFrequency: 1 });
    expect(expectedCalibrationError([0.1, 0.2, 0.7, 0.9], [0, 0, 1, 1], { bins: 2, strategy: 'equal-width' })).toBeCloseTo(
      0.175,
      15,
    );
    // A bin is (lower, upper]: 0.5 belongs to the first of two bins, 0 to the first.
    expect(reliabilityDiagram([0, 0.5, 0.51], [0, 1, 1], { bins: 2, strategy: 'equal-width' }).map((b) => b.count)).toEqual([
      2, 1,
    ]);
  });

  it('equal-mass bins: quantile edges, ties kept together, empty bins dropped', () => {
    // Quartile edges of 1..8 / 10: 0.1, 0.275, 0.45, 0.625, 0.8 → two rows a bin.
    const p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    const y = [0, 0, 0, 1, 0, 1, 1, 1];
    const d = reliabilityDiagram(p, y, { bins: 4 });
    expect(d.map((b) => b.count)).toEqual([2, 2, 2, 2]);
    expect(d.map((b) => b.observedFrequency)).toEqual([0, 0.5, 0.5, 1]);
    expect(d[1].lower).toBeCloseTo(0.275, 15);
    // Six equal predictions and two others: the repeated quantile edges leave empty bins, which are dropped.
    // Edges at positions 0, 1.75, 3.5, 5.25, 7 of the sorted values: 0.2, 0.2, 0.2, 0.3, 0.9.
    const tied = reliabilityDiagram([0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.6, 0.9], [0, 0, 1, 0, 0, 0, 1, 1], { bins: 4 });
    expect(tied.map((b) => b.count)).toEqual([6, 2]);
    expect(tied.map((b) => [b.lower, b.upper])).toEqual([
      [0.2, 0.2],
      [0.3, 0.9],
    ]);
    expect(tied[0].observedFrequency).toBe(1 / 6);
    expect(tied[0].meanPredicted).toBeCloseTo(0.2, 15);
    // A perfectly calibrated constant has ECE 0.
    expect(expectedCalibrationError([0.25, 0.25, 0.25, 0.25], [0, 1, 0, 0])).toBe(0);
  });

  it('validates its input with ValidationError', () => {
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as ValidationError).reason;
      }
      return 'no error';
    };
    expect(reason(() => brierScore([0.1, 0.2], [0]))).toBe('label-length');
    expect(reason(() => logLoss([0.1, 1.2], [0, 1]))).toBe('range');
    expect(reason(() => logLoss([0.1, -0.01], [0, 1]))).toBe('range');
    expect(reason(() => brierScore([0.1, NaN], [0, 1]))).toBe('non-finite');
    expect(reason(() => brierScore([0.1, 0.2], [0, 2]))).toBe('labels');
    expect(reason(() => brierScore([], []))).toBe('empty');
    expect(reason(() => expectedCalibrationError([0.1], [0], { bins: 0 }))).toBe('param');
    expect(reason(() => expectedCalibrationError([0.1], [0], { strategy: 'quantile' as never }))).toBe('param');
    expect(reason(() => logLoss([0.1], [0], 0.7))).toBe('param');
    expect(() => brierScore([0.1, 0.2], [0])).toThrow(/p has 2 values/);
  });
});

describe('calibration metrics against scikit-learn', () => {
  it('brier_score_loss, log_loss and calibration_curve (quantile and uniform)', () => {
    let dev = 0;
    let curves = 0;
    let artifacts = 0;
    for (const c of fixtures.cases) {
      dev = Math.max(
        dev,
        Math.abs(brierScore(c.p, c.y) - c.brier),
        Math.abs(logLoss(c.p, c.y) - c.logLoss) / Math.max(1, c.logLoss),
      );
      for (const k of c.curves) {
        // Where np.percentile misplaced an edge by rounding, compare with the exactly placed edges instead.
        const ref = k.numpyEdgeArtifact ? k.exact! : k;
        if (k.numpyEdgeArtifact) artifacts++;
        const d = reliabilityDiagram(c.p, c.y, { bins: k.bins, strategy: k.strategy });
        expect(
          d.map((b) => b.count),
          `${c.name} ${k.strategy} ${k.bins}`,
        ).toEqual(ref.count);
        d.forEach((b, i) => {
          dev = Math.max(
            dev,
            Math.abs(b.meanPredicted - ref.meanPredicted[i]),
            Math.abs(b.observedFrequency - ref.observedFrequency[i]),
          );
        });
        dev = Math.max(dev, Math.abs(expectedCalibrationError(c.p, c.y, { bins: k.bins, strategy: k.strategy }) - ref.ece));
        curves++;
      }
    }
    expect(dev).toBeLessThan(1e-12);
    expect(artifacts).toBeLessThanOrEqual(1);
    console.info(
      `calibration metrics: ${fixtures.cases.length} cases, ${curves} curves (${artifacts} with np.percentile's edge rounding), max |Δ| vs sklearn ${dev.toExponential(2)}`,
    );
  });
});
