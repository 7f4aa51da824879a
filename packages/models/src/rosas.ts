import {
  BaseDetector,
  declareDetector,
  defineParams,
  ModelFormatError,
  tensor,
  withCommonParams,
  type Activation,
  type DenseExportSpec,
  type FitContext,
  type JsonValue,
  type Labels,
  type Matrix,
  type ModelState,
  type ParamsOf,
} from '@abc/core';
import { checkTrainableRange, denseExportLayers, type DenseNetwork } from '@abc/engine';
import { randomRoSASBatches } from './rosas-batches.js';
import { RoSASNetwork } from './rosas-net.js';
import { trainRoSAS, type RoSASEpoch } from './rosas-train.js';
import { networkFromMeta, specToMeta } from './semi-common.js';
import { checkExportSlope } from './semi-export.js';

export type { RoSASEpoch } from './rosas-train.js';

/**
 * RoSAS's parameters. Defaults follow Xu et al. (IP&M 2023) and the authors' code (github.com/xuhongzuo/rosas,
 * `RoSAS.py` and the experiments' `configs.yaml`): a bias-free LeakyReLU feature learner D → D + ⌊(128 − D)/2⌋ →
 * 128 (linear) and a head 128 → 64 → 1 (tanh), Adam lr 0.005 with weight decay 1e-4, 200 epochs of 16 batches of 32
 * triplets, margin 1, Dirichlet α = 0.5 over k = 2 rows, temperature 2, and the code's 0.01 ||A + P + N|| penalty.
 */
export const rosasParamSpace = withCommonParams(
  defineParams({
    hidden: {
      type: 'intList',
      default: null,
      nullable: true,
      min: 1,
      description:
        "hidden layer sizes of the feature learner; null: one layer halfway from D to embeddingSize (the original's D + trunc((E − D) / 2))",
      search: { choices: [[32], [64], [128]] },
    },
    embeddingSize: {
      type: 'int',
      default: 128,
      min: 2,
      description: "width E of the representation (the feature learner's linear last layer); the head has E / 2 units",
      search: { low: 16, high: 256, log: true },
    },
    activation: {
      type: 'choice',
      default: 'leakyRelu',
      choices: ['leakyRelu', 'relu', 'tanh'],
      description: 'activation of the hidden layers of the feature learner and the head',
    },
    lr: {
      type: 'float',
      default: 0.005,
      min: 0,
      exclusiveMin: true,
      description: 'Adam learning rate',
      search: { low: 1e-4, high: 1e-2, log: true },
    },
    weightDecay: {
      type: 'float',
      default: 1e-4,
      min: 0,
      description: "Adam's coupled weight decay on every parameter (PyTorch's weight_decay)",
    },
    batchSize: {
      type: 'int',
      default: 32,
      min: 1,
      description: 'B: triplets per batch (B unlabelled anchors, B unlabelled positives, B labelled anomalies; 3B mixes)',
    },
    batchesPerEpoch: { type: 'int', default: 16, min: 1, description: 'batches per epoch' },
    epochs: { type: 'int', default: 200, min: 1, description: 'number of epochs' },
    margin: {
      type: 'float',
      default: 1,
      min: 0,
      description: 'margin m of the triplet loss on the representations',
      search: { low: 0.5, high: 5 },
    },
    alpha: {
      type: 'float',
      default: 0.5,
      min: 0,
      exclusiveMin: true,
      description: 'α of the symmetric Dirichlet (Beta(α, α) for two rows) the mixing weights are drawn from',
      search: { low: 0.1, high: 2, log: true },
    },
    mixSize: { type: 'int', default: 2, min: 2, description: 'k: rows combined into each mixed row' },
    temperature: {
      type: 'float',
      default: 2,
      min: 0,
      exclusiveMin: true,
      description: 'temperature T of the dynamic weighting of the triplet and score terms',
    },
    weighting: {
      type: 'choice',
      default: 'dynamic',
      choices: ['dynamic', 'fixed'],
      description: "'dynamic': the paper's weighting by the terms' progress; 'fixed': ½ and ½ (DeepOD's)",
    },
    embeddingPenalty: {
      type: 'float',
      default: 0.01,
      min: 0,
      description: "coefficient of ||A + P + N||₂ on each batch's representations (the authors' code; 0: none, as DeepOD)",
    },
  }),
);

/** RoSAS's parameters (derived from {@link rosasParamSpace}). */
export type RoSASParams = ParamsOf<typeof rosasParamSpace>;

interface RoSASModel {
  net: RoSASNetwork;
  history: RoSASEpoch[];
}

