import {
  BaseDetector,
  defineParams,
  withCommonParams,
  type FitContext,
  type Labels,
  type Matrix,
  type ModelState,
  type ParamsOf,
  type FeatureStepsExportSpec,
} from '@abc/core';
import { featureStepsSpec, type StepCut } from './feature-steps-spec.js';
import { fitTails, scoreTails, tailModelFromState, tailModelToState, type TailCombiner, type TailModel } from './ecdf.js';

/** ECOD's and COPOD's parameters: only the common `seed` (unused: they are deterministic), `threshold`, `contamination`. */
export const tailParamSpace = withCommonParams(defineParams({}));

/** The parameters of the tail-probability detectors (derived from {@link tailParamSpace}). */
export type TailParams = ParamsOf<typeof tailParamSpace>;

/**
 * What ECOD and COPOD share: the training columns' ECDFs and skewness signs (see `fitTails`), scored per feature
 * and summed; a subclass gives only its declaration and how the three tail scores of a value combine.
 *
 * @example
 * class MaxTail extends TailDetector {
 *   static readonly declaration = declareDetector({ ..., paramSpace: tailParamSpace });
 *   protected readonly combine: TailCombiner = (l, r, s) => Math.max(l, r, s);
 * }
 */
export abstract class TailDetector extends BaseDetector<TailParams, TailModel> {
  /** Combines a value's left, right and skewness-corrected tail scores into its feature score. */
  protected abstract readonly combine: TailCombiner;

  protected fitModel(X: Matrix, _y: Labels | undefined, ctx: FitContext): Promise<TailModel> {
    return fitTails(X, ctx);
  }

  protected scoreModel(model: TailModel, X: Matrix): Float32Array {
    return scoreTails(model, X, this.combine);
  }

  /**
   * The export spec: a `feature-steps` spec (see `FeatureStepsExportSpec` in `@abc/core`) with, per feature, an
   * inclusive and an exclusive cut at each distinct training value (where #{values ≤ x} and #{values ≥ x} change)
   * and the combined tail score of each region, computed as `scoreSamples` does. Its size grows
   * with the training set (up to 2 · n · d cuts); `@abc/onnx-export` refuses one above its limit.
   *
   * @example
   * const bytes = toOnnx(await new ECOD().fit(X)); // from @abc/onnx-export
   */
  toExportSpec(): FeatureStepsExportSpec {
    const { nTrain: n, nFeatures: d, sorted, skewSign } = this.model;
    const beyond = -Math.log(1 / (n + 1));
    let column = sorted.subarray(0, n);
    let columnOf = 0;
    return featureStepsSpec(
      d,
      (j) => {
        const cuts: StepCut[] = [];
        for (let i = j * n; i < (j + 1) * n; i++) {
          if (i > j * n && sorted[i] === sorted[i - 1]) continue;
          cuts.push({ threshold: sorted[i], inclusive: true }, { threshold: sorted[i], inclusive: false });
        }
        return cuts;
      },
      (j, x) => {
        // As scoreTails: F_l = #{≤ x} / n and F_r = #{≥ x} / n, 1 / (n + 1) where no training value is on x's side.
        if (j !== columnOf) {
          column = sorted.subarray(j * n, (j + 1) * n);
          columnOf = j;
        }
        const atMost = countWhile(column, (v) => v <= x);
        const atLeast = n - countWhile(column, (v) => v < x);
        const left = atMost > 0 ? -Math.log(atMost / n) : beyond;
        const right = atLeast > 0 ? -Math.log(atLeast / n) : beyond;
        const s = skewSign[j];
        return this.combine(left, right, s > 0 ? right : s < 0 ? left : left + right);
      },
      { scoreKind: this.name, threshold: this.threshold },
    );
  }

  protected modelToState(model: TailModel): ModelState {
    return tailModelToState(model);
  }

  protected modelFromState(state: ModelState): TailModel {
    return tailModelFromState(state, this.name.toUpperCase());
  }
}

/** How many leading values of the ascending `values` satisfy `holds` (true on a prefix), by bisection. */
function countWhile(values: Float32Array, holds: (v: number) => boolean): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (holds(values[mid])) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
