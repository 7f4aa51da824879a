/**
 * The Node entry of `@abc/models` (picked by the `node` export condition): everything of the browser-safe entry,
 * and the two-thread kernel `wasm-simd-2t` registered, so networks made in Node use both cores where a timed
 * product shows that two threads are faster here, and one thread otherwise (see `@abc/engine/node`).
 * `ABC_KERNEL=wasm-simd` keeps one thread. Where the application has installed `@tensorflow/tfjs-node` or
 * `@tensorflow/tfjs-node-gpu`, their kernels (`tfjs-node`, `tfjs-node-gpu`) are registered too (see
 * `registerInstalledTfjsKernels`).
 *
 * @module @abc/models
 */
import { registerInstalledTfjsKernels, registerThreadedWasmKernel } from '@abc/engine/node';

export * from './index.js';

registerThreadedWasmKernel();
registerInstalledTfjsKernels();
