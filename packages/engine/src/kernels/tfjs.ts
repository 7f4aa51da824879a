/**
 * An optional accelerator: {@link GemmKernel} on TensorFlow.js, used only where the application has tfjs and hands
 * it in. `@abc/models` does not depend on tfjs: the caller passes its own tf module (`@tensorflow/tfjs-node`,
 * `-node-gpu`, `@tensorflow/tfjs` with any backend), described here by the few functions the kernel calls
 * ({@link TfjsModule}).
 *
 * Each `gemm` call wraps op(A) and op(B) as 2-D tensors (no copy where a matrix is contiguous, a packed copy where
 * its row stride is wider than the row), multiplies them with `tf.matMul(a, b, transA, transB)` inside `tf.tidy`
 * (every tensor is released before the call returns, also when it throws), reads the product back with
 * `dataSync()` and applies `alpha` and `beta` while writing C. A per-call cost of creating tensors and reading back
 * remains, so it pays off with a native or GPU backend at large products; on the plain `cpu` backend it is far
 * slower than the built-in wasm-simd kernel (use it there for testing only).
 *
 * @example
 * import * as tf from '@tensorflow/tfjs-node';               // or '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs'
 * import { registerTfjsKernel, selectKernel, describeSelection, setDefaultKernel } from '@abc/engine';
 *
 * registerTfjsKernel(tf);                                     // id 'tfjs', priority 20: tried before wasm-simd
 * const selection = selectKernel();                           // or: await selectKernelAsync() (awaits tf.ready())
 * console.log(describeSelection(selection));                  // 'gemm kernel tfjs (auto)'
 * setDefaultKernel(selection.kernel);                         // selection.kernel.name: 'tfjs-tensorflow'
 * // or without the registry: new DenseNetwork(spec, { kernel: createTfjsKernel(tf) })
 * // ABC_KERNEL=wasm-simd node app.js still forces the built-in kernel.
 */
import { BackendUnavailableError, ValidationError } from '@abc/core';
import type { GemmKernel } from './types.js';
import { registerKernel, type KernelCandidate } from './select.js';

/** The part of a tfjs tensor the kernel uses. */
export interface TfjsTensor {
  dataSync(): ArrayLike<number> | ArrayLike<string>;
  dispose(): void;
}

/**
 * The part of a tfjs module (`import * as tf from '@tensorflow/tfjs-node'`) the kernel uses; a tfjs 4.x module
 * satisfies it (tested with `@tensorflow/tfjs` 4.22). `backend` and `ready` are optional (used, where present, to
 * start the best backend). `T` is the module's tensor type, inferred from `tensor2d` (`NoInfer`, TypeScript 5.4+,
 * keeps matMul's wider parameter types out of that inference).
 */
export interface TfjsModule<T extends TfjsTensor = TfjsTensor> {
  tensor2d(values: Float32Array, shape: [number, number], dtype: 'float32'): T;
  matMul(a: NoInfer<T>, b: NoInfer<T>, transposeA: boolean, transposeB: boolean): TfjsTensor;
  tidy(fn: () => void): void;
  /** The active backend's name (`'cpu'`, `'tensorflow'`, `'webgl'`, ...); undefined before one is started. */
  getBackend(): string | undefined | null;
  /** Starts the best registered backend synchronously, throwing where it needs an async start (`tf.ready()`). */
  backend?(): unknown;
  /** Starts the best registered backend, also one that initialises asynchronously (wasm, webgpu). */
  ready?(): Promise<void>;
}

const REQUIRED = ['tensor2d', 'matMul', 'tidy', 'getBackend'] as const;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Why the tfjs kernel cannot run on this tf module, or null when it can: the module lacks a function the kernel
 * calls, or no backend is active or can be started synchronously. Creates no tensor (it may start tfjs's best
 * backend, as the first tfjs operation would).
 */
export function tfjsUnavailableReason(tf: unknown): string | null {
  return shapeProblem(tf) ?? backendProblem(tf as TfjsModule);
}

