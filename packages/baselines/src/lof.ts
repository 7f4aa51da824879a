import {
  BaseDetector,
  NotFittedError,
  declareDetector,
  defineParams,
  tensor,
  withCommonParams,
  type FitContext,
  type Labels,
  type Matrix,
  type ModelState,
  type ParamsOf,
  type NeighboursExportSpec,
} from '@abc/core';
import { kNearest } from './neighbours/index.js';
import {
  copyRows,
  f64Vector,
  neighbourCount,
  neighbourExportSpec,
  readNeighbourState,
  scoreOrTraining,
  trainingNeighbours,
  type NeighbourModel,
} from './neighbour-model.js';

/** LOF's parameters (the common ones, then its own). */
export const lofParamSpace = withCommonParams(
  defineParams({
    nNeighbors: {
      type: 'int',
      default: 20,
      min: 1,
      description: 'neighbours per row, k (capped at training rows - 1, as scikit-learn)',
      search: { low: 5, high: 100, log: true },
    },
  }),
);

/** LOF's parameters (derived from {@link lofParamSpace}). */
export type LOFParams = ParamsOf<typeof lofParamSpace>;

/** The fitted LOF: the training rows, their k-distances and local reachability densities. */
export interface LOFModel extends NeighbourModel {
  /** Distance of each training row to its k-th neighbour (itself left out). */
  kDistance: Float64Array;
  /** Local reachability density of each training row. */
  lrd: Float64Array;
}

/** scikit-learn's guard against a zero mean reachability distance (duplicates): lrd = 1 / (mean + 1e-10). */
const LRD_EPS = 1e-10;

/**
 * LOF, the Local Outlier Factor (Breunig et al. 2000), unsupervised, as scikit-learn's `LocalOutlierFactor` (PyOD's
 * `LOF`): with k-distance(o) the distance of training row o to its k-th neighbour,
 * reach-dist(p, o) = max(k-distance(o), d(p, o)), lrd(p) = 1 / (mean over p's k neighbours o of reach-dist(p, o)
 * + 1e-10) and LOF(p) = mean over p's neighbours o of lrd(o) / lrd(p). The score is LOF (PyOD's
 * `decision_scores_` = −`negative_outlier_factor_`): about 1 inside a cluster, higher = more anomalous
 * (scikit-learn's `score_samples` is its negative). Good at local outliers: rows sparse for their neighbourhood
 * even where other clusters are sparser; like every distance method, scale the features first.
 *
 * - Training scores: each training row left out of its own neighbours ({@link LOF.trainingScores}, PyOD's
 *   `decision_scores_`); the threshold is their upper `contamination` quantile (0.1 by default).
 * - New rows: `decision_function` in novelty mode: neighbours among all training rows, reach-dist to them with
 *   their training k-distances, the ratio to the training lrds.
 * - Ties: distances are exact float64; among equidistant candidates for the k-th place the lower training row
 *   index is taken (scikit-learn's brute-force order; its trees may pick another, which changes LOF only where
 *   the tied rows differ in k-distance or lrd — never for exact duplicates, which are interchangeable).
 * - k is capped at training rows − 1, as scikit-learn does. `seed` is unused.
 * - Cost: as KNN, fit O(n² d) on the blocked float32 GEMM with exact float64 candidates, O(n (d + k)) memory.
 *
 * @example
 * const det = await new LOF({ nNeighbors: 20 }).fit(Xtrain);
 * const scores = await det.scoreSamples(Xtest); // PyOD's decision_function (≈ 1 for inliers)
 */
export class LOF extends BaseDetector<LOFParams, LOFModel> {
  static readonly declaration = declareDetector({
    name: 'lof',
    supervision: 'unsupervised',
    hasProbability: false,
    learnsWithoutAnomalies: true,
    description: "LOF: local outlier factor (Breunig et al. 2000), scikit-learn's definition, as PyOD",
    budget: null,
    quickParams: {},
    paramSpace: lofParamSpace,
  });

  constructor(params?: Partial<LOFParams>) {
    super(LOF.declaration, params);
  }