/**
 * RoSAS (Xu, Wang, Pang, Jian, Liu & Wang, "RoSAS: Deep semi-supervised anomaly detection with
 * contamination-resilient continuous supervision", Information Processing & Management 2023): a feature learner ψ
 * and a tanh scoring head η give the score φ(x) = η(ψ(x)) ∈ (−1, 1). Each batch holds B triplets (an unlabelled
 * anchor, an unlabelled positive, a labelled anomaly); mass interpolation mixes the batch's 3B rows k at a time with
 * Dirichlet(α) weights λ into new rows x̃ with continuous targets ỹ = Σ λ y (y = −1 unlabelled, +1 anomaly). The loss
 * weights, dynamically by their progress over the previous epoch, the triplet margin loss on ψ and the score loss
 * `ℓ(φ(x̃), ỹ) + ℓ(φ(x̃), Σ λ φ(x))` (smooth L1; the second term makes the mix's score consistent with its parts'),
 * plus the authors' code's small penalty on the summed representations. Score = φ(x) (higher = more anomalous; not
 * a probability).
 *
 * Labels: 1 = labelled anomaly, 0 = unlabelled. It needs at least one labelled anomaly.
 *
 * @example
 * import '@abc/models';
 * const ro = new RoSAS({ seed: 1 });               // 200 epochs of 16 batches of 32 triplets
 * await ro.fit(X, y);                              // y: 1 = labelled anomaly, 0 = unlabelled
 * const s = await ro.scoreSamples(Xtest);          // in (−1, 1)
 */
export class RoSAS extends BaseDetector<RoSASParams, RoSASModel> {
  static readonly declaration = declareDetector({
    name: 'rosas',
    supervision: 'supervised',
    hasProbability: false,
    learnsWithoutAnomalies: false,
    description:
      'RoSAS (Xu et al. 2023): triplet loss on the representation + mass-interpolation (mixup) score regression with consistency, dynamically weighted',
    budget: 'epochs',
    quickParams: { hidden: [16], embeddingSize: 16, epochs: 5, batchesPerEpoch: 8, batchSize: 16 },
    paramSpace: rosasParamSpace,
  });

  constructor(params?: Partial<RoSASParams>) {
    super(RoSAS.declaration, params);
  }

  /** Per-epoch mean loss and terms of the fit. */
  get history(): readonly RoSASEpoch[] {
    return this.model.history;
  }

  protected override checkTrainingData(X: Matrix, y: Labels | undefined): void {
    super.checkTrainingData(X, y);
    checkTrainableRange(X, 'RoSAS');
  }

  protected async fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<RoSASModel> {
    const p = this.params;
    const labels = y!; // supervised: the base class has checked both classes are present
    const net = RoSASNetwork.create({
      inputSize: X.cols,
      hidden: p.hidden,
      embeddingSize: p.embeddingSize,
      activation: p.activation as Activation,
    }).initTorch(ctx.rng);
    const batches = randomRoSASBatches(ctx.rng, labels, p);
    const history = await trainRoSAS(net, X, { ...p, weighting: p.weighting as 'dynamic' | 'fixed' }, batches, {
      checkAborted: () => ctx.checkAborted(),
      onEpoch: (r, total) =>
        ctx.progress({
          step: r.epoch,
          totalSteps: total,
          unit: 'epoch',
          metrics: { loss: r.loss, triplet: r.triplet, score: r.score },
        }),
    });
    return { net, history };
  }

  /**
   * The feature learner and the head as one dense export spec with `scoreKind: 'linear'`: the bias-free layers
   * (zero biases), then the head's last unit with its tanh, so the score φ(x) = η(ψ(x)) as `scoreSamples`.
   *
   * @example
   * const bytes = toOnnx(ro);                    // @abc/onnx-export: scores as ro.scoreSamples
   */
  toExportSpec(): DenseExportSpec {
    const { net } = this.model;
    for (const part of net.parts) checkExportSlope(part, 'RoSAS');
    return {
      kind: 'dense',
      layers: [...denseExportLayers(net.feature), ...denseExportLayers(net.head)],
      scoreKind: 'linear',
      threshold: this.threshold,
    };
  }

  protected scoreModel(model: RoSASModel, X: Matrix): Float32Array {
    return model.net.score(X.data, X.rows);
  }

  protected modelToState(model: RoSASModel): ModelState {
    const { net } = model;
    return {
      meta: {
        feature: specToMeta(net.feature.spec),
        head: specToMeta(net.head.spec),
        history: model.history.map((h) => ({ ...h })),
      },
      tensors: {
        feature: tensor(Float32Array.from(net.feature.params)),
        head: tensor(Float32Array.from(net.head.params)),
      },
    };
  }

  protected modelFromState(state: ModelState): RoSASModel {
    const { meta, tensors } = state;
    const part = (name: 'feature' | 'head'): DenseNetwork => {
      const m: JsonValue | undefined = meta[name];
      if (m === null || typeof m !== 'object' || Array.isArray(m)) {
        throw new ModelFormatError(`RoSAS.setState: state lacks the spec of "${name}"`);
      }
      return networkFromMeta(m, tensors[name]?.data, `RoSAS (${name})`);
    };
    let net: RoSASNetwork;
    try {
      net = new RoSASNetwork(part('feature'), part('head'));
    } catch (e) {
      if (e instanceof ModelFormatError) throw e;
      throw new ModelFormatError(`RoSAS.setState: ${(e as Error).message}`, { cause: e });
    }
    const history = Array.isArray(meta.history) ? (meta.history as unknown as RoSASEpoch[]) : [];
    return { net, history };
  }
}
