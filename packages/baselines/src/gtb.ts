import {
  BaseDetector,
  ModelFormatError,
  sigmoid,
  stratifiedSplit,
  type FitContext,
  type Labels,
  type Matrix,
  type ModelState,
  declareDetector,
  defineParams,
  withCommonParams,
  type ParamsOf,
} from '@abc/core';
import { binColumns, binTraining, type Bins } from './binning.js';
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

export interface GradientTreeBoostingModel {
  forest: FlatForest;
  /** The initial raw prediction: log-odds of the training anomaly rate. */
  baseScore: number;
  /** Boosting iterations run (fewer than maxIter when early stopping fired). */
  nIter: number;
}

/** scikit-learn's min_hessian_to_split. */
const MIN_HESSIAN = 1e-3;

/** GradientTreeBoosting's parameters (the common ones, then its own). */
export const gradientTreeBoostingParamSpace = withCommonParams(
  defineParams({
    learningRate: {
      type: 'float',
      default: 0.1,
      min: 0,
      exclusiveMin: true,
      description: 'shrinkage: each leaf value is multiplied by it',
      search: { low: 0.01, high: 0.3, log: true },
    },
    maxIter: {
      type: 'int',
      default: 100,
      min: 1,
      description: 'boosting iterations (one tree each), at most',
      search: { low: 50, high: 500, log: true },
    },
    maxLeafNodes: {
      type: 'int',
      default: 31,
      min: 2,
      nullable: true,
      description: 'leaves per tree, at most (null: no limit); trees grow best-first (leaf-wise)',
      search: { low: 8, high: 128, log: true },
    },
    maxDepth: {
      type: 'int',
      default: null,
      min: 1,
      nullable: true,
      description: 'depth of a tree (edges from the root), at most; null: no limit',
    },
    minSamplesLeaf: {
      type: 'int',
      default: 20,
      min: 1,
      description: 'training rows in a leaf, at least',
      search: { low: 5, high: 100, log: true },
    },
    l2Regularization: {
      type: 'float',
      default: 0,
      min: 0,
      description: 'L2 penalty λ on leaf values (added to the hessian sums)',
      search: { low: 0, high: 1 },
    },
    maxBins: {
      type: 'int',
      default: 255,
      min: 2,
      max: 255,
      description: 'quantile bins per feature, at most (split candidates are the bin edges)',
    },
    earlyStopping: {
      type: 'choice',
      default: 'auto',
      choices: ['auto', 'true', 'false'],
      description: "stop on a held-out validation loss: 'auto' = on when there are more than 10,000 rows",
    },
    validationFraction: {
      type: 'float',
      default: 0.1,
      min: 0,
      max: 1,
      exclusiveMin: true,
      exclusiveMax: true,
      description: 'share of rows held out (stratified) for early stopping',
    },
    nIterNoChange: {
      type: 'int',
      default: 10,
      min: 1,
      description: 'early stopping: iterations without an improvement of the validation loss before stopping',
    },
    tol: {
      type: 'float',
      default: 1e-7,
      min: 0,
      description: 'early stopping: the smallest improvement of the validation loss that counts',
    },
  }),
);

/** GradientTreeBoosting's parameters (derived from {@link gradientTreeBoostingParamSpace}). */
export type GradientTreeBoostingParams = ParamsOf<typeof gradientTreeBoostingParamSpace>;

/**
 * Histogram gradient tree boosting for binary labels (supervised), after scikit-learn's
 * `HistGradientBoostingClassifier` and LightGBM: features are binned into at most `maxBins` quantile bins fit
 * on the training rows; each iteration fits one regression tree to the gradients and hessians of the binary
 * log-loss, grown leaf-wise (best gain first) up to `maxLeafNodes` leaves, from per-bin gradient/hessian
 * sums, with the histogram-subtraction trick (the larger child's histogram = parent − smaller child's).
 * Split gain = G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ); leaf value = −lr · G/(H+λ).
 *
 * Early stopping (`earlyStopping`: 'auto' = on when n > 10,000, as scikit-learn) holds out a stratified
 * `validationFraction` of the rows and stops when the validation log-loss has not improved by more than `tol`
 * for `nIterNoChange` iterations. Score = p(anomaly | x) = sigmoid(raw) (`hasProbability`), as
 * scikit-learn's `predict_proba(X)[:, 1]` with label 1 = anomaly.
 *
 * @example
 * const det = await new GradientTreeBoosting({ seed: 0 }).fit(X, y);   // y: 1 = anomaly
 * const p = await det.predictProba(Xtest);
 */
