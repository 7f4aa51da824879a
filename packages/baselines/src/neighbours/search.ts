/**
 * Exact k-nearest-neighbour search by blocks, the products on the engine's float32 GEMM.
 *
 * 1. Candidates in float32: for a block of query rows against a block of reference rows, the squared distances
 *    ||q||² + ||r||² − 2 q·r with the products q·r from one GEMM call (on rows centred by the reference mean, so
 *    the products are small next to the distances). Each query row keeps its `k + extraCandidates` smallest in a
 *    bounded max-heap: no row list is ever sorted.
 * 2. Exact in float64: the candidates' distances recomputed as Σ (qᵢ − rᵢ)² over the float32 values, the k
 *    smallest taken (ties: lower reference index first).
 * 3. A proof per row that float32 rounding dropped no true neighbour: every reference row outside the candidates
 *    had an approximate squared distance ≥ A (the heap's largest), and the float32 error of an approximate squared
 *    distance is at most e = 4 (d + 2) u ||q|| max||r|| (u = 2⁻²⁴, a GEMM's dot-product bound γ_d with a factor 2 to
 *    spare), plus the rounding of the centred rows (≤ 1.01 u (||q|| + max||r||) in distance). So each such row is
 *    at distance ≥ L = √max(0, A − e) − 1.01 u (||q|| + max||r||); when the k-th exact distance D is < L (or is 0:
 *    nothing is nearer than 0) the result is exact, ties included.
 * 4. A row where that fails (a cloud of near-ties at the margin, as on grid data) gets one more GEMM pass of its
 *    own that collects every reference row with an approximate squared distance ≤ (√D + δ)² + e (δ the centring
 *    rounding above): every row at exact distance ≤ D is among them, so their exact k smallest are the answer.
 *    `fallbackRows` counts these rows.
 *
 * Memory: the centred float32 copy of the reference rows plus one queryBlock × referenceBlock product buffer
 * (256 × 4096 floats, 4 MiB, by default), whatever the row counts.
 *
 * In low dimension an exact k-d tree (kdtree.ts) gives the same answer faster; `algorithm` chooses ('auto': the
 * tree up to {@link KD_TREE_MAX_DIMS} features, a probe of it up to {@link KD_TREE_PROBE_MAX_DIMS}, else blocks).
 */
import { AbortError, ValidationError, type Matrix } from '@abc/core';
import { getDefaultKernel, type GemmKernel } from '@abc/engine';
import { sortPairs, squaredDistance } from './exact.js';
import { CandidateHeaps } from './heap.js';
import { buildKdTree, kdScratch, kdTreeQuery, type KdTree } from './kdtree.js';

/** Options of {@link kNearest}. */
export interface KNearestOptions {
  /** How many neighbours per query row (1 ≤ k ≤ reference rows, less one in leave-one-out). */
  k: number;
  /**
   * The query rows ARE the reference rows, and each row is left out of its own neighbours (scikit-learn's
   * `kneighbors()` without X). Pass the same matrix as reference and query.
   */
  leaveOneOut?: boolean;
  /** Query rows per block (default 256). */
  queryBlock?: number;
  /** Reference rows per block (default 4096). */
  referenceBlock?: number;
  /** Candidates kept beyond k from the float32 pass (default 8). */
  extraCandidates?: number;
  /**
   * 'blocked' (the GEMM pass above), 'kdtree' (an exact k-d tree, see kdtree.ts) or 'auto' (default): the k-d
   * tree up to {@link KD_TREE_MAX_DIMS} features, where it measured faster; up to {@link KD_TREE_PROBE_MAX_DIMS}
   * the tree when it proves cheap on the first query block; else blocked. All three give the same result.
   */
  algorithm?: 'auto' | 'blocked' | 'kdtree';
  /**
   * The reference rows will not change (their array is not written to again): keep the k-d tree or the centred
   * float32 copy built for them, for later calls with the same array (held weakly, dropped with the array).
   */
  reuseIndex?: boolean;
  /** The GEMM (default: the engine's `getDefaultKernel()`). */
  kernel?: GemmKernel;
  /** Checked between query blocks; an abort rejects with `AbortError`. */
  signal?: AbortSignal;
  /** Called after each query block with (blocks done, blocks in all); may throw to stop the search. */
  onBlock?: (done: number, total: number) => void;
}

/** The k nearest reference rows of each query row. */
export interface KNearestResult {
  k: number;
  /** Query rows. */
  rows: number;
  /** Euclidean distances, row after row, k per row, ascending (float64). */
  distances: Float64Array;
  /** The reference row indices of those neighbours (ties: lower index first). */
  indices: Int32Array;
  /** Query rows whose k + extra float32 candidates could not be proven complete, so got a second, wider pass. */
  fallbackRows: number;
  /** The search that ran. */
  algorithm: 'blocked' | 'kdtree';
}

