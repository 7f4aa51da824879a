import { ValidationError } from '@abc/core';

/**
 * Area under the ROC curve, exact: the Mann-Whitney U statistic with tied scores given their average rank,
 * divided by nPositive · nNegative. Labels: 1 = positive (anomaly), 0 = negative (normal); higher scores
 * should mean "more positive". Ties between a positive and a negative count one half.
 *
 * @example
 * auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]); // 0.75
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const n = scores.length;
  if (labels.length !== n) {
    throw new ValidationError('label-length', `auroc: ${labels.length} labels for ${n} scores`);
  }
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    const v = labels[i];
    if (v === 1 || v === true) nPos++;
    else if (!(v === 0 || v === false))
      throw new ValidationError('labels', `auroc: labels[${i}] is ${String(v)}; labels must be 0 or 1`);
    if (Number.isNaN(scores[i])) throw new ValidationError('non-finite', `auroc: scores[${i}] is NaN`);
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) {
    throw new ValidationError('labels', `auroc needs both classes; got ${nPos} positive and ${nNeg} negative labels`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      const v = labels[order[k]];
      if (v === 1 || v === true) rankSumPos += avgRank;
    }
    i = j + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
