import {
  BaseTransformer,
  hasDetector,
  registerTransformer,
  tensor,
  type Matrix,
  type ModelState,
  type ParamSpace,
  getTransformerEntry,
} from '../src/index.js';
import { registerReferenceDetectors } from '../src/testing/index.js';

/** A test-only transformer: subtracts the training column means, then multiplies by `factor`. */
export class CenterTransformer extends BaseTransformer<{ factor: number }, Float32Array> {
  static readonly paramSpace: ParamSpace = { factor: { type: 'float', default: 1, description: 'multiplier' } };
  readonly name = 'test-center';
  constructor(params?: Partial<{ factor: number }>) {
    super(CenterTransformer.paramSpace, params);
  }
  protected fitModel(X: Matrix): Float32Array {
    const mean = new Float32Array(X.cols);
    for (let i = 0; i < X.rows; i++) for (let j = 0; j < X.cols; j++) mean[j] += X.data[i * X.cols + j] / X.rows;
    return mean;
  }
  protected apply(mean: Float32Array, X: Matrix): Matrix {
    const out = new Float32Array(X.data.length);
    for (let i = 0; i < X.rows; i++) {
      for (let j = 0; j < X.cols; j++) out[i * X.cols + j] = (X.data[i * X.cols + j] - mean[j]) * this.params.factor;
    }
    return { data: out, rows: X.rows, cols: X.cols, featureNames: X.featureNames };
  }
  protected modelToState(mean: Float32Array): ModelState {
    return { meta: {}, tensors: { mean: tensor(mean) } };
  }
  protected modelFromState(state: ModelState): Float32Array {
    return state.tensors.mean.data as Float32Array;
  }
}

export function registerTestComponents(): void {
  registerReferenceDetectors();
  let known = true;
  try {
    getTransformerEntry('test-center');
  } catch {
    known = false;
  }
  if (!known) {
    registerTransformer({
      name: 'test-center',
      description: 'test: centering',
      paramSpace: CenterTransformer.paramSpace,
      create: (p) => new CenterTransformer(p as Partial<{ factor: number }>),
    });
  }
  void hasDetector;
}