/** Why `tf` is not a tfjs module the kernel can use (a function missing), or null. */
function shapeProblem(tf: unknown): string | null {
  if (tf === null || tf === undefined || (typeof tf !== 'object' && typeof tf !== 'function')) {
    return 'no tfjs module was given (pass the module: import * as tf from "@tensorflow/tfjs-node")';
  }
  const t = tf as Partial<Record<string, unknown>>;
  const missing = REQUIRED.filter((f) => typeof t[f] !== 'function');
  if (missing.length > 0) {
    return `the given tfjs module has no ${missing.join(', ')} (pass the module itself: import * as tf from "@tensorflow/tfjs-node")`;
  }
  return null;
}

/** Why tfjs has no backend to run on (none active, none can start synchronously), or null. */
function backendProblem(mod: TfjsModule): string | null {
  let name: string | undefined | null;
  try {
    // tf.backend() starts the best backend where none is active yet, and throws while one is still starting.
    if (typeof mod.backend === 'function') mod.backend();
    name = mod.getBackend();
  } catch (e) {
    return `the tfjs backend is not ready: ${message(e)}`;
  }
  if (!name) return 'tfjs has no active backend (register one, or await tf.ready() / tf.setBackend(name) first)';
  return null;
}

/**
 * {@link GemmKernel} on a tfjs module (see the module comment). `name` is `tfjs-<active backend>` (`tfjs-cpu`,
 * `tfjs-tensorflow`, `tfjs-webgl`, ...), read at each access since the caller may switch tfjs's backend. As
 * deterministic as the backend's matMul (the cpu and tensorflow backends are). Prefer {@link createTfjsKernel},
 * which also checks that the backend computes in float32.
 */
export class TfjsGemmKernel implements GemmKernel {
  private readonly tf: TfjsModule;

  // `any`: a class constructor cannot infer the module's tensor type as createTfjsKernel does.
  // biome-ignore lint/suspicious/noExplicitAny: any tfjs build's tensor type (tfjs, tfjs-node, tfjs-node-gpu differ)
  constructor(tf: TfjsModule<any>) {
    this.tf = tf;
    const why = tfjsUnavailableReason(tf);
    if (why !== null) throw new BackendUnavailableError('tfjs', why);
  }

  get name(): string {
    let backend: string | undefined | null;
    try {
      backend = this.tf.getBackend();
    } catch {
      backend = undefined;
    }
    return backend ? `tfjs-${backend}` : 'tfjs';
  }

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
  ): void {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha === 0) {
      // No product to add (BLAS: A and B are not read): C = beta * C, and beta = 0 overwrites NaN.
      if (beta !== 1) {
        for (let i = 0; i < m; i++) {
          const row = cOffset + i * ldc;
          if (beta === 0) C.fill(0, row, row + n);
          else for (let j = 0; j < n; j++) C[row + j] *= beta;
        }
      }
      return;
    }
    // As stored: A is m×k (k×m with transA), B is k×n (n×k with transB).
    const aRows = transA ? k : m;
    const aCols = transA ? m : k;
    const bRows = transB ? n : k;
    const bCols = transB ? k : n;
    const a = dense(A, aOffset, lda, aRows, aCols);
    const b = dense(B, bOffset, ldb, bRows, bCols);
    const tf = this.tf;
    let product: ArrayLike<number> | undefined;
    tf.tidy(() => {
      const at = tf.tensor2d(a, [aRows, aCols], 'float32');
      const bt = tf.tensor2d(b, [bRows, bCols], 'float32');
      product = tf.matMul(at, bt, transA, transB).dataSync() as ArrayLike<number>;
    });
    const P = product!;
    if (P.length !== m * n)
      throw new BackendUnavailableError('tfjs', `tfjs matMul returned ${P.length} values, expected ${m}×${n}`);
    for (let i = 0; i < m; i++) {
      const row = cOffset + i * ldc;
      const p = i * n;
      if (beta === 0) {
        if (alpha === 1) for (let j = 0; j < n; j++) C[row + j] = P[p + j];
        else for (let j = 0; j < n; j++) C[row + j] = alpha * P[p + j];
      } else if (alpha === 1 && beta === 1) {
        for (let j = 0; j < n; j++) C[row + j] += P[p + j];
      } else {
        for (let j = 0; j < n; j++) C[row + j] = alpha * P[p + j] + beta * C[row + j];
      }
    }
  }
}

/**
 * The rows×cols matrix stored at `off` with row stride `ld`, as one contiguous Float32Array: a view where the rows
 * are adjacent (no copy), else a packed copy. The view is only read by tfjs during the call (its tensors are
 * disposed before `gemm` returns), so no reference to the caller's buffer outlives the call.
 */
