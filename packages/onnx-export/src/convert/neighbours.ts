import { UnsupportedExportError, type NeighboursExportSpec } from '@abc/core';
import { attr, ElemType, type GraphBuilder } from '../graph.js';
import { checkFinite, checkInt, typeName } from './checks.js';
import type { DetectorOutputs } from './dense.js';

/**
 * The most reference values (rows × features) a `neighbours` spec may carry: 2^22 = 4,194,304 float32, 16 MiB
 * in the file. Scoring a batch of N rows needs about 8 · N · nReference bytes (the float64 distances to every
 * reference row); the model's metadata records that estimate (`abc.work_bytes_per_row`) and `OnnxDetector`
 * bounds its automatic batch by it (at the limit with 10 features, 419,430 reference rows: about 3.4 MB per
 * scored row, a batch of 79 rows).
 */
export const NEIGHBOURS_MAX_VALUES = 1 << 22;

/**
 * Candidates beyond k kept by the float64 expansion search before their distances are recomputed as Σ (x − r)²:
 * a margin for the expansion's rounding (about 1e-16 of the squared norms), which could otherwise swap the k-th
 * neighbour with a row a hair farther. Exact ties need no margin: on data where the expansion is exact (values on
 * a coarse grid) they tie exactly and TopK keeps the lower index.
 */
export const NEIGHBOURS_EXTRA_CANDIDATES = 16;

const SCORES = ['largest', 'mean', 'median', 'lof'];
/** scikit-learn's guard in the local reachability density, 1 / (mean reach-dist + 1e-10), as our LOF. */
const LRD_EPS = 1e-10;

/**
 * A `neighbours` spec (KNN, LOF), all in float64 on the float32 input and reference rows:
 * 1. when k + 16 < nReference, candidates by the expansion −2 x·r + ‖r‖² (‖x‖² is the same for every r) on
 *    rows centred at a reference value near the column mean (Gemm, TopK k + 16), sorted back into reference order;
 * 2. the candidates' (or every reference row's) squared distances as Σ (x − r)², exactly the TypeScript sums up
 *    to the order of additions; TopK k (ties: the lower position, so the lower reference index);
 * 3. Sqrt, then the k-th ('largest'), the mean or the median; or LOF from the reference k-distances and lrds.
 * The result is cast to float32 once, so it equals `scoreSamples` up to float64 rounding before that cast.
 */
