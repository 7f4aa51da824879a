import { BaseDetector, type Matrix, type ParamSpace, type Supervision } from '@abc/core';
import { errorsToFloat32, reconstructionErrors, reconstructionParamSpace, ReconstructionDetector, type ReconstructionModel, type ReconstructionParams, type TrainSetup } from './autoencoder-base.js';

/** LRC's parameters (the shared reconstruction params). */
export type LRCParams = ReconstructionParams;

/**
 * The LRC baseline (Munawar et al. 2017) as the ABC paper uses it: an autoencoder trained with
 * `ℓ = L` for normals and `ℓ = −L` for known anomalies. The loss is unbounded below, so training is unstable
 * by design and is kept so; early stopping watches this same objective, which usually keeps falling, so LRC
 * tends to run to `maxEpochs`. If the loss or the weights become non-finite, training stops and the last
 * finite best weights are restored (`diverged` in the model); scores are always finite (a non-finite L is
 * reported as the largest float32). Score = L.
 *
 * @example
 * const lrc = new LRC({ hidden: [10, 10], latent: 1, maxEpochs: 50, seed: 0 });
 * await lrc.fit(X, y);
 */
export class LRC extends ReconstructionDetector<LRCParams> {
  static readonly paramSpace: ParamSpace = BaseDetector.withCommonParams({ ...reconstructionParamSpace });
  readonly name = 'lrc';
  readonly supervision: Supervision = 'supervised';
  protected readonly usesLabels = true;
  protected readonly scoreKind = 'reconstruction' as const;

  constructor(params?: Partial<LRCParams>) {
    super(LRC.paramSpace, params);
  }

  /** True when the last fit stopped on a non-finite loss or weights. */
  get diverged(): boolean {
    return this.fitted && this.model.diverged;
  }

  protected trainSetup(): TrainSetup {
    return { kind: 'lrc', noiseSd: 0 };
  }

  protected scoreModel(model: ReconstructionModel, X: Matrix): Float32Array {
    return errorsToFloat32(reconstructionErrors(model, X));
  }
}
