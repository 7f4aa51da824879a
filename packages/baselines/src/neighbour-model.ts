/**
 * What the neighbour detectors (`knn`, `lof`) share: the training rows they keep, the neighbour count used on a
 * small training set, the hand-over of leave-one-out training scores from fit to the threshold, and reading
 * their state back.
 */
import {
  ModelFormatError,
  ValidationError,
  matrix,
  type FitContext,
  type Matrix,
  type ModelState,
  type NeighboursExportSpec,
  type Tensor,
} from '@abc/core';
import { kNearest, type KNearestResult } from './neighbours/index.js';

/** The fitted part every neighbour detector has. */
export interface NeighbourModel {
  /** The training rows (a copy), the reference of every search. */
  reference: Matrix;
  /** The neighbour count in use: nNeighbors, capped at training rows − 1 (as scikit-learn's LocalOutlierFactor). */
  k: number;
  /** Training scores with each row left out of its own neighbours (PyOD's `decision_scores_`), float64. */
  trainScores: Float64Array;
  /**
   * The matrix fit was given, until the base class scores it once for the threshold: that one call gets
   * `trainScores` (leave-one-out) instead of new-row scores. Never saved; cleared on first use.
   */
  pendingTraining: Matrix | null;
}

/**
 * The neighbour count for `rows` training rows: `nNeighbors` capped at rows − 1 (at least 2 rows are needed).
 *
 * @example
 * neighbourCount(20, 8, 'lof'); // 7
 */
export function neighbourCount(nNeighbors: number, rows: number, who: string): number {
  if (rows < 2) throw new ValidationError('shape', `${who}: needs at least 2 training rows to find neighbours, got ${rows}`);
  return Math.min(nNeighbors, rows - 1);
}

/** A copy of the training rows (the caller may reuse its buffer). */
export function copyRows(X: Matrix): Matrix {
  return matrix(Float32Array.from(X.data), X.rows, X.cols);
}

/**
 * The leave-one-out k nearest training rows of every training row, with one progress event per query block
 * (abortable there).
 */
export function trainingNeighbours(reference: Matrix, k: number, ctx: FitContext): Promise<KNearestResult> {
  return kNearest(reference, reference, {
    k,
    leaveOneOut: true,
    reuseIndex: true, // the model's own copy of the rows, never written to
    signal: ctx.signal,
    onBlock: (step, totalSteps) => ctx.progress({ step, totalSteps, unit: 'iteration', metrics: {} }),
  });
}

/**
 * The scores of `X` for a model: its leave-one-out training scores when `X` is the matrix fit was just given
 * (the base class's threshold call), else `score(X)`.
 */
export async function scoreOrTraining<M extends NeighbourModel>(
  model: M,
  X: Matrix,
  score: (model: M, X: Matrix) => Promise<Float64Array>,
): Promise<Float32Array> {
  if (X === model.pendingTraining) {
    model.pendingTraining = null;
    return Float32Array.from(model.trainScores);
  }
  return Float32Array.from(await score(model, X));
}

/** Checks and reads a float64 vector tensor of length n from a state. */
export function f64Vector(state: ModelState, name: string, n: number, who: string): Float64Array {
  const t: Tensor | undefined = state.tensors[name];
  if (t?.dtype !== 'f64' || !(t.data instanceof Float64Array) || t.data.length !== n) {
    throw new ModelFormatError(`${who}: bad model state: "${name}" must be an f64 tensor of ${n} values`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(t.data[i])) throw new ModelFormatError(`${who}: bad model state: "${name}"[${i}] is not finite`);
  }
  return t.data;
}

/** Reads the shared part of a neighbour detector's state: the training rows, k and the training scores. */
export function readNeighbourState(state: ModelState, nNeighbors: number, who: string): NeighbourModel {
  const ref = state.tensors.reference;
  if (
    ref?.dtype !== 'f32' ||
    !(ref.data instanceof Float32Array) ||
    ref.shape.length !== 2 ||
    ref.data.length !== ref.shape[0] * ref.shape[1]
  ) {
    throw new ModelFormatError(`${who}: bad model state: "reference" must be an f32 [rows, cols] tensor`);
  }
  const [rows, cols] = ref.shape;
  if (rows < 2 || cols < 1) throw new ModelFormatError(`${who}: bad model state: "reference" has shape [${rows}, ${cols}]`);
  for (let i = 0; i < ref.data.length; i++) {
    if (!Number.isFinite(ref.data[i]))
      throw new ModelFormatError(`${who}: bad model state: "reference" holds a non-finite value`);
  }
  const k = state.meta.k;
  if (k !== neighbourCount(nNeighbors, rows, who)) {
    throw new ModelFormatError(
      `${who}: bad model state: k is ${JSON.stringify(k)} but nNeighbors ${nNeighbors} with ${rows} rows gives ${neighbourCount(nNeighbors, rows, who)}`,
    );
  }
  return {
    reference: matrix(ref.data, rows, cols),
    k,
    trainScores: f64Vector(state, 'trainScores', rows, who),
    pendingTraining: null,
  };
}

/**
 * The `neighbours` export spec of a fitted neighbour model (see `NeighboursExportSpec` in `@abc/core`): a copy of
 * the training rows, k, the score rule, and for LOF the training k-distances and lrds. It scores new rows as
 * `scoreSamples` does on rows that are not the training matrix itself.
 *
 * @example
 * neighbourExportSpec(model, 'largest', undefined, threshold); // KNN
 */
export function neighbourExportSpec(
  model: NeighbourModel,
  score: NeighboursExportSpec['score'],
  lof: { kDistance: Float64Array; lrd: Float64Array } | undefined,
  threshold: number | undefined,
): NeighboursExportSpec {
  const { reference: r } = model;
  return {
    kind: 'neighbours',
    score,
    nFeatures: r.cols,
    nReference: r.rows,
    reference: Float32Array.from(r.data),
    k: model.k,
    ...(lof ? { kDistance: Float64Array.from(lof.kDistance), lrd: Float64Array.from(lof.lrd) } : {}),
    ...(threshold === undefined ? {} : { threshold }),
  };
}
