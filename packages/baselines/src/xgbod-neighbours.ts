/**
 * XGBOD's KNN and LOF members from one neighbour search: the k nearest rows for the largest k serve every smaller
 * k (neighbour lists are ascending by exact float64 distance, ties by the lower training index, so the first k of
 * them are exactly the k-nearest list), and the training rows are kept once instead of once per member.
 * The scores equal those of `new KNN({ nNeighbors: k, method: 'largest' })` and `new LOF({ nNeighbors: k })`.
 */
import {
  ModelFormatError,
  matrix,
  tensor,
  type Matrix,
  type ModelState,
  type NeighboursExportSpec,
  type Tensor,
} from '@abc/core';
import { aggregate } from './knn.js';
import { lrdRatios, reachabilityDensity } from './lof.js';
import { kNearest } from './neighbours/index.js';
import { copyRows, f64Vector } from './neighbour-model.js';

/** The fitted neighbour members. */
export interface NeighbourMembers {
  /** The (standardized) training rows, the reference of every search. */
  reference: Matrix;
  /** KNN members' k (method 'largest'), each < the training row count. */
  knn: readonly number[];
  /** LOF members' k, each < the training row count. */
  lof: readonly number[];
  /** Per LOF member, each training row's distance to its k-th neighbour (itself left out). */
  kDistance: Float64Array[];
  /** Per LOF member, each training row's local reachability density. */
  lrd: Float64Array[];
}

/** Per member, one score per row (float64): KNN members first, then LOF members, each in list order. */
export interface NeighbourScores {
  knn: Float64Array[];
  lof: Float64Array[];
}

/** The first k of each row's kMax neighbours (distances and indices), row after row. */
function firstK(distances: Float64Array, indices: Int32Array, kMax: number, k: number): { d: Float64Array; i: Int32Array } {
  if (k === kMax) return { d: distances, i: indices };
  const rows = distances.length / kMax;
  const d = new Float64Array(rows * k);
  const i = new Int32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    d.set(distances.subarray(r * kMax, r * kMax + k), r * k);
    i.set(indices.subarray(r * kMax, r * kMax + k), r * k);
  }
  return { d, i };
}

function maxK(knn: readonly number[], lof: readonly number[]): number {
  return Math.max(0, ...knn, ...lof);
}

/**
 * Fits the KNN and LOF members on `X` (copied) with one leave-one-out search for the largest k, and gives their
 * training scores (PyOD's `decision_scores_`: each row left out of its own neighbours). Abortable between query
 * blocks through `signal`. Every k must be < `X.rows`.
 *
 * @example
 * const { model, train } = await fitNeighbourMembers(Xstd, [1, 5], [5]);
 * train.knn[1]; // = (await new KNN({ nNeighbors: 5 }).fit(Xstd)).trainingScores
 */
export async function fitNeighbourMembers(
  X: Matrix,
  knn: readonly number[],
  lof: readonly number[],
  signal?: AbortSignal,
): Promise<{ model: NeighbourMembers; train: NeighbourScores }> {
  const reference = copyRows(X);
  const kMax = maxK(knn, lof);
  const n = X.rows;
  const found = await kNearest(reference, reference, { k: kMax, leaveOneOut: true, reuseIndex: true, signal });
  const train: NeighbourScores = { knn: [], lof: [] };
  for (const k of knn) train.knn.push(aggregate(firstK(found.distances, found.indices, kMax, k).d, k, 'largest'));
  const kDistance: Float64Array[] = [];
  const lrd: Float64Array[] = [];
  for (const k of lof) {
    const { d, i } = firstK(found.distances, found.indices, kMax, k);
    const kd = new Float64Array(n);
    for (let r = 0; r < n; r++) kd[r] = d[r * k + k - 1];
    const density = reachabilityDensity(d, i, k, kd);
    kDistance.push(kd);
    lrd.push(density);
    train.lof.push(lrdRatios(density, i, k, density));
  }
  return { model: { reference, knn: [...knn], lof: [...lof], kDistance, lrd }, train };
}

/**
 * The members' scores of new rows (PyOD's `decision_function`: every training row is a candidate neighbour), from
 * one search for the largest k.
 *
 * @example
 * const scores = await scoreNeighbourMembers(model, Xstd);
 * scores.lof[0]; // LOF of each row at the first LOF member's k
 */
