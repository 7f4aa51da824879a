import { ModelFormatError, UnsupportedExportError, ValidationError } from './errors.js';
import type { TransformerExportSpec } from './export-spec.js';
import { matrix, type Matrix } from './matrix.js';
import { resolveParams, type ParamSpace } from './params.js';
import { tensor, type ModelState, type Tensor } from './state.js';
import type { Table } from './table.js';
import { BaseTransformer } from './transformer.js';
import { checkFeatures, validateMatrix } from './validate.js';

// Column statistics are computed and kept in float64 (as scikit-learn's float64 accumulators); inputs and
// outputs are float32 matrices, so a result is the float64 value rounded once to float32.

/** Parameters of {@link MinMaxScaler}. */
export type MinMaxScalerParams = {
  /** Lower end of the output range (scikit-learn's `feature_range[0]`). Default 0. */
  min: number;
  /** Upper end of the output range (scikit-learn's `feature_range[1]`); must be greater than `min`. Default 1. */
  max: number;
  /** Clip transformed values to `[min, max]`; otherwise values outside the training range map outside it. Default false. */
  clip: boolean;
};

interface MinMaxModel {
  /** Fit-time feature names, checked by position at transform when both sides have names. */
  names: readonly string[] | undefined;
  dataMin: Float64Array;
  dataMax: Float64Array;
  /** (max − min) / (dataMax − dataMin), or (max − min) for a constant column. */
  scale: Float64Array;
}

/**
 * Rescales each column to `[min, max]` (default `[0, 1]`) using the training minimum and maximum, as
 * scikit-learn's `MinMaxScaler`: `x' = (x − dataMin) · scale + min` with `scale = (max − min) / (dataMax − dataMin)`.
 *
 * - A constant column (zero range, or a range below 10 float64 epsilons, as scikit-learn) has its range
 *   counted as 1, so `scale = max − min` and its training value maps to `min`, never to NaN or Infinity.
 * - Input must be finite: NaN (missing) and ±Infinity raise a `ValidationError` (reason `'non-finite'`) naming
 *   the row and the column; put a {@link SimpleImputer} in front for missing values.
 * - `clip: true` clips outputs to `[min, max]`; such a scaler has no export spec (the spec has no clip).
 * - At transform, the column count must match (`'feature-count'`) and, when the fit and the transform input both
 *   have feature names, the names too, in order (`'feature-names'`), as scikit-learn checks them.
 * - `toExportSpec()` gives `{ kind: 'minmax', min: m, scale: s }` meaning `x' = (x − m) · s`, with
 *   `s = scale` and `m = dataMin − min / scale` (the output offset folded into the input offset), which is the
 *   same affine map.
 *
 * @example
 * const scaler = new MinMaxScaler();                          // or new MinMaxScaler({ min: -1, max: 1 })
 * const Xs = scaler.fitTransform(toMatrix([[0, 10], [5, 10], [10, 10]]));
 * toRows(Xs);                                                 // [[0, 0], [0.5, 0], [1, 0]] (column 1 is constant)
 * toRows(scaler.inverseTransform(Xs));                        // [[0, 10], [5, 10], [10, 10]]
 */
export class MinMaxScaler extends BaseTransformer<MinMaxScalerParams, MinMaxModel> {
  static readonly paramSpace: ParamSpace = {
    min: { type: 'float', default: 0, description: 'lower end of the output range (scikit-learn feature_range[0])' },
    max: {
      type: 'float',
      default: 1,
      description: 'upper end of the output range (scikit-learn feature_range[1]); must be > min',
    },
    clip: {
      type: 'bool',
      default: false,
      description: 'clip transformed values to [min, max] (otherwise values outside the training range map outside it)',
    },
  };

  readonly name = 'minmax';

  constructor(params?: Partial<MinMaxScalerParams>) {
    super(MinMaxScaler.paramSpace, params);
    checkFeatureRange(this.params);
  }

  override setParams(params: Partial<MinMaxScalerParams>): this {
    checkFeatureRange(
      resolveParams(MinMaxScaler.paramSpace, { ...this.params, ...params }, 'MinMaxScaler') as MinMaxScalerParams,
    );
    return super.setParams(params);
  }

  /** Per-column training minimum (scikit-learn `data_min_`). */
  get dataMin(): Float64Array {
    return this.model.dataMin.slice();
  }
  /** Per-column training maximum (scikit-learn `data_max_`). */
  get dataMax(): Float64Array {
    return this.model.dataMax.slice();
  }
  /** Per-column factor: `(max − min) / (dataMax − dataMin)`, or `max − min` for a constant column (scikit-learn `scale_`). */
  get scale(): Float64Array {
    return this.model.scale.slice();
  }

