import {
  BaseDetector,
  ModelFormatError,
  tensor,
  type FitContext,
  type Labels,
  type Matrix,
  type ModelState,
  declareDetector,
  defineParams,
  withCommonParams,
  type ParamsOf,
  type FeatureStepsExportSpec,
} from '@abc/core';
import { featureStepsSpec, firstFloat32Where, float32AtMost, type StepCut } from './feature-steps-spec.js';

export interface HBOSModel {
  nBins: number;
  nFeatures: number;
  /** Bin edges, feature after feature: nBins + 1 ascending values per feature (PyOD's `bin_edges_`, transposed). */
  edges: Float64Array;
  /** Histogram densities, nBins per feature: count / (n · bin width) (PyOD's `hist_`, transposed). */
  density: Float64Array;
  /** log2(density + alpha) per bin: what a row in that bin adds, negated, to its score. */
  logDensity: Float64Array;
  /** Per feature, the smallest logDensity: what a row far outside the training range reads. */
  minLogDensity: Float64Array;
}

/** HBOS's parameters (the common ones, then its own). */
export const hbosParamSpace = withCommonParams(
  defineParams({
    nBins: {
      type: 'int',
      default: 10,
      min: 2,
      description: 'equal-width histogram bins per feature over the training range',
      search: { low: 5, high: 50, log: true },
    },
    alpha: {
      type: 'float',
      default: 0.1,
      min: 0,
      max: 1,
      exclusiveMin: true,
      exclusiveMax: true,
      description: 'added to each bin density before the log, so empty bins give a finite score',
      search: { low: 0.01, high: 0.5, log: true },
    },
    tol: {
      type: 'float',
      default: 0.5,
      min: 0,
      max: 1,
      exclusiveMin: true,
      exclusiveMax: true,
      description: 'values outside the training range by at most tol bin widths read the edge bin; farther ones the emptiest bin',
      search: { low: 0.1, high: 0.9 },
    },
  }),
);

/** HBOS's parameters (derived from {@link hbosParamSpace}). */
export type HBOSParams = ParamsOf<typeof hbosParamSpace>;

/**
 * HBOS, Histogram-Based Outlier Score (Goldstein and Dengel 2012), unsupervised, with static bins, as PyOD's
 * `HBOS(n_bins, alpha, tol)`: per feature a histogram of `nBins` equal-width bins over the training range
 * (numpy's `np.histogram(x, bins=nBins, density=True)`), and score = −Σ_features log2(density(bin of x) + alpha),
 * higher = more anomalous. Features are treated as independent, so it is fast (one pass to fit, a bin lookup per
 * value to score) and good at rows that are rare in some single feature, blind to odd combinations of common values.
 *
 * Details that follow PyOD exactly:
 * - A value is looked up with `np.digitize(x, edges, right=True)`: a value on an inner edge reads the bin to the
 *   edge's left (while the histogram counted it in the bin to the right, as numpy's histogram does).
 * - A value outside the training range reads the first (last) bin when it lies within `tol` bin widths of the
 *   range, and the emptiest bin of the feature (the smallest density) beyond that.
 * - A constant column c gets numpy's bins over [c − 0.5, c + 0.5]. Every training row reads the same bin of it, so
 *   the column adds one constant to every training score and changes neither the ranking nor the threshold. Which
 *   bin that is depends on where c falls against the edges: with an even `nBins` c lies on (or within rounding of)
 *   the middle edge, and when exactly on it the training rows read the empty bin to its left, log2(alpha), just as
 *   in PyOD. New rows off the constant read an empty bin (log2(alpha), the largest contribution) within the
 *   range or the tolerance, and the smallest density beyond it.
 *
 * Not ported: PyOD's `n_bins='auto'` (Birgé-Rozenholc bin counts). PyOD rejects `n_bins=2` (its range check is
 * open); we accept it. `seed` is unused (HBOS is deterministic). Not a probability: the default threshold is the
 * 0.9 quantile of the training scores (contamination 0.1).
 *
 * @example
 * const det = await new HBOS({ nBins: 20 }).fit(Xtrain);
 * const scores = await det.scoreSamples(Xtest); // −Σ log2(density + alpha), PyOD's decision_function
 */
