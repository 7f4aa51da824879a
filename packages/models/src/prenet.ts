import {
  BaseDetector,
  declareDetector,
  defineParams,
  ModelFormatError,
  tensor,
  withCommonParams,
  type Activation,
  type FitContext,
  type Labels,
  type Matrix,
  type ModelState,
  type PairMeanExportSpec,
  type ParamsOf,
} from '@abc/core';
import { checkTrainableRange, denseExportLayers, PairNetwork } from '@abc/engine';
import { PairSampler } from './prenet-pairs.js';
import { trainPReNet, type PReNetEpoch } from './prenet-train.js';
import { gatherRows, specToMeta } from './semi-common.js';
import { checkExportSlope } from './semi-export.js';

/**
 * PReNet's parameters. Defaults follow Pang et al. (KDD 2023) and the authors' Keras code (`reg_network`,
 * `run_prenet`'s arguments): a feature learner of one hidden layer of 20 ReLU units with L2 0.01, a linear relation
 * head, RMSprop lr 0.001 with clipnorm 1, batches of 512 pairs, 50 epochs of 20 batches, targets 8 / 4 / 0, and an
 * ensemble of 30 anomaly and 30 unlabelled references at scoring time.
 */
export const preNetParamSpace = withCommonParams(
  defineParams({
    hidden: {
      type: 'intList',
      default: [20],
      min: 1,
      description:
        "the shared feature learner's layer sizes (the last is the embedding width; the original's deeper one: [1000, 250, 20])",
      search: { choices: [[20], [64, 20], [1000, 250, 20]] },
    },
    activation: {
      type: 'choice',
      default: 'relu',
      choices: ['relu', 'leakyRelu', 'tanh'],
      description: "the feature learner's activation",
      search: { choices: ['relu', 'leakyRelu', 'tanh'] },
    },
    l2: {
      type: 'float',
      default: 0.01,
      min: 0,
      description: "L2 penalty coefficient on the feature learner's weights (Keras' regularizers.l2)",
      search: { low: 1e-4, high: 0.1, log: true },
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
      min: 4,
      description: 'pairs per batch: half unlabelled-unlabelled, a quarter anomaly-unlabelled, a quarter anomaly-anomaly',
    },
    epochs: { type: 'int', default: 50, min: 1, description: 'number of epochs' },
    batchesPerEpoch: { type: 'int', default: 20, min: 1, description: 'batches per epoch' },
    ensembleSize: {
      type: 'int',
      default: 30,
      min: 1,
      description: 'E: a row is scored against E labelled anomalies and E unlabelled rows drawn at fit and stored',
    },
    targetAA: { type: 'float', default: 8, description: 'target relation of anomaly-anomaly pairs (c1)' },
    targetAU: { type: 'float', default: 4, description: 'target relation of anomaly-unlabelled pairs (c2)' },
    targetUU: { type: 'float', default: 0, description: 'target relation of unlabelled-unlabelled pairs (c3)' },
  }),
);

/** PReNet's parameters (derived from {@link preNetParamSpace}). */
export type PReNetParams = ParamsOf<typeof preNetParamSpace>;

interface PReNetModel {
  net: PairNetwork;
  /** E labelled anomalies (E × d), the first input of the anomaly pairs (a, x). */
  refAnomalies: Float32Array;
  /** E unlabelled rows (E × d), the second input of the unlabelled pairs (x, u). */
  refUnlabelled: Float32Array;
  history: PReNetEpoch[];
}

/** Rows scored together (bounds the scoring buffers). */
const SCORE_CHUNK = 1024;

/**
 * PReNet (Pang, Shen, Jin & van den Hengel, "Deep Weakly-supervised Anomaly Detection", KDD 2023): a network learns
 * the relation of two training rows, `φ(x₁, x₂) = [ψ(x₁), ψ(x₂)] · w + b` with one feature learner ψ shared by both,
 * by regressing it with the absolute error on 8 for anomaly-anomaly pairs, 4 for anomaly-unlabelled pairs (the
 * anomaly first) and 0 for unlabelled-unlabelled pairs. A new row x scores
 * `(1 / 2E) [Σₑ φ(aₑ, x) + Σₑ φ(x, uₑ)]` against E labelled anomalies aₑ and E unlabelled rows uₑ drawn once at fit
 * (seeded) and stored in the model, so scores are deterministic (higher = more anomalous; not a probability).
 *
 * Labels: 1 = labelled anomaly, 0 = unlabelled. It needs at least one labelled anomaly.
 *
 * @example
 * import '@abc/models';
 * const pre = new PReNet({ seed: 1 });              // 20 ReLU units, 50 epochs × 20 batches of 512 pairs
 * await pre.fit(X, y);                              // y: 1 = labelled anomaly, 0 = unlabelled
 * const s = await pre.scoreSamples(Xtest);
 */