export class GradientTreeBoosting extends BaseDetector<GradientTreeBoostingParams, GradientTreeBoostingModel> {
  static readonly declaration = declareDetector({
    name: 'gtb',
    supervision: 'supervised',
    hasProbability: true,
    learnsWithoutAnomalies: false,
    description:
      'histogram gradient tree boosting (binary log-loss, leaf-wise, as HistGradientBoostingClassifier); score = p(anomaly)',
    budget: 'maxIter',
    quickParams: { maxIter: 15 },
    paramSpace: gradientTreeBoostingParamSpace,
  });
  /** @deprecated The space is `GradientTreeBoosting.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = gradientTreeBoostingParamSpace;

  constructor(params?: Partial<GradientTreeBoostingParams>) {
    super(GradientTreeBoosting.declaration, params);
  }

  protected async fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<GradientTreeBoostingModel> {
    const p = this.params;
    const labels = y!;
    const n = X.rows;
    const early = p.earlyStopping === 'auto' ? n > 10_000 : p.earlyStopping === 'true';
    const { train, val } = early
      ? stratifiedSplit(labels, p.validationFraction, ctx.rng, { order: 'sorted' })
      : { train: null, val: null };
    const nt = train ? train.length : n;
    const { bins, B } = binTraining(X, p.maxBins, train ?? undefined);
    const yt = train ? Uint8Array.from(train, (i) => labels[i]) : labels;

    let pos = 0;
    for (let i = 0; i < nt; i++) pos += yt[i];
    const eps = 2.220446049250313e-16;
    const rate = Math.min(1 - eps, Math.max(eps, pos / nt));
    const baseScore = Math.log(rate / (1 - rate));

    const raw = new Float64Array(nt).fill(baseScore);
    const g = new Float64Array(nt);
    const h = new Float64Array(nt);
    const grower = new HistGrower(B, nt, bins, p);

    let Bv: Uint8Array | null = null;
    let yv: Uint8Array | null = null;
    let rawVal: Float64Array | null = null;
    const valScores: number[] = [];
    if (val) {
      Bv = binColumns(X, bins, val);
      yv = Uint8Array.from(val, (i) => labels[i]);
      rawVal = new Float64Array(val.length).fill(baseScore);
      valScores.push(-logLoss(rawVal, yv));
    }

    const builder = new ForestBuilder(p.maxIter * (2 * (p.maxLeafNodes ?? 64) - 1));
    let nIter = 0;
    for (let it = 0; it < p.maxIter; it++) {
      for (let i = 0; i < nt; i++) {
        const pr = sigmoid(raw[i]);
        g[i] = pr - yt[i];
        h[i] = pr * (1 - pr);
      }
      const tree = grower.grow(g, h);
      // Training predictions from the leaves' row ranges; float32 leaf values, as scoring uses.
      for (const leaf of tree.leaves) {
        const v = Math.fround(tree.value[leaf]);
        for (let k = tree.start[leaf]; k < tree.end[leaf]; k++) raw[grower.idx[k]] += v;
      }
      for (let k = 0; k < tree.size; k++) {
        const id = builder.addNode();
        const f = tree.feature[k];
        if (f >= 0) builder.setSplit(id, f, bins.thresholds[f][tree.bin[k]], tree.left[k], tree.right[k]);
        else builder.setLeaf(id, tree.value[k]);
      }
      builder.endTree();
      nIter = it + 1;
      const metrics: { [name: string]: number } = { loss: logLoss(raw, yt), leaves: tree.leaves.length };
      let stop = false;
      if (Bv && yv && rawVal) {
        const nv = yv.length;
        for (let i = 0; i < nv; i++) {
          let node = 0;
          while (tree.feature[node] >= 0) {
            node = Bv[tree.feature[node] * nv + i] <= tree.bin[node] ? tree.left[node] : tree.right[node];
          }
          rawVal[i] += Math.fround(tree.value[node]);
        }
        const vl = logLoss(rawVal, yv);
        metrics.valLoss = vl;
        valScores.push(-vl);
        stop = shouldStop(valScores, p.nIterNoChange, p.tol);
      }
      ctx.progress({ step: nIter, totalSteps: p.maxIter, unit: 'iteration', metrics });
      if (stop) break;
    }
    return { forest: builder.build(), baseScore, nIter };
  }

  protected scoreModel(model: GradientTreeBoostingModel, X: Matrix): Float32Array {
    const raw = sumTrees(model.forest, X);
    const out = new Float32Array(X.rows);
    for (let i = 0; i < X.rows; i++) out[i] = sigmoid(model.baseScore + raw[i]);
    return out;
  }

  protected modelToState(model: GradientTreeBoostingModel): ModelState {
    return { meta: { baseScore: model.baseScore, nIter: model.nIter }, tensors: forestTensors(model.forest) };
  }

  protected modelFromState(state: ModelState): GradientTreeBoostingModel {
    const { baseScore, nIter } = state.meta;
    if (typeof baseScore !== 'number' || typeof nIter !== 'number')
      throw new ModelFormatError('GradientTreeBoosting: state lacks baseScore or nIter');
    const forest = forestFromState(state, 'GradientTreeBoosting');
    if (typeof state.meta.nFeatures === 'number') checkForestFeatures(forest, state.meta.nFeatures, 'GradientTreeBoosting');
    return { forest, baseScore, nIter };
  }

  /** Iterations run at the last fit (fewer than maxIter when early stopping fired). */
  get nIter(): number | undefined {
    return this.fitted ? this.model.nIter : undefined;
  }

