import {
  BaseDetector,
  sigmoid,
  stratifiedSplit,
  declareDetector,
  defineParams,
  ModelFormatError,
  tensor,
  withCommonParams,
  type DenseExportSpec,
  type FitContext,
  type Labels,
  type Matrix,
  type ModelState,
  type ParamsOf,
} from '@abc/core';
import { checkTrainableRange, DenseNetwork, denseExportLayers } from '@abc/engine';

/** The DNN's parameters (defaults follow the paper's other networks: Adam 1e-3, batch 100, 300 epochs, 20% validation). */
export const dnnParamSpace = withCommonParams(
  defineParams({
    hidden: {
      type: 'intList',
      default: [300, 100],
      min: 1,
      description: 'sizes of the two hidden layers (three weight layers in all)',
      search: {
        choices: [
          [300, 100],
          [100, 50],
          [10, 10],
        ],
      },
    },
    activation: {
      type: 'choice',
      default: 'relu',
      choices: ['relu', 'tanh', 'sigmoid'],
      description: 'activation of the hidden layers',
      search: { choices: ['relu', 'tanh'] },
    },
    lr: {
      type: 'float',
      default: 1e-3,
      min: 0,
      exclusiveMin: true,
      description: 'Adam learning rate',
      search: { low: 1e-4, high: 1e-2, log: true },
    },
    batchSize: { type: 'int', default: 100, min: 1, description: 'minibatch size' },
    maxEpochs: { type: 'int', default: 300, min: 1, description: 'maximum number of epochs' },
    validationFraction: {
      type: 'float',
      default: 0.2,
      min: 0,
      max: 1,
      exclusiveMax: true,
      description: 'share of the training rows held out (stratified) for early stopping; 0 trains on all rows for maxEpochs',
    },
    patience: { type: 'int', default: 10, min: 1, description: 'epochs without a better validation loss before stopping' },
  }),
);

/** The DNN's parameters (derived from {@link dnnParamSpace}). */
export type DNNParams = ParamsOf<typeof dnnParamSpace>;

/** One epoch of a DNN's training record. */
export interface DNNEpoch {
  epoch: number;
  loss: number;
  valLoss: number | null;
}

interface DNNModel {
  net: DenseNetwork;
  history: DNNEpoch[];
  bestEpoch: number;
}

/**
 * The paper's supervised DNN baseline: three fully connected layers (input → hidden[0] → hidden[1] → one
 * logit) trained with sigmoid cross-entropy by Adam in minibatches, early stopping on a stratified
 * validation split with the best weights restored. Score = p(anomaly | x) = sigmoid(logit), so the
 * threshold defaults to 0.5. Like any classifier, it learns the boundary between normals and the known
 * anomalies, and so misses unknown anomalies on the far side (the paper's Figure 3(b)).
 *
 * @example
 * const dnn = createDetector('dnn', { hidden: [10, 10], seed: 1 });
 * await dnn.fit(X, y);                      // y: 1 = known anomaly, 0 = normal
 * const p = await dnn.predictProba(Xtest);
 */
export class DNN extends BaseDetector<DNNParams, DNNModel> {
  static readonly declaration = declareDetector({
    name: 'dnn',
    supervision: 'supervised',
    hasProbability: true,
    learnsWithoutAnomalies: false,
    description: 'DNN: three fully connected layers, sigmoid cross-entropy, Adam, early stopping; score = p(anomaly)',
    budget: 'maxEpochs',
    quickParams: { hidden: [8, 4], maxEpochs: 30, batchSize: 32 },
    paramSpace: dnnParamSpace,
    // The constructor and setParams alike: the network has exactly two hidden layers.
    checkParams: (p) =>
      p.hidden.length !== 2 ? `"hidden" must give two layer sizes (three fully connected layers), got [${p.hidden}]` : null,
  });
  /** @deprecated The space is `DNN.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = dnnParamSpace;

  constructor(params?: Partial<DNNParams>) {
    super(DNN.declaration, params);
  }

  /** Per-epoch training and validation loss of the fitted model. */
  get history(): readonly DNNEpoch[] {
    return this.model.history;
  }

  /** Refuses values a float32 network cannot train on (see checkTrainableRange). */
  protected override checkTrainingData(X: Matrix, y: Labels | undefined): void {
    super.checkTrainingData(X, y);
    checkTrainableRange(X, 'DNN');
  }

