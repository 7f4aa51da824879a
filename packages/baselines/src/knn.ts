import {
  BaseDetector,
  NotFittedError,
  declareDetector,
  defineParams,
  tensor,
  withCommonParams,
  type FitContext,
  type Matrix,
  type ModelState,
  type ParamsOf,
  type Labels,
  type NeighboursExportSpec,
} from '@abc/core';
import { kNearest } from './neighbours/index.js';
import {
  copyRows,
  neighbourCount,
  neighbourExportSpec,
  readNeighbourState,
  scoreOrTraining,
  trainingNeighbours,
  type NeighbourModel,
} from './neighbour-model.js';

/** KNN's parameters (the common ones, then its own). */
export const knnParamSpace = withCommonParams(
  defineParams({
    nNeighbors: {
      type: 'int',
      default: 5,
      min: 1,
      description: 'neighbours per row, k (capped at training rows - 1)',
      search: { low: 1, high: 50, log: true },
    },
    method: {
      type: 'choice',
      default: 'largest',
      choices: ['largest', 'mean', 'median'],
      description: "score: the distance to the k-th neighbour ('largest'), or the mean or median of the k distances",
      search: { choices: ['largest', 'mean', 'median'] },
    },
  }),
);

/** KNN's parameters (derived from {@link knnParamSpace}). */
export type KNNParams = ParamsOf<typeof knnParamSpace>;

/** The fitted KNN: the training rows and their leave-one-out scores. */
export type KNNModel = NeighbourModel;

/**
 * KNN, the k-nearest-neighbour distance detector (Ramaswamy et al. 2000; Angiulli and Pizzuti 2002), unsupervised,
 * as PyOD's `KNN(n_neighbors, method)`: the score of a row is its Euclidean distance to its k-th nearest training
 * row (`method` 'largest'), or the mean or the median of the distances to its k nearest. Higher = more anomalous.
 * Good at global outliers and small isolated groups in low to medium dimension; its scores are distances, so
 * scale the features first (a pipeline with a scaler) when they have different units.
 *
 * - Training scores are PyOD's `decision_scores_`: each training row is left out of its own neighbours (a
 *   duplicate of it still counts, at distance 0). {@link KNN.trainingScores} gives them; the threshold is their
 *   upper `contamination` quantile (0.1 by default).
 * - New rows (`scoreSamples`) are PyOD's `decision_function`: every training row is a candidate neighbour, so
 *   scoring the training rows as new rows gives smaller scores than the training ones.
 * - Ties: distances are exact float64 (Σ (xᵢ − yᵢ)² over the float32 values), so the k smallest distances, and
 *   with them every score, do not depend on which of several equidistant rows is taken (the neighbour list
 *   takes the lower training index).
 * - With fewer than k + 1 training rows k is capped at rows − 1 (PyOD raises instead). `seed` is unused.
 * - Cost: fit O(n² d) (every training row against every other, on the engine's float32 GEMM by blocks, exact
 *   float64 for k + 8 candidates per row), O(n d) memory; scoring m rows O(m n d).
 *
 * @example
 * const det = await new KNN({ nNeighbors: 10, method: 'mean' }).fit(Xtrain);
 * const scores = await det.scoreSamples(Xtest); // PyOD's decision_function
 * det.trainingScores;                            // PyOD's decision_scores_
 */
export class KNN extends BaseDetector<KNNParams, KNNModel> {
  static readonly declaration = declareDetector({
    name: 'knn',
    supervision: 'unsupervised',
    hasProbability: false,
    learnsWithoutAnomalies: true,
    description: 'KNN: distance to the k-th nearest training row (or mean/median of the k), as PyOD',
    budget: null,
    quickParams: {},
    paramSpace: knnParamSpace,
  });

  constructor(params?: Partial<KNNParams>) {
    super(KNN.declaration, params);
  }

  /**
   * The training scores, each row left out of its own neighbours (PyOD's `decision_scores_`), float64.
   *
   * @example
   * const det = await new KNN().fit(X);
   * det.trainingScores.length === X.length; // true
   */
  get trainingScores(): Float64Array {
    if (!this.fitted) throw new NotFittedError('KNN');
    return Float64Array.from(this.model.trainScores);
  }

  protected async fitModel(X: Matrix, _y: Labels | undefined, ctx: FitContext): Promise<KNNModel> {
    const reference = copyRows(X);
    const k = neighbourCount(this.params.nNeighbors, X.rows, 'knn');
    const found = await trainingNeighbours(reference, k, ctx);
    return { reference, k, trainScores: aggregate(found.distances, k, this.params.method), pendingTraining: X };
  }

  protected scoreModel(model: KNNModel, X: Matrix): Promise<Float32Array> {
    return scoreOrTraining(model, X, async (m, Q) =>
      aggregate((await kNearest(m.reference, Q, { k: m.k, reuseIndex: true })).distances, m.k, this.params.method),
    );
  }

  /**
   * The export spec (see `NeighboursExportSpec` in `@abc/core`): the training rows, k and the method; the ONNX
   * graph `@abc/onnx-export` builds from it scores new rows as `scoreSamples` does.
   *
   * @example
   * const bytes = toOnnx(await new KNN().fit(X)); // from @abc/onnx-export
   */
  toExportSpec(): NeighboursExportSpec {
    return neighbourExportSpec(this.model, this.params.method, undefined, this.threshold);
  }

  protected modelToState(model: KNNModel): ModelState {
    const { reference: r } = model;
    return {
      meta: { k: model.k },
      tensors: { reference: tensor(r.data, [r.rows, r.cols]), trainScores: tensor(model.trainScores) },
    };
  }

  protected modelFromState(state: ModelState): KNNModel {
    return readNeighbourState(state, this.params.nNeighbors, 'knn');
  }
}

/**
 * Per row, one score from its k ascending neighbour distances: the last ('largest'), their mean, or their median
 * (the mean of the two middle ones for even k, as numpy).
 *
 * @example
 * aggregate(Float64Array.of(1, 2, 4, 3, 5, 9), 3, 'median'); // [2, 5]
 */
export function aggregate(distances: Float64Array, k: number, method: KNNParams['method']): Float64Array {
  const rows = distances.length / k;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    if (method === 'largest') out[i] = distances[o + k - 1];
    else if (method === 'mean') {
      let s = 0;
      for (let t = 0; t < k; t++) s += distances[o + t];
      out[i] = s / k;
    } else {
      const h = k >> 1;
      out[i] = k % 2 === 1 ? distances[o + h] : (distances[o + h - 1] + distances[o + h]) / 2;
    }
  }
  return out;
}