  /** The fitted ensemble as a `'sum-sigmoid'` tree-ensemble spec (see {@link TreeEnsembleExportSpec}). */
  toExportSpec(): TreeEnsembleExportSpec {
    const { forest, baseScore } = this.model;
    const nTrees = forest.treeOffsets.length - 1;
    return treeEnsembleSpec(forest, {
      aggregate: 'sum-sigmoid',
      nFeatures: this.nFeatures!,
      treeWeights: new Float32Array(nTrees).fill(1),
      baseScore: baseScore,
      threshold: this.threshold,
    });
  }
}

/** Mean binary log-loss of raw log-odds: log(1 + e^r) − y r, computed stably. */
function logLoss(raw: Float64Array, y: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i];
    s += (r > 0 ? r + Math.log1p(Math.exp(-r)) : Math.log1p(Math.exp(r))) - y[i] * r;
  }
  return s / raw.length;
}

/** scikit-learn's rule: stop when none of the last n scores beats the one before them by more than tol. */
function shouldStop(scores: number[], n: number, tol: number): boolean {
  if (scores.length < n + 1) return false;
  const ref = scores[scores.length - n - 1] + tol;
  for (let k = scores.length - n; k < scores.length; k++) if (scores[k] > ref) return false;
  return true;
}

/** Per-bin sums, interleaved: [3k] = Σg, [3k + 1] = Σh, [3k + 2] = row count (exact in float64). */
type Hist = Float64Array;

interface GrowNode {
  id: number;
  start: number;
  end: number;
  depth: number;
  sumG: number;
  sumH: number;
  hist: Hist | null;
  gain: number;
  feature: number;
  bin: number;
  gL: number;
  hL: number;
}

/** One grown tree in local arrays (bin splits), with each leaf's row range in the grower's `idx`. */
interface GrownTree {
  size: number;
  feature: Int32Array;
  bin: Int32Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  start: Int32Array;
  end: Int32Array;
  leaves: number[];
}

/** Leaf-wise histogram tree growth on column-major binned data (scikit-learn's TreeGrower, binary log-loss). */
class HistGrower {
  readonly idx: Int32Array;
  private readonly scratch: Int32Array;
  private readonly og: Float64Array;
  private readonly oh: Float64Array;
  private readonly featOff: Int32Array;
  private readonly nBins: Int32Array;
  private readonly totalBins: number;
  private readonly pool: Hist[] = [];
  private readonly maxNodes: number;
  private readonly tree: GrownTree;

