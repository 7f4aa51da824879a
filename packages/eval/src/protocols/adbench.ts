/**
 * ADBench's data protocol (Han et al., NeurIPS 2022): what its `run.py` gets from
 * `DataGenerator.generator(X, y, la=ratio, at_least_one_labeled=True)` in `adbench/datasets/data_generator.py`
 * (GitHub Minqi824/ADBench at 3dac822), in the same order:
 *
 * 1. fewer than `minRows` (1,000) rows: resampled with replacement to exactly 1,000 rows; then, more than
 *    `maxRows` (10,000): subsampled without replacement to 10,000. Both happen before the split, so with
 *    resampling a duplicated row can land in both the training and the test part (ADBench does the same).
 * 2. a stratified 70/30 split with scikit-learn's sizes (`stratified.ts`): `nTest = ceil(0.3 n)`.
 * 3. min-max scaling fitted on the training part, applied to both (scikit-learn's `MinMaxScaler`, as core's
 *    {@link MinMaxScaler}): a constant training column (range below 10 float64 epsilons) has its range taken
 *    as 1, so it maps to 0 in training and to `x - min` in test; test values are not clipped to [0, 1].
 * 4. `ceil(ratio * nTrainAnomalies)` training anomalies drawn to be labelled (y = 1); the other training
 *    anomalies stay in training with y = 0 (contamination); ratio 0 labels none. The product is taken in float64
 *    as ADBench does (for its ratios and any count below 20,000 that equals the exact ceiling).
 *
 * Randomness: the draws that decide the *counts* follow ADBench's own stream by default (`sampler: 'numpy'`):
 * the resampling of step 1 (`np.random.choice` right after `np.random.seed(seed)`, which fixes how many
 * anomalies the 1,000 or 10,000 rows hold) and scikit-learn's tie-break of the stratified class counts (exact
 * .5 ties only) use {@link NumpyLegacyRandom}, a port of NumPy's legacy MT19937 stream. So for a seed the
 * sizes, anomaly counts and labelled counts are ADBench's exactly (checked against its generator in the
 * tests). Which rows go to training and test and which anomalies are labelled is drawn with our seeded
 * {@link Random}, so those rows are not ADBench's. `sampler: 'random'` draws everything with {@link Random}:
 * then a resampled dataset's anomaly count matches ADBench's only in distribution.
 *
 * Quirks of ADBench's code, found by reading and running it (the reference copy, with numpy 1.24 and
 * scikit-learn 1.2):
 * - Resampling with replacement happens before the split (12 of the 31 classical files have under 1,000 rows),
 *   so most test rows of a small dataset have exact copies in training (Hepatitis: 80 rows drawn 1,000 times).
 *   Kept: it defines the benchmark's numbers.
 * - `at_least_one_labeled=True` is `ceil` instead of `int`; at ratio 0 it still labels none.
 * - The labelled count it computes first (`ceil(sum(y) * 0.7 * la)` on the data before resampling) is never
 *   used; the one used is `ceil(la * training anomalies)` after the split, which is what this follows.
 * - An integer `la` (e.g. `1` rather than `1.0`) means a number of labelled anomalies, not a share; here
 *   `ratio` is always a share.
 * - A class with a single row makes scikit-learn's stratified split fail; here fewer than 2 normals or 2
 *   anomalies is a ValidationError.
 * - ADBench scales float64 data; our matrices are float32 (the column statistics are float64, the results
 *   rounded once to float32), so scaled values differ from ADBench's in the 7th significant digit.
 */
import {
  countLabels,
  MinMaxScaler,
  Random,
  takeRows,
  validateLabels,
  validateMatrix,
  ValidationError,
  type LabelsLike,
  type Matrix,
  type MatrixLike,
} from '@abc/core';
import { NumpyLegacyRandom } from './numpy-random.js';
import { stratifiedIndices, type TieBreak } from './stratified.js';

