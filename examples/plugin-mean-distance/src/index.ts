/**
 * An example third-party plugin: a detector written against `@abc/core` alone, in one file with one
 * registration. Importing this module registers it as `mean-distance`, after which the CLI
 * (`abc list --plugin @abc-examples/plugin-mean-distance`), model search, the protocols, persistence and the
 * conformance sweep use it like a built-in detector.
 */
import {
  BaseDetector,
  declareDetector,
  defineParams,
  registerDetectorClass,
  tensor,
  ModelFormatError,
  withCommonParams,
  type Matrix,
  type ModelState,
  type ParamsOf,
} from '@abc/core';

/** The parameters, declared once: the params type below is derived from them. */
const meanDistanceSpace = withCommonParams(
  defineParams({
    scale: {
      type: 'choice',
      default: 'std',
      choices: ['none', 'std'],
      description: "'std' divides each feature by its training standard deviation first (a z-score distance)",
      search: { choices: ['none', 'std'] },
    },
  }),
);

export type MeanDistanceParams = ParamsOf<typeof meanDistanceSpace>;

interface MeanDistanceModel {
  mean: Float64Array;
  /** 1 / standard deviation per feature (1 where the feature is constant or `scale` is 'none'). */
  inverseScale: Float64Array;
}

/**
 * Unsupervised: the score of a row is its Euclidean distance to the training mean, each feature divided by its
 * training standard deviation when `scale` is 'std'.
 *
 * @example
 * import '@abc-examples/plugin-mean-distance';
 * const det = createDetector('mean-distance', { scale: 'std' });
 */
export class MeanDistanceDetector extends BaseDetector<MeanDistanceParams, MeanDistanceModel> {
  static readonly declaration = declareDetector({
    name: 'mean-distance',
    supervision: 'unsupervised',
    hasProbability: false,
    learnsWithoutAnomalies: true,
    description: 'plugin example: (scaled) distance to the training mean',
    budget: null,
    quickParams: {},
    paramSpace: meanDistanceSpace,
  });

  constructor(params?: Partial<MeanDistanceParams>) {
    super(MeanDistanceDetector.declaration, params);
  }

  protected async fitModel(X: Matrix): Promise<MeanDistanceModel> {
    const { rows, cols, data } = X;
    const mean = new Float64Array(cols);
    const inverseScale = new Float64Array(cols).fill(1);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j] / rows;
    if (this.params.scale === 'std') {
      const variance = new Float64Array(cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) variance[j] += (data[i * cols + j] - mean[j]) ** 2 / rows;
      for (let j = 0; j < cols; j++) if (variance[j] > 0) inverseScale[j] = 1 / Math.sqrt(variance[j]);
    }
    return { mean, inverseScale };
  }

  protected scoreModel({ mean, inverseScale }: MeanDistanceModel, X: Matrix): Float32Array {
    const out = new Float32Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      let d = 0;
      for (let j = 0; j < X.cols; j++) d += ((X.data[i * X.cols + j] - mean[j]) * inverseScale[j]) ** 2;
      out[i] = Math.min(Math.sqrt(d), 3.4028234663852886e38); // finite even for inputs near float32's limit
    }
    return out;
  }

  protected modelToState({ mean, inverseScale }: MeanDistanceModel): ModelState {
    return { meta: {}, tensors: { mean: tensor(mean), inverseScale: tensor(inverseScale) } };
  }

  protected modelFromState(state: ModelState): MeanDistanceModel {
    const { mean, inverseScale } = state.tensors;
    if (
      !(mean?.data instanceof Float64Array) ||
      !(inverseScale?.data instanceof Float64Array) ||
      mean.data.length !== inverseScale.data.length
    ) {
      throw new ModelFormatError('mean-distance: state lacks the f64 tensors "mean" and "inverseScale" of one length');
    }
    return { mean: mean.data, inverseScale: inverseScale.data };
  }
}

// The one registration (idempotent, so importing the plugin twice is harmless).
registerDetectorClass(MeanDistanceDetector, { ifAbsent: true });
