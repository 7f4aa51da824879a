import { AbortError, ModelFormatError, NotFittedError, ValidationError, throwIfAborted } from './errors.js';
import type { DetectorExportSpec } from './export-spec.js';
import { matrix, type Matrix } from './matrix.js';
import { commonDetectorParams, copyParams, resolveParams, type ParamSpace, type Params, type ParamsOf } from './params.js';
import { Random } from './random.js';
import type { JsonValue, ModelState } from './state.js';
import { countLabels, validateLabels, validateMatrix, type DataLike, type Labels, type LabelsLike } from './validate.js';

/** Whether a detector learns from labels (`supervised`) or from the data alone (`unsupervised`). */
export type Supervision = 'supervised' | 'unsupervised';

/** A progress report during fit, one per epoch, tree or iteration. */
export interface ProgressEvent {
  step: number;
  totalSteps: number;
  unit: 'epoch' | 'tree' | 'iteration';
  metrics: { [name: string]: number };
}

export interface FitOptions {
  /** Stops the fit at the next safe point with an `AbortError`; the detector is left as it was before. */
  signal?: AbortSignal;
  /** Called after each epoch, tree or iteration. */
  onProgress?: (event: ProgressEvent) => void;
}

/**
 * The contract every detector implements, ours or a plugin's. Scores are higher for more anomalous rows.
 * Labels are 1 = anomaly, 0 = normal. Compute methods are async so that an ONNX-backed detector can stand
 * in for a trained one anywhere.
 *
 * @example
 * const det = createDetector('abc', { variant: 'ae', seed: 1 });
 * await det.fit(X, y);                       // y: 1 = known anomaly, 0 = normal
 * const scores = await det.scoreSamples(Xt);  // Float32Array, higher = more anomalous
 * const flags = await det.predict(Xt);        // Uint8Array of 0/1 at the threshold
 */
export interface Detector<P extends Params = Params> {
  /** The registry name (`abc`, `iforest`, a plugin's own). */
  readonly name: string;
  readonly supervision: Supervision;
  /** True when `predictProba` gives a probability of anomaly. */
  readonly hasProbability: boolean;
  readonly fitted: boolean;
  /** Feature count seen at fit (undefined before). */
  readonly nFeatures: number | undefined;
  /** Feature names seen at fit, when the training matrix had them. */
  readonly featureNames: readonly string[] | undefined;
  /** The score threshold `predict` uses (undefined before fit). */
  readonly threshold: number | undefined;

  fit(X: DataLike, y?: LabelsLike | null, options?: FitOptions): Promise<this>;
  scoreSamples(X: DataLike): Promise<Float32Array>;
  /** p(anomaly | x) for detectors with a probability; others raise. */
  predictProba(X: DataLike): Promise<Float32Array>;
  /** 1 where score > threshold. */
  predict(X: DataLike): Promise<Uint8Array>;

  getParams(): P;
  setParams(params: Partial<P>): this;
  /** An unfitted copy with equal params. */
  clone(): Detector<P>;

  /** The fitted state as plain data (for persistence). */
  getState(): ModelState;
  /** Restores a fitted state produced by `getState` of a detector with the same params. */
  setState(state: ModelState): void;
  /** Export spec for ONNX, where the detector can be exported. */
  toExportSpec?(): DetectorExportSpec;
}

