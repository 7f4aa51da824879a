/**
 * Compute arenas: memory a kernel computes in place, so a network whose buffers live there runs a training step
 * without copying anything in or out. A kernel that has one offers it through {@link GemmKernel.createArena};
 * the network then allocates its parameters, gradients, optimizer moments and workspaces in the arena and runs
 * the element-wise passes there too. Kernels without one (plain TS, tfjs) keep the network on ordinary
 * Float32Arrays. Browser-safe.
 */
import type { Activation } from '@abc/core';
import type { GemmKernel } from './gemm.js';

/**
 * A {@link GemmKernel} with its own memory and the engine's element-wise passes. Views it hands out stay valid
 * for its lifetime (its memory may grow but never moves or detaches them); products and passes on its own views
 * copy nothing, while foreign arrays are still accepted by `gemm` (copied through a staging area).
 */
export interface ComputeArena extends GemmKernel {
  /** A zero-filled view of `length` floats in the arena (16-byte aligned). Throws when the arena cannot grow. */
  alloc(length: number): Float32Array;
  /** True when `a` is a view of this arena's memory. */
  owns(a: Float32Array): boolean;
  /** `C[rows × n] = act(C + bias)` in place (row stride n); `C` and `bias` must be the arena's views. */
  biasActivate(act: Activation, C: Float32Array, cOffset: number, rows: number, n: number, bias: Float32Array, biasOffset: number): void;
  /**
   * `dZ = dA ⊙ act'(y)` over rows × n (row stride n; dZ may alias dA) and `colSum[j] = Σᵢ dZ[i, j]`
   * (overwritten), all the arena's views.
   */
  activationGradColSum(
    act: Activation,
    y: Float32Array,
    dA: Float32Array,
    dZ: Float32Array,
    rows: number,
    n: number,
    colSum: Float32Array,
    colSumOffset: number,
  ): void;
  /**
   * Reconstruction losses, optional: `sums[i] = Σⱼ (r[i, j] − x[i, j])²` in float64 over rows × cols (r the
   * arena's view; x any array, read from xOffset), with the same result as the TypeScript loop up to summation
   * order. Returns x's rows as a view of the arena (x itself, or its copy in a staging area that stays valid until
   * the next call stages something), so a following {@link scaleDiffRows} on the same rows copies nothing.
   */
  squaredDiffRows?(r: Float32Array, x: Float32Array, xOffset: number, rows: number, cols: number, sums: Float64Array): Float32Array;
  /** Optional: `d[i, j] = coef[i] · (r[i, j] − x[i, j])` in float64, rounded once (r and d the arena's views). */
  scaleDiffRows?(r: Float32Array, x: Float32Array, xOffset: number, rows: number, cols: number, coef: Float64Array, d: Float32Array): void;
  /** One Adam update (see {@link Adam}); all four arrays the arena's views of equal length. */
  adamStep(
    params: Float32Array,
    grads: Float32Array,
    m: Float32Array,
    v: Float32Array,
    coefficients: { beta1: number; beta2: number; stepSize: number; bc2Sqrt: number; eps: number },
  ): void;
}

// Each arena registers the ArrayBuffer / SharedArrayBuffer objects its views are built on, so any code (the
// optimizer, a network given foreign buffers) can ask which arena, if any, a set of arrays lives in.
const owners = new WeakMap<ArrayBufferLike, ComputeArena>();

/** Records that views on `buffer` belong to `arena` (called by arena implementations). */
export function registerArenaBuffer(buffer: ArrayBufferLike, arena: ComputeArena): void {
  owners.set(buffer, arena);
}

/** The arena all the given arrays live in, or null when they are not all views of one arena. */
export function arenaOf(...arrays: Float32Array[]): ComputeArena | null {
  let arena: ComputeArena | null = null;
  for (const a of arrays) {
    const owner = owners.get(a.buffer);
    if (!owner || (arena && owner !== arena)) return null;
    arena = owner;
  }
  return arena;
}