export class HBOS extends BaseDetector<HBOSParams, HBOSModel> {
  static readonly declaration = declareDetector({
    name: 'hbos',
    supervision: 'unsupervised',
    hasProbability: false,
    learnsWithoutAnomalies: true,
    description:
      'HBOS: per-feature equal-width histograms (Goldstein and Dengel 2012); score = -sum log2(density + alpha), as PyOD',
    budget: null,
    quickParams: {},
    paramSpace: hbosParamSpace,
  });
  /** @deprecated The space is `HBOS.declaration.paramSpace` (kept for one minor version). */
  static readonly paramSpace = hbosParamSpace;

  constructor(params?: Partial<HBOSParams>) {
    super(HBOS.declaration, params);
  }

  protected async fitModel(X: Matrix, _y: Labels | undefined, ctx: FitContext): Promise<HBOSModel> {
    const { nBins } = this.params;
    const n = X.rows;
    const d = X.cols;
    const edges = new Float64Array(d * (nBins + 1));
    const density = new Float64Array(d * nBins);
    const counts = new Float64Array(nBins);
    for (let j = 0; j < d; j++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = X.data[i * d + j];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const e = edges.subarray(j * (nBins + 1), (j + 1) * (nBins + 1));
      histogramEdges(lo, hi, e);
      counts.fill(0);
      const first = e[0];
      const scale = nBins / (e[nBins] - first);
      for (let i = 0; i < n; i++) counts[histogramBin(X.data[i * d + j], e, first, scale)]++;
      for (let k = 0; k < nBins; k++) density[j * nBins + k] = counts[k] / (e[k + 1] - e[k]) / n;
      ctx.progress({ step: j + 1, totalSteps: d, unit: 'iteration', metrics: {} });
    }
    return buildModel(nBins, d, edges, density, this.params.alpha);
  }

  protected scoreModel(model: HBOSModel, X: Matrix): Float32Array {
    const d = model.nFeatures;
    const tol = this.params.tol;
    const out = new Float32Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += binLogDensity(model, tol, j, X.data[i * d + j]);
      out[i] = -sum;
    }
    return out;
  }

  /**
   * The export spec: a `feature-steps` spec (see `FeatureStepsExportSpec` in `@abc/core`) whose regions per
   * feature are the bins (cut at the float32 just below each edge, since a value on an edge reads the bin to its
   * left), the tolerance bands outside the range and the rest beyond, each worth −log2(density + alpha) of the bin
   * it reads, exactly as `scoreSamples` computes it. `@abc/onnx-export` turns it into an ONNX graph.
   *
   * @example
   * const bytes = toOnnx(await new HBOS().fit(X)); // from @abc/onnx-export
   */
  toExportSpec(): FeatureStepsExportSpec {
    const model = this.model;
    const { nBins, edges } = model;
    const tol = this.params.tol;
    return featureStepsSpec(
      model.nFeatures,
      (j) => {
        const e = j * (nBins + 1);
        const cuts: StepCut[] = [
          { threshold: firstFloat32Where((x) => withinBelow(edges, e, x, tol)), inclusive: true },
          { threshold: firstFloat32Where((x) => !withinAbove(edges, e + nBins, x, tol)), inclusive: true },
        ];
        for (let k = 0; k <= nBins; k++) cuts.push({ threshold: float32AtMost(edges[e + k]), inclusive: false });
        return cuts;
      },
      (j, x) => -binLogDensity(model, tol, j, x),
      { scoreKind: 'hbos', threshold: this.threshold },
    );
  }

  protected modelToState(model: HBOSModel): ModelState {
    return {
      meta: { nBins: model.nBins },
      tensors: {
        edges: tensor(model.edges, [model.nFeatures, model.nBins + 1]),
        density: tensor(model.density, [model.nFeatures, model.nBins]),
      },
    };
  }

  protected modelFromState(state: ModelState): HBOSModel {
    const bad = (what: string): never => {
      throw new ModelFormatError(`HBOS: bad model state: ${what}`);
    };
    const nBins = this.params.nBins;
    const { edges, density } = state.tensors;
    if (state.meta.nBins !== nBins) bad(`nBins is ${JSON.stringify(state.meta.nBins)} but the params say ${nBins}`);
    if (edges?.dtype !== 'f64' || edges.shape.length !== 2 || edges.shape[1] !== nBins + 1) {
      bad(`edges must be an f64 [d, ${nBins + 1}] tensor`);
    }
    const d = edges.shape[0];
    if (edges.data.length !== d * (nBins + 1)) bad(`edges has shape [${edges.shape}] and ${edges.data.length} values`);
    if (density?.dtype !== 'f64' || density.data.length !== d * nBins) bad(`density must be an f64 [${d}, ${nBins}] tensor`);
    const nFeatures = state.meta.nFeatures;
    if (typeof nFeatures === 'number' && nFeatures !== d) bad(`edges have ${d} features but nFeatures is ${nFeatures}`);
    const e = edges.data as Float64Array;
    const h = density.data as Float64Array;
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < nBins; k++) {
        const a = e[j * (nBins + 1) + k];
        const b = e[j * (nBins + 1) + k + 1];
        if (!(Number.isFinite(a) && Number.isFinite(b) && b > a)) bad(`edges of feature ${j} are not finite and increasing`);
        if (!(h[j * nBins + k] >= 0 && Number.isFinite(h[j * nBins + k]))) bad(`density of feature ${j} is not finite and >= 0`);
      }
    }
    return buildModel(nBins, d, e, h, this.params.alpha);
  }
}

