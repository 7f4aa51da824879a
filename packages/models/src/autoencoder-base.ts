import {
  BaseDetector,
  ModelFormatError,
  stratifiedSplit,
  tensor,
  type Activation,
  type DenseExportSpec,
  type Distance,
  type FitContext,
  type JsonValue,
  type Labels,
  type Matrix,
  type MatrixLike,
  type ModelState,
  defineParams,
  withCommonParams,
  type ParamsOf,
} from '@abc/core';
import {
  DenseNetwork,
  denseExportLayers,
  ReconstructionObjective,
  batchDistances,
  checkTrainableRange,
  sampleLoss,
  type ObjectiveKind,
} from '@abc/engine';

/** Parameters shared by ABC, AE, DAE and LRC (the paper's defaults). */
const ACT = ['tanh', 'sigmoid', 'relu', 'linear'] as const;

/** The parameter space shared by the reconstruction detectors (without `seed`/`threshold`/`contamination`). */
export const reconstructionParamSpace = defineParams({
  hidden: {
    type: 'intList',
    default: [300, 100],
    min: 1,
    description: 'encoder hidden layer sizes; the decoder mirrors them',
    search: {
      choices: [
        [300, 100],
        [100, 50],
        [10, 10],
      ],
    },
  },
  latent: { type: 'int', default: 20, min: 1, description: 'size of the code layer', search: { low: 1, high: 64, log: true } },
  activation: { type: 'choice', default: 'tanh', choices: ACT, description: 'activation of the hidden and code layers' },
  outputActivation: { type: 'choice', default: 'linear', choices: ACT, description: 'activation of the reconstruction layer' },
  distance: {
    type: 'choice',
    default: 'meanSquared',
    choices: ['meanSquared', 'l2', 'squaredL2'],
    description:
      "reconstruction error L: 'meanSquared' (mean over attributes of the squared error), 'l2' (the norm the paper names), 'squaredL2' (the benchmark contract's)",
  },
  init: {
    type: 'choice',
    default: 'glorot',
    choices: ['glorot', 'lecun', 'torch'],
    description:
      "initial weights: 'glorot' (Glorot uniform, zero biases; the paper's Keras default), 'lecun' (U(±sqrt(3/fanIn)), zero biases), 'torch' (PyTorch's nn.Linear default: U(±1/sqrt(fanIn)) weights and biases)",
  },
  lr: {
    type: 'float',
    default: 1e-3,
    min: 0,
    exclusiveMin: true,
    description: 'Adam learning rate',
    search: { low: 1e-4, high: 1e-2, log: true },
  },
  beta1: { type: 'float', default: 0.9, min: 0, max: 1, exclusiveMax: true, description: "Adam's first-moment decay" },
  beta2: { type: 'float', default: 0.999, min: 0, max: 1, exclusiveMax: true, description: "Adam's second-moment decay" },
  eps: { type: 'float', default: 1e-8, min: 0, exclusiveMin: true, description: "Adam's epsilon" },
  batchSize: { type: 'int', default: 100, min: 1, description: 'minibatch size' },
  maxEpochs: { type: 'int', default: 300, min: 1, description: 'maximum number of epochs' },
  validationFraction: {
    type: 'float',
    default: 0.2,
    min: 0,
    max: 0.9,
    description: 'share of the training rows (per class) held out for early stopping; 0 = no early stopping',
  },
  patience: { type: 'int', default: 10, min: 1, description: 'epochs without improvement before early stopping' },
  restoreBestWeights: { type: 'bool', default: true, description: 'restore the weights of the best epoch at the end' },
});

/** The full space of a reconstruction detector: the common parameters and {@link reconstructionParamSpace}. */
export const reconstructionDetectorSpace = withCommonParams(reconstructionParamSpace);

/** The reconstruction detectors' parameters, derived from {@link reconstructionDetectorSpace}. */
export type ReconstructionParams = ParamsOf<typeof reconstructionDetectorSpace>;

/** The DAE noise parameter (ABC's `dae` variant and the DAE). */
export const noiseParamSpec = defineParams({
  noiseSd: {
    type: 'float',
    default: 0.2,
    min: 0,
    description: 'standard deviation of the Gaussian noise added to the inputs during training (denoising variant)',
  },
});

/**
 * One epoch of training history. `loss*` are mean per-sample losses, `error*` mean reconstruction errors L;
 * `Normal`/`Anomaly` split by the training labels (null where that group is empty); `val*` are on the
 * validation split (null without one). Training figures are running means over the epoch's minibatches
 * (with the DAE's noise); validation figures are computed after the epoch without noise.
 */
