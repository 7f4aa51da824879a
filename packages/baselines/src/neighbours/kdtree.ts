/**
 * An exact k-d tree for low dimension: nodes split at the median of their widest feature, each with its bounding
 * box; a query walks the nearer child first and skips a node only when its box is farther (in float64) than the
 * k-th candidate so far. Distances are the same float64 sums as the brute force, and a box at exactly the k-th
 * distance is still visited, so results, ties included (lower index first), are the brute force's.
 */
import type { CandidateHeaps } from './heap.js';
import { sortPairs } from './exact.js';

/** A built tree over the rows of `data` (row-major, `d` columns). */
export interface KdTree {
  /** The rows in tree order (each leaf's rows contiguous in memory), row-major. */
  points: Float32Array;
  rows: number;
  d: number;
  /** The original row index of each point. */
  order: Int32Array;
  start: Int32Array;
  end: Int32Array;
  /** Child node ids (−1 in a leaf). */
  left: Int32Array;
  right: Int32Array;
  /** Bounding boxes, d values per node. */
  lo: Float64Array;
  hi: Float64Array;
}

/**
 * Builds a k-d tree (median splits on the widest feature, leaves of at most `leafSize` rows or of equal rows).
 *
 * @example
 * const tree = buildKdTree(Float32Array.of(0, 0, 1, 1, 5, 5), 3, 2);
 */
export function buildKdTree(data: Float32Array, rows: number, d: number, leafSize = 24): KdTree {
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const start: number[] = [];
  const end: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  const build = (s: number, e: number): number => {
    const id = start.length;
    start.push(s);
    end.push(e);
    left.push(-1);
    right.push(-1);
    let widest = 0;
    let width = -1;
    for (let c = 0; c < d; c++) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let t = s; t < e; t++) {
        const v = data[order[t] * d + c];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      lo.push(mn);
      hi.push(mx);
      if (mx - mn > width) {
        width = mx - mn;
        widest = c;
      }
    }
    if (e - s > leafSize && width > 0) {
      const mid = (s + e) >> 1;
      select(data, d, widest, order, s, e - 1, mid);
      left[id] = build(s, mid);
      right[id] = build(mid, e);
    }
    return id;
  };
  build(0, rows);
  const points = new Float32Array(rows * d);
  for (let t = 0; t < rows; t++) points.set(data.subarray(order[t] * d, (order[t] + 1) * d), t * d);
  return {
    points,
    rows,
    d,
    order,
    start: Int32Array.from(start),
    end: Int32Array.from(end),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    lo: Float64Array.from(lo),
    hi: Float64Array.from(hi),
  };
}

/** Reorders order[s..e] so that order[m] holds the row with the m-th smallest value of feature c (quickselect). */
function select(data: Float32Array, d: number, c: number, order: Int32Array, s: number, e: number, m: number): void {
  while (e > s) {
    const pivot = data[order[(s + e) >> 1] * d + c];
    let i = s;
    let j = e;
    while (i <= j) {
      while (data[order[i] * d + c] < pivot) i++;
      while (data[order[j] * d + c] > pivot) j--;
      if (i <= j) {
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
        i++;
        j--;
      }
    }
    if (m <= j) e = j;
    else if (m >= i) s = i;
    else return;
  }
}

/** A traversal stack for {@link kdTreeQuery} (reuse one per tree to spare allocations). */
export interface KdScratch {
  nodes: Int32Array;
  dists: Float64Array;
}

/**
 * A traversal stack deep enough for `tree`: median splits halve the rows, so the depth is at most ⌈log2 rows⌉ + 1,
 * and the stack holds at most one pending sibling per level plus the pair just pushed.
 *
 * @example
 * const scratch = kdScratch(tree); // pass to every kdTreeQuery on this tree
 */
export function kdScratch(tree: KdTree): KdScratch {
  const size = Math.ceil(Math.log2(tree.rows + 1)) + 4;
  return { nodes: new Int32Array(size), dists: new Float64Array(size) };
}

/**
 * The k nearest tree rows of row `q` of `query` (skipping tree row `skip`, or −1): k squared distances, ascending
 * (ties: lower index first), and their indices, written at `outOffset`. `heap` is a one-heap scratch of capacity k.
 * Returns how many tree rows it measured the distance to (the work done, which the search uses to choose).
 *
 * @example
 * const tree = buildKdTree(Float32Array.of(0, 5, 1), 3, 1);
 * const sq = new Float64Array(1); const idx = new Int32Array(1);
 * kdTreeQuery(tree, Float32Array.of(0.9), 0, 1, -1, new CandidateHeaps(1, 1), sq, idx, 0); // idx[0] === 2
 */
export function kdTreeQuery(
  tree: KdTree,
  query: Float32Array,
  q: number,
  k: number,
  skip: number,
  heap: CandidateHeaps,
  outSquared: Float64Array,
  outIndex: Int32Array,
  outOffset: number,
  scratch: KdScratch = kdScratch(tree),
): number {
  const { points, d, order, start, end, left, right, lo, hi } = tree;
  const qo = q * d;
  heap.reset();
  let evaluated = 0;
  const boxDistance = (node: number): number => {
    let s = 0;
    const b = node * d;
    for (let c = 0; c < d; c++) {
      const v = query[qo + c];
      const gap = v < lo[b + c] ? lo[b + c] - v : v > hi[b + c] ? v - hi[b + c] : 0;
      s += gap * gap;
    }
    return s;
  };
  // Depth-first with an explicit stack, the nearer child on top.
  const stackNode = scratch.nodes;
  const stackDist = scratch.dists;
  let top = 0;
  stackNode[0] = 0;
  stackDist[0] = boxDistance(0);
  top = 1;
  while (top > 0) {
    top--;
    const node = stackNode[top];
    if (stackDist[top] > heap.bound(0)) continue;
    const l = left[node];
    if (l < 0) {
      evaluated += end[node] - start[node];
      for (let t = start[node]; t < end[node]; t++) {
        const j = order[t];
        if (j === skip) continue;
        let s = 0;
        const po = t * d;
        for (let c = 0; c < d; c++) {
          const diff = query[qo + c] - points[po + c];
          s += diff * diff;
        }
        if (heap.accepts(0, s, j)) heap.push(0, s, j);
      }
      continue;
    }
    const r = right[node];
    const dl = boxDistance(l);
    const dr = boxDistance(r);
    if (dl <= dr) {
      stackNode[top] = r;
      stackDist[top++] = dr;
      stackNode[top] = l;
      stackDist[top++] = dl;
    } else {
      stackNode[top] = l;
      stackDist[top++] = dl;
      stackNode[top] = r;
      stackDist[top++] = dr;
    }
  }
  sortPairs(heap.keys, heap.ids, k);
  outSquared.set(heap.keys.subarray(0, k), outOffset);
  outIndex.set(heap.ids.subarray(0, k), outOffset);
  return evaluated;
}