export async function scoreNeighbourMembers(model: NeighbourMembers, Q: Matrix): Promise<NeighbourScores> {
  const kMax = maxK(model.knn, model.lof);
  const out: NeighbourScores = { knn: [], lof: [] };
  if (kMax === 0) return out;
  const found = await kNearest(model.reference, Q, { k: kMax, reuseIndex: true });
  for (const k of model.knn) out.knn.push(aggregate(firstK(found.distances, found.indices, kMax, k).d, k, 'largest'));
  model.lof.forEach((k, m) => {
    const { d, i } = firstK(found.distances, found.indices, kMax, k);
    out.lof.push(lrdRatios(model.lrd[m], i, k, reachabilityDensity(d, i, k, model.kDistance[m])));
  });
  return out;
}

/**
 * The members' export specs (`NeighboursExportSpec`, see `@abc/core`), KNN members then LOF members in list order:
 * the (standardized) training rows, k, and for LOF each training row's k-distance and lrd. Every spec holds the
 * training rows (one shared `Float32Array`); the ONNX graph scores new rows as {@link scoreNeighbourMembers}.
 *
 * @example
 * const { knn, lof } = neighbourMembersExportSpecs(model);
 * knn[0].k; // the first KNN member's k
 */
export function neighbourMembersExportSpecs(model: NeighbourMembers): {
  knn: NeighboursExportSpec[];
  lof: NeighboursExportSpec[];
} {
  const { reference: r } = model;
  const reference = Float32Array.from(r.data);
  const base = { kind: 'neighbours', nFeatures: r.cols, nReference: r.rows, reference } as const;
  return {
    knn: model.knn.map((k) => ({ ...base, score: 'largest', k })),
    lof: model.lof.map((k, m) => ({
      ...base,
      score: 'lof',
      k,
      kDistance: Float64Array.from(model.kDistance[m]),
      lrd: Float64Array.from(model.lrd[m]),
    })),
  };
}

/** The state of the neighbour members: k lists in `meta`, the rows once, each LOF member's k-distances and lrds. */
export function neighbourMembersToState(model: NeighbourMembers): ModelState {
  const { reference: r } = model;
  const tensors: { [name: string]: Tensor } = { reference: tensor(r.data, [r.rows, r.cols]) };
  model.lof.forEach((k, m) => {
    tensors[`lof${k}/kDistance`] = tensor(model.kDistance[m]);
    tensors[`lof${k}/lrd`] = tensor(model.lrd[m]);
  });
  return { meta: { knn: [...model.knn], lof: [...model.lof] }, tensors };
}

/**
 * Reads the state of {@link neighbourMembersToState} back, checking it against the expected k lists and feature
 * count; a mismatch or a malformed tensor is a `ModelFormatError`.
 */
export function neighbourMembersFromState(
  state: ModelState,
  knn: readonly number[],
  lof: readonly number[],
  nFeatures: number,
): NeighbourMembers {
  const who = 'xgbod neighbour members';
  const same = (a: unknown, b: readonly number[]) => Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);
  if (!same(state.meta.knn, knn) || !same(state.meta.lof, lof)) {
    throw new ModelFormatError(
      `${who}: the saved k lists (knn ${JSON.stringify(state.meta.knn)}, lof ${JSON.stringify(state.meta.lof)}) differ from the params' (knn ${JSON.stringify(knn)}, lof ${JSON.stringify(lof)})`,
    );
  }
  const ref = state.tensors.reference;
  if (
    ref?.dtype !== 'f32' ||
    !(ref.data instanceof Float32Array) ||
    ref.shape.length !== 2 ||
    ref.shape[1] !== nFeatures ||
    ref.data.length !== ref.shape[0] * ref.shape[1]
  ) {
    throw new ModelFormatError(`${who}: "reference" must be an f32 [rows, ${nFeatures}] tensor`);
  }
  const rows = ref.shape[0];
  if (maxK(knn, lof) >= rows) throw new ModelFormatError(`${who}: a k of ${maxK(knn, lof)} needs more than ${rows} rows`);
  for (let i = 0; i < ref.data.length; i++) {
    if (!Number.isFinite(ref.data[i])) throw new ModelFormatError(`${who}: "reference" holds a non-finite value`);
  }
  const kDistance = lof.map((k) => f64Vector(state, `lof${k}/kDistance`, rows, who));
  const lrd = lof.map((k) => f64Vector(state, `lof${k}/lrd`, rows, who));
  return { reference: matrix(ref.data, rows, nFeatures), knn: [...knn], lof: [...lof], kDistance, lrd };
}
