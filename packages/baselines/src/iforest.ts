import {
  BaseDetector,
  ModelFormatError,
  type FitContext,
  type Labels,
  type Matrix,
  type ModelState,
  declareDetector,
  defineParams,
  withCommonParams,
  type ParamsOf,
} from '@abc/core';
import {
  ForestBuilder,
  checkForestFeatures,
  forestFromState,
  forestTensors,
  sumTrees,
  type FlatForest,
  treeEnsembleSpec,
  type TreeEnsembleExportSpec,
} from './trees.js';

export interface IsolationForestModel {
  forest: FlatForest;
  /** ψ: the subsample size each tree was grown on (maxSamples capped at n). */
  psi: number;
}

const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n): the average path length of an unsuccessful search in a binary search tree of n points, the
 * normaliser of Liu et al. (2008), with scikit-learn's conventions: c(n) = 0 for n <= 1, 1 for n = 2, and
 * 2 (ln(n − 1) + γ) − 2 (n − 1) / n otherwise (the harmonic number H(n − 1) approximated by ln + γ).
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** IsolationForest's parameters (the common ones, then its own). */
export const isolationForestParamSpace = withCommonParams(
  defineParams({
    nEstimators: {
      type: 'int',
      default: 100,
      min: 1,
      description: 'number of isolation trees',
      search: { low: 50, high: 500, log: true },
    },
    maxSamples: {
      type: 'int',
      default: 256,
      min: 2,
      description: "rows drawn (without replacement) to grow each tree, capped at the row count (scikit-learn's 'auto')",
      search: { low: 64, high: 2048, log: true },
    },
    maxFeatures: {
      type: 'float',
      default: 1,
      min: 0,
      max: 1,
      exclusiveMin: true,
      description: 'fraction of the features each tree may split on (at least one), drawn per tree without replacement',
      search: { low: 0.5, high: 1 },
    },
  }),
);

/** IsolationForest's parameters (derived from {@link isolationForestParamSpace}). */
export type IsolationForestParams = ParamsOf<typeof isolationForestParamSpace>;

/**
 * Isolation forest (Liu, Ting and Zhou 2008), unsupervised, as scikit-learn's `IsolationForest`: each tree
 * is grown on ψ = min(maxSamples, n) rows drawn without replacement, on a random subset of
 * round-down(maxFeatures · d) features, splitting on a random non-constant feature at a uniform random value
 * between the node's minimum and maximum, down to one row or the height limit ceil(log2 ψ). A leaf holding
 * m training rows at depth k counts as path length k + c(m).
 *
 * Score = 2^(−E[h(x)] / c(ψ)) in (0, 1], higher = more anomalous; it equals scikit-learn's
 * `-score_samples(X)` (scikit-learn's sign is the opposite). Not a probability: `hasProbability` is false and
 * the default threshold is the 0.9 quantile of the training scores (contamination 0.1).
 *
 * @example
 * const det = await new IsolationForest({ seed: 1 }).fit(Xnormal);
 * const scores = await det.scoreSamples(Xtest);  // about 0.5 for typical rows, near 1 for isolated ones
 */
