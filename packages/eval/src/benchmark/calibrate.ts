/**
 * The benchmark's calibrated variants (`abc+platt`, `iforest+unify`, ...): a detector's test scores mapped to
 * p(anomaly) by one of core's calibrators, under the protocol of issue 20: `platt` and `isotonic` (they learn
 * from labels) are fitted on a stratified half of the test part and applied to the other half, then the halves
 * swap; `linear` and `unify` (PyOD's label-free rescalings) are fitted on the training scores. Browser-safe.
 */
import {
  calibrate,
  calibrationNeedsLabels,
  fitCalibrator,
  Random,
  stratifiedSplit,
  ValidationError,
  type CalibrationMethod,
  type Labels,
} from '@abc/core';
import { averagePrecision } from '../metrics/aupr.js';
import { auroc } from '../metrics/auroc.js';

/** The two halves of a test part, as row indices in increasing order. */
export interface CalibrationHalves {
  a: Uint32Array;
  b: Uint32Array;
}

/**
 * Splits rows into two halves stratified by label with core's `stratifiedSplit(y, 0.5, new Random(seed))`:
 * each class is shuffled (normals first, then anomalies) and round(n/2) of its rows go to `b`, the rest to `a`
 * (a class with one row stays in `a`). The same labels and seed give the same halves.
 *
 * @example
 * calibrationHalves(Uint8Array.of(0, 0, 0, 0, 1, 1), 0);   // { a: 2 normals and 1 anomaly, b: the others }
 */
export function calibrationHalves(y: Labels, seed: number): CalibrationHalves {
  const { train, val } = stratifiedSplit(y, 0.5, new Random(seed), { order: 'sorted' });
  return { a: train, b: val };
}

/** The scores a calibrated variant reads. */
export interface CalibrationInput {
  /** The detector's test scores (finite: see `finiteScores`). */
  testScores: ArrayLike<number>;
  /** The test labels (1 = anomaly). */
  testLabels: Labels;
  /** The detector's scores of its own training rows: what `linear` and `unify` are fitted on. */
  trainScores?: ArrayLike<number>;
  /** Seeds the stratified halves of `platt` and `isotonic` (the run's seed). */
  seed: number;
}

/**
 * A calibrated variant's p(anomaly) for every test row. `platt` and `isotonic`: cross-fitted on the halves of
 * {@link calibrationHalves}, so no row's probability comes from a calibrator that saw its label (each half is
 * mapped by the calibrator fitted on the other; the two maps differ, so the pooled probabilities are not one
 * monotone function of the scores: rank them per half, see {@link calibratedRanking}). `linear` and `unify`:
 * fitted on `trainScores` and applied to every test row (one monotone map, clipped to [0, 1]: rows clipped
 * together tie). A missing `trainScores` for those, or an empty half, is a ValidationError.
 *
 * @example
 * const p = calibratedProbabilities('platt', { testScores: scores, testLabels: split.test.y, seed: 0 });
 * brierScore(p, split.test.y);
 */
export function calibratedProbabilities(method: CalibrationMethod, input: CalibrationInput): Float64Array {
  const { testScores, testLabels } = input;
  const n = testScores.length;
  if (testLabels.length !== n) {
    throw new ValidationError('shape', `calibratedProbabilities: ${n} test scores but ${testLabels.length} labels`);
  }
  if (!calibrationNeedsLabels(method)) {
    if (input.trainScores === undefined) {
      throw new ValidationError(
        'param',
        `calibratedProbabilities: "${method}" is fitted on the training scores; give trainScores`,
      );
    }
    return calibrate(fitCalibrator(method, input.trainScores), testScores);
  }
  const { a, b } = calibrationHalves(testLabels, input.seed);
  if (a.length === 0 || b.length === 0) {
    throw new ValidationError(
      'shape',
      `calibratedProbabilities: "${method}" needs at least 2 test rows (one per half), got ${n}`,
    );
  }
  const p = new Float64Array(n);
  const pick = (rows: Uint32Array) => Float64Array.from(rows, (i) => testScores[i]);
  const crossFit = (fitRows: Uint32Array, applyRows: Uint32Array) => {
    const calibrator = fitCalibrator(
      method,
      pick(fitRows),
      Uint8Array.from(fitRows, (i) => testLabels[i]),
    );
    const out = calibrate(calibrator, pick(applyRows));
    applyRows.forEach((row, k) => {
      p[row] = out[k];
    });
  };
  crossFit(a, b);
  crossFit(b, a);
  return p;
}

/**
 * A calibrated variant's AUROC and average precision. `linear` and `unify` map every test row through one
 * calibrator: the metrics of `p` on the whole test part. `platt` and `isotonic` map each half of
 * {@link calibrationHalves} through a different calibrator (fitted on the other half), and ranking rows of one
 * half against the other's would measure the gap between two calibrators, not the variant (a deployed variant
 * has one): the metrics are the mean over the two halves of each half's AUROC and AP (halves with a single
 * class are skipped; with none left, the whole part's). Within a half Platt's map is monotone, so its AUROC is
 * its base's on that half (up to ties where the sigmoid saturates; the complement when Platt fits a rising
 * slope, as it does for a detector that ranks worse than chance there); isotonic's steps tie rows, which
 * changes it.
 *
 * @example
 * const p = calibratedProbabilities('isotonic', { testScores, testLabels, seed: 0 });
 * calibratedRanking('isotonic', p, testLabels, 0);   // { auroc: 0.87, aupr: 0.41 }
 */
export function calibratedRanking(
  method: CalibrationMethod,
  p: ArrayLike<number>,
  testLabels: Labels,
  seed: number,
): { auroc: number; aupr: number } {
  const whole = () => ({ auroc: auroc(p, testLabels), aupr: averagePrecision(p, testLabels) });
  if (!calibrationNeedsLabels(method)) return whole();
  const { a, b } = calibrationHalves(testLabels, seed);
  const halves = [a, b].filter((rows) => {
    let anomalies = 0;
    for (const i of rows) anomalies += testLabels[i];
    return anomalies > 0 && anomalies < rows.length;
  });
  if (halves.length === 0) return whole();
  let sumAuroc = 0;
  let sumAupr = 0;
  for (const rows of halves) {
    const ph = Float64Array.from(rows, (i) => p[i]);
    const yh = Uint8Array.from(rows, (i) => testLabels[i]);
    sumAuroc += auroc(ph, yh);
    sumAupr += averagePrecision(ph, yh);
  }
  return { auroc: sumAuroc / halves.length, aupr: sumAupr / halves.length };
}