/** Options of {@link adbenchSplit}. */
export interface AdbenchSplitOptions {
  /** Seed of every draw (resampling, split, labelled anomalies). Default 0. */
  seed?: number;
  /** Share of the training anomalies that are labelled, in [0, 1] (ADBench's `la`: 0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1). */
  ratio: number;
  /** Test share (default 0.3). */
  testSize?: number;
  /** Datasets with fewer rows are resampled with replacement to this many (default 1,000; 0 turns it off). */
  minRows?: number;
  /** Datasets with more rows are subsampled to this many (default 10,000; Infinity turns it off). */
  maxRows?: number;
  /** Min-max scale both parts with the training part's ranges (default true). */
  minmax?: boolean;
  /**
   * Which generator draws the resampling and the class-count tie-breaks: `numpy` (default), NumPy's legacy
   * stream seeded with `seed` as ADBench does, so that the counts equal ADBench's; `random`, our Random.
   * `seed` must be an integer in [0, 2^32 - 1] with `numpy`.
   */
  sampler?: 'numpy' | 'random';
}

/** One side of an {@link AdbenchSplit}. */
export interface AdbenchPart {
  readonly X: Matrix;
  /** Training: 1 = labelled anomaly (unlabelled anomalies are 0). Test: the true labels. */
  readonly y: Uint8Array;
}

/** The result of {@link adbenchSplit}. */
export interface AdbenchSplit {
  readonly train: AdbenchPart;
  readonly test: AdbenchPart;
  /** The true labels of the training rows (labelled and unlabelled anomalies are 1), for contamination reports. */
  readonly trainTrueY: Uint8Array;
  /** Labelled training anomalies: `ceil(ratio * nTrainAnomalies)`. */
  readonly nLabelled: number;
  /** All anomalies in the training part (labelled or not). */
  readonly nTrainAnomalies: number;
  /** Anomalies in the test part. */
  readonly nTestAnomalies: number;
  /** Rows before the split (after resampling), and how they were obtained. */
  readonly rows: number;
  readonly resampled: 'up' | 'down' | 'none';
  /** The scaler fitted on the training part (undefined with `minmax: false`). */
  readonly scaler: MinMaxScaler | undefined;
}

function checkOptions(o: AdbenchSplitOptions): Required<AdbenchSplitOptions> {
  const full: Required<AdbenchSplitOptions> = {
    seed: 0,
    testSize: 0.3,
    minRows: 1000,
    maxRows: 10_000,
    minmax: true,
    sampler: 'numpy',
    ...o,
  };
  if (!(typeof full.ratio === 'number' && full.ratio >= 0 && full.ratio <= 1)) {
    throw new ValidationError('param', `adbenchSplit: ratio must be a number in [0, 1], got ${String(full.ratio)}`);
  }
  if (full.sampler !== 'numpy' && full.sampler !== 'random') {
    throw new ValidationError('param', `adbenchSplit: sampler must be 'numpy' or 'random', got ${String(full.sampler)}`);
  }
  const seedOk =
    full.sampler === 'numpy'
      ? Number.isInteger(full.seed) && full.seed >= 0 && full.seed <= 0xffffffff
      : Number.isFinite(full.seed);
  if (!seedOk) {
    throw new ValidationError(
      'param',
      `adbenchSplit: seed must be ${full.sampler === 'numpy' ? 'an integer in [0, 2^32 - 1] (as np.random.seed)' : 'a finite number'}, got ${full.seed}`,
    );
  }
  if (!(Number.isInteger(full.minRows) && full.minRows >= 0)) {
    throw new ValidationError('param', `adbenchSplit: minRows must be a non-negative integer, got ${full.minRows}`);
  }
  if (!(full.maxRows === Infinity || (Number.isInteger(full.maxRows) && full.maxRows >= full.minRows && full.maxRows > 0))) {
    throw new ValidationError('param', `adbenchSplit: maxRows must be an integer >= minRows (or Infinity), got ${full.maxRows}`);
  }
  return full;
}

/** Draws `size` of `n` positions, with or without replacement. */
type Draw = (n: number, size: number, replace: boolean) => Uint32Array;

/** The draws of the resampling and of the tie-breaks, by `sampler`. */
function samplers(o: Required<AdbenchSplitOptions>, rng: Random): { draw: (reseed: boolean) => Draw; tieBreak: TieBreak } {
  if (o.sampler === 'random') {
    const draw: Draw = (n, size, replace) => (replace ? new Uint32Array(size).map(() => rng.int(n)) : rng.sample(n, size));
    return { draw: () => draw, tieBreak: (n, k) => rng.sample(n, k) };
  }
  // ADBench calls np.random.seed(seed) at the start and again right before each resampling; the split's
  // tie-break continues the same stream.
  let np = new NumpyLegacyRandom(o.seed);
  return {
    draw: (reseed) => {
      if (reseed) np = new NumpyLegacyRandom(o.seed);
      return (n, size, replace) => np.choice(n, size, replace);
    },
    tieBreak: (n, k) => np.choice(n, k, false),
  };
}

