/**
 * @abc/search: model search over registered detectors (random search, successive halving).
 *
 * @module @abc/search
 */
export * from './search.js';
export * from './candidates.js';
export * from './objective.js';
export * from './split.js';
export * from './trial.js';