/**
 * numpy's equal-width edges for `np.histogram(x, bins=nBins)`: the range [lo, hi] (widened to [lo − 0.5, hi + 0.5]
 * for a constant column), edge k = k · step + first as `np.linspace` computes it, the last edge exactly hi.
 */
function histogramEdges(lo: number, hi: number, out: Float64Array): void {
  const nBins = out.length - 1;
  let first = lo;
  let last = hi;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const delta = last - first;
  const step = delta / nBins;
  for (let k = 0; k < nBins; k++) out[k] = step === 0 ? (k / nBins) * delta + first : k * step + first;
  out[nBins] = last;
}

/**
 * The histogram bin numpy counts a training value in: edges[k] ≤ x < edges[k + 1], the last bin closed. An
 * estimate from the bin width, corrected by one where rounding put it on the wrong side of an edge (as numpy does).
 */
function histogramBin(x: number, edges: Float64Array, first: number, scale: number): number {
  const nBins = edges.length - 1;
  let k = Math.min(Math.trunc((x - first) * scale), nBins - 1);
  if (x < edges[k]) k--;
  else if (k !== nBins - 1 && x >= edges[k + 1]) k++;
  return k;
}

/**
 * What value x of feature j adds, negated, to the score: log2(density + alpha) of the bin `np.digitize(x, edges,
 * right=True)` gives; at or below the first edge (above the last) the edge bin when within tol bin widths of it,
 * else the smallest density of the feature.
 */
function binLogDensity(model: HBOSModel, tol: number, j: number, x: number): number {
  const { nBins, edges, logDensity, minLogDensity } = model;
  const e = j * (nBins + 1);
  const logs = j * nBins;
  const k = countBelow(edges, e, e + nBins + 1, x);
  if (k === 0) return withinBelow(edges, e, x, tol) ? logDensity[logs] : minLogDensity[j];
  if (k === nBins + 1) return withinAbove(edges, e + nBins, x, tol) ? logDensity[logs + nBins - 1] : minLogDensity[j];
  return logDensity[logs + k - 1];
}

/** x (at or below the first edge, `edges[first]`) lies within tol widths of the first bin. */
function withinBelow(edges: Float64Array, first: number, x: number, tol: number): boolean {
  return edges[first] - x <= (edges[first + 1] - edges[first]) * tol;
}

/** x (above the last edge, `edges[last]`) lies within tol widths of the last bin. */
function withinAbove(edges: Float64Array, last: number, x: number, tol: number): boolean {
  return x - edges[last] <= (edges[last] - edges[last - 1]) * tol;
}

/** How many of the ascending `values[lo, hi)` are < x (`np.searchsorted(values, x, 'left')`). */
function countBelow(values: Float64Array, lo: number, hi: number, x: number): number {
  const start = lo;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo - start;
}

function buildModel(nBins: number, nFeatures: number, edges: Float64Array, density: Float64Array, alpha: number): HBOSModel {
  const logDensity = new Float64Array(density.length);
  const minLogDensity = new Float64Array(nFeatures).fill(Infinity);
  for (let j = 0; j < nFeatures; j++) {
    for (let k = 0; k < nBins; k++) {
      const v = Math.log2(density[j * nBins + k] + alpha);
      logDensity[j * nBins + k] = v;
      if (v < minLogDensity[j]) minLogDensity[j] = v;
    }
  }
  return { nBins, nFeatures, edges, density, logDensity, minLogDensity };
}