/** What a detector class declares about itself (see {@link declareDetector}). */
export interface DetectorDeclaration<S extends ParamSpace = ParamSpace> {
  /** The registry name: lowercase letters, digits, `-`, `_`. */
  readonly name: string;
  readonly supervision: Supervision;
  /** True when `predictProba` gives p(anomaly). */
  readonly hasProbability: boolean;
  /** One line for `abc list`. */
  readonly description: string;
  /**
   * Whether fit learns something from training data that holds no labelled anomaly: true for every unsupervised
   * detector and for label-aware ones that fall back to a one-class objective (ABC is then an autoencoder);
   * false for classifiers (they need both classes). The search and the protocols skip detectors that cannot.
   */
  readonly learnsWithoutAnomalies: boolean;
  /**
   * The integer parameter that sets the training effort (epochs, trees, boosting rounds), which successive
   * halving scales; null when there is none (an SVM's iteration cap is a safety limit, not a budget).
   */
  readonly budget: (keyof S & string) | null;
  /** Small parameters for quick tests (the conformance sweep, examples): a fit in well under a second. */
  readonly quickParams: Partial<ParamsOf<S>>;
  /** Every parameter (the common ones included: see `withCommonParams`). */
  readonly paramSpace: S;
  /**
   * Rules that span parameters (or a list's length): a message naming what is wrong, or null. Run wherever
   * params are set, the constructor and `setParams` alike.
   */
  // Method syntax: a declaration of a concrete space is still a DetectorDeclaration (parameters are bivariant).
  checkParams?(params: ParamsOf<S>): string | null;
}

/** A detector class that declares itself: `static declaration` and a constructor taking params. */
export interface DetectorClass<P extends Params = Params> {
  readonly declaration: DetectorDeclaration;
  new (params?: Partial<P>): Detector<P>;
}

/** What a fit implementation gets besides the data. */
export interface FitContext {
  rng: Random;
  signal: AbortSignal | undefined;
  /** Reports progress and then checks the signal, so an abort lands right after an event. */
  progress(event: ProgressEvent): void;
  /** Throws `AbortError` when the signal has fired. */
  checkAborted(): void;
}

interface FittedInfo<M> {
  model: M;
  nFeatures: number;
  featureNames: readonly string[] | undefined;
  threshold: number;
}

/**
 * The base most detectors extend. Subclasses give a parameter space and three pure functions: `fitModel`
 * (data to a model object, without touching `this`), `scoreModel` and state conversion. The base does
 * validation at the door, feature checks, the threshold rule, abort handling and the all-or-nothing commit
 * of a fit (an aborted or failed fit leaves the detector as it was).
 *
 * Threshold precedence: the `threshold` param, else `contamination` (that upper quantile of the training
 * scores), else 0.5 for detectors with a probability and contamination 0.1 for the rest.
 */
export abstract class BaseDetector<P extends Params, M> implements Detector<P> {
  /** The registry name: from the class's declaration (a class without one sets it itself). */
  readonly name: string;
  readonly supervision: Supervision;
  readonly hasProbability: boolean = false;
  protected params: P;
  protected readonly paramSpace: ParamSpace;
  private readonly declaration: DetectorDeclaration | undefined;
  private info: FittedInfo<M> | null = null;

  /** The full parameter space, including `seed`, `threshold` and `contamination` (see also `withCommonParams`). */
  static withCommonParams(space: ParamSpace): ParamSpace {
    return { ...commonDetectorParams, ...space };
  }

  /**
   * `spaceOrDeclaration` is the class's declaration (see `declareDetector`: name, supervision, probability and
   * params come from it) or, for a class that states those itself, its parameter space.
   */
  constructor(spaceOrDeclaration: ParamSpace | DetectorDeclaration, params: Partial<P> | undefined) {
    const declaration = isDeclaration(spaceOrDeclaration) ? spaceOrDeclaration : undefined;
    this.declaration = declaration;
    this.paramSpace = declaration ? declaration.paramSpace : (spaceOrDeclaration as ParamSpace);
    // Subclasses without a declaration assign their own fields after this constructor.
    this.name = declaration?.name as string;
    this.supervision = declaration?.supervision as Supervision;
    if (declaration) this.hasProbability = declaration.hasProbability;
    this.params = this.checkedParams(params as Record<string, unknown>);
  }

  /** One validation for the constructor and `setParams`: every value against its spec, then the cross-parameter rules. */
  private checkedParams(given: Record<string, unknown> | undefined): P {
    const who = this.declaration?.name ?? this.constructor.name;
    const params = resolveParams(this.paramSpace, given, who) as P;
    const problem = this.declaration?.checkParams?.(params as never);
    if (problem) throw new ValidationError('param', `${who}: ${problem}`);
    return params;
  }

