import { ModelFormatError, NotFittedError } from './errors.js';
import { checkFeatures } from './validate.js';
import type { TransformerExportSpec } from './export-spec.js';
import type { Matrix } from './matrix.js';
import { copyParams, resolveParams, type ParamSpace, type Params } from './params.js';
import type { ModelState } from './state.js';
import { isTable, tableToMatrix, type Table } from './table.js';

/**
 * A fitted, stateless-after-fit step of a pipeline: scalers, encoders, imputers. Transformers are
 * synchronous (they are cheap); a {@link Pipeline} awaits only its detector.
 *
 * @example
 * const scaler = new MinMaxScaler();
 * const Xs = scaler.fit(X).transform(X);   // every column of Xs in [0, 1] on the training data
 */
export interface Transformer<P extends Params = Params> {
  /** Registry name: `minmax`, `standard`, `onehot`, `impute`, or a plugin's own. */
  readonly name: string;
  readonly fitted: boolean;
  /** True when the transformer takes NaN (missing values) in its input. */
  readonly acceptsMissing: boolean;
  /** True when the transformer takes a {@link Table} with string columns (an encoder). */
  readonly acceptsTable: boolean;
  fit(X: Matrix | Table): this;
  transform(X: Matrix | Table): Matrix;
  fitTransform(X: Matrix | Table): Matrix;
  /** Names of the output columns, when known. */
  featureNamesOut(): string[] | undefined;
  getParams(): P;
  setParams(params: Partial<P>): this;
  clone(): Transformer<P>;
  getState(): ModelState;
  setState(state: ModelState): void;
  toExportSpec?(): TransformerExportSpec;
}

/**
 * Base for transformers over numeric matrices: params, the fitted flag, input-width checks and the
 * all-or-nothing commit of a fit. Subclasses give `fitModel`, `apply` and the state conversion.
 */
export abstract class BaseTransformer<P extends Params, M> implements Transformer<P> {
  abstract readonly name: string;
  readonly acceptsMissing: boolean = false;
  readonly acceptsTable: boolean = false;
  protected params: P;
  private state: { model: M; nFeatures: number; featureNames: readonly string[] | undefined } | null = null;

  constructor(
    protected readonly paramSpace: ParamSpace,
    params: Partial<P> | undefined,
  ) {
    this.params = resolveParams(paramSpace, params as Record<string, unknown>, new.target.name) as P;
  }

  get fitted(): boolean {
    return this.state !== null;
  }

  protected get model(): M {
    if (this.state === null) throw new NotFittedError(this.constructor.name);
    return this.state.model;
  }

  getParams(): P {
    return copyParams(this.params);
  }

  setParams(params: Partial<P>): this {
    this.params = resolveParams(this.paramSpace, { ...this.params, ...params }, this.constructor.name) as P;
    this.state = null;
    return this;
  }

  clone(): this {
    const Ctor = this.constructor as new (params: Partial<P>) => this;
    return new Ctor(this.getParams());
  }

  fit(X: Matrix | Table): this {
    const Xm = this.asMatrix(X);
    const model = this.fitModel(Xm);
    this.state = { model, nFeatures: Xm.cols, featureNames: Xm.featureNames };
    return this;
  }

  transform(X: Matrix | Table): Matrix {
    const s = this.state;
    if (s === null) throw new NotFittedError(this.constructor.name);
    const Xm = this.asMatrix(X);
    checkFeatures(Xm, { nFeatures: s.nFeatures, featureNames: s.featureNames }, this.constructor.name);
    return this.apply(s.model, Xm);
  }

  fitTransform(X: Matrix | Table): Matrix {
    return this.fit(X).transform(X);
  }

  featureNamesOut(): string[] | undefined {
    return this.state?.featureNames ? [...this.state.featureNames] : undefined;
  }

  getState(): ModelState {
    const s = this.state;
    if (s === null) throw new NotFittedError(this.constructor.name);
    const inner = this.modelToState(s.model);
    return {
      meta: { ...inner.meta, nFeatures: s.nFeatures, featureNames: s.featureNames ? [...s.featureNames] : null },
      tensors: inner.tensors,
    };
  }

  setState(state: ModelState): void {
    const { nFeatures, featureNames } = state.meta;
    if (typeof nFeatures !== 'number') throw new ModelFormatError(`${this.constructor.name}.setState: state lacks nFeatures`);
    this.state = {
      model: this.modelFromState(state),
      nFeatures,
      featureNames: Array.isArray(featureNames) ? featureNames.map(String) : undefined,
    };
  }

  /** Numeric transformers take a Table only when all its columns are numeric. */
  protected asMatrix(X: Matrix | Table): Matrix {
    return isTable(X) ? tableToMatrix(X) : X;
  }

  protected abstract fitModel(X: Matrix): M;
  protected abstract apply(model: M, X: Matrix): Matrix;
  protected abstract modelToState(model: M): ModelState;
  protected abstract modelFromState(state: ModelState): M;
}
