import { BaseDetector, type FitContext } from '../detector.js';
import { ModelFormatError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { declareDetector } from '../declare.js';
import { defineParams, withCommonParams, type ParamsOf } from '../params.js';
import { registerDetectorClass } from '../registry.js';
import { tensor, type ModelState } from '../state.js';
import type { Labels } from '../validate.js';

/**
 * Two small reference detectors: the conformance suite's own test subjects, and worked examples of how a
 * plugin writes a detector on `BaseDetector`.
 */

const meanDistanceSpace = withCommonParams(defineParams({}));
type MeanDistanceParams = ParamsOf<typeof meanDistanceSpace>;

/**
 * Unsupervised: the score is the Euclidean distance to the training mean (deterministic, no progress events).
 *
 * @example
 * const det = await new MeanDistance().fit([[0, 0], [1, 1], [0, 1]]);
 * await det.scoreSamples([[5, 5]]);   // large: far from the mean
 */
export class MeanDistance extends BaseDetector<MeanDistanceParams, Float64Array> {
  static readonly declaration = declareDetector({
    name: 'ref-meandist',
    supervision: 'unsupervised',
    hasProbability: false,
    learnsWithoutAnomalies: true,
    description: 'reference: Euclidean distance to the training mean',
    budget: null,
    quickParams: {},
    paramSpace: meanDistanceSpace,
  });

  constructor(params?: Partial<MeanDistanceParams>) {
    super(MeanDistance.declaration, params);
  }

  protected async fitModel(X: Matrix): Promise<Float64Array> {
    const mean = new Float64Array(X.cols);
    for (let i = 0; i < X.rows; i++) for (let j = 0; j < X.cols; j++) mean[j] += X.data[i * X.cols + j];
    for (let j = 0; j < X.cols; j++) mean[j] /= X.rows;
    return mean;
  }

  protected scoreModel(mean: Float64Array, X: Matrix): Float32Array {
    const out = new Float32Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      let s = 0;
      for (let j = 0; j < X.cols; j++) s += (X.data[i * X.cols + j] - mean[j]) ** 2;
      // Reliability fix: the float64 distance can exceed float32's range for inputs near ±3.4e38; clamp to the
      // largest float32 (as the network detectors do) so that scores stay finite.
      out[i] = Math.min(Math.sqrt(s), 3.4028234663852886e38);
    }
    return out;
  }

  protected modelToState(mean: Float64Array): ModelState {
    return { meta: {}, tensors: { mean: tensor(mean) } };
  }

  protected modelFromState(state: ModelState): Float64Array {
    return stateVector(state, 'mean', Float64Array, 0, 'MeanDistance') as Float64Array;
  }
}

const logisticSpace = withCommonParams(
  defineParams({
    epochs: { type: 'int', default: 20, min: 1, description: 'passes over the data' },
    lr: { type: 'float', default: 0.1, min: 0, exclusiveMin: true, description: 'SGD step size' },
  }),
);
type LogisticParams = ParamsOf<typeof logisticSpace>;
interface LogisticModel {
  w: Float32Array; // [cols + 1], the last is the bias
}

/**
 * Supervised with a probability: logistic regression trained by SGD from a seeded random init and
 * shuffling, one progress event per epoch. Score = p(anomaly | x).
 */
export class LogisticDetector extends BaseDetector<LogisticParams, LogisticModel> {
  static readonly declaration = declareDetector({
    name: 'ref-logistic',
    supervision: 'supervised',
    hasProbability: true,
    learnsWithoutAnomalies: false,
    description: 'reference: logistic regression by SGD',
    budget: 'epochs',
    quickParams: { epochs: 5 },
    paramSpace: logisticSpace,
  });

  constructor(params?: Partial<LogisticParams>) {
    super(LogisticDetector.declaration, params);
  }

  protected async fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<LogisticModel> {
    const { epochs, lr } = this.params;
    const d = X.cols;
    const w = new Float32Array(d + 1);
    for (let j = 0; j <= d; j++) w[j] = ctx.rng.normal(0, 0.1);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      let loss = 0;
      for (const i of ctx.rng.permutation(X.rows)) {
        const p = this.prob(w, X, i);
        const t = y![i];
        loss -= t * Math.log(p + 1e-12) + (1 - t) * Math.log(1 - p + 1e-12);
        const g = p - t;
        for (let j = 0; j < d; j++) w[j] -= lr * g * X.data[i * d + j];
        w[d] -= lr * g;
      }
      ctx.progress({ step: epoch, totalSteps: epochs, unit: 'epoch', metrics: { loss: loss / X.rows } });
    }
    return { w };
  }

  private prob(w: Float32Array, X: Matrix, i: number): number {
    let z = w[X.cols];
    for (let j = 0; j < X.cols; j++) z += w[j] * X.data[i * X.cols + j];
    return 1 / (1 + Math.exp(-z));
  }

  protected scoreModel(model: LogisticModel, X: Matrix): Float32Array {
    const out = new Float32Array(X.rows);
    for (let i = 0; i < X.rows; i++) out[i] = this.prob(model.w, X, i);
    return out;
  }

  protected modelToState(model: LogisticModel): ModelState {
    return { meta: {}, tensors: { w: tensor(model.w) } };
  }

  protected modelFromState(state: ModelState): LogisticModel {
    return { w: stateVector(state, 'w', Float32Array, 1, 'LogisticDetector') as Float32Array };
  }
}

/**
 * Reliability fix: a state tensor checked against the state's feature count (plus `extra`), so that a model
 * file edited with a valid checksum cannot load a vector of the wrong length (which scored NaN before).
 */
function stateVector(
  state: ModelState,
  name: string,
  Ctor: Float64ArrayConstructor | Float32ArrayConstructor,
  extra: number,
  who: string,
): Float64Array | Float32Array {
  const n = state.meta.nFeatures;
  const t = Object.hasOwn(state.tensors, name) ? state.tensors[name] : undefined;
  if (typeof n !== 'number' || !t || !(t.data instanceof Ctor) || t.data.length !== n + extra) {
    throw new ModelFormatError(`${who} state: tensor "${name}" must hold ${String(n)} + ${extra} ${Ctor.name} values`);
  }
  return t.data;
}

/** Registers both reference detectors (idempotent). */
export function registerReferenceDetectors(): void {
  registerDetectorClass(MeanDistance, { ifAbsent: true });
  registerDetectorClass(LogisticDetector, { ifAbsent: true });
}
