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
 * - `'sigmoid'`: the network outputs one logit; score = sigmoid(logit);
 * - `'linear'`: the network outputs one value; score = that value (DevNet, RoSAS: not a probability);
 * - `'centreDistance'`: the network maps x to a representation φ(x) of `centre.length` values;
 *   score = ||φ(x) − centre||² (Deep SAD, Deep SVDD).
 */
export interface DenseExportSpec {
  kind: 'dense';
  layers: DenseLayerSpec[];
  distance?: Distance;
  scoreKind: 'abc' | 'reconstruction' | 'sigmoid' | 'linear' | 'centreDistance';
  /** `'centreDistance'` only: the centre c, as many values as the network's outputs. */
  centre?: Float32Array;
  threshold?: number;
}

/**
 * A pair network scored against stored reference rows (PReNet, Pang et al., KDD 2023). With φ the `encoder`
 * stack (none: φ(x) = x), g the `head` stack ending in one unit, and r_1 .. r_E the rows of `references`
 * (E × D, row-major; PReNet's sampled labelled anomalies and unlabelled rows):
 *
 *   score(x) = (1 / E) Σ_e g(p_e),   p_e = [φ(x), φ(r_e)] where xFirst[e] = 1 (the default), [φ(r_e), φ(x)] where 0
 *
 * with [a, b] the concatenation, so g's first layer takes 2 · (φ's output size) inputs. PReNet scores
 * (1 / 2E) [Σ_e g([φ(a_e), φ(x)]) + Σ_e g([φ(x), φ(u_e)])]: references a_1 .. a_E then u_1 .. u_E, xFirst E zeros
 * then E ones.
 *
 * @example
 * const spec: PairMeanExportSpec = { kind: 'pairMean', encoder, head, references, nReferences: 16 };
 */
export interface PairMeanExportSpec {
  kind: 'pairMean';
  encoder: DenseLayerSpec[];
  head: DenseLayerSpec[];
  references: Float32Array;
  nReferences: number;
  /** Per reference, 1: the pair is (x, r_e); 0: (r_e, x). Absent: every pair is (x, r_e). */
  xFirst?: Uint8Array;
  threshold?: number;
}

/** One block of a {@link FeatureResidualExportSpec}'s head input. */
export type FeatureResidualInput = 'features' | 'residual' | 'normalizedResidual' | 'residualNorm';

/**
 * An autoencoder and a scoring head on its features and residual (FeaWAD, Zhou et al., TNNLS 2021). With
 * h = encoder(x), x̂ = decoder(h), r = x − x̂, e = ||r||₂ and r̂ = r / max(e + normEps, normFloor) (both default 0;
 * FeaWAD's r / max(e, 1e-12), PyTorch's `F.normalize`, is normFloor 1e-12):
 *
 *   input = concatenation of `headInput`'s blocks in order: `features` h, `residual` r,
 *           `normalizedResidual` r̂, `residualNorm` e (one value);
 *   score = head(input), the head's one output; with `residualNormToEveryLayer`, e is appended to the output
 *           of every head layer but the last before the next layer takes it.
 *
 * The authors' code (Keras) has headInput `['normalizedResidual', 'features', 'residualNorm']` and
 * `residualNormToEveryLayer: true`. A model trained on x̂ − x negates the rows of `head[0].W` that read r or r̂.
 *
 * @example
 * const spec: FeatureResidualExportSpec = {
 *   kind: 'featureResidual', encoder, decoder, head,
 *   headInput: ['normalizedResidual', 'features', 'residualNorm'], residualNormToEveryLayer: true,
 * };
 */