/** Step 1: the row indices after resampling up to `minRows` or down to `maxRows` (in ADBench's order). */
function resampleRows(
  n: number,
  o: Required<AdbenchSplitOptions>,
  draw: (reseed: boolean) => Draw,
): { rows: Uint32Array; resampled: AdbenchSplit['resampled'] } {
  let rows: Uint32Array = new Uint32Array(n).map((_, i) => i);
  let resampled: AdbenchSplit['resampled'] = 'none';
  if (n < o.minRows) {
    rows = draw(true)(n, o.minRows, true);
    resampled = 'up';
  }
  if (rows.length > o.maxRows) {
    const before = rows;
    rows = draw(true)(before.length, o.maxRows, false).map((k) => before[k]);
    resampled = 'down';
  }
  return { rows, resampled };
}

/**
 * Splits a dataset as ADBench's benchmark does (see the module notes for the rules, their order and the
 * quirks of ADBench's code this follows): resampling to 1,000 / subsampling to 10,000 rows, a stratified 70/30
 * split, min-max scaling fitted on training, and `ceil(ratio x training anomalies)` labelled anomalies (the
 * others stay in training labelled 0). Same sizes and counts as ADBench's generator for a seed; not the same
 * rows (see the module notes on `sampler`). Needs at least 2 normals and 2 anomalies; bad input or options are
 * ValidationErrors.
 *
 * @example
 * const { X, y } = await loadAdbenchDataset('data/adbench/29_Pima.npz');
 * const s = adbenchSplit(X, y, { seed: 0, ratio: 0.1 });
 * [s.train.X.rows, s.test.X.rows, s.nLabelled];   // [700, 300, 26]: 1,000 rows after resampling, as ADBench
 */
export function adbenchSplit(X: MatrixLike, y: LabelsLike, options: AdbenchSplitOptions): AdbenchSplit {
  const o = checkOptions(options);
  const Xm = validateMatrix(X, { name: 'adbenchSplit: X' });
  const labels = validateLabels(y, Xm.rows, 'adbenchSplit: y');
  const { normal, anomaly } = countLabels(labels);
  if (normal < 2 || anomaly < 2) {
    throw new ValidationError(
      'labels',
      `adbenchSplit: y needs at least 2 normals and 2 anomalies; it has ${normal} and ${anomaly}`,
    );
  }
  const rng = new Random(o.seed);
  const { draw, tieBreak } = samplers(o, rng);
  const { rows, resampled } = resampleRows(Xm.rows, o, draw);
  const yAll = Uint8Array.from(rows, (i) => labels[i]);
  const split = stratifiedIndices(yAll, o.testSize, rng, tieBreak);
  const trainRows = split.train.map((k) => rows[k]);
  const testRows = split.test.map((k) => rows[k]);
  let Xtrain = takeRows(Xm, trainRows);
  let Xtest = takeRows(Xm, testRows);
  let scaler: MinMaxScaler | undefined;
  if (o.minmax) {
    scaler = new MinMaxScaler();
    Xtrain = scaler.fitTransform(Xtrain);
    Xtest = scaler.transform(Xtest);
  }
  const trainTrueY = Uint8Array.from(trainRows, (i) => labels[i]);
  const testY = Uint8Array.from(testRows, (i) => labels[i]);
  const anomalies: number[] = [];
  for (let k = 0; k < trainTrueY.length; k++) if (trainTrueY[k] === 1) anomalies.push(k);
  // float64 product, as ADBench's ceil(la * len(idx_anomaly)).
  const nLabelled = Math.ceil(o.ratio * anomalies.length);
  const trainY = new Uint8Array(trainTrueY.length);
  for (const k of rng.sample(anomalies.length, nLabelled)) trainY[anomalies[k]] = 1;
  return {
    train: { X: Xtrain, y: trainY },
    test: { X: Xtest, y: testY },
    trainTrueY,
    nLabelled,
    nTrainAnomalies: anomalies.length,
    nTestAnomalies: countLabels(testY).anomaly,
    rows: rows.length,
    resampled,
    scaler,
  };
}
