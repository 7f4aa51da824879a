import { declareDetector } from '@abc/core';
import type { TailCombiner } from './ecdf.js';
import { TailDetector, tailParamSpace, type TailParams } from './tail-detector.js';

/** ECOD's parameters: only the common ones (see {@link tailParamSpace}). */
export const ecodParamSpace = tailParamSpace;

/** ECOD's parameters. */
export type ECODParams = TailParams;

/**
 * ECOD, Empirical-Cumulative-distribution-based Outlier Detection (Li et al., TKDE 2022), unsupervised and
 * parameter-free, as PyOD's `ECOD`: per feature, the left and right tail probabilities of a value under the
 * training column's ECDF, turned into tail scores U = −ln F, and a skewness-corrected tail (the right one for a
 * right-skewed column, the left one for a left-skewed one, their sum for skewness exactly 0, as PyOD). Score =
 * Σ_features max(U_left, U_right, U_skew), higher = more anomalous.
 *
 * Training rows score exactly as PyOD's `decision_scores_` (so the threshold is PyOD's `threshold_`). New rows
 * differ from PyOD on purpose: PyOD's `decision_function` refits the ECDFs and skewness on training + the scored
 * batch, so a row's score depends on the batch it comes in; ours evaluates the ECDFs and skewness fitted on the
 * training data alone (F(x) = #{training values ≤ x} / n, or 1 / (n + 1) beyond every training value, see
 * {@link TailModel}), so a row scores the same alone or in any batch.
 *
 * The model keeps every training column sorted (n · d float32): memory grows with the training set, as PyOD's
 * `X_train`. Not a probability: the default threshold is the 0.9 quantile of the training scores.
 *
 * @example
 * const det = await new ECOD().fit(Xtrain);
 * const scores = await det.scoreSamples(Xtest); // Σ over features of the larger tail score −ln F
 * const flags = await det.predict(Xtest);       // 1 above the training scores' 0.9 quantile
 */
export class ECOD extends TailDetector {
  static readonly declaration = declareDetector({
    name: 'ecod',
    supervision: 'unsupervised',
    hasProbability: false,
    learnsWithoutAnomalies: true,
    description:
      'ECOD: per-feature tail probabilities under the training ECDFs (Li et al. 2022); score = sum of the larger -ln tail, as PyOD on training rows',
    budget: null,
    quickParams: {},
    paramSpace: ecodParamSpace,
  });
  /** @deprecated The space is `ECOD.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = ecodParamSpace;

  constructor(params?: Partial<ECODParams>) {
    super(ECOD.declaration, params);
  }

  protected readonly combine: TailCombiner = (left, right, skewCorrected) => Math.max(left, right, skewCorrected);
}