const U32 = 2 ** -24;

/** Up to this many features 'auto' searches with the k-d tree (see the package README for the measurements). */
export const KD_TREE_MAX_DIMS = 6;
/**
 * Above {@link KD_TREE_MAX_DIMS} and up to this many features (with ≥ 4,096 reference and ≥ 1,024 query rows),
 * 'auto' builds the tree and tries it on the first query block: it keeps the tree when a query measured fewer than
 * {@link KD_TREE_MAX_VISITED} of the reference rows (data of low intrinsic dimension), else goes blocked.
 */
export const KD_TREE_PROBE_MAX_DIMS = 32;
/** The share of reference rows a k-d tree query may measure on average for 'auto' to keep the tree. */
export const KD_TREE_MAX_VISITED = 0.1;

/**
 * The exact k nearest reference rows (Euclidean) of every query row, by blocks: float32 candidates on the GEMM,
 * exact float64 distances for them, a second, wider pass where the float32 candidates cannot be proven complete
 * (see the module notes). Async only to let an abort signal through between query blocks.
 *
 * @example
 * const ref = matrix(Float32Array.of(0, 0, 1, 0, 5, 5), 3, 2);
 * const { distances, indices } = await kNearest(ref, ref, { k: 1, leaveOneOut: true });
 * // indices: [1, 0, 1]; distances: [1, 1, √41]
 */
