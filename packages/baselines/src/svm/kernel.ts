import type { Matrix } from '@abc/core';
import { SQDIST_WASM_BASE64 } from './wasm/sqdist-wasm.js';

/**
 * The RBF kernel K(a, b) = exp(−γ ||a − b||²) on float32 rows: squared distances in float64, computed by a small
 * WebAssembly SIMD module (wasm/sqdist.wat, embedded; no dependency, no file to fetch) where the runtime has
 * WebAssembly SIMD (Node >= 16.4, Chrome 91, Firefox 89, Safari 16.4), else by the same arithmetic in
 * JavaScript (bit-identical, about 5-8x slower at d = 784); and a kernel-row cache for the SMO solver.
 */

/**
 * Squared Euclidean distance between row `i` of `A` and row `j` of `B` (both row-major, width `d`): each
 * difference taken, squared and summed in float64 in four partial sums s_r (k ≡ r mod 4), added as
 * (s0 + s2) + (s1 + s3). This is exactly the arithmetic of the WebAssembly SIMD kernel (wasm/sqdist.wat), so
 * both backends give the same bits.
 */
export function sqDist(A: Float32Array, i: number, B: Float32Array, j: number, d: number): number {
  const a = i * d;
  const b = j * d;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < d; k += 4) {
    const t0 = A[a + k] - B[b + k];
    const t1 = A[a + k + 1] - B[b + k + 1];
    const t2 = A[a + k + 2] - B[b + k + 2];
    const t3 = A[a + k + 3] - B[b + k + 3];
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  if (k < d) {
    const t = A[a + k] - B[b + k];
    s0 += t * t;
  }
  if (k + 1 < d) {
    const t = A[a + k + 1] - B[b + k + 1];
    s1 += t * t;
  }
  if (k + 2 < d) {
    const t = A[a + k + 2] - B[b + k + 2];
    s2 += t * t;
  }
  return s0 + s2 + (s1 + s3);
}

/** Which implementation computes the distances: WebAssembly SIMD where the runtime has it, else JavaScript. */
export type SqDistBackend = 'wasm-simd' | 'ts';

/** Squared distances from one vector to every row of a fixed matrix (the training rows, or the support vectors). */
export interface SqDistEngine {
  readonly backend: SqDistBackend;
  /** out[j] = ||X_i − X_j||² for every row j. */
  fromRow(i: number, out: Float64Array): void;
  /** out[j] = ||v − X_j||² for every row j; v has length d. */
  fromVector(v: Float32Array, out: Float64Array): void;
  /** Four rows at once (each X row read once): out[q n + j] = ||X_{rows[q]} − X_j||², q < 4. Same bits as fromRow. */
  fromRows4(rows: ArrayLike<number>, out: Float64Array): void;
  /** Four vectors at once (v holds 4 d values): out[q n + j] = ||v_q − X_j||². Same bits as fromVector. */
  fromVectors4(v: Float32Array, out: Float64Array): void;
}

let wasmModule: WebAssembly.Module | null | undefined;

/** The compiled SIMD module, or null where WebAssembly or its SIMD proposal is missing. */
function simdModule(): WebAssembly.Module | null {
  if (wasmModule === undefined) {
    try {
      const bin = atob(SQDIST_WASM_BASE64);
      const bytes = new Uint8Array(bin.length);
      for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
      wasmModule = new WebAssembly.Module(bytes);
    } catch {
      wasmModule = null;
    }
  }
  return wasmModule;
}

/** True where the WebAssembly SIMD kernel can run. */
export function hasWasmSimd(): boolean {
  return simdModule() !== null;
}

/**
 * A distance engine over the n × d rows of X: the WebAssembly SIMD one (X copied once into its memory, rows
 * zero-padded to a multiple of 4) unless `backend` is 'ts', SIMD is missing, or the rows do not fit in 2 GiB.
 * Both give bit-identical results (see {@link sqDist}).
 */
