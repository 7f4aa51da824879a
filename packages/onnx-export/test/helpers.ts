import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  BaseDetector,
  MinMaxScaler,
  Pipeline,
  Random,
  SimpleImputer,
  StandardScaler,
  matrix,
  tensor,
  type DenseExportSpec,
  type Detector,
  type Matrix,
  type ModelState,
  type ParamSpace,
} from '@abc/core';
import { ABC, Autoencoder, DenoisingAutoencoder, LRC, type ReconstructionDetector, type ReconstructionParams } from '@abc/models';
import { DNN, GradientTreeBoosting, IsolationForest, RUSBoost } from '@abc/baselines';

/** Normals around 0 with correlated columns, anomalies shifted and scaled; d columns, labels 1 = anomaly. */
export function makeData(
  n: number,
  d: number,
  seed: number,
  anomalyRate = 0.1,
  featureNames?: string[],
): { X: Matrix; y: Uint8Array } {
  const rng = new Random(seed);
  const data = new Float32Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const anomaly = rng.float() < anomalyRate;
    y[i] = anomaly ? 1 : 0;
    const z = rng.normal(0, 1);
    for (let j = 0; j < d; j++) {
      const v = 0.7 * z + 0.5 * rng.normal(0, 1) + j;
      data[i * d + j] = anomaly ? v * 1.5 + rng.normal(2.5, 1) : v;
    }
  }
  return { X: matrix(data, n, d, featureNames), y };
}

const small = {
  hidden: [8, 4],
  latent: 2,
  maxEpochs: 30,
  batchSize: 50,
  validationFraction: 0,
} satisfies Partial<ReconstructionParams>;

type MlpParams = { seed: number; threshold: number | null; contamination: number | null; hidden: number };
interface MlpModel {
  W1: Float32Array;
  b1: Float32Array;
  W2: Float32Array;
  b2: Float32Array;
  hidden: number;
}

/**
 * A plugin's detector, unknown to this package: a one-hidden-layer MLP (random ReLU features, logistic output
 * trained by gradient descent) whose export spec is `{ kind: 'dense', scoreKind: 'sigmoid' }`, the DNN's shape.
 */
export class PluginMLP extends BaseDetector<MlpParams, MlpModel> {
  static readonly paramSpace: ParamSpace = BaseDetector.withCommonParams({
    hidden: { type: 'int', default: 6, min: 1, description: 'hidden units' },
  });
  override readonly name = 'plugin-mlp';
  override readonly supervision = 'supervised' as const;
  override readonly hasProbability = true;

  constructor(params?: Partial<MlpParams>) {
    super(PluginMLP.paramSpace, params);
  }

  protected async fitModel(X: Matrix, y: Uint8Array | undefined, ctx: { rng: Random }): Promise<MlpModel> {
    const d = X.cols;
    const h = this.params.hidden;
    const W1 = Float32Array.from({ length: d * h }, () => ctx.rng.normal(0, 1 / Math.sqrt(d)));
    const b1 = Float32Array.from({ length: h }, () => ctx.rng.normal(0, 0.1));
    const W2 = new Float32Array(h);
    const b2 = new Float32Array(1);
    const H = hiddenLayer(X, W1, b1, h);
    for (let it = 0; it < 200; it++) {
      const g = new Float64Array(h + 1);
      for (let i = 0; i < X.rows; i++) {
        let z = b2[0];
        for (let k = 0; k < h; k++) z += H[i * h + k] * W2[k];
        const err = 1 / (1 + Math.exp(-z)) - (y ? y[i] : 0);
        for (let k = 0; k < h; k++) g[k] += err * H[i * h + k];
        g[h] += err;
      }
      for (let k = 0; k < h; k++) W2[k] -= (0.5 * g[k]) / X.rows;
      b2[0] -= (0.5 * g[h]) / X.rows;
    }
    return { W1, b1, W2, b2, hidden: h };
  }

  protected scoreModel(m: MlpModel, X: Matrix): Float32Array {
    const H = hiddenLayer(X, m.W1, m.b1, m.hidden);
    const out = new Float32Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      let z = m.b2[0];
      for (let k = 0; k < m.hidden; k++) z += H[i * m.hidden + k] * m.W2[k];
      out[i] = 1 / (1 + Math.exp(-z));
    }
    return out;
  }

  protected modelToState(m: MlpModel): ModelState {
    return { meta: { hidden: m.hidden }, tensors: { W1: tensor(m.W1), b1: tensor(m.b1), W2: tensor(m.W2), b2: tensor(m.b2) } };
  }

  protected modelFromState(s: ModelState): MlpModel {
    const t = s.tensors;
    return {
      W1: t.W1.data as Float32Array,
      b1: t.b1.data as Float32Array,
      W2: t.W2.data as Float32Array,
      b2: t.b2.data as Float32Array,
      hidden: Number(s.meta.hidden),
    };
  }

  toExportSpec(): DenseExportSpec {
    const m = this.model;
    const d = this.nFeatures!;
    return {
      kind: 'dense',
      layers: [
        { W: m.W1.slice(), b: m.b1.slice(), inputSize: d, outputSize: m.hidden, activation: 'relu' },
        { W: m.W2.slice(), b: m.b2.slice(), inputSize: m.hidden, outputSize: 1, activation: 'linear' },
      ],
      scoreKind: 'sigmoid',
      threshold: this.threshold,
    };
  }
}

