import { checkScores } from './input.js';

/** PyOD's `linear` conversion: min-max of the training scores, clipped to [0, 1]. */
export interface LinearCalibrator {
  method: 'linear';
  min: number;
  max: number;
}

/** PyOD's `unify` conversion (Kriegel et al. 2011): erf of the standardised score, clipped to [0, 1]. */
export interface UnifyCalibrator {
  method: 'unify';
  mean: number;
  /** Population standard deviation (ddof 0, numpy's `std`). */
  std: number;
}

/**
 * Fits PyOD's label-free `linear` rescaling (`predict_proba(method='linear')`): remembers the minimum and
 * maximum training score. No labels: the "probability" is a position in the training range, not a calibrated
 * p(anomaly).
 *
 * @example
 * const cal = fitLinear([2, 4, 6]);
 * applyLinear(cal, [1, 3, 6, 9]);   // [0, 0.25, 1, 1]
 */
export function fitLinear(trainingScores: ArrayLike<number>): LinearCalibrator {
  const s = checkScores(trainingScores, 'fitLinear', 'trainingScores');
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < s.length; i++) {
    if (s[i] < min) min = s[i];
    if (s[i] > max) max = s[i];
  }
  return { method: 'linear', min, max };
}

/**
 * Applies the `linear` rescaling as scikit-learn's `MinMaxScaler` (which PyOD uses) computes it,
 * s · (1 / range) − min · (1 / range), a range of 0 counting as 1, then clips to [0, 1].
 *
 * @example
 * applyLinear({ method: 'linear', min: 0, max: 10 }, [-1, 5, 12]);   // [0, 0.5, 1]
 */
export function applyLinear(calibrator: LinearCalibrator, scores: ArrayLike<number>): Float64Array {
  const s = checkScores(scores, 'applyLinear');
  const range = calibrator.max - calibrator.min;
  const scale = 1 / (range === 0 ? 1 : range);
  const offset = -calibrator.min * scale;
  const out = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = Math.min(1, Math.max(0, s[i] * scale + offset));
  return out;
}

/**
 * Fits PyOD's label-free `unify` rescaling (`predict_proba(method='unify')`): the mean and the population
 * standard deviation of the training scores.
 *
 * @example
 * const cal = fitUnify([1, 2, 3, 4]);   // mean 2.5, std 1.118
 * applyUnify(cal, [2.5, 5]);            // [0, erf(2.5 / (1.118 · √2)) ≈ 0.9747]
 */
export function fitUnify(trainingScores: ArrayLike<number>): UnifyCalibrator {
  const s = checkScores(trainingScores, 'fitUnify', 'trainingScores');
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i];
  const mean = sum / s.length;
  let ss = 0;
  for (let i = 0; i < s.length; i++) ss += (s[i] - mean) ** 2;
  return { method: 'unify', mean, std: Math.sqrt(ss / s.length) };
}

/**
 * Applies the `unify` rescaling: clip(erf((s − mean) / (std · √2)), 0, 1), so scores at or below the training
 * mean map to 0. With a zero std (constant training scores) a score above the mean maps to 1, others to 0.
 *
 * @example
 * applyUnify({ method: 'unify', mean: 0, std: 1 }, [-1, 0, 1.959964]);   // [0, 0, 0.95]
 */
export function applyUnify(calibrator: UnifyCalibrator, scores: ArrayLike<number>): Float64Array {
  const s = checkScores(scores, 'applyUnify');
  const denom = calibrator.std * Math.SQRT2;
  const out = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const d = s[i] - calibrator.mean;
    if (denom === 0) out[i] = d > 0 ? 1 : 0;
    else out[i] = Math.min(1, Math.max(0, erf(d / denom)));
  }
  return out;
}

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * The error function, to about 1e-15: a series without cancellation, erf(x) = 2/√π · e^(−x²) ·
 * Σ (2x²)ⁿ x / (1·3···(2n+1)), below |x| = 2.5, and 1 − erfc(x) from erfc's continued fraction above.
 *
 * @example
 * erf(0.5);   // 0.5204998778130465
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  if (ax > 6.5) return x > 0 ? 1 : -1; // erfc(6.5) < 1e-19
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated by modified Lentz.
  const TINY = 1e-300;
  let f = ax;
  let c = ax;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = ax + a * d;
    d = Math.abs(d) < TINY ? TINY : d;
    c = ax + a / c;
    c = Math.abs(c) < TINY ? TINY : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  return x > 0 ? 1 - erfc : erfc - 1;
}
