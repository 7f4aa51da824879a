import {
  BaseDetector,
  declareDetector,
  defineParams,
  tensor,
  withCommonParams,
  ModelFormatError,
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
  checkTrainableRange,
  DenseNetwork,
  denseExportLayers,
  sadLoss,
  squaredDistances,
  withL2,
  type NetworkSpec,
} from '@abc/engine';
import { gatherRows, networkFromMeta, specToMeta, yieldToEventLoop } from './semi-common.js';
import { checkExportSlope } from './semi-export.js';

/**
 * Deep SAD's parameters. Defaults follow Ruff et al. (ICLR 2020) and their code (Deep-SAD-PyTorch): the tabular
 * MLP of `arrhythmia_mlp` (hidden [128, 64], representation 32, leaky ReLU, no bias), Adam lr 1e-4, weight decay
 * 5e-7, batch 128, 150 epochs with the lr ×0.1 from epoch 50, autoencoder pre-training (150 epochs, lr 1e-4
 * without milestone, weight decay 5e-4), eta 1.
 */
export const deepSadParamSpace = withCommonParams(
  defineParams({
    hidden: {
      type: 'intList',
      default: [128, 64],
      min: 1,
      description: 'hidden layer sizes of the encoder (the decoder mirrors them)',
      search: {
        choices: [
          [128, 64],
          [64, 32],
          [32, 16],
        ],
      },
    },
    repDim: {
      type: 'int',
      default: 32,
      min: 1,
      description: 'size of the representation phi(x)',
      search: { low: 4, high: 64, log: true },
    },
    activation: {
      type: 'choice',
      default: 'leakyRelu',
      choices: ['leakyRelu', 'relu', 'tanh'],
      description: "hidden activation ('leakyRelu' with slope 0.01 as the paper's code; DeepOD uses 'relu')",
    },
    eta: {
      type: 'float',
      default: 1,
      min: 0,
      exclusiveMin: true,
      description: "weight of the labelled anomalies' term eta · (dist + 1e-6)^-1",
    },
    lr: {
      type: 'float',
      default: 1e-4,
      min: 0,
      exclusiveMin: true,
      description: 'Adam learning rate of the Deep SAD phase',
      search: { low: 1e-5, high: 1e-2, log: true },
    },
    weightDecay: {
      type: 'float',
      default: 5e-7,
      min: 0,
      // The authors' example run (Deep-SAD-PyTorch's README: --weight_decay 0.5e-6, --ae_weight_decay 0.5e-3).
      description: "Adam's (coupled, PyTorch) weight decay of the Deep SAD phase",
    },
    batchSize: { type: 'int', default: 128, min: 1, description: 'minibatch size (both phases)' },
    epochs: { type: 'int', default: 150, min: 1, description: 'epochs of the Deep SAD phase' },
    lrMilestones: {
      type: 'intList',
      default: [50],
      min: 1,
      // The authors' example run (--lr_milestone 50); see lrAtEpoch for the epoch the drop takes effect.
      description: 'epochs (1-based, increasing) from which the Deep SAD phase lr is multiplied by 0.1 (each)',
    },
    pretrain: {
      type: 'bool',
      default: true,
      description:
        'pre-train the encoder as an autoencoder and take the centre from it (false: the centre from the initial network, as DeepOD)',
    },
    aeEpochs: { type: 'int', default: 150, min: 1, description: 'epochs of autoencoder pre-training' },
    aeLr: { type: 'float', default: 1e-4, min: 0, exclusiveMin: true, description: 'Adam learning rate of pre-training' },
    aeLrMilestones: {
      type: 'intList',
      default: [],
      min: 1,
      // The authors' example run gives no --ae_lr_milestone (main.py's default: none).
      description: 'epochs (1-based, increasing) from which the pre-training lr is multiplied by 0.1 (each)',
    },
    aeWeightDecay: { type: 'float', default: 5e-4, min: 0, description: "Adam's (coupled) weight decay of pre-training" },
  }),
);

/** Deep SAD's parameters (derived from {@link deepSadParamSpace}). */
export type DeepSADParams = ParamsOf<typeof deepSadParamSpace>;

/** The centre's minimum coordinate magnitude (Deep SAD's `init_center_c(eps=0.1)`). */
export const CENTRE_EPS = 0.1;
/** The `eps` of the labelled-anomaly term `eta · (dist + eps)^-1` (Deep SAD's code). */
export const SAD_LOSS_EPS = 1e-6;
/** The factor of each learning-rate milestone (Deep SAD's `MultiStepLR(gamma=0.1)`). */
export const LR_MILESTONE_GAMMA = 0.1;

