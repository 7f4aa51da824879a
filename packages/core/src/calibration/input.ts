import { ValidationError } from '../errors.js';
import { describe } from '../matrix.js';
import { validateLabels, type Labels, type LabelsLike } from '../validate.js';

/**
 * Checks a score vector at a calibrator's door: an array of finite numbers, not empty. Returns a float64 copy
 * (calibrators compute in float64 whatever the detector's output type). Not exported from the package.
 *
 * @internal
 */
export function checkScores(scores: ArrayLike<number>, who: string, name = 'scores'): Float64Array {
  if (scores === null || typeof scores !== 'object' || typeof scores.length !== 'number') {
    throw new ValidationError('type', `${who}: ${name} must be an array of numbers, got ${describe(scores)}`);
  }
  const n = scores.length;
  if (n === 0) throw new ValidationError('empty', `${who}: ${name} is empty`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = scores[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValidationError('non-finite', `${who}: ${name}[${i}] is ${describe(v)}, not a finite number`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Checks labels (0/1, booleans allowed) against the score count. Not exported from the package.
 *
 * @internal
 */
export function checkLabels(labels: LabelsLike, n: number, who: string): Labels {
  try {
    return validateLabels(labels, n, 'labels');
  } catch (e) {
    if (e instanceof ValidationError) throw new ValidationError(e.reason, `${who}: ${e.message}`);
    throw e;
  }
}