export class IsolationForest extends BaseDetector<IsolationForestParams, IsolationForestModel> {
  static readonly declaration = declareDetector({
    name: 'iforest',
    supervision: 'unsupervised',
    hasProbability: false,
    learnsWithoutAnomalies: true,
    description: 'isolation forest (Liu et al. 2008); score = 2^(-E[h(x)]/c(psi)), as -score_samples of scikit-learn',
    budget: 'nEstimators',
    quickParams: { nEstimators: 25, maxSamples: 64 },
    paramSpace: isolationForestParamSpace,
  });
  /** @deprecated The space is `IsolationForest.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = isolationForestParamSpace;

  constructor(params?: Partial<IsolationForestParams>) {
    super(IsolationForest.declaration, params);
  }

  protected async fitModel(X: Matrix, _y: Labels | undefined, ctx: FitContext): Promise<IsolationForestModel> {
    const { nEstimators, maxSamples, maxFeatures } = this.params;
    const n = X.rows;
    const d = X.cols;
    const data = X.data;
    const psi = Math.min(maxSamples, n);
    const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
    const nFeat = Math.max(1, Math.floor(maxFeatures * d));
    const rng = ctx.rng;
    const builder = new ForestBuilder(nEstimators * (2 * psi - 1));

    const rows = new Int32Array(psi);
    // A permutation of 0..n-1 kept across trees: each tree takes the first ψ entries after ψ steps of a partial
    // Fisher-Yates shuffle, a uniform draw without replacement at O(ψ) cost instead of O(n).
    const pool = new Int32Array(n);
    for (let i = 0; i < n; i++) pool[i] = i;
    const feats = new Int32Array(nFeat);
    const cand = new Int32Array(nFeat);
    // Explicit stack of open nodes: local id, row range, depth.
    const stackId = new Int32Array(maxDepth + 2);
    const stackStart = new Int32Array(maxDepth + 2);
    const stackEnd = new Int32Array(maxDepth + 2);
    const stackDepth = new Int32Array(maxDepth + 2);

    for (let t = 0; t < nEstimators; t++) {
      for (let k = 0; k < psi; k++) {
        const j = k + rng.int(n - k);
        const tmp = pool[k];
        pool[k] = pool[j];
        pool[j] = tmp;
        rows[k] = pool[k];
      }
      if (nFeat < d) {
        const fs = rng.sample(d, nFeat);
        for (let k = 0; k < nFeat; k++) feats[k] = fs[k];
      } else {
        for (let k = 0; k < nFeat; k++) feats[k] = k;
      }

      let top = 0;
      stackId[0] = builder.addNode();
      stackStart[0] = 0;
      stackEnd[0] = psi;
      stackDepth[0] = 0;
      top = 1;
      while (top > 0) {
        top--;
        const id = stackId[top];
        const start = stackStart[top];
        const end = stackEnd[top];
        const depth = stackDepth[top];
        const size = end - start;
        let split = false;
        if (size > 1 && depth < maxDepth) {
          // Draw features without replacement until one is not constant on this node (as scikit-learn's
          // random splitter does), then a uniform threshold in [min, max).
          cand.set(feats);
          let left = nFeat;
          while (left > 0 && !split) {
            const pick = rng.int(left);
            const f = cand[pick];
            cand[pick] = cand[left - 1];
            left--;
            let lo = Infinity;
            let hi = -Infinity;
            for (let k = start; k < end; k++) {
              const v = data[rows[k] * d + f];
              if (v < lo) lo = v;
              if (v > hi) hi = v;
            }
            if (!(hi > lo)) continue;
            let thr = Math.fround(rng.uniform(lo, hi));
            if (thr >= hi) thr = lo; // keep x = hi on the right, as scikit-learn does
            // Partition rows[start:end) into <= thr | > thr.
            let i = start;
            let j = end - 1;
            while (i <= j) {
              if (data[rows[i] * d + f] <= thr) i++;
              else {
                const tmp = rows[i];
                rows[i] = rows[j];
                rows[j] = tmp;
                j--;
              }
            }
            const l = builder.addNode();
            const r = builder.addNode();
            builder.setSplit(id, f, thr, l, r);
            stackId[top] = r;
            stackStart[top] = i;
            stackEnd[top] = end;
            stackDepth[top] = depth + 1;
            top++;
            stackId[top] = l;
            stackStart[top] = start;
            stackEnd[top] = i;
            stackDepth[top] = depth + 1;
            top++;
            split = true;
          }
        }
        if (!split) builder.setLeaf(id, depth + averagePathLength(size));
      }
      builder.endTree();
      ctx.progress({ step: t + 1, totalSteps: nEstimators, unit: 'tree', metrics: {} });
    }
    return { forest: builder.build(), psi };
  }

  protected scoreModel(model: IsolationForestModel, X: Matrix): Float32Array {
    const nTrees = model.forest.treeOffsets.length - 1;
    const sums = sumTrees(model.forest, X);
    const denom = nTrees * averagePathLength(model.psi);
    const out = new Float32Array(X.rows);
    for (let i = 0; i < X.rows; i++) out[i] = denom > 0 ? 2 ** (-sums[i] / denom) : 0.5;
    return out;
  }

  protected modelToState(model: IsolationForestModel): ModelState {
    return { meta: { psi: model.psi }, tensors: forestTensors(model.forest) };
  }

  protected modelFromState(state: ModelState): IsolationForestModel {
    const psi = state.meta.psi;
    if (typeof psi !== 'number' || !Number.isInteger(psi) || psi < 1)
      throw new ModelFormatError('IsolationForest: state lacks psi');
    const forest = forestFromState(state, 'IsolationForest');
    if (typeof state.meta.nFeatures === 'number') checkForestFeatures(forest, state.meta.nFeatures, 'IsolationForest');
    return { forest, psi };
  }

  /** The fitted forest as a `'isolation'` tree-ensemble spec (see {@link TreeEnsembleExportSpec}). */
  toExportSpec(): TreeEnsembleExportSpec {
    const { forest, psi } = this.model;
    const nTrees = forest.treeOffsets.length - 1;
    return treeEnsembleSpec(forest, {
      aggregate: 'isolation',
      nFeatures: this.nFeatures!,
      treeWeights: new Float32Array(nTrees).fill(1 / nTrees),
      baseScore: 0,
      normalizer: averagePathLength(psi),
      threshold: this.threshold,
    });
  }
}