/**
 * The learning rate of epoch `epoch` (1-based) of a phase with base rate `lr` and `milestones`: `lr` times 0.1 for
 * each milestone m <= epoch. This is what the authors' trainers do: `MultiStepLR(milestones, gamma=0.1)` with
 * `scheduler.step()` at the start of every epoch, under PyTorch 1.1.0 (their pinned version) and later, where the
 * scheduler's constructor has already taken the first step; so milestone 50 trains epochs 1..49 at `lr` and
 * epochs 50.. at `lr · 0.1` (their log line announces it one epoch later). Multiplied step by step, as PyTorch does.
 *
 * @example
 * lrAtEpoch(1e-4, [50], 49);   // 1e-4
 * lrAtEpoch(1e-4, [50], 50);   // 1e-5
 */
export function lrAtEpoch(lr: number, milestones: readonly number[], epoch: number): number {
  let value = lr;
  for (const m of milestones) if (m <= epoch) value *= LR_MILESTONE_GAMMA;
  return value;
}

/** Why a milestone list is invalid (not strictly increasing), or null. */
function milestoneProblem(name: string, milestones: readonly number[]): string | null {
  for (let i = 1; i < milestones.length; i++) {
    if (!(milestones[i] > milestones[i - 1])) {
      return `${name} must be strictly increasing, got [${milestones.join(', ')}]`;
    }
  }
  return null;
}

/** One epoch of a Deep SAD fit. */
export interface DeepSADEpoch {
  phase: 'pretrain' | 'sad';
  epoch: number;
  loss: number;
  /** Adam's learning rate during the epoch ({@link lrAtEpoch}). */
  lr: number;
}

/** A fitted Deep SAD: the encoder φ, the centre c and the per-epoch losses. */
export interface DeepSADModel {
  encoder: DenseNetwork;
  centre: Float32Array;
  history: DeepSADEpoch[];
}

/**
 * Where a Deep SAD fit takes its random choices: the initial weights of each phase's network and each epoch's
 * batch order. A fit draws both from its seeded generator ({@link randomDeepSADPlan}); a test gives fixed ones to
 * replay a reference run (the PyTorch comparison in `test/deepsad-torch.test.ts`).
 */
export interface DeepSADTrainingPlan {
  /**
   * Sets the initial parameters of `net`: the autoencoder in phase `'pretrain'`, or the encoder in phase `'sad'`
   * (only without pre-training; with it the encoder starts from the pre-trained autoencoder's first layers).
   */
  initialise(phase: 'pretrain' | 'sad', net: DenseNetwork): void;
  /**
   * Reorders `order` (the row indices, in place; it keeps the previous epoch's order) before epoch `epoch`
   * (1-based) of a phase; the batches are its consecutive slices of `batchSize` rows.
   */
  shuffle(phase: 'pretrain' | 'sad', epoch: number, order: Uint32Array): void;
}

/**
 * The plan of an ordinary fit: Glorot-uniform weights and a fresh shuffle each epoch, from `rng`.
 *
 * @example
 * const model = await trainDeepSAD(X, y, new DeepSAD().getParams(), ctx, randomDeepSADPlan(ctx.rng));
 */
export function randomDeepSADPlan(rng: Random): DeepSADTrainingPlan {
  return {
    initialise: (_phase, net) => {
      net.initGlorot(rng);
    },
    shuffle: (_phase, _epoch, order) => {
      rng.shuffle(order);
    },
  };
}

/**
 * Deep SAD's centre rule: the mean of the representations, with every coordinate of magnitude below `eps` pushed
 * to `eps` with its sign (a zero coordinate to +eps), so that no unit can reach the centre trivially by dying.
 *
 * @example
 * const c = deepSadCentre(phi, rows, repDim);      // phi: rows × repDim
 */
export function deepSadCentre(representations: Float32Array, rows: number, cols: number, eps = CENTRE_EPS): Float32Array {
  const sum = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sum[j] += representations[i * cols + j];
  const c = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    const m = sum[j] / rows;
    c[j] = Math.abs(m) < eps ? (m < 0 ? -eps : eps) : m;
  }
  return c;
}

/**
 * Deep SAD (Ruff et al., "Deep Semi-Supervised Anomaly Detection", ICLR 2020): an encoder φ without bias terms
 * maps rows near a centre c; unlabelled rows are pulled in by `||φ(x) − c||²` and labelled anomalies pushed out by
 * `eta · (||φ(x) − c||² + 1e-6)⁻¹`. The encoder is first pre-trained as an autoencoder (mirrored decoder, squared
 * error) and c is the mean of its representations of the training rows. Score = `||φ(x) − c||²` (not a
 * probability). With no labelled anomaly it is Deep SVDD (Ruff et al., ICML 2018).
 *
 * Labels: 1 = labelled anomaly, 0 = unlabelled.
 *
 * @example
 * import '@abc/models';
 * const sad = new DeepSAD({ hidden: [32, 16], repDim: 8, seed: 1 });
 * await sad.fit(X, y);                          // y: 1 = labelled anomaly, 0 = unlabelled
 * const s = await sad.scoreSamples(Xtest);      // squared distance to the centre
 */
