import {
  BaseDetector,
  declareDetector,
  defineParams,
  tensor,
  withCommonParams,
  type Activation,
  type DenseExportSpec,
  type FitContext,
  type Labels,
  type Matrix,
  type ModelState,
  type ParamsOf,
  type Random,
} from '@abc/core';
import {
  BalancedBatchSampler,
  checkTrainableRange,
  deviationLoss,
  DenseNetwork,
  denseExportLayers,
  referenceScores,
  RMSprop,
  withL2,
  type ParamRange,
  type ReferenceStats,
} from '@abc/engine';
import { gatherRows, networkFromMeta, specToMeta, yieldToEventLoop } from './semi-common.js';
import { checkExportSlope } from './semi-export.js';

/**
 * DevNet's parameters. Defaults follow Pang et al. (KDD 2019) and their Keras code (`dev_network_s`): one hidden
 * layer of 20 ReLU units with L2 0.01, RMSprop lr 0.001 with clipnorm 1, batches of 512 (half labelled anomalies),
 * 50 epochs of 20 batches, margin 5, 5,000 N(0, 1) reference scores.
 */
export const devNetParamSpace = withCommonParams(
  defineParams({
    hidden: {
      type: 'intList',
      default: [20],
      min: 1,
      description: 'hidden layer sizes (the original: [20]; DeepOD: [100, 50])',
      search: { choices: [[20], [100, 50], [1000, 250, 20]] },
    },
    activation: { type: 'choice', default: 'relu', choices: ['relu', 'leakyRelu', 'tanh'], description: 'hidden activation' },
    l2: {
      type: 'float',
      default: 0.01,
      min: 0,
      description: "L2 penalty coefficient on the hidden layers' weights (Keras' regularizers.l2)",
    },
    lr: {
      type: 'float',
      default: 1e-3,
      min: 0,
      exclusiveMin: true,
      description: 'RMSprop learning rate',
      search: { low: 1e-4, high: 1e-2, log: true },
    },
    clipnorm: {
      type: 'float',
      default: 1,
      min: 0,
      exclusiveMin: true,
      description: 'clip the gradient to this L2 norm before each update',
    },
    batchSize: {
      type: 'int',
      default: 512,
      min: 2,
      description: 'minibatch size (half unlabelled rows, half labelled anomalies)',
    },
    epochs: { type: 'int', default: 50, min: 1, description: 'number of epochs' },
    batchesPerEpoch: { type: 'int', default: 20, min: 1, description: 'batches per epoch' },
    margin: { type: 'float', default: 5, min: 0, exclusiveMin: true, description: 'confidence margin a of the deviation loss' },
    nReference: { type: 'int', default: 5000, min: 2, description: 'N(0, 1) reference scores drawn for each batch' },
  }),
);

/** DevNet's parameters (derived from {@link devNetParamSpace}). */
export type DevNetParams = ParamsOf<typeof devNetParamSpace>;

/** One epoch of a DevNet fit. */
export interface DevNetEpoch {
  epoch: number;
  loss: number;
}

/** A fitted DevNet: the scoring network and the per-epoch losses. */
export interface DevNetModel {
  net: DenseNetwork;
  history: DevNetEpoch[];
}

/**
 * Where a DevNet fit takes its random choices: the initial weights, each batch's rows and each batch's reference
 * scores. A fit draws them from its seeded generator ({@link randomDevNetPlan}); a test gives fixed ones to replay
 * a reference run (the PyTorch comparison in `test/devnet-torch.test.ts`).
 */
export interface DevNetTrainingPlan {
  /** Sets the network's initial parameters. */
  initialise(net: DenseNetwork): void;
  /**
   * Fills `idx` with the row indices of batch `batch` (0-based) of epoch `epoch` (1-based); the batch's labels
   * are those rows' labels.
   */
  batch(epoch: number, batch: number, idx: Uint32Array): void;
  /** The mean and standard deviation of that batch's N(0, 1) reference scores (asked after {@link DevNetTrainingPlan.batch}). */
  reference(epoch: number, batch: number): ReferenceStats;
}

/**
 * The plan of an ordinary fit, from `rng`: Glorot-uniform weights, balanced batches (even positions unlabelled
 * rows, odd positions labelled anomalies, with replacement) and `nReference` fresh reference scores per batch.
 *
 * @example
 * const model = await trainDevNet(X, y, p, ctx, randomDevNetPlan(ctx.rng, y, p.nReference));
 */
export function randomDevNetPlan(rng: Random, labels: Labels, nReference: number): DevNetTrainingPlan {
  const sampler = new BalancedBatchSampler(labels);
  const refBuffer = new Float64Array(nReference);
  return {
    initialise: (net) => {
      net.initGlorot(rng);
    },
    batch: (_epoch, _batch, idx) => {
      sampler.sample(rng, idx.length, idx);
    },
    reference: () => referenceScores(rng, nReference, refBuffer),
  };
}

/**
 * DevNet (Pang, Shen & van den Hengel, "Deep Anomaly Detection with Deviation Networks", KDD 2019): a network
 * scores each row, and the deviation loss pushes the scores of unlabelled rows towards the mean of a N(0, 1) prior
 * (`|dev|`, with `dev = (s − μ_R) / σ_R` over reference scores drawn for each batch) and those of labelled
 * anomalies at least `margin` standard deviations above it (`max(0, a − dev)`), each row against its own label.
 * Batches hold half labelled anomalies, drawn with replacement. Score = the network's output (higher = more
 * anomalous; not a probability).
 *
 * Labels: 1 = labelled anomaly, 0 = unlabelled. It needs at least one labelled anomaly.
 *
 * @example
 * import '@abc/models';
 * const dev = new DevNet({ seed: 1 });            // 20 hidden units, 50 epochs × 20 batches of 512
 * await dev.fit(X, y);                            // y: 1 = labelled anomaly, 0 = unlabelled
 * const s = await dev.scoreSamples(Xtest);
 */
