import { BaseDetector, type Matrix, type MatrixLike, type ParamSpace, type Supervision } from '@abc/core';
import { errorsToFloat32, noiseParamSpec, reconstructionErrors, reconstructionParamSpace, ReconstructionDetector, type ReconstructionModel, type ReconstructionParams, type TrainSetup } from './autoencoder-base.js';

/** ABC's parameters: the shared reconstruction params plus `variant` and `noiseSd`. */
export interface ABCParams extends ReconstructionParams {
  /** `'ae'`: autoencoder; `'dae'`: denoising autoencoder (Gaussian input noise of sd `noiseSd` while training). */
  variant: 'ae' | 'dae';
  /** Input noise sd of the `'dae'` variant (default 0.2; ignored by `'ae'`). */
  noiseSd: number;
}

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
  static readonly paramSpace: ParamSpace = BaseDetector.withCommonParams({
    variant: { type: 'choice', default: 'ae', choices: ['ae', 'dae'], description: "'ae' or 'dae' (denoising) autoencoder" },
    ...reconstructionParamSpace,
    ...noiseParamSpec,
  });
  readonly name = 'abc';
  readonly supervision: Supervision = 'supervised';
  override readonly hasProbability = true;
  protected readonly usesLabels = true;
  protected readonly scoreKind = 'abc' as const;

  constructor(params?: Partial<ABCParams>) {
    super(ABC.paramSpace, params);
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