export class PReNet extends BaseDetector<PReNetParams, PReNetModel> {
  static readonly declaration = declareDetector({
    name: 'prenet',
    supervision: 'supervised',
    hasProbability: false,
    learnsWithoutAnomalies: false,
    description:
      'PReNet (Pang et al. 2023): pairwise relation regression (8 / 4 / 0); score = mean relation to stored anomaly and unlabelled references',
    budget: 'epochs',
    quickParams: { hidden: [8], epochs: 3, batchesPerEpoch: 5, batchSize: 32, ensembleSize: 5 },
    paramSpace: preNetParamSpace,
    checkParams: (p) =>
      p.targetAA > p.targetAU && p.targetAU > p.targetUU
        ? null
        : `the targets must order targetAA > targetAU > targetUU, got ${p.targetAA}, ${p.targetAU}, ${p.targetUU}`,
  });

  constructor(params?: Partial<PReNetParams>) {
    super(PReNet.declaration, params);
  }

  /** Per-epoch mean relation loss of the fit (without the L2 penalty). */
  get history(): readonly PReNetEpoch[] {
    return this.model.history;
  }

  protected override checkTrainingData(X: Matrix, y: Labels | undefined): void {
    super.checkTrainingData(X, y);
    checkTrainableRange(X, 'PReNet');
  }

  protected async fitModel(X: Matrix, y: Labels | undefined, ctx: FitContext): Promise<PReNetModel> {
    const p = this.params;
    const act = p.activation as Activation;
    const net = new PairNetwork({ sizes: [X.cols, ...p.hidden], activations: p.hidden.map(() => act) }).initGlorot(ctx.rng);
    const sampler = new PairSampler(y!);
    const history = await trainPReNet(
      net,
      X,
      (_batch, first, second) => sampler.sample(ctx.rng, p.batchSize, first, second),
      { ...p, targets: { aa: p.targetAA, au: p.targetAU, uu: p.targetUU } },
      {
        checkAborted: () => ctx.checkAborted(),
        onEpoch: (r, total) => ctx.progress({ step: r.epoch, totalSteps: total, unit: 'epoch', metrics: { loss: r.loss } }),
      },
    );
    const E = p.ensembleSize;
    const refs = sampler.references(ctx.rng, E);
    return {
      net,
      refAnomalies: gatherRows(X, refs.anomalies, E, new Float32Array(E * X.cols)),
      refUnlabelled: gatherRows(X, refs.unlabelled, E, new Float32Array(E * X.cols)),
      history,
    };
  }

  /**
   * The pair network and its 2E stored references as a `pairMean` export spec: the feature learner ψ as the
   * encoder, the linear relation head as the head, references a_1 .. a_E then u_1 .. u_E with `xFirst` E zeros then
   * E ones, so the exported score is `(1 / 2E) [Σₑ φ(aₑ, x) + Σₑ φ(x, uₑ)]`, as `scoreSamples`.
   *
   * @example
   * const bytes = toOnnx(pre);                   // @abc/onnx-export: scores as pre.scoreSamples
   */
  toExportSpec(): PairMeanExportSpec {
    const { net, refAnomalies, refUnlabelled } = this.model;
    checkExportSlope(net.feature, 'PReNet');
    const E = refAnomalies.length / net.inputSize;
    const references = new Float32Array(2 * refAnomalies.length);
    references.set(refAnomalies, 0);
    references.set(refUnlabelled, refAnomalies.length);
    return {
      kind: 'pairMean',
      encoder: denseExportLayers(net.feature),
      head: denseExportLayers(net.head),
      references,
      nReferences: 2 * E,
      xFirst: new Uint8Array(2 * E).fill(1, E),
      threshold: this.threshold,
    };
  }