export class DeepSAD extends BaseDetector<DeepSADParams, DeepSADModel> {
  static readonly declaration = declareDetector({
    name: 'deepsad',
    supervision: 'supervised',
    hasProbability: false,
    learnsWithoutAnomalies: true, // with no labelled anomaly it is Deep SVDD
    description:
      'Deep SAD (Ruff et al. 2020): bias-free encoder pulled to a centre, labelled anomalies pushed away; AE pre-training; score ||phi(x) − c||²',
    budget: 'epochs',
    quickParams: { hidden: [8], repDim: 4, epochs: 3, aeEpochs: 2, batchSize: 32, lr: 1e-3, aeLr: 1e-3 },
    paramSpace: deepSadParamSpace,
    checkParams: (p) => milestoneProblem('lrMilestones', p.lrMilestones) ?? milestoneProblem('aeLrMilestones', p.aeLrMilestones),
  });

  constructor(params?: Partial<DeepSADParams>) {
    super(DeepSAD.declaration, params);
  }

  protected override get acceptsNoAnomalies(): boolean {
    return true;
  }

  /** The fitted centre c. */
  get centre(): Float32Array {
    return Float32Array.from(this.model.centre);
  }

  /** Per-epoch losses of both phases of the fit. */
  get history(): readonly DeepSADEpoch[] {
    return this.model.history;
  }

  protected override checkTrainingData(X: Matrix, y: Labels | undefined): void {
    super.checkTrainingData(X, y);
    checkTrainableRange(X, 'DeepSAD');
  }

  protected fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<DeepSADModel> {
    return trainDeepSAD(X, y, this.params, ctx, randomDeepSADPlan(ctx.rng));
  }

  /**
   * The encoder φ and the centre c as a dense export spec: score = ||φ(x) − c||² (`scoreKind: 'centreDistance'`).
   *
   * @example
   * const bytes = toOnnx(sad);                   // @abc/onnx-export: scores as sad.scoreSamples
   */
  toExportSpec(): DenseExportSpec {
    const { encoder, centre } = this.model;
    checkExportSlope(encoder, 'DeepSAD');
    return {
      kind: 'dense',
      layers: denseExportLayers(encoder),
      scoreKind: 'centreDistance',
      centre: Float32Array.from(centre),
      threshold: this.threshold,
    };
  }

  protected scoreModel(model: DeepSADModel, X: Matrix): Float32Array {
    const phi = model.encoder.predict(X.data, X.rows);
    return squaredDistances(phi, X.rows, model.centre.length, model.centre);
  }

  protected modelToState(model: DeepSADModel): ModelState {
    return {
      meta: { ...specToMeta(model.encoder.spec), history: model.history.map((h) => ({ ...h })) },
      tensors: { params: tensor(Float32Array.from(model.encoder.params)), centre: tensor(Float32Array.from(model.centre)) },
    };
  }

  protected modelFromState(state: ModelState): DeepSADModel {
    const encoder = networkFromMeta(state.meta, state.tensors.params?.data, 'DeepSAD');
    const centre = state.tensors.centre?.data;
    if (!(centre instanceof Float32Array) || centre.length !== encoder.outputSize) {
      throw new ModelFormatError(`DeepSAD.setState: the f32 tensor "centre" must have ${encoder.outputSize} values`);
    }
    const history = Array.isArray(state.meta.history) ? (state.meta.history as unknown as DeepSADEpoch[]) : [];
    return { encoder, centre: Float32Array.from(centre), history };
  }
}

/**
 * One epoch over a shuffled order (`shuffle` reorders it in place) in minibatches of B: `step(indices, rows)` trains on one batch and returns its
 * mean loss; returns the epoch's mean loss. Checks the abort signal after every batch.
 */
async function runEpoch(
  order: Uint32Array,
  B: number,
  ctx: FitContext,
  shuffle: (order: Uint32Array) => void,
  step: (idx: Uint32Array, rows: number) => number,
): Promise<number> {
  shuffle(order);
  let sum = 0;
  for (let start = 0; start < order.length; start += B) {
    const rows = Math.min(B, order.length - start);
    sum += step(order.subarray(start, start + rows), rows) * rows;
    ctx.checkAborted();
  }
  return sum / order.length;
}

