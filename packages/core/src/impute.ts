import { ModelFormatError, ValidationError } from './errors.js';
import type { TransformerExportSpec } from './export-spec.js';
import { matrix, type Matrix } from './matrix.js';
import type { ParamSpace } from './params.js';
import { tensor, type ModelState } from './state.js';
import type { Table } from './table.js';
import { BaseTransformer } from './transformer.js';
import { checkFeatures, validateMatrix } from './validate.js';

/** How {@link SimpleImputer} picks each column's fill value. */
export type ImputeStrategy = 'mean' | 'median' | 'mostFrequent' | 'constant';

/** Parameters of {@link SimpleImputer}. */
export type SimpleImputerParams = {
  /** `'mean'` (default), `'median'`, `'mostFrequent'` (the smallest of the most frequent values) or `'constant'`. */
  strategy: ImputeStrategy;
  /** The fill value of the `'constant'` strategy. Default 0. */
  fillValue: number;
};

interface ImputeModel {
  /** Fit-time feature names, checked by position at transform when both sides have names. */
  names: readonly string[] | undefined;
  /** The fill value of each column (scikit-learn `statistics_`). */
  fill: Float64Array;
}

/**
 * Replaces missing values (NaN) column by column with the column's mean, median, most frequent value or a
 * constant, as scikit-learn's `SimpleImputer(missing_values=np.nan)`. Statistics ignore the missing values and
 * are computed in float64; the median of an even count is the mean of the two middle values; ties of
 * `'mostFrequent'` go to the smallest value (as scikit-learn and `scipy.stats.mode`).
 *
 * - NaN is accepted at fit and transform (`acceptsMissing`); ±Infinity is still rejected with a
 *   `ValidationError` (reason `'non-finite'`) naming the row and the column.
 * - A column with no observed value at fit raises a `ValidationError` (reason `'empty'`) naming it, except with
 *   `strategy: 'constant'`, which fills it with `fillValue`. (scikit-learn silently drops such a column, which
 *   would shift every later column; we prefer a clear error.)
 * - No `add_indicator`: the output has the input's columns and feature names.
 * - At transform, the column count must match (`'feature-count'`) and, when the fit and the transform input both
 *   have feature names, the names too, in order (`'feature-names'`), as scikit-learn checks them.
 * - `toExportSpec()` gives `{ kind: 'impute', fill }`: NaN in column j is replaced by `fill[j]`.
 *
 * @example
 * const imputer = new SimpleImputer({ strategy: 'median' });
 * const X = toMatrix([[1, NaN], [NaN, 4], [3, 6], [10, 5]]);
 * toRows(imputer.fitTransform(X));   // [[1, 5], [3, 4], [3, 6], [10, 5]]
 * imputer.statistics;                // Float64Array [3, 5]
 */
export class SimpleImputer extends BaseTransformer<SimpleImputerParams, ImputeModel> {
  static readonly paramSpace: ParamSpace = {
    strategy: {
      type: 'choice',
      default: 'mean',
      choices: ['mean', 'median', 'mostFrequent', 'constant'],
      description: "fill with each column's mean, median, most frequent value (smallest on ties), or fillValue",
    },
    fillValue: { type: 'float', default: 0, description: "the fill value of strategy 'constant'" },
  };

  readonly name = 'impute';
  override readonly acceptsMissing = true;

  constructor(params?: Partial<SimpleImputerParams>) {
    super(SimpleImputer.paramSpace, params);
  }

  /** The fill value of each column (scikit-learn `statistics_`). */
  get statistics(): Float64Array {
    return this.model.fill.slice();
  }

  /** `{ kind: 'impute', fill }`: NaN in column j becomes `fill[j]`. */
  toExportSpec(): TransformerExportSpec {
    return { kind: 'impute', fill: Float32Array.from(this.model.fill) };
  }

  protected override asMatrix(X: Matrix | Table): Matrix {
    return validateMatrix(super.asMatrix(X), { name: 'X', allowMissing: true });
  }

  protected fitModel(X: Matrix): ImputeModel {
    const { rows, cols, data } = X;
    const { strategy, fillValue } = this.params;
    const fill = new Float64Array(cols);
    if (strategy === 'constant') {
      fill.fill(fillValue);
      return { names: X.featureNames, fill };
    }
    const values = new Float64Array(rows);
    for (let j = 0; j < cols; j++) {
      let n = 0;
      for (let i = 0; i < rows; i++) {
        const v = data[i * cols + j];
        if (!Number.isNaN(v)) values[n++] = v;
      }
      if (n === 0) {
        const where = X.featureNames ? ` ("${X.featureNames[j]}")` : '';
        throw new ValidationError(
          'empty',
          `SimpleImputer: column ${j}${where} has no observed value (all ${rows} are missing), so strategy "${strategy}" ` +
            `has nothing to compute; drop the column or use strategy "constant"`,
        );
      }
      const observed = values.subarray(0, n);
      fill[j] = strategy === 'mean' ? mean(observed) : strategy === 'median' ? median(observed) : mostFrequent(observed);
    }
    return { names: X.featureNames, fill };
  }

  protected apply(m: ImputeModel, X: Matrix): Matrix {
    checkFeatures(X, { nFeatures: m.fill.length, featureNames: m.names }, 'SimpleImputer');
    const { rows, cols, data } = X;
    const out = new Float32Array(data);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const k = i * cols + j;
        if (Number.isNaN(out[k])) out[k] = m.fill[j];
      }
    }
    return matrix(out, rows, cols, X.featureNames);
  }

  protected modelToState(m: ImputeModel): ModelState {
    return { meta: {}, tensors: { fill: tensor(m.fill.slice()) } };
  }

  protected modelFromState(state: ModelState): ImputeModel {
    const n = state.meta.nFeatures;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw new ModelFormatError(`SimpleImputer state: nFeatures must be a positive integer, got ${String(n)}`);
    }
    const t = Object.hasOwn(state.tensors, 'fill') ? state.tensors.fill : undefined;
    if (!t || !(t.data instanceof Float64Array || t.data instanceof Float32Array) || t.data.length !== n) {
      throw new ModelFormatError(`SimpleImputer state: tensor "fill" must hold ${n} floats`);
    }
    const fill = Float64Array.from(t.data);
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(fill[j])) throw new ModelFormatError(`SimpleImputer state: fill[${j}] is ${fill[j]}`);
    }
    const names = state.meta.featureNames;
    if (
      names !== null &&
      names !== undefined &&
      (!Array.isArray(names) || names.length !== n || !names.every((v) => typeof v === 'string'))
    ) {
      throw new ModelFormatError(`SimpleImputer state: featureNames must be ${n} strings`);
    }
    return { names: (names as string[] | null) ?? undefined, fill };
  }
}

function mean(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

function median(v: Float64Array): number {
  const s = v.slice().sort();
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** The most frequent value; the smallest one among ties. */
function mostFrequent(v: Float64Array): number {
  const s = v.slice().sort();
  let best = s[0];
  let bestCount = 0;
  for (let i = 0; i < s.length; ) {
    let k = i + 1;
    while (k < s.length && s[k] === s[i]) k++;
    if (k - i > bestCount) {
      best = s[i];
      bestCount = k - i;
    }
    i = k;
  }
  return best;
}
