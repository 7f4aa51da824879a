/**
 * A stratified train/test split with scikit-learn's sizes (`train_test_split(..., stratify=y)`, i.e.
 * `StratifiedShuffleSplit`, scikit-learn 1.2): `nTest = ceil(testSize * n)`, `nTrain = n - nTest`; the
 * per-class training counts are `_approximate_mode(classCounts, nTrain)` (floor of the proportional share, then
 * the remaining draws to the largest fractional parts, exact ties broken at random) and the test takes the
 * rest of each class. The rows within each class are drawn with our seeded {@link Random}, so the counts are
 * scikit-learn's and the rows are not.
 */
import { type Random, ValidationError } from '@abc/core';

/**
 * Picks `k` distinct positions of `n` at random (for exact ties): by default `rng.sample(n, k)`; the ADBench
 * protocol passes NumPy's legacy `choice(n, k, replace=False)` so that its ties break as scikit-learn's do.
 */
export type TieBreak = (n: number, k: number) => ArrayLike<number>;

const randomTieBreak =
  (rng: Random): TieBreak =>
  (n, k) =>
    rng.sample(n, k);

/**
 * scikit-learn's `_approximate_mode`: how many of `nDraws` fall to each class, in the same float64 arithmetic
 * (`counts / total * nDraws`, floored, the remainder by largest fractional part; exact ties at random).
 *
 * @example
 * approximateMode([4, 2], 3, new Random(0));   // [2, 1]
 */
export function approximateMode(
  counts: readonly number[],
  nDraws: number,
  rng: Random,
  tieBreak: TieBreak = randomTieBreak(rng),
): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const continuous = counts.map((c) => (c / total) * nDraws);
  const floored = continuous.map((c) => Math.floor(c));
  let need = nDraws - floored.reduce((a, b) => a + b, 0);
  if (need > 0) {
    const remainder = continuous.map((c, k) => c - floored[k]);
    const values = [...new Set(remainder)].sort((a, b) => b - a);
    for (const value of values) {
      const inds = remainder.flatMap((r, k) => (r === value ? [k] : []));
      const addNow = Math.min(inds.length, need);
      const picked = tieBreak(inds.length, addNow);
      for (let p = 0; p < addNow; p++) floored[inds[picked[p]]]++;
      need -= addNow;
      if (need === 0) break;
    }
  }
  return floored;
}

/** Row indices of a stratified split. */
export interface StratifiedIndices {
  readonly train: Uint32Array;
  readonly test: Uint32Array;
}

/**
 * A stratified shuffle split of 0/1 labels with scikit-learn's sizes (see the module notes): each class's rows
 * shuffled, the first `n_i` to training and the next `t_i` to test, then both sides shuffled. A class with
 * fewer than 2 rows is a ValidationError (scikit-learn refuses it too). `tieBreak` decides exact ties of the
 * class counts (default: `rng`).
 *
 * @example
 * const { train, test } = stratifiedIndices(y, 0.3, new Random(0));   // test.length === Math.ceil(0.3 * y.length)
 */
export function stratifiedIndices(
  y: Uint8Array,
  testSize: number,
  rng: Random,
  tieBreak: TieBreak = randomTieBreak(rng),
): StratifiedIndices {
  const n = y.length;
  if (!(testSize > 0 && testSize < 1)) throw new ValidationError('param', `testSize must be in (0, 1), got ${testSize}`);
  const nTest = Math.ceil(testSize * n);
  const nTrain = n - nTest;
  const byClass: number[][] = [[], []];
  for (let i = 0; i < n; i++) byClass[y[i]].push(i);
  const present = byClass.filter((c) => c.length > 0);
  for (const [label, rows] of byClass.entries()) {
    if (rows.length === 1) {
      throw new ValidationError(
        'labels',
        `y has only 1 row of class ${label}: a stratified split needs at least 2 of each class`,
      );
    }
  }
  if (nTrain < present.length || nTest < present.length) {
    throw new ValidationError(
      'shape',
      `a stratified split of ${n} rows into ${nTrain} / ${nTest} cannot hold each of ${present.length} classes`,
    );
  }
  const counts = present.map((c) => c.length);
  const trainCounts = approximateMode(counts, nTrain, rng, tieBreak);
  const testCounts = approximateMode(
    counts.map((c, k) => c - trainCounts[k]),
    nTest,
    rng,
    tieBreak,
  );
  const train: number[] = [];
  const test: number[] = [];
  present.forEach((rows, k) => {
    const order = rng.shuffle(rows.slice());
    for (let r = 0; r < trainCounts[k]; r++) train.push(order[r]);
    for (let r = trainCounts[k]; r < trainCounts[k] + testCounts[k]; r++) test.push(order[r]);
  });
  return { train: rng.shuffle(Uint32Array.from(train)), test: rng.shuffle(Uint32Array.from(test)) };
}