export function addNeighbours(b: GraphBuilder, raw: NeighboursExportSpec, input: string, d: number): DetectorOutputs {
  const spec = checkNeighbours(raw, d);
  const { nReference: n, k } = spec;
  const toDouble = (x: string, name: string) => b.op('Cast', [x], { to: attr.int(ElemType.double) }, name);
  const x = toDouble(input, 'nn_x');
  const reference = toDouble(b.floatConstant('nn_reference', spec.reference, [n, d]), 'nn_reference_f64');
  const m = Math.min(n, k + NEIGHBOURS_EXTRA_CANDIDATES);
  const xRow = b.op('Unsqueeze', [x, b.int64Constant('axis1', [1])], {}, 'nn_x_row'); // [N, 1, d]
  let diff: string;
  let candidates: string | null = null;
  if (m < n) {
    const mu = b.doubleConstant('nn_centre', referenceCentre(spec.reference, n, d), [d]);
    const xc = b.op('Sub', [x, mu], {}, 'nn_x_centred');
    const rc = b.op('Sub', [reference, mu], {}, 'nn_reference_centred');
    const rr = b.op('ReduceSumSquare', [rc], { axes: attr.ints([1]), keepdims: attr.int(0) }, 'nn_reference_sq');
    const partial = b.op('Gemm', [xc, rc, rr], { alpha: attr.float(-2), transB: attr.int(1) }, 'nn_partial_sq_distance');
    const [, nearest] = b.node('TopK', [partial, b.int64Constant('nn_m', [m])], ['nn_candidate_key', 'nn_candidate'], {
      largest: attr.int(0),
      sorted: attr.int(1),
    });
    // Candidates in reference order, so that the exact TopK below breaks ties by the lower reference index.
    const asKey = toDouble(nearest, 'nn_candidate_f64');
    const [ordered] = b.node('TopK', [asKey, b.int64Constant('nn_m', [m])], ['nn_candidate_ordered', 'nn_candidate_pos'], {
      largest: attr.int(0),
      sorted: attr.int(1),
    });
    candidates = b.op('Cast', [ordered], { to: attr.int(ElemType.int64) }, 'nn_candidate_index');
    const rows = b.op('Gather', [reference, candidates], { axis: attr.int(0) }, 'nn_candidate_rows'); // [N, m, d]
    diff = b.op('Sub', [rows, xRow], {}, 'nn_diff');
  } else {
    diff = b.op('Sub', [reference, xRow], {}, 'nn_diff'); // [N, n, d]
  }
  const squared = b.op('ReduceSum', [b.op('Mul', [diff, diff], {}, 'nn_diff_sq'), b.int64Constant('axis2', [2])], {
    keepdims: attr.int(0),
  });
  const [kSquared, kPos] = b.node('TopK', [squared, b.int64Constant('nn_k', [k])], ['nn_k_sq_distance', 'nn_k_pos'], {
    largest: attr.int(0),
    sorted: attr.int(1),
  });
  const distance = b.op('Sqrt', [kSquared], {}, 'nn_k_distance'); // [N, k] ascending
  const neighbour = candidates ? b.op('GatherElements', [candidates, kPos], { axis: attr.int(1) }, 'nn_k_index') : kPos;
  const column = (t: number) => b.op('Gather', [distance, b.int64Constant(`nn_col${t}`, [t], [])], { axis: attr.int(1) });
  const sumOver = (v: string, name: string) =>
    b.op('ReduceSum', [v, b.int64Constant('axis1', [1])], { keepdims: attr.int(0) }, name);
  const kConst = () => b.doubleConstant('nn_k_f64', [k], []);
  let score: string;
  switch (spec.score) {
    case 'largest':
      score = column(k - 1);
      break;
    case 'mean':
      score = b.op('Div', [sumOver(distance, 'nn_sum'), kConst()], {}, 'nn_mean_distance');
      break;
    case 'median': {
      const h = k >> 1;
      score =
        k % 2 === 1
          ? column(h)
          : b.op('Div', [b.op('Add', [column(h - 1), column(h)]), b.doubleConstant('two', [2], [])], {}, 'nn_median');
      break;
    }
    default: {
      // LOF: reach_t = max(d_t, kDistance[o_t]); lrd(x) = 1 / (Σ reach / k + 1e-10); LOF = Σ (lrd[o_t] / lrd(x)) / k.
      const kDistance = b.doubleConstant('lof_k_distance', spec.kDistance!, [n]);
      const lrd = b.doubleConstant('lof_lrd', spec.lrd!, [n]);
      const gather = (table: string, name: string) => b.op('Gather', [table, neighbour], { axis: attr.int(0) }, name);
      const reach = b.op('Max', [distance, gather(kDistance, 'lof_neighbour_k_distance')], {}, 'lof_reach');
      const reachSum = b.op('ReduceSum', [reach, b.int64Constant('axis1', [1])], { keepdims: attr.int(1) }, 'lof_reach_sum');
      const meanReach = b.op('Div', [reachSum, kConst()], {}, 'lof_mean_reach');
      const rowLrd = b.op(
        'Div',
        [b.doubleConstant('one_f64', [1], []), b.op('Add', [meanReach, b.doubleConstant('lof_eps', [LRD_EPS], [])])],
        {},
        'lof_row_lrd',
      );
      const ratios = b.op('Div', [gather(lrd, 'lof_neighbour_lrd'), rowLrd], {}, 'lof_ratios');
      score = b.op('Div', [sumOver(ratios, 'lof_ratio_sum'), kConst()], {}, 'lof');
    }
  }
  return {
    score: b.op('Cast', [score], { to: attr.int(ElemType.float) }, 'nn_score'),
    probability: false,
    workBytesPerRow: neighboursWorkBytesPerRow(n, d, k),
  };
}

