/** @abc/core/testing: the conformance suite and reference detectors for detector authors. */
export * from './check-detector.js';
export * from './reference.js';
