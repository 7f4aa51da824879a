import { ValidationError } from '../errors.js';
import { checkLabels, checkScores } from './input.js';
import type { LabelsLike } from '../validate.js';

/**
 * A fitted isotonic calibration: an increasing piecewise-linear map through the knots (`x[i]`, `y[i]`),
 * constant outside [x[0], x[last]] (scikit-learn's `out_of_bounds='clip'`).
 */
export interface IsotonicCalibrator {
  method: 'isotonic';
  /** Distinct training scores, increasing. */
  x: Float64Array;
  /** The fitted (non-decreasing) probability at each knot. */
  y: Float64Array;
}

/**
 * Fits an increasing isotonic regression of 0/1 labels on scores, as scikit-learn's
 * `IsotonicRegression(increasing=True, out_of_bounds='clip')` does: rows with equal scores are merged first
 * (their labels averaged, weights summed), then pool-adjacent-violators finds the non-decreasing least-squares
 * fit on the distinct scores. Predictions interpolate linearly between those knots and clip outside them
 * (see {@link applyIsotonic}). The knots of constant runs that interpolation does not need are dropped, as
 * scikit-learn's `trim_duplicates` does; the function is unchanged by that.
 *
 * @example
 * const cal = fitIsotonic([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1]);
 * applyIsotonic(cal, [0.15, 0.25, 0.9]);   // [0.25, 0.5, 1]: knots (0.1, 0), (0.2, 0.5), (0.3, 0.5), (0.4, 1)
 */
export function fitIsotonic(scores: ArrayLike<number>, labels: LabelsLike, weights?: ArrayLike<number>): IsotonicCalibrator {
  const s = checkScores(scores, 'fitIsotonic');
  const n = s.length;
  const y = checkLabels(labels, n, 'fitIsotonic');
  const w = weights === undefined ? new Float64Array(n).fill(1) : checkScores(weights, 'fitIsotonic', 'weights');
  if (w.length !== n) throw new ValidationError('shape', `fitIsotonic: ${w.length} weights for ${n} scores`);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => s[i] - s[j] || y[i] - y[j]);
  // Merge equal scores: weighted mean of labels, summed weight.
  const ux: number[] = [];
  const uy: number[] = [];
  const uw: number[] = [];
  for (const i of order) {
    const last = ux.length - 1;
    if (last >= 0 && s[i] === ux[last]) {
      const total = uw[last] + w[i];
      uy[last] = total > 0 ? (uy[last] * uw[last] + y[i] * w[i]) / total : uy[last];
      uw[last] = total;
    } else {
      ux.push(s[i]);
      uy.push(y[i]);
      uw.push(w[i]);
    }
  }
  const fitted = poolAdjacentViolators(uy, uw);
  // Keep the ends and every knot where the fitted value changes on either side.
  const keepX: number[] = [];
  const keepY: number[] = [];
  const m = ux.length;
  for (let i = 0; i < m; i++) {
    if (i === 0 || i === m - 1 || fitted[i] !== fitted[i - 1] || fitted[i] !== fitted[i + 1]) {
      keepX.push(ux[i]);
      keepY.push(fitted[i]);
    }
  }
  return { method: 'isotonic', x: Float64Array.from(keepX), y: Float64Array.from(keepY) };
}

/**
 * The non-decreasing least-squares fit to `values` with `weights` (pool adjacent violators, one pass with a
 * stack of blocks).
 *
 * @example
 * poolAdjacentViolators([1, 3, 2, 4], [1, 1, 1, 1]);   // [1, 2.5, 2.5, 4]
 */
export function poolAdjacentViolators(values: ArrayLike<number>, weights: ArrayLike<number>): Float64Array {
  const n = values.length;
  const mean: number[] = [];
  const weight: number[] = [];
  const size: number[] = [];
  for (let i = 0; i < n; i++) {
    let m = values[i];
    let w = weights[i];
    let c = 1;
    // Merge while the previous block's mean is not below this one's.
    while (mean.length > 0 && mean[mean.length - 1] >= m) {
      const pm = mean.pop()!;
      const pw = weight.pop()!;
      const pc = size.pop()!;
      const tw = pw + w;
      m = tw > 0 ? (pm * pw + m * w) / tw : (pm + m) / 2;
      w = tw;
      c += pc;
    }
    mean.push(m);
    weight.push(w);
    size.push(c);
  }
  const out = new Float64Array(n);
  let k = 0;
  for (let b = 0; b < mean.length; b++) for (let j = 0; j < size[b]; j++) out[k++] = mean[b];
  return out;
}

/**
 * Applies a fitted isotonic calibration: scores are clipped to the training range, then interpolated linearly
 * between the knots.
 *
 * @example
 * applyIsotonic({ method: 'isotonic', x: Float64Array.of(0, 1), y: Float64Array.of(0.2, 0.6) }, [-5, 0.5, 9]);
 * // [0.2, 0.4, 0.6]
 */
export function applyIsotonic(calibrator: IsotonicCalibrator, scores: ArrayLike<number>): Float64Array {
  const s = checkScores(scores, 'applyIsotonic');
  const { x, y } = calibrator;
  const m = x.length;
  const out = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const v = Math.min(Math.max(s[i], x[0]), x[m - 1]);
    if (m === 1) {
      out[i] = y[0];
      continue;
    }
    // The first knot index hi with x[hi] >= v, kept in 1..m-1 (scipy's interp1d does the same).
    let lo = 0;
    let hi = m - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    hi = Math.max(1, lo);
    const a = hi - 1;
    const slope = (y[hi] - y[a]) / (x[hi] - x[a]);
    // Kept between the two knots' values: the exact interpolation is, but its rounding can pass y[hi] by an ulp
    // (1.0000000000000002 at a knot of 1, which is no probability; scikit-learn clips such values to 1 too).
    out[i] = Math.min(Math.max(slope * (v - x[a]) + y[a], y[a]), y[hi]);
  }
  return out;
}
