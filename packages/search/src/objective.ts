import { matrix, type Random, type Matrix } from '@abc/core';
import { auroc, averagePrecision } from '@abc/eval';

/**
 * What a search maximises. Labelled validation data holds only known anomalies, so the default also values
 * unknown ones: the mean of the AUROC on held-out known anomalies and the AUROC against synthetic outliers
 * drawn uniformly from the training data's bounding box widened by half its size on each side.
 */
export type Objective = 'known-and-synthetic' | 'auroc-known' | 'aupr-known';

/**
 * Synthetic outliers: uniform in the per-column box [min − r/2, max + r/2], r = max − min of the rows given.
 *
 * @example
 * const outliers = syntheticOutliers(Xtrain, 500, new Random(0));
 */
export function syntheticOutliers(X: Matrix, n: number, rng: Random): Matrix {
  const lo = new Float64Array(X.cols).fill(Infinity);
  const hi = new Float64Array(X.cols).fill(-Infinity);
  for (let i = 0; i < X.rows; i++) {
    for (let j = 0; j < X.cols; j++) {
      const v = X.data[i * X.cols + j];
      if (v < lo[j]) lo[j] = v;
      if (v > hi[j]) hi[j] = v;
    }
  }
  const out = new Float32Array(n * X.cols);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < X.cols; j++) {
      const r = hi[j] - lo[j];
      out[i * X.cols + j] = rng.uniform(lo[j] - r / 2, hi[j] + r / 2);
    }
  }
  return matrix(out, n, X.cols, X.featureNames);
}

/** Parts of one validation: scores of normals, known anomalies and synthetic outliers. */
export interface ValidationScores {
  normal: Float32Array;
  known: Float32Array;
  synthetic: Float32Array;
}

/** Metric values of one validation; `objective` is what the search maximises. */
export interface ObjectiveValue {
  objective: number;
  aurocKnown: number | null;
  aurocSynthetic: number;
  auprKnown: number | null;
}

export function evaluateObjective(s: ValidationScores, objective: Objective): ObjectiveValue {
  const aurocKnown = s.known.length > 0 ? twoClass(auroc, s.normal, s.known) : null;
  const auprKnown = s.known.length > 0 ? twoClass(averagePrecision, s.normal, s.known) : null;
  const aurocSynthetic = twoClass(auroc, s.normal, s.synthetic);
  let value: number;
  if (objective === 'known-and-synthetic') value = aurocKnown === null ? aurocSynthetic : (aurocKnown + aurocSynthetic) / 2;
  else if (objective === 'auroc-known') value = aurocKnown ?? aurocSynthetic;
  else value = auprKnown ?? aurocSynthetic;
  return { objective: value, aurocKnown, aurocSynthetic, auprKnown };
}

function twoClass(metric: (s: ArrayLike<number>, y: ArrayLike<number>) => number, neg: Float32Array, pos: Float32Array): number {
  const scores = new Float64Array(neg.length + pos.length);
  scores.set(neg);
  scores.set(pos, neg.length);
  const y = new Uint8Array(scores.length).fill(1, neg.length);
  // A NaN or infinite score from a diverged candidate ranks it last rather than crashing the search.
  for (let i = 0; i < scores.length; i++) if (!Number.isFinite(scores[i])) return 0;
  return metric(scores, y);
}