export class DevNet extends BaseDetector<DevNetParams, DevNetModel> {
  static readonly declaration = declareDetector({
    name: 'devnet',
    supervision: 'supervised',
    hasProbability: false,
    learnsWithoutAnomalies: false,
    description: 'DevNet (Pang et al. 2019): deviation loss against a N(0, 1) prior, balanced batches; score = network output',
    budget: 'epochs',
    quickParams: { hidden: [8], epochs: 3, batchesPerEpoch: 5, batchSize: 32, nReference: 500 },
    paramSpace: devNetParamSpace,
  });

  constructor(params?: Partial<DevNetParams>) {
    super(DevNet.declaration, params);
  }

  /** Per-epoch mean deviation loss of the fit (without the L2 penalty). */
  get history(): readonly DevNetEpoch[] {
    return this.model.history;
  }

  protected override checkTrainingData(X: Matrix, y: Labels | undefined): void {
    super.checkTrainingData(X, y);
    checkTrainableRange(X, 'DevNet');
  }

  protected fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<DevNetModel> {
    return trainDevNet(X, y!, this.params, ctx, randomDevNetPlan(ctx.rng, y!, this.params.nReference));
  }

  /**
   * The scoring network as a dense export spec: score = its one linear output (`scoreKind: 'linear'`).
   *
   * @example
   * const bytes = toOnnx(dev);                   // @abc/onnx-export: scores as dev.scoreSamples
   */
  toExportSpec(): DenseExportSpec {
    const net = this.model.net;
    checkExportSlope(net, 'DevNet');
    return { kind: 'dense', layers: denseExportLayers(net), scoreKind: 'linear', threshold: this.threshold };
  }

  protected scoreModel(model: DevNetModel, X: Matrix): Float32Array {
    return model.net.predict(X.data, X.rows);
  }

  protected modelToState(model: DevNetModel): ModelState {
    return {
      meta: { ...specToMeta(model.net.spec), history: model.history.map((h) => ({ ...h })) },
      tensors: { params: tensor(Float32Array.from(model.net.params)) },
    };
  }

  protected modelFromState(state: ModelState): DevNetModel {
    const net = networkFromMeta(state.meta, state.tensors.params?.data, 'DevNet');
    const history = Array.isArray(state.meta.history) ? (state.meta.history as unknown as DevNetEpoch[]) : [];
    return { net, history };
  }
}

/**
 * DevNet's training (what {@link DevNet.fit} runs, with {@link randomDevNetPlan}): `epochs` × `batchesPerEpoch`
 * RMSprop steps on the deviation loss plus the L2 penalty on the hidden layers' weights. `plan` gives the initial
 * weights, the batches and their reference scores, so a test can replay a reference run's.
 *
 * @example
 * const ctx = { rng: new Random(1), signal: undefined, progress() {}, checkAborted() {} };
 * const p = new DevNet().getParams();
 * const { net, history } = await trainDevNet(X, y, p, ctx, randomDevNetPlan(ctx.rng, y, p.nReference));
 */
export async function trainDevNet(
  X: Matrix,
  y: Labels,
  p: DevNetParams,
  ctx: FitContext,
  plan: DevNetTrainingPlan,
): Promise<DevNetModel> {
  const d = X.cols;
  const act = p.activation as Activation;
  const net = new DenseNetwork({ sizes: [d, ...p.hidden, 1], activations: [...p.hidden.map(() => act), 'linear'] });
  plan.initialise(net);
  // Keras' kernel_regularizer on every hidden layer's weights; none on the score layer or on biases.
  const hiddenWeights: ParamRange[] = net.layers
    .slice(0, -1)
    .map((L) => ({ offset: L.wOffset, length: L.inputSize * L.outputSize }));
  const opt = withL2(new RMSprop(net.size, { lr: p.lr, clipnorm: p.clipnorm }), p.l2, hiddenWeights);
  const B = p.batchSize;
  const idx = new Uint32Array(B);
  const xb = net.allocate(B * d);
  const yb = new Uint8Array(B);
  let reference: ReferenceStats = { mean: 0, std: 1 };
  const loss = (out: Float32Array, rows: number, _cols: number, dOut: Float32Array): number =>
    deviationLoss(out, rows, yb, reference, p.margin, dOut);
  const history: DevNetEpoch[] = [];
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    let sum = 0;
    for (let b = 0; b < p.batchesPerEpoch; b++) {
      plan.batch(epoch, b, idx);
      gatherRows(X, idx, B, xb);
      for (let k = 0; k < B; k++) yb[k] = y[idx[k]];
      reference = plan.reference(epoch, b);
      sum += net.trainStep(xb, 0, B, loss, opt);
      ctx.checkAborted();
    }
    const value = sum / p.batchesPerEpoch;
    history.push({ epoch, loss: value });
    if (!Number.isFinite(value)) break; // diverged: stop rather than train on NaN
    ctx.progress({ step: epoch, totalSteps: p.epochs, unit: 'epoch', metrics: { loss: value } });
    await yieldToEventLoop();
  }
  return { net, history };
}
