/**
 * Exact float64 distances between float32 rows, and the exact brute-force k-nearest search of one row (the
 * fallback of the blocked search, and the reference its tests compare against).
 */
import { CandidateHeaps } from './heap.js';

/**
 * Squared Euclidean distance between row `i` of `a` and row `j` of `b` (both row-major with `d` columns), summed
 * in float64 over the float32 values (the same numbers scikit-learn's trees sum).
 *
 * @example
 * squaredDistance(Float32Array.of(0, 0), 0, Float32Array.of(3, 4), 0, 2); // 25
 */
export function squaredDistance(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  const ai = i * d;
  const bj = j * d;
  for (let c = 0; c < d; c++) {
    const t = a[ai + c] - b[bj + c];
    s += t * t;
  }
  return s;
}

/**
 * The k nearest reference rows of query row `q` by exact float64 distance, scanning every reference row once
 * with a bounded max-heap (ties: lower reference index first). `skip` is a reference index to leave out (the row
 * itself in leave-one-out), or -1. Writes k squared distances, ascending, and their indices.
 *
 * @example
 * const sq = new Float64Array(1); const idx = new Int32Array(1);
 * bruteForceRow(Float32Array.of(0, 5, 1), 3, Float32Array.of(0.9), 0, 1, 1, -1, sq, idx, 0); // idx[0] === 2
 */
export function bruteForceRow(
  reference: Float32Array,
  nReference: number,
  query: Float32Array,
  q: number,
  d: number,
  k: number,
  skip: number,
  outSquared: Float64Array,
  outIndex: Int32Array,
  outOffset: number,
): void {
  const heap = new CandidateHeaps(1, k);
  for (let j = 0; j < nReference; j++) {
    if (j === skip) continue;
    const s = squaredDistance(query, q, reference, j, d);
    if (heap.accepts(0, s, j)) heap.push(0, s, j);
  }
  sortPairs(heap.keys, heap.ids, k);
  outSquared.set(heap.keys, outOffset);
  outIndex.set(heap.ids, outOffset);
}

/**
 * Sorts `n` (key, id) pairs from `offset` ascending by key, then id (insertion sort when n is small).
 *
 * @example
 * const keys = Float64Array.of(2, 1, 2); const ids = Int32Array.of(5, 9, 3);
 * sortPairs(keys, ids, 3); // keys [1, 2, 2], ids [9, 3, 5]
 */
export function sortPairs(keys: Float64Array, ids: Int32Array, n: number, offset = 0): void {
  if (n > 48) {
    const order = Array.from({ length: n }, (_, i) => offset + i);
    order.sort((a, b) => keys[a] - keys[b] || ids[a] - ids[b]);
    const k2 = Float64Array.from(order, (i) => keys[i]);
    const i2 = Int32Array.from(order, (i) => ids[i]);
    keys.set(k2, offset);
    ids.set(i2, offset);
    return;
  }
  for (let i = offset + 1; i < offset + n; i++) {
    const key = keys[i];
    const id = ids[i];
    let j = i - 1;
    while (j >= offset && (keys[j] > key || (keys[j] === key && ids[j] > id))) {
      keys[j + 1] = keys[j];
      ids[j + 1] = ids[j];
      j--;
    }
    keys[j + 1] = key;
    ids[j + 1] = id;
  }
}