  get fitted(): boolean {
    return this.info !== null;
  }
  get nFeatures(): number | undefined {
    return this.info?.nFeatures;
  }
  get featureNames(): readonly string[] | undefined {
    return this.info?.featureNames;
  }
  get threshold(): number | undefined {
    return this.info?.threshold;
  }

  /** The fitted model object; throws `NotFittedError` before fit. */
  protected get model(): M {
    if (this.info === null) throw new NotFittedError(this.constructor.name);
    return this.info.model;
  }

  getParams(): P {
    return copyParams(this.params);
  }

  /** Changes params; a fitted detector becomes unfitted, since its model no longer matches them. */
  setParams(params: Partial<P>): this {
    this.params = this.checkedParams({ ...this.params, ...params });
    this.info = null;
    return this;
  }

  clone(): this {
    const Ctor = this.constructor as new (params: Partial<P>) => this;
    return new Ctor(this.getParams());
  }

  async fit(X: DataLike, y?: LabelsLike | null, options: FitOptions = {}): Promise<this> {
    const Xm = validateMatrix(X);
    let labels: Labels | undefined;
    if (this.supervision === 'supervised') {
      labels = validateLabels(y, Xm.rows);
    } else if (y !== undefined && y !== null) {
      labels = validateLabels(y, Xm.rows); // checked even when ignored, so a wrong call is not silent
    }
    this.checkTrainingData(Xm, labels);
    const { signal, onProgress } = options;
    throwIfAborted(signal);
    const ctx: FitContext = {
      rng: new Random(this.params.seed as number),
      signal,
      progress: (event) => {
        onProgress?.(event);
        throwIfAborted(signal);
      },
      checkAborted: () => throwIfAborted(signal),
    };
    const model = await this.fitModel(Xm, labels, ctx);
    throwIfAborted(signal);
    const trainScores = await this.scoreModel(model, Xm);
    const threshold = this.resolveThreshold(trainScores);
    // Commit only now: an abort or error above leaves the previous state untouched.
    this.info = { model, nFeatures: Xm.cols, featureNames: Xm.featureNames, threshold };
    this.onFitScores(trainScores);
    return this;
  }

  async scoreSamples(X: DataLike): Promise<Float32Array> {
    const Xm = this.checkScoringInput(X);
    return this.scoreModel(this.model, Xm);
  }

  async predictProba(X: DataLike): Promise<Float32Array> {
    if (!this.hasProbability) {
      throw new ValidationError('type', `${this.constructor.name} has no probability of anomaly; use scoreSamples`);
    }
    return this.scoreSamples(X);
  }

  async predict(X: DataLike): Promise<Uint8Array> {
    const scores = await this.scoreSamples(X);
    const t = this.info!.threshold;
    const out = new Uint8Array(scores.length);
    for (let i = 0; i < scores.length; i++) out[i] = scores[i] > t ? 1 : 0;
    return out;
  }

  getState(): ModelState {
    const info = this.info;
    if (info === null) throw new NotFittedError(this.constructor.name);
    const state = this.modelToState(info.model);
    return {
      meta: {
        ...state.meta,
        nFeatures: info.nFeatures,
        featureNames: info.featureNames ? [...info.featureNames] : null,
        threshold: info.threshold,
      },
      tensors: state.tensors,
    };
  }

  setState(state: ModelState): void {
    const { nFeatures, featureNames, threshold } = state.meta;
    if (typeof nFeatures !== 'number' || typeof threshold !== 'number') {
      throw new ModelFormatError(`${this.constructor.name}.setState: state lacks nFeatures or threshold`);
    }
    const names = Array.isArray(featureNames) ? featureNames.map(String) : undefined;
    const model = this.modelFromState(state);
    this.info = { model, nFeatures, featureNames: names, threshold };
  }

