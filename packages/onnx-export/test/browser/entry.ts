// The browser bundle of the WebGPU test: OnnxDetector and core's matrix helper, built by vite in the test.
export { OnnxDetector } from '../../src/index.js';
export { matrix } from '@abc/core';
