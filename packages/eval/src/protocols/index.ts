/**
 * The paper's protocols: method ids and their registry mapping, settings 1–3, runs and records.
 */
export * from './methods.js';
export * from './records.js';
export * from './settings.js';
export * from './plan.js';
export * from './run.js';
