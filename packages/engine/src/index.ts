/**
 * `@abc/engine`: the small dense training engine the detectors run on — networks of dense layers
 * (tanh, sigmoid, relu, linear) with manual backprop, Adam, reconstruction objectives, seeded init, and every
 * matrix product behind one {@link GemmKernel} interface. Browser-safe: no Node-only module.
 *
 * @example
 * import { DenseNetwork, Adam, ReconstructionObjective } from '@abc/engine';
 * const net = new DenseNetwork({ sizes: [2, 10, 1, 10, 2], activations: ['tanh', 'tanh', 'tanh', 'linear'] }).initGlorot(rng);
 * const adam = new Adam(net.size, { lr: 1e-3 });
 * const obj = new ReconstructionObjective('ae', 'meanSquared', 2);
 * const loss = net.trainStep(xb, 0, rows, (out, r, c, dOut) => obj.compute(out, xb, 0, null, r, dOut), adam);
 *
 * @module @abc/engine
 */
export * from './kernels/types.js';
export * from './kernels/ts-gemm.js';
export * from './kernels/default.js';
export * from './dense.js';
export * from './export-layers.js';
export * from './adam.js';
export * from './init.js';
export * from './losses.js';
export * from './range.js';
export * from './optim.js';
export * from './sampling.js';
export * from './semi-losses.js';
export * from './pair-losses.js';
export * from './pair-network.js';
export * from './feawad-loss.js';
export * from './rosas-loss.js';
export * from './kernels/select.js';
export {
  WasmSimdGemmKernel,
  createWasmSimdKernel,
  createWasmSimdKernelAsync,
  wasmSimdUnavailableReason,
  WASM_GEMM_SHA256,
  WASM_GEMM_SIZE,
} from './kernels/wasm-simd.js';
export {
  TfjsGemmKernel,
  createTfjsKernel,
  tfjsKernelCandidate,
  registerTfjsKernel,
  tfjsUnavailableReason,
  type TfjsModule,
  type TfjsTensor,
  type TfjsKernelOptions,
} from './kernels/tfjs.js';
export { arenaOf } from './kernels/arena.js';
export { WasmArena, createWasmArena, precompileWasmArena, wasmArenaUnavailableReason } from './kernels/wasm-arena.js';
