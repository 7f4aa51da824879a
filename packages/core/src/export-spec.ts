/**
 * Export specs: plain data that a detector or transformer gives through `toExportSpec()`, from which
 * `@abc/onnx-export` builds an ONNX graph without knowing the detector's class. A plugin that returns one of
 * these exports too.
 */
export type Activation = 'tanh' | 'sigmoid' | 'relu' | 'linear';

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

export type DetectorExportSpec = DenseExportSpec | TreesExportSpec;

/** Transformers: x' = (x − min) · scale; x' = (x − mean) / std; NaN replaced by fill. */
export type TransformerExportSpec =
  | { kind: 'minmax'; min: Float32Array; scale: Float32Array }
  | { kind: 'standard'; mean: Float32Array; std: Float32Array }
  | { kind: 'impute'; fill: Float32Array }
  | { kind: 'onehot'; [key: string]: unknown };
