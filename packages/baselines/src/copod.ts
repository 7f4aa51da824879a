import { declareDetector } from '@abc/core';
import type { TailCombiner } from './ecdf.js';
import { TailDetector, tailParamSpace, type TailParams } from './tail-detector.js';

/** COPOD's parameters: only the common ones (see {@link tailParamSpace}). */
export const copodParamSpace = tailParamSpace;

/** COPOD's parameters. */
export type COPODParams = TailParams;

/**
 * COPOD, Copula-based Outlier Detection (Li et al., ICDM 2020), unsupervised and parameter-free, as PyOD's
 * `COPOD`: the empirical copula of each feature gives left and right tail scores U = −ln F (F the training
 * column's ECDF, from the left and from the right) and a skewness-corrected tail (the right one for a
 * right-skewed column, the left one for a left-skewed one, their sum for skewness exactly 0, as PyOD). Score =
 * Σ_features max(U_skew, (U_left + U_right) / 2), higher = more anomalous. It differs from {@link ECOD} only in
 * that combination: the two tails are averaged rather than maximised.
 *
 * Training rows score exactly as PyOD's `decision_scores_` (so the threshold is PyOD's `threshold_`). New rows
 * differ from PyOD on purpose: PyOD's `decision_function` refits the copula and skewness on training + the scored
 * batch, so a row's score depends on the batch it comes in; ours evaluates the ECDFs and skewness fitted on the
 * training data alone (F(x) = #{training values ≤ x} / n, or 1 / (n + 1) beyond every training value, see
 * {@link TailModel}), so a row scores the same alone or in any batch.
 *
 * The model keeps every training column sorted (n · d float32). Not a probability: the default threshold is the
 * 0.9 quantile of the training scores.
 *
 * @example
 * const det = await new COPOD().fit(Xtrain);
 * const scores = await det.scoreSamples(Xtest);
 */
export class COPOD extends TailDetector {
  static readonly declaration = declareDetector({
    name: 'copod',
    supervision: 'unsupervised',
    hasProbability: false,
    learnsWithoutAnomalies: true,
    description:
      'COPOD: empirical copula tails (Li et al. 2020); score = sum of max(skew-corrected tail, mean of both tails), as PyOD on training rows',
    budget: null,
    quickParams: {},
    paramSpace: copodParamSpace,
  });
  /** @deprecated The space is `COPOD.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = copodParamSpace;

  constructor(params?: Partial<COPODParams>) {
    super(COPOD.declaration, params);
  }

  protected readonly combine: TailCombiner = (left, right, skewCorrected) => Math.max(skewCorrected, (left + right) / 2);
}
