/**
 * Exact k-nearest-neighbour search for the neighbour detectors (`knn`, `lof`): float32 candidates from blocked
 * GEMM products, exact float64 distances, a per-row proof of completeness with a brute-force fallback.
 *
 * @module neighbours
 */
export {
  kNearest,
  KD_TREE_MAX_DIMS,
  KD_TREE_MAX_VISITED,
  KD_TREE_PROBE_MAX_DIMS,
  type KNearestOptions,
  type KNearestResult,
} from './search.js';
export { buildKdTree, kdScratch, kdTreeQuery, type KdScratch, type KdTree } from './kdtree.js';
export { bruteForceRow, squaredDistance, sortPairs } from './exact.js';
export { CandidateHeaps } from './heap.js';