function dense(X: Float32Array, off: number, ld: number, rows: number, cols: number): Float32Array {
  if (ld === cols || rows === 1) {
    if (off < 0 || off + rows * cols > X.length)
      throw new ValidationError('shape', `gemm: a ${rows}×${cols} matrix at offset ${off} overruns its buffer of ${X.length}`);
    return X.subarray(off, off + rows * cols);
  }
  if (ld < cols) throw new ValidationError('shape', `gemm: row stride ${ld} is smaller than the row length ${cols}`);
  if (off < 0 || off + (rows - 1) * ld + cols > X.length)
    throw new ValidationError(
      'shape',
      `gemm: a ${rows}×${cols} matrix at offset ${off} with stride ${ld} overruns its buffer of ${X.length}`,
    );
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(X.subarray(off + r * ld, off + r * ld + cols), r * cols);
  return out;
}

// 1 + 2^-12 is exact in float32 and rounds to 1 in float16: a backend computing in half precision (WebGL without
// float32 textures) fails the probe instead of training silently wrong.
const PROBE_A = new Float32Array([1, 2 ** -12]);
const PROBE_B = new Float32Array([1, 1]);
const PROBE_EXPECTED = 1 + 2 ** -12;

/**
 * Creates the tfjs kernel on a tf module, after checking it can run ({@link tfjsUnavailableReason}) and computes a
 * small product in float32 (one 1×2·2×1 probe, its tensors disposed). Throws with the reason otherwise.
 */
export function createTfjsKernel<T extends TfjsTensor>(tf: TfjsModule<T>): TfjsGemmKernel {
  const kernel = new TfjsGemmKernel(tf);
  const C = new Float32Array(1);
  try {
    kernel.gemm(false, false, 1, 1, 2, 1, PROBE_A, 0, 2, PROBE_B, 0, 1, 0, C, 0, 1);
  } catch (e) {
    throw new BackendUnavailableError('tfjs', `tfjs (${kernel.name}) cannot run a matMul: ${message(e)}`, { cause: e });
  }
  if (C[0] !== PROBE_EXPECTED) {
    throw new BackendUnavailableError(
      'tfjs',
      `${kernel.name} computed a probe product as ${C[0]} instead of ${PROBE_EXPECTED}: the backend does not compute in float32`,
    );
  }
  return kernel;
}

/** Options of {@link tfjsKernelCandidate} and {@link registerTfjsKernel}. */
export interface TfjsKernelOptions {
  /** Selection priority, higher first (default 20: before wasm-simd's 10 and ts's 0). */
  priority?: number;
}

/**
 * The tfjs kernel as a selection candidate (id `'tfjs'`): unavailable, with the reason, where the module lacks a
 * function the kernel needs or has no backend ready. Its async probe and `createAsync` first await `tf.ready()`,
 * so with `selectKernelAsync` a backend that starts asynchronously (wasm, webgpu) is started and used.
 */
export function tfjsKernelCandidate<T extends TfjsTensor>(tf: TfjsModule<T>, options: TfjsKernelOptions = {}): KernelCandidate {
  return {
    id: 'tfjs',
    priority: options.priority ?? 20,
    unavailableReason: () => tfjsUnavailableReason(tf),
    unavailableReasonAsync: async () => {
      const problem = shapeProblem(tf);
      if (problem !== null) return problem;
      if (typeof tf.ready === 'function') {
        try {
          await tf.ready();
        } catch (e) {
          return `the tfjs backend did not start: ${message(e)}`;
        }
      }
      return backendProblem(tf);
    },
    create: () => createTfjsKernel(tf),
    createAsync: async () => {
      if (typeof tf?.ready === 'function') await tf.ready();
      return createTfjsKernel(tf);
    },
  };
}

/**
 * Registers the tfjs kernel ({@link tfjsKernelCandidate}) with {@link registerKernel}, replacing an earlier
 * registration. Call it at startup, before the first network picks the default kernel. See the module example.
 */
export function registerTfjsKernel<T extends TfjsTensor>(tf: TfjsModule<T>, options: TfjsKernelOptions = {}): void {
  registerKernel(tfjsKernelCandidate(tf, options));
}