export interface EpochRecord {
  epoch: number;
  loss: number;
  lossNormal: number | null;
  lossAnomaly: number | null;
  errorNormal: number | null;
  errorAnomaly: number | null;
  valLoss: number | null;
  valLossNormal: number | null;
  valLossAnomaly: number | null;
  valErrorNormal: number | null;
  valErrorAnomaly: number | null;
}

/** A fitted reconstruction network and its training record. */
export interface ReconstructionModel {
  net: DenseNetwork;
  distance: Distance;
  history: EpochRecord[];
  /** Epoch (1-based) whose weights the model holds (the best one when restored). */
  bestEpoch: number;
  /** True when training stopped because the loss or the weights became non-finite (LRC can). */
  diverged: boolean;
}

/** What the shared trainer needs besides the params. */
export interface TrainSetup {
  kind: ObjectiveKind;
  /** Noise sd for denoising (0: none). */
  noiseSd: number;
}

const FLT_MAX = 3.4028234663852886e38;

/**
 * The base of ABC, AE, DAE and LRC: one encoder-decoder, one trainer (shuffled minibatches from `ctx.rng`,
 * stratified validation split, early stopping with best-weights restore, per-epoch history and progress
 * events), scoring in batches, state and export spec. Subclasses choose the objective and the score.
 */
export abstract class ReconstructionDetector<P extends ReconstructionParams> extends BaseDetector<P, ReconstructionModel> {
  /** Objective and noise of this detector with its current params. */
  protected abstract trainSetup(): TrainSetup;
  /** Whether training sees the labels (ABC, LRC) or treats every row as normal (AE, DAE). */
  protected abstract readonly usesLabels: boolean;
  /** The export spec's score kind. */
  protected abstract readonly scoreKind: 'abc' | 'reconstruction';

  /** Per-epoch training history of the fitted model (empty before fit). */
  get history(): readonly EpochRecord[] {
    return this.fitted ? this.model.history : [];
  }

  /** The fitted network (read-only use: its parameters are the model). */
  get network(): DenseNetwork {
    return this.model.net;
  }

  /** The reconstruction error L of each row (higher = worse reconstructed), with the fitted `distance`. */
  async reconstructionError(X: MatrixLike): Promise<Float32Array> {
    const Xm = this.checkScoringInput(X);
    return errorsToFloat32(reconstructionErrors(this.model, Xm));
  }

  /** Refuses values a float32 network cannot train on (see checkTrainableRange). */
  protected override checkTrainingData(X: Matrix, y: Labels | undefined): void {
    super.checkTrainingData(X, y);
    checkTrainableRange(X, this.constructor.name);
  }

  protected async fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<ReconstructionModel> {
    const labels = this.usesLabels && y ? y : new Uint8Array(X.rows);
    return trainReconstruction(X, labels, this.params, this.trainSetup(), ctx);
  }

  protected modelToState(model: ReconstructionModel): ModelState {
    const tensors: ModelState['tensors'] = {};
    model.net.layers.forEach((L, l) => {
      tensors[`W${l}`] = tensor(Float32Array.from(model.net.weights(l)), [L.inputSize, L.outputSize]);
      tensors[`b${l}`] = tensor(Float32Array.from(model.net.biases(l)), [L.outputSize]);
    });
    return {
      meta: {
        sizes: [...model.net.spec.sizes],
        activations: [...model.net.spec.activations],
        distance: model.distance,
        bestEpoch: model.bestEpoch,
        diverged: model.diverged,
        history: model.history as unknown as JsonValue,
      },
      tensors,
    };
  }

  protected modelFromState(state: ModelState): ReconstructionModel {
    const { sizes, activations, distance, bestEpoch, diverged, history } = state.meta;
    const who = `${this.constructor.name}.setState`;
    if (!Array.isArray(sizes) || !Array.isArray(activations) || typeof distance !== 'string') {
      throw new ModelFormatError(`${who}: state lacks sizes, activations or distance`);
    }
    const net = new DenseNetwork({ sizes: sizes.map(Number), activations: activations.map(String) as Activation[] });
    // Reliability fix: a (checksum-valid) edited state whose network does not fit the fitted feature count, or
    // with an unknown distance, is refused here instead of scoring garbage.
    const nFeatures = state.meta.nFeatures;
    if (typeof nFeatures === 'number' && (net.inputSize !== nFeatures || net.outputSize !== nFeatures)) {
      throw new ModelFormatError(
        `${who}: the network maps ${net.inputSize} to ${net.outputSize} values but the model has ${nFeatures} features`,
      );
    }
    if (!(reconstructionParamSpace.distance.choices as readonly string[]).includes(distance))
      throw new ModelFormatError(`${who}: unknown distance ${JSON.stringify(distance)}`);
    net.layers.forEach((L, l) => {
      const W = state.tensors[`W${l}`];
      const b = state.tensors[`b${l}`];
      if (!W || !b || W.data.length !== L.inputSize * L.outputSize || b.data.length !== L.outputSize) {
        throw new ModelFormatError(`${who}: tensor W${l} or b${l} is missing or has the wrong size`);
      }
      net.weights(l).set(W.data);
      net.biases(l).set(b.data);
    });
    return {
      net,
      distance: distance as Distance,
      bestEpoch: typeof bestEpoch === 'number' ? bestEpoch : 0,
      diverged: diverged === true,
      history: Array.isArray(history) ? (history as unknown as EpochRecord[]) : [],
    };
  }