  constructor(
    private readonly B: Uint8Array,
    private readonly n: number,
    bins: Bins,
    private readonly p: GradientTreeBoostingParams,
  ) {
    const d = bins.thresholds.length;
    this.idx = new Int32Array(n);
    this.scratch = new Int32Array(n);
    this.og = new Float64Array(n);
    this.oh = new Float64Array(n);
    this.nBins = Int32Array.from(bins.thresholds, (t) => t.length + 1);
    this.featOff = new Int32Array(d + 1);
    for (let f = 0; f < d; f++) this.featOff[f + 1] = this.featOff[f] + this.nBins[f];
    this.totalBins = this.featOff[d];
    this.maxNodes = p.maxLeafNodes !== null ? 2 * p.maxLeafNodes - 1 : 2 * n - 1;
    const m = Math.min(this.maxNodes, 2 * n - 1);
    this.tree = {
      size: 0,
      feature: new Int32Array(m),
      bin: new Int32Array(m),
      left: new Int32Array(m),
      right: new Int32Array(m),
      value: new Float64Array(m),
      start: new Int32Array(m),
      end: new Int32Array(m),
      leaves: [],
    };
  }

  private take(): Hist {
    return this.pool.pop() ?? new Float64Array(3 * this.totalBins);
  }

  private release(node: GrowNode): void {
    if (node.hist) this.pool.push(node.hist);
    node.hist = null;
  }

  grow(g: Float64Array, h: Float64Array): GrownTree {
    const { p, n, idx, tree } = this;
    const minLeaf = p.minSamplesLeaf;
    for (let i = 0; i < n; i++) idx[i] = i;
    tree.size = 0;
    tree.leaves = [];
    let sumG = 0;
    let sumH = 0;
    for (let i = 0; i < n; i++) {
      sumG += g[i];
      sumH += h[i];
    }
    const root = this.newNode(0, n, 0, sumG, sumH);
    const heap: GrowNode[] = [];
    if (n >= 2 * minLeaf && sumH >= MIN_HESSIAN && p.maxDepth !== 0) {
      root.hist = this.take();
      this.buildHist(root.hist, 0, n, g, h, true);
      if (this.findSplit(root)) heap.push(root);
      else this.finalize(root);
    } else this.finalize(root);

    let nLeaves = 1;
    while (heap.length > 0) {
      let best = 0;
      for (let k = 1; k < heap.length; k++) if (heap[k].gain > heap[best].gain) best = k;
      const node = heap[best];
      heap[best] = heap[heap.length - 1];
      heap.pop();

      const mid = this.partition(node);
      const left = this.newNode(node.start, mid, node.depth + 1, node.gL, node.hL);
      const right = this.newNode(mid, node.end, node.depth + 1, node.sumG - node.gL, node.sumH - node.hL);
      tree.feature[node.id] = node.feature;
      tree.bin[node.id] = node.bin;
      tree.left[node.id] = left.id;
      tree.right[node.id] = right.id;
      nLeaves++;

      if (p.maxLeafNodes !== null && nLeaves >= p.maxLeafNodes) {
        this.release(node);
        this.finalize(left);
        this.finalize(right);
        for (const other of heap) {
          this.release(other);
          this.finalize(other);
        }
        heap.length = 0;
        break;
      }
      const depthOk = p.maxDepth === null || node.depth + 1 < p.maxDepth;
      const canL = depthOk && left.end - left.start >= 2 * minLeaf;
      const canR = depthOk && right.end - right.start >= 2 * minLeaf;
      if (canL || canR) {
        const leftSmaller = left.end - left.start <= right.end - right.start;
        const small = leftSmaller ? left : right;
        const large = leftSmaller ? right : left;
        const canSmall = leftSmaller ? canL : canR;
        const canLarge = leftSmaller ? canR : canL;
        small.hist = this.take();
        this.buildHist(small.hist, small.start, small.end, g, h, false);
        if (canLarge) {
          // Histogram subtraction, in the parent's buffer: large = parent − small.
          const ph = node.hist!;
          const sh = small.hist;
          for (let k = 0; k < ph.length; k++) ph[k] -= sh[k];
          large.hist = ph;
          node.hist = null;
        } else this.release(node);
        if (!canSmall) this.release(small);
      } else this.release(node);
      for (const [child, can] of [
        [left, canL],
        [right, canR],
      ] as const) {
        if (can && child.hist && this.findSplit(child)) heap.push(child);
        else {
          this.release(child);
          this.finalize(child);
        }
      }
    }
    return tree;
  }

