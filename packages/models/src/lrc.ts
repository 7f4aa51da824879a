import { declareDetector, type Matrix } from '@abc/core';
import {
  errorsToFloat32,
  reconstructionDetectorSpace,
  reconstructionErrors,
  ReconstructionDetector,
  type ReconstructionModel,
  type ReconstructionParams,
  type TrainSetup,
} from './autoencoder-base.js';

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
  static readonly declaration = declareDetector({
    name: 'lrc',
    supervision: 'supervised',
    hasProbability: false,
    learnsWithoutAnomalies: false,
    description: 'LRC baseline (Munawar et al. 2017): autoencoder with loss L for normals and −L for anomalies; score = L',
    budget: 'maxEpochs',
    quickParams: { hidden: [8], latent: 2, maxEpochs: 4, batchSize: 32 },
    paramSpace: reconstructionDetectorSpace,
  });
  /** @deprecated The space is `LRC.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = reconstructionDetectorSpace;
  protected readonly usesLabels = true;
  protected readonly scoreKind = 'reconstruction' as const;

  constructor(params?: Partial<LRCParams>) {
    super(LRC.declaration, params);
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