  /** The fitted network as plain data for `@abc/onnx-export`. */
  toExportSpec(): DenseExportSpec {
    const model = this.model;
    return {
      kind: 'dense',
      layers: denseExportLayers(model.net),
      distance: model.distance,
      scoreKind: this.scoreKind,
      threshold: this.threshold,
    };
  }
}

/** The network shape of a reconstruction detector for `d` inputs. */
export function reconstructionSpec(d: number, p: ReconstructionParams): { sizes: number[]; activations: Activation[] } {
  const sizes = [d, ...p.hidden, p.latent, ...[...p.hidden].reverse(), d];
  const activations: Activation[] = sizes.slice(1).map((_, l) => (l === sizes.length - 2 ? p.outputActivation : p.activation));
  return { sizes, activations };
}

/** L of every row of X (float64), in batches of 1024 rows. */
export function reconstructionErrors(model: ReconstructionModel, X: Matrix): Float64Array {
  const { net, distance } = model;
  const d = X.cols;
  const out = new Float64Array(X.rows);
  const B = 1024;
  for (let s = 0; s < X.rows; s += B) {
    const rows = Math.min(B, X.rows - s);
    batchDistances(distance, net.forward(X.data, s * d, rows), X.data, s * d, rows, d, out, s);
  }
  return out;
}

/** L as float32 scores; a non-finite L (a diverged network) becomes the largest float32, never NaN. */
export function errorsToFloat32(L: Float64Array): Float32Array {
  const out = new Float32Array(L.length);
  for (let i = 0; i < L.length; i++) {
    const v = L[i];
    // biome-ignore lint/complexity/useMathMinMax: Math.min would keep NaN; the comparison maps NaN to FLT_MAX too
    out[i] = v < FLT_MAX ? v : FLT_MAX; // NaN and +Inf fail the test
  }
  return out;
}

interface GroupSums {
  loss: number;
  lossN: number;
  lossA: number;
  errN: number;
  errA: number;
  nN: number;
  nA: number;
}

const emptySums = (): GroupSums => ({ loss: 0, lossN: 0, lossA: 0, errN: 0, errA: 0, nN: 0, nA: 0 });
const mean = (s: number, n: number): number | null => (n > 0 ? s / n : null);

/**
 * The shared trainer. Every random choice (init, split, shuffling, noise) comes from `ctx.rng` in a fixed
 * order: weight init (`init`), validation split, then per epoch a shuffle and (denoising only) the noise of each batch.
 * AE and ABC on all-normal labels therefore consume the same stream and produce bit-identical weights.
 */