export interface FeatureResidualExportSpec {
  kind: 'featureResidual';
  encoder: DenseLayerSpec[];
  decoder: DenseLayerSpec[];
  head: DenseLayerSpec[];
  headInput: FeatureResidualInput[];
  residualNormToEveryLayer?: boolean;
  normEps?: number;
  /** The floor of r̂'s divisor: r̂ = r / max(e + normEps, normFloor), so a zero residual gives r̂ = 0 (default 0). */
  normFloor?: number;
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

// ---- Classical detectors (issue 18): per-feature step sums, neighbours, kernel SVMs, feature augmentation ----

/**
 * A sum over features of a step function of each feature (HBOS, ECOD, COPOD; any detector whose score adds up
 * one piecewise-constant function per feature):
 *
 *   score(x) = Σ_j values[cutOffsets[j] + j + r_j(x_j)]   (summed in float64, j = 0 .. d − 1, then rounded to float32)
 *
 * where r_j(v), the region of v, is the number of feature j's cuts that v passes. Feature j's cuts are
 * `cutOffsets[j] .. cutOffsets[j + 1] − 1`; cut i is passed when v ≥ thresholds[i] (`inclusive[i] = 1`) or
 * v > thresholds[i] (`inclusive[i] = 0`). Within a feature the cuts are in order (thresholds non-decreasing, at
 * one threshold the inclusive cut first), so that a value passing a cut passes every earlier one. Feature j has
 * one more value than cuts: values[cutOffsets[j] + j .. cutOffsets[j + 1] + j]. Thresholds are float32, so the
 * comparison with a float32 input is exact; values are float64, so the sum is the detector's own.
 *
 * ONNX: a branch-free binary search over the cuts in plain ops (Gather, Greater), a Gather from the float64 values,
 * a float64 ReduceSum.
 *
 * @example
 * // one feature: 0 below 1, 5 at exactly 1, 2 above it
 * const spec: FeatureStepsExportSpec = {
 *   kind: 'feature-steps', nFeatures: 1, cutOffsets: Int32Array.of(0, 2), thresholds: Float32Array.of(1, 1),
 *   inclusive: Uint8Array.of(1, 0), values: Float64Array.of(0, 5, 2),
 * };
 */
export interface FeatureStepsExportSpec {
  kind: 'feature-steps';
  nFeatures: number;
  /** nFeatures + 1 offsets into `thresholds` and `inclusive`, from 0 to the total cut count. */
  cutOffsets: Int32Array;
  thresholds: Float32Array;
  inclusive: Uint8Array;
  /** Per feature, its cut count + 1 values (region 0 below every cut, ...), feature after feature. */
  values: Float64Array;
  /** Which detector's formula made the table (`'hbos'`, `'ecod'`, ...): recorded as the model's score kind. */
  scoreKind?: string;
  /** The fitted detector's score threshold (score > threshold is an anomaly). */
  threshold?: number;
}

/**
 * A nearest-neighbour detector scoring new rows against its training rows (KNN, LOF). With d_1 ≤ ... ≤ d_k the
 * Euclidean distances from x to its k nearest reference rows o_1 .. o_k (ties: the lower reference index):
 * - `'largest'`: d_k; `'mean'`: Σ d_t / k; `'median'`: d_{(k+1)/2}, or the mean of the two middle ones for even k;
 * - `'lof'`: with reach_t = max(d_t, kDistance[o_t]) and lrd(x) = 1 / (Σ reach_t / k + 1e-10), the local
 *   outlier factor Σ_t (lrd[o_t] / lrd(x)) / k (scikit-learn's novelty LOF, as our LOF scores new rows).
 *
 * ONNX: in float64, a candidate search by the expansion ‖x‖² − 2 x·r + ‖r‖² (TopK of k + 16), the candidates'
 * distances recomputed as Σ (x − r)², TopK k. The reference rows are in the file: exporters refuse sets above a
 * documented size (`UnsupportedExportError`), and scoring needs about 8 · N · nReference bytes per batch of N rows.
 */
export interface NeighboursExportSpec {
  kind: 'neighbours';
  score: 'largest' | 'mean' | 'median' | 'lof';
  nFeatures: number;
  nReference: number;
  /** The training rows, row-major nReference × nFeatures. */
  reference: Float32Array;
  /** Neighbours per row, 1 ≤ k ≤ nReference. */
  k: number;
  /** `'lof'` only: each reference row's distance to its k-th neighbour (itself left out). */
  kDistance?: Float64Array;
  /** `'lof'` only: each reference row's local reachability density. */
  lrd?: Float64Array;
  /** The fitted detector's score threshold (score > threshold is an anomaly). */
  threshold?: number;
}

/**
 * A kernel SVM's decision function (our `ocsvm` and `svm`, libsvm's `svm_predict_values`), with the detector's sign:
 *
 *   score(x) = sign · (Σ_s dualCoef[s] · K(sv_s, x) − rho),   K(a, b) = exp(−gamma ‖a − b‖²) ('rbf', our SVMs' kernel)
 *
 * (`sign` −1 for the one-class SVM, whose score is −f(x); +1 for the C-SVC.) ONNX: the kernel sum in float64 with
 * plain ops (the `ai.onnx.ml` SVM operators compute in float32, and `SVMRegressor`'s `one_class` output is ±1,
 * not the score).
 */
export interface KernelSvmExportSpec {
  kind: 'svm';
  kernel: 'rbf';
  gamma: number;
  nFeatures: number;
  /** Support vectors, row-major nSupport × nFeatures. */
  supportVectors: Float32Array;
  /** One coefficient per support vector (y_s α_s for a C-SVC, α_s for a one-class SVM). */
  dualCoef: Float64Array;
  rho: number;
  sign: 1 | -1;
  /** The fitted detector's score threshold (score > threshold is an anomaly). */
  threshold?: number;
}

/**
 * Feature augmentation (XGBOD, Zhao and Hryniewicki 2018): member detectors score x (or its standardization x'),
 * their scores are standardized with given means and standard deviations, and a head detector scores x with them
 * appended:
 *
 *   x'_j = fround((x_j − scaler.center[j]) / scaler.scale[j])   (float64, as core's StandardScaler.transform)
 *   z_m = fround((s_m − mean[m]) / std[m])   (s_m the member's float32 score of x, or of x' where scaled[m] = 1;
 *                                             the arithmetic in float64)
 *   score(x) = head([x_0 .. x_{d−1}, z_0 .. z_{M−1}])
 *
 * The head's spec has nFeatures + members.length features (a `'sum-sigmoid'` tree spec for XGBOD). Every member
 * and the head must be exportable themselves; std[m] > 0. Scores that enter the head as they are (XGBOD, as PyOD)
 * take mean 0 and std 1, which gives z_m = s_m exactly. XGBOD's KNN, LOF and OCSVM members, which learn on the
 * standardized features, take `scaler: { center: standardScaler.mean, scale: standardScaler.scale }` and
 * scaled[m] = 1.
 *
 * @example
 * const spec: AugmentedExportSpec = {
 *   kind: 'augmented', nFeatures: d, members: [knn.toExportSpec(), hbos.toExportSpec()],
 *   mean: Float64Array.of(mKnn, mHbos), std: Float64Array.of(sKnn, sHbos), head: gtbOnAugmented.toExportSpec(),
 * };
 */
export interface AugmentedExportSpec {
  kind: 'augmented';
  nFeatures: number;
  members: DetectorExportSpec[];
  mean: Float64Array;
  std: Float64Array;
  head: DetectorExportSpec;
  /** The standardization the members with `scaled[m] = 1` score (float64 center and divisor per feature). */
  scaler?: { center: Float64Array; scale: Float64Array };
  /** With `scaler`: per member, 1 where it scores x' rather than x. */
  scaled?: Uint8Array;
  /** The fitted detector's score threshold (score > threshold is an anomaly). */
  threshold?: number;
}

/** The export specs of the classical detectors (issue 18), each a member of {@link DetectorExportSpec}. */
export type ClassicalExportSpec = FeatureStepsExportSpec | NeighboursExportSpec | KernelSvmExportSpec | AugmentedExportSpec;

export type DetectorExportSpec =
  | DenseExportSpec
  | TreesExportSpec
  | PairMeanExportSpec
  | FeatureResidualExportSpec
  | ClassicalExportSpec;

/**
 * Transformers: x' = (x − min) · scale; x' = (x − mean) / std; NaN replaced by fill.
 *
 * The optional float64 fields (given by core's scalers) let an exporter repeat the TypeScript arithmetic exactly:
 * `minmax` with `dataMin64`, `scale64` and `offset64` means x' = fround((x − dataMin64[j]) · scale64[j] + offset64),
 * `standard` with `mean64` and `std64` means x' = fround((x − mean64[j]) / std64[j]), each in float64 and rounded
 * to float32 once (as `MinMaxScaler`/`StandardScaler.transform`). Detectors whose scores jump exactly at training
 * values (HBOS, ECOD, COPOD) then see the same float32 values in the graph as in TypeScript; the float32 fields
 * alone can land a value a float32 step away. Where present they replace the float32 fields' formula.
 *
 * @example
 * const spec: TransformerExportSpec = {
 *   kind: 'standard', mean: Float32Array.of(2), std: Float32Array.of(3),
 *   mean64: Float64Array.of(2), std64: Float64Array.of(3),
 * };
 */
export type TransformerExportSpec =
  | {
      kind: 'minmax';
      min: Float32Array;
      scale: Float32Array;
      /** Per feature, the training minimum (float64): x' = fround((x − dataMin64[j]) · scale64[j] + offset64). */
      dataMin64?: Float64Array;
      /** Per feature, the float64 scale (with `dataMin64`). */
      scale64?: Float64Array;
      /** The output range's lower end, added after the scaling (with `dataMin64`; 0 when absent). */
      offset64?: number;
    }
  | {
      kind: 'standard';
      mean: Float32Array;
      std: Float32Array;
      /** Per feature, the float64 centre: x' = fround((x − mean64[j]) / std64[j]). */
      mean64?: Float64Array;
      /** Per feature, the float64 divisor (with `mean64`). */
      std64?: Float64Array;
    }
  | { kind: 'impute'; fill: Float32Array }
  | { kind: 'onehot'; [key: string]: unknown };
