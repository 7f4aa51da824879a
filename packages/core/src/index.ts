/**
 * @abc/core: the estimator contract, data validation, transformers, pipelines, registry and persistence
 * that every detector of the framework, ours or a plugin's, plugs into.
 *
 * @module @abc/core
 */
export * from './errors.js';
export * from './matrix.js';
export * from './validate.js';
export * from './random.js';
export * from './params.js';
export * from './state.js';
export * from './export-spec.js';
export * from './detector.js';
export * from './declare.js';
export * from './split.js';
export * from './transformer.js';
export * from './table.js';
export * from './registry.js';
export * from './pipeline.js';
export * from './persist.js';
export * from './crc32.js';
export * from './version.js';
export * from './scalers.js';
export * from './impute.js';
export * from './onehot.js';
export * from './builtin-transformers.js';
export * from './calibration/index.js';
