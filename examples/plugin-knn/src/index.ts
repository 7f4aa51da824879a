/**
 * An example third-party plugin: a detector written against `@abc/core` alone. Importing this module
 * registers it as `knn`, after which the CLI (`abc list --plugin @abc-examples/plugin-knn`), model search and
 * persistence use it like a built-in detector.
 */
import { BaseDetector, hasDetector, registerDetector, tensor, type Matrix, type ModelState, type ParamSpace } from '@abc/core';

export type KnnParams = { k: number; maxTrainingRows: number; seed: number; threshold: number | null; contamination: number | null };

interface KnnModel {
  train: Matrix;
}

/**
 * Unsupervised: the score of a row is its Euclidean distance to its k-th nearest training row. Brute force,
 * so meant for small data; training rows beyond `maxTrainingRows` are subsampled with the seed (recorded in
 * the params, never silent).
 *
 * @example
 * import '@abc-examples/plugin-knn';
 * const det = createDetector('knn', { k: 5 });
 */
export class KnnDetector extends BaseDetector<KnnParams, KnnModel> {
  static readonly paramSpace: ParamSpace = BaseDetector.withCommonParams({
    k: { type: 'int', default: 5, min: 1, description: 'which neighbour distance is the score', search: { low: 1, high: 20, log: true } },
    maxTrainingRows: { type: 'int', default: 5000, min: 1, description: 'training rows kept (seeded subsample above this)' },
  });
  readonly name = 'knn';
  readonly supervision = 'unsupervised' as const;

  constructor(params?: Partial<KnnParams>) {
    super(KnnDetector.paramSpace, params);
  }

  protected async fitModel(X: Matrix, _y: unknown, ctx: { rng: { sample(n: number, k: number): Uint32Array } }): Promise<KnnModel> {
    if (X.rows <= this.params.k) throw new RangeError(`knn: k = ${this.params.k} needs more than ${this.params.k} training rows, got ${X.rows}`);
    if (X.rows <= this.params.maxTrainingRows) return { train: { data: Float32Array.from(X.data), rows: X.rows, cols: X.cols } };
    const keep = ctx.rng.sample(X.rows, this.params.maxTrainingRows);
    const data = new Float32Array(keep.length * X.cols);
    keep.forEach((i, r) => data.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), r * X.cols));
    return { train: { data, rows: keep.length, cols: X.cols } };
  }

  protected scoreModel({ train }: KnnModel, X: Matrix): Float32Array {
    const k = this.params.k;
    const out = new Float32Array(X.rows);
    const best = new Float64Array(k);
    for (let i = 0; i < X.rows; i++) {
      best.fill(Infinity);
      for (let t = 0; t < train.rows; t++) {
        let d = 0;
        for (let j = 0; j < X.cols; j++) {
          const diff = X.data[i * X.cols + j] - train.data[t * X.cols + j];
          d += diff * diff;
        }
        if (d < best[k - 1]) {
          let p = k - 1;
          while (p > 0 && best[p - 1] > d) {
            best[p] = best[p - 1];
            p--;
          }
          best[p] = d;
        }
      }
      out[i] = Math.sqrt(best[k - 1]);
    }
    return out;
  }

  protected modelToState({ train }: KnnModel): ModelState {
    return { meta: {}, tensors: { train: tensor(train.data, [train.rows, train.cols]) } };
  }

  protected modelFromState(state: ModelState): KnnModel {
    const t = state.tensors.train;
    return { train: { data: t.data as Float32Array, rows: t.shape[0], cols: t.shape[1] } };
  }
}

if (!hasDetector('knn')) {
  registerDetector({
    name: 'knn',
    supervision: 'unsupervised',
    hasProbability: false,
    description: 'plugin example: distance to the k-th nearest training row',
    paramSpace: KnnDetector.paramSpace,
    create: (p) => new KnnDetector(p as Partial<KnnParams>),
  });
}
