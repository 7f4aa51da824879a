import type { Random } from './random.js';
import type { Labels } from './validate.js';

/**
 * A stratified random hold-out: each class is shuffled with `rng` (normals first, then anomalies, so the
 * stream a seed gives is fixed), and round(fraction · count) of its rows go to validation, at most all but one
 * (each class that has rows keeps a training row). `order: 'shuffled'` (default) keeps the indices in the
 * drawn order, normals before anomalies; `'sorted'` returns both lists ascending. Used for early stopping by
 * the networks and by gradient tree boosting.
 *
 * @example
 * const { train, val } = stratifiedSplit(y, 0.2, new Random(0));   // ~20% of each class in val
 */
export function stratifiedSplit(
  labels: Labels,
  fraction: number,
  rng: Random,
  options: { order?: 'shuffled' | 'sorted' } = {},
): { train: Uint32Array; val: Uint32Array } {
  const byClass: number[][] = [[], []];
  for (let i = 0; i < labels.length; i++) byClass[labels[i] === 1 ? 1 : 0].push(i);
  const train: number[] = [];
  const val: number[] = [];
  for (const rows of byClass) {
    rng.shuffle(rows);
    const nVal = Math.min(rows.length - 1, Math.max(0, Math.round(fraction * rows.length)));
    for (let k = 0; k < rows.length; k++) (k < nVal ? val : train).push(rows[k]);
  }
  const out = { train: Uint32Array.from(train), val: Uint32Array.from(val) };
  if (options.order === 'sorted') {
    out.train.sort();
    out.val.sort();
  }
  return out;
}

/**
 * The logistic function, computed without overflow for large |z|.
 *
 * @example
 * sigmoid(0);   // 0.5
 */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