  protected async fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<DNNModel> {
    const p = this.params;
    const d = X.cols;
    const labels = y!;
    const net = new DenseNetwork({
      sizes: [d, p.hidden[0], p.hidden[1], 1],
      activations: [p.activation, p.activation, 'linear'],
    }).initGlorot(ctx.rng);
    const adam = net.createAdam({ lr: p.lr });
    const { train, val } = stratifiedSplit(labels, p.validationFraction, ctx.rng);
    const B = Math.min(p.batchSize, train.length);
    const xb = net.allocate(B * d); // in the network's arena when it has one: the forward pass reads it in place
    const tb = new Uint8Array(B);
    const valX = gather(X, val);
    const valY = Uint8Array.from(val, (i) => labels[i]);
    const loss = (out: Float32Array, rows: number, _cols: number, dOut: Float32Array): number => {
      let total = 0;
      for (let i = 0; i < rows; i++) {
        const z = out[i];
        total += bce(z, tb[i]);
        dOut[i] = (sigmoid(z) - tb[i]) / rows;
      }
      return total / rows;
    };
    const order = Uint32Array.from(train);
    const best = Float32Array.from(net.params);
    const history: DNNEpoch[] = [];
    let bestLoss = Infinity;
    let bestEpoch = 0;
    let wait = 0;
    for (let epoch = 1; epoch <= p.maxEpochs; epoch++) {
      ctx.rng.shuffle(order);
      let sum = 0;
      for (let start = 0; start < order.length; start += B) {
        const rows = Math.min(B, order.length - start);
        for (let i = 0; i < rows; i++) {
          const r = order[start + i];
          xb.set(X.data.subarray(r * d, (r + 1) * d), i * d);
          tb[i] = labels[r];
        }
        sum += net.trainStep(xb, 0, rows, loss, adam) * rows;
        ctx.checkAborted();
      }
      const trainLoss = sum / order.length;
      let valLoss: number | null = null;
      if (val.length > 0) {
        const z = net.predict(valX, val.length);
        let s = 0;
        for (let i = 0; i < val.length; i++) s += bce(z[i], valY[i]);
        valLoss = s / val.length;
      }
      history.push({ epoch, loss: trainLoss, valLoss });
      const monitor = valLoss ?? trainLoss;
      if (!Number.isFinite(monitor)) break; // diverged: keep the best weights so far
      if (monitor < bestLoss) {
        bestLoss = monitor;
        bestEpoch = epoch;
        best.set(net.params);
        wait = 0;
      } else wait++;
      ctx.progress({
        step: epoch,
        totalSteps: p.maxEpochs,
        unit: 'epoch',
        metrics: valLoss === null ? { loss: trainLoss } : { loss: trainLoss, valLoss },
      });
      if (val.length > 0 && wait >= p.patience) break;
      await new Promise<void>((ok) => setTimeout(ok, 0));
    }
    if (bestEpoch > 0) net.params.set(best);
    return { net, history, bestEpoch };
  }

  protected scoreModel(model: DNNModel, X: Matrix): Float32Array {
    const z = model.net.predict(X.data, X.rows);
    const out = new Float32Array(X.rows);
    for (let i = 0; i < X.rows; i++) out[i] = sigmoid(z[i]);
    return out;
  }

  /** Three dense layers whose one output is a logit: score = sigmoid(logit). */
  toExportSpec(): DenseExportSpec {
    const net = this.model.net;
    return {
      kind: 'dense',
      layers: denseExportLayers(net),
      scoreKind: 'sigmoid',
      threshold: this.threshold,
    };
  }

  protected modelToState(model: DNNModel): ModelState {
    return {
      meta: {
        sizes: [...model.net.spec.sizes],
        activations: [...model.net.spec.activations],
        bestEpoch: model.bestEpoch,
        history: model.history.map((h) => ({ ...h })),
      },
      tensors: { params: tensor(model.net.params) },
    };
  }

  protected modelFromState(state: ModelState): DNNModel {
    const { sizes, activations, bestEpoch, history } = state.meta as unknown as {
      sizes: unknown;
      activations: unknown;
      bestEpoch: number;
      history: DNNEpoch[];
    };
    const params = state.tensors.params?.data;
    if (!Array.isArray(sizes) || !Array.isArray(activations) || !(params instanceof Float32Array)) {
      throw new ModelFormatError('DNN.setState: state lacks sizes, activations or the f32 tensor "params"');
    }
    let net: DenseNetwork;
    try {
      net = new DenseNetwork(
        { sizes: sizes.map(Number), activations: activations.map(String) as DenseNetwork['spec']['activations'] },
        { params },
      );
    } catch (e) {
      // A spec the engine refuses, or a parameter count that does not match it: the state is damaged.
      throw new ModelFormatError(`DNN.setState: ${(e as Error).message}`, { cause: e });
    }
    return { net, history: history ?? [], bestEpoch: bestEpoch ?? 0 };
  }
}

/** Sigmoid cross-entropy from the logit, stably: softplus(z) − t·z. */
function bce(z: number, t: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - t * z;
}

function gather(X: Matrix, rows: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length * X.cols);
  rows.forEach((r, k) => {
    out.set(X.data.subarray(r * X.cols, (r + 1) * X.cols), k * X.cols);
  });
  return out;
}
