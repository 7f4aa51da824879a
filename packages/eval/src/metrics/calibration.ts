/**
 * Calibration metrics for detectors with a probability (p(anomaly), labels 1 = anomaly): the Brier score, the
 * log loss, the expected calibration error and the reliability diagram it is read from.
 */
import { ValidationError, describe, validateLabels, type Labels, type LabelsLike } from '@abc/core';

/** How {@link reliabilityDiagram} and {@link expectedCalibrationError} bin the predicted probabilities. */
export interface CalibrationBinOptions {
  /** Number of bins (default 15). */
  bins?: number;
  /**
   * `equal-mass` (default): edges at the 0, 1/B, ..., 1 quantiles of the predictions (numpy's linear
   * interpolation), so bins hold about n/B rows each: scikit-learn's `calibration_curve(strategy='quantile')`.
   * `equal-width`: edges 0, 1/B, ..., 1 (`strategy='uniform'`).
   * Either way a bin is (lower, upper], the first one closed at its lower edge, so equal predictions always share
   * a bin; with many ties several quantile edges coincide, and the bins left empty are dropped, which makes
   * equal-mass bins unequal (fewer, larger) on heavily tied predictions.
   */
  strategy?: 'equal-mass' | 'equal-width';
}

/** One non-empty bin of a reliability diagram. */
export interface ReliabilityBin {
  /** The bin's edges: it holds the predictions p with lower < p ≤ upper (the first bin also p = lower). */
  lower: number;
  upper: number;
  /** Rows in the bin. */
  count: number;
  /** Mean predicted probability of its rows. */
  meanPredicted: number;
  /** Share of anomalies (label 1) among its rows. */
  observedFrequency: number;
}

/**
 * The Brier score, the mean of (p − y)² (scikit-learn's `brier_score_loss`): 0 is perfect, 0.25 is what a
 * constant 0.5 scores.
 *
 * @example
 * brierScore([0.1, 0.9, 0.8, 0.3], [0, 1, 1, 0]);   // 0.0375
 */
export function brierScore(p: ArrayLike<number>, y: LabelsLike): number {
  const { prob, labels } = checkInput(p, y, 'brierScore');
  let sum = 0;
  for (let i = 0; i < prob.length; i++) sum += (prob[i] - labels[i]) ** 2;
  return sum / prob.length;
}

/**
 * The log loss (binary cross-entropy), −mean(y log p + (1 − y) log(1 − p)), with p clipped to [eps, 1 − eps] as
 * scikit-learn's `log_loss` clips it: by default (`'auto'`) eps is the machine epsilon of the input's type,
 * 2⁻²³ for a `Float32Array` (a detector's `predictProba`) and 2⁻⁵² otherwise.
 *
 * @example
 * logLoss([0.1, 0.9, 0.8, 0.3], [0, 1, 1, 0]);   // 0.1976...
 * logLoss([0, 1], [1, 0]);                       // 36.04 = −log(2⁻⁵²): clipped, not Infinity
 */
export function logLoss(p: ArrayLike<number>, y: LabelsLike, eps: number | 'auto' = 'auto'): number {
  const { prob, labels } = checkInput(p, y, 'logLoss');
  const e = eps === 'auto' ? (p instanceof Float32Array ? 2 ** -23 : Number.EPSILON) : eps;
  if (typeof e !== 'number' || !(e >= 0 && e < 0.5)) {
    throw new ValidationError('param', `logLoss: eps must be 'auto' or a number in [0, 0.5), got ${describe(eps)}`);
  }
  let sum = 0;
  for (let i = 0; i < prob.length; i++) {
    const c = Math.min(1 - e, Math.max(e, prob[i]));
    sum -= labels[i] === 1 ? Math.log(c) : Math.log(1 - c);
  }
  return sum / prob.length;
}

/**
 * The reliability diagram: for each non-empty bin of predicted probability (see {@link CalibrationBinOptions}),
 * its edges, row count, mean prediction and observed anomaly frequency. A calibrated model has
 * `observedFrequency ≈ meanPredicted` in every bin. With `strategy: 'equal-mass'` the means are scikit-learn's
 * `calibration_curve(y, p, n_bins, strategy='quantile')` (`prob_pred`, `prob_true`).
 *
 * @example
 * reliabilityDiagram([0.1, 0.2, 0.7, 0.9], [0, 0, 1, 1], { bins: 2, strategy: 'equal-width' });
 * // [{ lower: 0, upper: 0.5, count: 2, meanPredicted: 0.15, observedFrequency: 0 },
 * //  { lower: 0.5, upper: 1, count: 2, meanPredicted: 0.8, observedFrequency: 1 }]
 */
