/**
 * Export specs: plain data that a detector or transformer gives through `toExportSpec()`, from which
 * `@abc/onnx-export` builds an ONNX graph without knowing the detector's class. A plugin that returns one of
 * these exports too.
 */
export type Activation = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'leakyRelu';

/** y = activation(x W + b), W row-major [inputSize, outputSize]. */
export interface DenseLayerSpec {
  W: Float32Array;
  b: Float32Array;
  inputSize: number;
  outputSize: number;
  activation: Activation;
}

/** How a reconstruction error L is computed from x and its reconstruction r. */
export type Distance = 'meanSquared' | 'l2' | 'squaredL2';

/**
 * A dense network. `scoreKind`:
 * - `'abc'`: the network reconstructs x; L = distance(x, r); score = 1 − exp(−L) (p(anomaly | x));
 * - `'reconstruction'`: the network reconstructs x; score = L;
 * - `'sigmoid'`: the network outputs one logit; score = sigmoid(logit).
 */
export interface DenseExportSpec {
  kind: 'dense';
  layers: DenseLayerSpec[];
  distance?: Distance;
  scoreKind: 'abc' | 'reconstruction' | 'sigmoid';
  threshold?: number;
}

/** Tree ensembles (isolation forest, boosting), in flat arrays an exporter can walk; filled in by the baselines. */
export interface TreesExportSpec {
  kind: 'trees';
  [key: string]: unknown;
}

/**
 * The export spec every tree detector of this package gives (`toExportSpec()`), core's `{ kind: 'trees' }`
 * made concrete. With v_t(x) the leaf value x reaches in tree t:
 *
 *   raw(x) = baseScore + Σ_t treeWeights[t] · v_t(x)
 *
 * and the score by `aggregate`:
 * - `'isolation'` (IsolationForest): v_t = depth of the leaf + c(leaf size), treeWeights = 1 / nTrees, so raw
 *   is the mean path length E[h(x)]; score = 2^(−raw / normalizer) with normalizer = c(ψ).
 * - `'sum-sigmoid'` (GTB): v_t = the leaf's shrunk log-odds step, treeWeights = 1, baseScore = the initial
 *   log-odds; score = 1 / (1 + exp(−raw)).
 * - `'weighted-vote'` (RUSBoost): v_t ∈ {0, 1} (the class the leaf votes for), treeWeights = α_t / Σ α,
 *   baseScore = 0; score = raw.
 *
 * ONNX: one `ai.onnx.ml.TreeEnsembleRegressor` (mode `BRANCH_LEQ`, aggregate `SUM`, target weight of a leaf =
 * treeWeights[t] · value, base_values = [baseScore]) gives raw; the post step is a few standard ops.
 */
export interface TreeEnsembleExportSpec extends TreesExportSpec {
  kind: 'trees';
  aggregate: 'isolation' | 'sum-sigmoid' | 'weighted-vote';
  nFeatures: number;
  nTrees: number;
  /** A split node sends x left when `x[feature] <= threshold`; a leaf has feature −1. */
  nodes: {
    feature: Int32Array;
    threshold: Float32Array;
    left: Int32Array;
    right: Int32Array;
    value: Float32Array;
  };
  treeOffsets: Int32Array;
  treeWeights: Float32Array;
  baseScore: number;
  /** `'isolation'` only: c(ψ), the average path length of an unsuccessful BST search over ψ points. */
  normalizer?: number;
  /** The fitted detector's score threshold (score > threshold is an anomaly). */
  threshold?: number;
}

export type DetectorExportSpec = DenseExportSpec | TreesExportSpec;

/** Transformers: x' = (x − min) · scale; x' = (x − mean) / std; NaN replaced by fill. */
export type TransformerExportSpec =
  | { kind: 'minmax'; min: Float32Array; scale: Float32Array }
  | { kind: 'standard'; mean: Float32Array; std: Float32Array }
  | { kind: 'impute'; fill: Float32Array }
  | { kind: 'onehot'; [key: string]: unknown };
