/**
 * `@abc/models/node`: deprecated. The Node-only kernels (two-thread WebAssembly, installed tfjs-node) moved to
 * `@abc/engine/node`; this entry re-exports them for one minor version. Import from `@abc/engine/node` instead.
 *
 * @example
 * import { registerThreadedWasmKernel } from '@abc/engine/node';   // was: '@abc/models/node'
 *
 * @deprecated Use `@abc/engine/node`.
 * @module @abc/models/node
 */
export * from '@abc/engine/node';