export function sqDistEngine(X: Float32Array, n: number, d: number, backend: 'auto' | SqDistBackend = 'auto'): SqDistEngine {
  if (backend !== 'ts') {
    const engine = wasmEngine(X, n, d);
    if (engine) return engine;
    if (backend === 'wasm-simd') throw new Error('WebAssembly SIMD is not available here');
  }
  const v = new Float32Array(4 * d);
  return {
    backend: 'ts',
    fromRow(i, out) {
      for (let j = 0; j < n; j++) out[j] = sqDist(X, i, X, j, d);
    },
    fromVector(vec, out) {
      v.set(vec.subarray(0, d));
      for (let j = 0; j < n; j++) out[j] = sqDist(v, 0, X, j, d);
    },
    fromRows4(rows, out) {
      for (let q = 0; q < 4; q++) for (let j = 0; j < n; j++) out[q * n + j] = sqDist(X, rows[q], X, j, d);
    },
    fromVectors4(vec, out) {
      v.set(vec.subarray(0, 4 * d));
      for (let q = 0; q < 4; q++) for (let j = 0; j < n; j++) out[q * n + j] = sqDist(v, q, X, j, d);
    },
  };
}

function wasmEngine(X: Float32Array, n: number, d: number): SqDistEngine | null {
  const mod = simdModule();
  if (mod === null) return null;
  const dp = (d + 3) & ~3;
  const xBytes = n * dp * 4;
  const vecPtr = xBytes;
  const outPtr = vecPtr + 4 * dp * 4;
  const total = outPtr + 4 * n * 8;
  if (total > 2 ** 31) return null;
  let instance: WebAssembly.Instance;
  let memory: WebAssembly.Memory;
  try {
    instance = new WebAssembly.Instance(mod, {});
    memory = instance.exports.memory as WebAssembly.Memory;
    const pages = Math.ceil(total / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
  } catch {
    return null;
  }
  const buf = memory.buffer;
  const xs = new Float32Array(buf, 0, n * dp);
  if (dp === d) xs.set(X.subarray(0, n * d));
  else for (let i = 0; i < n; i++) xs.set(X.subarray(i * d, (i + 1) * d), i * dp);
  const vec = new Float32Array(buf, vecPtr, 4 * dp);
  const res = new Float64Array(buf, outPtr, n);
  const res4 = new Float64Array(buf, outPtr, 4 * n);
  const run = instance.exports.sqdist as (a: number, x: number, n: number, dp: number, out: number) => void;
  const run4 = instance.exports.sqdist4 as (
    a0: number,
    a1: number,
    a2: number,
    a3: number,
    x: number,
    n: number,
    dp: number,
    out: number,
  ) => void;
  const rowBytes = dp * 4;
  return {
    backend: 'wasm-simd',
    fromRow(i, out) {
      run(i * dp * 4, 0, n, dp, outPtr);
      out.set(res);
    },
    fromVector(v, out) {
      vec.set(v.subarray(0, d));
      run(vecPtr, 0, n, dp, outPtr);
      out.set(res);
    },
    fromRows4(rows, out) {
      run4(rows[0] * rowBytes, rows[1] * rowBytes, rows[2] * rowBytes, rows[3] * rowBytes, 0, n, dp, outPtr);
      out.set(res4);
    },
    fromVectors4(v, out) {
      for (let q = 0; q < 4; q++) vec.set(v.subarray(q * d, (q + 1) * d), q * dp);
      run4(vecPtr, vecPtr + rowBytes, vecPtr + 2 * rowBytes, vecPtr + 3 * rowBytes, 0, n, dp, outPtr);
      out.set(res4);
    },
  };
}

/**
 * scikit-learn's `gamma='scale'`: 1 / (n_features · X.var()), the variance over every value of X (population
 * variance, float64), and 1 when that variance is 0.
 */
export function scaleGamma(X: Matrix): number {
  const n = X.data.length;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += X.data[k];
  mean /= n;
  let v = 0;
  for (let k = 0; k < n; k++) v += (X.data[k] - mean) ** 2;
  v /= n;
  return v > 0 ? 1 / (X.cols * v) : 1;
}

/**
 * The Q matrix of the SVM dual, Q_ij = y_i y_j K(x_i, x_j), served row by row from a least-recently-used
 * cache of float32 rows (libsvm keeps Q in float as well), bounded by `cacheBytes`. The diagonal is 1 for RBF.
 */
export class KernelMatrix {
  private readonly cache = new Map<number, Float32Array>();
  private readonly maxRows: number;
  private readonly engine: SqDistEngine;
  private readonly dist: Float64Array;
  /** Kernel rows computed (cache misses), for diagnostics. */
  computed = 0;

  constructor(
    X: Float32Array,
    readonly l: number,
    d: number,
    private readonly gamma: number,
    private readonly y: Int8Array,
    cacheBytes: number,
    backend: 'auto' | SqDistBackend = 'auto',
  ) {
    this.maxRows = Math.max(2, Math.floor(cacheBytes / (4 * Math.max(1, l))));
    this.engine = sqDistEngine(X, l, d, backend);
    this.dist = new Float64Array(l);
  }

  get backend(): SqDistBackend {
    return this.engine.backend;
  }

  /**
   * Computes the uncached rows among `rows` four at a time (a quarter of the memory traffic of one at a time) and
   * caches them, as far as the cache holds them; for the initial gradient, which needs many rows up front.
   */
  prefetch(rows: ArrayLike<number>): void {
    const { l, gamma, y } = this;
    const missing: number[] = [];
    for (let k = 0; k < rows.length; k++) if (!this.cache.has(rows[k])) missing.push(rows[k]);
    const block = new Float64Array(4 * l);
    for (let k = 0; k + 4 <= missing.length && k + 4 <= this.maxRows; k += 4) {
      const four = missing.slice(k, k + 4);
      this.engine.fromRows4(four, block);
      for (let q = 0; q < 4; q++) {
        const i = four[q];
        const out = this.slot();
        const yi = y[i];
        const off = q * l;
        for (let j = 0; j < l; j++) out[j] = yi * y[j] * Math.exp(-gamma * block[off + j]);
        this.computed++;
        this.cache.set(i, out);
      }
    }
  }

  /** A free row buffer: a new one while the cache has room, else the least recently used row's. */
  private slot(): Float32Array {
    if (this.cache.size >= this.maxRows) {
      const oldest = this.cache.keys().next().value as number;
      const out = this.cache.get(oldest)!;
      this.cache.delete(oldest);
      return out;
    }
    return new Float32Array(this.l);
  }

  /** Row i of Q (length l). The returned array is owned by the cache: read it before the next two calls. */
  row(i: number): Float32Array {
    const cached = this.cache.get(i);
    if (cached !== undefined) {
      // Move to the most recently used end.
      this.cache.delete(i);
      this.cache.set(i, cached);
      return cached;
    }
    const out = this.slot();
    const { l, gamma, y, dist } = this;
    this.engine.fromRow(i, dist);
    const yi = y[i];
    for (let j = 0; j < l; j++) out[j] = yi * y[j] * Math.exp(-gamma * dist[j]);
    this.computed++;
    this.cache.set(i, out);
    return out;
  }
}

/**
 * Decision values f(x) = Σ_s coef_s K(sv_s, x) − rho for every row of X (float64), the function libsvm's
 * `svm_predict_values` computes for a two-class or one-class model.
 */
export function decisionValues(
  X: Matrix,
  sv: Float32Array,
  coef: Float64Array,
  rho: number,
  gamma: number,
  backend: 'auto' | SqDistBackend = 'auto',
): Float64Array {
  const d = X.cols;
  const nSV = coef.length;
  const out = new Float64Array(X.rows);
  if (nSV === 0) return out.fill(-rho);
  const engine = sqDistEngine(sv, nSV, d, backend);
  const dist = new Float64Array(4 * nSV);
  const sum = (i: number, off: number) => {
    let s = 0;
    for (let k = 0; k < nSV; k++) s += coef[k] * Math.exp(-gamma * dist[off + k]);
    out[i] = s - rho;
  };
  // Four rows at a time (same bits as one at a time, so a row's score does not depend on its batch).
  let i = 0;
  for (; i + 4 <= X.rows; i += 4) {
    engine.fromVectors4(X.data.subarray(i * d, (i + 4) * d), dist);
    for (let q = 0; q < 4; q++) sum(i + q, q * nSV);
  }
  for (; i < X.rows; i++) {
    engine.fromVector(X.data.subarray(i * d, (i + 1) * d), dist);
    sum(i, 0);
  }
  return out;
}
