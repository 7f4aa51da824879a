import { ModelFormatError, tensor, type FitContext, type Matrix, type ModelState } from '@abc/core';

/**
 * What ECOD and COPOD share: per training column, its empirical distribution (the sorted values) and the sign of
 * its skewness, and the three tail scores read from them for any value x:
 *
 * - left tail  U_l(x) = −ln F_l(x),  F_l(x) = #{training values ≤ x} / n
 * - right tail U_r(x) = −ln F_r(x),  F_r(x) = #{training values ≥ x} / n
 * - skewness-corrected U_s(x): U_r where the training skewness is > 0, U_l where it is < 0, and U_l + U_r where it
 *   is exactly 0 (a constant column included), as PyOD's `-sign(s − 1)·U_l + sign(s + 1)·U_r` gives.
 *
 * F is the ECDF of the training column itself, so a training row (one of the n values, ties counted as PyOD's
 * `column_ecdf` does) gets exactly PyOD's in-sample value. A value below (above) every training value has no
 * training value on its side: there F_l (F_r) is 1 / (n + 1), the value it gets counted together with the
 * training data, so the score stays finite and exceeds that of the most extreme training value.
 * Nothing depends on other rows being scored: a row's score is a function of the row and the training data.
 *
 * @example
 * const tails = await fitTails(X, ctx);
 * const scores = scoreTails(tails, Xnew, (l, r, s) => Math.max(l, r, s)); // ECOD
 */
export interface TailModel {
  /** Training rows n. */
  nTrain: number;
  /** Feature count d. */
  nFeatures: number;
  /** The training columns, each sorted ascending, feature after feature: feature j at [j·n, (j + 1)·n). */
  sorted: Float32Array;
  /** Sign of each training column's skewness: −1, 0 or 1. */
  skewSign: Int32Array;
}

/** Combines one feature's left, right and skewness-corrected tail scores into its contribution to the score. */
export type TailCombiner = (left: number, right: number, skewCorrected: number) => number;

/** How long a fit computes before it lets the event loop run (so a timer's or a UI's abort lands). */
const YIELD_EVERY_MS = 50;

/**
 * Sorts every training column and takes its skewness sign, with one progress event per feature
 * (`unit: 'iteration'`) and a turn of the event loop about every 50 ms, so that an abort lands during a long fit.
 */
export async function fitTails(X: Matrix, ctx: FitContext): Promise<TailModel> {
  const n = X.rows;
  const d = X.cols;
  const sorted = new Float32Array(n * d);
  const skewSign = new Int32Array(d);
  const column = new Float64Array(n);
  let last = performance.now();
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) column[i] = X.data[i * d + j];
    skewSign[j] = skewnessSign(column);
    const target = sorted.subarray(j * n, (j + 1) * n);
    target.set(column); // exact: the values are float32
    target.sort();
    ctx.progress({ step: j + 1, totalSteps: d, unit: 'iteration', metrics: {} });
    if (performance.now() - last > YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      ctx.checkAborted();
      last = performance.now();
    }
  }
  return { nTrain: n, nFeatures: d, sorted, skewSign };
}

/**
 * Sign of the (biased, Fisher-Pearson) sample skewness m3 / m2^1.5 of a column, as `np.sign(np.nan_to_num(
 * scipy.stats.skew(x)))`: the moments are row-order sums in float64 (numpy's order for the columns of a
 * C-ordered matrix), and a column with m2 ≤ (1e−15 · mean)² (constant up to rounding) has scipy's nan, so 0.
 *
 * @example
 * skewnessSign(Float64Array.of(0, 0, 0, 1)) // 1 (a long right tail)
 */
export function skewnessSign(x: Float64Array): -1 | 0 | 1 {
  const n = x.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i];
  const mean = sum / n;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < n; i++) {
    const dev = x[i] - mean;
    const sq = dev * dev;
    s2 += sq;
    s3 += sq * dev;
  }
  const m2 = s2 / n;
  const m3 = s3 / n;
  const resolution = 1e-15; // np.finfo(np.float64).resolution
  if (m2 <= (resolution * mean) ** 2) return 0;
  return m3 > 0 ? 1 : m3 < 0 ? -1 : 0;
}

/** Index of the first value > x in the ascending `values[lo, hi)` (= lo + how many are ≤ x). */
function upperBound(values: Float32Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first value ≥ x in the ascending `values[lo, hi)`. */
function lowerBound(values: Float32Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Sums `combine(U_l, U_r, U_s)` over the features of each row of X (float64, then float32 scores). Rows are
 * scored one by one against the training columns alone.
 */
export function scoreTails(model: TailModel, X: Matrix, combine: TailCombiner): Float32Array {
  const { nTrain: n, nFeatures: d, sorted, skewSign } = model;
  const beyond = -Math.log(1 / (n + 1)); // the tail score of a value beyond every training value
  const out = new Float32Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    let score = 0;
    for (let j = 0; j < d; j++) {
      const x = X.data[i * d + j];
      const start = j * n;
      const end = start + n;
      const atMost = upperBound(sorted, start, end, x) - start;
      const atLeast = end - lowerBound(sorted, start, end, x);
      const left = atMost > 0 ? -Math.log(atMost / n) : beyond;
      const right = atLeast > 0 ? -Math.log(atLeast / n) : beyond;
      const s = skewSign[j];
      const skewCorrected = s > 0 ? right : s < 0 ? left : left + right;
      score += combine(left, right, skewCorrected);
    }
    out[i] = score;
  }
  return out;
}

/** The model as state tensors: `sorted` f32 [d, n], `skewSign` i32 [d]. */
export function tailModelToState(model: TailModel): ModelState {
  return {
    meta: {},
    tensors: {
      sorted: tensor(model.sorted, [model.nFeatures, model.nTrain]),
      skewSign: tensor(model.skewSign, [model.nFeatures]),
    },
  };
}

/** Reads and checks the tensors {@link tailModelToState} wrote; `who` names the detector in errors. */
export function tailModelFromState(state: ModelState, who: string): TailModel {
  const bad = (what: string): never => {
    throw new ModelFormatError(`${who}: bad model state: ${what}`);
  };
  const { sorted, skewSign } = state.tensors;
  if (sorted?.dtype !== 'f32' || sorted.shape.length !== 2) return bad('sorted must be an f32 [d, n] tensor');
  const [d, n] = sorted.shape;
  if (!(n >= 1) || sorted.data.length !== d * n) bad(`sorted has shape [${sorted.shape}] and ${sorted.data.length} values`);
  if (skewSign?.dtype !== 'i32' || skewSign.data.length !== d) bad(`skewSign must be an i32 [${d}] tensor`);
  const nFeatures = state.meta.nFeatures;
  if (typeof nFeatures === 'number' && nFeatures !== d) bad(`sorted has ${d} features but nFeatures is ${nFeatures}`);
  const values = sorted.data as Float32Array;
  for (let j = 0; j < d; j++) {
    for (let k = j * n; k < (j + 1) * n; k++) {
      if (!Number.isFinite(values[k])) bad(`feature ${j} holds a non-finite value`);
      if (k > j * n && values[k] < values[k - 1]) bad(`feature ${j} is not sorted`);
    }
    const s = skewSign.data[j];
    if (s !== -1 && s !== 0 && s !== 1) bad(`skewSign[${j}] is ${s}, expected -1, 0 or 1`);
  }
  return { nTrain: n, nFeatures: d, sorted: values, skewSign: skewSign.data as Int32Array };
}
