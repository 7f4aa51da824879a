import { auroc, averagePrecision } from '@abc/eval';

/** AUROC and AUPR (average precision) of one detector on the held-out rows; null where not measurable. */
export interface HeldOutMetrics {
  /** Normal test rows against the known anomalies (kinds seen in training). */
  aurocKnown: number | null;
  auprKnown: number | null;
  /** Normal test rows against the unknown anomalies (kinds held out of training). */
  aurocUnknown: number | null;
  auprUnknown: number | null;
  nNormal: number;
  nKnown: number;
  nUnknown: number;
}

function pair(scores: ArrayLike<number>, rows: number[], labels: Uint8Array): { auroc: number | null; aupr: number | null } {
  const s = rows.map((i) => scores[i]);
  const y = rows.map((i) => labels[i]);
  const pos = y.reduce((a, b) => a + b, 0);
  if (pos === 0 || pos === y.length) return { auroc: null, aupr: null };
  return { auroc: auroc(s, y), aupr: averagePrecision(s, y) };
}

/**
 * The paper's split of the test metrics: known anomalies and unknown ones each against the same normal test rows
 * (`@abc/eval`'s `auroc` and `averagePrecision`). `scores` holds a score for every row of the file.
 *
 * @example
 * const m = heldOutMetrics(scores, labels, unknown, split.test); // m.aurocUnknown
 */
export function heldOutMetrics(
  scores: ArrayLike<number>,
  labels: Uint8Array | null,
  unknown: Uint8Array,
  test: ArrayLike<number>,
): HeldOutMetrics {
  const normal: number[] = [];
  const known: number[] = [];
  const unk: number[] = [];
  if (labels) {
    for (let k = 0; k < test.length; k++) {
      const i = test[k];
      if (labels[i] === 0) normal.push(i);
      else if (unknown[i]) unk.push(i);
      else known.push(i);
    }
  }
  const a = labels ? pair(scores, [...normal, ...known], labels) : { auroc: null, aupr: null };
  const b = labels ? pair(scores, [...normal, ...unk], labels) : { auroc: null, aupr: null };
  return {
    aurocKnown: a.auroc,
    auprKnown: a.aupr,
    aurocUnknown: b.auroc,
    auprUnknown: b.aupr,
    nNormal: normal.length,
    nKnown: known.length,
    nUnknown: unk.length,
  };
}

/** One point of a ROC curve. */
export interface RocPoint {
  fpr: number;
  tpr: number;
}

/**
 * The ROC curve of scores against 0/1 labels (higher score = more anomalous), one point per distinct threshold,
 * from (0, 0) to (1, 1).
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let P = 0;
  for (let i = 0; i < labels.length; i++) P += labels[i] ? 1 : 0;
  const N = labels.length - P;
  const out: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    if (labels[order[k]]) tp++;
    else fp++;
    if (k + 1 === order.length || scores[order[k + 1]] !== scores[order[k]])
      out.push({ fpr: N ? fp / N : 0, tpr: P ? tp / P : 0 });
  }
  return out;
}

/** Precision, recall and the flagged count at one threshold (score > threshold is flagged). */
export function precisionRecallAt(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): { precision: number; recall: number; flagged: number } {
  let tp = 0;
  let flagged = 0;
  let P = 0;
  for (let i = 0; i < scores.length; i++) {
    const y = labels[i] ? 1 : 0;
    P += y;
    if (scores[i] > threshold) {
      flagged++;
      tp += y;
    }
  }
  return { precision: flagged ? tp / flagged : 1, recall: P ? tp / P : 0, flagged };
}

/** Counts of scores in `bins` equal bins over [lo, hi] (values outside are put in the end bins). */
export function histogram(scores: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const out = new Array<number>(bins).fill(0);
  const w = hi > lo ? (hi - lo) / bins : 1;
  for (let i = 0; i < scores.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((scores[i] - lo) / w)));
    out[b]++;
  }
  return out;
}