/**
 * The working bytes per scored row of {@link addNeighbours}'s graph on `n` reference rows of `d` features with k
 * neighbours: the sum of every per-row intermediate it creates (an upper bound on those alive at once, in any
 * order and without in-place reuse), all float64 or int64 (8 bytes), with m = min(n, k + 16) candidates:
 * - n: the expansion's partial squared distances to every reference row ([N, n], the largest unless d is large);
 * - 3 · m · d: the candidates' rows, their differences to x and the squares ([N, m, d] each; without the candidate
 *   step m = n and the differences are [N, n, d], so this also bounds that path);
 * - 7 · m: the two TopK's values and indices, the index casts, the candidates' squared distances;
 * - 8 · k: the k smallest and their positions, Sqrt, the neighbour indices, LOF's gathers, reach and ratios;
 * - 3 · d + 8: x in float64, centred and as a row, and the [N] scalars.
 * So 8 · (n + 3 · m · d + 7 · m + 8 · k + 3 · d + 8); e.g. 7,000 reference rows × 10 features, k = 5: 62,840.
 */
export function neighboursWorkBytesPerRow(n: number, d: number, k: number): number {
  const m = Math.min(n, k + NEIGHBOURS_EXTRA_CANDIDATES);
  return 8 * (n + 3 * m * d + 7 * m + 8 * k + 3 * d + 8);
}

/**
 * Per column, the reference value nearest to the column mean: centring on a value of the data keeps x − c exact
 * (a difference of two float32) and the expansion exact for data on a coarse grid, so rows at exactly the same
 * distance tie exactly in the candidate search too and come out by the lower index, however many they are.
 */
function referenceCentre(reference: Float32Array, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += reference[i * d + j];
  const centre = new Float64Array(d);
  const gap = new Float64Array(d).fill(Infinity);
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = reference[i * d + j];
      const g = Math.abs(v - mean[j]);
      if (g < gap[j]) {
        gap[j] = g;
        centre[j] = v;
      }
    }
  }
  return centre;
}

function checkNeighbours(raw: NeighboursExportSpec, d: number): NeighboursExportSpec {
  const s = raw as Partial<NeighboursExportSpec>;
  if (!SCORES.includes(s.score as string)) {
    throw new UnsupportedExportError(`neighbours export spec score "${String(s.score)}" is not one of ${SCORES.join(', ')}`);
  }
  const nFeatures = checkInt(s.nFeatures, 'neighbours export spec nFeatures', 1);
  if (nFeatures !== d)
    throw new UnsupportedExportError(`neighbours export spec has ${nFeatures} features but the model input has ${d}`);
  const n = checkInt(s.nReference, 'neighbours export spec nReference', 1);
  if (n * d > NEIGHBOURS_MAX_VALUES) {
    throw new UnsupportedExportError(
      `neighbours export spec holds ${n} reference rows × ${d} features = ${n * d} values, above the limit of ${NEIGHBOURS_MAX_VALUES} (NEIGHBOURS_MAX_VALUES): fit on fewer rows to export`,
    );
  }
  const k = checkInt(s.k, 'neighbours export spec k', 1);
  if (k > n) throw new UnsupportedExportError(`neighbours export spec k = ${k} exceeds its ${n} reference rows`);
  if (!(s.reference instanceof Float32Array) || s.reference.length !== n * d) {
    throw new UnsupportedExportError(
      `neighbours export spec reference must be a Float32Array of ${n} × ${d} values, got ${typeName(s.reference)} of ${(s.reference as { length?: number } | undefined)?.length}`,
    );
  }
  checkFinite(s.reference, 'neighbours export spec reference');
  if (s.score === 'lof') {
    for (const name of ['kDistance', 'lrd'] as const) {
      const v = s[name];
      if (!(v instanceof Float64Array) || v.length !== n)
        throw new UnsupportedExportError(`a 'lof' neighbours export spec needs ${name}: a Float64Array of ${n} values`);
      checkFinite(v, `neighbours export spec ${name}`);
    }
  }
  return s as NeighboursExportSpec;
}