export async function trainReconstruction(
  X: Matrix,
  labels: Labels,
  p: ReconstructionParams,
  setup: TrainSetup,
  ctx: FitContext,
): Promise<ReconstructionModel> {
  const rng = ctx.rng;
  const d = X.cols;
  const net = new DenseNetwork(reconstructionSpec(d, p)).init(p.init, rng);
  const adam = net.createAdam({ lr: p.lr, beta1: p.beta1, beta2: p.beta2, eps: p.eps });
  const obj = new ReconstructionObjective(setup.kind, p.distance, d);
  const { train, val } =
    p.validationFraction > 0
      ? stratifiedSplit(labels, p.validationFraction, rng)
      : { train: Uint32Array.from({ length: X.rows }, (_, i) => i), val: new Uint32Array(0) };
  const nTrain = train.length;
  const B = Math.min(p.batchSize, nTrain);
  // The batch buffers live next to the network (in its arena when it has one), so neither the forward pass nor
  // the loss copies the batch in again.
  const xb = net.allocate(B * d);
  const xin = setup.noiseSd > 0 ? net.allocate(B * d) : xb;
  const lb = new Uint8Array(B);
  const valX = new Float32Array(val.length * d);
  const valY = new Uint8Array(val.length);
  for (let k = 0; k < val.length; k++) {
    valX.set(X.data.subarray(val[k] * d, (val[k] + 1) * d), k * d);
    valY[k] = labels[val[k]];
  }
  const order = Uint32Array.from(train);
  const history: EpochRecord[] = [];
  const best = Float32Array.from(net.params);
  let bestMonitor = Infinity;
  let bestEpoch = 0;
  let wait = 0;
  let diverged = false;
  const loss = (out: Float32Array, rows: number, _c: number, dOut: Float32Array) => obj.compute(out, xb, 0, lb, rows, dOut);

  for (let epoch = 1; epoch <= p.maxEpochs; epoch++) {
    rng.shuffle(order);
    const s = emptySums();
    for (let start = 0; start < nTrain; start += B) {
      const rows = Math.min(B, nTrain - start);
      for (let i = 0; i < rows; i++) {
        const r = order[start + i];
        const src = r * d;
        const dst = i * d;
        for (let j = 0; j < d; j++) xb[dst + j] = X.data[src + j];
        lb[i] = labels[r];
      }
      if (xin !== xb) {
        const sd = setup.noiseSd;
        for (let j = 0; j < rows * d; j++) xin[j] = xb[j] + rng.normal(0, sd);
      }
      const value = net.trainStep(xin, 0, rows, loss, adam);
      if (!Number.isFinite(value)) {
        diverged = true;
        break;
      }
      for (let i = 0; i < rows; i++) {
        const l = obj.loss[i];
        s.loss += l;
        if (lb[i] === 1) {
          s.lossA += l;
          s.errA += obj.L[i];
          s.nA++;
        } else {
          s.lossN += l;
          s.errN += obj.L[i];
          s.nN++;
        }
      }
      ctx.checkAborted();
    }
    if (!diverged && !allFinite(net.params)) diverged = true;
    if (diverged) break;
    const v = val.length > 0 ? evaluate(net, valX, valY, val.length, setup.kind, p.distance) : null;
    const record: EpochRecord = {
      epoch,
      loss: s.loss / Math.max(1, s.nN + s.nA),
      lossNormal: mean(s.lossN, s.nN),
      lossAnomaly: mean(s.lossA, s.nA),
      errorNormal: mean(s.errN, s.nN),
      errorAnomaly: mean(s.errA, s.nA),
      valLoss: v ? v.loss / Math.max(1, v.nN + v.nA) : null,
      valLossNormal: v ? mean(v.lossN, v.nN) : null,
      valLossAnomaly: v ? mean(v.lossA, v.nA) : null,
      valErrorNormal: v ? mean(v.errN, v.nN) : null,
      valErrorAnomaly: v ? mean(v.errA, v.nA) : null,
    };
    history.push(record);
    const monitor = record.valLoss ?? record.loss;
    if (monitor < bestMonitor) {
      bestMonitor = monitor;
      bestEpoch = epoch;
      best.set(net.params);
      wait = 0;
    } else {
      wait++;
    }
    const metrics: { [k: string]: number } = {};
    for (const [k, value] of Object.entries(record)) if (typeof value === 'number' && k !== 'epoch') metrics[k] = value;
    ctx.progress({ step: epoch, totalSteps: p.maxEpochs, unit: 'epoch', metrics });
    if (p.validationFraction > 0 && wait >= p.patience) break;
    await yieldToEventLoop();
  }
  if (diverged || p.restoreBestWeights) {
    net.params.set(best);
  } else {
    bestEpoch = history.length;
  }
  return { net, distance: p.distance, history, bestEpoch, diverged };
}

function evaluate(
  net: DenseNetwork,
  X: Float32Array,
  y: Uint8Array,
  rows: number,
  kind: ObjectiveKind,
  distance: Distance,
): GroupSums {
  const d = net.inputSize;
  const s = emptySums();
  const B = 1024;
  const errors = new Float64Array(Math.min(B, rows));
  for (let start = 0; start < rows; start += B) {
    const r = Math.min(B, rows - start);
    batchDistances(distance, net.forward(X, start * d, r), X, start * d, r, d, errors);
    for (let i = 0; i < r; i++) {
      const L = errors[i];
      const anomaly = y[start + i] === 1;
      const l = sampleLoss(kind, L, anomaly);
      s.loss += l;
      if (anomaly) {
        s.lossA += l;
        s.errA += L;
        s.nA++;
      } else {
        s.lossN += l;
        s.errN += L;
        s.nN++;
      }
    }
  }
  return s;
}

function allFinite(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

/** Lets timers, abort signals and UI events run between epochs (in Node and the browser). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