  /** Maps scaled values back to the input space: `x = (x' − min) / scale + dataMin` (clipped values stay clipped). */
  inverseTransform(X: Matrix | Table): Matrix {
    const m = this.model;
    const Xm = this.asMatrix(X);
    checkFeatures(Xm, { nFeatures: m.scale.length, featureNames: m.names }, 'MinMaxScaler');
    const fmin = this.params.min;
    return mapColumns(Xm, (v, j) => (v - fmin) / m.scale[j] + m.dataMin[j]);
  }

  /**
   * `{ kind: 'minmax', min, scale }` with `x' = (x − min) · scale` (see the class notes), plus the float64
   * `dataMin64`, `scale64`, `offset64` that repeat `transform` exactly. Not available with `clip`.
   */
  toExportSpec(): TransformerExportSpec {
    const m = this.model;
    if (this.params.clip) {
      throw new UnsupportedExportError('MinMaxScaler with clip: true has no export spec: the minmax spec cannot clip');
    }
    const n = m.scale.length;
    const min = new Float32Array(n);
    const scale = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      min[j] = m.dataMin[j] - this.params.min / m.scale[j];
      scale[j] = m.scale[j];
    }
    return {
      kind: 'minmax',
      min,
      scale,
      dataMin64: m.dataMin.slice(),
      scale64: m.scale.slice(),
      offset64: this.params.min,
    };
  }

  protected override asMatrix(X: Matrix | Table): Matrix {
    return validateMatrix(super.asMatrix(X), { name: 'X' });
  }

  protected fitModel(X: Matrix): MinMaxModel {
    const { rows, cols, data } = X;
    const dataMin = new Float64Array(cols).fill(Infinity);
    const dataMax = new Float64Array(cols).fill(-Infinity);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const v = data[i * cols + j];
        if (v < dataMin[j]) dataMin[j] = v;
        if (v > dataMax[j]) dataMax[j] = v;
      }
    }
    const span = this.params.max - this.params.min;
    const scale = new Float64Array(cols);
    for (let j = 0; j < cols; j++) {
      const range = dataMax[j] - dataMin[j];
      // scikit-learn's _handle_zeros_in_scale: a range below 10 eps counts as zero and becomes 1.
      scale[j] = span / (range < 10 * Number.EPSILON ? 1 : range);
    }
    return { names: X.featureNames, dataMin, dataMax, scale };
  }

  protected apply(m: MinMaxModel, X: Matrix): Matrix {
    checkFeatures(X, { nFeatures: m.scale.length, featureNames: m.names }, 'MinMaxScaler');
    const { min: lo, max: hi, clip } = this.params;
    return mapColumns(X, (v, j) => {
      const y = (v - m.dataMin[j]) * m.scale[j] + lo;
      return clip ? Math.min(Math.max(y, lo), hi) : y;
    });
  }

  protected modelToState(m: MinMaxModel): ModelState {
    return { meta: {}, tensors: { dataMin: tensor(m.dataMin.slice()), dataMax: tensor(m.dataMax.slice()) } };
  }

  protected modelFromState(state: ModelState): MinMaxModel {
    const n = stateWidth(state, 'MinMaxScaler');
    const dataMin = readVector(state, 'dataMin', n, 'MinMaxScaler');
    const dataMax = readVector(state, 'dataMax', n, 'MinMaxScaler');
    // Recomputing the scale from the stored extremes gives the fit's exact float64 values.
    const span = this.params.max - this.params.min;
    const scale = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      if (!(dataMax[j] >= dataMin[j])) {
        throw new ModelFormatError(`MinMaxScaler state: dataMax[${j}] (${dataMax[j]}) is below dataMin[${j}] (${dataMin[j]})`);
      }
      const range = dataMax[j] - dataMin[j];
      scale[j] = span / (range < 10 * Number.EPSILON ? 1 : range);
    }
    return { names: stateNames(state, n, 'MinMaxScaler'), dataMin, dataMax, scale };
  }
}

/** Parameters of {@link StandardScaler}. */
export type StandardScalerParams = {
  /** Subtract the column mean. Default true. */
  withMean: boolean;
  /** Divide by the column standard deviation. Default true. */
  withStd: boolean;
};

