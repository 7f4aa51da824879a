/**
 * `@abc/models`: the neural detectors: ABC (Autoencoding Binary Classifiers), the autoencoder, the denoising
 * autoencoder, the LRC baseline and the DNN, on the dense training engine `@abc/engine`. Importing this module
 * registers the detectors `abc`, `ae`, `dae`, `lrc` and `dnn` in the core registry.
 *
 * @module @abc/models
 */
export { ABC, abcParamSpace, type ABCParams } from './abc.js';
export {
  Autoencoder,
  DenoisingAutoencoder,
  denoisingParamSpace,
  type AutoencoderParams,
  type DenoisingAutoencoderParams,
} from './autoencoder.js';
export { LRC, type LRCParams } from './lrc.js';
export { DNN, dnnParamSpace, type DNNParams, type DNNEpoch } from './dnn.js';
export {
  ReconstructionDetector,
  reconstructionParamSpace,
  reconstructionDetectorSpace,
  reconstructionSpec,
  trainReconstruction,
  type EpochRecord,
  type ReconstructionModel,
  type ReconstructionParams,
} from './autoencoder-base.js';
export { modelClasses, modelEntries, registerModels } from './register.js';
export {
  DeepSAD,
  deepSadCentre,
  deepSadParamSpace,
  CENTRE_EPS,
  SAD_LOSS_EPS,
  lrAtEpoch,
  LR_MILESTONE_GAMMA,
  trainDeepSAD,
  randomDeepSADPlan,
  type DeepSADParams,
  type DeepSADEpoch,
  type DeepSADModel,
  type DeepSADTrainingPlan,
} from './deepsad.js';
export {
  DevNet,
  devNetParamSpace,
  trainDevNet,
  randomDevNetPlan,
  type DevNetParams,
  type DevNetEpoch,
  type DevNetModel,
  type DevNetTrainingPlan,
} from './devnet.js';
export { FeaWAD, feaWadParamSpace, type FeaWADParams, type FeaWADEpoch } from './feawad.js';
export { PReNet, preNetParamSpace, relationScores, type PReNetParams } from './prenet.js';
export { PairSampler, pairLayout, pairTargets, type PairLayout, type RelationTargets } from './prenet-pairs.js';
export {
  prenetOptimizer,
  trainPReNet,
  type PairSource,
  type PReNetEpoch,
  type PReNetTrainHooks,
  type PReNetTrainOptions,
} from './prenet-train.js';
export { RoSAS, rosasParamSpace, type RoSASParams, type RoSASEpoch } from './rosas.js';
export { RoSASNetwork, rosasSpecs, defaultRoSASHidden, type RoSASArchitecture } from './rosas-net.js';
export {
  allocateRoSASBatch,
  dirichletDraw,
  logGammaDraw,
  randomRoSASBatches,
  type RoSASBatch,
  type RoSASBatches,
  type RoSASSampling,
} from './rosas-batches.js';
export {
  ROSAS_TARGETS,
  RoSASWorkspace,
  rosasLossAndGradients,
  rosasOptimizers,
  trainRoSAS,
  type RoSASHooks,
  type RoSASLossOptions,
  type RoSASLossParts,
  type RoSASSchedule,
} from './rosas-train.js';
