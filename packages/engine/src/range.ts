import { ValidationError, type Matrix } from '@abc/core';

/** The largest |x| the float32 networks train on: 2^64, whose square (≈ 3.4e38) still fits in float32. */
export const MAX_TRAIN_ABS = 2 ** 64;

/**
 * Refuses training data a float32 network cannot learn from: a square of |x| > 2^64 overflows to Infinity,
 * which would train a silently useless model. Raises a ValidationError (reason 'range') that names the value,
 * row and column and suggests a scaler.
 */
export function checkTrainableRange(X: Matrix, who: string): void {
  const d = X.data;
  for (let k = 0; k < d.length; k++) {
    const v = d[k];
    if (v > MAX_TRAIN_ABS || v < -MAX_TRAIN_ABS) {
      const where = X.featureNames ? ` ("${X.featureNames[k % X.cols]}")` : '';
      throw new ValidationError(
        'range',
        `${who}: X has the value ${v} at row ${Math.floor(k / X.cols)}, column ${k % X.cols}${where}; ` +
          `values beyond ±${MAX_TRAIN_ABS.toPrecision(3)} overflow float32 when squared in training: ` +
          `scale the data first (MinMaxScaler or StandardScaler in a Pipeline)`,
      );
    }
  }
}