interface StandardModel {
  /** Fit-time feature names, checked by position at transform when both sides have names. */
  names: readonly string[] | undefined;
  /** Training mean and population variance of each column (kept whatever the params). */
  mean: Float64Array;
  variance: Float64Array;
  /** What transform uses: the mean or 0, the std (1 for constant columns) or 1. */
  center: Float64Array;
  std: Float64Array;
  nSamples: number;
}

/**
 * Standardizes each column, as scikit-learn's `StandardScaler`: `x' = (x − mean) / std` with the population
 * standard deviation (ddof = 0), computed in float64 by the corrected two-pass algorithm.
 *
 * - A column whose variance is indistinguishable from zero (scikit-learn's `_is_constant_feature` bound,
 *   `var ≤ n·ε·var + (n·mean·ε)²`) gets std 1, so a constant column maps to 0, never to NaN.
 * - `withMean: false` skips the centring (mean 0 in the export spec); `withStd: false` skips the scaling (std 1).
 * - Input must be finite: NaN and ±Infinity raise a `ValidationError` naming the row and the column.
 * - At transform, the column count must match (`'feature-count'`) and, when the fit and the transform input both
 *   have feature names, the names too, in order (`'feature-names'`), as scikit-learn checks them.
 * - `toExportSpec()` gives `{ kind: 'standard', mean, std }` meaning `x' = (x − mean) / std`.
 *
 * @example
 * const scaler = new StandardScaler();
 * const Xs = scaler.fitTransform(toMatrix([[1, 5], [3, 5]]));
 * toRows(Xs);                           // [[-1, 0], [1, 0]]: mean 2, std 1; column 1 is constant
 * scaler.mean;                          // Float64Array [2, 5]
 */
export class StandardScaler extends BaseTransformer<StandardScalerParams, StandardModel> {
  static readonly paramSpace: ParamSpace = {
    withMean: { type: 'bool', default: true, description: 'subtract the column mean' },
    withStd: { type: 'bool', default: true, description: 'divide by the column standard deviation (population, ddof = 0)' },
  };

  readonly name = 'standard';

  constructor(params?: Partial<StandardScalerParams>) {
    super(StandardScaler.paramSpace, params);
  }

  /** Per-column training mean (scikit-learn `mean_`), whatever `withMean`. */
  get mean(): Float64Array {
    return this.model.mean.slice();
  }
  /** Per-column training population variance (scikit-learn `var_`). */
  get variance(): Float64Array {
    return this.model.variance.slice();
  }
  /** Per-column divisor used by transform: the std, 1 for constant columns, all 1 with `withStd: false` (scikit-learn `scale_`). */
  get scale(): Float64Array {
    return this.model.std.slice();
  }

  /** Maps standardized values back: `x = x' · std + mean`. */
  inverseTransform(X: Matrix | Table): Matrix {
    const m = this.model;
    const Xm = this.asMatrix(X);
    checkFeatures(Xm, { nFeatures: m.std.length, featureNames: m.names }, 'StandardScaler');
    return mapColumns(Xm, (v, j) => v * m.std[j] + m.center[j]);
  }

  /**
   * `{ kind: 'standard', mean, std }`: `x' = (x − mean) / std` (mean 0 without `withMean`, std 1 without `withStd`),
   * plus the float64 `mean64`, `std64` that repeat `transform` exactly.
   */
  toExportSpec(): TransformerExportSpec {
    const m = this.model;
    return {
      kind: 'standard',
      mean: Float32Array.from(m.center),
      std: Float32Array.from(m.std),
      mean64: m.center.slice(),
      std64: m.std.slice(),
    };
  }

  protected override asMatrix(X: Matrix | Table): Matrix {
    return validateMatrix(super.asMatrix(X), { name: 'X' });
  }

