import {
  BaseDetector,
  declareDetector,
  defineParams,
  ModelFormatError,
  tensor,
  withCommonParams,
  type Activation,
  type FitContext,
  type JsonValue,
  type FeatureResidualExportSpec,
  type Labels,
  type Matrix,
  type ModelState,
  type ParamsOf,
} from '@abc/core';
import { checkTrainableRange, denseExportLayers, type DenseNetwork } from '@abc/engine';
import { FeaWADNetwork, RESIDUAL_EPS } from './feawad-net.js';
import { randomFeaWADBatches, trainFeaWAD, type FeaWADEpoch } from './feawad-train.js';
import { networkFromMeta, specToMeta } from './semi-common.js';
import { checkExportSlope } from './semi-export.js';

export type { FeaWADEpoch } from './feawad-train.js';

/**
 * FeaWAD's parameters. Defaults follow Zhou et al. (TNNLS 2021) and the authors' Keras code: an autoencoder
 * D → D → 128 → 64 → 128 → D of ReLU layers, a scoring network of 256 and 32 ReLU units, Adam lr 1e-4 in both
 * stages, 100 pre-training epochs and 30 end-to-end epochs of 20 batches of 512 rows, margin 5, and (as DevNet,
 * which the paper's deviation loss follows) 5,000 N(0, 1) reference scores per batch.
 */
export const feaWadParamSpace = withCommonParams(
  defineParams({
    hidden: {
      type: 'intList',
      default: [128, 64],
      min: 1,
      description:
        'encoder layer sizes after the input layer; the last is the hidden representation h (the decoder mirrors them)',
      search: {
        choices: [
          [128, 64],
          [64, 32],
          [32, 16],
        ],
      },
    },
    inputLayer: {
      type: 'bool',
      default: true,
      description: "start the encoder with a dense layer as wide as the input (the original code's first layer)",
    },
    headHidden: {
      type: 'intList',
      default: [256, 32],
      min: 1,
      description: 'hidden layer sizes of the scoring network; the reconstruction error is appended to the input of each',
      search: {
        choices: [
          [256, 32],
          [64, 16],
        ],
      },
    },
    activation: {
      type: 'choice',
      default: 'relu',
      choices: ['relu', 'leakyRelu', 'tanh'],
      description: 'activation of every hidden layer',
    },
    outputActivation: {
      type: 'choice',
      default: 'linear',
      choices: ['linear', 'relu', 'sigmoid'],
      description: "activation of the decoder's output ('relu' as the original code, for data scaled to [0, 1])",
    },
    lr: {
      type: 'float',
      default: 1e-4,
      min: 0,
      exclusiveMin: true,
      description: 'Adam learning rate of the end-to-end stage',
      search: { low: 1e-5, high: 1e-2, log: true },
    },
    aeLr: { type: 'float', default: 1e-4, min: 0, exclusiveMin: true, description: 'Adam learning rate of pre-training' },
    batchSize: {
      type: 'int',
      default: 512,
      min: 2,
      description: 'minibatch size (end-to-end batches are half unlabelled rows, half labelled anomalies)',
    },
    batchesPerEpoch: { type: 'int', default: 20, min: 1, description: 'batches per epoch (both stages)' },
    epochs: { type: 'int', default: 30, min: 1, description: 'epochs of end-to-end training' },
    aeEpochs: { type: 'int', default: 100, min: 1, description: 'epochs of autoencoder pre-training' },
    margin: {
      type: 'float',
      default: 5,
      min: 0,
      exclusiveMin: true,
      description: 'margin a of the deviation and reconstruction terms for labelled anomalies',
    },
    nReference: { type: 'int', default: 5000, min: 2, description: 'N(0, 1) reference scores drawn for each batch' },
  }),
);

/** FeaWAD's parameters (derived from {@link feaWadParamSpace}). */
export type FeaWADParams = ParamsOf<typeof feaWadParamSpace>;

interface FeaWADModel {
  net: FeaWADNetwork;
  history: FeaWADEpoch[];
}

/**
 * FeaWAD (Zhou et al., "Feature Encoding with Autoencoders for Weakly Supervised Anomaly Detection", IEEE TNNLS
 * 2021): an autoencoder encodes each row as its hidden representation h, its normalised reconstruction residual
 * (x − x̂) / ||x − x̂|| and its reconstruction error e = ||x − x̂||; a scoring MLP takes [r̃, h, e], with e appended
 * again to the input of each later layer. Stage 1 pre-trains the autoencoder (mean squared error) on the
 * unlabelled rows; stage 2 trains everything end to end on balanced batches with, per row, DevNet's deviation loss
 * on the score plus `e` for unlabelled rows and `max(0, a − e)` for labelled anomalies. Score = the scoring
 * network's output (higher = more anomalous; not a probability).
 *
 * Labels: 1 = labelled anomaly, 0 = unlabelled. It needs at least one labelled anomaly.
 *
 * @example
 * import '@abc/models';
 * const fea = new FeaWAD({ seed: 1 });            // 100 + 30 epochs of 20 batches of 512
 * await fea.fit(X, y);                            // y: 1 = labelled anomaly, 0 = unlabelled
 * const s = await fea.scoreSamples(Xtest);
 */
