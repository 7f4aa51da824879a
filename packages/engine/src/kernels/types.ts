/**
 * The engine's kernel interfaces, types only: the matrix product every pass goes through ({@link GemmKernel})
 * and the compute arena a kernel may offer ({@link ComputeArena}). Every kernel file imports its interface from
 * here, so no kernel file needs another to be typed (no import loop among them).
 */
import type { Activation } from '@abc/core';

/**
 * A row-major single-precision GEMM: `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`.
 *
 * - `op(A) = A` (stored m×k, row stride `lda`) or, with `transA`, `Aᵀ` where A is stored k×m.
 * - `op(B) = B` (stored k×n, row stride `ldb`) or, with `transB`, `Bᵀ` where B is stored n×k.
 * - C is stored m×n with row stride `ldc`; offsets locate each matrix inside its buffer.
 * - `beta = 0` overwrites C (NaN in C is not propagated), as BLAS does.
 *
 * Implementations must not keep references to the buffers between calls and must be deterministic
 * (the same inputs give bit-identical outputs), so a seeded training run is repeatable.
 */
export interface GemmKernel {
  /** A short name for reports (`'ts'`, `'wasm-simd'`, ...). */
  readonly name: string;
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    A: Float32Array,
    aOffset: number,
    lda: number,
    B: Float32Array,
    bOffset: number,
    ldb: number,
    beta: number,
    C: Float32Array,
    cOffset: number,
    ldc: number,
  ): void;
  /**
   * Optional: a new {@link ComputeArena} (memory this kernel computes in place, with the element-wise passes),
   * or null where it cannot make one here. A network whose kernel offers one keeps all its buffers there.
   */
  createArena?(): ComputeArena | null;
}

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
  biasActivate(
    act: Activation,
    C: Float32Array,
    cOffset: number,
    rows: number,
    n: number,
    bias: Float32Array,
    biasOffset: number,
  ): void;
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
  squaredDiffRows?(
    r: Float32Array,
    x: Float32Array,
    xOffset: number,
    rows: number,
    cols: number,
    sums: Float64Array,
  ): Float32Array;
  /** Optional: `d[i, j] = coef[i] · (r[i, j] − x[i, j])` in float64, rounded once (r and d the arena's views). */
  scaleDiffRows?(
    r: Float32Array,
    x: Float32Array,
    xOffset: number,
    rows: number,
    cols: number,
    coef: Float64Array,
    d: Float32Array,
  ): void;
  /** One Adam update (see {@link Adam}); all four arrays the arena's views of equal length. */
  adamStep(
    params: Float32Array,
    grads: Float32Array,
    m: Float32Array,
    v: Float32Array,
    coefficients: { beta1: number; beta2: number; stepSize: number; bc2Sqrt: number; eps: number },
  ): void;
}