/**
 * Deep SAD's training (what {@link DeepSAD.fit} runs, with {@link randomDeepSADPlan}): optional autoencoder
 * pre-training, the centre from the encoder's representations of X ({@link deepSadCentre}), then the Deep SAD
 * loss; each phase's Adam lr follows its milestones ({@link lrAtEpoch}). `plan` gives the initial weights and batch
 * orders, so a test can replay a reference run's.
 *
 * @example
 * const ctx = { rng: new Random(1), signal: undefined, progress() {}, checkAborted() {} };
 * const { encoder, centre, history } = await trainDeepSAD(X, y, new DeepSAD().getParams(), ctx, randomDeepSADPlan(ctx.rng));
 */
export async function trainDeepSAD(
  X: Matrix,
  y: Labels | undefined,
  p: DeepSADParams,
  ctx: FitContext,
  plan: DeepSADTrainingPlan,
): Promise<DeepSADModel> {
  const d = X.cols;
  const act = p.activation as Activation;
  const labels = y ?? new Uint8Array(X.rows);
  const encoderSpec: NetworkSpec = {
    sizes: [d, ...p.hidden, p.repDim],
    activations: [...p.hidden.map(() => act), 'linear'],
    bias: false,
  };
  const encoder = new DenseNetwork(encoderSpec);
  if (!p.pretrain) plan.initialise('sad', encoder);
  const history: DeepSADEpoch[] = [];
  const totalSteps = (p.pretrain ? p.aeEpochs : 0) + p.epochs;
  const B = Math.min(p.batchSize, X.rows);
  const xb = new Float32Array(B * d);
  const order = new Uint32Array(X.rows).map((_, i) => i);

  if (p.pretrain) {
    // Encoder + mirrored decoder, all without bias; the code layer linear, as Deep SAD's MLP autoencoder.
    const ae = new DenseNetwork({
      sizes: [d, ...p.hidden, p.repDim, ...[...p.hidden].reverse(), d],
      activations: [...encoderSpec.activations, ...p.hidden.map(() => act), 'linear'],
      bias: false,
    });
    plan.initialise('pretrain', ae);
    const adam = ae.createAdam({ lr: p.aeLr });
    const opt = withL2(adam, p.aeWeightDecay / 2);
    // Squared error summed over the features, averaged over the batch (Deep SAD's AE loss).
    const mse = (out: Float32Array, rows: number, cols: number, dOut: Float32Array): number => {
      let total = 0;
      for (let k = 0; k < rows * cols; k++) {
        const e = out[k] - xb[k];
        total += e * e;
        dOut[k] = (2 * e) / rows;
      }
      return total / rows;
    };
    for (let epoch = 1; epoch <= p.aeEpochs; epoch++) {
      adam.lr = lrAtEpoch(p.aeLr, p.aeLrMilestones, epoch);
      const loss = await runEpoch(
        order,
        B,
        ctx,
        (o) => plan.shuffle('pretrain', epoch, o),
        (idx, rows) => {
          gatherRows(X, idx, rows, xb);
          return ae.trainStep(xb, 0, rows, mse, opt);
        },
      );
      history.push({ phase: 'pretrain', epoch, loss, lr: adam.lr });
      ctx.progress({ step: epoch, totalSteps, unit: 'epoch', metrics: { loss, lr: adam.lr, pretrain: 1 } });
      await yieldToEventLoop();
    }
    encoder.params.set(ae.params.subarray(0, encoder.size)); // the encoder is the autoencoder's first layers
  }

  const centre = deepSadCentre(encoder.predict(X.data, X.rows), X.rows, p.repDim);
  const adam = encoder.createAdam({ lr: p.lr });
  const opt = withL2(adam, p.weightDecay / 2);
  const yb = new Uint8Array(B);
  const loss = (out: Float32Array, rows: number, cols: number, dOut: Float32Array): number =>
    sadLoss(out, rows, cols, centre, yb, p.eta, SAD_LOSS_EPS, dOut);
  const offset = p.pretrain ? p.aeEpochs : 0;
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    adam.lr = lrAtEpoch(p.lr, p.lrMilestones, epoch);
    const value = await runEpoch(
      order,
      B,
      ctx,
      (o) => plan.shuffle('sad', epoch, o),
      (idx, rows) => {
        gatherRows(X, idx, rows, xb);
        for (let k = 0; k < rows; k++) yb[k] = labels[idx[k]];
        return encoder.trainStep(xb, 0, rows, loss, opt);
      },
    );
    history.push({ phase: 'sad', epoch, loss: value, lr: adam.lr });
    if (!Number.isFinite(value)) break; // diverged: stop rather than train on NaN
    ctx.progress({ step: offset + epoch, totalSteps, unit: 'epoch', metrics: { loss: value, lr: adam.lr } });
    await yieldToEventLoop();
  }
  return { encoder, centre, history };
}