export async function kNearest(reference: Matrix, query: Matrix, options: KNearestOptions): Promise<KNearestResult> {
  const n = reference.rows;
  const d = reference.cols;
  const loo = options.leaveOneOut === true;
  if (loo && query !== reference)
    throw new ValidationError('param', 'kNearest: leaveOneOut needs the query to be the reference matrix itself');
  if (query.cols !== d) throw new ValidationError('shape', `kNearest: the query has ${query.cols} columns, the reference ${d}`);
  const available = n - (loo ? 1 : 0);
  const k = options.k;
  if (!Number.isInteger(k) || k < 1 || k > available) {
    throw new ValidationError(
      'param',
      `kNearest: "k" must be an integer in [1, ${available}] (${n} reference rows${loo ? ', leave-one-out' : ''}), got ${k}`,
    );
  }
  const qBlock = positiveInt(options.queryBlock ?? 256, 'queryBlock');
  const rBlock = positiveInt(options.referenceBlock ?? 4096, 'referenceBlock');
  const extra = options.extraCandidates ?? 8;
  if (!Number.isInteger(extra) || extra < 0)
    throw new ValidationError('param', `kNearest: "extraCandidates" must be an integer >= 0, got ${extra}`);
  const kernel = options.kernel ?? getDefaultKernel();
  const m = Math.min(k + extra, available);
  const nq = query.rows;
  const algorithm = options.algorithm ?? 'auto';
  if (algorithm === 'kdtree' || (algorithm === 'auto' && d <= KD_TREE_MAX_DIMS))
    return kdTreeSearch(reference, query, k, loo, qBlock, options);
  if (
    algorithm === 'auto' &&
    d <= KD_TREE_PROBE_MAX_DIMS &&
    n >= 4096 &&
    nq >= 1024 &&
    treePays(reference, query, k, loo, qBlock, options)
  ) {
    return kdTreeSearch(reference, query, k, loo, qBlock, options);
  }

  const { mean, cRef, refNorm, maxRefNorm } = cached(centredCache, reference, options.reuseIndex, () =>
    centredReference(reference),
  );

  const distances = new Float64Array(nq * k);
  const indices = new Int32Array(nq * k);
  const heaps = new CandidateHeaps(Math.min(qBlock, nq), m);
  const product = new Float32Array(Math.min(qBlock, nq) * Math.min(rBlock, n));
  const exactKeys = new Float64Array(m);
  const exactIds = new Int32Array(m);
  const gemmError = 4 * (d + 2) * U32;
  const totalBlocks = Math.ceil(nq / qBlock);
  let fallbackRows = 0;
  let lastYield = Date.now();
  const failed: number[] = [];
  const failedBound: number[] = [];

  for (let qStart = 0, block = 0; qStart < nq; qStart += qBlock, block++) {
    const qb = Math.min(qBlock, nq - qStart);
    const cQuery = loo ? cRef.subarray(qStart * d, (qStart + qb) * d) : centre(query.data, qStart, qb, d, mean);
    const qNorm = loo ? refNorm.subarray(qStart, qStart + qb) : rowNorms(cQuery, qb, d);
    /**
     * The rows of this block whose candidates could not be proven complete (near-ties at the margin): one more
     * GEMM pass for them alone collects EVERY reference row whose approximate distance is within their bound,
     * then the exact k smallest of those.
     */
    const rescan = (rows: number[], bounds: number[]): void => {
      const f = rows.length;
      const packed = new Float32Array(f * d);
      for (let i = 0; i < f; i++) packed.set(cQuery.subarray(rows[i] * d, (rows[i] + 1) * d), i * d);
      const lists: number[][] = rows.map(() => []);
      for (let rStart = 0; rStart < n; rStart += rBlock) {
        const rb = Math.min(rBlock, n - rStart);
        kernel.gemm(false, true, f, rb, d, 1, packed, 0, d, cRef, rStart * d, d, 0, product, 0, rb);
        for (let i = 0; i < f; i++) {
          const qn = qNorm[rows[i]];
          const self = loo ? qStart + rows[i] - rStart : -1;
          const bound = bounds[i];
          const list = lists[i];
          for (let b = 0; b < rb; b++) {
            if (qn + refNorm[rStart + b] - 2 * product[i * rb + b] <= bound && b !== self) list.push(rStart + b);
          }
        }
      }
      const heap = new CandidateHeaps(1, k);
      for (let i = 0; i < f; i++) {
        const q = qStart + rows[i];
        heap.reset();
        for (const j of lists[i]) {
          const sq = squaredDistance(query.data, q, reference.data, j, d);
          if (heap.accepts(0, sq, j)) heap.push(0, sq, j);
        }
        sortPairs(heap.keys, heap.ids, k);
        for (let t = 0; t < k; t++) {
          distances[q * k + t] = Math.sqrt(heap.keys[t]);
          indices[q * k + t] = heap.ids[t];
        }
      }
    };
    heaps.reset();
    for (let rStart = 0; rStart < n; rStart += rBlock) {
      const rb = Math.min(rBlock, n - rStart);
      kernel.gemm(false, true, qb, rb, d, 1, cQuery, 0, d, cRef, rStart * d, d, 0, product, 0, rb);
      for (let a = 0; a < qb; a++) {
        const qn = qNorm[a];
        const self = loo ? qStart + a - rStart : -1;
        let bound = heaps.bound(a);
        const row = a * rb;
        for (let b = 0; b < rb; b++) {
          const v = qn + refNorm[rStart + b] - 2 * product[row + b];
          if (v < bound && b !== self) {
            heaps.push(a, v, rStart + b);
            bound = heaps.bound(a);
          }
        }
      }
    }
    // Exact distances for the candidates, the k smallest, and the completeness check.
    for (let a = 0; a < qb; a++) {
      const q = qStart + a;
      const size = heaps.sizes[a];
      for (let t = 0; t < size; t++) {
        const id = heaps.ids[a * m + t];
        exactIds[t] = id;
        exactKeys[t] = squaredDistance(query.data, q, reference.data, id, d);
      }
      sortPairs(exactKeys, exactIds, size);
      let complete = size < m || m === available; // every reference row was a candidate
      if (!complete) {
        const kth = exactKeys[k - 1];
        const qLen = Math.sqrt(qNorm[a]);
        const lower =
          Math.sqrt(Math.max(0, heaps.keys[a * m] - gemmError * qLen * maxRefNorm)) - 1.01 * U32 * (qLen + maxRefNorm);
        complete = kth === 0 || Math.sqrt(kth) * (1 + 1e-12) < lower;
      }
      if (complete) {
        for (let t = 0; t < k; t++) {
          distances[q * k + t] = Math.sqrt(exactKeys[t]);
          indices[q * k + t] = exactIds[t];
        }
      } else {
        // Every row at exact distance ≤ the k-th candidate's has an approximate squared distance ≤ this.
        const qLen = Math.sqrt(qNorm[a]);
        const reach = Math.sqrt(exactKeys[k - 1]) * (1 + 1e-12) + 1.01 * U32 * (qLen + maxRefNorm);
        failed.push(a);
        failedBound.push(reach * reach + gemmError * qLen * maxRefNorm);
      }
    }
    if (failed.length > 0) {
      fallbackRows += failed.length;
      rescan(failed, failedBound);
      failed.length = 0;
      failedBound.length = 0;
    }
    lastYield = await betweenBlocks(block + 1, totalBlocks, options, lastYield);
  }
  return { k, rows: nq, distances, indices, fallbackRows, algorithm: 'blocked' };
}