  protected scoreModel(model: PReNetModel, X: Matrix): Float32Array {
    return relationScores(model.net, model.refAnomalies, model.refUnlabelled, X);
  }

  protected modelToState(model: PReNetModel): ModelState {
    const E = model.refAnomalies.length / model.net.inputSize;
    const d = model.net.inputSize;
    return {
      meta: { ...specToMeta(model.net.feature.spec), history: model.history.map((h) => ({ ...h })) },
      tensors: {
        params: tensor(Float32Array.from(model.net.params)),
        refAnomalies: tensor(Float32Array.from(model.refAnomalies), [E, d]),
        refUnlabelled: tensor(Float32Array.from(model.refUnlabelled), [E, d]),
      },
    };
  }

  protected modelFromState(state: ModelState): PReNetModel {
    const { sizes, activations, history } = state.meta;
    const { params, refAnomalies, refUnlabelled } = state.tensors;
    if (!Array.isArray(sizes) || !Array.isArray(activations) || !(params?.data instanceof Float32Array)) {
      throw new ModelFormatError('PReNet.setState: state lacks sizes, activations or the f32 tensor "params"');
    }
    let net: PairNetwork;
    try {
      net = new PairNetwork(
        { sizes: sizes.map(Number), activations: activations.map(String) as Activation[] },
        { params: params.data },
      );
    } catch (e) {
      throw new ModelFormatError(`PReNet.setState: ${(e as Error).message}`, { cause: e });
    }
    const d = net.inputSize;
    const refs = [refAnomalies?.data, refUnlabelled?.data];
    if (
      !refs.every((r) => r instanceof Float32Array && r.length > 0 && r.length % d === 0) ||
      refs[0]!.length !== refs[1]!.length
    ) {
      throw new ModelFormatError(
        `PReNet.setState: refAnomalies and refUnlabelled must be f32 tensors of the same E × ${d} values`,
      );
    }
    return {
      net,
      refAnomalies: refs[0] as Float32Array,
      refUnlabelled: refs[1] as Float32Array,
      history: Array.isArray(history) ? (history as unknown as PReNetEpoch[]) : [],
    };
  }
}

/**
 * PReNet's score of every row of X: `(1 / 2E) [Σₑ φ(aₑ, x) + Σₑ φ(x, uₑ)]` over the E references in `refAnomalies`
 * and `refUnlabelled` (E × d each), summed in float64.
 *
 * @example
 * const s = relationScores(net, refA, refU, X);   // Float32Array of X.rows scores
 */
export function relationScores(
  net: PairNetwork,
  refAnomalies: Float32Array,
  refUnlabelled: Float32Array,
  X: Matrix,
): Float32Array {
  const d = net.inputSize;
  const h = net.embeddingSize;
  const E = refAnomalies.length / d;
  const embA = net.embed(refAnomalies, E);
  const embU = net.embed(refUnlabelled, E);
  const out = new Float32Array(X.rows);
  const chunk = Math.min(SCORE_CHUNK, X.rows);
  const tile = new Float32Array(chunk * h);
  const rel = new Float32Array(chunk);
  const sum = new Float64Array(chunk);
  for (let start = 0; start < X.rows; start += chunk) {
    const rows = Math.min(chunk, X.rows - start);
    const embX = net.embed(X.data.subarray(start * d, (start + rows) * d), rows);
    sum.fill(0);
    for (let e = 0; e < E; e++) {
      fillRows(tile, embA.subarray(e * h, (e + 1) * h), rows);
      net.relate(tile, embX, rows, rel);
      for (let i = 0; i < rows; i++) sum[i] += rel[i];
      fillRows(tile, embU.subarray(e * h, (e + 1) * h), rows);
      net.relate(embX, tile, rows, rel);
      for (let i = 0; i < rows; i++) sum[i] += rel[i];
    }
    for (let i = 0; i < rows; i++) out[start + i] = sum[i] / (2 * E);
  }
  return out;
}

/** Writes `row` into the first `rows` rows of `out`. */
function fillRows(out: Float32Array, row: Float32Array, rows: number): void {
  for (let i = 0; i < rows; i++) out.set(row, i * row.length);
}