function hiddenLayer(X: Matrix, W: Float32Array, b: Float32Array, h: number): Float32Array {
  const out = new Float32Array(X.rows * h);
  for (let i = 0; i < X.rows; i++) {
    for (let k = 0; k < h; k++) {
      let s = b[k];
      for (let j = 0; j < X.cols; j++) s += X.data[i * X.cols + j] * W[j * h + k];
      out[i * h + k] = Math.max(0, s);
    }
  }
  return out;
}

/** One exported kind: a fitted model and test rows. */
export interface Case {
  id: string;
  model: Detector;
  X: Matrix;
  /** The TypeScript reconstruction error L on X, for autoencoders. */
  error?: (X: Matrix) => Promise<Float32Array>;
}

export const D = 6;
export const FEATURES = Array.from({ length: D }, (_, j) => `f${j}`);

function reconstructionOf(model: Detector): (X: Matrix) => Promise<Float32Array> {
  if (model instanceof Pipeline) {
    return (X) => (model.detector as ReconstructionDetector<ReconstructionParams>).reconstructionError(model.transform(X));
  }
  return (X) => (model as ReconstructionDetector<ReconstructionParams>).reconstructionError(X);
}

/**
 * Every kind the exporter covers, fitted on small data (a second or two in all): ABC (both variants),
 * AE, DAE, LRC, the DNN, a plugin's sigmoid MLP, scalers and an imputer in pipelines, the three
 * activations and three distances, IsolationForest, GTB and RUSBoost.
 */
export async function buildCases(nTest = 200): Promise<Case[]> {
  const train = makeData(400, D, 1, 0.1, FEATURES);
  const test = makeData(nTest, D, 2, 0.3, FEATURES);
  const plain = (m: Matrix) => matrix(m.data, m.rows, m.cols);
  const withMissing = (m: Matrix) => {
    const data = Float32Array.from(m.data);
    for (let k = 3; k < data.length; k += 7) data[k] = NaN;
    return matrix(data, m.rows, m.cols, m.featureNames);
  };
  const cases: Case[] = [];
  const add = async (
    id: string,
    model: Detector,
    opts: { reconstruction?: boolean; X?: Matrix; trainX?: Matrix; labels?: boolean } = {},
  ) => {
    const X = opts.trainX ?? train.X;
    await model.fit(X, opts.labels === false ? undefined : train.y);
    cases.push({ id, model, X: opts.X ?? test.X, error: opts.reconstruction ? reconstructionOf(model) : undefined });
  };
  await add('abc-ae', new Pipeline([new MinMaxScaler(), new ABC({ ...small, variant: 'ae', seed: 1 })]), {
    reconstruction: true,
  });
  await add(
    'abc-dae',
    new Pipeline([new StandardScaler(), new ABC({ ...small, variant: 'dae', distance: 'l2', activation: 'relu', seed: 2 })]),
    { reconstruction: true },
  );
  await add('ae', new Autoencoder({ ...small, distance: 'squaredL2', seed: 3 }), {
    reconstruction: true,
    labels: false,
    trainX: plain(train.X),
    X: plain(test.X),
  });
  await add(
    'dae',
    new Pipeline([
      new MinMaxScaler({ min: -1, max: 1 }),
      new DenoisingAutoencoder({ ...small, activation: 'sigmoid', outputActivation: 'tanh', seed: 4 }),
    ]),
    { reconstruction: true, labels: false },
  );
  await add('lrc', new Pipeline([new StandardScaler(), new LRC({ ...small, maxEpochs: 10, seed: 5 })]), { reconstruction: true });
  await add('plugin-sigmoid-mlp', new Pipeline([new StandardScaler(), new PluginMLP({ seed: 6 })]));
  await add('dnn', new Pipeline([new MinMaxScaler(), new DNN({ hidden: [8, 6], maxEpochs: 10, seed: 11 })]));
  await add(
    'impute-standard-abc',
    new Pipeline([new SimpleImputer({ strategy: 'median' }), new StandardScaler(), new ABC({ ...small, seed: 7 })]),
    {
      reconstruction: true,
      trainX: withMissing(train.X),
      X: withMissing(test.X),
    },
  );
  await add('iforest', new IsolationForest({ nEstimators: 40, seed: 8 }), { labels: false });
  await add('gtb', new Pipeline([new MinMaxScaler(), new GradientTreeBoosting({ maxIter: 20, seed: 9 })]));
  await add('rusboost', new RUSBoost({ seed: 10 }));
  return cases;
}

/** Absolute and relative maximum differences. */
export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
export function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-6));
  return m;
}

/**
 * A system tool a test needs. Missing on a developer's machine: the test is skipped with a warning; missing
 * in CI (env CI set): the test runs and fails, so a skipped check is never silent there.
 */
export function tool(name: string, available: boolean, install: string): { skip: boolean; require(): void } {
  const skip = !available && !process.env.CI;
  if (skip) console.warn(`[onnx-export] ${name} is missing: its tests are skipped here (${install}); in CI they fail`);
  return {
    skip,
    require() {
      if (!available) throw new Error(`${name} is missing: ${install}`);
    },
  };
}

export const PYTHON = '/usr/bin/python3';
export function hasPythonOnnx(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
}
export const CHROMIUM = '/usr/bin/chromium';