/** The exact k-d tree search, by blocks of query rows (for progress and abort). */
async function kdTreeSearch(
  reference: Matrix,
  query: Matrix,
  k: number,
  loo: boolean,
  qBlock: number,
  options: KNearestOptions,
): Promise<KNearestResult> {
  const d = reference.cols;
  const nq = query.rows;
  const tree = cached(treeCache, reference, options.reuseIndex, () => buildKdTree(reference.data, reference.rows, d));
  const heap = new CandidateHeaps(1, k);
  const scratch = kdScratch(tree);
  const distances = new Float64Array(nq * k);
  const indices = new Int32Array(nq * k);
  const totalBlocks = Math.ceil(nq / qBlock);
  let lastYield = Date.now();
  for (let qStart = 0, block = 0; qStart < nq; qStart += qBlock, block++) {
    const qEnd = Math.min(nq, qStart + qBlock);
    for (let q = qStart; q < qEnd; q++) {
      kdTreeQuery(tree, query.data, q, k, loo ? q : -1, heap, distances, indices, q * k, scratch);
      for (let t = q * k; t < (q + 1) * k; t++) distances[t] = Math.sqrt(distances[t]);
    }
    lastYield = await betweenBlocks(block + 1, totalBlocks, options, lastYield);
  }
  return { k, rows: nq, distances, indices, fallbackRows: 0, algorithm: 'kdtree' };
}

/** Whether the k-d tree measures few enough rows on the first query block (see {@link KD_TREE_PROBE_MAX_DIMS}). */
function treePays(reference: Matrix, query: Matrix, k: number, loo: boolean, qBlock: number, options: KNearestOptions): boolean {
  const tree = cached(treeCache, reference, options.reuseIndex, () =>
    buildKdTree(reference.data, reference.rows, reference.cols),
  );
  const heap = new CandidateHeaps(1, k);
  const sq = new Float64Array(k);
  const idx = new Int32Array(k);
  const scratch = kdScratch(tree);
  const rows = Math.min(qBlock, query.rows);
  let evaluated = 0;
  for (let q = 0; q < rows; q++) evaluated += kdTreeQuery(tree, query.data, q, k, loo ? q : -1, heap, sq, idx, 0, scratch);
  return evaluated < KD_TREE_MAX_VISITED * rows * reference.rows;
}

/** Progress, abort check and (every 25 ms, when a signal is given) a turn of the event loop, so a timer can abort. */
async function betweenBlocks(done: number, total: number, options: KNearestOptions, lastYield: number): Promise<number> {
  options.onBlock?.(done, total);
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('the neighbour search was aborted', { cause: signal.reason });
  if (!signal || Date.now() - lastYield <= 25) return lastYield;
  await yieldToEventLoop();
  if (signal.aborted) throw new AbortError('the neighbour search was aborted', { cause: signal.reason });
  return Date.now();
}

interface CentredReference {
  mean: Float64Array;
  /** The reference rows minus their mean, float32. */
  cRef: Float32Array;
  /** Σ x² of each centred row, float64. */
  refNorm: Float64Array;
  /** The largest centred row norm. */
  maxRefNorm: number;
}

/** Centre on the reference mean (any shift keeps distances; this one keeps the products small). */
function centredReference(reference: Matrix): CentredReference {
  const n = reference.rows;
  const d = reference.cols;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += reference.data[i * d + c];
  for (let c = 0; c < d; c++) mean[c] /= n;
  const cRef = centre(reference.data, 0, n, d, mean);
  const refNorm = rowNorms(cRef, n, d);
  let maxRefNorm = 0;
  for (let i = 0; i < n; i++) maxRefNorm = Math.max(maxRefNorm, refNorm[i]);
  return { mean, cRef, refNorm, maxRefNorm: Math.sqrt(maxRefNorm) };
}

// Indexes kept for reference arrays a caller promised not to change (`reuseIndex`), dropped with the array.
const centredCache = new WeakMap<Float32Array, CentredReference>();
const treeCache = new WeakMap<Float32Array, KdTree>();

function cached<T>(cache: WeakMap<Float32Array, T>, reference: Matrix, reuse: boolean | undefined, make: () => T): T {
  if (!reuse) return make();
  let v = cache.get(reference.data);
  if (v === undefined) {
    v = make();
    cache.set(reference.data, v);
  }
  return v;
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1)
    throw new ValidationError('param', `kNearest: "${name}" must be a positive integer, got ${v}`);
  return v;
}

/** Rows [start, start + count) of `data` minus `mean`, rounded to float32. */
function centre(data: Float32Array, start: number, count: number, d: number, mean: Float64Array): Float32Array {
  const out = new Float32Array(count * d);
  for (let i = 0; i < count; i++) {
    const src = (start + i) * d;
    for (let c = 0; c < d; c++) out[i * d + c] = data[src + c] - mean[c];
  }
  return out;
}

/** Σ x² per row, in float64. */
function rowNorms(data: Float32Array, rows: number, d: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += data[i * d + c] * data[i * d + c];
    out[i] = s;
  }
  return out;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
