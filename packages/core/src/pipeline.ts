import type { Detector, FitOptions } from './detector.js';
import { alignFeatures } from './detector.js';
import { NotFittedError, ValidationError, throwIfAborted } from './errors.js';
import type { Matrix } from './matrix.js';
import { isMatrix } from './matrix.js';
import type { Params, ParamValue } from './params.js';
import type { ModelState } from './state.js';
import { isTable, tableToMatrix, type Table } from './table.js';
import type { Transformer } from './transformer.js';
import { validateLabels, validateMatrix, type DataLike, type LabelsLike } from './validate.js';

/**
 * Transformers then one detector, itself a {@link Detector}: a pipeline goes anywhere a detector goes
 * (model search, persistence as one file, the CLI, ONNX export with the scaler inside the graph).
 * Parameters are flattened scikit-learn style as `step__param`, where a step is named by its registry name
 * (a second step of the same name gets `name_2`); `seed` is also there at the top, standing for the
 * detector's seed, so a pipeline is seeded like any detector.
 *
 * @example
 * const pipe = new Pipeline([new MinMaxScaler(), createDetector('abc')]);
 * await pipe.fit(X, y);
 * const scores = await pipe.scoreSamples(Xtest);
 * pipe.setParams({ abc__lr: 1e-4 });
 */
export class Pipeline implements Detector<Params> {
  readonly name = 'pipeline';
  private steps: { transformers: Transformer[]; detector: Detector };
  private fittedNames: { nFeatures: number; featureNames: readonly string[] | undefined } | null = null;

  constructor(steps: readonly (Transformer | Detector)[]) {
    if (!Array.isArray(steps) || steps.length === 0) {
      throw new ValidationError('param', 'Pipeline: give at least one step, the last one a detector');
    }
    const last = steps[steps.length - 1];
    if (!isDetector(last)) throw new ValidationError('param', 'Pipeline: the last step must be a detector');
    const transformers = steps.slice(0, -1).map((s, i) => {
      if (isDetector(s)) throw new ValidationError('param', `Pipeline: step ${i} is a detector; only the last step may be one`);
      return s as Transformer;
    });
    this.steps = { transformers, detector: last };
  }

  /** A pipeline from already fitted steps (used when loading a model file). */
  static fromFitted(transformers: Transformer[], detector: Detector, featureNames: readonly string[] | undefined): Pipeline {
    const p = new Pipeline([...transformers, detector]);
    const nFeatures = transformers.length > 0 ? (transformers[0].getState().meta.nFeatures as number) : detector.nFeatures!;
    p.fittedNames = { nFeatures, featureNames };
    return p;
  }

  get transformers(): readonly Transformer[] {
    return this.steps.transformers;
  }
  get detector(): Detector {
    return this.steps.detector;
  }
  get supervision() {
    return this.steps.detector.supervision;
  }
  get hasProbability(): boolean {
    return this.steps.detector.hasProbability;
  }
  get fitted(): boolean {
    return this.fittedNames !== null && this.steps.detector.fitted;
  }
  get nFeatures(): number | undefined {
    return this.fittedNames?.nFeatures;
  }
  get featureNames(): readonly string[] | undefined {
    return this.fittedNames?.featureNames;
  }
  get threshold(): number | undefined {
    return this.steps.detector.threshold;
  }

  /**
   * Fits each transformer on the output of the previous one, then the detector. Steps are fitted on clones
   * and swapped in only when everything succeeded, so an aborted fit leaves the pipeline as it was.
   */
  async fit(X: DataLike, y?: LabelsLike | null, options: FitOptions = {}): Promise<this> {
    const input = this.checkInput(X);
    if (y !== undefined && y !== null) validateLabels(y, input.rows);
    throwIfAborted(options.signal);
    const transformers = this.steps.transformers.map((t) => t.clone());
    let current: Matrix | Table = input;
    for (const t of transformers) {
      current = t.fitTransform(current);
      throwIfAborted(options.signal);
    }
    const detector = this.steps.detector.clone();
    await detector.fit(asMatrix(current), y, options);
    this.steps = { transformers, detector };
    this.fittedNames = { nFeatures: width(input), featureNames: inputNames(input) };
    return this;
  }

