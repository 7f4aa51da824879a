/** @abc/search: model search over registered detectors (random search, successive halving). */
export * from './search.js';
export * from './candidates.js';
export * from './objective.js';
export * from './split.js';