  protected fitModel(X: Matrix): StandardModel {
    const { rows: n, cols, data } = X;
    const mean = new Float64Array(cols);
    for (let i = 0; i < n; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j];
    for (let j = 0; j < cols; j++) mean[j] /= n;
    // Corrected two-pass variance (Chan, Golub and LeVeque): sum of squared deviations minus the square of
    // the summed deviations over n, which cancels most of the rounding of the mean.
    const sq = new Float64Array(cols);
    const lin = new Float64Array(cols);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < cols; j++) {
        const d = data[i * cols + j] - mean[j];
        sq[j] += d * d;
        lin[j] += d;
      }
    }
    const variance = new Float64Array(cols);
    for (let j = 0; j < cols; j++) variance[j] = Math.max(0, (sq[j] - (lin[j] * lin[j]) / n) / n);
    return this.derive(X.featureNames, mean, variance, n);
  }

  private derive(
    names: readonly string[] | undefined,
    mean: Float64Array,
    variance: Float64Array,
    nSamples: number,
  ): StandardModel {
    const cols = mean.length;
    const center = this.params.withMean ? mean.slice() : new Float64Array(cols);
    const std = new Float64Array(cols).fill(1);
    if (this.params.withStd) {
      for (let j = 0; j < cols; j++) {
        std[j] = isConstantFeature(variance[j], mean[j], nSamples) ? 1 : Math.sqrt(variance[j]);
      }
    }
    return { names, mean, variance, center, std, nSamples };
  }

  protected apply(m: StandardModel, X: Matrix): Matrix {
    checkFeatures(X, { nFeatures: m.std.length, featureNames: m.names }, 'StandardScaler');
    return mapColumns(X, (v, j) => (v - m.center[j]) / m.std[j]);
  }

  protected modelToState(m: StandardModel): ModelState {
    return {
      meta: { nSamples: m.nSamples },
      tensors: { mean: tensor(m.mean.slice()), variance: tensor(m.variance.slice()) },
    };
  }

  protected modelFromState(state: ModelState): StandardModel {
    const n = stateWidth(state, 'StandardScaler');
    const mean = readVector(state, 'mean', n, 'StandardScaler');
    const variance = readVector(state, 'variance', n, 'StandardScaler');
    const nSamples = state.meta.nSamples;
    if (typeof nSamples !== 'number' || !Number.isInteger(nSamples) || nSamples < 1) {
      throw new ModelFormatError(`StandardScaler state: nSamples must be a positive integer, got ${String(nSamples)}`);
    }
    for (let j = 0; j < n; j++) {
      if (!(variance[j] >= 0)) throw new ModelFormatError(`StandardScaler state: variance[${j}] is ${variance[j]}`);
    }
    return this.derive(stateNames(state, n, 'StandardScaler'), mean, variance, nSamples);
  }
}

/** scikit-learn's `_is_constant_feature`: the variance is within the rounding bound of the two-pass algorithm. */
function isConstantFeature(variance: number, mean: number, n: number): boolean {
  const eps = Number.EPSILON;
  const bound = n * eps * variance + (n * mean * eps) ** 2;
  return variance <= bound;
}

function checkFeatureRange(p: MinMaxScalerParams): void {
  if (!(p.min < p.max)) {
    throw new ValidationError(
      'param',
      `MinMaxScaler: parameter "min" must be smaller than "max", got min ${p.min} and max ${p.max}`,
    );
  }
}

/** The fit-time feature names a state carries (BaseTransformer writes them into `meta.featureNames`). */
function stateNames(state: ModelState, n: number, who: string): readonly string[] | undefined {
  const names = state.meta.featureNames;
  if (names === null || names === undefined) return undefined;
  if (!Array.isArray(names) || names.length !== n || !names.every((v) => typeof v === 'string')) {
    throw new ModelFormatError(`${who} state: featureNames must be ${n} strings`);
  }
  return names as string[];
}

/** A new matrix with `f(value, column)` at each position, computed in float64; feature names are kept. */
function mapColumns(X: Matrix, f: (v: number, j: number) => number): Matrix {
  const { rows, cols, data } = X;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[o + j] = f(data[o + j], j);
  }
  return matrix(out, rows, cols, X.featureNames);
}

function stateWidth(state: ModelState, who: string): number {
  const n = state.meta.nFeatures;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new ModelFormatError(`${who} state: nFeatures must be a positive integer, got ${String(n)}`);
  }
  return n;
}

/** A float vector tensor of length n from a state, as float64 (f32 accepted), every value finite. */
function readVector(state: ModelState, name: string, n: number, who: string): Float64Array {
  const t: Tensor | undefined = Object.hasOwn(state.tensors, name) ? state.tensors[name] : undefined;
  if (!t || !(t.data instanceof Float64Array || t.data instanceof Float32Array) || t.data.length !== n) {
    throw new ModelFormatError(`${who} state: tensor "${name}" must hold ${n} floats`);
  }
  const out = Float64Array.from(t.data);
  for (let j = 0; j < n; j++) {
    if (!Number.isFinite(out[j])) throw new ModelFormatError(`${who} state: ${name}[${j}] is ${out[j]}`);
  }
  return out;
}
