import { ModelFormatError, tensor, type Matrix, type ModelState, type Tensor, type TreeEnsembleExportSpec } from '@abc/core';

/**
 * Tree ensembles in flat typed arrays: every node of every tree in one set of parallel arrays, tree t owning
 * the nodes `treeOffsets[t] .. treeOffsets[t + 1] - 1`. Node ids inside a tree are local (the root is 0), so
 * an exporter can write them as they are into ONNX's `nodes_nodeids` / `nodes_truenodeids`.
 *
 * A split node sends x to `left` when `x[feature] <= threshold` (ONNX `BRANCH_LEQ`), else to `right`;
 * thresholds are raw float32 feature values, never bin indices. A leaf has `feature = -1`,
 * `left = right = -1` and its output in `value`.
 */
export interface FlatForest {
  /** Split feature per node, -1 at leaves. */
  feature: Int32Array;
  /** Split value per node (x <= threshold goes left); 0 at leaves. */
  threshold: Float32Array;
  /** Local id of the left child (within the same tree), -1 at leaves. */
  left: Int32Array;
  /** Local id of the right child, -1 at leaves. */
  right: Int32Array;
  /** Leaf output; 0 at split nodes. */
  value: Float32Array;
  /** nTrees + 1 offsets into the node arrays. */
  treeOffsets: Int32Array;
}

/** The tree-ensemble export spec (its definition and ONNX mapping live in `@abc/core`'s export specs). */
export type { TreeEnsembleExportSpec } from '@abc/core';

/**
 * The export spec of a fitted forest: the forest's nodes copied, with the ensemble's aggregate and weights.
 *
 * @example
 * return treeEnsembleSpec(forest, { aggregate: 'sum-sigmoid', nFeatures, treeWeights, baseScore, threshold });
 */
export function treeEnsembleSpec(
  forest: FlatForest,
  ensemble: Pick<TreeEnsembleExportSpec, 'aggregate' | 'nFeatures' | 'treeWeights' | 'baseScore' | 'normalizer' | 'threshold'>,
): TreeEnsembleExportSpec {
  return {
    kind: 'trees',
    aggregate: ensemble.aggregate,
    nFeatures: ensemble.nFeatures,
    nTrees: forest.treeOffsets.length - 1,
    nodes: {
      feature: forest.feature.slice(),
      threshold: forest.threshold.slice(),
      left: forest.left.slice(),
      right: forest.right.slice(),
      value: forest.value.slice(),
    },
    treeOffsets: forest.treeOffsets.slice(),
    treeWeights: ensemble.treeWeights,
    baseScore: ensemble.baseScore,
    ...(ensemble.normalizer !== undefined ? { normalizer: ensemble.normalizer } : {}),
    ...(ensemble.threshold !== undefined ? { threshold: ensemble.threshold } : {}),
  };
}

/** Grows a forest node by node into doubling typed arrays. */
export class ForestBuilder {
  private cap: number;
  private size = 0;
  private treeStart = 0;
  private offsets: number[] = [0];
  feature: Int32Array;
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  value: Float32Array;

  constructor(capacity = 1024) {
    this.cap = Math.max(16, capacity);
    this.feature = new Int32Array(this.cap);
    this.threshold = new Float32Array(this.cap);
    this.left = new Int32Array(this.cap);
    this.right = new Int32Array(this.cap);
    this.value = new Float32Array(this.cap);
  }

  /** Adds a leaf-shaped node to the current tree and returns its local id. */
  addNode(): number {
    if (this.size === this.cap) this.grow();
    const k = this.size++;
    this.feature[k] = -1;
    this.left[k] = -1;
    this.right[k] = -1;
    this.threshold[k] = 0;
    this.value[k] = 0;
    return k - this.treeStart;
  }

  setSplit(local: number, feature: number, threshold: number, left: number, right: number): void {
    const k = this.treeStart + local;
    this.feature[k] = feature;
    this.threshold[k] = threshold;
    this.left[k] = left;
    this.right[k] = right;
  }

  setLeaf(local: number, value: number): void {
    const k = this.treeStart + local;
    this.feature[k] = -1;
    this.left[k] = -1;
    this.right[k] = -1;
    this.value[k] = value;
  }

  /** The absolute index of the current tree's first node. */
  get currentOffset(): number {
    return this.treeStart;
  }

  get nTrees(): number {
    return this.offsets.length - 1;
  }

  endTree(): void {
    this.offsets.push(this.size);
    this.treeStart = this.size;
  }

  /** Drops the nodes of the tree being built (or of the last finished one when none is open). */
  dropLastTree(): void {
    if (this.size === this.treeStart && this.offsets.length > 1) this.offsets.pop();
    this.size = this.offsets[this.offsets.length - 1];
    this.treeStart = this.size;
  }

