import {
  BaseDetector,
  defineParams,
  withCommonParams,
  type FitContext,
  type Labels,
  type Matrix,
  type ModelState,
  type ParamsOf,
} from '@abc/core';
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

  protected modelToState(model: TailModel): ModelState {
    return tailModelToState(model);
  }

  protected modelFromState(state: ModelState): TailModel {
    return tailModelFromState(state, this.name.toUpperCase());
  }
}
