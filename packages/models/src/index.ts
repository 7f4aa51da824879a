/**
 * `@abc/models`: the neural detectors: ABC (Autoencoding Binary Classifiers), the autoencoder, the denoising
 * autoencoder, the LRC baseline and the DNN, on the dense training engine `@abc/engine`. Importing this module
 * registers the detectors `abc`, `ae`, `dae`, `lrc` and `dnn` in the core registry.
 *
 * @module @abc/models
 */
export { ABC, type ABCParams } from './abc.js';
export { Autoencoder, DenoisingAutoencoder, type AutoencoderParams, type DenoisingAutoencoderParams } from './autoencoder.js';
export { LRC, type LRCParams } from './lrc.js';
export { DNN, type DNNParams, type DNNEpoch } from './dnn.js';
export {
  ReconstructionDetector,
  reconstructionParamSpace,
  reconstructionSpec,
  trainReconstruction,
  type EpochRecord,
  type ReconstructionModel,
  type ReconstructionParams,
} from './autoencoder-base.js';
export { modelClasses, modelEntries, registerModels } from './register.js';