  /** The input after every transformer: what the detector sees. */
  transform(X: DataLike): Matrix {
    if (!this.fitted) throw new NotFittedError('Pipeline');
    let current: Matrix | Table = this.alignInput(this.checkInput(X));
    for (const t of this.steps.transformers) current = t.transform(current);
    return asMatrix(current);
  }

  async scoreSamples(X: DataLike): Promise<Float32Array> {
    return this.steps.detector.scoreSamples(this.transform(X));
  }
  async predictProba(X: DataLike): Promise<Float32Array> {
    return this.steps.detector.predictProba(this.transform(X));
  }
  async predict(X: DataLike): Promise<Uint8Array> {
    return this.steps.detector.predict(this.transform(X));
  }

  /** Step names: registry names, with `_2`, `_3` for repeats. */
  stepNames(): string[] {
    const seen = new Map<string, number>();
    return [...this.steps.transformers, this.steps.detector].map((s) => {
      const n = (seen.get(s.name) ?? 0) + 1;
      seen.set(s.name, n);
      return n === 1 ? s.name : `${s.name}_${n}`;
    });
  }

  getParams(): Params {
    const out: Params = { seed: this.steps.detector.getParams().seed ?? null };
    const parts = [...this.steps.transformers, this.steps.detector];
    this.stepNames().forEach((stepName, i) => {
      for (const [k, v] of Object.entries(parts[i].getParams())) out[`${stepName}__${k}`] = v;
    });
    return out;
  }

  /** Sets `step__param` values; the pipeline becomes unfitted. Unknown steps or params raise. */
  setParams(params: Partial<Params>): this {
    const names = this.stepNames();
    const grouped = new Map<number, Record<string, ParamValue>>();
    for (const [key, value] of Object.entries(params)) {
      if (key === 'seed') {
        const i = names.length - 1;
        grouped.set(i, { ...grouped.get(i), seed: value as ParamValue });
        continue;
      }
      const cut = key.indexOf('__');
      const i = cut > 0 ? names.indexOf(key.slice(0, cut)) : -1;
      if (i < 0)
        throw new ValidationError('param', `Pipeline: "${key}" is not "step__param" for a step among ${names.join(', ')}`);
      const g = grouped.get(i) ?? {};
      g[key.slice(cut + 2)] = value as ParamValue;
      grouped.set(i, g);
    }
    const parts: (Transformer | Detector)[] = [...this.steps.transformers, this.steps.detector];
    for (const [i, g] of grouped) parts[i].setParams(g);
    this.fittedNames = null;
    return this;
  }

  clone(): Pipeline {
    return new Pipeline([...this.steps.transformers.map((t) => t.clone()), this.steps.detector.clone()]);
  }

  /** Pipelines persist through `serialize` as one file; their state is that of their steps. */
  getState(): ModelState {
    throw new ValidationError('type', 'Pipeline state is written by serialize(pipeline), step by step');
  }
  setState(): void {
    throw new ValidationError('type', 'Pipeline state is read by deserialize(bytes), step by step');
  }

  private checkInput(X: DataLike): Matrix | Table {
    if (isTable(X)) {
      if (X.rows === 0) throw new ValidationError('empty', 'X is empty: it has no rows');
      // Reliability fix: a numeric table may hold NaN (missing cells) when the first step is an imputer, as a
      // matrix may; before, a CSV without string columns could not be imputed.
      if (!this.steps.transformers[0]?.acceptsTable) {
        return validateMatrix(tableToMatrix(X), { allowMissing: this.steps.transformers[0]?.acceptsMissing ?? false });
      }
      return X;
    }
    return validateMatrix(X, { allowMissing: this.steps.transformers[0]?.acceptsMissing ?? false });
  }

  private alignInput(input: Matrix | Table): Matrix | Table {
    const f = this.fittedNames!;
    if (isTable(input)) return input;
    return alignFeatures(input, f.nFeatures, f.featureNames, 'Pipeline');
  }
}

function isDetector(x: unknown): x is Detector {
  return typeof x === 'object' && x !== null && typeof (x as Detector).scoreSamples === 'function';
}

function asMatrix(x: Matrix | Table): Matrix {
  return isMatrix(x) ? x : tableToMatrix(x);
}

function width(x: Matrix | Table): number {
  return isTable(x) ? x.columns.length : x.cols;
}

function inputNames(x: Matrix | Table): readonly string[] | undefined {
  return isTable(x) ? x.names : x.featureNames;
}