  /**
   * The training LOFs, each row left out of its own neighbours (PyOD's `decision_scores_`), float64.
   *
   * @example
   * const det = await new LOF().fit(X);
   * det.trainingScores; // ≈ 1 for rows inside clusters
   */
  get trainingScores(): Float64Array {
    if (!this.fitted) throw new NotFittedError('LOF');
    return Float64Array.from(this.model.trainScores);
  }

  protected async fitModel(X: Matrix, _y: Labels | undefined, ctx: FitContext): Promise<LOFModel> {
    const reference = copyRows(X);
    const n = X.rows;
    const k = neighbourCount(this.params.nNeighbors, n, 'lof');
    const { distances, indices } = await trainingNeighbours(reference, k, ctx);
    const kDistance = new Float64Array(n);
    for (let i = 0; i < n; i++) kDistance[i] = distances[i * k + k - 1];
    const lrd = reachabilityDensity(distances, indices, k, kDistance);
    const trainScores = lrdRatios(lrd, indices, k, lrd);
    return { reference, k, trainScores, kDistance, lrd, pendingTraining: X };
  }

  protected scoreModel(model: LOFModel, X: Matrix): Promise<Float32Array> {
    return scoreOrTraining(model, X, async (m, Q) => {
      const { distances, indices } = await kNearest(m.reference, Q, { k: m.k, reuseIndex: true });
      return lrdRatios(m.lrd, indices, m.k, reachabilityDensity(distances, indices, m.k, m.kDistance));
    });
  }

  /**
   * The export spec (see `NeighboursExportSpec` in `@abc/core`): the training rows, k, their k-distances and
   * lrds; the ONNX graph `@abc/onnx-export` builds from it scores new rows as `scoreSamples` does.
   *
   * @example
   * const bytes = toOnnx(await new LOF().fit(X)); // from @abc/onnx-export
   */
  toExportSpec(): NeighboursExportSpec {
    const m = this.model;
    return neighbourExportSpec(m, 'lof', { kDistance: m.kDistance, lrd: m.lrd }, this.threshold);
  }

  protected modelToState(model: LOFModel): ModelState {
    const { reference: r } = model;
    return {
      meta: { k: model.k },
      tensors: {
        reference: tensor(r.data, [r.rows, r.cols]),
        trainScores: tensor(model.trainScores),
        kDistance: tensor(model.kDistance),
        lrd: tensor(model.lrd),
      },
    };
  }

  protected modelFromState(state: ModelState): LOFModel {
    const base = readNeighbourState(state, this.params.nNeighbors, 'lof');
    const n = base.reference.rows;
    return { ...base, kDistance: f64Vector(state, 'kDistance', n, 'lof'), lrd: f64Vector(state, 'lrd', n, 'lof') };
  }
}

/**
 * Local reachability densities of rows from their k neighbours: 1 / (mean of max(d(p, o), kDistance[o]) + 1e-10).
 *
 * @example
 * reachabilityDensity(Float64Array.of(1, 2), Int32Array.of(0, 1), 2, Float64Array.of(3, 1)); // [1 / (2.5 + 1e-10)]
 */
export function reachabilityDensity(
  distances: Float64Array,
  indices: Int32Array,
  k: number,
  kDistance: Float64Array,
): Float64Array {
  const rows = distances.length / k;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += Math.max(distances[i * k + t], kDistance[indices[i * k + t]]);
    out[i] = 1 / (s / k + LRD_EPS);
  }
  return out;
}

/**
 * LOF per row: the mean over its k neighbours o of trainLrd[o] / rowLrd[row].
 *
 * @example
 * lrdRatios(Float64Array.of(2, 4), Int32Array.of(0, 1), 2, Float64Array.of(1)); // [3]
 */
export function lrdRatios(trainLrd: Float64Array, indices: Int32Array, k: number, rowLrd: Float64Array): Float64Array {
  const rows = rowLrd.length;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += trainLrd[indices[i * k + t]] / rowLrd[i];
    out[i] = s / k;
  }
  return out;
}
