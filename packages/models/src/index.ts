/**
 * `@abc/models`: ABC (Autoencoding Binary Classifiers), the autoencoder, the denoising autoencoder and the LRC
 * baseline, on the dense training engine exported as `@abc/models/engine`. Importing this module registers
 * the detectors `abc`, `ae`, `dae` and `lrc` in the core registry.
 *
 * @module @abc/models
 */
export { ABC, type ABCParams } from './abc.js';
export { Autoencoder, DenoisingAutoencoder, type AutoencoderParams, type DenoisingAutoencoderParams } from './autoencoder.js';
export { LRC, type LRCParams } from './lrc.js';
export {
  ReconstructionDetector,
  reconstructionParamSpace,
  reconstructionSpec,
  trainReconstruction,
  type EpochRecord,
  type ReconstructionModel,
  type ReconstructionParams,
} from './autoencoder-base.js';
export { modelEntries, registerModels } from './register.js';
