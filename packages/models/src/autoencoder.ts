import { BaseDetector, type Matrix, type ParamSpace, type Supervision } from '@abc/core';
import { errorsToFloat32, noiseParamSpec, reconstructionErrors, reconstructionParamSpace, ReconstructionDetector, type ReconstructionModel, type ReconstructionParams, type TrainSetup } from './autoencoder-base.js';

/** The autoencoder's parameters (the shared reconstruction params). */
export type AutoencoderParams = ReconstructionParams;

/** The denoising autoencoder's parameters: the shared ones plus `noiseSd`. */
export interface DenoisingAutoencoderParams extends ReconstructionParams {
  /** Sd of the Gaussian noise added to the inputs while training (default 0.2). */
  noiseSd: number;
}

/**
 * Unsupervised autoencoder anomaly detector: trained to minimise the batch mean of the reconstruction
 * error L (labels, if given, are checked and ignored); score = L (higher = more anomalous).
 *
 * @example
 * const ae = new Autoencoder({ hidden: [10, 10], latent: 1, seed: 0 });
 * await ae.fit(Xnormal);
 * const scores = await ae.scoreSamples(Xtest);   // L per row
 */
export class Autoencoder extends ReconstructionDetector<AutoencoderParams> {
  static readonly paramSpace: ParamSpace = BaseDetector.withCommonParams({ ...reconstructionParamSpace });
  readonly name: string = 'ae';
  readonly supervision: Supervision = 'unsupervised';
  protected readonly usesLabels = false;
  protected readonly scoreKind = 'reconstruction' as const;

  constructor(params?: Partial<AutoencoderParams>) {
    super(Autoencoder.paramSpace, params);
  }

  protected trainSetup(): TrainSetup {
    return { kind: 'ae', noiseSd: 0 };
  }

  protected scoreModel(model: ReconstructionModel, X: Matrix): Float32Array {
    return errorsToFloat32(reconstructionErrors(model, X));
  }
}

/**
 * Unsupervised denoising autoencoder: as {@link Autoencoder}, but trained to reconstruct x from x + ε,
 * ε ~ N(0, noiseSd²) drawn from the seeded generator; score = L of the clean input.
 *
 * @example
 * const dae = new DenoisingAutoencoder({ noiseSd: 0.2, seed: 0 });
 * await dae.fit(Xnormal);
 */
export class DenoisingAutoencoder extends ReconstructionDetector<DenoisingAutoencoderParams> {
  static readonly paramSpace: ParamSpace = BaseDetector.withCommonParams({ ...reconstructionParamSpace, ...noiseParamSpec });
  readonly name = 'dae';
  readonly supervision: Supervision = 'unsupervised';
  protected readonly usesLabels = false;
  protected readonly scoreKind = 'reconstruction' as const;

  constructor(params?: Partial<DenoisingAutoencoderParams>) {
    super(DenoisingAutoencoder.paramSpace, params);
  }

  protected trainSetup(): TrainSetup {
    return { kind: 'ae', noiseSd: this.params.noiseSd };
  }

  protected scoreModel(model: ReconstructionModel, X: Matrix): Float32Array {
    return errorsToFloat32(reconstructionErrors(model, X));
  }
}
