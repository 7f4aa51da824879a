/**
 * @abc/core/testing: the conformance suite and reference detectors for detector authors.
 *
 * @module @abc/core/testing
 */
export * from './check-detector.js';
export * from './reference.js';
