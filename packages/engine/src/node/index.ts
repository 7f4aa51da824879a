/**
 * `@abc/engine/node`: what only Node can run — the two-thread WebAssembly kernel (`wasm-simd-2t`, on
 * `node:worker_threads`). Everything else of `@abc/engine` is browser-safe and lives in the main entry.
 *
 * @example
 * import { registerThreadedWasmKernel } from '@abc/engine/node';
 * registerThreadedWasmKernel();   // networks created from now on split large products across two threads where it pays
 *
 * @module @abc/engine/node
 */
export * from './threads.js';
export * from './tfjs-node.js';