  build(): FlatForest {
    const n = this.size;
    return {
      feature: this.feature.slice(0, n),
      threshold: this.threshold.slice(0, n),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      value: this.value.slice(0, n),
      treeOffsets: Int32Array.from(this.offsets),
    };
  }

  private grow(): void {
    this.cap *= 2;
    const grow = <T extends Int32Array | Float32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(this.cap);
      b.set(a);
      return b;
    };
    this.feature = grow(this.feature);
    this.threshold = grow(this.threshold);
    this.left = grow(this.left);
    this.right = grow(this.right);
    this.value = grow(this.value);
  }
}

/**
 * raw(x) = Σ_t w_t · v_t(x) for every row (w_t = 1 when `weights` is null), by iterative traversal over the
 * flat arrays. Sums in float64.
 */
export function sumTrees(forest: FlatForest, X: Matrix, weights: Float32Array | null = null): Float64Array {
  const { feature, threshold, left, right, value, treeOffsets } = forest;
  const nTrees = treeOffsets.length - 1;
  const d = X.cols;
  const data = X.data;
  const out = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    const base = i * d;
    let s = 0;
    for (let t = 0; t < nTrees; t++) {
      const off = treeOffsets[t];
      let node = off;
      let f = feature[node];
      while (f >= 0) {
        node = off + (data[base + f] <= threshold[node] ? left[node] : right[node]);
        f = feature[node];
      }
      s += weights === null ? value[node] : weights[t] * value[node];
    }
    out[i] = s;
  }
  return out;
}

/** The number of leaves of each tree (for reports and tests). */
export function leafCounts(forest: FlatForest): Int32Array {
  const nTrees = forest.treeOffsets.length - 1;
  const out = new Int32Array(nTrees);
  for (let t = 0; t < nTrees; t++) {
    for (let k = forest.treeOffsets[t]; k < forest.treeOffsets[t + 1]; k++) if (forest.feature[k] < 0) out[t]++;
  }
  return out;
}

/** The forest's arrays as state tensors. */
export function forestTensors(forest: FlatForest): { [name: string]: Tensor } {
  return {
    feature: tensor(forest.feature),
    threshold: tensor(forest.threshold),
    left: tensor(forest.left),
    right: tensor(forest.right),
    value: tensor(forest.value),
    treeOffsets: tensor(forest.treeOffsets),
  };
}

/** Reads a forest back from state tensors, checking types, lengths and child ids. */
export function forestFromState(state: ModelState, who: string): FlatForest {
  const get = <T extends Int32Array | Float32Array>(name: string, type: new (n: number) => T): T => {
    const t = state.tensors[name];
    if (!t || !(t.data instanceof type)) throw new ModelFormatError(`${who}: state lacks the ${type.name} tensor "${name}"`);
    return t.data as T;
  };
  const forest: FlatForest = {
    feature: get('feature', Int32Array),
    threshold: get('threshold', Float32Array),
    left: get('left', Int32Array),
    right: get('right', Int32Array),
    value: get('value', Float32Array),
    treeOffsets: get('treeOffsets', Int32Array),
  };
  const n = forest.feature.length;
  if (forest.threshold.length !== n || forest.left.length !== n || forest.right.length !== n || forest.value.length !== n) {
    throw new ModelFormatError(`${who}: node tensors have different lengths`);
  }
  const off = forest.treeOffsets;
  if (off.length < 2 || off[0] !== 0 || off[off.length - 1] !== n) throw new ModelFormatError(`${who}: bad treeOffsets`);
  for (let t = 0; t + 1 < off.length; t++) {
    const size = off[t + 1] - off[t];
    if (size < 1) throw new ModelFormatError(`${who}: tree ${t} is empty`);
    for (let k = off[t]; k < off[t + 1]; k++) {
      if (forest.feature[k] >= 0) {
        const l = forest.left[k];
        const r = forest.right[k];
        // Children come after their parent, so traversal always ends.
        if (!(l > k - off[t] && l < size && r > k - off[t] && r < size)) {
          throw new ModelFormatError(`${who}: tree ${t} node ${k - off[t]} has bad children`);
        }
      }
    }
  }
  return forest;
}

/** Checks that every split feature is below nFeatures (after load). */
export function checkForestFeatures(forest: FlatForest, nFeatures: number, who: string): void {
  for (let k = 0; k < forest.feature.length; k++) {
    if (forest.feature[k] >= nFeatures)
      throw new ModelFormatError(`${who}: node ${k} splits on feature ${forest.feature[k]} of ${nFeatures}`);
  }
}
