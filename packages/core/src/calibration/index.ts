/**
 * Probability calibration: Platt scaling, isotonic regression, PyOD's linear and unify rescalings, and
 * {@link CalibratedDetector}, a detector wrapped with one of them.
 *
 * @module
 */
export * from './platt.js';
export * from './isotonic.js';
export * from './rescale.js';
export * from './calibrator.js';
export * from './calibrated-detector.js';