export function reliabilityDiagram(p: ArrayLike<number>, y: LabelsLike, options: CalibrationBinOptions = {}): ReliabilityBin[] {
  const { prob, labels } = checkInput(p, y, 'reliabilityDiagram');
  const { bins, strategy } = checkOptions(options, 'reliabilityDiagram');
  const edges = strategy === 'equal-width' ? widthEdges(bins) : massEdges(prob, bins);
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  for (let i = 0; i < prob.length; i++) {
    const b = binOf(prob[i], edges);
    count[b]++;
    sumP[b] += prob[i];
    sumY[b] += labels[i];
  }
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    out.push({
      lower: edges[b],
      upper: edges[b + 1],
      count: count[b],
      meanPredicted: sumP[b] / count[b],
      observedFrequency: sumY[b] / count[b],
    });
  }
  return out;
}

/**
 * The expected calibration error, Σ_b (n_b / n) · |meanPredicted_b − observedFrequency_b| over the bins of
 * {@link reliabilityDiagram} (default: 15 equal-mass bins). 0 for a calibrated model.
 *
 * @example
 * expectedCalibrationError([0.1, 0.2, 0.7, 0.9], [0, 0, 1, 1], { bins: 2, strategy: 'equal-width' });
 * // (2 · |0.15 − 0| + 2 · |0.8 − 1|) / 4 = 0.175
 */
export function expectedCalibrationError(p: ArrayLike<number>, y: LabelsLike, options: CalibrationBinOptions = {}): number {
  const diagram = reliabilityDiagram(p, y, options);
  let n = 0;
  let sum = 0;
  for (const b of diagram) {
    n += b.count;
    sum += b.count * Math.abs(b.meanPredicted - b.observedFrequency);
  }
  return sum / n;
}

function checkInput(p: ArrayLike<number>, y: LabelsLike, who: string): { prob: Float64Array; labels: Labels } {
  if (p === null || typeof p !== 'object' || typeof p.length !== 'number') {
    throw new ValidationError('type', `${who}: p must be an array of probabilities, got ${describe(p)}`);
  }
  const n = p.length;
  if (n === 0) throw new ValidationError('empty', `${who}: p is empty`);
  let labels: Labels;
  try {
    labels = validateLabels(y, n, 'y');
  } catch (e) {
    if (e instanceof ValidationError)
      throw new ValidationError(e.reason, `${who}: ${e.message.replace('X has', 'p has').replace(' rows', ' values')}`);
    throw e;
  }
  const prob = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = p[i];
    if (typeof v !== 'number' || Number.isNaN(v))
      throw new ValidationError('non-finite', `${who}: p[${i}] is ${describe(v)}, not a number`);
    if (v < 0 || v > 1) throw new ValidationError('range', `${who}: p[${i}] is ${v}; probabilities must be in [0, 1]`);
    prob[i] = v;
  }
  return { prob, labels };
}

function checkOptions(options: CalibrationBinOptions, who: string): { bins: number; strategy: 'equal-mass' | 'equal-width' } {
  const bins = options.bins ?? 15;
  const strategy = options.strategy ?? 'equal-mass';
  if (!Number.isInteger(bins) || bins < 1)
    throw new ValidationError('param', `${who}: bins must be a positive integer, got ${describe(bins)}`);
  if (strategy !== 'equal-mass' && strategy !== 'equal-width') {
    throw new ValidationError('param', `${who}: strategy must be 'equal-mass' or 'equal-width', got ${describe(strategy)}`);
  }
  return { bins, strategy };
}

/** 0, 1/B, ..., 1 as numpy's linspace computes them (i · (1/B), the last exactly 1). */
function widthEdges(bins: number): Float64Array {
  const step = 1 / bins;
  const e = Float64Array.from({ length: bins + 1 }, (_, i) => i * step);
  e[bins] = 1;
  return e;
}

/**
 * The i/B quantiles of p, i = 0..B, by linear interpolation between order statistics (numpy's default), the
 * position i(n−1)/B taken exactly in integers and the interpolation written as numpy writes it.
 */
function massEdges(p: Float64Array, bins: number): Float64Array {
  const sorted = Float64Array.from(p).sort();
  const n = sorted.length;
  const e = new Float64Array(bins + 1);
  for (let i = 0; i <= bins; i++) {
    const num = i * (n - 1);
    const lo = Math.floor(num / bins);
    const t = (num - lo * bins) / bins;
    const a = sorted[lo];
    const b = sorted[Math.min(lo + 1, n - 1)];
    e[i] = t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
  }
  return e;
}

/** The bin of v: the number of inner edges strictly below it (numpy's searchsorted, side 'left'). */
function binOf(v: number, edges: Float64Array): number {
  let lo = 1;
  let hi = edges.length - 1; // inner edges are edges[1 .. B−1]
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
