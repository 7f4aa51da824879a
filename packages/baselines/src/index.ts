/**
 * @abc/baselines: the comparison detectors of the paper. Importing this module registers them in the core
 * registry (`svm`, `ocsvm`, `iforest`, `gtb`, `rusboost`, `hbos`, `ecod`, `copod`, `knn`, `lof`, `xgbod`), so `createDetector('iforest')` and model files of them work.
 *
 * @module @abc/baselines
 */
import './register.js';

export { registerBaselines, baselineEntries, baselineClasses } from './register.js';
export {
  IsolationForest,
  averagePathLength,
  isolationForestParamSpace,
  type IsolationForestParams,
  type IsolationForestModel,
} from './iforest.js';
export {
  GradientTreeBoosting,
  gradientTreeBoostingParamSpace,
  type GradientTreeBoostingParams,
  type GradientTreeBoostingModel,
} from './gtb.js';
export { DNN, type DNNParams, type DNNEpoch } from './deprecated-dnn.js';
/** @deprecated `stratifiedSplit` lives in `@abc/core` now (one copy for every detector); its lists are Uint32Array. */
export { stratifiedSplit } from '@abc/core';
export { RUSBoost, rusBoostParamSpace, type RUSBoostParams, type RUSBoostModel } from './rusboost.js';
export { HBOS, hbosParamSpace, type HBOSParams, type HBOSModel } from './hbos.js';
export { ECOD, ecodParamSpace, type ECODParams } from './ecod.js';
export { COPOD, copodParamSpace, type COPODParams } from './copod.js';
export { KNN, knnParamSpace, type KNNParams, type KNNModel } from './knn.js';
export { LOF, lofParamSpace, type LOFParams, type LOFModel } from './lof.js';
export { XGBOD, xgbodParamSpace, type XGBODParams, type XGBODModel } from './xgbod.js';
export type { XGBODMemberDetector, KeepsFitScores } from './xgbod-member-detectors.js';
export type { NeighbourMembers } from './xgbod-neighbours.js';
export {
  XGBOD_STANDARD_MEMBERS,
  XGBOD_FAST_MEMBERS,
  XGBOD_MEMBER_PRESETS,
  memberLists,
  resolveMembers,
  type XGBODFamily,
  type XGBODMember,
  type XGBODMemberLists,
  type XGBODMemberParams,
} from './xgbod-members.js';
export {
  kNearest,
  KD_TREE_MAX_DIMS,
  KD_TREE_MAX_VISITED,
  KD_TREE_PROBE_MAX_DIMS,
  type KNearestOptions,
  type KNearestResult,
} from './neighbours/index.js';
export type { NeighbourModel } from './neighbour-model.js';
export { fitTails, scoreTails, skewnessSign, type TailModel, type TailCombiner } from './ecdf.js';
export { TailDetector, tailParamSpace, type TailParams } from './tail-detector.js';
export { fitBins, binTraining, binColumns, binOf, type Bins } from './binning.js';
export { sumTrees, leafCounts, treeEnsembleSpec, type FlatForest, type TreeEnsembleExportSpec } from './trees.js';
export {
  SVM,
  OCSVM,
  registerSvmDetectors,
  svmEntries,
  solveSmo,
  scaleGamma,
  hasWasmSimd,
  svmParamSpace,
  ocsvmParamSpace,
  type SVMParams,
  type OCSVMParams,
  type SvmModel,
  type SmoHooks,
  type SmoProblem,
  type SmoResult,
  type SqDistBackend,
} from './svm/index.js';
