/**
 * The benchmark's browser-safe parts: records and results, the plan and its supervision rules, one run on an
 * ADBench split with its calibrated variants, the rank and calibration summaries, and the report.
 */
export * from './records.js';
export * from './plan.js';
export * from './calibrate.js';
export * from './run.js';
export * from './summary.js';
export * from './figures.js';
export * from './report.js';