export class FeaWAD extends BaseDetector<FeaWADParams, FeaWADModel> {
  static readonly declaration = declareDetector({
    name: 'feawad',
    supervision: 'supervised',
    hasProbability: false,
    learnsWithoutAnomalies: false,
    description:
      'FeaWAD (Zhou et al. 2021): autoencoder features, residual and error into a scoring MLP; AE pre-training, then deviation + reconstruction loss',
    budget: 'epochs',
    quickParams: {
      hidden: [8, 4],
      headHidden: [8, 4],
      epochs: 10,
      aeEpochs: 2,
      batchesPerEpoch: 5,
      batchSize: 32,
      nReference: 500,
      lr: 1e-3,
      aeLr: 1e-3,
    },
    paramSpace: feaWadParamSpace,
    checkParams: (p) => (p.hidden.length === 0 ? 'hidden needs at least one layer (the last is the representation h)' : null),
  });

  constructor(params?: Partial<FeaWADParams>) {
    super(FeaWAD.declaration, params);
  }

  /** Per-epoch losses of both stages of the fit. */
  get history(): readonly FeaWADEpoch[] {
    return this.model.history;
  }

  protected override checkTrainingData(X: Matrix, y: Labels | undefined): void {
    super.checkTrainingData(X, y);
    checkTrainableRange(X, 'FeaWAD');
  }

  protected async fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<FeaWADModel> {
    const p = this.params;
    const labels = y!; // supervised: the base class has checked both classes are present
    const net = FeaWADNetwork.create({
      inputSize: X.cols,
      inputLayer: p.inputLayer,
      hidden: p.hidden,
      headHidden: p.headHidden,
      activation: p.activation as Activation,
      outputActivation: p.outputActivation as Activation,
    }).initGlorotNormal(ctx.rng);
    const history = await trainFeaWAD(net, X, labels, p, randomFeaWADBatches(ctx.rng, labels, p.nReference), {
      checkAborted: ctx.checkAborted,
      onEpoch: (r, step, totalSteps) =>
        ctx.progress({
          step,
          totalSteps,
          unit: 'epoch',
          metrics: r.phase === 'pretrain' ? { loss: r.loss, pretrain: 1 } : { loss: r.loss },
        }),
    });
    return { net, history };
  }

  /**
   * The autoencoder and the scoring network as a `featureResidual` export spec: head input [r̃, h, e] with
   * r̃ = r / max(e, 1e-12) (`normFloor`), e appended after every hidden scoring layer, as `scoreSamples`.
   *
   * @example
   * const bytes = toOnnx(fea);                   // @abc/onnx-export: scores as fea.scoreSamples
   */
  toExportSpec(): FeatureResidualExportSpec {
    const { net } = this.model;
    for (const part of net.parts) checkExportSlope(part, 'FeaWAD');
    return {
      kind: 'featureResidual',
      encoder: denseExportLayers(net.encoder),
      decoder: denseExportLayers(net.decoder),
      head: net.head.flatMap((layer) => denseExportLayers(layer)),
      headInput: ['normalizedResidual', 'features', 'residualNorm'],
      residualNormToEveryLayer: true,
      normFloor: RESIDUAL_EPS,
      threshold: this.threshold,
    };
  }

  protected scoreModel(model: FeaWADModel, X: Matrix): Float32Array {
    return model.net.score(X.data, X.rows);
  }

  protected modelToState(model: FeaWADModel): ModelState {
    const { net } = model;
    const tensors: ModelState['tensors'] = {
      encoder: tensor(Float32Array.from(net.encoder.params)),
      decoder: tensor(Float32Array.from(net.decoder.params)),
    };
    net.head.forEach((h, k) => {
      tensors[`head${k}`] = tensor(Float32Array.from(h.params));
    });
    return {
      meta: {
        encoder: specToMeta(net.encoder.spec),
        decoder: specToMeta(net.decoder.spec),
        head: net.head.map((h) => specToMeta(h.spec)),
        history: model.history.map((h) => ({ ...h })),
      },
      tensors,
    };
  }

  protected modelFromState(state: ModelState): FeaWADModel {
    const { meta, tensors } = state;
    const part = (m: JsonValue | undefined, name: string): DenseNetwork => {
      if (m === null || typeof m !== 'object' || Array.isArray(m)) {
        throw new ModelFormatError(`FeaWAD.setState: state lacks the spec of "${name}"`);
      }
      return networkFromMeta(m, tensors[name]?.data, `FeaWAD (${name})`);
    };
    const headMeta = meta.head;
    if (!Array.isArray(headMeta) || headMeta.length === 0)
      throw new ModelFormatError('FeaWAD.setState: state lacks the scoring layers');
    let net: FeaWADNetwork;
    try {
      net = new FeaWADNetwork(
        part(meta.encoder, 'encoder'),
        part(meta.decoder, 'decoder'),
        headMeta.map((m, k) => part(m, `head${k}`)),
      );
    } catch (e) {
      if (e instanceof ModelFormatError) throw e;
      throw new ModelFormatError(`FeaWAD.setState: ${(e as Error).message}`, { cause: e });
    }
    const history = Array.isArray(meta.history) ? (meta.history as unknown as FeaWADEpoch[]) : [];
    return { net, history };
  }
}
