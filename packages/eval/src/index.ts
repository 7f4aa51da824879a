/**
 * @abc/eval: metrics, datasets, the paper's protocols and reports.
 *
 * @module @abc/eval
 */
export * from './metrics/aupr.js';
export * from './metrics/ttest.js';
export * from './stats/special.js';
export * from './metrics/calibration.js';
export * from './stats/distributions.js';
export * from './stats/studentized-range.js';
export * from './stats/ranks.js';
export { auroc } from './metrics/auroc.js';
export { makeToyData, labelledSet, toyTrainingSet, type ToyData, type ToyDataOptions } from './datasets/toy.js';
export * from './datasets/checksums.js';
export * from './datasets/idx.js';
export * from './datasets/mnist.js';
export * from './datasets/kdd.js';
export * from './datasets/cifar.js';
export * from './datasets/tar.js';
export * from './datasets/catalogue.js';
export * from './datasets/csv.js';
export * from './datasets/splits.js';
export * from './datasets/npy.js';
export * from './datasets/npy-convert.js';
export * from './protocols/index.js';
export * from './protocols/adbench.js';
export { approximateMode, stratifiedIndices, type StratifiedIndices, type TieBreak } from './protocols/stratified.js';
export * from './report/index.js';
export * from './benchmark/index.js';
