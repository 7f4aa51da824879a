/**
 * The kernel new networks use when none is given. Kept apart from the kernel implementations so that the
 * selection (which knows every kernel) and the kernels (which know only their interface) never import each other.
 */
import { selectKernel } from './select.js';
import type { GemmKernel } from './types.js';

let defaultKernel: GemmKernel | null = null;

/**
 * The kernel new networks use when none is given: on first use {@link selectKernel} picks the highest-priority
 * kernel that runs here (wasm-simd where WebAssembly SIMD runs, else ts; env `ABC_KERNEL` overrides),
 * unless replaced with {@link setDefaultKernel}.
 *
 * @example
 * getDefaultKernel().name;   // 'wasm-simd' in Node 20 and current browsers
 */
export function getDefaultKernel(): GemmKernel {
  defaultKernel ??= selectKernel().kernel;
  return defaultKernel;
}

/**
 * Replaces the kernel new networks use by default (e.g. after loading a WebAssembly SIMD kernel).
 *
 * @example
 * setDefaultKernel(selectKernel({ prefer: 'ts' }).kernel);
 */
export function setDefaultKernel(kernel: GemmKernel): void {
  defaultKernel = kernel;
}
