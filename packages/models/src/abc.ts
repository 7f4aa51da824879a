import { declareDetector, defineParams, withCommonParams, type Matrix, type MatrixLike, type ParamsOf } from '@abc/core';
import {
  errorsToFloat32,
  noiseParamSpec,
  reconstructionErrors,
  reconstructionParamSpace,
  ReconstructionDetector,
  type ReconstructionModel,
  type TrainSetup,
} from './autoencoder-base.js';

/** ABC's parameters: the shared reconstruction params, `variant` ('ae' or 'dae') and the dae's `noiseSd`. */
export const abcParamSpace = withCommonParams(
  defineParams({
    variant: { type: 'choice', default: 'ae', choices: ['ae', 'dae'], description: "'ae' or 'dae' (denoising) autoencoder" },
    ...reconstructionParamSpace,
    ...noiseParamSpec,
  }),
);

/** ABC's parameters (derived from {@link abcParamSpace}). */
export type ABCParams = ParamsOf<typeof abcParamSpace>;

/**
 * Autoencoding Binary Classifier (Yamanaka et al., IJCAI 2019): an autoencoder trained so that normals
 * reconstruct well and known anomalies badly, through the likelihood loss
 * `ℓ = L` for normals and `ℓ = −log(1 − exp(−L))` for known anomalies (computed stably, see
 * `negLog1mExp`). The score is the probability of anomaly `p(anomaly | x) = 1 − exp(−L)`; `predict` flags
 * p > 0.5 unless another threshold is set. With no anomaly among the labels it trains exactly as the plain
 * autoencoder (the paper's limiting case): same seed and params give bit-identical weights.
 *
 * Labels: 1 = known anomaly, 0 = normal (the paper's reverse convention lives only inside the loss).
 *
 * @example
 * import '@abc/models';
 * const abc = new ABC({ variant: 'dae', hidden: [10, 10], latent: 1, seed: 1 });
 * await abc.fit(X, y);                          // y: 1 = known anomaly, 0 = normal
 * const p = await abc.predictProba(Xtest);      // Float32Array of p(anomaly | x)
 * const L = await abc.reconstructionError(Xtest);
 */
export class ABC extends ReconstructionDetector<ABCParams> {
  static readonly declaration = declareDetector({
    name: 'abc',
    supervision: 'supervised',
    hasProbability: true,
    learnsWithoutAnomalies: true, // with no anomaly among the labels it trains exactly as the autoencoder
    description:
      "Autoencoding Binary Classifier (Yamanaka et al. 2019); variant 'ae' or 'dae'; score p(anomaly | x) = 1 − exp(−L)",
    budget: 'maxEpochs',
    quickParams: { hidden: [8], latent: 2, maxEpochs: 4, batchSize: 32 },
    paramSpace: abcParamSpace,
  });
  /** @deprecated The space is `ABC.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = abcParamSpace;
  protected readonly usesLabels = true;
  protected readonly scoreKind = 'abc' as const;

  constructor(params?: Partial<ABCParams>) {
    super(ABC.declaration, params);
  }

  protected override get acceptsNoAnomalies(): boolean {
    return true;
  }

  protected trainSetup(): TrainSetup {
    return { kind: 'abc', noiseSd: this.params.variant === 'dae' ? this.params.noiseSd : 0 };
  }

  protected scoreModel(model: ReconstructionModel, X: Matrix): Float32Array {
    const L = errorsToFloat32(reconstructionErrors(model, X));
    const out = new Float32Array(L.length);
    for (let i = 0; i < L.length; i++) out[i] = -Math.expm1(-L[i]);
    return out;
  }

  /** p(anomaly | x) = 1 − exp(−L(x)); the same as `scoreSamples`. */
  override async predictProba(X: MatrixLike): Promise<Float32Array> {
    return super.predictProba(X);
  }
}
