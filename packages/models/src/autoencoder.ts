import { declareDetector, withCommonParams, type Matrix, type ParamsOf } from '@abc/core';
import {
  errorsToFloat32,
  noiseParamSpec,
  reconstructionDetectorSpace,
  reconstructionErrors,
  reconstructionParamSpace,
  ReconstructionDetector,
  type ReconstructionModel,
  type ReconstructionParams,
  type TrainSetup,
} from './autoencoder-base.js';

/** The autoencoder's parameters (the shared reconstruction params). */
export type AutoencoderParams = ReconstructionParams;

/** The denoising autoencoder's space: the shared one plus `noiseSd`. */
export const denoisingParamSpace = withCommonParams({ ...reconstructionParamSpace, ...noiseParamSpec });

/** The denoising autoencoder's parameters (derived from {@link denoisingParamSpace}). */
export type DenoisingAutoencoderParams = ParamsOf<typeof denoisingParamSpace>;

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
  static readonly declaration = declareDetector({
    name: 'ae',
    supervision: 'unsupervised',
    hasProbability: false,
    learnsWithoutAnomalies: true,
    description: 'autoencoder; score = reconstruction error L',
    budget: 'maxEpochs',
    quickParams: { hidden: [8], latent: 2, maxEpochs: 4, batchSize: 32 },
    paramSpace: reconstructionDetectorSpace,
  });
  /** @deprecated The space is `Autoencoder.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = reconstructionDetectorSpace;
  protected readonly usesLabels = false;
  protected readonly scoreKind = 'reconstruction' as const;

  constructor(params?: Partial<AutoencoderParams>) {
    super(Autoencoder.declaration, params);
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
  static readonly declaration = declareDetector({
    name: 'dae',
    supervision: 'unsupervised',
    hasProbability: false,
    learnsWithoutAnomalies: true,
    description: 'denoising autoencoder (Gaussian input noise); score = reconstruction error L',
    budget: 'maxEpochs',
    quickParams: { hidden: [8], latent: 2, maxEpochs: 4, batchSize: 32 },
    paramSpace: denoisingParamSpace,
  });
  /** @deprecated The space is `DenoisingAutoencoder.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = denoisingParamSpace;
  protected readonly usesLabels = false;
  protected readonly scoreKind = 'reconstruction' as const;

  constructor(params?: Partial<DenoisingAutoencoderParams>) {
    super(DenoisingAutoencoder.declaration, params);
  }

  protected trainSetup(): TrainSetup {
    return { kind: 'ae', noiseSd: this.params.noiseSd };
  }

  protected scoreModel(model: ReconstructionModel, X: Matrix): Float32Array {
    return errorsToFloat32(reconstructionErrors(model, X));
  }
}