  private newNode(start: number, end: number, depth: number, sumG: number, sumH: number): GrowNode {
    const t = this.tree;
    const id = t.size++;
    t.feature[id] = -1;
    t.bin[id] = 0;
    t.left[id] = -1;
    t.right[id] = -1;
    t.value[id] = 0;
    t.start[id] = start;
    t.end[id] = end;
    return { id, start, end, depth, sumG, sumH, hist: null, gain: 0, feature: -1, bin: 0, gL: 0, hL: 0 };
  }

  private finalize(node: GrowNode): void {
    const v = -node.sumG / (node.sumH + this.p.l2Regularization + 1e-15);
    this.tree.value[node.id] = this.p.learningRate * v;
    this.tree.leaves.push(node.id);
  }

  private buildHist(hist: Hist, start: number, end: number, g: Float64Array, h: Float64Array, all: boolean): void {
    hist.fill(0);
    const { B, n, idx, featOff } = this;
    const d = featOff.length - 1;
    const m = end - start;
    const nBins = this.nBins;
    if (all) {
      for (let f = 0; f < d; f++) {
        if (nBins[f] < 2) continue; // a constant feature cannot split
        const col = f * n;
        const off = featOff[f];
        for (let i = 0; i < n; i++) {
          const b = 3 * (off + B[col + i]);
          hist[b] += g[i];
          hist[b + 1] += h[i];
          hist[b + 2]++;
        }
      }
      return;
    }
    const { og, oh } = this;
    for (let k = 0; k < m; k++) {
      const i = idx[start + k];
      og[k] = g[i];
      oh[k] = h[i];
    }
    for (let f = 0; f < d; f++) {
      if (nBins[f] < 2) continue;
      const col = f * n;
      const off = featOff[f];
      for (let k = 0; k < m; k++) {
        const b = 3 * (off + B[col + idx[start + k]]);
        hist[b] += og[k];
        hist[b + 1] += oh[k];
        hist[b + 2]++;
      }
    }
  }

  /** Finds the best split of a node from its histogram; false when no split has a positive gain. */
  private findSplit(node: GrowNode): boolean {
    const hist = node.hist!;
    const lambda = this.p.l2Regularization;
    const minLeaf = this.p.minSamplesLeaf;
    const count = node.end - node.start;
    const { sumG, sumH } = node;
    const parent = (sumG * sumG) / (sumH + lambda);
    const d = this.featOff.length - 1;
    let bestGain = 0;
    let bestF = -1;
    let bestBin = 0;
    let bestGL = 0;
    let bestHL = 0;
    for (let f = 0; f < d; f++) {
      const off = this.featOff[f];
      const nb = this.nBins[f];
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb - 1; b++) {
        const k = 3 * (off + b);
        gl += hist[k];
        hl += hist[k + 1];
        cl += hist[k + 2];
        if (cl < minLeaf) continue;
        if (count - cl < minLeaf) break;
        if (hl < MIN_HESSIAN) continue;
        const hr = sumH - hl;
        if (hr < MIN_HESSIAN) break;
        const gr = sumG - gl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestF = f;
          bestBin = b;
          bestGL = gl;
          bestHL = hl;
        }
      }
    }
    if (bestF < 0) return false;
    node.gain = bestGain;
    node.feature = bestF;
    node.bin = bestBin;
    node.gL = bestGL;
    node.hL = bestHL;
    return true;
  }

  /** Stable partition of the node's rows: bin <= split bin first; returns the boundary. */
  private partition(node: GrowNode): number {
    const { B, n, idx, scratch } = this;
    const col = node.feature * n;
    const bin = node.bin;
    let l = node.start;
    let r = 0;
    for (let k = node.start; k < node.end; k++) {
      const i = idx[k];
      if (B[col + i] <= bin) idx[l++] = i;
      else scratch[r++] = i;
    }
    idx.set(scratch.subarray(0, r), l);
    return l;
  }
}
