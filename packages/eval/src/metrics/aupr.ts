import { ValidationError, describe, validateLabels, type LabelsLike } from '@abc/core';

/**
 * Average precision, the area under the precision-recall curve as scikit-learn's `average_precision_score`
 * defines it: AP = Σ_n (R_n − R_{n−1}) · P_n over the distinct score thresholds taken from the highest down,
 * where tied scores form one threshold (so a tie counts as one step, not as an arbitrary order). Labels are
 * `1 = anomaly` (the positive class) and `0 = normal`; scores are higher = more anomalous.
 *
 * Without any anomaly in `labels` AP is undefined (recall divides by zero; scikit-learn warns and returns a
 * meaningless value): that is a {@link ValidationError}. Without any normal, AP is 1.
 *
 * @example
 * averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);   // 0.8333… (scikit-learn's documented example)
 */
export function averagePrecision(scores: ArrayLike<number>, labels: LabelsLike): number {
  if (scores === null || typeof scores !== 'object' || typeof scores.length !== 'number') {
    throw new ValidationError('type', `averagePrecision: scores must be an array of numbers, got ${describe(scores)}`);
  }
  const n = scores.length;
  if (n === 0) throw new ValidationError('empty', 'averagePrecision: scores is empty');
  const y = validateLabels(labels, n, 'labels');
  for (let i = 0; i < n; i++) {
    const v = scores[i];
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new ValidationError('non-finite', `averagePrecision: scores[${i}] is ${describe(v)}, not a number`);
    }
  }
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i];
  if (positives === 0) {
    throw new ValidationError(
      'labels',
      'averagePrecision: labels has no anomaly (1); average precision is undefined without positives',
    );
  }
  // Indices by descending score. A typed copy of the scores keeps the comparator monomorphic.
  const s = Float64Array.from({ length: n }, (_, i) => scores[i]);
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((i, j) => (s[j] > s[i] ? 1 : s[j] < s[i] ? -1 : 0));
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (y[i] === 1) tp++;
    else fp++;
    // Close a threshold only after the last of a run of tied scores.
    if (k + 1 < n && s[order[k + 1]] === s[i]) continue;
    const recall = tp / positives;
    if (recall !== prevRecall) {
      ap += (recall - prevRecall) * (tp / (tp + fp));
      prevRecall = recall;
    }
  }
  return ap;
}

/**
 * AUPR as the framework reports it (`auprKnown`, `auprUnknown` in `results.json`): an alias of
 * {@link averagePrecision}, not the trapezoidal area, which is optimistic for precision-recall curves.
 *
 * @example
 * const test = { scores: await detector.scoreSamples(X), labels: y };
 * aupr(test.scores, test.labels);
 */
export const aupr = averagePrecision;