  /** Validates a scoring matrix: finite, fitted, same features as at fit (aligned by name when both have names). */
  protected checkScoringInput(X: DataLike): Matrix {
    const info = this.info;
    if (info === null) throw new NotFittedError(this.constructor.name);
    const Xm = validateMatrix(X);
    return alignFeatures(Xm, info.nFeatures, info.featureNames, this.constructor.name);
  }

  /** Rejects training data the detector cannot learn from; the default asks supervised ones for both classes. */
  protected checkTrainingData(_X: Matrix, y: Labels | undefined): void {
    if (this.supervision === 'supervised' && y) {
      const { normal, anomaly } = countLabels(y);
      if (normal === 0) throw new ValidationError('labels', `${this.constructor.name}: y has no normal row (every label is 1)`);
      if (anomaly === 0 && !this.acceptsNoAnomalies) {
        throw new ValidationError(
          'labels',
          `${this.constructor.name}: y has no anomaly (every label is 0); a supervised detector needs both classes`,
        );
      }
    }
  }

  /** Supervised detectors that reduce to an unsupervised one without anomalies (ABC) set this. */
  protected get acceptsNoAnomalies(): boolean {
    return false;
  }

  /**
   * Called at the end of every successful fit with the training rows' scores (computed anyway for the
   * threshold); does nothing here. A subclass that needs them keeps them instead of scoring the rows again.
   */
  protected onFitScores(_trainScores: Float32Array): void {}

  private resolveThreshold(trainScores: Float32Array): number {
    const fixed = this.params.threshold as number | null;
    if (fixed !== null && fixed !== undefined) return fixed;
    let contamination = this.params.contamination as number | null;
    if (contamination === null || contamination === undefined) {
      if (this.hasProbability) return 0.5;
      contamination = 0.1;
    }
    return quantile(trainScores, 1 - contamination);
  }

  protected abstract fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<M>;
  protected abstract scoreModel(model: M, X: Matrix): Promise<Float32Array> | Float32Array;
  protected abstract modelToState(model: M): ModelState;
  protected abstract modelFromState(state: ModelState): M;
}

/**
 * Checks a scoring matrix against the fit-time features. With names on both sides the columns are picked by
 * name (extra columns are ignored, a missing one is an error that names it); otherwise the counts must agree.
 */
export function alignFeatures(X: Matrix, nFeatures: number, featureNames: readonly string[] | undefined, who: string): Matrix {
  if (featureNames && X.featureNames) {
    let same = X.cols === nFeatures;
    for (let j = 0; same && j < nFeatures; j++) same = X.featureNames[j] === featureNames[j];
    if (same) return X;
    const index = new Map<string, number>();
    X.featureNames.forEach((n, j) => {
      index.set(n, j);
    });
    const columns = featureNames.map((n) => {
      const j = index.get(n);
      if (j === undefined) throw new ValidationError('feature-names', `${who}: feature "${n}" seen at fit is missing from X`);
      return j;
    });
    const out = new Float32Array(X.rows * nFeatures);
    for (let i = 0; i < X.rows; i++) {
      for (let k = 0; k < nFeatures; k++) out[i * nFeatures + k] = X.data[i * X.cols + columns[k]];
    }
    return matrix(out, X.rows, nFeatures, featureNames);
  }
  if (X.cols !== nFeatures) {
    throw new ValidationError('feature-count', `${who} was fitted on ${nFeatures} features but X has ${X.cols}`);
  }
  return X;
}

/** The q-quantile with linear interpolation (numpy's default), ignoring nothing: scores must be finite. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) throw new ValidationError('empty', 'quantile of no values');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Re-exported so detector modules need one import for abort handling. */
export { AbortError };
export type { JsonValue };

function isDeclaration(x: ParamSpace | DetectorDeclaration): x is DetectorDeclaration {
  const d = x as Partial<DetectorDeclaration>;
  return (
    typeof d.name === 'string' && typeof d.supervision === 'string' && typeof d.paramSpace === 'object' && d.paramSpace !== null
  );
}
